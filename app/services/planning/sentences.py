"""Splitting text without losing any of it: every splitter's pieces concatenate back to its input.

Sentences end at . ! ? … and 。！？ (not after titles such as "Dr.", initials, or before a lower-case
word), clauses at , ; : and dashes, words at spaces (or per character in CJK text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.services.planning.speakable import CJK_RANGES, CLOSER_CLASS

# Never end a sentence: titles and "for example" forms that always precede more words.
_NO_END_AFTER = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "e.g", "i.e", "cf", "viz", "approx",
    "fig", "figs", "vol", "ca", "gen", "col", "lt", "sgt", "capt", "rev", "hon", "mt", "ft",
    "tp", "ts", "ths", "pgs", "gs", "bs", "ks",
}  # fmt: skip
_SENTENCE_END = re.compile(
    rf"(?P<latin>[.!?…]+){CLOSER_CLASS}*(?:\s+|$)|(?P<cjk>[。！？]+){CLOSER_CLASS}*\s*",
)
_CLAUSE_END = re.compile(rf"[,;:–—]{CLOSER_CLASS}*\s+|[，；：、]\s*")
_WORD_PIECE = re.compile(f"(?:[{CJK_RANGES}]|[^\\s{CJK_RANGES}]+)\\s*")


def _cut(text: str, ends: Iterable[int]) -> list[str]:
    pieces, start = [], 0
    for end in ends:
        if start < end < len(text):
            pieces.append(text[start:end])
            start = end
    pieces.append(text[start:])
    return [p for p in pieces if p]


def _is_sentence_end(text: str, m: re.Match[str]) -> bool:
    if m.group("cjk"):
        return True
    mark = m.group("latin")
    if "!" in mark or "?" in mark:
        return True
    if text[m.end() : m.end() + 1].islower():  # "e.g. this", "a.m. tomorrow", "wait… no"
        return False
    if mark != ".":
        return True
    before = text[max(0, m.start() - 24) : m.start()].split()  # a window: long texts stay linear
    word = before[-1].lstrip("(\"'“‘[") if before else ""
    if word.lower() in _NO_END_AFTER:
        return False
    return not (len(word) == 1 and word.isupper() and word != "I")  # an initial, as in "J. R. R."


def split_sentences(text: str) -> list[str]:
    """Sentences, each with its punctuation and trailing space; handles . ! ? … and 。！？."""
    return _cut(text, (m.end() for m in _SENTENCE_END.finditer(text) if _is_sentence_end(text, m)))


def split_clauses(text: str) -> list[str]:
    return _cut(text, (m.end() for m in _CLAUSE_END.finditer(text)))


def split_words(text: str) -> list[str]:
    """Words, or single characters in CJK text, which has no spaces to split at."""
    head = len(text) - len(text.lstrip())
    pieces = _WORD_PIECE.findall(text, head)
    if head and pieces:
        pieces[0] = text[:head] + pieces[0]
    return pieces or [text]
