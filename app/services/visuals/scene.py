"""From a plan scene to a `SlideLayout`: pick the layout and its arrangement for the frame's shape,
find the largest type that fits, add the backdrop and the logo. `fits` answers the planner's
question (does this scene fit at or above the type floor?) with one layout pass at the floor.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Callable
from dataclasses import replace

from app.services.models import VideoFormat
from app.services.planning import Scene, Table
from app.services.visuals.backdrop import backdrop_for
from app.services.visuals.code import code_body
from app.services.visuals.compose import (
    FOCUS_SHAPES,
    Composed,
    Ctx,
    Layout,
    at_size,
    best_fit,
    inside,
    shared_size,
)
from app.services.visuals.fonts import FontSet, themed_fontset
from app.services.visuals.frame import Frame, make_frame
from app.services.visuals.layouts import (
    bullets_body,
    prose_focus,
    prose_paragraph,
    quote_layout,
    statement_body,
    title_card,
    titled,
)
from app.services.visuals.media import full_image, image_size, picture
from app.services.visuals.media import image_text as image_text_layout
from app.services.visuals.model import Backdrop, Box, Picture, SlideLayout
from app.services.visuals.table import cards_body, table_body
from app.services.visuals.theme_file import load_theme
from app.services.visuals.themes import Theme, mix

Sizes = tuple[float, float]
SIDE_MAX_ITEMS = 6  # a wide frame's bullets go beside the title up to this many items
PROSE_SHOWN = {"title", "part", "items"}  # what a prose scene's type size depends on
TABLE_SHOWN = {"title", "part", "items", "table"}  # ... and a split table's part's
CRISP_DECORATIONS = frozenset({"dots", "ring"})  # sharp: text running over them reads as a glitch


def scene_index(scene: Scene) -> int:
    """The scene's place in the video, from its id ("s3", "s3.2" -> 3; continuations share it)."""
    match = re.search(r"\d+", scene.id)
    return int(match.group()) if match else zlib.crc32(scene.id.encode("utf-8"))


def _candidates(ctx: Ctx) -> list[tuple[Layout, Sizes]]:
    """The arrangements to try, preferred first, each with its (largest, floor) body size."""
    scale, shape, scene = ctx.frame.scale, ctx.frame.shape, ctx.scene
    body = scale.body
    kind = scene.layout
    if kind == "title":
        return [(title_card, body)]
    if kind == "statement":
        return [(titled(statement_body, "top"), body)]
    if kind == "quote":
        return [(quote_layout, body)]
    if kind == "image_text":
        return [(image_text_layout, body)]
    if kind == "full_image":
        return [(full_image, body)]
    if kind == "picture":
        return [(picture, body)]
    if kind == "table":  # a grid while every column holds its longest word, else a card per row
        grid = (body[0], body[1] if shape == "tall" else scale.code[1])  # upright: cards read better
        cards = ctx.frame.card_sizes
        forms = {"grid": (titled(table_body, "top"), grid), "cards": (titled(cards_body, "top"), cards)}
        form = scene.table.form if scene.table is not None else None
        return [forms[form]] if form is not None else list(forms.values())  # a split table's parts: one form
    if kind == "code":
        return [(titled(code_body, "top"), scale.code)]
    if kind == "prose":
        return _prose(ctx)
    bullets = [(titled(bullets_body, "top"), body)]
    if shape == "wide" and scene.title and len(scene.items) <= SIDE_MAX_ITEMS:
        return [(titled(bullets_body, "side"), body), *bullets]
    return bullets


def _prose(ctx: Ctx) -> list[tuple[Layout, Sizes]]:
    """Before the first beat (focus None) the whole paragraph, if it fits; else sentence by sentence."""
    focus = [(titled(prose_focus, "top"), ctx.frame.scale.body)]
    if ctx.focus is None or len(ctx.scene.items) <= 1:
        return [(titled(prose_paragraph, "top"), ctx.frame.scale.body), *focus]
    return focus


