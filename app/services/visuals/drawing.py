"""Painting a slide layout with Pillow, and saving it as a PNG (never a half-written file).

Order: the backdrop (gradient and decorations, or a full-bleed picture with its shade), the shapes
(one translucent layer, composited once), the pictures, the text, the logo.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from app.core.fsutil import atomic_path
from app.errors import RenderError
from app.services.visuals.backdrop import forget_ramps, paint_backdrop
from app.services.visuals.fontfiles import load_font
from app.services.visuals.model import SCRIM_DARK, SCRIM_FADE, Backdrop, Picture, SlideLayout
from app.services.visuals.text import direction


def draw_layout(layout: SlideLayout, seed: int = 0) -> Image.Image:
    image = _backdrop(layout.size, layout.backdrop, seed)
    if layout.shapes:
        layer = Image.new("RGBA", layout.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for shape in layout.shapes:
            alpha = round(255 * shape.alpha)
            draw.rounded_rectangle(
                shape.box,
                radius=shape.radius,
                fill=(*shape.fill, alpha),
                outline=(*shape.outline, alpha) if shape.outline else None,
                width=max(1, round(min(layout.size) / 540)) if shape.outline else 0,
            )
        box = layer.getbbox()
        if box is not None:  # composite only where the shapes are
            region = image.crop(box).convert("RGBA")
            region.alpha_composite(layer.crop(box))
            image.paste(region.convert("RGB"), box[:2])
    for picture in layout.pictures:
        _paste(image, picture)
    draw = ImageDraw.Draw(image)
    for run in layout.runs:
        if run.text.strip():
            font = load_font(run.font, run.size, run.weight)
            draw.text(
                run.origin, run.text, font=font, fill=run.fill, anchor="ls", direction=direction(run.rtl)
            )
    if layout.logo is not None:
        _paste(image, layout.logo)
    return image


def _backdrop(size: tuple[int, int], backdrop: Backdrop, seed: int) -> Image.Image:
    if backdrop.picture is None:  # the same for every focus state of a scene: painted once
        return _painted(size, backdrop, seed).copy()
    image = paint_backdrop(size, Backdrop(backdrop.colors, backdrop.angle), seed)
    _paste(image, backdrop.picture)
    if backdrop.dim > 0:
        veil = paint_backdrop(size, backdrop, seed)
        image = Image.blend(image, veil, backdrop.dim)
    if backdrop.shade is not None:
        image = _shade(image, *backdrop.shade)
    return image


@lru_cache(maxsize=4)
def _painted(size: tuple[int, int], backdrop: Backdrop, seed: int) -> Image.Image:
    """A gradient backdrop (no picture: a file could change under the same name), kept for the next
    still of the scene; callers draw on a copy."""
    return paint_backdrop(size, backdrop, seed)


def release_drawing_caches() -> None:
    """Forget the backdrops, gradients and deflated bands kept for the next still of a scene: once a
    render's stills are drawn they are dead weight (~70 MB at 1080p) under its encoders."""
    _painted.cache_clear()
    forget_ramps()
    with _BANDS_LOCK:
        _BANDS.clear()


def _shade(image: Image.Image, top: int, bottom: int) -> Image.Image:
    """Darken rows from `top` (nothing) to `bottom`: at full strength from `top` + SCRIM_FADE of the
    height (where the layout starts its text band) down, so even the first line of a tall block of
    text sits on the full scrim, whatever the photo (a white sky included)."""
    height = image.height
    rows = np.arange(height, dtype=np.float32)
    fade = max(1.0, min(bottom - top, height * SCRIM_FADE))
    ramp = np.clip((rows - top) / fade, 0, 1) * SCRIM_DARK
    pixels = np.asarray(image, dtype=np.float32) * (1 - ramp[:, None, None])
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def load_picture(path: Path) -> Image.Image:
    try:
        with Image.open(path) as im:
            im.seek(0)  # an animated GIF shows its first frame
            im.draft("RGB", (4096, 4096))
            im = ImageOps.exif_transpose(im)
            return im.convert("RGBA")
    except (OSError, Image.DecompressionBombError, ValueError, EOFError) as exc:
        raise RenderError(f"cannot read image {path.name}: {exc}") from None


def _paste(image: Image.Image, picture: Picture) -> None:
    left, top, right, bottom = picture.box
    width, height = max(1, right - left), max(1, bottom - top)
    source = load_picture(picture.path)
    if picture.fit == "blurred":
        _paste_blurred(image, source, picture.box)
        return
    if picture.fit == "cover":
        fitted = ImageOps.fit(source, (width, height), Image.Resampling.LANCZOS)
    else:
        fitted = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)
    mask = fitted.getchannel("A")
    if picture.radius:
        rounded = Image.new("L", fitted.size, 0)
        ImageDraw.Draw(rounded).rounded_rectangle((0, 0, width - 1, height - 1), picture.radius, fill=255)
        mask = Image.fromarray(np.minimum(np.asarray(mask), np.asarray(rounded)), "L")
    image.paste(fitted.convert("RGB"), (left, top), mask)


