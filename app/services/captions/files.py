"""Writing a render's captions: cues from the words, as SRT, WebVTT and (to burn them) ASS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from app.services.captions.formats import to_ass, to_srt, to_vtt
from app.services.captions.segmentation import segment as build_cues
from app.services.models import Cue, WordTiming
from app.services.visuals import FontSet, default_fontset, family_name, segment


def write_captions(
    words: Sequence[Sequence[WordTiming]],
    duration: float,
    srt: Path,
    vtt: Path,
    ass: Path | None,
    size: tuple[int, int],
    scene_ends: Sequence[float] | None = None,
) -> list[Cue]:
    """Cues from the words, written as SRT, WebVTT and (to burn them) ASS; a scene's captions end
    by its `scene_ends` (when its picture gives way to the next)."""
    cues = build_cues(words, duration, scene_ends)
    srt.write_text(to_srt(cues), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")
    if ass is not None:
        fonts = default_fontset()
        text = to_ass(cues, size, fonts.caption_family, caption_font_runs(fonts))
        ass.write_text(text, encoding="utf-8")
    return cues


def caption_font_runs(fonts: FontSet) -> Callable[[str], list[tuple[str, str]]]:
    """Caption text -> [(piece, family)] with the fallback chain the slides use."""
    chain = fonts.chain(fonts.bold)

    def runs(text: str) -> list[tuple[str, str]]:
        return [(run.text, family_name(run.font)) for run in segment(text, chain)]

    return runs
