"""Word timings -> caption cues, by the rules subtitlers work to (Netflix, BBC, DCMP timed text).

Per scene (a cue never crosses a scene) and per sentence (a cue never crosses a sentence end, as
`planning.split_sentences` finds them, so "e.g." and "Dr." do not end one, or as the voice made one:
a closing mark and then a pause, as after "Meet t2v." before "t2v turns..."), a dynamic program
chooses where cues end and where each cue's line break goes, minimizing:

- a fixed cost per cue (fewer, fuller cues flicker less), a small one for a second line;
- `linebreak.break_cost` at each cue end and line break (commas good; "the", "of", "và" very bad);
- unequal lines (`balance_cost`, a bottom-heavy pyramid preferred);
- a cue that cannot stay up 0.833 s, and each character over 20 a second, given the time the cue
  can have: from its first word until the next cue starts (less the gap), at most 7 s.

A cue holds at most two lines of at most 42 characters (a full-width CJK character counts 42/16,
so 16 of them fill a line) and at most 7 s of speech, so the program looks back only over a cue's
window of words: time linear in the words (a 60,000-character sentence is a few hundred thousand
steps).

Then timing, per scene: a cue starts when its first word is heard and keeps its lines until its
words are said, then longer into the pause that follows if it needs the time (0.833 s at least, 20
characters a second) or if the pause left before the next cue is under 0.5 s (closed, less
flicker); never past the next cue's start less `gap_seconds` (80 ms, 2 frames at 25 fps: a viewer
sees that the caption changed; the gap is taken from the end of the earlier cue, so starts stay on
the speech), never past the scene's end, never longer than 7 s. A cue still short of 0.833 s then
starts earlier, into the pause before it, and as a last resort takes the time from the next cue
(which starts a little late). Only when a scene's speech is too short for its sentences to get
0.833 s each are its short cues merged across a sentence end.

Pieces: a character of Chinese or Japanese text is a piece of its own (`linebreak.pieces_of`); a
word wider than a line (a URL, a 79-character identifier) is cut into line-wide pieces at a / - . _
when one falls late in the line, else at the line's width, and shown whole across the lines of its
cue (or of consecutive cues, when it is longer than two lines): nothing is lost. A piece nobody says
(an emoji, a lone dash) stays in the cue of the word before it (or after it, at a sentence's start);
a scene with nothing but such pieces gets no caption.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable, Sequence

from app.core.threads import check_cancelled
from app.services.captions.linebreak import (
    balance_cost,
    cut_costs,
    inside_word,
    is_spoken,
    join,
    layout,
    pieces_of,
)
from app.services.captions.timing import CaptionRules, Draft, time_cues
from app.services.models import Cue, WordTiming
from app.services.planning import split_sentences

CUE_COST = 2.0  # more than any break bonus, so a cue is not cut at every comma
SECOND_LINE_COST = 0.2  # one line when the text fits on one
SHORT_COST = 20.0  # a cue that cannot be up 0.833 s, per missing fraction of that
FAST_COST = 0.15  # per character beyond what 20 characters a second allow in the cue's time
WORD_SPLIT_COST = 4.0  # a cue ending inside a long word (its lines may split it: it is too long)
FRAGMENT_CHARS = 24  # a cue narrower than this, cut from a longer sentence, is a fragment
FRAGMENT_COST = 2.0  # for a fragment of no width; less the wider it is
MAX_MERGE_ROUNDS = 3


def segment(
    scenes: Iterable[Sequence[WordTiming]],
    video_duration: float,
    scene_ends: Sequence[float] | None = None,
    rules: CaptionRules | None = None,
) -> list[Cue]:
    """Cues for each scene's words (absolute times), in order, never overlapping.

    `scene_ends[i]`: when scene i's picture gives way to the next (its captions end by then); by
    default, when the next scene's first word starts (the video's end for the last scene).
    """
    rules = rules or CaptionRules()
    words = [list(w) for w in scenes]
    starts = [next((w.start for w in ws), None) for ws in words]
    cues: list[Cue] = []
    low = 0.0
    for i, scene_words in enumerate(words):
        check_cancelled()
        next_start = next((s for s in starts[i + 1 :] if s is not None), None)
        if scene_ends is not None:
            high = scene_ends[i]
        else:
            high = next_start if next_start is not None else video_duration
        if next_start is not None:
            high = min(high, next_start - rules.gap_seconds)
        high = min(high, video_duration)
        cues.extend(_scene_cues(scene_words, low, high, rules))
        low = max(low, scene_ends[i] if scene_ends is not None else high)
    return _to_milliseconds(cues, video_duration)


def _scene_cues(words: Sequence[WordTiming], low: float, high: float, rules: CaptionRules) -> list[Cue]:
    pieces = [p for w in words for p in pieces_of(w, rules.max_line_chars, rules.wide)]
    if not any(is_spoken(p.text) for p in pieces):
        return []  # only symbols nobody says: left out
    drafts: list[Draft] = []
    sentences = _sentences(pieces)
    for n, (first, stop) in enumerate(sentences):
        room = pieces[sentences[n + 1][0]].start if n + 1 < len(sentences) else high
        for d in _segment_sentence(pieces[first:stop], room, rules):
            drafts.append(Draft(d.first + first, d.stop + first, d.split + first if d.split >= 0 else -1))
    times = time_cues(pieces, drafts, low, high, rules)
    for _ in range(MAX_MERGE_ROUNDS):
        short = [k for k, (a, b) in enumerate(times) if b - a < rules.min_seconds]
        if not short or len(drafts) == 1:
            break
        merged = _merge_short(pieces, drafts, set(short), rules)
        if len(merged) == len(drafts):
            break
        drafts = merged
        times = time_cues(pieces, drafts, low, high, rules)
    return [_cue(pieces, d, start, end) for d, (start, end) in zip(drafts, times, strict=True)]


def _cue(pieces: Sequence[WordTiming], draft: Draft, start: float, end: float) -> Cue:
    lines: tuple[str, ...]
    if draft.split < 0:
        lines = (join(pieces[draft.first : draft.stop]),)
    else:
        lines = (join(pieces[draft.first : draft.split]), join(pieces[draft.split : draft.stop]))
    return Cue(start, end, lines, tuple(pieces[draft.first : draft.stop]))


# --------------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------------


def _sentences(pieces: Sequence[WordTiming]) -> list[tuple[int, int]]:
    """[first, stop) of each sentence; a "sentence" with nothing spoken joins a neighbour."""
    offsets: list[int] = []
    parts: list[str] = []
    pos = 0
    for i, piece in enumerate(pieces):
        if i and not piece.glued:
            parts.append(" ")
            pos += 1
        offsets.append(pos)
        parts.append(piece.text)
        pos += len(piece.text)
    cuts = [0]
    pos = 0
    for sentence in split_sentences("".join(parts))[:-1]:
        pos += len(sentence)
        k = bisect.bisect_left(offsets, pos)
        if cuts[-1] < k < len(pieces):
            cuts.append(k)
    cuts = sorted({*cuts, *_voiced_ends(pieces), len(pieces)})
    ranges = list(itertools.pairwise(cuts))
    out: list[tuple[int, int]] = []
    pending = -1  # start of unspoken pieces waiting for a sentence to join
    for first, stop in ranges:
        if not any(is_spoken(p.text) for p in pieces[first:stop]):
            if out:
                out[-1] = (out[-1][0], stop)
            elif pending < 0:
                pending = first
            continue
        out.append((pending if pending >= 0 else first, stop))
        pending = -1
    return out


_CLOSED = re.compile(r"[.!?…。！？][\"')\]»”’]*$")
SPOKEN_END_GAP = 0.25  # seconds of silence after a closing mark: the voice ended a sentence there


def _voiced_ends(pieces: Sequence[WordTiming]) -> list[int]:
    """Sentence ends the voice made that the text splitter does not see ("Meet t2v. t2v turns...",
    a heading closed before a lower-case word): a closing mark followed by a pause."""
    return [
        k
        for k in range(1, len(pieces))
        if not pieces[k].glued
        and pieces[k].start - pieces[k - 1].end >= SPOKEN_END_GAP
        and _CLOSED.search(pieces[k - 1].text)
    ]


# --------------------------------------------------------------------------------------------------
# Cues of one sentence: the dynamic program
# --------------------------------------------------------------------------------------------------


def _segment_sentence(pieces: Sequence[WordTiming], room: float, rules: CaptionRules) -> list[Draft]:
    """The cheapest cues for one sentence's pieces; `room`: how late its last cue may end."""
    n = len(pieces)
    lines = _Lines(pieces, rules)
    line, cut_cost = lines.line, lines.cut_cost
    starts = [p.start for p in pieces]
    ends = [p.end for p in pieces]
    min_s, max_s = rules.min_seconds, rules.max_seconds
    cps = rules.max_chars_per_second
    inf = float("inf")
    best = [inf] * (n + 1)
    back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
    best[0] = 0.0
    for stop in range(1, n + 1):
        if stop % 1024 == 0:
            check_cancelled()
        end_cost = cut_cost[stop] if stop < n else 0.0
        if stop < n and inside_word(pieces[stop - 1], pieces[stop]):
            end_cost += WORD_SPLIT_COST
        available = starts[stop] if stop < n else room
        last_end = ends[stop - 1]
        for first in range(stop - 1, -1, -1):
            width = lines.width(first, stop)
            if width > 2 * line or (first < stop - 1 and last_end - starts[first] > max_s):
                break
            if width <= line:
                cost, split = 0.0, -1
            else:
                cost, split = lines.two_lines(first, stop)
                if split < 0:
                    continue
            shown = min(max_s, available - starts[first])
            if shown < min_s:
                cost += SHORT_COST * (min_s - shown) / min_s
            excess = width - cps * max(shown, 0.0)
            if excess > 0:
                cost += FAST_COST * excess
            if width < FRAGMENT_CHARS and (first > 0 or stop < n):
                cost += FRAGMENT_COST * (FRAGMENT_CHARS - width) / FRAGMENT_CHARS
            cost += best[first] + CUE_COST + end_cost
            if cost < best[stop]:
                best[stop] = cost
                back[stop] = (first, split)
    drafts: list[Draft] = []
    stop = n
    while stop > 0:
        first, split = back[stop]
        drafts.append(Draft(first, stop, split))
        stop = first
    drafts.reverse()
    return drafts


