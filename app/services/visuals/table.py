"""Tables drawn as tables: a header row, zebra rows, columns aligned (numbers to the right unless
the table says otherwise), column widths from what the cells hold, cells wrapped inside them.

A grid whose columns cannot each hold their longest word does not fit (a word broken mid-word,
"Langu|age", cannot be read); then the table is drawn as cards, one per row (`table_cards`): the
row's first cell as its heading, each other cell under its column's name, which reads well on a
phone held upright where five columns cannot. A table that does not fit at the floor either way says
so (`overflow`); the planner then splits its rows into continuation scenes, each with the header.
`focus` is a row index: that row (or card) is highlighted, as the voice says it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.services.planning import Table
from app.services.visuals.compose import Composed, Ctx, frags, set_text, spoken_marks, style
from app.services.visuals.inline import BOLD, REGULAR, Frag
from app.services.visuals.model import Shape
from app.services.visuals.rich import RichStyle, SetText, unbroken
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
        least.append(max([measure(w, bold) for t in texts for w in unbroken(t)] or [0.0]) + 2 * pad_x + 2)
    # a word broken inside a cell is unreadable: smaller type, then cards (`table_cards`)
    out.overflow = sum(least) > width
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
        else:
            if index % 2 == 1:  # a zebra row; spoken, unseen but still where the table is centred
                alpha = 0.0 if focused else 0.55 * theme.surface_alpha
                out.shapes.append(Shape("row", box, stripe, alpha=alpha, item=index))
            if focused:
                out.shapes += spoken_marks(ctx, box, size, index, radius=0.2)
        for s in sets:
            out.add(s)
        top = bottom
    return out


def _plain(text: str) -> str:
    return "".join(f.text for f in frags(text))


CARD_LABEL = 0.45  # of a card's inner width at most: the column of field names


def table_cards(ctx: Ctx, table: Table, size: int, x: int, width: int, room: int) -> Composed:
    """A card per row: its first cell as the card's heading, the others each beside its column's
    name (muted), or every name above its value when that is shorter (a value that would wrap in
    the narrower room beside the names) or the longest name would take more than `CARD_LABEL` of
    the card; the spoken card highlighted, the others dimmed. Words stay whole: a word wider than
    its room makes the type smaller (`overflow`) rather than breaking it. On a frame that is not
    upright, cards stand two abreast when that is shorter (a square slide holds twice as many)."""
    cards = _Cards.of(ctx, table, size)
    best = _cards_across(ctx, cards, x, width, room, 1)
    if ctx.frame.shape != "tall" and len(table.rows) > 1:
        two = _cards_across(ctx, cards, x, width, room, 2)
        if not two.overflow and two.bottom() < best.bottom():
            best = two
    return best


@dataclass(frozen=True)
class _Cards:
    """A table's cards at one size: what every arrangement of them shares, measured once."""

    size: int
    names: list[str]  # the columns' names after the first (the cards' field labels)
    rows: list[list[str]]  # each as many cells as there are columns
    label_style: RichStyle
    key_style: RichStyle
    value_style: RichStyle
    widest_name: int
    longest_value: float  # the widest word of any value
    longest: float  # the widest word of anything a card shows

    @staticmethod
    def of(ctx: Ctx, table: Table, size: int) -> _Cards:
        columns = max(1, len(table.header), *(len(r) for r in table.rows))
        header = [*table.header, *[""] * (columns - len(table.header))]
        rows = [[*r, *[""] * (columns - len(r))][:columns] for r in table.rows]
        label_style = style(ctx, round(size * 0.82), ctx.theme.muted, "header", leading=1.2)
        key_style = style(ctx, round(size * 1.08), ctx.theme.text, "cell", leading=1.2)
        value_style = style(ctx, size, ctx.theme.text, "cell", leading=1.2)
        names = [_plain(h) for h in header[1:]]
        widest = round(max([measure(n, label_style.face(REGULAR)) for n in names] or [0.0])) + 2
        longest_value = _longest([c for r in rows for c in r[1:]], value_style)
        longest = max(_longest([r[0] for r in rows], key_style), _longest(names, label_style), longest_value)
        return _Cards(size, names, rows, label_style, key_style, value_style, widest, longest_value, longest)

    def widths(self, width: int, across: int) -> tuple[int, int, int]:
        """(card width, gap between cards, card's inner width) for `across` cards in `width`."""
        gap = round(self.size * 0.4)
        card_w = (width - gap * (across - 1)) // across
        return card_w, gap, card_w - 2 * round(self.size * 0.55)


def _cards_across(ctx: Ctx, cards: _Cards, x: int, width: int, room: int, across: int) -> Composed:
    """The cards `across` abreast, each field's name beside its value or above it, the shorter."""
    inner = cards.widths(width, across)[2]
    widest, size = cards.widest_name, cards.size
    stacked = _cards(ctx, cards, x, width, room, None, across)
    if widest > inner * CARD_LABEL or cards.longest_value > inner - widest - round(size * 0.5):
        return stacked
    beside = _cards(ctx, cards, x, width, room, widest, across)
    return beside if beside.bottom() <= stacked.bottom() else stacked


