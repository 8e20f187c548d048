"""Beats found again from what a scene shows and says, for plans whose beats are missing or stale.

The planner writes each scene's beats as it builds the narration, so they are right for the plans it
makes. A storyboard edited by hand or in the studio loses them (the studio clears a scene's beats
when its words change) or keeps offsets that no longer point at the item said there; then the
highlight would stay on one row or item for the rest of the scene, or not appear at all. `usable_beats`
keeps a scene's beats when they still fit and otherwise finds each shown unit (a table row by its first
cell, an item by its first words) in the narration, in order (`derive_beats`).
"""

from __future__ import annotations

import itertools
import re

from app.services.documents import inline_plain
from app.services.planning.plan import Beat, Scene

KEY_WORDS = 4  # an item is found by its first words (a slide may show less than the voice says)
_WORD = re.compile(r"\w+")


def _units(scene: Scene) -> list[tuple[str, str]]:
    """What each highlightable thing is said with: (a prefix that may come first, its words). A
    table row is said "Header: first cell; ..." (`narrate.row_sentence`); an item by its words."""
    if scene.layout == "table" and scene.table is not None:
        table = scene.table
        out = []
        for row in table.rows:
            cell = next((c for c in range(len(row)) if inline_plain(row[c]).strip()), 0)
            head = inline_plain(table.header[cell]) if cell < len(table.header) else ""
            out.append((head, inline_plain(row[cell]) if row else ""))
        return out
    return [("", inline_plain(item.text)) for item in scene.items]


def _key(unit: tuple[str, str], words: int = KEY_WORDS) -> re.Pattern[str] | None:
    prefix, text = unit
    found = _WORD.findall(text)[:words]
    if not found:
        return None
    said = r"\W+".join(re.escape(w) for w in found)
    head = _WORD.findall(prefix)
    if head:  # "Tool: pip" starts at "Tool", if the header is said
        said = r"(?:" + r"\W+".join(re.escape(w) for w in head) + r"\W+)?" + said
    return re.compile(r"(?<!\w)" + said + r"(?!\w)", re.IGNORECASE)


def derive_beats(scene: Scene) -> list[Beat]:
    """A beat where each unit is first said after the previous one (units not found are skipped);
    a leading beat with no item when something is said before the first; none if fewer than two
    units are found (nothing to point at)."""
    beats: list[Beat] = []
    position = 0
    for index, unit in enumerate(_units(scene)):
        key = _key(unit)
        match = key.search(scene.narration, position) if key is not None else None
        if match is None:
            continue
        beats.append(Beat(at=match.start(), item=index))
        position = match.end()
    if len(beats) < 2:
        return []
    if any(ch.isalnum() for ch in scene.narration[: beats[0].at]):
        beats.insert(0, Beat(at=0, item=None))
    return beats


def _stale(scene: Scene) -> bool:
    """Beats that cannot be the planner's for this narration: none, past its end, out of order, or
    (tables, whose rows are said with their first cell) a row not said in its own stretch."""
    beats, end = scene.beats, len(scene.narration)
    if not beats or any(b.at > end for b in beats):
        return True
    if any(b.at <= a.at for a, b in itertools.pairwise(beats)):
        return True
    if scene.layout == "table" and scene.table is not None:
        units = _units(scene)
        stops = [*(b.at for b in beats[1:]), end]
        for beat, stop in zip(beats, stops, strict=True):
            if beat.item is None or beat.item >= len(units):
                continue
            key = _key(("", units[beat.item][1]), 2)
            if key is not None and key.search(scene.narration[beat.at : stop]) is None:
                return True
    return False


def usable_beats(scene: Scene) -> list[Beat]:
    """The scene's beats if they fit its narration, else those found again (`derive_beats`)."""
    return derive_beats(scene) if _stale(scene) else list(scene.beats)
