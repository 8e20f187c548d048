"""Caption text as pieces that can go on a line: how wide they are and how good a break between them is.

A piece is a `WordTiming`: a word as the narration wrote it (punctuation attached), a character of
Chinese or Japanese or a word of Thai (scripts written without spaces, cut as the slides cut them),
or a line-wide part of a word too long for a line. `glued` pieces join the one before them with no
space, so joining the pieces gives back the narration's own spacing.

`break_cost` is the one judgement of where text may be cut, used alike for the end of a cue, the
break between a cue's two lines and the shorter lines of burned captions: negative after a comma or
a clause mark, strongly positive after an article, preposition or conjunction (`function_words`),
inside a fixed phrase ("more than") and between a number and what it counts ("one hundred", "10 km"),
positive inside a Vietnamese word of two syllables, and before a symbol nobody says (an emoji stays
with its word).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence

from app.services.captions.function_words import (
    COUNTED,
    NUMBER,
    OPENERS,
    PHRASE,
    STRONG,
    TITLES,
    WEAK,
    bare,
    parts_compound,
    parts_phrase,
)
from app.services.models import WordTiming
from app.services.visuals import break_units, needs_breaking

CLAUSE_MARKS = frozenset(",;:—–-，、；：")
STOP_MARKS = frozenset(".!?…。！？")
CLOSERS = "\"'”’»)]}」』）"
# Where a word too long for a line is best cut: after one of these, if it falls late enough.
SOFT_CUTS = frozenset("/-._?&=#,;:")

CLAUSE_BONUS = -1.5  # a break after a comma or a clause mark reads best
STOP_BONUS = -1.0  # after "e.g." or an ellipsis inside a sentence
TITLE_PENALTY = 3.0  # "Dr." + name stay together
STRONG_PENALTY = 5.0  # a line ending on "the", "of", "và", "của"
WEAK_PENALTY = 2.0  # ... on an auxiliary or an ambiguous Vietnamese preposition
OPENER_BONUS = -0.7  # a line starting with a conjunction or a preposition
PHRASE_PENALTY = 6.0  # a fixed phrase or a number and its noun parted ("more | than", "10 | km"): worse
# than ending on a function word, so "more than | one hundred" wins over "more | than one hundred"
NUMBER_PENALTY = 12.0  # a number said in words parted ("one | hundred")
COUNTED_PENALTY = 4.0  # a number and what it counts ("forty | characters"): less than ending on "about"
PARTED_PENALTY = {PHRASE: PHRASE_PENALTY, NUMBER: NUMBER_PENALTY, COUNTED: COUNTED_PENALTY}
COMPOUND_PENALTY = 1.5  # a Vietnamese word of two syllables parted ("phụ | đề")
SYMBOL_PENALTY = 6.0  # a line starting with an emoji or a lone dash
BALANCE = 3.0  # weight of unequal line widths, per (difference / line width) squared
TOP_HEAVY = 1.5  # extra factor when the upper line is the wider (a pyramid reads better)
EXTRA_LINE_COST = 3.0  # a burned caption takes one line more than it must only to avoid a bad cut


def char_width(char: str, wide: float) -> float:
    if unicodedata.combining(char):
        return 0.0
    return wide if unicodedata.east_asian_width(char) in ("W", "F") else 1.0


def text_width(text: str, wide: float) -> float:
    """Width in narrow characters; a full-width character (CJK, emoji) counts `wide`."""
    return sum(char_width(c, wide) for c in text)


def is_spoken(text: str) -> bool:
    """A piece with a letter or a digit is spoken; an emoji, a dash or an arrow is not."""
    return any(c.isalnum() for c in text)


def join(pieces: Sequence[WordTiming]) -> str:
    """The pieces as one line, spaced as the narration was."""
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i and not piece.glued:
            out.append(" ")
        out.append(piece.text)
    return "".join(out)


def layout(pieces: Sequence[WordTiming], wide: float) -> tuple[list[float], list[float]]:
    """(prefix, spaces): pieces [i, k) on one line are `prefix[k] - prefix[i] - spaces[i]` wide."""
    spaces = [0.0 if i == 0 or p.glued else 1.0 for i, p in enumerate(pieces)]
    prefix = [0.0]
    for piece, space in zip(pieces, spaces, strict=True):
        prefix.append(prefix[-1] + text_width(piece.text, wide) + space)
    return prefix, spaces


def cut_costs(pieces: Sequence[WordTiming]) -> list[float]:
    """`break_cost` before each piece (0 before the first)."""
    return [0.0] + [break_cost(pieces[k - 1], pieces[k]) for k in range(1, len(pieces))]


def break_cost(before: WordTiming, after: WordTiming) -> float:
    """How bad it is to end a line or a cue after `before` and start the next with `after`.

    Negative is a good place. Never infinite: every cut stays possible when nothing better exists.
    """
    if not is_spoken(after.text):
        return SYMBOL_PENALTY
    core = before.text.rstrip(CLOSERS)
    last = core[-1:]
    if after.glued:  # inside a CJK run or a long word: any cut is as good, a clause mark better
        return CLAUSE_BONUS if last in CLAUSE_MARKS else 0.0
    if last in CLAUSE_MARKS:
        return CLAUSE_BONUS
    if last in STOP_MARKS:
        return TITLE_PENALTY if bare(core).rstrip(".") in TITLES else STOP_BONUS
    word = bare(core)
    cost = STRONG_PENALTY if word in STRONG else WEAK_PENALTY if word in WEAK else 0.0
    parted = parts_phrase(core, after.text)  # "more | than", "one | hundred": no opener's bonus
    if parted:
        return max(cost, PARTED_PENALTY[parted])
    if bare(after.text) in OPENERS:
        cost += OPENER_BONUS
    if parts_compound(core, after.text):
        cost += COMPOUND_PENALTY
    return cost


def inside_word(before: WordTiming, after: WordTiming) -> bool:
    """True between two pieces of one word cut for being too long (not between CJK characters, nor
    between two Thai words)."""
    if not after.glued or char_width(after.text[0], 2.0) != 1.0 or char_width(before.text[-1], 2.0) != 1.0:
        return False
    return not (needs_breaking(before.text[-1]) and needs_breaking(after.text[0]))


def balance_cost(upper: float, lower: float, max_width: float) -> float:
    """Unequal lines cost the square of their difference; an upper line wider than the lower, more."""
    diff = (upper - lower) / max_width
    return BALANCE * diff * diff * (TOP_HEAVY if upper > lower else 1.0)


# --------------------------------------------------------------------------------------------------
# Pieces from the engine's words
# --------------------------------------------------------------------------------------------------


def pieces_of(word: WordTiming, max_width: float, wide: float) -> list[WordTiming]:
    """A word as line pieces: Chinese and Japanese characters one by one and Thai words (each with
    the punctuation that belongs to it: `break_units`), a word wider than a line hard-broken."""
    parts = break_units(word.text)
    if len(parts) == 1 and text_width(word.text, wide) <= max_width:
        return [word]
    texts: list[str] = []
    for part in parts:
        texts.extend(hard_break(part, max_width, wide))
    return _share_time(word, texts)


def hard_break(text: str, max_width: float, wide: float) -> list[str]:
    """Cut a word wider than a line into parts no wider than a line, in order, nothing lost.

    A part ends after a / - . _ ? & = # , ; : when one lies in its last third (URLs and paths break
    where a reader expects), else exactly at the line's width.
    """
    if text_width(text, wide) <= max_width:
        return [text]
    parts: list[str] = []
    start = 0
    width = 0.0
    soft = -1  # index after the last soft cut in the current part
    i = 0
    while i < len(text):
        w = char_width(text[i], wide)
        if width + w > max_width and i > start:
            cut = soft if soft > start and (soft - start) * 3 >= (i - start) * 2 else i
            parts.append(text[start:cut])
            start, soft = cut, -1
            width = text_width(text[start:i], wide)
            continue
        width += w
        if text[i] in SOFT_CUTS:
            soft = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _share_time(word: WordTiming, texts: Sequence[str]) -> list[WordTiming]:
    """Pieces of one word share its time by their letters and digits; all but the first are glued."""
    weights = [sum(c.isalnum() for c in t) for t in texts]
    total = sum(weights)
    span = word.end - word.start
    out = []
    done = 0
    for i, (text, weight) in enumerate(zip(texts, weights, strict=True)):
        start = word.start + (span * done / total if total else 0.0)
        done += weight
        end = word.start + (span * done / total if total else 0.0) if i + 1 < len(texts) else word.end
        out.append(WordTiming(text, start, end, glued=word.glued if i == 0 else True))
    return out


# --------------------------------------------------------------------------------------------------
# Lines for burned captions: any number, each at most `max_width`
# --------------------------------------------------------------------------------------------------


def break_lines(pieces: Sequence[WordTiming], max_width: float, wide: float) -> list[str]:
    """The fewest lines of at most `max_width`, the most even and cut best by `break_cost`; one line
    more when that avoids a bad cut (a line ending on "the" when three lines cannot do without).

    For burned captions, whose larger type holds fewer characters a line than the SRT's 42: a cue's
    lines are broken again, in time quadratic in the cue's few words.
    """
    parts = [p for piece in pieces for p in pieces_of(piece, max_width, wide)]
    if not parts:
        return []
    prefix, spaces = layout(parts, wide)
    fewest = _fewest_lines(len(parts), prefix, spaces, max_width)
    options = [
        (cost + EXTRA_LINE_COST * (count - fewest), cuts)
        for count in (fewest, fewest + 1)
        if count <= len(parts)
        for cost, cuts in [_exact_lines(parts, prefix, spaces, count, max_width)]
    ]
    _, cuts = min(options, key=lambda option: option[0])
    return [join(parts[a:b]) for a, b in itertools.pairwise(cuts)]


def _exact_lines(
    parts: Sequence[WordTiming],
    prefix: Sequence[float],
    spaces: Sequence[float],
    count: int,
    max_width: float,
) -> tuple[float, list[int]]:
    """The cheapest cut of `parts` into exactly `count` lines: (cost, line starts + [len(parts)])."""
    n = len(parts)
    cut_cost = cut_costs(parts)
    target = (prefix[n] - spaces[0]) / count
    inf = float("inf")
    # best[lines][k]: the cheapest way to put parts[:k] on `lines` lines
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for lines in range(1, count + 1):
        for k in range(1, n + 1):
            for i in range(k - 1, -1, -1):
                w = prefix[k] - prefix[i] - spaces[i]
                if w > max_width and i < k - 1:
                    break
                if best[lines - 1][i] == inf:
                    continue
                diff = (w - target) / max_width
                cost = best[lines - 1][i] + BALANCE * diff * diff + (cut_cost[k] if k < n else 0.0)
                if cost < best[lines][k]:
                    best[lines][k], back[lines][k] = cost, i
    cuts = [n]
    for lines in range(count, 0, -1):
        cuts.append(back[lines][cuts[-1]])
    cuts.reverse()
    return best[count][n], cuts


def _fewest_lines(n: int, prefix: Sequence[float], spaces: Sequence[float], max_width: float) -> int:
    lines, start = 1, 0
    for k in range(1, n + 1):
        if prefix[k] - prefix[start] - spaces[start] > max_width and k - 1 > start:
            lines += 1
            start = k - 1
    return lines
