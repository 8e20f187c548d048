"""Writing a render's captions: cues from the words, as SRT, WebVTT and (to burn them) ASS."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

from app.core.diskcache import DiskCache
from app.errors import RenderError
from app.services.captions.formats import to_ass, to_srt, to_vtt
from app.services.captions.segmentation import segment as build_cues
from app.services.models import Cue, WordTiming
from app.services.visuals import (
    FontSet,
    Theme,
    default_fontset,
    face_index,
    family_name,
    load_font,
    needs_instance,
    real_file,
    segment,
    static_face,
    themed_fontset,
)

CAPTION_WEIGHT = 700  # burned captions are bold: their ASS style says Bold=-1


def write_captions(
    words: Sequence[Sequence[WordTiming]],
    duration: float,
    srt: Path,
    vtt: Path,
    ass: Path | None,
    size: tuple[int, int],
    scene_ends: Sequence[float] | None = None,
    *,
    style: str = "clean",
    fonts: FontSet | None = None,
    scale: float = 1.0,
) -> list[Cue]:
    """Cues from the words, written as SRT, WebVTT and (to burn them) ASS in a caption `style`, with
    `fonts` (default: the slides') at `scale` times the usual size; a scene's captions end by its
    `scene_ends` (when its picture gives way to the next)."""
    cues = build_cues(words, duration, scene_ends)
    srt.write_text(to_srt(cues), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")
    if ass is not None:
        fonts = fonts or default_fontset()
        text = to_ass(
            cues,
            size,
            fonts.caption_family,
            caption_font_runs(fonts),
            style=style,
            ascent_ratio=ascent_ratio(fonts.bold),
            scale=scale,
            measure=caption_measure(fonts),
        )
        ass.write_text(text, encoding="utf-8")
    return cues


def caption_look(theme: Theme, language: str) -> tuple[FontSet, float]:
    """The fonts (the caption font first, the slides' fallbacks after it) and the size factor a
    theme gives burned captions in a language."""
    entry = theme.caption_font(language)
    return (themed_fontset(None, entry.font, None) if entry.font else default_fontset()), entry.size


def burnable_fonts(fonts: FontSet, text: str, workdir: Path, cache: DiskCache | None = None) -> FontSet:
    """The caption fonts with each variable font that draws some of `text` replaced by a static bold
    instance of the characters it draws (`static_face`, kept in `workdir` and the cache). libass
    would draw a variable font at its default weight: Noto Sans CJK's is Thin, so CJK captions were
    hairlines beside bold Latin ones."""
    drawn: dict[Path, set[str]] = {}
    for run in segment(text, fonts.chain(fonts.bold)):
        if needs_instance(run.font, CAPTION_WEIGHT):
            drawn.setdefault(run.font, set()).update(run.text)
    if not drawn:
        return fonts
    swap = {font: static_face(font, chars, CAPTION_WEIGHT, workdir, cache) for font, chars in drawn.items()}
    return dataclasses.replace(
        fonts,
        bold=swap.get(fonts.bold, fonts.bold),
        fallbacks=tuple(swap.get(f, f) for f in fonts.fallbacks),
    )


def caption_font_runs(fonts: FontSet) -> Callable[[str], list[tuple[str, str, float]]]:
    """Caption text -> [(piece, family, scale)] with the fallback chain the slides use. libass sizes
    each font by its ascent + descent, which is tall for Arabic (its em would be 70% of the caption
    font's) and short for emoji (130%): `scale` sets every family's em to the caption font's."""
    chain = fonts.chain(fonts.bold)
    main = ascent_ratio(fonts.bold)

    def runs(text: str) -> list[tuple[str, str, float]]:
        return [
            (run.text, family_name(run.font), round(ascent_ratio(run.font) / main, 2))
            for run in segment(text, chain)
        ]

    return runs


@lru_cache(maxsize=64)
def ascent_ratio(font: Path) -> float:
    """The font's ascender-to-descender height in em, as libass sizes it (the OS/2 Windows metrics
    when the font has them, else hhea): libass' `Fontsize` is this height, not the em."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(real_file(font), lazy=True, fontNumber=face_index(font)) as f:
            upm = float(f["head"].unitsPerEm)
            os2 = f.get("OS/2")
            if os2 is not None and os2.usWinAscent + os2.usWinDescent > 0:
                return float(os2.usWinAscent + os2.usWinDescent) / upm
            return float(f["hhea"].ascent - f["hhea"].descent) / upm
    except Exception as exc:  # fontTools raises many kinds on a damaged file
        raise RenderError(f"cannot read font {font.name}: {exc}") from exc


def caption_measure(fonts: FontSet) -> Callable[[str, float], float]:
    """A caption line's width in pixels at an em, each run in the font that draws it."""
    chain = fonts.chain(fonts.bold)

    def measure(line: str, em: float) -> float:
        size = max(1, round(em))
        return sum(load_font(run.font, size).getlength(run.text) for run in segment(line, chain))

    return measure
