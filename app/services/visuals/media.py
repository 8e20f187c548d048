"""Layouts led by a picture: image beside text (stacked on tall and square frames), a full-bleed
image with a caption band, and a given picture as the whole slide.

Images arrive as validated local files (the images stage resolves and checks them before drawing);
a picture's box is decided here, so a test knows where it lands; `drawing` fits or crops it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.fsutil import file_stamp
from app.errors import RenderError
from app.services.planning import ImageRef
from app.services.visuals.compose import Composed, Ctx, center_in, set_text, style
from app.services.visuals.layouts import items_block
from app.services.visuals.model import (
    COVER_MIN_KEPT,
    GRAPHIC_MAX_COLOURS,
    GRAPHIC_MIN_KEPT,
    SCRIM_FADE,
    Box,
    Picture,
    Shape,
)
from app.services.visuals.themes import mix
from app.services.visuals.titles import place_title


def _stamp(path: Path) -> tuple[int, int]:
    """The picture file's (size, mtime) for the caches below (a file edited in place is read again);
    a missing file fails here."""
    stamp = file_stamp(path)
    if stamp is None:
        raise RenderError(f"image {path.name} is missing")
    return stamp


@lru_cache(maxsize=256)
def _size_of(path: Path, stamp: tuple[int, int]) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            width, height = im.size
            return int(width), int(height)
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise RenderError(f"cannot read image {path.name}: {exc}") from None


def image_size(path: Path) -> tuple[int, int]:
    return _size_of(path, _stamp(path))


def contained(size: tuple[int, int], box: Box) -> Box:
    """The largest box of the image's proportions inside `box`, centred."""
    width, height = box[2] - box[0], box[3] - box[1]
    scale = min(width / size[0], height / size[1])
    w, h = round(size[0] * scale), round(size[1] * scale)
    left, top = box[0] + (width - w) // 2, box[1] + (height - h) // 2
    return (left, top, left + w, top + h)


@lru_cache(maxsize=256)
def _is_graphic(path: Path, stamp: tuple[int, int]) -> bool:
    """A diagram, chart or screenshot (few distinct colours in a thumbnail), not a photograph: its
    edges carry labels, so it is not cropped to fill a frame."""
    try:
        with Image.open(path) as im:
            im.draft("RGB", (128, 128))
            thumb = im.convert("RGB").resize((64, 64), Image.Resampling.NEAREST)
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise RenderError(f"cannot read image {path.name}: {exc}") from None
    pixels = np.asarray(thumb, dtype=np.uint32).reshape(-1, 3)
    colours = np.unique(pixels[:, 0] << 16 | pixels[:, 1] << 8 | pixels[:, 2])
    return len(colours) < GRAPHIC_MAX_COLOURS


def cover_fit(path: Path, box: Box) -> str:
    """Cover when cropping to fill `box` keeps most of the picture, else "blurred" (shown whole)."""
    width, height = image_size(path)
    box_ratio = (box[2] - box[0]) / max(1, box[3] - box[1])
    kept = min(width / height / box_ratio, box_ratio * height / width)
    graphic = _is_graphic(path, _stamp(path))
    return "cover" if kept >= (GRAPHIC_MIN_KEPT if graphic else COVER_MIN_KEPT) else "blurred"


def _picture(ref: ImageRef, box: Box, radius: int = 0) -> Picture:
    path = Path(ref.path)
    if ref.fit == "contain":
        box = contained(image_size(path), box)
    else:
        image_size(path)  # a broken file fails here, at layout time
    return Picture(path, box, ref.fit, radius)


