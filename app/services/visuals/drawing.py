"""Drawing a slide layout with Pillow and saving it as a PNG (never a half-written file)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from app.core.fsutil import atomic_path
from app.errors import RenderError
from app.services.models import Scene, VideoFormat
from app.services.visuals.fonts import FontSet, load_font
from app.services.visuals.layout import layout_slide
from app.services.visuals.model import Shape, SlideLayout
from app.services.visuals.themes import Theme


def draw_layout(layout: SlideLayout) -> Image.Image:
    image = _background(layout.size, layout.theme)
    draw = ImageDraw.Draw(image)
    for shape in layout.shapes:
        _draw_shape(draw, shape)
    for run in layout.runs:
        if run.text.strip():
            font = load_font(run.font, run.size, run.weight)
            draw.text(run.origin, run.text, font=font, fill=run.fill, anchor="ls")
    return image


def _background(size: tuple[int, int], theme: Theme) -> Image.Image:
    """A vertical gradient: one column computed, then stretched (cheap at any size)."""
    width, height = size
    (r0, g0, b0), (r1, g1, b1) = theme.background
    column = Image.new("RGB", (1, height))
    span = max(1, height - 1)
    column.putdata(
        [
            (r0 + (r1 - r0) * y // span, g0 + (g1 - g0) * y // span, b0 + (b1 - b0) * y // span)
            for y in range(height)
        ]
    )
    return column.resize((width, height), Image.Resampling.NEAREST)


def _draw_shape(draw: ImageDraw.ImageDraw, shape: Shape) -> None:
    draw.rounded_rectangle(
        shape.box,
        radius=shape.radius,
        fill=shape.fill,
        outline=shape.outline,
        width=1 if shape.outline else 0,
    )


def render_slide(
    scene: Scene,
    fmt: VideoFormat,
    out_path: Path,
    fonts: FontSet | None = None,
    theme: Theme | None = None,
) -> Path:
    """Draw the scene's slide and write it as a PNG at `out_path` (never a half-written file)."""
    image = draw_layout(layout_slide(scene, fmt, fonts, theme))
    save_png(image, out_path)
    return out_path


def save_png(image: Image.Image, out_path: Path) -> None:
    """Fast PNG (compress_level=1), written under a temporary name and renamed into place."""
    out_path = Path(out_path)
    try:
        with atomic_path(out_path) as tmp:
            image.save(tmp, format="PNG", compress_level=1)
    except OSError as exc:
        raise RenderError(f"cannot write slide {out_path}: {exc}") from exc


def make_thumbnail(slide: Path, out: Path, width: int = 480) -> Path:
    """A small JPEG of the first slide, for job lists and the web page."""
    with Image.open(slide) as im:
        im = im.convert("RGB")
        im.thumbnail((width, width * 4))
        im.save(out, "JPEG", quality=85)
    return out
