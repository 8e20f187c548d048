"""SVG images, drawn by resvg (`resvg-py`: the Rust renderer in a self-contained wheel from PyPI, no
system libraries; cairosvg would need libcairo on the machine).

An SVG is a program of sorts, so it is checked before it is drawn:
- it must be self-contained: resvg would load any file an `<image href>` names (`/etc/...`,
  `../secret.png`), so every `href` must point inside the document (`#id`) or embed a PNG, JPEG,
  GIF or WebP as a `data:` URL, whose size is checked like any image's; CSS `url()` likewise, and
  no `@import` or `@font-face`;
- no DTD declarations (entities, attribute defaults): nothing expands behind the checks' back;
- its canvas is bounded: drawn at the size that covers the output frame (vectors scale up
  cleanly), never more pixels than the limit or four frames. resvg itself caps the number of nodes
  (a `<use>` bomb ends in "nodes limit reached").
Text in an SVG is drawn with t2v's own fonts, never the machine's, so it renders the same everywhere.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from urllib.parse import unquote_to_bytes

from PIL import Image

from app.errors import ImageError
from app.services.images.decode import PILLOW_FORMATS, Size, check_pixels, cover_size, untrusted_decoding
from app.services.images.limits import MediaLimits
from app.services.visuals import default_fontset, family_name

try:
    import resvg_py
except ImportError:  # pragma: no cover - a platform without the wheel: SVG refused with a message
    resvg_py = None  # type: ignore[assignment]

MAX_ASPECT = 50  # a 1x100 strip is not a picture anyone can see in a frame
DEFAULT_SIZE = (100.0, 100.0)  # resvg's, for an SVG that states no size at all
FRAMES_OF_PIXELS = 4

_DTD = re.compile(r"<!\s*(?:ENTITY|ATTLIST|ELEMENT|NOTATION)\b", re.I)
_HREF = re.compile(r"""\s(?:[\w.-]+:)?href\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_EMBEDDED = re.compile(r"\Adata:image/(?:png|jpeg|jpg|gif|webp)[;,]", re.I)
_CSS_URL = re.compile(r"""url\(\s*['"]?\s*([^'")\s]*)""", re.I)
_CSS_AT_RULE = re.compile(r"@(?:import|font-face)\b", re.I)
_ROOT = re.compile(r"<svg\b([^>]*)>", re.I | re.S)
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in|em|ex)?\s*\Z", re.I)
_PX_PER_UNIT = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_PX_PER_UNIT.update({"em": 16.0, "ex": 8.0})


def render_svg(data: bytes, frame: Size, limits: MediaLimits) -> Image.Image:
    """The SVG drawn as RGBA at the size that covers `frame` (within the pixel limits)."""
    if resvg_py is None:
        raise ImageError("is an SVG, and the SVG renderer (resvg-py) is not installed here")
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ImageError("is an SVG that is not UTF-8 text") from None
    check_self_contained(text, limits)
    width, height = intrinsic_size(text)
    if max(width / height, height / width) > MAX_ASPECT:
        raise ImageError(f"is an SVG of {width:g}x{height:g}: too narrow to show")
    target = cover_size((max(1, round(width)), max(1, round(height))), frame, upscale=True)
    budget = min(limits.max_pixels, FRAMES_OF_PIXELS * frame[0] * frame[1])
    if target[0] * target[1] > budget:
        shrink = math.sqrt(budget / (target[0] * target[1]))
        target = (max(1, int(target[0] * shrink)), max(1, int(target[1] * shrink)))
    fonts = default_fontset()
    sans, mono = family_name(fonts.regular), family_name(fonts.mono)
    try:
        png = resvg_py.svg_to_bytes(
            svg_string=text,
            width=target[0],
            height=target[1],
            skip_system_fonts=True,
            font_files=[str(f) for f in fonts.files],
            font_family=sans,
            sans_serif_family=sans,
            serif_family=sans,
            monospace_family=mono,
        )
    except (ValueError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ImageError(f"is not an SVG that can be drawn ({reason})") from None
    with untrusted_decoding(limits):
        picture = Image.open(io.BytesIO(bytes(png)), formats=["PNG"])
        picture.load()
    return picture.convert("RGBA")


def check_self_contained(text: str, limits: MediaLimits) -> None:
    """Refuse an SVG that declares DTD entities or refers to anything outside itself."""
    if _DTD.search(text):
        raise ImageError("is an SVG with DTD declarations (entities), which are not allowed")
    for match in _HREF.finditer(text):
        target = match.group(1) if match.group(1) is not None else match.group(2)
        if target.startswith("#"):
            continue
        if not _EMBEDDED.match(target):
            raise ImageError(
                f"is an SVG that refers to {_short(target)!r}: an SVG may embed images (data: URLs) "
                "but not load other files or URLs"
            )
        _check_embedded(target, limits)
    for target in _CSS_URL.findall(text):
        if target and not target.startswith("#"):
            raise ImageError(f"is an SVG whose style refers to {_short(target)!r}, which is not allowed")
    if _CSS_AT_RULE.search(text):
        raise ImageError("is an SVG whose style imports files (@import, @font-face), which is not allowed")


def _check_embedded(url: str, limits: MediaLimits) -> None:
    """An image embedded in the SVG: a raster type, within the size and pixel limits."""
    header, _, payload = url.partition(",")
    try:
        data = base64.b64decode(payload) if header.lower().endswith(";base64") else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise ImageError("is an SVG with an embedded image that is not valid base64") from None
    if len(data) > limits.max_bytes:
        raise ImageError("is an SVG with an embedded image over the size limit")
    with (
        untrusted_decoding(limits),
        Image.open(io.BytesIO(data), formats=list(PILLOW_FORMATS.values())) as im,
    ):
        check_pixels(im.size, limits)


def intrinsic_size(text: str) -> tuple[float, float]:
    """The SVG's size in CSS pixels, from the root's width/height (lengths with units) or its viewBox."""
    root = _ROOT.search(text)
    attributes: dict[str, str] = {}
    for name, double, single in _ATTRIBUTE.findall(root.group(1) if root else ""):
        attributes[name.lower()] = double or single
    width, height = _length(attributes.get("width")), _length(attributes.get("height"))
    box = _view_box(attributes.get("viewbox"))
    if width and height:
        return width, height
    if box:
        box_w, box_h = box
        if width:
            return width, width * box_h / box_w
        if height:
            return height * box_w / box_h, height
        return box
    return DEFAULT_SIZE


def _length(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    if not match:
        return None  # missing, a percentage, or not a length
    number = float(match.group(1)) * _PX_PER_UNIT[(match.group(2) or "").lower()]
    return number if 0 < number < 1e7 else None


def _view_box(value: str | None) -> tuple[float, float] | None:
    parts = re.split(r"[\s,]+", (value or "").strip())
    try:
        _, _, w, h = (float(p) for p in parts)
    except ValueError:
        return None
    return (w, h) if 0 < w < 1e7 and 0 < h < 1e7 else None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
