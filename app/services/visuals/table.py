"""Tables drawn as tables: a header row, zebra rows, columns aligned (numbers to the right unless
the table says otherwise), column widths from what the cells hold, cells wrapped inside them.

A table that does not fit at the floor says so (`overflow`); the planner then splits its rows into
continuation scenes, each with the header. `focus` is a row index: that row is highlighted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from app.services.planning import Table
from app.services.visuals.compose import Composed, Ctx, frags, set_text, spoken_marks, style
from app.services.visuals.inline import BOLD, Frag
from app.services.visuals.model import Shape
from app.services.visuals.text import measure
from app.services.visuals.themes import mix

_NUMBER = re.compile(r"^[\s$€£¥%+\-−.,:0-9]*[0-9][\s$€£¥%+\-−.,:0-9kKmMbB×x]*$")


def _aligns(table: Table, columns: int) -> list[str]:
    given: list[str] = list(table.align)
    out: list[str] = []
    for c in range(columns):
        if c < len(given) and given[c] != "left":
            out.append(given[c])
            continue
        cells = [row[c] for row in table.rows if c < len(row) and row[c].strip()]
        numeric = bool(cells) and all(_NUMBER.match(cell) for cell in cells)
        out.append("right" if numeric and (c >= len(given)) else "left")
    return out


def _widths(natural: Sequence[float], least: Sequence[float], total: float) -> list[float]:
    """Column widths: natural ones (one line per cell) grown to fill `total`; if they do not fit,
    every column gets its longest word (`least`) and the room left goes to those wanting more."""
    if sum(natural) <= total:
        extra = (total - sum(natural)) / len(natural)
        return [n + extra for n in natural]
    spare = total - sum(least)
    wanting = [max(0.0, n - w) for n, w in zip(natural, least, strict=True)]
    want = sum(wanting) or 1.0
    widths = [w + max(0.0, spare) * x / want for w, x in zip(least, wanting, strict=True)]
    scale = total / sum(widths)
    return [w * scale for w in widths]


def table_block(ctx: Ctx, table: Table, size: int, x: int, width: int, room: int) -> Composed:
    theme = ctx.theme
    out = Composed()
    columns = max(1, len(table.header), *(len(r) for r in table.rows))
    header = [*table.header, *[""] * (columns - len(table.header))]
    rows = [[*r, *[""] * (columns - len(r))][:columns] for r in table.rows]
    aligns = _aligns(table, columns)
    pad_x, pad_y = round(size * 0.5), round(size * 0.3)
    cell = style(ctx, size, theme.text, "cell", leading=1.2)
    head = style(ctx, size, theme.title, "header", leading=1.2)
    natural, least = [], []
    bold = cell.face(BOLD)
    for c in range(columns):
        texts = [_plain(t) for t in [header[c], *(r[c] for r in rows)]]
        # + 2 px: the columns' edges are rounded to whole pixels, which must not push a word's last
        # letter onto a line of its own ("Offlin|e")
        natural.append(max(measure(t, bold) for t in texts) + 2 * pad_x + 2)
        least.append(max([measure(w, bold) for t in texts for w in t.split()] or [0.0]) + 2 * pad_x + 2)
    # a word broken inside a cell is unreadable: smaller type first (the floor accepts it)
    out.overflow = sum(least) > width and size > ctx.frame.px(ctx.frame.scale.code[1])
    widths = _widths(natural, least, width)
    lefts = [x + round(sum(widths[:c])) for c in range(columns)]
    rights = [x + round(sum(widths[: c + 1])) for c in range(columns)]
    top = 0
    stripe = mix(theme.surface, ctx.ground, 0.45)
    for r, cells in enumerate([header, *rows]):
        index = r - 1
        is_head = r == 0
        focused = not is_head and ctx.focus == index
        fill = theme.title if is_head or focused else ctx.dim if ctx.is_dimmed(index) else theme.text
        sets = []
        for c, text in enumerate(cells):
            rich = replace(head if is_head else cell, fill=fill, align=aligns[c])
            pieces = [Frag(f.text, BOLD, f.fill) for f in frags(text)] if is_head else frags(text)
            set_, ok = set_text(
                ctx,
                pieces,
                rich,
                lefts[c] + pad_x,
                rights[c] - lefts[c] - 2 * pad_x,
                top + pad_y,
                room - top,
                item=None if is_head else index,
            )
            out.overflow = out.overflow or not ok
            sets.append(set_)
        bottom = max([s.bottom for s in sets] + [top + pad_y + size]) + pad_y
        box = (x, top, x + width, bottom)
        if is_head:
            out.shapes.append(
                Shape("header", box, theme.surface, radius=round(size * 0.25), alpha=theme.surface_alpha)
            )
            rule = (x, bottom - max(2, size // 14), x + width, bottom)
            out.shapes.append(Shape("bar", rule, theme.accent))
        elif focused:
            out.shapes += spoken_marks(ctx, box, size, index, radius=0.2)
        elif index % 2 == 1:
            out.shapes.append(Shape("row", box, stripe, alpha=0.55 * theme.surface_alpha, item=index))
        for s in sets:
            out.add(s)
        top = bottom
    return out


def _plain(text: str) -> str:
    return "".join(f.text for f in frags(text))


def table_body(ctx: Ctx, size: int, x: int, width: int, room: int) -> Composed:
    """The scene's items as a short lead above its table (if it has any), then the table."""
    out = Composed()
    top = 0
    for n, item in enumerate(ctx.scene.items):
        rich = style(ctx, size, ctx.theme.text, "paragraph", leading=1.25)
        set_, ok = set_text(
            ctx, item.text, rich, x, width, top, room - top, item=None if ctx.scene.table else n
        )
        top = out.add(set_) + round(size * 0.6)
        out.overflow = out.overflow or not ok
    if ctx.scene.table is not None:
        block = table_block(ctx, ctx.scene.table, size, x, width, room - top).shifted(0, top)
        block.overflow = block.overflow or block.bottom() > room
        out.extend(block)
    return out
