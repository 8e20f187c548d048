"""Captions: word timings -> cues -> SRT, WebVTT and ASS.

`build_cues` groups each scene's words into cues (a cue never spans two scenes) with times rounded so
that every format says the same thing; `to_srt`, `to_vtt` and `to_ass` write them; `change_points`
says where burned captions change the picture; `write_captions` does a render's files at once.
"""

from app.services.captions.cues import CueStyle, build_cues
from app.services.captions.files import caption_font_runs, write_captions
from app.services.captions.formats import change_points, to_ass, to_srt, to_vtt

__all__ = [
    "CueStyle",
    "build_cues",
    "caption_font_runs",
    "change_points",
    "to_ass",
    "to_srt",
    "to_vtt",
    "write_captions",
]