def image_text(ctx: Ctx, size: int) -> Composed:
    """Wide: picture on one side (alternating scene to scene), title and text on the other.
    Tall and square: picture on top, title and text below."""
    f, scene = ctx.frame, ctx.scene
    out = Composed()
    radius = round(f.short * 0.02)
    if f.shape == "wide":
        pic_w = round(f.column * 0.47)
        gap = round(f.column * 0.05)
        on_left = ctx.variant % 2 == 0
        pic_box = (
            (f.left, f.top, f.left + pic_w, f.bottom)
            if on_left
            else (f.right - pic_w, f.top, f.right, f.bottom)
        )
        text_x = f.left + pic_w + gap if on_left else f.left
        text_w = f.column - pic_w - gap
        column, bottom = place_title(ctx, size, text_x, text_w, 0, f.bottom - f.top, max_lines=3)
        room = f.bottom - f.top - bottom
        body = items_block(ctx, scene.items, size, text_x, text_w, room).shifted(
            0, bottom + round(size * 0.9)
        )
        column.extend(body)
        out.extend(center_in(column, f.top, f.bottom, 0.45))
        out.overflow = column.overflow
        out.title_size = column.title_size
    else:
        share = 0.42 if f.shape == "tall" else 0.46
        pic_box = (f.left, f.top, f.right, f.top + round((f.bottom - f.top) * share))
        text_top = pic_box[3] + round(size * 1.0)
        head, bottom = place_title(ctx, size, f.left, f.column, text_top, f.bottom - text_top, max_lines=3)
        room = f.bottom - bottom - round(size * 0.8)
        body = items_block(ctx, scene.items, size, f.left, f.column, room)
        out.extend(head)
        out.extend(center_in(body, bottom + round(size * 0.8), f.bottom, 0.3) if body.lines else body)
        out.title_size = head.title_size
    if scene.image is not None:
        out.pictures.append(_picture(scene.image, pic_box, radius))
    return out


def full_image(ctx: Ctx, size: int) -> Composed:
    """The picture fills the frame (a document's picture, when filling would crop much of it, is
    shown whole on a blurred copy of itself); the alt text (and title) sit on a dark band near the bottom."""
    f, scene, theme = ctx.frame, ctx.scene, ctx.theme
    out = Composed()
    if scene.image is not None:
        path = Path(scene.image.path)
        whole = (0, 0, f.width, f.height)
        fit = "cover" if scene.image.fit == "cover" else cover_fit(path, whole)  # "cover": asked for
        out.extra["backdrop"] = Picture(path, whole, fit)
    texts = []
    if scene.title:
        texts.append((scene.title, "title", round(size * 1.15), "heading"))
    alt = scene.image.alt.strip() if scene.image is not None else ""
    for text in [alt, *(item.text for item in scene.items)]:
        if text:
            texts.append((text, "caption", size, "regular"))
    white = (255, 255, 255)
    room = round((f.bottom - f.top) * 0.45)
    top = 0
    for n, (text, role, tsize, base) in enumerate(texts):
        fill = white if role == "title" else mix(white, (0, 0, 0), 0.12)
        rich = style(ctx, tsize, fill, role, leading=1.22, base=base)
        set_, ok = set_text(
            ctx, text, rich, f.left, f.column, top, room - top, item=n - 1 if role != "title" else None
        )
        top = out.add(set_) + round(size * 0.35)
        out.overflow = out.overflow or not ok
    if out.lines:
        out = _keep_flags(out, center_in(out, f.bottom - (out.bottom() - out.top()), f.bottom, 1.0))
        band_top = out.top() - round(size * 1.3)
        # the scrim (drawing.SCRIM_*) fades in above the band and is at full strength from its top
        out.extra["shade"] = (band_top - round(f.height * SCRIM_FADE), f.bottom + round(size * 0.8))
        bar_h = max(4, round(f.short * 0.008))
        out.shapes.append(
            Shape("bar", (f.left, band_top, f.left + round(f.short * 0.085), band_top + bar_h), theme.accent)
        )
    return out


def _keep_flags(source: Composed, moved: Composed) -> Composed:
    moved.overflow, moved.extra = source.overflow, source.extra
    return moved


def picture(ctx: Ctx, size: int) -> Composed:
    """A given picture as the whole slide: "cover" fills the frame, "contain" fits the safe area."""
    f, scene = ctx.frame, ctx.scene
    out = Composed()
    if scene.image is None:
        return out
    if scene.image.fit == "cover":
        path = Path(scene.image.path)
        image_size(path)
        out.extra["backdrop"] = Picture(path, (0, 0, f.width, f.height), "cover")
    else:
        out.pictures.append(_picture(scene.image, f.safe))
    return out
