"""From sections to a `Script` of narrated scenes, each short enough to keep a slide on screen for a
sensible time.

- A section's title is read aloud first, as a sentence; every narrated block ends as a sentence (a "."
  is added when it has no closing punctuation), so headings and list items are spoken with a pause.
- A scene with nothing to say (an untitled run of code blocks) is merged into the previous scene's
  slide, or the next one's when it comes first; a document with nothing to say is an `InputError`.
- Long scenes are split at block ends, then sentence ends, then clause marks, then words, into the
  fewest scenes that fit `max_scene_seconds`, balanced so that no part is a tiny leftover.
- With `ScriptLimits`, a script that breaks one is refused before anything is spoken (`limits`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.documents import Document, Section, read_sections
from app.services.models import BlockKind, Scene, Script, SlideBlock
from app.services.planning.limits import ScriptLimits, check_limits
from app.services.planning.sentences import fine_pieces
from app.services.planning.speakable import DEFAULT_WORDS_PER_MINUTE, as_sentence, speakable, speech_weight

DEFAULT_MAX_SCENE_SECONDS = 20.0


def _greedy_groups(weights: Sequence[float], cap: float) -> list[int]:
    """Start index of each group; a weightless item always joins the group before it."""
    starts: list[int] = []
    total = 0.0
    for i, w in enumerate(weights):
        if not starts or (total > 0 and total + w > cap):
            starts.append(i)
            total = 0.0
        total += w
    return starts


def balanced_groups(weights: Sequence[float], cap: float) -> list[int]:
    """The fewest groups within `cap`, then the smallest largest group: no tiny leftover part."""
    starts = _greedy_groups(weights, cap)
    if len(starts) <= 1:
        return starts
    hi = cap
    lo = min(max(weights), hi)
    for _ in range(40):
        check_cancelled()
        mid = (lo + hi) / 2
        if len(_greedy_groups(weights, mid)) <= len(starts):
            hi = mid
        else:
            lo = mid
    return _greedy_groups(weights, hi)


@dataclass(frozen=True)
class _Atom:
    """The unit of scene splitting: a piece of one block (or the title) and its speech weight."""

    block: int  # index into the section's blocks; -1 for the title
    kind: BlockKind
    display: str
    weight: float
    ends_block: bool  # the block's last piece: its narration closes as a sentence


def _block_atoms(index: int, block: SlideBlock, limit: float, split: bool) -> list[_Atom]:
    if block.kind is BlockKind.CODE:
        return [_Atom(index, block.kind, block.text, 0.0, True)]
    pieces = fine_pieces(block.text, limit) if split else [block.text]
    last = len(pieces) - 1
    atoms = []
    for n, piece in enumerate(pieces):
        if n % 1024 == 0:
            check_cancelled()
        atoms.append(_Atom(index, block.kind, piece, speech_weight(speakable(piece)), n == last))
    return atoms


def _section_atoms(section: Section, limit: float) -> list[_Atom]:
    atoms: list[_Atom] = []
    title_weight = speech_weight(speakable(section.title)) if section.title else 0.0
    for i, block in enumerate(section.blocks):
        check_cancelled()
        weight = speech_weight(speakable(block.text)) if block.kind is not BlockKind.CODE else 0.0
        # The first block shares its scene with the title, so only the rest of the budget is its own.
        budget = limit - title_weight if not atoms else limit
        atoms.extend(_block_atoms(i, block, limit, split=weight > budget))
    if section.title:
        atoms.insert(0, _Atom(-1, BlockKind.PARAGRAPH, section.title, title_weight, True))
    return atoms


def _runs(atoms: Sequence[_Atom]) -> list[_Atom]:
    """Pieces of the same block that land in one scene become one piece again."""
    groups: list[list[_Atom]] = []
    for atom in atoms:
        if groups and groups[-1][0].block == atom.block:
            groups[-1].append(atom)
        else:
            groups.append([atom])
    return [
        _Atom(
            group[0].block,
            group[0].kind,
            "".join(a.display for a in group),  # joined once: many weightless pieces stay linear
            sum(a.weight for a in group),
            group[-1].ends_block,
        )
        for group in groups
    ]


def _narration(runs: Sequence[_Atom]) -> str:
    spoken = []
    for run in runs:
        if run.kind is BlockKind.CODE:
            continue
        text = speakable(run.display)
        if text:
            spoken.append(as_sentence(text) if run.ends_block else text)
    return " ".join(spoken)


def _scenes_from_atoms(title: str | None, atoms: list[_Atom], limit: float) -> list[Scene]:
    weights = [a.weight for a in atoms]
    if title and len(atoms) > 1:  # the title is never a scene of its own when it has a body
        weights = [0.0, weights[0] + weights[1], *weights[2:]]
    starts = balanced_groups(weights, limit)
    scenes = []
    for start, end in zip(starts, [*starts[1:], len(atoms)], strict=True):
        check_cancelled()
        runs = _runs(atoms[start:end])
        blocks = tuple(
            SlideBlock(r.kind, r.display if r.kind is BlockKind.CODE else r.display.strip())
            for r in runs
            if r.block >= 0 and r.display.strip()
        )
        scenes.append(Scene(_narration(runs), title, blocks))
    return scenes


def _has_speech(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _sections_to_scenes(sections: Iterable[Section], limit: float) -> list[Scene]:
    """Scenes of every section; one with nothing to say lends its slide blocks to a neighbour."""
    scenes: list[Scene] = []
    orphans: list[SlideBlock] = []  # blocks met before any scene could show them
    for section in sections:
        check_cancelled()
        for scene in _scenes_from_atoms(section.title, _section_atoms(section, limit), limit):
            if not _has_speech(scene.narration):
                if scenes:
                    last = scenes[-1]
                    scenes[-1] = Scene(last.narration, last.title, (*last.blocks, *scene.blocks))
                else:
                    orphans.extend(scene.blocks)
                continue
            if orphans:
                scene = Scene(scene.narration, scene.title, (*orphans, *scene.blocks))
                orphans = []
            scenes.append(scene)
    return scenes


def build_script(
    doc: Document,
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
    max_scene_seconds: float = DEFAULT_MAX_SCENE_SECONDS,
    limits: ScriptLimits | None = None,
) -> Script:
    """Scenes in document order; joined, their narration is every spoken word of the document in order.

    With `limits`, a script that breaks one is refused (`InputError`) before anything is spoken.
    """
    if words_per_minute <= 0 or not math.isfinite(max_scene_seconds) or max_scene_seconds <= 0:
        raise ValueError("words_per_minute and max_scene_seconds must be positive")
    limit = max_scene_seconds * words_per_minute / 60.0
    sections = read_sections(doc)
    scenes = _sections_to_scenes(sections, limit)
    if not scenes:
        raise InputError(f"{doc.name} has no text to read aloud")
    if limits is not None:
        check_limits(doc.name, scenes, words_per_minute, limits)
    title = next((s.title for s in sections if s.title), None)
    return Script(tuple(scenes), title)
