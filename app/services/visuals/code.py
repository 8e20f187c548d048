"""Code blocks: highlighted with Pygments in the theme's colours, on a panel, never read aloud.

Type shrinks first so lines stay whole; below `WRAP_FROM` times the floor a long line wraps instead,
its continuation indented and marked "→" in the gutter (where the line numbers go, when the theme
shows them). Columns are counted in cells (a wide CJK character is two), as editors do.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType, is_token_subtype
from pygments.util import ClassNotFound

from app.core.threads import check_cancelled
from app.services.planning import Code
from app.services.visuals.compose import Composed, Ctx, as_body, set_text, style
from app.services.visuals.fontfiles import load_font
from app.services.visuals.fonts import clean_text
from app.services.visuals.model import Shape
from app.services.visuals.rich import MONO, Line, Piece, RichStyle, set_lines
from app.services.visuals.text import ELLIPSIS, TAB_WIDTH
from app.services.visuals.themes import RGB, Theme, mix

CONTINUATION = "→"
WRAP_FROM = 1.2  # of the code floor: above it long lines make the type smaller, below it they wrap
MAX_CODE_LINES = 400  # of one block: more than any slide shows
MAX_LINE_CELLS = 2000  # of one line: more than a slide shows wrapped


@lru_cache(maxsize=64)
def _lexer(language: str | None) -> Lexer:
    if language:
        try:
            return get_lexer_by_name(language.strip().lower(), stripnl=False, ensurenl=False)
        except ClassNotFound:
            pass
    return TextLexer(stripnl=False, ensurenl=False)


def _colour(kind: _TokenType, theme: Theme) -> RGB:
    syntax = theme.syntax
    for parent, colour in (
        (Comment, syntax.comment),
        (String, syntax.string),
        (Number, syntax.number),
        (Keyword, syntax.keyword),
        (Name.Function, syntax.function),
        (Name.Class, syntax.type),
        (Name.Builtin, syntax.type),
        (Name.Decorator, syntax.type),
        (Operator, syntax.operator),
    ):
        if is_token_subtype(kind, parent):
            return colour
    return theme.code_text


@dataclass(frozen=True)
class Token:
    text: str
    colour: RGB


@lru_cache(maxsize=32)
def highlight(text: str, language: str | None, theme: Theme) -> tuple[tuple[Token, ...], ...]:
    """Source lines as coloured tokens (tabs expanded, trailing blank lines dropped)."""
    rows = text.expandtabs(TAB_WIDTH).split("\n")[:MAX_CODE_LINES]
    source = "\n".join(_cut(row) for row in rows).rstrip("\n ")
    lines: list[list[Token]] = [[]]
    for kind, value in _lexer(language).get_tokens(source):
        colour = _colour(kind, theme)
        for n, part in enumerate(value.split("\n")):
            if n:
                lines.append([])
            if part:
                lines[-1].append(Token(part, colour))
    while lines and not lines[0]:
        lines.pop(0)
    return tuple(tuple(line) for line in lines)


def _cut(row: str) -> str:
    return row if len(row) <= MAX_LINE_CELLS else row[: MAX_LINE_CELLS - 1] + ELLIPSIS


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _wrap_line(tokens: tuple[Token, ...], columns: int) -> list[tuple[list[Token], bool]]:
    """A source line in rows of at most `columns` cells (True marks a continuation row), broken
    after a space in the second half of a row when there is one, as editors soft-wrap."""
    chars = [(ch, t.colour) for t in tokens for ch in t.text]
    text = "".join(ch for ch, _ in chars)
    indent = len(text) - len(text.lstrip(" "))
    cont = min(indent + 2, columns // 3)
    rows: list[tuple[list[Token], bool]] = []
    start, first = 0, True
    while start < len(chars) or first:
        check_cancelled()
        room = columns - (0 if first else cont)
        end, used = start, 0
        while end < len(chars) and used + _cells(chars[end][0]) <= room:
            used += _cells(chars[end][0])
            end += 1
        if end < len(chars):
            space = text.rfind(" ", start, end)
            if space > start + (end - start) // 2:
                end = space + 1
            end = max(end, start + 1)
        row = (
            [(" ", chars[start][1])] * (0 if first else cont) + chars[start:end] if start < len(chars) else []
        )
        rows.append((_tokens(row), not first))
        start, first = end, False
        while not first and start < len(chars) and chars[start][0] == " ":
            start += 1
    return rows


def _tokens(chars: list[tuple[str, RGB]]) -> list[Token]:
    out: list[Token] = []
    for ch, colour in chars:
        if out and out[-1].colour == colour:
            out[-1] = Token(out[-1].text + ch, colour)
        else:
            out.append(Token(ch, colour))
    return out


def code_block(ctx: Ctx, code: Code, size: int, x: int, width: int, room: int) -> Composed:
    """The code on its panel; overflow when it needs more room, or wraps while it could still shrink."""
    theme, fonts = ctx.theme, ctx.fonts
    out = Composed()
    lines = highlight(code.text, code.language, theme)
    if (
        any(len(row) > MAX_LINE_CELLS for row in code.text.split("\n"))
        or code.text.count("\n") >= MAX_CODE_LINES
    ):
        out.extra["truncated"] = True
    pad = round(size * 0.75)
    font = load_font(fonts.mono, size, 400)
    cell = font.getlength("M")
    numbers = theme.line_numbers and len(lines) > 1
    gutter_cols = (len(str(len(lines))) + 1) if numbers else 0
    inner = width - 2 * pad
    columns = max(8, int(inner // cell))
    wrapped = [
        (n, row, cont)
        for n, line in enumerate(lines)
        for row, cont in _wrap_line(line, columns - gutter_cols)
    ]
    if not gutter_cols and any(cont for _, _, cont in wrapped):
        gutter_cols = 2
        wrapped = [
            (n, row, cont)
            for n, line in enumerate(lines)
            for row, cont in _wrap_line(line, columns - gutter_cols)
        ]
    floor = ctx.frame.px(ctx.frame.scale.code[1])
    out.overflow = any(cont for _, _, cont in wrapped) and size > floor * WRAP_FROM
    limit = max(1, (room - 2 * pad) // max(1, round(size * 1.42))) + 1
    if len(wrapped) > limit:
        out.overflow = True
        wrapped = wrapped[: limit + 1]
    gutter_x = x + pad
    code_x = gutter_x + round(gutter_cols * cell)
    code_style = RichStyle(fonts, size, theme.code_text, "code", leading=1.42)
    chain = code_style.face(MONO).chain
    body = [
        Line([Piece(clean_text(t.text, chain) if t.text.strip() else t.text, MONO, t.colour) for t in row], 0)
        for _, row, _ in wrapped
    ]
    set_ = set_lines(body, code_style, code_x, width - 2 * pad, pad, None)
    gutter_fill = mix(theme.code_text, theme.code_background, 0.55)
    marks = []
    for (n, _, cont), line in zip(wrapped, set_.lines, strict=False):
        label = CONTINUATION if cont else (str(n + 1) if numbers else "")
        if label:
            marks.append((label, line.runs[0].origin[1] if line.runs else line.box[3]))
    gstyle = RichStyle(fonts, size, gutter_fill, "gutter", align="right")
    panel_bottom = set_.bottom + pad
    out.shapes.append(
        Shape(
            "panel",
            (x, 0, x + width, panel_bottom),
            theme.code_background,
            theme.code_border,
            round(size * 0.5),
        )
    )
    out.add(set_)
    ascent, _ = load_font(fonts.mono, size, 400).getmetrics()
    for label, baseline in marks:
        label_w = round(font.getlength(label))
        mark = set_lines(
            [Line([Piece(label, MONO)], label_w)],
            gstyle,
            gutter_x,
            round((gutter_cols - 1) * cell),
            baseline - ascent,
        )
        out.add(mark)
    return out


def code_body(ctx: Ctx, size: int, x: int, width: int, room: int) -> Composed:
    """The items (the sentence that introduced the code) above the code panel."""
    out = Composed()
    top = 0
    lead = round(as_body(ctx, size))  # items are prose: set at body size, code is denser
    for n, item in enumerate(ctx.scene.items):
        rich = style(ctx, lead, ctx.dim if ctx.is_dimmed(n) else ctx.theme.text, "paragraph", leading=1.25)
        set_, ok = set_text(ctx, item.text, rich, x, width, top, room - top, item=n)
        top = out.add(set_) + round(lead * 0.7)
        out.overflow = out.overflow or not ok
    if ctx.scene.code is not None:
        block = code_block(ctx, ctx.scene.code, size, x, width, room - top).shifted(0, top)
        block.overflow = block.overflow or block.bottom() > room
        out.extend(block)
    return out
