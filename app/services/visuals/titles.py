"""A slide's title: set with its accent rule below, "(2/3)" after it on a continuation slide, and
cut with "…" (the counter kept) when a heading is longer than any frame shows at the smallest size.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.services.visuals.bidi import paragraph_rtl
from app.services.visuals.compose import Composed, Ctx, as_body, frags, set_text, style
from app.services.visuals.inline import REGULAR, Frag
from app.services.visuals.model import Shape
from app.services.visuals.rich import RichStyle, SetText
from app.services.visuals.text import ELLIPSIS

COUNTER_SCALE = 0.62  # "(2/3)" beside the title, relative to its size


def counter_frags(ctx: Ctx) -> list[Frag]:
    """ "(2/3)" on a continuation slide, smaller and muted, joined to the title's last word by a
    no-break space so a wrap never leaves the counter alone on a line; nothing on other slides."""
    if ctx.scene.part is None:
        return []
    n, total = ctx.scene.part
    return [Frag(f"\u00a0({n}/{total})", REGULAR, ctx.theme.muted, COUNTER_SCALE)]


def title_frags(ctx: Ctx, text: str) -> list[Frag]:
    """The title, and its counter on a continuation slide."""
    return [*frags(text), *counter_frags(ctx)]


def cut_title(ctx: Ctx, text: str, rich: RichStyle, x: int, width: int, top: int, max_lines: int) -> SetText:
    """A title longer than `max_lines` lines, cut after the last word that leaves room for "…" and
    a continuation's counter (never cut: it says where the viewer is); inside a word only when the
    first word alone is too long; whole if it fits."""
    pieces, counter = frags(text), counter_frags(ctx)
    whole = "".join(p.text for p in pieces)

    def attempt(keep: int) -> tuple[SetText, bool]:
        kept = _first_chars(pieces, keep)
        if keep < len(whole):
            last = kept[-1] if kept else Frag("")
            kept.append(Frag(ELLIPSIS, last.variant, last.fill))
        return set_text(ctx, [*kept, *counter], rich, x, width, top, 1 << 30, max_lines=max_lines)

    set_, ok = attempt(len(whole))
    if ok:
        return set_
    stripped = whole.rstrip()
    words = [m.start() for m in _WORD_END.finditer(stripped)]
    ends = [len(stripped[:e].rstrip(_CUT_PUNCTUATION)) for e in words]
    ends = sorted({e for e in ends if e > 0})
    first = attempt(ends[0]) if ends else None
    if first is None or not first[1]:  # the first word alone is too long: cut inside it
        ends = list(range(1, len(whole)))
        first = attempt(ends[0])
    best = first[0]
    lo, hi = 0, len(ends) - 1  # ends[lo] fits (or nothing does)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        set_, ok = attempt(ends[mid])
        if ok:
            lo, best = mid, set_
        else:
            hi = mid - 1
    return best


_WORD_END = re.compile(r"(?<=\S)(?=\s)")
_CUT_PUNCTUATION = ",;:–—-("


def _first_chars(pieces: list[Frag], count: int) -> list[Frag]:
    out: list[Frag] = []
    for piece in pieces:
        if count <= 0:
            break
        out.append(replace(piece, text=piece.text[:count]))
        count -= len(piece.text)
    return out


def title_size(ctx: Ctx, size: int) -> int:
    """The title's size for body size `size`: 1.4 times the body, within the frame's title range
    (the same in every layout: a code slide's title is not smaller than a list's)."""
    high, low = ctx.frame.scale.title
    return round(min(ctx.frame.px(high), max(ctx.frame.px(low), as_body(ctx, size) * 1.4)))


def place_title(
    ctx: Ctx, size: int, x: int, width: int, top: int, room: int, *, align: str = "left", max_lines: int = 2
) -> tuple[Composed, int]:
    """The scene's title (if any) and its accent rule below; returns what was set and its bottom."""
    out = Composed()
    text = ctx.scene.title
    if not text or not text.strip():
        return out, top
    tsize = title_size(ctx, size)
    rich = style(ctx, tsize, ctx.theme.title, "title", leading=1.16, base="heading", align=align)
    set_, ok = set_text(ctx, title_frags(ctx, text), rich, x, width, top, room, max_lines=max_lines)
    if not ok and len(set_.lines) > max_lines and tsize <= ctx.frame.px(ctx.frame.scale.title[1]):
        # a heading longer than any frame shows, at its smallest: cut (the body keeps its room)
        set_, ok = cut_title(ctx, text, rich, x, width, top, max_lines), True
        out.extra["truncated"] = True
    bottom = out.add(set_)
    out.overflow = not ok
    out.title_size = tsize
    gap = max(4, round(tsize * 0.32))
    bar_w, bar_h = round(ctx.frame.short * 0.085), max(4, round(ctx.frame.short * 0.008))
    left = x + (width - bar_w) // 2 if align == "center" else x
    if align == "left" and paragraph_rtl(text):  # a right-to-left title is set at the right: so is its rule
        left = x + width - bar_w
    out.shapes.append(
        Shape(
            "bar",
            (left, bottom + gap, left + bar_w, bottom + gap + bar_h),
            ctx.theme.accent,
            radius=bar_h // 2,
        )
    )
    return out, bottom + gap + bar_h
