"""When each still of a scene is on screen: its beats timed from the words the voice speaks.

A plan scene's `beats` say "from narration character `at` on, the voice speaks about item `item`".
The speech gives every word's start time, so a beat starts when the word holding its character is
heard. The result is a short list of focus states per scene (which item is highlighted, from when):
the renderer draws one still per distinct state and the video holds each for its time, so a
highlight change is one more picture in the scene's segment, never a re-encode of every frame.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.threads import check_cancelled
from app.services.models import Speech, WordTiming
from app.services.planning import Beat, Scene, usable_beats
from app.services.video import Shot

# the layouts whose picture changes with the focus (the others look the same whatever is spoken)
FOCUS_LAYOUTS = frozenset({"bullets", "prose", "table", "image_text", "quote"})
MIN_HOLD = 0.6  # seconds: a state shown for less is skipped (a flash is noise, not a pointer)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class FocusState:
    """From `start` seconds into the scene's speech on, item `focus` is highlighted (None: none)."""

    start: float
    focus: int | None


def focus_units(scene: Scene) -> int:
    """How many things of the scene can be highlighted (items, or a table's rows)."""
    if scene.layout == "table" and scene.table is not None:
        return len(scene.table.rows)
    return len(scene.items)


def scene_foci(scene: Scene) -> list[int | None]:
    """Every focus the scene may show, in order of first use: what to draw. None (nothing
    highlighted) only when the first beat falls after the first word (or there is none)."""
    items = _valid_beats(scene)
    first = _ordered(scene)[0].at if items else 0
    foci: list[int | None] = [] if items and _word_index(_word_ends(scene), first) == 0 else [None]
    for item in items:
        if item not in foci:
            foci.append(item)
    return foci


def focus_timeline(scene: Scene, words: Sequence[WordTiming]) -> list[FocusState]:
    """The scene's focus states in time order, each held at least `MIN_HOLD` seconds (except that
    the last may run to the end of the speech); always at least one state, starting at 0."""
    beats = _timed_beats(scene, words)
    states = [FocusState(0.0, None)]
    for start, focus in beats:
        if start - states[-1].start < MIN_HOLD:
            states[-1] = FocusState(states[-1].start, focus)  # the earlier state would only flash
        else:
            states.append(FocusState(start, focus))
    merged = [states[0]]
    for state in states[1:]:
        if state.focus != merged[-1].focus:
            merged.append(state)
    return merged


def scene_shots(
    scenes: Sequence[Scene],
    stills: Sequence[dict[int | None, Path]],
    speeches: Sequence[Speech],
    offsets: Sequence[float],
    duration: float,
) -> list[list[Shot]]:
    """Each scene's stills, from its narration's start until the next scene's (pause included): the
    focus states in turn, each from the start of the word its beat falls on."""
    starts = [0.0, *offsets[1:]]  # the first picture also covers the track's short lead-in
    ends = [*offsets[1:], duration]
    out = []
    for scene, pictures, speech, offset, start, end in zip(
        scenes, stills, speeches, offsets, starts, ends, strict=True
    ):
        check_cancelled()
        states = focus_timeline(scene, speech.words)
        edges = [start, *(min(end, max(start, offset + s.start)) for s in states[1:]), end]
        shots = [
            Shot(pictures.get(state.focus) or next(iter(pictures.values())), a, b - a)
            for state, a, b in zip(states, edges, edges[1:], strict=False)
            if b > a
        ]
        out.append(shots)
    return out


def _valid_beats(scene: Scene) -> list[int | None]:
    """The beats' items, if focus changes this scene's picture (else none at all)."""
    units = focus_units(scene)
    if scene.layout not in FOCUS_LAYOUTS or units < 2:
        return []
    return [b.item if b.item is not None and b.item < units else None for b in _ordered(scene)]


def _ordered(scene: Scene) -> list[Beat]:
    """Beats inside the narration, in increasing order of `at` (stale ones dropped)."""
    end = len(scene.narration)
    out = []
    last = -1
    for beat in usable_beats(scene):  # found again when an edit left them missing or stale
        if last < beat.at <= end:
            out.append(beat)
            last = beat.at
    return out


def _timed_beats(scene: Scene, words: Sequence[WordTiming]) -> list[tuple[float, int | None]]:
    """(seconds into the speech, item) for each beat: the start of the word holding its character;
    a beat on the first word starts with the scene (its still is the scene's first picture)."""
    items = _valid_beats(scene)
    if not items:
        return []
    ends = _word_ends(scene)
    last_end = words[-1].end if words else 0.0
    timed = []
    for beat, item in zip(_ordered(scene), items, strict=True):
        k = _word_index(ends, beat.at)
        j = _spoken_index(k, len(ends), len(words))
        timed.append((0.0 if k == 0 else words[j].start if j is not None else last_end, item))
    return timed


def _word_ends(scene: Scene) -> list[int]:
    """Where each word of the narration ends (exclusive character offsets)."""
    return [m.end() for m in _WORD.finditer(scene.narration)]


def _word_index(ends: Sequence[int], at: int) -> int:
    """The word holding character `at`, or the first one after it."""
    return bisect.bisect_right(ends, at)


def _spoken_index(k: int, written: int, spoken: int) -> int | None:
    """The spoken word for the k-th written word: the same one when the voice got the words as
    written; in proportion when normalization changed their count ("3" -> "three", "km" -> ...)."""
    if k >= written or spoken == 0:
        return None
    if written == spoken:
        return k
    return min(spoken - 1, round(k * spoken / written))


def held_gaps(speeches: Sequence[Speech], gaps: Sequence[float], hold: float) -> tuple[list[float], float]:
    """The silences after the scenes, lengthened so that a scene with nothing to say (a picture alone,
    a storyboard scene whose narration was emptied) stays on screen at least `hold` seconds instead
    of flashing by; and the silence after the last scene (whose own gap the narration does not
    play), which is where a silent last scene would otherwise vanish."""
    out = list(gaps)
    trailing = 0.0
    last = len(speeches) - 1
    for i, speech in enumerate(speeches):
        if any(w.end > w.start for w in speech.words):
            continue
        short = hold - speech.duration - (out[i] if i < last else 0.0)
        if short <= 0:
            continue
        if i < last:
            out[i] += short
        else:
            trailing = short
    return out, trailing