def _cards(
    ctx: Ctx, cards: _Cards, x: int, width: int, room: int, label_w: int | None, across: int
) -> Composed:
    """The cards, `across` abreast (a row of them as tall as its tallest), each field's name
    `label_w` wide beside its value, or above it (None)."""
    theme, size, rows = ctx.theme, cards.size, cards.rows
    out = Composed()
    # tight: upright, cards stand one above the other, so their height decides how many rows a
    # slide holds
    pad_x, pad_y = round(size * 0.55), round(size * 0.3)
    card_w, gap, inner = cards.widths(width, across)
    beside = label_w is not None
    value_dx = label_w + round(size * 0.5) if label_w is not None else 0
    label_room = label_w if label_w is not None else inner
    # only a word wider than the whole card is broken, and only at the floor
    out.overflow = cards.longest > inner and size > ctx.frame.px(ctx.frame.card_sizes[1])
    step = round(size * 0.12)
    top = 0
    bottoms: list[int] = []
    for index, cells in enumerate(rows):
        fill = theme.title if ctx.focus == index else ctx.dim if ctx.is_dimmed(index) else theme.text
        muted = ctx.dim if ctx.is_dimmed(index) else theme.muted
        x_card = x + (index % across) * (card_w + gap)
        y = top + pad_y
        key_pieces = [Frag(f.text, BOLD, f.fill) for f in frags(cells[0])]
        key = replace(cards.key_style, fill=fill)
        set_, ok = set_text(ctx, key_pieces, key, x_card + pad_x, inner, y, room - y, item=index)
        out.overflow = out.overflow or not ok
        y = out.add(set_) + round(size * 0.15)
        for name, text in zip(cards.names, cells[1:], strict=True):
            label, value = replace(cards.label_style, fill=muted), replace(cards.value_style, fill=fill)
            lset, ok_l = set_text(ctx, name, label, x_card + pad_x, label_room, y, room - y, item=index)
            vtop = y if beside else lset.bottom
            vx = x_card + pad_x + value_dx
            vset, ok_v = set_text(
                ctx, text or "–", value, vx, inner - value_dx, vtop, room - vtop, item=index
            )
            if beside:  # the name on the value's first baseline
                lset = set_lines_at(lset, vset)
            out.overflow = out.overflow or not (ok_l and ok_v)
            out.add(lset)
            y = max(lset.bottom, out.add(vset)) + step
        bottoms.append(y - step + pad_y)
        if index % across == across - 1 or index == len(rows) - 1:  # a row of cards done
            first = index - index % across
            bottom = max(bottoms)
            for n in range(first, index + 1):
                left = x + (n % across) * (card_w + gap)
                box = (left, top, left + card_w, bottom)
                stripe = mix(theme.surface, ctx.ground, 0.45)
                # the spoken card's own panel is unseen under its highlight, but still counts where
                # the cards are centred: they must not move as the highlight does
                alpha = 0.0 if ctx.focus == n else 0.55 * theme.surface_alpha
                out.shapes.append(Shape("row", box, stripe, radius=round(size * 0.3), alpha=alpha, item=n))
                if ctx.focus == n:
                    out.shapes += spoken_marks(ctx, box, size, n, radius=0.3)
            top, bottoms = bottom + gap, []
    return out


def _longest(texts: Sequence[str], rich: RichStyle) -> float:
    """The widest single word of `texts` (bold, to be safe: a cell may set words in bold)."""
    face = rich.face(BOLD)
    return max([measure(w, face) for t in texts for w in unbroken(_plain(t))] or [0.0])


def set_lines_at(label: SetText, value: SetText) -> SetText:
    """`label` moved down so its baseline is the value's first baseline (a smaller name beside it)."""
    if not label.lines or not value.lines or not label.lines[0].runs or not value.lines[0].runs:
        return label
    dy = value.lines[0].runs[0].origin[1] - label.lines[0].runs[0].origin[1]
    moved = Composed(lines=label.lines, shapes=label.shapes).shifted(0, dy)
    return SetText(moved.lines, moved.shapes, label.top + dy, label.bottom + dy, label.cut)


def table_body(ctx: Ctx, size: int, x: int, width: int, room: int, *, cards: bool = False) -> Composed:
    """The scene's items as a short lead above its table (if it has any), then the table (as a
    grid, or as a card per row)."""
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
        draw = table_cards if cards else table_block
        block = draw(ctx, ctx.scene.table, size, x, width, room - top).shifted(0, top)
        block.overflow = block.overflow or block.bottom() > room
        out.extend(block)
    return out


def cards_body(ctx: Ctx, size: int, x: int, width: int, room: int) -> Composed:
    return table_body(ctx, size, x, width, room, cards=True)
