"""Captions: word timings -> cues by the subtitling rules -> SRT, WebVTT and ASS.

`build_cues` cuts each scene's words into cues (`segmentation`: two lines of at most 42 characters,
0.833-7 s, at most 20 characters a second where the speech allows, never across a sentence end or a
scene, line breaks judged by `linebreak`) with times in whole milliseconds, so every format says the
same thing; `to_srt`, `to_vtt` and `to_ass` write them (burned captions may break lines again,
shorter, for their larger type); `change_points` (`ass_change_points`) say where burned captions
change the picture; `burned` holds the caption styles (`STYLES`: clean, boxed, bold, karaoke) and
their size and place in the frame (`CaptionBox`); `write_captions` does a render's files at once.
"""

from app.services.captions.burned import CAPTION_EM, STYLE_NAMES, STYLES, CaptionBox, CaptionStyle
from app.services.captions.files import (
    ascent_ratio,
    burnable_fonts,
    caption_font_runs,
    caption_look,
    write_captions,
)
from app.services.captions.formats import ass_change_points, change_points, to_ass, to_srt, to_vtt
from app.services.captions.segmentation import segment as build_cues
from app.services.captions.timing import CaptionRules

__all__ = [
    "CAPTION_EM",
    "STYLES",
    "STYLE_NAMES",
    "CaptionBox",
    "CaptionRules",
    "CaptionStyle",
    "ascent_ratio",
    "ass_change_points",
    "build_cues",
    "burnable_fonts",
    "caption_font_runs",
    "caption_look",
    "change_points",
    "to_ass",
    "to_srt",
    "to_vtt",
    "write_captions",
]
