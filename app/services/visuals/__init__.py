"""Visuals: the stills of a video, drawn with Pillow at the output size.

`compose_scene` decides every line, run, shape and picture of a plan scene's still (a `SlideLayout`,
checked by tests without pixels) for its layout (title, statement, prose, bullets, image_text,
full_image, quote, table, code, picture) and the frame's shape (16:9, 9:16, 1:1 each composed on
purpose); `draw_layout` paints it; `VisualService.draw_scene` does both under a visual slot, in a
thread, cached by content. `fits` tells the planner whether a scene fits at or above the type floor
(otherwise it splits the scene into continuation slides). Themes: four built in and theme files
(`load_theme`). Fonts come from PyPI packages (`fonts`): every script drawn, nothing as tofu boxes.
"""

from pathlib import Path

from app.services.models import Scene as ScriptScene
from app.services.models import VideoFormat
from app.services.visuals.drawing import draw_layout, save_png
from app.services.visuals.fonts import FontSet, default_fontset
from app.services.visuals.frame import CAPTION_RESERVE, make_frame
from app.services.visuals.legacy import plan_scene
from app.services.visuals.model import DrawnRun, Picture, Shape, SlideLayout, TextLine
from app.services.visuals.scene import compose_scene, fits
from app.services.visuals.service import VisualService, render_scene
from app.services.visuals.text import ELLIPSIS
from app.services.visuals.theme_file import load_theme
from app.services.visuals.themes import THEMES, Theme, get_theme


def layout_slide(
    scene: ScriptScene, fmt: VideoFormat, fonts: FontSet | None = None, theme: Theme | None = None
) -> SlideLayout:
    """Today's renderer's scene (a title and blocks) laid out with the plan's layouts."""
    return compose_scene(plan_scene(scene, 0), fmt, theme or THEMES["dark"], None, index=0, fonts=fonts)


def render_slide(
    scene: ScriptScene,
    fmt: VideoFormat,
    out_path: Path,
    fonts: FontSet | None = None,
    theme: Theme | None = None,
) -> Path:
    save_png(draw_layout(layout_slide(scene, fmt, fonts, theme)), out_path)
    return out_path


__all__ = [
    "CAPTION_RESERVE",
    "ELLIPSIS",
    "THEMES",
    "DrawnRun",
    "FontSet",
    "Picture",
    "Shape",
    "SlideLayout",
    "TextLine",
    "Theme",
    "VisualService",
    "compose_scene",
    "default_fontset",
    "draw_layout",
    "fits",
    "get_theme",
    "layout_slide",
    "load_theme",
    "make_frame",
    "render_scene",
    "render_slide",
    "save_png",
]
