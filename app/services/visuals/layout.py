"""Slides: one PNG per scene, drawn with Pillow.

Layout and drawing are separate steps. `layout_slide` decides every line, run, font and box, so a
test can check what would be drawn (which font draws which character, that nothing leaves the frame)
without looking at pixels; `render_slide` draws that layout and saves it.

Fitting text: lines are wrapped by their measured width (runs of mixed fonts included), the sizes
shrink step by step to a floor, and what still does not fit is cut with an ellipsis. The bottom
`CAPTION_RESERVE` of the frame is kept free of body text, because captions are burned there.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from app.core.memory_optimizer import DiskCache, hash_key
from app.core.resource_manager import ResourceManager
from app.core.threads import check_cancelled, run_in_thread
from app.errors import InputError, RenderError
from app.services.models import BlockKind, Scene, VideoFormat
from app.services.visuals.fonts import FontSet, clean_text, default_fontset, load_font, segment

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]  # left, top, right, bottom in frame pixels

CAPTION_RESERVE = 0.18  # of the frame height, kept free of body text
ELLIPSIS = "…"
BULLET = "•"
TAB_WIDTH = 4


@dataclass(frozen=True)
class Theme:
    name: str
    background: tuple[RGB, RGB]  # top and bottom of a vertical gradient
    title: RGB
    text: RGB
    accent: RGB
    code_background: RGB
    code_border: RGB
    code_text: RGB


THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="dark",
        background=((15, 23, 42), (26, 32, 56)),
        title=(248, 250, 252),
        text=(214, 222, 235),
        accent=(56, 189, 248),
        code_background=(10, 15, 30),
        code_border=(51, 65, 85),
        code_text=(226, 232, 240),
    ),
    "light": Theme(
        name="light",
        background=((250, 251, 253), (234, 239, 246)),
        title=(15, 23, 42),
        text=(45, 55, 72),
        accent=(37, 99, 235),
        code_background=(255, 255, 255),
        code_border=(210, 218, 230),
        code_text=(15, 23, 42),
    ),
}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise InputError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}") from None


@dataclass(frozen=True)
class DrawnRun:
    """Text drawn with one font at `origin` (left, baseline).

    `box` is where it lands in frame pixels: across its advance, from the top to the bottom of its ink.
    """

    text: str
    font: Path
    size: int
    weight: int
    origin: tuple[int, int]
    box: Box
    fill: RGB


@dataclass(frozen=True)
class TextLine:
    """One line of the slide; `role` is "title", "paragraph", "bullet" or "code"."""

    role: str
    text: str
    runs: tuple[DrawnRun, ...]
    box: Box  # union of its runs' boxes (its font's ascent/descent when it has no ink)


@dataclass(frozen=True)
class Shape:
    """A filled rounded rectangle: "bar" (the accent under a title) or "panel" (behind code)."""

    kind: str
    box: Box
    fill: RGB
    outline: RGB | None = None
    radius: int = 0


@dataclass(frozen=True)
class SlideLayout:
    size: tuple[int, int]
    theme: Theme
    lines: tuple[TextLine, ...]
    shapes: tuple[Shape, ...]
    title_size: int | None
    body_size: int | None
    truncated: bool  # some body (or title) text did not fit and was cut with an ellipsis

    @property
    def runs(self) -> tuple[DrawnRun, ...]:
        return tuple(run for line in self.lines for run in line.runs)

    def glyphs(self) -> list[tuple[str, Path]]:
        """Every visible character drawn and the font file that draws it."""
        return [(ch, run.font) for run in self.runs for ch in run.text if not ch.isspace()]


# ---------------------------------------------------------------------------------------------
# Measuring and wrapping


@dataclass(frozen=True)
class _Style:
    chain: tuple[Path, ...]
    size: int
    weight: int
    fill: RGB
    role: str
    leading: float  # baseline-to-baseline distance, as a multiple of the size


@lru_cache(maxsize=8192)
def _measure_cached(text: str, chain: tuple[Path, ...], size: int, weight: int) -> float:
    return sum(load_font(r.font, size, weight).getlength(r.text) for r in segment(text, chain))


def _measure(text: str, style: _Style) -> float:
    return _measure_cached(text, style.chain, style.size, style.weight)


def _metrics(style: _Style) -> tuple[int, int]:
    return load_font(style.chain[0], style.size, style.weight).getmetrics()


GALLOP_FROM = 32  # characters: the first prefix tried when searching where a line ends


def _fit_prefix(text: str, style: _Style, width: float, suffix: str = "") -> int:
    """Longest prefix (in characters) that fits `width` with `suffix` after it; at least 1.

    Galloping, then bisection: prefixes of 32, 64, 128... characters until one is too wide, so the
    cost follows the length of the line found, not of the text (a 60,000-character word is broken
    into lines in linear time, and only as many lines as a slide can hold).
    """

    def fits(n: int) -> bool:
        return _measure(text[:n].rstrip() + suffix, style) <= width

    low, high = 1, len(text)
    probe = GALLOP_FROM
    while probe < high:
        if not fits(probe):
            high = probe - 1
            break
        low, probe = probe, probe * 2
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def _ellipsize(text: str, style: _Style, width: float) -> str:
    """The text cut so that it ends with an ellipsis and still fits `width`."""
    text = text.rstrip()
    if _measure(text + ELLIPSIS, style) <= width:
        return text + ELLIPSIS
    if not text or _measure(text[:1] + ELLIPSIS, style) > width:
        return ELLIPSIS
    return text[: _fit_prefix(text, style, width, ELLIPSIS)].rstrip() + ELLIPSIS


def _break_word(chunks: Iterable[str], style: _Style, width: float, limit: int) -> list[str]:
    """A word wider than the line (URLs, identifiers, long compounds), given as cleaned chunks, in
    pieces that fit: at most `limit + 1` whole pieces, then the rest. The word is cleaned and
    measured only as far as those pieces need, so its length beyond what a slide shows costs nothing.
    """
    pending = iter(chunks)
    pieces: list[str] = []
    buffer, exhausted = "", False
    while len(pieces) <= limit:
        check_cancelled()
        while not exhausted and len(buffer) < _MAX_LINE_CHARS:
            chunk = next(pending, None)
            exhausted = chunk is None
            buffer += chunk or ""
        n = _fit_prefix(buffer[:_MAX_LINE_CHARS], style, width)
        if exhausted and n >= len(buffer):
            break
        pieces.append(buffer[:n])
        buffer = buffer[n:]
    return [*pieces, buffer]


# No line of a slide holds more characters than this (a 1-pixel glyph at the smallest size would):
# a bound on what is ever cleaned or measured at once.
_MAX_LINE_CHARS = 4096


def _cleaned_chunks(word: str, chain: tuple[Path, ...]) -> Iterator[str]:
    """`clean_text(word)` in pieces of about `_MAX_LINE_CHARS`, cut only before a character that
    starts a new cluster (never before a combining mark), so the pieces join to the same text."""
    start = 0
    while start < len(word):
        end = min(len(word), start + _MAX_LINE_CHARS)
        while end < len(word) and _joins_previous(word[end]):
            end += 1
        yield clean_text(word[start:end], chain)
        start = end


def _joins_previous(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M") or "\u1160" <= ch <= "\u11ff" or ch == "\u200d"


_WORD_OR_BREAK = re.compile(r"\n|[^\s]+")


def _wrap_prose(text: str, style: _Style, width: float, limit: int) -> list[str]:
    """Greedy word wrap by measured width; stops once it has more than `limit` lines. Words are
    cleaned one at a time, so a paragraph is read only as far as the slide has room for."""
    lines: list[str] = []
    line = ""
    for match in _WORD_OR_BREAK.finditer(text):
        check_cancelled()
        raw = match.group()
        if raw == "\n":
            if line:
                lines.append(line)
                line = ""
            continue
        if len(raw) > _MAX_LINE_CHARS:
            chunks: Iterable[str] = _cleaned_chunks(raw, style.chain)
        else:
            word = clean_text(raw, style.chain)
            if not word.strip():
                continue
            candidate = f"{line} {word}" if line else word
            if len(candidate) <= _MAX_LINE_CHARS and _measure(candidate, style) <= width:
                line = candidate
                continue
            chunks = (word,)
        if line:
            lines.append(line)
        *full, line = _break_word(chunks, style, width, limit)
        lines.extend(full)
        if len(lines) > limit:
            return lines
    if line:
        lines.append(line)
    return lines


def _wrap_code(text: str, style: _Style, width: float, limit: int) -> list[str]:
    """Code keeps its spaces. A line too long goes on below, two spaces deeper, as editors soft-wrap."""
    lines: list[str] = []
    for raw in _code_lines(text):
        indent = " " * (len(raw) - len(raw.lstrip(" ")) + 2)
        if _measure(indent + "x", style) > width / 2:
            indent = ""
        rest = raw
        while len(lines) <= limit:
            check_cancelled()
            fits = _fit_prefix(rest[:_MAX_LINE_CHARS], style, width)
            if fits >= len(rest):
                lines.append(rest)
                break
            n = _code_break(rest, fits, len(indent))
            lines.append(rest[:n].rstrip(" "))
            rest = indent + rest[n:].lstrip(" ")
        if len(lines) > limit:
            break
    return lines


def _code_break(line: str, fits: int, indent: int) -> int:
    """Where to cut a long code line: after a space in the second half of what fits, else at `fits`."""
    start = len(line) - len(line.lstrip(" "))
    space = line.rfind(" ", start, fits)
    if space > start + (fits - start) // 2:
        return space + 1
    return max(fits, indent + 1)


@lru_cache(maxsize=16)
def _clean_code(raw: str, chain: tuple[Path, ...]) -> str:
    """Code as drawn; cached, because every size tried while shrinking wraps the same text."""
    return clean_text(raw.expandtabs(TAB_WIDTH), chain)


def _code_lines(text: str) -> list[str]:
    lines = [line.expandtabs(TAB_WIDTH).rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


# ---------------------------------------------------------------------------------------------
# Placing lines


@dataclass
class _Piece:
    """A line waiting for its vertical position."""

    text: str
    style: _Style
    x: int
    width: int  # the room it has, for an ellipsis
    block: int
    code: bool = False
    marker: RGB | None = None  # the first line of a bullet item: the bullet's colour


@dataclass
class _Shaped:
    runs: list[tuple[str, Path, int, Box, RGB]]  # text, font, x, ink relative to (0, baseline), fill
    top: int  # ink extent relative to the baseline (top negative)
    bottom: int


def _shape(piece: _Piece, text: str | None = None) -> _Shaped:
    """Runs and ink of a line (its marker included), relative to its baseline."""
    style = piece.style
    ascent, descent = _metrics(style)
    runs = []
    if piece.marker is not None:
        runs.append(_marker_run(piece, piece.marker))
    x = piece.x
    # Pillow's bbox spans the advance horizontally (leading spaces included) and the ink vertically
    for run in segment(piece.text if text is None else text, style.chain):
        font = load_font(run.font, style.size, style.weight)
        left, top, right, bottom = font.getbbox(run.text, anchor="ls")
        runs.append((run.text, run.font, x, (x + left, top, x + right, bottom), style.fill))
        x += round(font.getlength(run.text))
    inked = [box for *_, box, _ in runs if box[2] > box[0]]
    top = min((box[1] for box in inked), default=-ascent)
    bottom = max((box[3] for box in inked), default=descent)
    return _Shaped(runs, top, bottom)


def _marker_run(piece: _Piece, fill: RGB) -> tuple[str, Path, int, Box, RGB]:
    """A bullet glyph centred in the hanging indent (a glyph is antialiased, a drawn dot is not)."""
    style = piece.style
    (run,) = segment(BULLET, style.chain)
    font = load_font(run.font, style.size, style.weight)
    x = round(piece.x - style.size * 0.7 - font.getlength(run.text) / 2)
    left, top, right, bottom = font.getbbox(run.text, anchor="ls")
    return (run.text, run.font, x, (x + left, top, x + right, bottom), fill)


@dataclass
class _Placed:
    lines: list[tuple[_Piece, int, _Shaped]] = field(default_factory=list)  # piece, baseline, shape
    shapes: list[Shape] = field(default_factory=list)
    bottom: int = 0
    complete: bool = True


@dataclass(frozen=True)
class _Geometry:
    width: int
    height: int
    short: int
    left: int
    right: int
    top: int
    body_bottom: int
    grow: float  # text scale for this frame shape

    @property
    def column(self) -> int:
        return self.right - self.left


def _geometry(size: tuple[int, int]) -> _Geometry:
    width, height = size
    short = min(size)
    margin_x = round(width * 0.07)
    return _Geometry(
        width=width,
        height=height,
        short=short,
        left=margin_x,
        right=width - margin_x,
        top=round(max(height * 0.085, short * 0.08)),
        body_bottom=height - round(height * CAPTION_RESERVE),
        grow=SIZES.portrait if height > width else 1.0,
    )


def _place(pieces: Sequence[_Piece], top: int, limit: int, theme: Theme) -> _Placed:
    """Stack lines from `top` down; stop before the first one whose ink would pass `limit`."""
    out = _Placed(bottom=top)
    cursor = top  # bottom of what is already placed
    prev: tuple[_Piece, int, _Shaped] | None = None
    panel_top = 0
    closed = True
    for i, piece in enumerate(pieces):
        ascent, descent = _metrics(piece.style)
        shaped = _shape(piece)
        same_block = prev is not None and prev[0].block == piece.block
        pad = _code_pad(piece.style) if piece.code else 0
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
                out.shapes.append(_code_panel(prev[0], panel_top, cursor + _code_pad(prev[0].style), theme))
                cursor += _code_pad(prev[0].style)
            break
        out.lines.append((piece, baseline, shaped))
        cursor = line_bottom
        closed = closes_panel
        if closes_panel:
            cursor = line_bottom + pad
            out.shapes.append(_code_panel(piece, panel_top, cursor, theme))
        prev = (piece, baseline, shaped)
    if not out.complete and out.lines:
        _ellipsize_last(out)
    out.bottom = cursor
    return out


def _ellipsize_last(out: _Placed) -> None:
    """Mark the cut: the last line placed ends with an ellipsis (it can only get narrower)."""
    piece, baseline, _ = out.lines[-1]
    text = _ellipsize(piece.text, piece.style, piece.width)
    shaped = _shape(piece, text)
    out.lines[-1] = (replace(piece, text=text), baseline, shaped)


def _code_pad(style: _Style) -> int:
    return round(style.size * 0.8)


def _block_gap(style: _Style) -> int:
    return round(style.size * 0.6)


def _ink_gap(style: _Style) -> int:
    return max(1, round(style.size * 0.06))


def _code_panel(piece: _Piece, top: int, bottom: int, theme: Theme) -> Shape:
    pad = _code_pad(piece.style)
    return Shape(
        "panel",
        (piece.x - pad, top, piece.x - pad + piece.width + 2 * pad, bottom),
        theme.code_background,
        outline=theme.code_border,
        radius=round(piece.style.size * 0.45),
    )


# ---------------------------------------------------------------------------------------------
# The slide


@dataclass(frozen=True)
class _Sizes:
    """Font sizes as fractions of the frame's short side: (largest, smallest)."""

    title: tuple[float, float] = (0.075, 0.046)
    body: tuple[float, float] = (0.042, 0.026)
    code: tuple[float, float] = (0.032, 0.021)
    untitled: float = 1.3  # body grows this much when the slide has no title
    portrait: float = 1.12  # title and body grow on tall frames, watched on phones


SIZES = _Sizes()
SHRINK = 0.92


def _steps(base: float, floor: float) -> Iterator[tuple[float, bool]]:
    """Scales from 1 down by SHRINK until base * scale reaches floor; True marks the last."""
    scale = 1.0
    while base * scale * SHRINK > floor:
        yield scale, False
        scale *= SHRINK
    yield floor / base, True


def layout_slide(
    scene: Scene, fmt: VideoFormat, fonts: FontSet | None = None, theme: Theme | None = None
) -> SlideLayout:
    """Decide everything that will be drawn, fitting the text to the frame."""
    fonts = fonts or default_fontset()
    theme = theme or THEMES["dark"]
    geo = _geometry(fmt.size)
    title = _clean_title(scene.title, fonts)
    blocks = _blocks(scene, has_title=bool(title))
    if title:
        head, title_size = _layout_title(title, geo, fonts, theme)
        bar = _accent_bar(geo, head.bottom + round(geo.short * 0.028), theme)
        body, body_size = _layout_body(blocks, geo, bar.box[3] + round(geo.short * 0.045), fonts, theme, 1.0)
        head.shapes.append(bar)
    else:
        head, title_size = _Placed(), None
        bar_room = round(geo.short * 0.05)
        body, body_size = _layout_body(blocks, geo, geo.top + bar_room, fonts, theme, SIZES.untitled)
        if body.complete and body.lines:
            _center(body, geo.top + bar_room, geo.body_bottom)
        if body.lines:
            body.shapes.insert(0, _accent_bar(geo, _content_top(body) - bar_room, theme))
    return SlideLayout(
        size=fmt.size,
        theme=theme,
        lines=tuple(_text_line(p, b, s) for p, b, s in [*head.lines, *body.lines]),
        shapes=tuple([*head.shapes, *body.shapes]),
        title_size=title_size,
        body_size=body_size,
        truncated=not (head.complete and body.complete),
    )