BLUR_DIM = 0.45  # how much darker the blurred fill is than the picture, so the picture stands out
BLUR_INSET = 0.9  # the picture's share of the frame: a margin that motion's gentle zoom does not cut


def _paste_blurred(image: Image.Image, source: Image.Image, box: tuple[int, int, int, int]) -> None:
    """The picture whole in `box`, on a blurred, darkened cover of itself: blurred at a small size
    (cheap, and as soft), then scaled up."""
    left, top, right, bottom = box
    width, height = max(1, right - left), max(1, bottom - top)
    small = (max(1, width // 16), max(1, height // 16))
    fill = ImageOps.fit(source.convert("RGB"), small, Image.Resampling.BILINEAR)
    fill = fill.filter(ImageFilter.GaussianBlur(2)).resize((width, height), Image.Resampling.BICUBIC)
    image.paste(Image.eval(fill, lambda v: round(v * (1 - BLUR_DIM))), (left, top))
    scale = min(width / source.width, height / source.height) * BLUR_INSET
    w, h = max(1, round(source.width * scale)), max(1, round(source.height * scale))
    fitted = source.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=2.0)
    at = (left + (width - w) // 2, top + (height - h) // 2)
    image.paste(fitted.convert("RGB"), at, fitted.getchannel("A"))


def save_png(image: Image.Image, out_path: Path) -> None:
    """A fast PNG, written under a temporary name and renamed into place."""
    out_path = Path(out_path)
    try:
        with atomic_path(out_path) as tmp:
            if image.mode == "RGB":
                tmp.write_bytes(png_bytes(image))
            else:
                image.save(tmp, format="PNG", compress_level=1)
    except OSError as exc:
        raise RenderError(f"cannot write slide {out_path}: {exc}") from exc


def png_bytes(image: Image.Image) -> bytes:
    """An RGB image as PNG without row filters, deflated at level 1: the same pixels, written ~3x faster
    than Pillow's (whose per-row adaptive filters break the dithered backdrop's repeats that deflate
    finds, so its files are also ~1.5x larger), and zlib works without holding the GIL.

    The rows are deflated in bands, each on its own (a full flush between them), and a band already
    deflated, e.g. the backdrop around the words in the previous still of the scene, is reused."""
    pixels = np.asarray(image, dtype=np.uint8)
    height, width = pixels.shape[:2]
    rows = np.zeros((height, width * 3 + 1), dtype=np.uint8)  # each row: filter type 0, then pixels
    rows[:, 1:] = pixels.reshape(height, width * 3)
    parts = [b"\x78\x01"]  # zlib header: deflate, 32 KB window, fastest
    check = 1
    for top in range(0, height, BAND_ROWS):
        band = rows[top : top + BAND_ROWS]
        check = zlib.adler32(band.data, check)
        parts.append(_deflated_band(band))
    parts += [b"\x03\x00", struct.pack(">I", check)]  # an empty final block, the Adler-32
    data = b"".join(parts)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, not interlaced
    return b"".join(
        (b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header), _chunk(b"IDAT", data), _chunk(b"IEND", b""))
    )


BAND_ROWS = 24  # rows deflated together: a line of words spans a few bands, the rest are reused
BANDS_KEPT = 1024  # deflated bands remembered (about two 1080p stills' worth of bands per scene)
_BANDS: dict[bytes, bytes] = {}
_BANDS_LOCK = threading.Lock()


def _deflated_band(band: np.ndarray) -> bytes:
    """Raw deflate of a band of rows, ending byte-aligned with no history, so bands join in any order."""
    key = hashlib.blake2b(band.data, digest_size=20).digest() + struct.pack(">II", *band.shape)
    with _BANDS_LOCK:
        done = _BANDS.get(key)
    if done is not None:
        return done
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    done = packer.compress(band.data) + packer.flush(zlib.Z_FULL_FLUSH)
    with _BANDS_LOCK:
        if len(_BANDS) >= BANDS_KEPT:
            _BANDS.pop(next(iter(_BANDS)))
        _BANDS[key] = done
    return done


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_thumbnail(slide: Path, out: Path, width: int = 480) -> Path:
    """A small JPEG of the first slide, for job lists and the web page."""
    with Image.open(slide) as im:
        im = im.convert("RGB")
        im.thumbnail((width, width * 4))
        im.save(out, "JPEG", quality=85)
    return out
