"""When each word is heard: from espeak's word marks, or estimated for engines that give none.

Only espeak reports when words are spoken (`word_timings`, from its WORD events); other engines' words
are placed by espeak's timing of the same sentence (`clips.fit_timings`). When espeak cannot say a
sentence, its words share the sentence's sound in proportion to their letters and digits
(`estimate_word_timings`), the last resort.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from app.services.models import WordTiming

_WORD = re.compile(r"\S+")


def word_timings(text: str, marks: Sequence[tuple[int, int]], voiced_end: float) -> list[WordTiming]:
    """One timing per whitespace-separated word of `text`, punctuation included.

    espeak's marks are (0-based code-point offset, ms), and not exact: the first word of a sentence is
    marked at the space before it, "3.14" or "2024-01-05" get several marks, and a word espeak says
    together with the one before it ("of the", "I am") or does not say at all (a dash) gets none. So a
    word starts at its first mark inside it, else at a mark in the whitespace just before it; unmarked
    words share the time of the marked word before them. The last word ends where the voice stops.
    """
    spans = [m.span() for m in _WORD.finditer(text)]
    if not spans:
        return []
    firsts = [start for start, _ in spans]
    inside: list[float | None] = [None] * len(spans)
    before: list[float | None] = [None] * len(spans)
    for pos, ms in marks:
        i = bisect.bisect_right(firsts, pos) - 1
        if i >= 0 and pos < spans[i][1]:
            inside[i] = _earliest(inside[i], ms / 1000)
        elif i + 1 < len(spans):
            before[i + 1] = _earliest(before[i + 1], ms / 1000)
    words = [text[a:b] for a, b in spans]
    marked = [a if a is not None else b for a, b in zip(inside, before, strict=True)]
    times = _share_out(words, marked, voiced_end)
    return [WordTiming(word, start, end) for word, (start, end) in zip(words, times, strict=True)]


def _earliest(current: float | None, candidate: float) -> float:
    return candidate if current is None else min(current, candidate)


def _share_out(
    words: Sequence[str], marked: Sequence[float | None], voiced_end: float
) -> list[tuple[float, float]]:
    """Split the time from each marked word to the next among it and the unmarked words after it."""
    anchors = [0]  # words before the first mark are squeezed in before it
    starts = [0.0]
    latest = 0.0
    for i, start in enumerate(marked):
        if start is None:
            continue
        latest = max(latest, min(start, voiced_end))  # espeak's marks are ordered, but be sure
        if i == 0:
            starts[0] = latest
        else:
            anchors.append(i)
            starts.append(latest)
    bounds = [*anchors[1:], len(words)]
    ends = [*starts[1:], max(voiced_end, starts[-1])]
    times: list[tuple[float, float]] = []
    for first, stop, lo, hi in zip(anchors, bounds, starts, ends, strict=True):
        times.extend(_spread(words[first:stop], lo, hi))
    return times


def estimate_word_timings(text: str, start: float, end: float) -> list[WordTiming]:
    """Share [start, end] among the words of `text` by their letters and digits (approximate)."""
    words = _WORD.findall(text)
    if not words:
        return []
    return [WordTiming(word, a, b) for word, (a, b) in zip(words, _spread(words, start, end), strict=True)]


def _spread(words: Sequence[str], lo: float, hi: float) -> list[tuple[float, float]]:
    """Cut [lo, hi] into consecutive pieces sized by each word's letters and digits."""
    weights = [sum(c.isalnum() for c in word) for word in words]
    weights[0] = max(weights[0], 1)
    total = sum(weights)
    pieces = []
    done = 0
    for weight in weights:
        start = lo + (hi - lo) * done / total
        done += weight
        pieces.append((start, lo + (hi - lo) * done / total))
    pieces[-1] = (pieces[-1][0], hi)  # exactly, so the next word starts where this one ends
    return pieces