class _Lines:
    """Line breaking over one run of pieces, with what every candidate cue shares precomputed."""

    def __init__(self, pieces: Sequence[WordTiming], rules: CaptionRules) -> None:
        self.line = float(rules.max_line_chars)
        self.prefix, self.spaces = layout(pieces, rules.wide)
        self.cut_cost = cut_costs(pieces)
        self.good = [k for k, cost in enumerate(self.cut_cost) if k and cost < 0]

    def width(self, first: int, stop: int) -> float:
        return self.prefix[stop] - self.prefix[first] - self.spaces[first]

    def two_lines(self, first: int, stop: int) -> tuple[float, int]:
        """The best break of pieces [first, stop) into two lines of at most a line: (cost, split).

        Unequal lines cost more the further the split is from the middle, so on each side of the
        middle only the splits up to the first one with no penalty can win, besides the few that
        earn a bonus: a handful of candidates, not every piece of the cue.
        """
        prefix, line = self.prefix, self.line
        top = prefix[first] + self.spaces[first]
        # the first split whose upper line is the wider
        middle = bisect.bisect_right(prefix, (top + prefix[stop]) / 2, first + 1, stop)
        best, split = float("inf"), -1
        candidates: list[int] = []
        for k in range(middle - 1, first, -1):  # leftwards: the lower line grows
            candidates.append(k)
            if self.cut_cost[k] <= 0 or self.width(k, stop) > line:
                break
        for k in range(middle, stop):  # rightwards: the upper line grows
            candidates.append(k)
            if self.cut_cost[k] <= 0 or prefix[k] - top > line:
                break
        lo = bisect.bisect_left(self.good, first + 1)
        hi = bisect.bisect_left(self.good, stop, lo)
        candidates.extend(self.good[lo:hi])
        for k in candidates:
            if not first < k < stop:
                continue
            upper, lower = prefix[k] - top, self.width(k, stop)
            if upper > line or lower > line:
                continue
            cost = SECOND_LINE_COST + self.cut_cost[k] + balance_cost(upper, lower, line)
            if cost < best:
                best, split = cost, k
        return best, split


