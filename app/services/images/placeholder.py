"""The picture shown instead of an image that cannot be used (with `--skip-missing-images`): a neutral
grey panel with a picture outline and the image's alt text, so the slide still says what belongs
there. It has the frame's shape; layouts fit it like any image."""

from __future__ import annotations

from PIL import Image, ImageDraw

from app.services.images.decode import Size
from app.services.visuals.fonts import default_fontset, load_font, segment
from app.services.visuals.text import TextStyle, ellipsize, wrap_prose

PANEL = (92, 99, 110)
INK = (226, 230, 236)
FAINT = (176, 183, 194)
MAX_LINES = 3


def draw_placeholder(alt: str, name: str, frame: Size) -> Image.Image:
    """A panel of the frame's shape (half its size) with `alt` (or `name` when there is none)."""
    width, height = max(160, frame[0] // 2), max(90, frame[1] // 2)
    image = Image.new("RGB", (width, height), PANEL)
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    inset = unit // 24
    draw.rectangle((inset, inset, width - inset, height - inset), outline=FAINT, width=max(2, unit // 160))
    _picture_outline(draw, (width // 2, height // 2 - unit // 8), unit // 5)
    fonts = default_fontset()
    style = TextStyle(fonts.chain(fonts.regular), max(12, unit // 14), 500, INK, "placeholder", 1.25)
    text = alt.strip() or f"missing image {name}"
    lines = wrap_prose(text, style, width - 4 * inset, MAX_LINES)
    if len(lines) > MAX_LINES:
        lines = [
            *lines[: MAX_LINES - 1],
            ellipsize(" ".join(lines[MAX_LINES - 1 :]), style, width - 4 * inset),
        ]
    y = height // 2 + unit // 6
    for line in lines:
        _draw_centred(draw, line, style, width, y)
        y += round(style.size * style.leading)
    return image


def _picture_outline(draw: ImageDraw.ImageDraw, centre: tuple[int, int], size: int) -> None:
    """A framed landscape (a sun over two hills): the usual sign for "a picture goes here"."""
    cx, cy = centre
    half_w, half_h = size, size * 3 // 4
    line = max(2, size // 18)
    draw.rectangle((cx - half_w, cy - half_h, cx + half_w, cy + half_h), outline=INK, width=line)
    sun = size // 6
    draw.ellipse(
        (cx + half_w // 3 - sun, cy - half_h // 2 - sun, cx + half_w // 3 + sun, cy - half_h // 2 + sun),
        fill=INK,
    )
    base = cy + half_h - line
    draw.polygon(
        [(cx - half_w + line, base), (cx - half_w // 3, cy - half_h // 6), (cx + half_w // 6, base)],
        fill=FAINT,
    )
    draw.polygon(
        [(cx - half_w // 6, base), (cx + half_w // 3, cy + half_h // 8), (cx + half_w - line, base)], fill=INK
    )


def _draw_centred(draw: ImageDraw.ImageDraw, line: str, style: TextStyle, width: int, baseline: int) -> None:
    runs = segment(line, style.chain)
    fonts = [load_font(run.font, style.size, style.weight) for run in runs]
    total = sum(font.getlength(run.text) for run, font in zip(runs, fonts, strict=True))
    x = (width - total) / 2
    for run, font in zip(runs, fonts, strict=True):
        draw.text((x, baseline), run.text, font=font, fill=style.fill, anchor="ls")
        x += font.getlength(run.text)
