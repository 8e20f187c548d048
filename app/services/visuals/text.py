"""Measuring and wrapping text: lines by their measured width, runs of mixed fonts included.

Prose wraps word by word, and only as far as the slide has room for (words are cleaned one at a
time); a word wider than the line is broken by galloping and bisection over bounded prefixes, so the
cost follows the line found, not the word. Code keeps its spaces and soft-wraps below, indented.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from app.core.threads import check_cancelled
from app.services.visuals.fonts import clean_text, load_font, segment
from app.services.visuals.model import Box
from app.services.visuals.themes import RGB

ELLIPSIS = "…"
TAB_WIDTH = 4


@dataclass(frozen=True)
class TextStyle:
    chain: tuple[Path, ...]
    size: int
    weight: int
    fill: RGB
    role: str
    leading: float  # baseline-to-baseline distance, as a multiple of the size


@lru_cache(maxsize=8192)
def _measure_cached(text: str, chain: tuple[Path, ...], size: int, weight: int) -> float:
    return sum(load_font(r.font, size, weight).getlength(r.text) for r in segment(text, chain))


def measure(text: str, style: TextStyle) -> float:
    return _measure_cached(text, style.chain, style.size, style.weight)


def metrics(style: TextStyle) -> tuple[int, int]:
    return load_font(style.chain[0], style.size, style.weight).getmetrics()


def ink_box(font: ImageFont.FreeTypeFont, text: str) -> Box:
    """The text's box relative to (left, baseline): its advance across (leading spaces included),
    its ink up and down. (FreeType gives whole pixels; Pillow's annotations say float.)"""
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    return int(left), int(top), int(right), int(bottom)


GALLOP_FROM = 32  # characters: the first prefix tried when searching where a line ends


def fit_prefix(text: str, style: TextStyle, width: float, suffix: str = "") -> int:
    """Longest prefix (in characters) that fits `width` with `suffix` after it; at least 1.

    Galloping, then bisection: prefixes of 32, 64, 128... characters until one is too wide, so the
    cost follows the length of the line found, not of the text (a 60,000-character word is broken
    into lines in linear time, and only as many lines as a slide can hold).
    """

    def fits(n: int) -> bool:
        return measure(text[:n].rstrip() + suffix, style) <= width

    low, high = 1, len(text)
    probe = GALLOP_FROM
    while probe < high:
        if not fits(probe):
            high = probe - 1
            break
        low, probe = probe, probe * 2
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def ellipsize(text: str, style: TextStyle, width: float) -> str:
    """The text cut so that it ends with an ellipsis and still fits `width`."""
    text = text.rstrip()
    if measure(text + ELLIPSIS, style) <= width:
        return text + ELLIPSIS
    if not text or measure(text[:1] + ELLIPSIS, style) > width:
        return ELLIPSIS
    return text[: fit_prefix(text, style, width, ELLIPSIS)].rstrip() + ELLIPSIS


def _break_word(chunks: Iterable[str], style: TextStyle, width: float, limit: int) -> list[str]:
    """A word wider than the line (URLs, identifiers, long compounds), given as cleaned chunks, in
    pieces that fit: at most `limit + 1` whole pieces, then the rest. The word is cleaned and
    measured only as far as those pieces need, so its length beyond what a slide shows costs nothing.
    """
    pending = iter(chunks)
    pieces: list[str] = []
    buffer, exhausted = "", False
    while len(pieces) <= limit:
        check_cancelled()
        while not exhausted and len(buffer) < MAX_LINE_CHARS:
            chunk = next(pending, None)
            exhausted = chunk is None
            buffer += chunk or ""
        n = fit_prefix(buffer[:MAX_LINE_CHARS], style, width)
        if exhausted and n >= len(buffer):
            break
        pieces.append(buffer[:n])
        buffer = buffer[n:]
    return [*pieces, buffer]


# No line of a slide holds more characters than this (a 1-pixel glyph at the smallest size would):
# a bound on what is ever cleaned or measured at once.
MAX_LINE_CHARS = 4096


def _cleaned_chunks(word: str, chain: tuple[Path, ...]) -> Iterator[str]:
    """`clean_text(word)` in pieces of about `MAX_LINE_CHARS`, cut only before a character that
    starts a new cluster (never before a combining mark), so the pieces join to the same text."""
    start = 0
    while start < len(word):
        end = min(len(word), start + MAX_LINE_CHARS)
        while end < len(word) and _joins_previous(word[end]):
            end += 1
        yield clean_text(word[start:end], chain)
        start = end


def _joins_previous(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M") or "\u1160" <= ch <= "\u11ff" or ch == "\u200d"


_WORD_OR_BREAK = re.compile(r"\n|[^\s]+")


def wrap_prose(text: str, style: TextStyle, width: float, limit: int) -> list[str]:
    """Greedy word wrap by measured width; stops once it has more than `limit` lines. Words are
    cleaned one at a time, so a paragraph is read only as far as the slide has room for."""
    lines: list[str] = []
    line = ""
    for match in _WORD_OR_BREAK.finditer(text):
        check_cancelled()
        raw = match.group()
        if raw == "\n":
            if line:
                lines.append(line)
                line = ""
            continue
        if len(raw) > MAX_LINE_CHARS:
            chunks: Iterable[str] = _cleaned_chunks(raw, style.chain)
        else:
            word = clean_text(raw, style.chain)
            if not word.strip():
                continue
            candidate = f"{line} {word}" if line else word
            if len(candidate) <= MAX_LINE_CHARS and measure(candidate, style) <= width:
                line = candidate
                continue
            chunks = (word,)
        if line:
            lines.append(line)
        *full, line = _break_word(chunks, style, width, limit)
        lines.extend(full)
        if len(lines) > limit:
            return lines
    if line:
        lines.append(line)
    return lines


def wrap_code(text: str, style: TextStyle, width: float, limit: int) -> list[str]:
    """Code keeps its spaces. A line too long goes on below, two spaces deeper, as editors soft-wrap."""
    lines: list[str] = []
    for raw in _code_lines(text):
        indent = " " * (len(raw) - len(raw.lstrip(" ")) + 2)
        if measure(indent + "x", style) > width / 2:
            indent = ""
        rest = raw
        while len(lines) <= limit:
            check_cancelled()
            fits = fit_prefix(rest[:MAX_LINE_CHARS], style, width)
            if fits >= len(rest):
                lines.append(rest)
                break
            n = _code_break(rest, fits, len(indent))
            lines.append(rest[:n].rstrip(" "))
            rest = indent + rest[n:].lstrip(" ")
        if len(lines) > limit:
            break
    return lines


def _code_break(line: str, fits: int, indent: int) -> int:
    """Where to cut a long code line: after a space in the second half of what fits, else at `fits`."""
    start = len(line) - len(line.lstrip(" "))
    space = line.rfind(" ", start, fits)
    if space > start + (fits - start) // 2:
        return space + 1
    return max(fits, indent + 1)


@lru_cache(maxsize=16)
def clean_code(raw: str, chain: tuple[Path, ...]) -> str:
    """Code as drawn; cached, because every size tried while shrinking wraps the same text."""
    return clean_text(raw.expandtabs(TAB_WIDTH), chain)


def _code_lines(text: str) -> list[str]:
    lines = [line.expandtabs(TAB_WIDTH).rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines
