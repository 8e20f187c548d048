"""Captions: word timings -> cues by the subtitling rules -> SRT, WebVTT and ASS.

`build_cues` cuts each scene's words into cues (`segmentation`: two lines of at most 42 characters,
0.833-7 s, at most 20 characters a second where the speech allows, never across a sentence end or a
scene, line breaks judged by `linebreak`) with times in whole milliseconds, so every format says the
same thing; `to_srt`, `to_vtt` and `to_ass` write them (burned captions may break lines again,
shorter, for their larger type); `change_points` says where burned captions change the picture;
`write_captions` does a render's files at once.
"""

from app.services.captions.files import caption_font_runs, write_captions
from app.services.captions.formats import change_points, to_ass, to_srt, to_vtt
from app.services.captions.segmentation import segment as build_cues
from app.services.captions.timing import CaptionRules

__all__ = [
    "CaptionRules",
    "build_cues",
    "caption_font_runs",
    "change_points",
    "to_ass",
    "to_srt",
    "to_vtt",
    "write_captions",
]
