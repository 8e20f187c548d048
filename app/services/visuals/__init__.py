"""Visuals: one picture per scene. Today a slide drawn with Pillow from the scene's title and blocks.

`layout_slide` decides every line, run, font and box (a `SlideLayout`) so a test can check what would
be drawn without looking at pixels; `render_slide` draws a layout and saves it; `VisualService` does
that under a visual slot, in a thread, cached by content. Fonts come from PyPI packages (`fonts`):
every script drawn, nothing as tofu boxes. Fitting text: lines wrap by measured width, sizes shrink
step by step to a floor, what still does not fit is cut with an ellipsis, and the bottom
`CAPTION_RESERVE` of the frame stays free for burned captions.
"""

from app.services.visuals.drawing import draw_layout, make_thumbnail, render_slide, save_png
from app.services.visuals.fonts import FontSet, default_fontset, family_name, link_fonts, segment
from app.services.visuals.layout import CAPTION_RESERVE, layout_slide
from app.services.visuals.model import DrawnRun, Shape, SlideLayout, TextLine
from app.services.visuals.service import VisualService
from app.services.visuals.text import ELLIPSIS
from app.services.visuals.themes import THEMES, Theme, get_theme

__all__ = [
    "CAPTION_RESERVE",
    "ELLIPSIS",
    "THEMES",
    "DrawnRun",
    "FontSet",
    "Shape",
    "SlideLayout",
    "TextLine",
    "Theme",
    "VisualService",
    "default_fontset",
    "draw_layout",
    "family_name",
    "get_theme",
    "layout_slide",
    "link_fonts",
    "make_thumbnail",
    "render_slide",
    "save_png",
    "segment",
]