def _accent_bar(geo: _Geometry, top: int, theme: Theme) -> Shape:
    height = max(3, round(geo.short * 0.007))
    box = (geo.left, top, geo.left + round(geo.short * 0.09), top + height)
    return Shape("bar", box, theme.accent, radius=max(1, height // 2))


def _clean_title(title: str | None, fonts: FontSet) -> str:
    if not title:
        return ""
    return " ".join(clean_text(title, fonts.chain(fonts.bold)).split())


def _blocks(scene: Scene, has_title: bool) -> list[tuple[BlockKind, str]]:
    """The body to draw; a slide with neither title nor blocks shows its narration instead of nothing."""
    blocks = [(b.kind, b.text) for b in scene.blocks if b.text.strip()]
    if not blocks and not has_title and scene.narration.strip():
        blocks = [(BlockKind.PARAGRAPH, scene.narration)]
    return blocks


def _layout_title(title: str, geo: _Geometry, fonts: FontSet, theme: Theme) -> tuple[_Placed, int]:
    """Largest size that fits in two lines; at the smallest, three lines and an ellipsis."""
    chain = fonts.chain(fonts.bold)
    base, floor = (geo.short * f for f in SIZES.title)
    base *= geo.grow
    limit = geo.top + round((geo.body_bottom - geo.top) * 0.45)
    for scale, last in _steps(base, floor):
        style = _Style(chain, round(base * scale), 700, theme.title, "title", 1.18)
        max_lines = 3 if last else 2
        wrapped = _wrap_prose(title, style, geo.column, max_lines)
        if len(wrapped) <= max_lines or last:
            pieces = [_Piece(t, style, geo.left, geo.column, 0) for t in wrapped[: max_lines + 1]]
            placed = _place(pieces[:max_lines], geo.top, limit, theme)
            if len(pieces) > max_lines and placed.complete:
                placed.complete = False
                _ellipsize_last(placed)
            return placed, style.size
    raise AssertionError("unreachable: the last step always returns")


def _layout_body(
    blocks: Sequence[tuple[BlockKind, str]],
    geo: _Geometry,
    top: int,
    fonts: FontSet,
    theme: Theme,
    grow: float,
) -> tuple[_Placed, int | None]:
    """Shrink body and code together until everything fits; at the floor, cut with an ellipsis."""
    if not blocks:
        return _Placed(bottom=top), None
    body_base, body_floor = (geo.short * f for f in SIZES.body)
    code_base, code_floor = (geo.short * f for f in SIZES.code)
    body_base *= grow * geo.grow
    code_base *= min(grow, 1.15)
    placed = _Placed(bottom=top)
    size = round(body_base)
    for scale, _last in _steps(body_base, body_floor):
        size = round(body_base * scale)
        code_size = round(max(code_base * scale, code_floor))
        pieces = _body_pieces(blocks, geo, top, size, code_size, fonts, theme)
        placed = _place(pieces, top, geo.body_bottom, theme)
        if placed.complete:
            break
    return placed, size


def _body_pieces(
    blocks: Sequence[tuple[BlockKind, str]],
    geo: _Geometry,
    top: int,
    size: int,
    code_size: int,
    fonts: FontSet,
    theme: Theme,
) -> list[_Piece]:
    text_style = _Style(fonts.chain(fonts.regular), size, 400, theme.text, "paragraph", 1.42)
    bullet_style = _Style(text_style.chain, size, 400, theme.text, "bullet", 1.42)
    code_style = _Style(fonts.chain(fonts.mono), code_size, 400, theme.code_text, "code", 1.45)
    # more lines than could ever fit: wrapping stops there, however long the text
    budget = math.ceil((geo.body_bottom - top) / (min(size, code_size) * 1.2)) + 1
    pieces: list[_Piece] = []
    for index, (kind, raw) in enumerate(blocks):
        limit = budget - len(pieces)
        if limit < 0:
            break
        if kind is BlockKind.CODE:
            pad = _code_pad(code_style)
            x, width = geo.left + pad, geo.column - 2 * pad
            text = _clean_code(raw, code_style.chain)
            wrapped = _wrap_code(text, code_style, width, limit)
            pieces += [_Piece(t, code_style, x, width, index, code=True) for t in wrapped]
        elif kind is BlockKind.BULLET:
            indent = round(size * 1.35)
            x, width = geo.left + indent, geo.column - indent
            wrapped = _wrap_prose(raw, bullet_style, width, limit)
            pieces += [
                _Piece(t, bullet_style, x, width, index, marker=theme.accent if n == 0 else None)
                for n, t in enumerate(wrapped)
            ]
        else:
            wrapped = _wrap_prose(raw, text_style, geo.column, limit)
            pieces += [_Piece(t, text_style, geo.left, geo.column, index) for t in wrapped]
    return pieces


def _content_top(placed: _Placed) -> int:
    _, first_baseline, first_shape = placed.lines[0]
    panels = [s.box[1] for s in placed.shapes if s.kind == "panel"]
    return min([first_baseline + first_shape.top, *panels])


def _center(placed: _Placed, top: int, bottom: int) -> None:
    """Move a body that fits to the vertical middle of the room it has."""
    content_top = _content_top(placed)
    shift = max(0, ((bottom - top) - (placed.bottom - content_top)) // 2 - (content_top - top))
    placed.lines = [(p, b + shift, s) for p, b, s in placed.lines]
    placed.shapes = [_moved(s, shift) for s in placed.shapes]
    placed.bottom += shift


def _moved(shape: Shape, dy: int) -> Shape:
    left, top, right, bottom = shape.box
    return Shape(shape.kind, (left, top + dy, right, bottom + dy), shape.fill, shape.outline, shape.radius)


def _text_line(piece: _Piece, baseline: int, shaped: _Shaped) -> TextLine:
    style = piece.style
    runs = tuple(
        DrawnRun(
            text=text,
            font=font,
            size=style.size,
            weight=style.weight,
            origin=(x, baseline),
            box=(box[0], baseline + box[1], box[2], baseline + box[3]),
            fill=fill,
        )
        for text, font, x, box, fill in shaped.runs
    )
    inked = [r.box for r in runs if r.box[2] > r.box[0]]
    if inked:
        box = (
            min(b[0] for b in inked),
            min(b[1] for b in inked),
            max(b[2] for b in inked),
            max(b[3] for b in inked),
        )
    else:
        box = (piece.x, baseline + shaped.top, piece.x, baseline + shaped.bottom)
    return TextLine(role=style.role, text=piece.text, runs=runs, box=box)


# ---------------------------------------------------------------------------------------------
# Drawing and saving


def draw_layout(layout: SlideLayout) -> Image.Image:
    image = _background(layout.size, layout.theme)
    draw = ImageDraw.Draw(image)
    for shape in layout.shapes:
        _draw_shape(draw, shape)
    for run in layout.runs:
        if run.text.strip():
            font = load_font(run.font, run.size, run.weight)
            draw.text(run.origin, run.text, font=font, fill=run.fill, anchor="ls")
    return image


def _background(size: tuple[int, int], theme: Theme) -> Image.Image:
    """A vertical gradient: one column computed, then stretched (cheap at any size)."""
    width, height = size
    (r0, g0, b0), (r1, g1, b1) = theme.background
    column = Image.new("RGB", (1, height))
    span = max(1, height - 1)
    column.putdata(
        [
            (r0 + (r1 - r0) * y // span, g0 + (g1 - g0) * y // span, b0 + (b1 - b0) * y // span)
            for y in range(height)
        ]
    )
    return column.resize((width, height), Image.Resampling.NEAREST)


def _draw_shape(draw: ImageDraw.ImageDraw, shape: Shape) -> None:
    draw.rounded_rectangle(
        shape.box,
        radius=shape.radius,
        fill=shape.fill,
        outline=shape.outline,
        width=1 if shape.outline else 0,
    )


def render_slide(
    scene: Scene,
    fmt: VideoFormat,
    out_path: Path,
    fonts: FontSet | None = None,
    theme: Theme | None = None,
) -> Path:
    """Draw the scene's slide and write it as a PNG at `out_path` (never a half-written file)."""
    image = draw_layout(layout_slide(scene, fmt, fonts, theme))
    save_png(image, out_path)
    return out_path


def save_png(image: Image.Image, out_path: Path) -> None:
    """Fast PNG (compress_level=1), written under a temporary name and renamed into place."""
    out_path = Path(out_path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    except OSError as exc:
        raise RenderError(f"cannot write slide {out_path}: {exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, format="PNG", compress_level=1)
        os.replace(tmp, out_path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise RenderError(f"cannot write slide {out_path}: {exc}") from exc
        raise


class VisualService:
    """Slides under a visual slot, drawn in a worker thread, cached by content.

    The cache key covers everything that changes the picture (the scene, the frame, the theme and
    this module's version), so an edited document redraws only the slides that changed.
    """

    CACHE_VERSION = "slide-v1"

    def __init__(
        self,
        resources: ResourceManager | None = None,
        cache: DiskCache | None = None,
        theme: Theme | None = None,
    ) -> None:
        self.resources = resources
        self.cache = cache
        self.theme = theme or get_theme("dark")
        self.drawn = 0  # slides actually drawn (cache hits excluded)

    async def slide(self, scene: Scene, fmt: VideoFormat, out_path: Path) -> Path:
        key = hash_key(self.CACHE_VERSION, scene, fmt, self.theme)
        if self.cache is not None and self.cache.fetch(key, out_path, ".png"):
            return out_path
        slot = self.resources.visual_slot() if self.resources else contextlib.nullcontext()
        async with slot:
            await run_in_thread(render_slide, scene, fmt, out_path, None, self.theme)
        self.drawn += 1
        if self.cache is not None:
            self.cache.put_file(key, out_path, ".png")
        return out_path
