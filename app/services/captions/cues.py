"""Word timings -> caption cues.

Cues are built from words, so a caption is on screen exactly while its words are spoken. Times are
rounded to whole milliseconds before anything is written, and the rounding keeps cues ordered and
non-overlapping, so every format says the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from app.core.threads import check_cancelled
from app.services.models import Cue, WordTiming

SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", ";", ":")


@dataclass(frozen=True)
class CueStyle:
    """How many words a caption holds before it moves on."""

    max_words: int = 7
    max_chars: int = 42
    max_seconds: float = 4.0


def build_cues(
    scenes: Iterable[Sequence[WordTiming]],
    video_duration: float,
    style: CueStyle | None = None,
) -> list[Cue]:
    """Group each scene's words (times already absolute) into cues; a cue never spans two scenes."""
    style = style or CueStyle()
    cues: list[Cue] = []
    for words in scenes:
        check_cancelled()
        cues.extend(_scene_cues(words, style))
    return _normalize(cues, video_duration)


def _split_long(words: Iterable[WordTiming], max_chars: int) -> Iterator[WordTiming]:
    """A word longer than a caption line, in line-sized pieces sharing its time by length."""
    for word in words:
        n = len(word.text)
        if n <= max_chars:
            yield word
            continue
        span = word.end - word.start
        for i in range(0, n, max_chars):
            yield WordTiming(
                word.text[i : i + max_chars],
                word.start + span * i / n,
                word.start + span * min(n, i + max_chars) / n,
            )


def _scene_cues(words: Sequence[WordTiming], style: CueStyle) -> list[Cue]:
    cues: list[Cue] = []
    group: list[WordTiming] = []
    for word in _split_long(words, style.max_chars):
        if group and _full(group, word, style):
            cues.append(_cue(group))
            group = []
        group.append(word)
        if word.text.endswith(SENTENCE_END) and len(group) >= 2:
            cues.append(_cue(group))
            group = []
    if group:
        cues.append(_cue(group))
    return cues


def _full(group: list[WordTiming], nxt: WordTiming, style: CueStyle) -> bool:
    chars = sum(len(w.text) + 1 for w in group) + len(nxt.text)
    return (
        len(group) >= style.max_words
        or chars > style.max_chars
        or nxt.end - group[0].start > style.max_seconds
    )


def _cue(words: list[WordTiming]) -> Cue:
    return Cue(start=words[0].start, end=words[-1].end, text=" ".join(w.text for w in words))


def _normalize(cues: list[Cue], video_duration: float) -> list[Cue]:
    """Round to milliseconds, clip to the video, and make every cue end before the next starts."""
    limit = int(video_duration * 1000)
    out: list[Cue] = []
    for i, cue in enumerate(cues):
        start = max(0, round(cue.start * 1000))
        end = min(round(cue.end * 1000), limit)
        if i + 1 < len(cues):
            end = min(end, round(cues[i + 1].start * 1000))
        if out:
            start = max(start, round(out[-1].end * 1000))
        if end - start < 1:
            continue
        out.append(Cue(start / 1000, end / 1000, cue.text))
    return out
