"""Kanji read as kana for espeak's Japanese voice.

espeak-ng's `ja` voice reads kana but has no readings for kanji: it spells each one out ("日本語"
takes 2.8 s where "にほんご" takes 0.85). Before the voice gets a Japanese run, every word written
in kanji is replaced by its reading from Janome (a pure-Python morphological analyser with the
IPADIC dictionary, Apache-2.0; loaded on the first Japanese text, about 80 MB), and the particles
は and へ by how they sound (わ, え). Each character of the reading remembers the character of the
text it comes from, so the voice's word marks still point into the shown text.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

_KANJI = re.compile("[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PARTICLES = {"は": "ワ", "へ": "エ"}
_lock = threading.Lock()


def needs_reading(text: str) -> bool:
    return _KANJI.search(text) is not None


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from janome.tokenizer import Tokenizer  # untyped; loaded only for Japanese text

    return Tokenizer(mmap=True)


def readable(text: str, voice: str | None) -> tuple[str, list[int] | None]:
    """What espeak's `voice` should get for `text`: readings for the Japanese voice when the text
    has kanji (with where each character comes from), else the text as it is (and None)."""
    if voice is None or voice.partition("+")[0] != "ja" or not needs_reading(text):
        return text, None
    return kana_reading(text)


def kana_reading(text: str) -> tuple[str, list[int]]:
    """The text with its kanji words as katakana readings, and for every character of that the
    offset of the character of `text` it stands for."""
    with _lock:  # one analyser per process, its lattice is not shared between threads
        tokens = [(t.surface, t.reading, t.part_of_speech) for t in _tokenizer().tokenize(text)]
    out: list[str] = []
    origin: list[int] = []
    at = 0
    for surface, reading, part in tokens:
        found = text.find(surface, at)
        if found < 0:  # the analyser changed the text: speak what is left as it is
            break
        out.append(text[at:found])  # what it skipped (spaces), kept
        origin += range(at, found)
        said = surface
        if part.startswith("助詞") and surface in _PARTICLES:
            said = _PARTICLES[surface]
        elif needs_reading(surface) and reading not in ("*", ""):
            said = reading
        out.append(said)
        origin += [found + i * len(surface) // len(said) for i in range(len(said))]
        at = found + len(surface)
    out.append(text[at:])
    origin += range(at, len(text))
    return "".join(out), origin
