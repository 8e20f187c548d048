"""Right-to-left text on a line: the Unicode bidirectional algorithm's implicit rules, enough to
put runs of Arabic, Hebrew and the numbers and Latin words among them in reading order.

A slide line is drawn as runs (one font each). Each run gets a level (even: left to right, odd:
right to left) and the runs are placed in visual order (rule L2: reverse every sequence at or above
each odd level); raqm then shapes and orders the characters inside a run in its own direction.
Explicit embeddings and isolates (U+202A..U+202E, U+2066..U+2069) are dropped as invisible
before this (`fonts.clean_text`), so the paragraph is one embedding level: W1-W7, N1-N2, I1-I2 and
L1 for trailing spaces, as the algorithm has them (UAX #9).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# A quick test for text with nothing right to left in it (the common case costs one regex scan):
# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, Arabic presentation forms, RTL SMP blocks.
_RTL_CHARS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
_STRONG = {"L": 0, "R": 1, "AL": 1}
_NEUTRAL = {"B", "S", "WS", "ON", "BN"}


def has_rtl(text: str) -> bool:
    return _RTL_CHARS.search(text) is not None


def paragraph_rtl(text: str) -> bool:
    """The paragraph's direction: that of its first strong character (rules P2, P3)."""
    for ch in text:
        kind = _STRONG.get(unicodedata.bidirectional(ch))
        if kind is not None:
            return kind == 1
    return False


def levels(text: str, rtl: bool) -> list[int]:
    """The resolved embedding level of every character of one line of a paragraph."""
    base = 1 if rtl else 0
    if not rtl and not has_rtl(text):
        return [0] * len(text)
    sos = "R" if rtl else "L"
    types = [unicodedata.bidirectional(ch) or "L" for ch in text]
    _weak(types, sos)
    _neutral(types, sos, "R" if rtl else "L")
    out = []
    for kind in types:
        if base == 0:
            out.append(1 if kind == "R" else 2 if kind in ("AN", "EN") else 0)
        else:
            out.append(2 if kind in ("L", "AN", "EN") else 1)
    n = len(text)  # L1: trailing whitespace goes back to the paragraph's level
    while n and unicodedata.bidirectional(text[n - 1]) in ("WS", "S", "B", "BN"):
        n -= 1
        out[n] = base
    return out


def _weak(types: list[str], sos: str) -> None:
    last_strong = sos
    prev = sos
    for i, kind in enumerate(types):
        if kind == "NSM":  # W1
            kind = types[i] = prev
        if kind in ("L", "R", "AL"):
            last_strong = kind
        elif kind == "EN" and last_strong == "AL":  # W2
            types[i] = "AN"
        prev = types[i]
    for i, kind in enumerate(types):  # W3
        if kind == "AL":
            types[i] = "R"
    for i in range(1, len(types) - 1):  # W4
        before, here, after = types[i - 1], types[i], types[i + 1]
        if here == "ES" and before == after == "EN":
            types[i] = "EN"
        elif here == "CS" and before == after and before in ("EN", "AN"):
            types[i] = before
    for i, kind in enumerate(types):  # W5: terminators next to European numbers
        if kind == "EN":
            j = i - 1
            while j >= 0 and types[j] == "ET":
                types[j] = "EN"
                j -= 1
            j = i + 1
            while j < len(types) and types[j] == "ET":
                types[j] = "EN"
                j += 1
    for i, kind in enumerate(types):  # W6
        if kind in ("ES", "ET", "CS"):
            types[i] = "ON"
    last_strong = sos
    for i, kind in enumerate(types):  # W7
        if kind in ("L", "R"):
            last_strong = kind
        elif kind == "EN" and last_strong == "L":
            types[i] = "L"


def _neutral(types: list[str], sos: str, embedding: str) -> None:
    """N1, N2: a run of neutrals between two strong sides of one direction takes it (numbers count
    as right to left), otherwise the paragraph's direction."""
    i = 0
    n = len(types)
    while i < n:
        if types[i] not in _NEUTRAL:
            i += 1
            continue
        j = i
        while j < n and types[j] in _NEUTRAL:
            j += 1
        before = sos if i == 0 else _side(types[i - 1])
        after = sos if j == n else _side(types[j])  # eos is the paragraph's direction too
        fill = before if before == after else embedding
        for k in range(i, j):
            types[k] = fill
        i = j


def _side(kind: str) -> str:
    return "R" if kind in ("R", "AN", "EN") else "L"


def visual_order(run_levels: Sequence[int]) -> list[int]:
    """Indices of runs (each at one level) in the order they are drawn from left to right (L2)."""
    order = list(range(len(run_levels)))
    if not run_levels:
        return order
    highest = max(run_levels)
    lowest_odd = min((lv for lv in run_levels if lv % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if run_levels[order[i]] >= level:
                j = i
                while j < len(order) and run_levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


def split_levels(text: str, text_levels: Sequence[int]) -> list[tuple[str, int]]:
    """The text cut where its level changes: [(piece, level)]."""
    out: list[tuple[str, int]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or text_levels[i] != text_levels[start]:
            out.append((text[start:i], text_levels[start]))
            start = i
    return out
