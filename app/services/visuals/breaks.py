"""Where a line may break inside a word: scripts written without spaces.

Chinese and Japanese break between any two characters, except that closing punctuation, small kana
and the prolonged sound mark never start a line and opening brackets never end one (kinsoku shori,
the basics of JIS X 4051). Thai breaks between dictionary words (`thaibreak`: a dictionary-based
segmenter over Thai character clusters, so a vowel or tone mark never leaves its consonant); Lao,
Myanmar and Khmer, without a dictionary here, between grapheme clusters. Korean
is written with spaces and breaks there, like Latin text. Everything else stays whole: a word wider
than the line is cut where it must be by the caller.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata

_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u31c0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
)
_CJK_SMP = "\U00020000-\U0003134f"
_THAI = "\u0e00-\u0e7f"
_CLUSTERED = "\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"  # Lao, Myanmar, Khmer: no dictionary here
# Myanmar virama and Khmer coeng (the next consonant stacks below), Lao vowels written before their
# consonant: the character after one of these stays with it
_BINDERS = frozenset("\u1039\u17d2\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4")
_MARKS = "\u0300-\u036f\u3099\u309a\ufe00-\ufe0f"
_HAN = f"{_CJK}{_CJK_SMP}"
_ATOMS = re.compile(f"[{_HAN}][{_MARKS}]*|[{_THAI}]+|[{_CLUSTERED}]+|[^{_HAN}{_THAI}{_CLUSTERED}]+")
_NEEDS = re.compile(f"[{_HAN}{_THAI}{_CLUSTERED}]")
_CLUSTERED_RUN = re.compile(f"[{_CLUSTERED}]")
_THAI_RUN = re.compile(f"[{_THAI}]")

# never at the start of a line: closing marks, small kana, iteration and prolonged sound marks
NO_START = frozenset(
    "、。，．：；？！‐゠–〜～ー・…‥）〕］｝〉》」』】〙〗〟’”»｠ヽヾゝゞ々〻"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    ",.!?;:)]}%'\"ๆฯ"
)
# never at the end of a line: opening brackets and quotes
NO_END = frozenset("（〔［｛〈《「『【〘〖〝‘“«｟([{")

_lock = threading.Lock()


def needs_breaking(text: str) -> bool:
    """Whether the text has characters of a script that breaks inside words."""
    return _NEEDS.search(text) is not None


def break_units(word: str) -> list[str]:
    """The word (no spaces) as the pieces a line may break between; joined, they give it back."""
    if not needs_breaking(word):
        return [word]
    atoms: list[str] = []
    for match in _ATOMS.finditer(word):
        atom = match.group()
        if _THAI_RUN.match(atom):
            atoms += thai_words(atom)
        elif _CLUSTERED_RUN.match(atom):
            atoms += clusters(atom)
        else:
            atoms.append(atom)
    out: list[str] = []
    for atom in atoms:
        if out and (_no_start(atom[0]) or _no_end(out[-1][-1])):
            out[-1] += atom
        else:
            out.append(atom)
    return out


def _no_start(ch: str) -> bool:
    return ch in NO_START or unicodedata.category(ch) in ("Pe", "Pf")


def _no_end(ch: str) -> bool:
    return ch in NO_END or unicodedata.category(ch) in ("Ps", "Pi")


def clusters(text: str) -> list[str]:
    """Lao, Myanmar or Khmer text cut between grapheme clusters: a consonant keeps its vowel signs,
    tone marks and the consonants stacked under it (after a Khmer coeng or a Myanmar virama)."""
    out: list[str] = []
    for ch in text:
        attached = unicodedata.category(ch) in ("Mn", "Mc") or (out and out[-1][-1] in _BINDERS)
        if out and attached:
            out[-1] += ch
        else:
            out.append(ch)
    return out


def thai_words(text: str) -> list[str]:
    """Thai text cut at word boundaries (a dictionary segmenter; clusters whole where it fails)."""
    import thaibreak  # a small Rust library with its dictionary; loaded only for Thai text

    with _lock:  # one segmenter with global state in the library: calls one at a time
        bounds = list(thaibreak.boundaries(text))
    if not bounds or bounds[0] != 0 or bounds[-1] != len(text):
        return [text]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]