def _merge_short(
    pieces: Sequence[WordTiming], drafts: Sequence[Draft], short: set[int], rules: CaptionRules
) -> list[Draft]:
    """Join each short cue to the next (or the previous) one when the two fit in one cue's lines."""
    out: list[Draft] = []
    skip = False
    for n, draft in enumerate(drafts):
        if skip:
            skip = False
            continue
        if n in short and n + 1 < len(drafts):
            joined = _joined(pieces, draft.first, drafts[n + 1].stop, rules)
            if joined is not None:
                out.append(joined)
                skip = True
                continue
        if n in short and out:
            joined = _joined(pieces, out[-1].first, draft.stop, rules)
            if joined is not None:
                out[-1] = joined
                continue
        out.append(draft)
    return out


def _joined(pieces: Sequence[WordTiming], first: int, stop: int, rules: CaptionRules) -> Draft | None:
    lines = _Lines(pieces[first:stop], rules)
    if lines.width(0, stop - first) <= lines.line:
        return Draft(first, stop, -1)
    _, split = lines.two_lines(0, stop - first)
    return Draft(first, stop, split + first) if split >= 0 else None


def _to_milliseconds(cues: Sequence[Cue], video_duration: float) -> list[Cue]:
    """Whole milliseconds (what SRT and VTT say), clipped to the video, in order. Ends round down,
    so that no cue passes the scene or the cue it was timed to end before."""
    limit = int(video_duration * 1000)
    out: list[Cue] = []
    previous = 0
    for cue in cues:
        start = max(previous, round(cue.start * 1000))
        end = min(math.floor(cue.end * 1000 + 1e-6), limit)
        if end - start < 1:
            continue
        out.append(Cue(start / 1000, end / 1000, cue.lines, cue.words))
        previous = end
    return out
