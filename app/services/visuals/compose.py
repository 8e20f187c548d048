"""Composing a slide: the pieces every layout is built from (blocks of text, moving what was set;
the title is `titles`) and the search for the largest type that fits.

A layout is a function `(Ctx, size) -> Composed`: everything set at body size `size` (pixels),
and whether it stayed inside the room. `best_fit` asks for the floor first (does it fit at all?)
and then bisects up to the largest size that fits; below the floor it keeps shrinking (nothing is
cut) and says the scene does not fit; only at `ABSOLUTE_MIN` of the floor is text cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from app.services.planning import Scene
from app.services.visuals.fontfiles import load_font
from app.services.visuals.fonts import FontSet
from app.services.visuals.frame import ABSOLUTE_MIN, Frame
from app.services.visuals.inline import REGULAR, Frag, parse_inline
from app.services.visuals.model import Box, DrawnRun, Picture, Shape, TextLine
from app.services.visuals.rich import RichStyle, SetText, set_lines, wrap
from app.services.visuals.text import ELLIPSIS, ink_box
from app.services.visuals.themes import RGB, Theme, mix

MAX_SHOWN_CHARS = 6000  # of one text: more than any frame holds at the smallest size


@dataclass(frozen=True)
class Ctx:
    """What one layout pass needs: the scene, the frame, the theme's colours and fonts, the focus."""

    scene: Scene
    frame: Frame
    theme: Theme
    fonts: FontSet
    focus: int | None
    variant: int  # the scene's place in the video: layouts mirror and alternate with it
    ground: RGB  # the middle of this scene's background: what dimmed colours fade towards

    @property
    def dim(self) -> RGB:
        """Text that is not being spoken: between the text colour and the background."""
        return mix(self.theme.text, self.ground, 0.52)

    def is_dimmed(self, item: int) -> bool:
        return self.focus is not None and item != self.focus


@dataclass
class Composed:
    lines: list[TextLine] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    overflow: bool = False  # something did not fit the room at this size
    size: int = 0
    title_size: int | None = None
    extra: dict[str, object] = field(default_factory=dict)  # layout-specific (a full-bleed picture)

    def add(self, text: SetText) -> int:
        if text.cut:
            self.extra["truncated"] = True
        self.lines += text.lines
        self.shapes += text.shapes
        return text.bottom

    def extend(self, other: Composed) -> None:
        self.lines += other.lines
        self.shapes += other.shapes
        self.pictures += other.pictures
        self.overflow = self.overflow or other.overflow
        if other.extra.get("truncated"):
            self.extra["truncated"] = True

    def top(self) -> int:
        tops = [b[1] for _, b in self.boxes()]
        return min(tops, default=0)

    def bottom(self) -> int:
        return max((b[3] for _, b in self.boxes()), default=0)

    def boxes(self) -> list[tuple[str, Box]]:
        return [
            *((line.role, line.box) for line in self.lines),
            *((s.kind, s.box) for s in self.shapes),
            *(("picture", p.box) for p in self.pictures),
        ]

    def shifted(self, dx: int, dy: int) -> Composed:
        return replace(
            self,
            lines=[shift_line(line, dx, dy) for line in self.lines],
            shapes=[replace(s, box=shift_box(s.box, dx, dy)) for s in self.shapes],
            pictures=[replace(p, box=shift_box(p.box, dx, dy)) for p in self.pictures],
        )


def shift_box(box: Box, dx: int, dy: int) -> Box:
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def shift_line(line: TextLine, dx: int, dy: int) -> TextLine:
    runs = tuple(
        replace(r, origin=(r.origin[0] + dx, r.origin[1] + dy), box=shift_box(r.box, dx, dy))
        for r in line.runs
    )
    return replace(line, runs=runs, box=shift_box(line.box, dx, dy))