def _choose(ctx: Ctx) -> Composed:
    candidates = _candidates(ctx)
    table = ctx.scene.table
    if table is not None and table.rows_per_part and table.form is not None and table.rows:
        layout, sizes = candidates[-1]  # a split table's part: one form
        size = _kept_size(ctx, TABLE_SHOWN, lambda: _part_size(ctx, layout, sizes, table))
        return at_size(ctx, layout, size, sizes[1])
    for layout, sizes in candidates[:-1]:
        probe = layout(ctx, ctx.frame.px(sizes[1]))
        if not probe.overflow and all(inside(b, ctx.frame.safe) for _, b in probe.boxes()):
            return best_fit(ctx, layout, sizes)
    layout, sizes = candidates[-1]
    if ctx.scene.layout == "prose" and len(ctx.scene.items) > 1:  # sentence by sentence
        states = [replace(ctx, focus=n) for n in range(len(ctx.scene.items))]
        return at_size(ctx, layout, _kept_size(ctx, PROSE_SHOWN, lambda: shared_size(states, layout, sizes)))
    return best_fit(ctx, layout, sizes)


def _part_size(ctx: Ctx, layout: Layout, sizes: Sizes, table: Table) -> int:
    """A split table's part is sized as if it held as many rows as the fullest part (its own rows
    repeated), so one table's parts share a type size: a short last part is not set larger."""
    want = table.rows_per_part or len(table.rows)
    rows = [table.rows[n % len(table.rows)] for n in range(max(want, len(table.rows)))]
    full = ctx.scene.model_copy(update={"table": table.model_copy(update={"rows": rows})})
    shared = max(best_fit(replace(ctx, scene=full, focus=None), layout, sizes).size, ctx.frame.px(sizes[1]))
    return min(shared, best_fit(ctx, layout, sizes).size)  # never above the floor for copied rows


_SIZES: dict[tuple[object, ...], int] = {}
_SIZES_LOCK = threading.Lock()
SIZES_KEPT = 64  # scenes' sizes remembered: a render draws a scene's states close together


def _kept_size(ctx: Ctx, shown: set[str], search: Callable[[], int]) -> int:
    """A type size shared by every state of a scene (a prose scene's sentences, a split table's
    part), searched once per scene by what it depends on (`shown`), not again for each still: the
    layouts' geometry does not move with the highlight."""
    scene = ctx.scene
    key = (scene.layout, scene.model_dump_json(include=shown), ctx.frame, ctx.theme, ctx.fonts, ctx.variant)
    size = _SIZES.get(key)
    if size is None:
        size = search()
        with _SIZES_LOCK:  # stills are drawn in several threads
            if len(_SIZES) >= SIZES_KEPT:
                _SIZES.pop(next(iter(_SIZES)), None)
            _SIZES[key] = size
    return size


def _with_logo(frame: Frame, theme: Theme) -> tuple[Frame, Picture | None]:
    """The theme's logo in its corner; the content keeps clear of its row."""
    logo = theme.logo
    if logo is None:
        return frame, None
    w, h = image_size(logo.path)
    height = round(frame.short * logo.size)
    width = round(w * height / max(1, h))
    left, top, right, bottom = frame.safe
    x = left if logo.position.endswith("left") else right - width
    if logo.position.startswith("top"):
        box, safe = (
            (x, top, x + width, top + height),
            (left, top + height + round(height * 0.4), right, bottom),
        )
    else:
        box, safe = (
            (x, bottom - height, x + width, bottom),
            (left, top, right, bottom - height - round(height * 0.4)),
        )
    return replace(frame, safe=safe), Picture(logo.path, box, "contain")


def _content_boxes(composed: Composed) -> list[Box]:
    """Words, pictures and panels (a code block's, a table's header): what a decoration keeps off."""
    return [b for kind, b in composed.boxes() if kind not in FOCUS_SHAPES]  # the same in every state


def _clear_of_text(backdrop: Backdrop, boxes: list[Box], width: int) -> Backdrop:
    """Crisp decorations (a dot grid, a ring) never run through text, a picture or a panel: one that would
    moves to the other side, or, if it is in the way there too, is left out."""

    def hits(box: Box) -> bool:
        return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)

    kept = []
    for d in backdrop.decorations:
        if d.kind not in CRISP_DECORATIONS or not hits(d.box):
            kept.append(d)
            continue
        x0, y0, x1, y1 = d.box
        mirrored = replace(d, box=(width - x1, y0, width - x0, y1))
        if not hits(mirrored.box):
            kept.append(mirrored)
    return replace(backdrop, decorations=tuple(kept))


