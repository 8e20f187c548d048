"""Placing lines: stacking wrapped lines from the top down, with their ink, bullets and code panels,
until the room runs out (the last line placed then ends with an ellipsis)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import ImageFont

from app.services.visuals.fonts import load_font, segment
from app.services.visuals.model import Box, Shape
from app.services.visuals.text import TextStyle, ellipsize, metrics
from app.services.visuals.themes import RGB, Theme

BULLET = "•"


def _ink(font: ImageFont.FreeTypeFont, text: str) -> Box:
    """The text's box relative to (left, baseline): its advance across, its ink up and down. (FreeType
    gives whole pixels; Pillow's annotations say float.)"""
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    return int(left), int(top), int(right), int(bottom)


@dataclass
class Piece:
    """A line waiting for its vertical position."""

    text: str
    style: TextStyle
    x: int
    width: int  # the room it has, for an ellipsis
    block: int
    code: bool = False
    marker: RGB | None = None  # the first line of a bullet item: the bullet's colour


@dataclass
class Shaped:
    runs: list[tuple[str, Path, int, Box, RGB]]  # text, font, x, ink relative to (0, baseline), fill
    top: int  # ink extent relative to the baseline (top negative)
    bottom: int


def shape_line(piece: Piece, text: str | None = None) -> Shaped:
    """Runs and ink of a line (its marker included), relative to its baseline."""
    style = piece.style
    ascent, descent = metrics(style)
    runs = []
    if piece.marker is not None:
        runs.append(_marker_run(piece, piece.marker))
    x = piece.x
    # Pillow's bbox spans the advance horizontally (leading spaces included) and the ink vertically
    for run in segment(piece.text if text is None else text, style.chain):
        font = load_font(run.font, style.size, style.weight)
        left, top, right, bottom = _ink(font, run.text)
        runs.append((run.text, run.font, x, (x + left, top, x + right, bottom), style.fill))
        x += round(font.getlength(run.text))
    inked = [box for *_, box, _ in runs if box[2] > box[0]]
    top = min((box[1] for box in inked), default=-ascent)
    bottom = max((box[3] for box in inked), default=descent)
    return Shaped(runs, top, bottom)


def _marker_run(piece: Piece, fill: RGB) -> tuple[str, Path, int, Box, RGB]:
    """A bullet glyph centred in the hanging indent (a glyph is antialiased, a drawn dot is not)."""
    style = piece.style
    (run,) = segment(BULLET, style.chain)
    font = load_font(run.font, style.size, style.weight)
    x = round(piece.x - style.size * 0.7 - font.getlength(run.text) / 2)
    left, top, right, bottom = _ink(font, run.text)
    return (run.text, run.font, x, (x + left, top, x + right, bottom), fill)


@dataclass
class Placed:
    lines: list[tuple[Piece, int, Shaped]] = field(default_factory=list)  # piece, baseline, shape
    shapes: list[Shape] = field(default_factory=list)
    bottom: int = 0
    complete: bool = True


def place(pieces: Sequence[Piece], top: int, limit: int, theme: Theme) -> Placed:
    """Stack lines from `top` down; stop before the first one whose ink would pass `limit`."""
    out = Placed(bottom=top)
    cursor = top  # bottom of what is already placed
    prev: tuple[Piece, int, Shaped] | None = None
    panel_top = 0
    closed = True
    for i, piece in enumerate(pieces):
        ascent, descent = metrics(piece.style)
        shaped = shape_line(piece)
        same_block = prev is not None and prev[0].block == piece.block
        pad = code_pad(piece.style) if piece.code else 0
        if same_block:
            assert prev is not None
            baseline = prev[1] + round(piece.style.size * piece.style.leading)
            baseline = max(baseline, prev[1] + prev[2].bottom + _ink_gap(piece.style) - shaped.top)
        else:
            gap = _block_gap(piece.style) if prev is not None else 0
            panel_top = cursor + gap
            baseline = panel_top + pad + max(ascent, -shaped.top)
        line_bottom = baseline + max(descent, shaped.bottom)
        closes_panel = piece.code and (i + 1 == len(pieces) or pieces[i + 1].block != piece.block)
        if line_bottom + pad > limit:
            out.complete = False
            if prev is not None and prev[0].code and not closed:
                out.shapes.append(_code_panel(prev[0], panel_top, cursor + code_pad(prev[0].style), theme))
                cursor += code_pad(prev[0].style)
            break
        out.lines.append((piece, baseline, shaped))
        cursor = line_bottom
        closed = closes_panel
        if closes_panel:
            cursor = line_bottom + pad
            out.shapes.append(_code_panel(piece, panel_top, cursor, theme))
        prev = (piece, baseline, shaped)
    if not out.complete and out.lines:
        ellipsize_last(out)
    out.bottom = cursor
    return out


def ellipsize_last(out: Placed) -> None:
    """Mark the cut: the last line placed ends with an ellipsis (it can only get narrower)."""
    piece, baseline, _ = out.lines[-1]
    text = ellipsize(piece.text, piece.style, piece.width)
    shaped = shape_line(piece, text)
    out.lines[-1] = (replace(piece, text=text), baseline, shaped)


def code_pad(style: TextStyle) -> int:
    return round(style.size * 0.8)


def _block_gap(style: TextStyle) -> int:
    return round(style.size * 0.6)


def _ink_gap(style: TextStyle) -> int:
    return max(1, round(style.size * 0.06))


def _code_panel(piece: Piece, top: int, bottom: int, theme: Theme) -> Shape:
    pad = code_pad(piece.style)
    return Shape(
        "panel",
        (piece.x - pad, top, piece.x - pad + piece.width + 2 * pad, bottom),
        theme.code_background,
        outline=theme.code_border,
        radius=round(piece.style.size * 0.45),
    )
