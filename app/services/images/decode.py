"""Untrusted image bytes -> one RGB or RGBA picture no larger than the frame needs, or an `ImageError`.

The type comes from the bytes, never from a name or a Content-Type: PNG, JPEG, WebP and GIF are
decoded by Pillow (restricted to exactly that format), SVG is drawn by resvg (`svg`); anything else
(an HTML page, a PDF, a BMP...) is refused by name. The size is checked from the header before a
pixel is decoded (Pillow's own decompression-bomb guard is caught too, never a crash). Then: the
first frame of an animation, the EXIF orientation applied, colours converted to sRGB from an
embedded ICC profile, 16-bit grey scaled rather than clipped, and the picture scaled down (never up)
to the smallest size that still covers the output frame, so a 24-megapixel photo costs what a
1080p frame does from here on.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageCms, ImageOps

from app.errors import ImageError, RenderCancelled
from app.services.images.limits import MediaLimits

Size = tuple[int, int]

PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}
SUPPORTED = "PNG, JPEG, WebP, GIF or SVG"
EXIF_ORIENTATION = 0x0112
SNIFF_BYTES = 4096

# Types recognized only to name them in the refusal.
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an ICO icon"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data (an .svgz? save it as plain .svg)"),
)
_XML_PROLOGUE = r"\A\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<!doctype[^>\[]*(?:\[.*?\])?\s*>\s*)*"
_SVG_START = re.compile(_XML_PROLOGUE + r"<svg[\s>/]", re.S | re.I)
_HTML_START = re.compile(_XML_PROLOGUE + r"<(?:html|head|body|meta|title)[\s>/]", re.S | re.I)


def sniff(data: bytes) -> str:
    """'png', 'jpeg', 'webp', 'gif' or 'svg' from the first bytes; else an `ImageError` naming what it is
    (the caller prefixes the image's name)."""
    head = data[:SNIFF_BYTES]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("latin-1").strip()
        raise ImageError(f"is an {'AVIF' if brand.startswith('avi') else 'HEIF/MP4'} file, not {SUPPORTED}")
    for signature, what in _OTHER_SIGNATURES:
        if head.startswith(signature):
            raise ImageError(f"is {what}, not {SUPPORTED}")
    text = head.decode("utf-8", errors="replace")
    if _SVG_START.match(text):
        return "svg"
    if _HTML_START.match(text):
        raise ImageError(f"is an HTML page, not an image ({SUPPORTED})")
    if not head:
        raise ImageError("is empty")
    raise ImageError(f"is not an image of a supported type ({SUPPORTED})")


def cover_size(size: Size, frame: Size, upscale: bool = False) -> Size:
    """The smallest size (same aspect) that still covers `frame`; never larger than `size` unless
    `upscale` (vectors)."""
    w, h = size
    scale = max(frame[0] / w, frame[1] / h)
    if not upscale:
        scale = min(1.0, scale)
    return max(1, round(w * scale)), max(1, round(h * scale))


def check_pixels(size: Size, limits: MediaLimits) -> None:
    w, h = size
    if w <= 0 or h <= 0:
        raise ImageError(f"has no pixels ({w}x{h})")
    if w * h > limits.max_pixels:
        raise ImageError(
            f"is {w}x{h} ({w * h / 1e6:.0f} megapixels), over the {limits.max_pixels / 1e6:g}-megapixel limit"
        )


@contextmanager
def untrusted_decoding(limits: MediaLimits) -> Iterator[None]:
    """Decoding untrusted bytes: Pillow's decompression-bomb warning is an error, and whatever a
    decoder raises on broken data (OSError, SyntaxError, ValueError, EOFError, struct.error...; the
    set differs per plugin) becomes one `ImageError`. Our own errors pass through."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (ImageError, RenderCancelled, MemoryError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        count = f"{int(pixels.group(1)) / 1e6:.0f} megapixels" if pixels else "too many pixels"
        raise ImageError(f"is {count}, over the {limits.max_pixels / 1e6:g}-megapixel limit") from None
    except Exception as exc:
        raise ImageError(f"cannot be decoded: it is corrupt or truncated ({type(exc).__name__})") from None


def decode_raster(data: bytes, kind: str, frame: Size, limits: MediaLimits) -> Image.Image:
    """A PNG, JPEG, WebP or GIF (first frame) as RGB/RGBA, upright, sRGB, just covering `frame`."""
    with untrusted_decoding(limits):
        image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[kind]])
        with image:
            check_pixels(image.size, limits)
            if kind == "jpeg":  # libjpeg scales by 1/2, 1/4, 1/8 while decoding: far less memory
                w, h = image.size
                quarter_turn = image.getexif().get(EXIF_ORIENTATION, 1) in (5, 6, 7, 8)
                tw, th = cover_size((h, w) if quarter_turn else (w, h), frame)
                image.draft("RGB", (th, tw) if quarter_turn else (tw, th))
            image.seek(0)  # an animation's first frame
            image.load()
            picture = ImageOps.exif_transpose(image)
    picture = _srgb(picture)
    picture = _rgb_or_rgba(picture)
    target = cover_size(picture.size, frame)
    if picture.size != target:
        picture = picture.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return picture


def _srgb(image: Image.Image) -> Image.Image:
    """Colours of an embedded ICC profile (a wide-gamut phone photo) converted to sRGB, the video's."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGB" if image.mode == "CMYK" else image.mode
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the colours as stored
    return converted if isinstance(converted, Image.Image) else image


def _rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):  # 16-bit (or 32-bit) grey: scale to 8 bits, do not clip
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    alpha = "A" in image.getbands() or "transparency" in image.info
    mode = "RGBA" if alpha else "RGB"
    return image if image.mode == mode else image.convert(mode)
