"""The picture shown instead of an image that cannot be used (with `--skip-missing-images`): a neutral
grey panel with a picture outline and the image's alt text, so the slide still says what belongs
there. It has the frame's shape; layouts fit it like any image."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from app.services.images.decode import Size
from app.services.visuals import default_fontset, load_font, segment

PANEL = (92, 99, 110)
INK = (226, 230, 236)
FAINT = (176, 183, 194)
MAX_LINES = 3
MAX_ALT_CHARS = 300  # more would not fit three lines anyway


def draw_placeholder(alt: str, name: str, frame: Size) -> Image.Image:
    """A panel of the frame's shape (half its size) with `alt` (or `name` when there is none)."""
    width, height = max(160, frame[0] // 2), max(90, frame[1] // 2)
    image = Image.new("RGB", (width, height), PANEL)
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    inset = unit // 24
    draw.rectangle((inset, inset, width - inset, height - inset), outline=FAINT, width=max(2, unit // 160))
    _picture_outline(draw, (width // 2, height // 2 - unit // 8), unit // 5)
    text = " ".join((alt.strip() or f"missing image {name}").split())[:MAX_ALT_CHARS]
    size = max(12, unit // 14)
    y = height // 2 + unit // 6
    for line in _lines(text, size, width - 4 * inset):
        _draw_centred(draw, line, size, width, y)
        y += round(size * 1.25)
    return image


def _picture_outline(draw: ImageDraw.ImageDraw, centre: tuple[int, int], size: int) -> None:
    """A framed landscape (a sun over two hills): the usual sign for "a picture goes here"."""
    cx, cy = centre
    half_w, half_h = size, size * 3 // 4
    line = max(2, size // 18)
    draw.rectangle((cx - half_w, cy - half_h, cx + half_w, cy + half_h), outline=INK, width=line)
    sun, sun_x, sun_y = size // 6, cx + half_w // 3, cy - half_h // 2
    draw.ellipse((sun_x - sun, sun_y - sun, sun_x + sun, sun_y + sun), fill=INK)
    base = cy + half_h - line
    left_hill = [(cx - half_w + line, base), (cx - half_w // 3, cy - half_h // 6), (cx + half_w // 6, base)]
    right_hill = [(cx - half_w // 6, base), (cx + half_w // 3, cy + half_h // 8), (cx + half_w - line, base)]
    draw.polygon(left_hill, fill=FAINT)
    draw.polygon(right_hill, fill=INK)


def _runs(text: str, size: int) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    """The text in runs, each with a font that has its characters (the slides' fallback order)."""
    fonts = default_fontset()
    return [
        (run.text, load_font(run.font, size))  # a collection's face, a variable font's weight
        for run in segment(text, fonts.chain(fonts.regular))
    ]


def _width(text: str, size: int) -> float:
    return sum(font.getlength(piece) for piece, font in _runs(text, size))


def _lines(text: str, size: int, width: int) -> list[str]:
    """Greedy word wrap into at most MAX_LINES lines; the last one ends with an ellipsis if cut."""
    lines: list[str] = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _width(candidate, size) <= width:
            lines[-1] = candidate
        elif len(lines) < MAX_LINES:
            lines.append(word)
        else:
            lines[-1] += "…"
            break
    for i, line in enumerate(lines):  # a word wider than the panel is cut
        while _width(line, size) > width and len(line) > 1:
            line = line[:-2] + "…"
        lines[i] = line
    return lines


def _draw_centred(draw: ImageDraw.ImageDraw, line: str, size: int, width: int, baseline: int) -> None:
    runs = _runs(line, size)
    x = (width - sum(font.getlength(piece) for piece, font in runs)) / 2
    for piece, font in runs:
        draw.text((x, baseline), piece, font=font, fill=INK, anchor="ls")
        x += font.getlength(piece)
