"""What a scene says, as written, and which shown item each stretch of it is about.

Shown text is inline Markdown; the voice gets its words (`say`: markup gone, URLs read as their
host), each shown unit closed as a sentence so the voice pauses after headings and items. A table
row is said as one sentence of "header: value" pairs, never as a list of cells; code is never said.
`md_sentences` cuts inline Markdown at sentence ends only where no emphasis or code span is open, so
every piece is valid Markdown on its own (symbols after a sentence, "🎉", stay with it: shown, and
kept in the narration the captions show, though nobody says them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.services.documents import inline_plain
from app.services.planning.plan import Beat
from app.services.planning.sentences import split_sentences
from app.services.planning.speakable import as_sentence, speakable

_MARK = re.compile(r"\\.|`+|\*")


def say(md: str) -> str:
    """The words of inline Markdown as the voice reads them (not yet closed as a sentence)."""
    return speakable(inline_plain(md))


def sentence(md: str) -> str:
    """One shown unit said as a sentence ("" when it has nothing to say)."""
    words = say(md)
    return as_sentence(words) if any(ch.isalnum() for ch in words) else ""


def balanced(md: str) -> bool:
    """No emphasis or code span left open (the Markdown we write is normalized: every `*` and
    backtick that is not escaped is markup)."""
    stars = ticks = 0
    open_ticks = 0
    for m in _MARK.finditer(md):
        token = m.group()
        if token.startswith("\\"):
            continue
        if token.startswith("`"):
            if open_ticks == 0:
                open_ticks = len(token)
            elif open_ticks == len(token):
                open_ticks = 0
            ticks += 1
        elif open_ticks == 0:
            stars += 1
    return open_ticks == 0 and stars % 2 == 0


def md_sentences(md: str) -> list[str]:
    """Sentences of inline Markdown, each valid on its own (a cut inside emphasis is not a cut)."""
    out: list[str] = []
    pending = ""
    for piece in split_sentences(md):
        pending += piece
        if balanced(pending):
            if out and not any(ch.isalnum() for ch in pending):  # "🎉" after a sentence stays with it
                out[-1] = f"{out[-1]} {pending.strip()}".strip()
            elif pending.strip():
                out.append(pending.strip())
            pending = ""
    if pending.strip():
        out.append(pending.strip())
    return out


def row_sentence(header: Sequence[str], row: Sequence[str]) -> str:
    """A table row as one natural sentence: "Tool: pip; speed: slow." (empty cells skipped)."""
    parts = []
    for n, cell in enumerate(row):
        value = say(cell)
        if not value:
            continue
        name = say(header[n]) if n < len(header) else ""
        parts.append(f"{name}: {value}" if name else value)
    text = "; ".join(parts)
    return as_sentence(text) if any(ch.isalnum() for ch in text) else ""


class Narrator:
    """Builds one scene's narration and its beats: `add(text, item)` appends a sentence about `item`
    (None: nothing shown in particular)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.beats: list[Beat] = []
        self.length = 0

    def add(self, text: str, item: int | None = None) -> None:
        text = text.strip()
        if not text:
            return
        start = self.length + 1 if self.parts else 0
        if not self.beats or self.beats[-1].item != item:
            self.beats.append(Beat(at=start, item=item))
        self.parts.append(text)
        self.length = start + len(text)

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def beats_if_useful(self) -> list[Beat]:
        """No beats when nothing in particular is ever spoken about."""
        return self.beats if any(b.item is not None for b in self.beats) else []
