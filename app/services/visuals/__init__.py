"""Visuals: the stills of a video, drawn with Pillow at the output size.

`compose_scene` decides every line, run, shape and picture of a plan scene's still (a `SlideLayout`,
checked by tests without pixels) for its layout (title, statement, prose, bullets, image_text,
full_image, quote, table, code, picture) and the frame's shape (16:9, 9:16, 1:1 each composed on
purpose); `draw_layout` paints it; `VisualService.draw_scene` does both under a visual slot, in a
thread, cached by content. `fits` tells the planner whether a scene fits at or above the type floor
(otherwise it splits the scene into continuation slides). Themes: four built in and theme files
(`load_theme`). Fonts come from PyPI packages (`fonts`): every script drawn, nothing as tofu boxes.
"""

from app.services.visuals.breaks import break_units, needs_breaking
from app.services.visuals.drawing import draw_layout, make_thumbnail, release_drawing_caches, save_png
from app.services.visuals.fontfiles import face_index, family_name, load_font, real_file
from app.services.visuals.fonts import FontSet, default_fontset, link_fonts, segment, themed_fontset
from app.services.visuals.frame import CAPTION_RESERVE, make_frame
from app.services.visuals.instances import needs_instance, static_face
from app.services.visuals.model import DrawnRun, Picture, Shape, SlideLayout, TextLine
from app.services.visuals.overlay import matte
from app.services.visuals.scene import compose_scene, fits
from app.services.visuals.service import VisualService, render_scene
from app.services.visuals.text import ELLIPSIS
from app.services.visuals.theme_file import load_theme
from app.services.visuals.themes import THEMES, Theme, get_theme

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
    "break_units",
    "compose_scene",
    "default_fontset",
    "draw_layout",
    "face_index",
    "family_name",
    "fits",
    "get_theme",
    "link_fonts",
    "load_font",
    "load_theme",
    "make_frame",
    "make_thumbnail",
    "matte",
    "needs_breaking",
    "needs_instance",
    "real_file",
    "release_drawing_caches",
    "render_scene",
    "save_png",
    "segment",
    "static_face",
    "themed_fontset",
]
