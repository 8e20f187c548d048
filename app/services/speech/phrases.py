"""Where the voice pauses in a scene's narration, and for how long.

A scene's narration is spoken one sentence at a time (each cached on its own, each anchored where
its sound starts), with silence between them: `Pauses.sentence` after a sentence, `paragraph` after
a paragraph or list item, `heading` after a heading read aloud; `scene` is the silence between two
scenes (a plan scene's `pause_after` wins). Paragraph and heading ends are `Break`s, character
offsets into the narration given by whoever knows the structure (the plan scene's title and items:
`plan_breaks`); sentence ends come from `planning.split_sentences`.

Only a sentence end followed by whitespace is cut: Chinese or Japanese sentences written without
spaces stay one phrase, so every phrase's words are the narration's whitespace-separated words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from app.services.documents import inline_plain
from app.services.models import Pauses
from app.services.planning import Scene, speakable, split_sentences


class BreakKind(str, Enum):
    SENTENCE = "sentence"
    PARAGRAPH = "paragraph"
    HEADING = "heading"


@dataclass(frozen=True)
class Break:
    """The narration's text up to `at` (a character offset) ends a paragraph or a heading."""

    at: int
    kind: BreakKind


@dataclass(frozen=True)
class Phrase:
    """One piece of narration spoken in one go (a sentence), and the silence after it."""

    text: str
    pause_after: float


def _pause(kind: BreakKind, pauses: Pauses) -> float:
    if kind is BreakKind.HEADING:
        return pauses.heading
    if kind is BreakKind.PARAGRAPH:
        return pauses.paragraph
    return pauses.sentence


_RANK = {BreakKind.SENTENCE: 0, BreakKind.PARAGRAPH: 1, BreakKind.HEADING: 2}


def split_phrases(text: str, pauses: Pauses, breaks: Sequence[Break] = ()) -> list[Phrase]:
    """The narration as phrases with the pause after each; the last one's pause is 0 (the scene's
    own pause follows it). Joined, the phrases' texts are `text` (whitespace between them kept on the
    phrase before), so no word is lost or split."""
    cuts: dict[int, BreakKind] = {}
    position = 0
    for sentence in split_sentences(text):
        position += len(sentence)
        cuts[position] = BreakKind.SENTENCE
    for brk in breaks:
        at = _word_end(text, brk.at)
        if at is not None:
            kind = cuts.get(at, BreakKind.SENTENCE)
            cuts[at] = brk.kind if _RANK[brk.kind] >= _RANK[kind] else kind
    phrases: list[Phrase] = []
    start = 0
    for at in sorted(cuts):
        if at < len(text) and not text[at - 1].isspace():
            continue  # no space to cut at (CJK): the sentence runs on in the same phrase
        piece = text[start:at]
        if piece.strip():
            phrases.append(Phrase(piece, _pause(cuts[at], pauses)))
            start = at
        elif phrases:  # whitespace only: it belongs to the phrase before, with the stronger pause
            last = phrases[-1]
            phrases[-1] = Phrase(last.text + piece, max(last.pause_after, _pause(cuts[at], pauses)))
            start = at
    if start < len(text):
        tail = text[start:]
        if phrases and not tail.strip():
            phrases[-1] = Phrase(phrases[-1].text + tail, phrases[-1].pause_after)
        else:
            phrases.append(Phrase(tail, 0.0))
    if phrases:
        phrases[-1] = Phrase(phrases[-1].text, 0.0)
    return phrases


def _word_end(text: str, at: int) -> int | None:
    """`at` moved past the whitespace that follows it (where a phrase cut falls); None outside."""
    if not 0 < at < len(text):
        return None
    while at < len(text) and text[at].isspace():
        at += 1
    return at if at < len(text) else None


def plan_breaks(scene: Scene) -> list[Break]:
    """Heading and paragraph ends of a plan scene's narration: after its title when the narration
    reads it first, and where each item starts being spoken (its beats; without beats, where each
    item's words are found in turn). A part that cannot be found simply gets no break."""
    narration = scene.narration
    breaks: list[Break] = []
    cursor = 0
    if scene.title:
        heading = speakable(inline_plain(scene.title)).strip()
        if heading and narration.startswith(heading):
            cursor = _sentence_end(narration, len(heading))
            breaks.append(Break(cursor, BreakKind.HEADING))
    if scene.beats:
        breaks += [Break(b.at, BreakKind.PARAGRAPH) for b in scene.beats if b.at > cursor]
        return breaks
    for item in scene.items:
        said = speakable(inline_plain(item.text)).strip()
        found = narration.find(said, cursor) if said else -1
        if found < 0:
            continue
        cursor = _sentence_end(narration, found + len(said))
        breaks.append(Break(cursor, BreakKind.PARAGRAPH))
    return breaks


def _sentence_end(text: str, at: int) -> int:
    """Past the full stop the planner adds to a heading or item that had none."""
    return at + 1 if text[at : at + 1] == "." else at
