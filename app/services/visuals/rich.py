"""Styled text: fragments of inline Markdown wrapped into lines by measured width, then set as
`TextLine`s (runs of one font each, with their ink boxes) at a position.

Wrapping is greedy, word by word (a hyphenated word may break after a hyphen: `unbroken`), and stops
once it has more lines than the room could hold, so a long paragraph costs what the slide shows. A
word wider than the line is broken where it must be (galloping + bisection, `text.fit_prefix`).
Words are cleaned (`fonts.clean_text`) one at a time: what is measured is exactly what is drawn,
fallback fonts included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.threads import check_cancelled
from app.services.visuals.bidi import has_rtl, levels, paragraph_rtl, split_levels, visual_order
from app.services.visuals.breaks import break_units
from app.services.visuals.fontfiles import load_font
from app.services.visuals.fonts import FontSet, clean_text, segment
from app.services.visuals.inline import BOLD, BOLD_ITALIC, CODE, ITALIC, REGULAR, Frag
from app.services.visuals.model import Box, DrawnRun, Shape, TextLine
from app.services.visuals.text import MAX_LINE_CHARS, TextStyle, fit_prefix, ink_box, measure
from app.services.visuals.themes import RGB

MONO = "mono"  # a piece of a code block: the mono face at full size (inline code is CODE)
CODE_SCALE = 0.9  # inline code is set a little smaller: monospace looks large beside prose


@dataclass(frozen=True)
class RichStyle:
    fonts: FontSet
    size: int
    fill: RGB
    role: str
    leading: float = 1.3  # baseline to baseline, as a multiple of the size
    base: str = REGULAR  # REGULAR, or "heading" (titles: the theme's heading face)
    code_fill: RGB | None = None
    pill: RGB | None = None  # the background of inline code, if any
    align: str = "left"  # left, center, right

    def face(self, variant: str, scale: float = 1.0) -> TextStyle:
        """The font chain, size and weight one fragment variant is drawn with."""
        if variant == CODE:
            primary, weight, size = self.fonts.mono, 400, self.size * CODE_SCALE
        elif self.base == "heading":
            primary = self.fonts.face(BOLD_ITALIC if variant in (ITALIC, BOLD_ITALIC) else "heading")
            weight, size = 700, self.size
        else:
            primary = self.fonts.face(variant)
            weight, size = (700 if variant in (BOLD, BOLD_ITALIC) else 400), self.size
        return TextStyle(
            self.fonts.chain(primary), max(1, round(size * scale)), weight, self.fill, self.role, 1
        )


@dataclass(frozen=True)
class Piece:
    text: str
    variant: str = REGULAR
    fill: RGB | None = None
    scale: float = 1.0


@dataclass
class Line:
    pieces: list[Piece]
    width: float


def _width(piece: Piece, style: RichStyle) -> float:
    return measure(piece.text, style.face(piece.variant, piece.scale))


# A no-break space (U+00A0) joins the words around it: "(1/2)" stays with the title's last word.
_TOKEN = re.compile(r"\n|[^\S\u00a0]+|(?:[^\s]|\u00a0)+")
# A line may break after a hyphen between words ("state-of-|the-art", "Apache-2.0-with-|LLVM"), not
# in a short piece ("e-mail", "espeak-ng"), before a number ("COVID-19", "2026-11-29") or in code
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_]{2}-)(?=[^\W\d_]{3})")


def unbroken(text: str) -> list[str]:
    """The pieces of plain text a line never breaks inside (what a column must be wide enough for)."""
    return [piece for word in text.split() for piece in _pieces(word)]


def _pieces(word: str, hyphens: bool = True) -> list[str]:
    """A word's pieces a line may break between (`break_units`, and after a hyphen unless not
    `hyphens`: code)."""
    units = break_units(word)
    if not hyphens or "-" not in word:
        return units
    return [piece for unit in units for piece in _HYPHEN_BREAK.split(unit)]


@dataclass
class _Word:
    pieces: list[Piece]
    glued: bool = False  # written against the word before: a break inside Chinese, Japanese or Thai


def _words(frags: Iterable[Frag], style: RichStyle) -> Iterable[_Word | None]:
    """Words as lists of cleaned pieces; None is a forced line break. Spaces separate words, and
    text without spaces is cut where a line may break in it (`break_units`), into glued words.
    A token is read in bounded chunks, so a long one costs what the slide shows."""
    word = _Word([])
    for frag in frags:
        chain = style.face(frag.variant).chain
        for match in _TOKEN.finditer(frag.text):
            check_cancelled()
            token = match.group()
            if token == "\n" or token.isspace():
                if word.pieces:
                    yield word
                    word = _Word([])
                if "\n" in token:
                    yield None
                continue
            for start in range(0, len(token), MAX_LINE_CHARS):
                cleaned = clean_text(token[start : start + MAX_LINE_CHARS], chain)
                if not cleaned.strip():
                    continue
                for n, unit in enumerate(_pieces(cleaned, frag.variant != CODE)):
                    if (n or start) and word.pieces:
                        yield word
                        word = _Word([], glued=True)
                    word.pieces.append(Piece(unit, frag.variant, frag.fill, frag.scale))
    if word.pieces:
        yield word


def wrap(frags: Sequence[Frag], style: RichStyle, width: float, limit: int) -> list[Line]:
    """Greedy word wrap by measured width; stops once it has more than `limit` lines."""
    lines: list[Line] = []
    line: list[Piece] = []
    used = 0.0
    for word in _words(frags, style):
        if word is None:
            if line:
                lines.append(Line(line, used))
            line, used = [], 0.0
            continue
        size = sum(_width(p, style) for p in word.pieces)
        if line:
            space = Piece(" ", line[-1].variant, line[-1].fill, line[-1].scale)
            gap = 0.0 if word.glued else _width(space, style)
            if used + gap + size <= width:
                line += [*([] if word.glued else [space]), *word.pieces]
                used += gap + size
                continue
            lines.append(Line(line, used))
            line, used = [], 0.0
        if size <= width:
            line, used = list(word.pieces), size
        else:
            full, line, used = _break(word.pieces, style, width, limit - len(lines))
            lines += full
        if len(lines) > limit:
            return lines
    if line:
        lines.append(Line(line, used))
    return lines


def _break(
    word: list[Piece], style: RichStyle, width: float, limit: int
) -> tuple[list[Line], list[Piece], float]:
    """A word wider than the line, in lines that fit (at most `limit + 1`), and the rest begun."""
    lines: list[Line] = []
    line: list[Piece] = []
    used = 0.0
    for piece in word:
        rest = piece.text
        face = style.face(piece.variant, piece.scale)
        while rest and len(lines) <= limit:
            check_cancelled()
            room = width - used
            head = rest[:MAX_LINE_CHARS]
            n = fit_prefix(head, face, room) if measure(head[:1], face) <= room or not line else 0
            if n == 0:
                lines.append(Line(line, used))
                line, used = [], 0.0
                continue
            part = Piece(rest[:n], piece.variant, piece.fill, piece.scale)
            line.append(part)
            used += _width(part, style)
            rest = rest[n:]
            if rest:
                lines.append(Line(line, used))
                line, used = [], 0.0
    return lines, line, used


def metrics(style: RichStyle) -> tuple[int, int]:
    face = style.face(REGULAR)
    return load_font(face.chain[0], face.size, face.weight).getmetrics()


@dataclass
class SetText:
    """Lines set at a position: the `TextLine`s, the shapes behind them (inline code), the bottom."""

    lines: list[TextLine]
    shapes: list[Shape]
    top: int
    bottom: int
    cut: bool = False  # the text was longer than any frame shows, and was cut (an ellipsis ends it)


def set_lines(
    lines: Sequence[Line], style: RichStyle, x: int, width: int, top: int, item: int | None = None
) -> SetText:
    """Stack wrapped lines from `top` down: baselines `leading` apart, never closer than their ink.

    A paragraph whose first strong character reads right to left (Arabic, Hebrew) is set right to
    left: its runs in bidi order, its lines against the right edge where others start at the left
    (a list puts its marker on the right for it: `layouts.items_block`).
    """
    ascent, descent = metrics(style)
    out: list[TextLine] = []
    shapes: list[Shape] = []
    lead = round(style.size * style.leading)
    baseline = top + ascent
    bottom = top
    rtl = any(has_rtl(p.text) for line in lines for p in line.pieces) and paragraph_rtl(
        "".join(p.text for line in lines for p in line.pieces)
    )
    for n, line in enumerate(lines):
        left = x
        if style.align == "center":
            left = x + round((width - line.width) / 2)
        elif style.align == "right" or (rtl and style.align == "left"):
            left = x + round(width - line.width)
        runs, pills = _shape(line, style, left, rtl)
        ink_top = min((r.box[1] - 0 for r in runs if r.box[2] > r.box[0]), default=-ascent)
        if n:
            baseline = max(baseline + lead, bottom + max(1, style.size // 12) - ink_top)
        placed = [_at(r, baseline) for r in runs]
        shapes += [
            Shape("pill", (p[0], baseline + p[1], p[2], baseline + p[3]), p[4], radius=p[5]) for p in pills
        ]
        inked = [r.box for r in placed if r.box[2] > r.box[0]]
        box = _union(inked) if inked else (left, baseline - ascent, left, baseline + descent)
        text = "".join(p.text for p in line.pieces)
        out.append(TextLine(style.role, text, tuple(placed), box, item))
        bottom = max(box[3], baseline + descent)
    return SetText(out, shapes, top, bottom)


@dataclass(frozen=True)
class _Unit:
    """A piece of a line in one font at one bidi level: what is placed as a whole."""

    text: str
    font: Path
    face: TextStyle
    fill: RGB
    piece: int
    level: int


def _units(line: Line, style: RichStyle, rtl: bool) -> list[_Unit]:
    """The line's runs in reading order, cut where the bidi level changes."""
    logical: list[tuple[str, Path, TextStyle, RGB, int]] = []
    for n, piece in enumerate(line.pieces):
        face = style.face(piece.variant, piece.scale)
        fill = piece.fill or (style.code_fill if piece.variant == CODE and style.code_fill else style.fill)
        logical += [(run.text, run.font, face, fill, n) for run in segment(piece.text, face.chain)]
    text = "".join(t for t, *_ in logical)
    text_levels = levels(text, rtl)
    units: list[_Unit] = []
    at = 0
    for t, font, face, fill, n in logical:
        for part, level in split_levels(t, text_levels[at : at + len(t)]):
            last = units[-1] if units else None
            if (
                last is not None
                and (last.font, last.face, last.fill, last.level) == (font, face, fill, level)
                and CODE not in (line.pieces[last.piece].variant, line.pieces[n].variant)
            ):  # one run for what one font draws alike (a line of Chinese: one run, not one per character)
                units[-1] = replace(last, text=last.text + part)
            else:
                units.append(_Unit(part, font, face, fill, n, level))
        at += len(t)
    return units


