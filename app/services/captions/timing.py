"""When each cue shows: its words' times, stretched into pauses so it can be read (see
`segmentation` for the rules), and the shared `CaptionRules` and `Draft` of a cue before timing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.services.captions.linebreak import join, text_width
from app.services.models import WordTiming

BORROW_REACH = 3  # a short cue borrows spare time from at most this many cues before it
READING_LEAD = 0.2  # a cue too fast to read may start this much before its words, if time is spare
# Durations aim 2 ms above the limits, so that they hold after rounding to milliseconds and in a
# reader's floating-point arithmetic (0.833 s shown as 00:00:01,000 --> 00:00:01,833).
MARGIN = 0.002


@dataclass(frozen=True)
class CaptionRules:
    """The rules cues are cut by; the defaults are the industry's (and t2v's quality numbers)."""

    max_line_chars: int = 42
    max_wide_chars: int = 16  # full-width (CJK) characters a line holds
    min_seconds: float = 0.833  # 5/6 s, 20 frames at 24 fps
    max_seconds: float = 7.0
    max_chars_per_second: float = 20.0
    gap_seconds: float = 0.08  # between cues: 2 frames at 25 fps
    close_gap_seconds: float = 0.5  # a shorter pause between two cues is closed down to the gap

    @property
    def wide(self) -> float:
        """The width of one full-width character, in narrow ones."""
        return self.max_line_chars / self.max_wide_chars


@dataclass(frozen=True)
class Draft:
    """A cue before timing: pieces [first, stop) of its scene, second line from `split` (-1: one line)."""

    first: int
    stop: int
    split: int


def time_cues(
    pieces: Sequence[WordTiming], drafts: Sequence[Draft], low: float, high: float, rules: CaptionRules
) -> list[tuple[float, float]]:
    """(start, end) of each cue of a scene that shows from `low` to `high` (see the module's doc).

    Forward, each cue takes the time it needs to be read (20 characters a second) from its own words
    and the pause after them, and up to 0.2 s of the spare time of the cues before it (they move
    earlier). One still under 0.833 s takes more of that spare time, then half of what it still
    lacks from the cues before it and the rest from the start of the next cue (pushed later).
    Backward, cues pushed past the scene's end are pulled earlier. Last, a cue still too fast
    takes up to 0.2 s of the spare time of the cues after it (they start at most 0.2 s late).
    """
    gap = rules.gap_seconds
    floor = rules.min_seconds + MARGIN
    onsets = [pieces[d.first].start for d in drafts]
    needs = [
        min(
            rules.max_seconds, max(floor, draft_width(pieces, d, rules) / rules.max_chars_per_second + MARGIN)
        )
        for d in drafts
    ]
    times: list[tuple[float, float]] = []
    earliest = low
    for k, draft in enumerate(drafts):
        start = max(onsets[k], earliest)
        said_until = max(p.end for p in pieces[draft.first : draft.stop])
        last = k + 1 == len(drafts)
        room = high if last else onsets[k + 1] - gap
        touching = not last and room - start < needs[k]  # fast speech: no gap rather than less time
        if touching:
            room = onsets[k + 1]
        wanted = max(said_until, start + needs[k])
        if room - wanted < rules.close_gap_seconds:
            wanted = max(wanted, room)
        end = min(wanted, room, start + rules.max_seconds)
        if end - start < needs[k] and times:  # to be read: a little of the spare time before it
            start = _borrow_before(times, needs, start, min(needs[k] - (end - start), READING_LEAD), low)
        if end - start < floor:
            if times:  # spare time first; then half of what is missing, from the time others need
                start = _borrow_before(times, needs, start, floor - (end - start), low)
                floors = [floor] * len(times)
                start = _borrow_before(times, floors, start, (floor - (end - start)) / 2, low)
            else:
                start = max(low, min(start, end - floor))  # into the scene's opening pause
            touching = False
        if end - start < floor:  # still short: it takes the next cue's first moments
            end = start + floor
            touching = False
        times.append((start, end))
        earliest = end if touching else end + gap
    limit = high
    for k in range(len(times) - 1, -1, -1):  # pushed past the scene's end: pull earlier
        start, end = times[k]
        if end <= limit:
            break
        end = limit
        start = max(low, min(start, end - floor))
        times[k] = (start, max(start, end))
        limit = start - gap
    for k in range(len(times) - 1):  # still too fast to read: a little of the spare time after it
        deficit = needs[k] - (times[k][1] - times[k][0])
        if deficit > 0:
            _borrow_after(times, needs, onsets, k, min(deficit, READING_LEAD))
    return times


def _borrow_before(
    times: list[tuple[float, float]], needs: Sequence[float], start: float, deficit: float, low: float
) -> float:
    """Take up to `deficit` from the spare time of the last few cues (shown longer than they need):
    the cues in between move earlier as a block. Returns the new start of the cue being timed."""
    k = len(times)
    for j in range(k - 1, max(-1, k - 1 - BORROW_REACH), -1):
        if deficit <= 0:
            break
        spare = times[j][1] - times[j][0] - needs[j]
        # the block from j+1 on must stay after the scene's start
        headroom = min([times[m][0] - low for m in range(j + 1, k)] + [start - low])
        shift = min(spare, deficit, headroom)
        if shift <= 0:
            continue
        times[j] = (times[j][0], times[j][1] - shift)
        for m in range(j + 1, k):
            times[m] = (times[m][0] - shift, times[m][1] - shift)
        start -= shift
        deficit -= shift
    return start


def _borrow_after(
    times: list[tuple[float, float]], needs: Sequence[float], onsets: Sequence[float], k: int, deficit: float
) -> None:
    """Lengthen cue `k` by up to `deficit` from the spare time of the next few cues: those in between
    move later as a block, and no start moves more than `READING_LEAD` after its words."""
    for j in range(k + 1, min(len(times), k + 1 + BORROW_REACH)):
        if deficit <= 0:
            break
        spare = times[j][1] - times[j][0] - needs[j]
        lateness = min(onsets[m] + READING_LEAD - times[m][0] for m in range(k + 1, j + 1))
        shift = min(spare, deficit, lateness)
        if shift <= 0:
            continue
        times[k] = (times[k][0], times[k][1] + shift)
        for m in range(k + 1, j):
            times[m] = (times[m][0] + shift, times[m][1] + shift)
        times[j] = (times[j][0] + shift, times[j][1])
        deficit -= shift


def draft_width(pieces: Sequence[WordTiming], draft: Draft, rules: CaptionRules) -> float:
    return text_width(join(pieces[draft.first : draft.stop]), rules.wide)
