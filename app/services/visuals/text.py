"""Measuring text: the width of a string drawn in a chain of fonts (runs of mixed fonts, cached),
the longest prefix that fits a width (galloping + bisection over bounded prefixes, so the cost follows
the line found, not the word), and a run's ink box. `rich` wraps and sets lines with these.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont, features

from app.services.visuals.fontfiles import load_font
from app.services.visuals.fonts import segment
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


def ink_box(font: ImageFont.FreeTypeFont, text: str, rtl: bool = False) -> Box:
    """The text's box relative to (left, baseline): its advance across (leading spaces included),
    its ink up and down. (FreeType gives whole pixels; Pillow's annotations say float.)"""
    left, top, right, bottom = font.getbbox(text, anchor="ls", direction=direction(rtl))
    return int(left), int(top), int(right), int(bottom)


RAQM = features.check("raqm")  # complex shaping and right to left (Arabic, Hebrew, Devanagari, Thai)


def direction(rtl: bool) -> str | None:
    """Pillow's `direction` for a run: "rtl" for right-to-left runs, where raqm can shape them."""
    return "rtl" if rtl and RAQM else None


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


# No line of a slide holds more characters than this (a 1-pixel glyph at the smallest size would):
# a bound on what is ever cleaned or measured at once.
MAX_LINE_CHARS = 4096