def _shape(
    line: Line, style: RichStyle, x: int, rtl: bool = False
) -> tuple[list[DrawnRun], list[tuple[int, int, int, int, RGB, int]]]:
    """Runs with ink boxes relative to the baseline (y), placed in visual order, and inline-code
    pills."""
    runs: list[DrawnRun] = []
    spans: dict[int, tuple[float, float]] = {}  # piece -> its extent across the line
    cursor = float(x)
    units = _units(line, style, rtl)
    for i in visual_order([u.level for u in units]):
        unit = units[i]
        face = unit.face
        font = load_font(unit.font, face.size, face.weight)
        odd = unit.level % 2 == 1
        left, top, right, bottom = ink_box(font, unit.text, odd)
        px = round(cursor)
        runs.append(
            DrawnRun(
                unit.text,
                unit.font,
                face.size,
                face.weight,
                (px, 0),
                (px + left, top, px + right, bottom),
                unit.fill,
                odd,
            )
        )
        end = cursor + font.getlength(unit.text)
        low, high = spans.get(unit.piece, (cursor, end))
        spans[unit.piece] = (min(low, cursor), max(high, end))
        cursor = end
    pills = []
    for n, (start, end) in sorted(spans.items()):
        piece = line.pieces[n]
        if piece.variant == CODE and style.pill is not None and piece.text.strip():
            face = style.face(piece.variant, piece.scale)
            pad = max(2, round(face.size * 0.22))
            ascent, descent = load_font(face.chain[0], face.size, face.weight).getmetrics()
            pills.append(
                (
                    round(start) - pad,
                    -round(ascent * 0.92),
                    round(end) + pad,
                    round(descent * 0.8),
                    style.pill,
                    pad,
                )
            )
    return runs, pills


def _at(run: DrawnRun, baseline: int) -> DrawnRun:
    x = run.origin[0]
    b = run.box
    return DrawnRun(
        run.text,
        run.font,
        run.size,
        run.weight,
        (x, baseline),
        (b[0], baseline + b[1], b[2], baseline + b[3]),
        run.fill,
        run.rtl,
    )


def _union(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