def shown_text(scene: Scene) -> str:
    """The text a scene shows (what decides, e.g., Japanese or Chinese glyph forms)."""
    parts = [scene.title or "", scene.subtitle or "", *(item.text for item in scene.items)]
    if scene.table is not None:
        parts += [*scene.table.header, *(cell for row in scene.table.rows for cell in row)]
    if scene.image is not None:
        parts.append(scene.image.alt)
    return "\n".join(parts)


def compose_scene(
    scene: Scene,
    fmt: VideoFormat,
    theme: Theme | str,
    focus: int | None = None,
    *,
    captions_burned: bool = False,
    index: int | None = None,
    fonts: FontSet | None = None,
) -> SlideLayout:
    """Everything that will be drawn for this scene with item `focus` highlighted."""
    theme = load_theme(theme)
    frame, logo = _with_logo(make_frame(fmt.size, theme, captions_burned), theme)
    fonts = (fonts or themed_fontset(theme.heading_font, theme.body_font, theme.mono_font)).for_text(
        shown_text(scene)
    )
    variant = scene_index(scene) if index is None else index
    backdrop = backdrop_for(theme, frame, variant)
    ctx = Ctx(scene, frame, theme, fonts, focus, variant, mix(*backdrop.colors, 0.5))
    composed = _choose(ctx)
    text = _content_boxes(composed)
    if scene.layout == "prose":  # its words move with the focus: the decoration keeps off them all
        text.append(frame.safe)
    backdrop = _clear_of_text(backdrop, text, fmt.size[0])
    full_bleed = composed.extra.get("backdrop")
    if full_bleed is not None:
        backdrop = backdrop_for(theme, frame, variant, quiet=True)
    if isinstance(full_bleed, Picture):
        shade = composed.extra.get("shade")
        backdrop = replace(backdrop, picture=full_bleed, shade=shade if isinstance(shade, tuple) else None)
    elif theme.background_image is not None:
        bg = theme.background_image
        backdrop = replace(backdrop, picture=Picture(bg.path, (0, 0, *fmt.size), "cover"), dim=bg.dim)
    return SlideLayout(
        size=fmt.size,
        theme=theme,
        layout=scene.layout,
        backdrop=backdrop,
        lines=tuple(composed.lines),
        shapes=tuple(composed.shapes),
        pictures=tuple(composed.pictures),
        safe=frame.safe,
        title_size=composed.title_size,
        body_size=composed.size or None,
        fits=bool(composed.extra.get("fits", True)),
        truncated=bool(composed.extra.get("truncated", False)),
        logo=logo,
    )


def fits(scene: Scene, fmt: VideoFormat, theme: Theme | str, *, captions_burned: bool = False) -> bool:
    """Whether the scene's content fits at or above the type floor (False: split it).

    One layout pass at the floor per distinct geometry: a prose scene is set sentence by sentence,
    so each sentence must fit; other layouts look the same whatever is highlighted.
    """
    theme = load_theme(theme)
    frame, _ = _with_logo(make_frame(fmt.size, theme, captions_burned), theme)
    fonts = themed_fontset(theme.heading_font, theme.body_font, theme.mono_font).for_text(shown_text(scene))
    foci: list[int | None] = [None]
    if scene.layout == "prose" and len(scene.items) > 1:
        foci = list(range(len(scene.items)))
    for focus in foci:
        ground = mix(*backdrop_for(theme, frame, scene_index(scene)).colors, 0.5)
        ctx = Ctx(scene, frame, theme, fonts, focus, scene_index(scene), ground)
        if not any(_fits_at_floor(ctx, layout, sizes) for layout, sizes in _candidates(ctx)):
            return False
    return True


def _fits_at_floor(ctx: Ctx, layout: Callable[[Ctx, int], Composed], sizes: Sizes) -> bool:
    probe = layout(ctx, ctx.frame.px(sizes[1]))
    return not probe.overflow and all(inside(b, ctx.frame.safe) for _, b in probe.boxes())
