"""The text layouts: title card, statement, prose, bullets, quote; and how a title and a body share
the frame (`titled`: title on top, or, on a wide frame, title in a left column beside the body).

Each function sets its content at body size `size` and returns it (`compose.Composed`); the fit
search in `compose.best_fit` picks the size. Highlighting changes colours only, never geometry, so
the stills of one scene differ only where the voice is (prose is the exception: the sentence being
read is set large, so each sentence has its own still).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from app.services.planning import Item
from app.services.visuals.bidi import paragraph_rtl
from app.services.visuals.compose import (
    Composed,
    Ctx,
    center_in,
    frags,
    set_text,
    spoken_marks,
    style,
)
from app.services.visuals.inline import BOLD, Frag
from app.services.visuals.model import Shape
from app.services.visuals.text import measure
from app.services.visuals.themes import mix
from app.services.visuals.titles import cut_title, place_title, title_frags

Body = Callable[[Ctx, int, int, int, int], Composed]  # (ctx, size, x, width, room) -> set at top 0
SIDE_TITLE = 0.34  # of the column: the title's share in a wide frame's side-by-side arrangement
CONTEXT_SIZE = 0.88  # of the body size: prose's neighbour sentences (the read one is 1.22)


def titled(body: Body, arrangement: str) -> Callable[[Ctx, int], Composed]:
    """A layout from a body: the title on top ("top") or in a left column ("side", wide frames)."""

    def layout(ctx: Ctx, size: int) -> Composed:
        f = ctx.frame
        if arrangement == "side" and ctx.scene.title:
            title_w = round(f.column * SIDE_TITLE)
            gap = round(f.column * 0.06)
            head, _ = place_title(ctx, size, f.left, title_w, 0, f.bottom - f.top, max_lines=5)
            content = body(ctx, size, f.left + title_w + gap, f.column - title_w - gap, f.bottom - f.top)
            out = center_in(head, f.top, f.bottom, 0.42)
            out.extend(center_in(content, f.top, f.bottom, 0.45))
            out.overflow = head.overflow or content.overflow
            out.title_size = head.title_size
            return out
        out, bottom = place_title(ctx, size, f.left, f.column, f.top, f.bottom - f.top)
        gap = round(size * 1.1) if ctx.scene.title else 0
        room = f.bottom - bottom - gap
        content = body(ctx, size, f.left, f.column, room)
        if content.extra.get("anchored"):
            out.extend(content.shifted(0, bottom + gap))
        else:
            out.extend(center_in(content, bottom + gap, f.bottom, 0.4))
        return out

    return layout


# bullets ----------------------------------------------------------------------------------------


def _marker(item: Item) -> str | None:
    if item.marker is None:
        return None
    marker = item.marker.strip()
    return "•" if marker in ("", "-", "*", "+", "•") else marker


def items_block(
    ctx: Ctx, items: Sequence[Item], size: int, x: int, width: int, room: int, first: int = 0
) -> Composed:
    """A list (or plain paragraphs, for items without a marker) with the spoken item highlighted."""
    theme = ctx.theme
    out = Composed()
    pad = max(2, round(size * 0.42))  # the highlight's padding: the list is inset by it
    vpad = max(1, round(size * 0.22))
    gap = max(2 * vpad + max(1, size // 8), round(size * 0.5))
    x, width = x + pad, width - 2 * pad
    marker_style = style(ctx, size, theme.accent, "marker")
    numbered = [m for it in items if (m := _marker(it)) and m != "•"]
    marker_w = max([measure(m, marker_style.face(BOLD)) for m in numbered] or [size * 0.5])
    top = vpad  # room for the highlight's panel above the first item and below the last, whichever
    for n, item in enumerate(items):  # is spoken: the size and the words never depend on the focus
        index = first + n
        focused = ctx.focus == index
        dimmed = ctx.is_dimmed(index)
        fill = theme.title if focused else ctx.dim if dimmed else theme.text
        indent = round(item.level * size * 1.25)
        marker = _marker(item)
        rtl = paragraph_rtl(item.text)  # Arabic, Hebrew: mirrored, the marker on the right
        lead = indent + (round(marker_w + size * 0.55) if marker else 0)
        text_x = x if rtl else x + lead
        text_w = width - lead
        rich = style(ctx, size, fill, "bullet" if marker else "paragraph", leading=1.28)
        set_, ok = set_text(ctx, item.text, rich, text_x, text_w, top, room - top - vpad, item=index)
        out.overflow = out.overflow or not ok
        if marker:
            mfill = theme.accent if not dimmed else mix(theme.accent, ctx.ground, 0.5)
            mstyle = style(ctx, size, mfill, "marker", align="left" if rtl else "right")
            mx = x + width - indent - math.ceil(marker_w) - 2 if rtl else x + indent
            mset, _ = set_text(
                ctx,
                [Frag(marker, BOLD)],
                mstyle,
                mx,
                math.ceil(marker_w) + 2,
                top,
                size * 2,
                item=index,
                max_lines=1,
            )
            out.add(mset)
        bottom = set_.bottom
        if focused:
            box = (x - pad, top - vpad, x + width + pad, bottom + vpad)
            out.shapes += spoken_marks(
                ctx, box, size, index, radius=0.3, bar_radius=max(2, round(size * 0.06))
            )
        out.add(set_)
        top = bottom + gap
    return out


def bullets_body(ctx: Ctx, size: int, x: int, width: int, room: int) -> Composed:
    return items_block(ctx, ctx.scene.items, size, x, width, room)


# statement and title card -------------------------------------------------------------------------


def statement_body(ctx: Ctx, size: int, x: int, width: int, room: int) -> Composed:
    """Short text set large: the items as one paragraph, no dimming (it is read in one breath)."""
    text = " ".join(item.text for item in ctx.scene.items)
    rich = style(ctx, round(size * 1.3), ctx.theme.title, "statement", leading=1.22)
    out = Composed()
    set_, ok = set_text(ctx, text, rich, x, width, 0, room, item=0 if ctx.scene.items else None)
    out.add(set_)
    out.overflow = not ok
    return out


def title_card(ctx: Ctx, size: int) -> Composed:
    """The document's title large, the subtitle below, the items (author, date) as a byline."""
    f, theme = ctx.frame, ctx.theme
    align = "center" if f.shape == "square" else "left"
    width = f.column if f.shape != "wide" else round(f.column * 0.78)
    x = f.left + (f.column - width) // 2 if align == "center" else f.left
    out = Composed()
    hero = round(size * 1.9)
    top = 0
    bar_w, bar_h = round(f.short * 0.1), max(5, round(f.short * 0.011))
    bar_x = x + (width - bar_w) // 2 if align == "center" else x
    out.shapes.append(Shape("bar", (bar_x, 0, bar_x + bar_w, bar_h), theme.accent, radius=bar_h // 2))
    top = bar_h + round(hero * 0.45)
    room = f.bottom - f.top
    if ctx.scene.title:
        rich = style(ctx, hero, theme.title, "title", leading=1.1, base="heading", align=align)
        set_, ok = set_text(ctx, title_frags(ctx, ctx.scene.title), rich, x, width, top, room, max_lines=4)
        top = out.add(set_) + round(size * 0.7)
        out.overflow = not ok
        out.title_size = hero
    if ctx.scene.subtitle:
        rich = style(ctx, round(size * 1.05), theme.text, "subtitle", leading=1.25, align=align)
        set_, ok = set_text(ctx, ctx.scene.subtitle, rich, x, width, top, room - top)
        top = out.add(set_) + round(size * 0.9)
        out.overflow = out.overflow or not ok
    for n, item in enumerate(ctx.scene.items):
        rich = style(ctx, round(size * 0.72), theme.muted, "byline", leading=1.3, align=align)
        set_, ok = set_text(ctx, item.text, rich, x, width, top, room - top, item=n)
        top = out.add(set_) + round(size * 0.3)
        out.overflow = out.overflow or not ok
    bias = {"wide": 0.5, "square": 0.5, "tall": 0.62}[f.shape]
    return _keep(out, center_in(out, f.top, f.bottom, bias))


def _keep(source: Composed, moved: Composed) -> Composed:
    moved.overflow, moved.title_size = source.overflow, source.title_size
    return moved


# prose: the sentence being read, large ------------------------------------------------------------


def prose_paragraph(ctx: Ctx, size: int, x: int, width: int, room: int) -> Composed:
    """Every sentence in one paragraph (before the first beat, or for a short paragraph)."""
    pieces: list[Frag] = []
    for n, item in enumerate(ctx.scene.items):
        if n:
            pieces.append(Frag(" "))
        pieces += frags(item.text)
    out = Composed()
    rich = style(ctx, size, ctx.theme.text, "paragraph", leading=1.36)
    set_, ok = set_text(ctx, pieces, rich, x, width, 0, room)
    out.add(set_)
    out.overflow = not ok
    return out


def prose_focus(ctx: Ctx, size: int, x: int, width: int, room: int) -> Composed:
    """The sentence being read large and bright; its neighbours small and dimmed, if they fit whole."""
    theme, items = ctx.theme, ctx.scene.items
    index = ctx.focus if ctx.focus is not None and 0 <= ctx.focus < len(items) else 0
    big = round(size * 1.22)
    fill = theme.title if ctx.focus is not None else theme.text
    rich = style(ctx, big, fill, "paragraph", leading=1.3)
    main, ok = set_text(ctx, items[index].text, rich, x, width, 0, room, item=index)
    out = Composed()
    out.add(main)
    out.overflow = not ok
    height = main.bottom
    main_top = max(0, round((room - height) * 0.45))
    out = out.shifted(0, main_top)
    out.overflow = not ok
    # the neighbours smaller and dimmer, but read at a glance on a phone: two thirds of the read
    # sentence's size, never below the body floor, and less dimmed than other layouts' unspoken items
    small = max(round(size * CONTEXT_SIZE), ctx.frame.px(ctx.frame.scale.body[1]))
    context = style(ctx, small, mix(theme.text, ctx.ground, 0.4), "context", leading=1.3)
    gap = round(size * 0.9)
    rooms = {index - 1: main_top - gap, index + 1: room - main_top - height - gap}
    for neighbour, space in rooms.items():
        if not 0 <= neighbour < len(items) or space < size * 2:
            continue
        probe, fits = set_text(ctx, items[neighbour].text, context, x, width, 0, space, item=neighbour)
        if not fits or not probe.lines:
            continue
        dy = main_top - gap - probe.bottom if neighbour < index else main_top + height + gap
        out.extend(Composed(lines=probe.lines, shapes=probe.shapes).shifted(0, dy))
    out.extra["anchored"] = True  # placed in its room as is: the sentence read stays put
    return out


# quote ------------------------------------------------------------------------------------------


def quote_layout(ctx: Ctx, size: int) -> Composed:
    """A big accent quotation mark, the quote in italics, the attribution (`subtitle`) below."""
    f, theme = ctx.frame, ctx.theme
    out = Composed()
    width = f.column if f.shape != "wide" else round(f.column * 0.84)
    x = f.left + (f.column - width) // 2
    mark = round(size * 3.2)
    mstyle = style(ctx, mark, theme.accent, "marker", base="heading")
    mset, _ = set_text(ctx, [Frag("“")], mstyle, x, width, 0, mark * 2)
    top = out.add(mset) + round(size * 0.25)
    head = 0
    if ctx.scene.title:
        kicker = style(ctx, round(size * 0.75), theme.muted, "title", base="heading")
        kset = cut_title(ctx, ctx.scene.title, kicker, x, width, 0, max_lines=2)  # whole if it fits
        head = kset.bottom + round(size * 0.6)
        out = out.shifted(0, head)
        out.add(kset)
        top += head
    room = f.bottom - f.top
    qsize = round(size * 1.18)
    for n, item in enumerate(ctx.scene.items):
        fill = ctx.dim if ctx.is_dimmed(n) else theme.title
        pieces = [
            Frag(
                p.text,
                "bold_italic" if p.variant == BOLD else "italic" if p.variant == "regular" else p.variant,
            )
            for p in frags(item.text)
        ]
        rich = style(ctx, qsize, fill, "quote", leading=1.3)
        set_, ok = set_text(ctx, pieces, rich, x, width, top, room - top, item=n)
        top = out.add(set_) + round(size * 0.35)
        out.overflow = out.overflow or not ok
    if ctx.scene.subtitle:
        attribution = ctx.scene.subtitle.strip()
        if not attribution.startswith(("—", "-", "–")):
            attribution = "— " + attribution
        align = "right" if f.shape == "wide" else "left"
        rich = style(ctx, round(size * 0.82), theme.muted, "attribution", align=align)
        set_, ok = set_text(ctx, attribution, rich, x, width, top + round(size * 0.5), room - top)
        out.add(set_)
        out.overflow = out.overflow or not ok
    return _keep(out, center_in(out, f.top, f.bottom, 0.45))
