"""The voice reads a scene's `spoken` text ("on the twenty-ninth of November"); captions and beats show
its written `narration` ("on 29/11/2026"). This maps between the two, word by word.

The two texts are aligned by their whitespace-separated words (`difflib`, on case-folded words): words
the normalizer kept are matched one to one, and each changed stretch is a group (written words <->
spoken words; a word with nothing opposite joins the group before it). That works for whatever made
the spoken text, the built-in normalizer, a user's lexicon or a hand edit, without rerunning it.

- `written_words`: the spoken words' timings -> one timing per written word; a group's time (from its
  first spoken word's start to its last one's end) is shared among its written words by their letters.
- `spoken_breaks`: a pause mark at a written offset -> the same place in the spoken text.

A changed stretch running over sentence ends is cut at them when both sides end as many sentences in
it, so pauses (which fall at sentence ends) always find their place.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.threads import check_cancelled
from app.services.models import WordTiming
from app.services.speech.phrases import Break
from app.services.speech.timing import estimate_word_timings

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Group:
    """Written words [w_start, w_end) are said as spoken words [s_start, s_end) (either may be empty
    only at the very start or end)."""

    w_start: int
    w_end: int
    s_start: int
    s_end: int


def _key(word: str) -> str:
    return word.casefold()


def align(written: Sequence[str], spoken: Sequence[str]) -> list[Group]:
    """Groups covering both word lists in order, none empty on either side when both lists have words."""
    matcher = difflib.SequenceMatcher(
        None, [_key(w) for w in written], [_key(w) for w in spoken], autojunk=False
    )
    groups: list[Group] = []
    for tag, w1, w2, s1, s2 in matcher.get_opcodes():
        check_cancelled()
        if tag == "equal":
            groups += [Group(w1 + k, w1 + k + 1, s1 + k, s1 + k + 1) for k in range(w2 - w1)]
        elif groups and (w1 == w2 or s1 == s2):  # one side only: it belongs with the group before
            last = groups[-1]
            groups[-1] = Group(
                last.w_start, w2 if w2 > w1 else last.w_end, last.s_start, s2 if s2 > s1 else last.s_end
            )
        else:
            groups += _by_sentence(Group(w1, w2, s1, s2), written, spoken)
    if len(groups) > 1 and (groups[0].w_start == groups[0].w_end or groups[0].s_start == groups[0].s_end):
        first, second = groups[0], groups[1]  # one side only at the start: join the next group
        groups[:2] = [Group(first.w_start, second.w_end, first.s_start, second.s_end)]
    return groups


_ENDS = re.compile(r"[.!?…。！？][\"')\]»”’]*$")


def _by_sentence(group: Group, written: Sequence[str], spoken: Sequence[str]) -> list[Group]:
    """A changed stretch that runs over sentence ends ("2026. 1.500.000 đ" said as "twenty twenty-six.
    một triệu ... đồng") cut at them, when both sides end as many sentences in it."""
    w_ends = [i + 1 for i in range(group.w_start, group.w_end - 1) if _ENDS.search(written[i])]
    s_ends = [i + 1 for i in range(group.s_start, group.s_end - 1) if _ENDS.search(spoken[i])]
    if not w_ends or len(w_ends) != len(s_ends):
        return [group]
    w_cuts = [group.w_start, *w_ends, group.w_end]
    s_cuts = [group.s_start, *s_ends, group.s_end]
    return [Group(w_cuts[k], w_cuts[k + 1], s_cuts[k], s_cuts[k + 1]) for k in range(len(w_cuts) - 1)]


def written_words(narration: str, spoken: str, words: Sequence[WordTiming]) -> list[WordTiming]:
    """One timing per whitespace-separated word of `narration`, from the timings of the spoken text's
    words (`words`: one per spoken word, or several `glued` pieces of one)."""
    written = _WORD.findall(narration)
    said = _WORD.findall(spoken)
    times = _per_spoken_word(words, len(said))
    if not written:
        return []
    if not times:
        return [WordTiming(w, 0.0, 0.0) for w in written]
    out: list[WordTiming] = []
    for group in align(written, said):
        span = times[group.s_start : group.s_end] or [times[min(group.s_start, len(times) - 1)]]
        start, end = span[0][0], max(t[1] for t in span)
        out += estimate_word_timings(" ".join(written[group.w_start : group.w_end]), start, end)
    return out


def spoken_breaks(narration: str, spoken: str, breaks: Sequence[Break]) -> list[Break]:
    """`breaks` (offsets into `narration`) moved to where the same words start in `spoken`."""
    written = [m.start() for m in _WORD.finditer(narration)]
    said = [m.start() for m in _WORD.finditer(spoken)]
    if not written or not said:
        return []
    first_spoken: dict[int, int] = {}  # written word index -> the spoken word its group starts with
    for group in align(_WORD.findall(narration), _WORD.findall(spoken)):
        if group.s_start < len(said):
            first_spoken.setdefault(group.w_start, said[group.s_start])
    moved = []
    for brk in breaks:
        index = next((i for i, start in enumerate(written) if start >= brk.at), None)
        if index is not None and index in first_spoken:  # a break inside a group has no place
            moved.append(Break(first_spoken[index], brk.kind))
    return moved


def _per_spoken_word(words: Sequence[WordTiming], count: int) -> list[tuple[float, float]]:
    """(start, end) per spoken word: glued pieces join the word before them."""
    times: list[tuple[float, float]] = []
    for w in words:
        if w.glued and times:
            times[-1] = (times[-1][0], max(times[-1][1], w.end))
        else:
            times.append((w.start, w.end))
    return (
        times[:count] if len(times) >= count else times + [times[-1]] * (count - len(times)) if times else []
    )
