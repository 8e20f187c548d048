"""One left-to-right pass of several rules over a text: the earliest match wins, ties go to the first rule.

Each rule finds its next match itself, so a rule may be a Python regex with a function that says what
to speak (and may decline a match), or a list of matches found in advance (the lexicon's RE2 patterns).
A rule's pending match is kept until the scan passes it, so each rule scans the text about once:
the pass is linear in the text's length for rules whose patterns are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

# (start, end, spoken): written text[start:end] is said as `spoken`.
Found = tuple[int, int, str]


class Rule(Protocol):
    def find(self, text: str, pos: int, endpos: int) -> Found | None:
        """The first accepted match in text[pos:endpos] (lookbehinds may see text before `pos`)."""


# What to say for a match, given the whole text (for context); None declines this match.
Say = Callable[[re.Match[str], str], "str | None"]


@dataclass(frozen=True)
class PatternRule:
    """A regex and what to say for its matches."""

    name: str
    pattern: re.Pattern[str]
    say: Say

    def find(self, text: str, pos: int, endpos: int) -> Found | None:
        while pos < endpos:
            match = self.pattern.search(text, pos, endpos)
            if match is None:
                return None
            start, end = match.span()
            spoken = self.say(match, text) if end > start else None
            if spoken is not None:
                return start, end, spoken
            pos = start + 1
        return None


def scan(text: str, start: int, end: int, rules: Sequence[Rule]) -> Iterator[Found]:
    """The non-overlapping matches of `rules` in text[start:end], left to right."""
    pending: list[Found | None] = [rule.find(text, start, end) for rule in rules]
    pos = start
    while True:
        best: Found | None = None
        for index, found in enumerate(pending):
            if found is not None and found[0] < pos:
                found = pending[index] = rules[index].find(text, pos, end)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        if best is None:
            return
        yield best
        pos = best[1]
