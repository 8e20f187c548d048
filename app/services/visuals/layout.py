"""Slides: one PNG per scene, drawn with Pillow.

Layout and drawing are separate steps. `layout_slide` decides every line, run, font and box, so a
test can check what would be drawn (which font draws which character, that nothing leaves the frame)
without looking at pixels; `render_slide` draws that layout and saves it.

Fitting text: lines are wrapped by their measured width (runs of mixed fonts included), the sizes
shrink step by step to a floor, and what still does not fit is cut with an ellipsis. The bottom
`CAPTION_RESERVE` of the frame is kept free of body text, because captions are burned there.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.services.models import BlockKind, Scene, VideoFormat
from app.services.visuals.fonts import FontSet, clean_text, default_fontset
from app.services.visuals.model import DrawnRun, Shape, SlideLayout, TextLine
from app.services.visuals.placing import Piece, Placed, Shaped, code_pad, ellipsize_last, place
from app.services.visuals.text import TextStyle, clean_code, wrap_code, wrap_prose
from app.services.visuals.themes import THEMES, Theme

CAPTION_RESERVE = 0.18  # of the frame height, kept free of body text


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
        head, title_size = Placed(), None
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


def _layout_title(title: str, geo: _Geometry, fonts: FontSet, theme: Theme) -> tuple[Placed, int]:
    """Largest size that fits in two lines; at the smallest, three lines and an ellipsis."""
    chain = fonts.chain(fonts.bold)
    base, floor = (geo.short * f for f in SIZES.title)
    base *= geo.grow
    limit = geo.top + round((geo.body_bottom - geo.top) * 0.45)
    for scale, last in _steps(base, floor):
        style = TextStyle(chain, round(base * scale), 700, theme.title, "title", 1.18)
        max_lines = 3 if last else 2
        wrapped = wrap_prose(title, style, geo.column, max_lines)
        if len(wrapped) <= max_lines or last:
            pieces = [Piece(t, style, geo.left, geo.column, 0) for t in wrapped[: max_lines + 1]]
            placed = place(pieces[:max_lines], geo.top, limit, theme)
            if len(pieces) > max_lines and placed.complete:
                placed.complete = False
                ellipsize_last(placed)
            return placed, style.size
    raise AssertionError("unreachable: the last step always returns")


def _layout_body(
    blocks: Sequence[tuple[BlockKind, str]],
    geo: _Geometry,
    top: int,
    fonts: FontSet,
    theme: Theme,
    grow: float,
) -> tuple[Placed, int | None]:
    """Shrink body and code together until everything fits; at the floor, cut with an ellipsis."""
    if not blocks:
        return Placed(bottom=top), None
    body_base, body_floor = (geo.short * f for f in SIZES.body)
    code_base, code_floor = (geo.short * f for f in SIZES.code)
    body_base *= grow * geo.grow
    code_base *= min(grow, 1.15)
    placed = Placed(bottom=top)
    size = round(body_base)
    for scale, _last in _steps(body_base, body_floor):
        size = round(body_base * scale)
        code_size = round(max(code_base * scale, code_floor))
        pieces = _body_pieces(blocks, geo, top, size, code_size, fonts, theme)
        placed = place(pieces, top, geo.body_bottom, theme)
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
) -> list[Piece]:
    text_style = TextStyle(fonts.chain(fonts.regular), size, 400, theme.text, "paragraph", 1.42)
    bullet_style = TextStyle(text_style.chain, size, 400, theme.text, "bullet", 1.42)
    code_style = TextStyle(fonts.chain(fonts.mono), code_size, 400, theme.code_text, "code", 1.45)
    # more lines than could ever fit: wrapping stops there, however long the text
    budget = math.ceil((geo.body_bottom - top) / (min(size, code_size) * 1.2)) + 1
    pieces: list[Piece] = []
    for index, (kind, raw) in enumerate(blocks):
        limit = budget - len(pieces)
        if limit < 0:
            break
        if kind is BlockKind.CODE:
            pad = code_pad(code_style)
            x, width = geo.left + pad, geo.column - 2 * pad
            text = clean_code(raw, code_style.chain)
            wrapped = wrap_code(text, code_style, width, limit)
            pieces += [Piece(t, code_style, x, width, index, code=True) for t in wrapped]
        elif kind is BlockKind.BULLET:
            indent = round(size * 1.35)
            x, width = geo.left + indent, geo.column - indent
            wrapped = wrap_prose(raw, bullet_style, width, limit)
            pieces += [
                Piece(t, bullet_style, x, width, index, marker=theme.accent if n == 0 else None)
                for n, t in enumerate(wrapped)
            ]
        else:
            wrapped = wrap_prose(raw, text_style, geo.column, limit)
            pieces += [Piece(t, text_style, geo.left, geo.column, index) for t in wrapped]
    return pieces


def _content_top(placed: Placed) -> int:
    _, first_baseline, first_shape = placed.lines[0]
    panels = [s.box[1] for s in placed.shapes if s.kind == "panel"]
    return min([first_baseline + first_shape.top, *panels])


def _center(placed: Placed, top: int, bottom: int) -> None:
    """Move a body that fits to the vertical middle of the room it has."""
    content_top = _content_top(placed)
    shift = max(0, ((bottom - top) - (placed.bottom - content_top)) // 2 - (content_top - top))
    placed.lines = [(p, b + shift, s) for p, b, s in placed.lines]
    placed.shapes = [_moved(s, shift) for s in placed.shapes]
    placed.bottom += shift


def _moved(shape: Shape, dy: int) -> Shape:
    left, top, right, bottom = shape.box
    return Shape(shape.kind, (left, top + dy, right, bottom + dy), shape.fill, shape.outline, shape.radius)


def _text_line(piece: Piece, baseline: int, shaped: Shaped) -> TextLine:
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