def frags(text: str, fill: RGB | None = None) -> list[Frag]:
    """Inline Markdown as fragments (bounded: a frame never shows more than MAX_SHOWN_CHARS)."""
    if len(text) > MAX_SHOWN_CHARS:
        cut = text.rfind(" ", 0, MAX_SHOWN_CHARS)
        text = text[: cut if cut > MAX_SHOWN_CHARS // 2 else MAX_SHOWN_CHARS] + ELLIPSIS
    parsed = parse_inline(text)
    return [replace(f, fill=fill) if fill else f for f in parsed]


def style(
    ctx: Ctx,
    size: int,
    fill: RGB,
    role: str,
    *,
    leading: float = 1.3,
    base: str = REGULAR,
    align: str = "left",
) -> RichStyle:
    """A text style in this scene's theme: inline code in the second accent (or dimmed with its
    text), on a pill between the surface and the background."""
    theme = ctx.theme
    return RichStyle(
        ctx.fonts,
        max(1, size),
        fill,
        role,
        leading=leading,
        base=base,
        code_fill=theme.accent2 if fill != ctx.dim else fill,
        pill=mix(theme.surface, ctx.ground, 0.35),
        align=align,
    )


def spoken_marks(
    ctx: Ctx, box: Box, size: int, item: int, *, radius: float, bar_radius: int = 0
) -> list[Shape]:
    """What marks the item being spoken: a panel behind it (`radius` of the size) and an accent bar
    along its left edge."""
    theme = ctx.theme
    bar = (box[0], box[1], box[0] + max(4, round(size * 0.12)), box[3])
    return [
        Shape(
            "highlight", box, theme.surface, radius=round(size * radius), alpha=theme.surface_alpha, item=item
        ),
        Shape("focus", bar, theme.accent, radius=bar_radius, item=item),
    ]


def lines_limit(height: int, size: int) -> int:
    """More lines than could fit `height` at `size`: wrapping stops there."""
    return max(1, height // max(1, int(size * 1.1))) + 1


def set_text(
    ctx: Ctx,
    text: str | Sequence[Frag],
    rich: RichStyle,
    x: int,
    width: int,
    top: int,
    room: int,
    item: int | None = None,
    max_lines: int | None = None,
) -> tuple[SetText, bool]:
    """Wrap and set text in `width` from `top`; False when it needs more than `room` or `max_lines`."""
    pieces = frags(text) if isinstance(text, str) else list(text)
    limit = lines_limit(room, rich.size) if max_lines is None else max_lines
    wrapped = wrap(pieces, rich, width, limit)
    too_many = len(wrapped) > limit
    set_ = set_lines(wrapped[: limit + 1] if too_many else wrapped, rich, x, width, top, item)
    set_.cut = isinstance(text, str) and len(text) > MAX_SHOWN_CHARS
    return set_, not too_many and set_.bottom - top <= room


def as_body(ctx: Ctx, size: int) -> float:
    """A layout's type size as the body size it stands for: code is set on its own, denser scale
    (`TypeScale.code`), so its largest size stands for the largest body size. Titles and a code
    scene's lead text follow this, so they match the other layouts' at the same density."""
    if ctx.scene.layout != "code":
        return float(size)
    frame = ctx.frame
    return size * frame.px(frame.scale.body[0]) / frame.px(frame.scale.code[0])


FOCUS_SHAPES = frozenset({"highlight", "focus"})  # drawn around the spoken item only


def center_in(content: Composed, top: int, bottom: int, bias: float = 0.45) -> Composed:
    """Move content into the vertical room [top, bottom], `bias` of the spare room above it. The
    spoken item's panel does not count: the words stay put while the highlight moves."""
    steady = [box for kind, box in content.boxes() if kind not in FOCUS_SHAPES]
    if not steady:
        return content
    upper, lower = min(b[1] for b in steady), max(b[3] for b in steady)
    spare = (bottom - top) - (lower - upper)
    dy = top - upper + max(0, round(spare * bias))
    return content.shifted(0, dy)


Layout = Callable[[Ctx, int], Composed]


def best_fit(
    ctx: Ctx,
    layout: Layout,
    sizes: tuple[float, float],
    min_size: int | None = None,
    max_size: int | None = None,
) -> Composed:
    """The largest body size in [floor, largest] at which `layout` fits; below the floor if nothing
    fits there (marked not fitting); at ABSOLUTE_MIN of the floor, whatever that gives (cut)."""
    frame = ctx.frame
    largest, floor = frame.px(sizes[0]), frame.px(sizes[1])
    if min_size is not None:
        floor = max(floor, min_size)
        largest = max(largest, floor)
    if max_size is not None:
        largest = max(min(largest, max_size), floor)
    at_floor = _run(ctx, layout, floor)
    if at_floor.overflow:
        size = floor
        lowest = max(6, round(floor * ABSOLUTE_MIN))
        while size > lowest:
            size = max(lowest, int(size * 0.88))
            out = _run(ctx, layout, size)
            if not out.overflow:
                out.extra["fits"] = False
                return out
        return _clip(ctx, _run(ctx, layout, lowest))
    low, high, best = floor, largest, at_floor
    top_try = _run(ctx, layout, high)
    if not top_try.overflow:
        return top_try
    while high - low > 1:
        mid = (low + high) // 2
        out = _run(ctx, layout, mid)
        if out.overflow:
            high = mid
        else:
            low, best = mid, out
    return best


def shared_size(ctxs: Sequence[Ctx], layout: Layout, sizes: tuple[float, float]) -> int:
    """The largest size at which `layout` fits in every one of `ctxs` (states of one scene): a
    state that fits at the size so far costs one pass, only one that does not searches lower."""
    size: int | None = None
    for ctx in ctxs:
        if size is not None and not _run(ctx, layout, size).overflow:
            continue
        size = best_fit(ctx, layout, sizes, max_size=size).size
    return size if size is not None else ctxs[0].frame.px(sizes[1])


def at_size(ctx: Ctx, layout: Layout, size: int, floor: float | None = None) -> Composed:
    """`layout` set at `size` (found by `shared_size`): cut only if even that does not fit; below
    `floor` (the layout's, body's if None) it does not fit."""
    out = _run(ctx, layout, size)
    if out.overflow:
        return _clip(ctx, out)
    if size < ctx.frame.px(ctx.frame.scale.body[1] if floor is None else floor):
        out.extra["fits"] = False
    return out


def _run(ctx: Ctx, layout: Layout, size: int) -> Composed:
    out = layout(ctx, size)
    out.size = size
    if not out.overflow:  # the spoken item's panel keeps inside its block (`items_block`)
        out.overflow = any(
            not inside(box, ctx.frame.safe) for kind, box in out.boxes() if kind not in FOCUS_SHAPES
        )
    out.extra.setdefault("fits", not out.overflow)
    return out


def inside(box: Box, area: Box, slack: int = 2) -> bool:
    return (
        box[0] >= area[0] - slack
        and box[1] >= area[1] - slack
        and box[2] <= area[2] + slack
        and box[3] <= area[3] + slack
    )


def _clip(ctx: Ctx, out: Composed) -> Composed:
    """The last resort for absurd input: drop what leaves the room, the last line kept ends in '…'."""
    safe = ctx.frame.safe
    kept = [line for line in out.lines if inside(line.box, safe)]
    if kept and len(kept) < len(out.lines):
        kept[-1] = _with_ellipsis(kept[-1], safe[2])
    out.lines = kept
    out.shapes = [s for s in out.shapes if inside(s.box, safe)]
    out.pictures = [p for p in out.pictures if inside(p.box, safe)]
    out.extra.update(fits=False, truncated=True)
    out.overflow = False
    return out


def _with_ellipsis(line: TextLine, right: int) -> TextLine:
    if not line.runs:
        return line
    last = line.runs[-1]
    font = load_font(last.font, last.size, last.weight)
    width = round(font.getlength(ELLIPSIS))
    runs = list(line.runs)
    while runs and runs[-1].box[2] + width > right and len(runs[-1].text) > 1:
        r = runs[-1]
        text = r.text[:-1]
        x1 = r.origin[0] + round(load_font(r.font, r.size, r.weight).getlength(text))
        runs[-1] = replace(r, text=text, box=(r.box[0], r.box[1], x1, r.box[3]))
    end = runs[-1].box[2] if runs else line.box[0]
    left, top, _, bottom = ink_box(font, ELLIPSIS)
    y = last.origin[1]
    runs.append(
        DrawnRun(
            ELLIPSIS,
            last.font,
            last.size,
            last.weight,
            (end, y),
            (end + left, y + top, end + width, y + bottom),
            last.fill,
        )
    )
    return replace(line, runs=tuple(runs), text=line.text + ELLIPSIS)
