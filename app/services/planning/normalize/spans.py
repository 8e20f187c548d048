"""The spoken text and how it lines up with the written one.

Captions show the written text while the voice reads the spoken one, and a speech engine reports
its word timings as offsets into the spoken text. `SpokenText.written_span` maps such an offset range
back to the written text: inside text that was kept as written the mapping is exact, inside a
replacement ("1.500.000" -> "một triệu năm trăm nghìn") every spoken offset maps to the whole
written span, so the caption builder shows "1.500.000" for all four spoken words.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Segment:
    """written[written_start:written_end] is spoken as spoken[spoken_start:spoken_end].

    A verbatim segment has equal lengths and is mapped character by character.
    """

    written_start: int
    written_end: int
    spoken_start: int
    spoken_end: int
    verbatim: bool


@dataclass(frozen=True)
class SpokenText:
    """The written text, what the voice says for it, and the segments that tie the two together.

    The segments are in order, contiguous and cover both texts from 0 to their ends.
    """

    written: str
    spoken: str
    segments: tuple[Segment, ...]
    _spoken_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_spoken_starts", tuple(s.spoken_start for s in self.segments))

    def written_span(self, spoken_start: int, spoken_end: int) -> tuple[int, int]:
        """The written range that was spoken as spoken[spoken_start:spoken_end] (a word, a sentence).

        Offsets inside a replacement widen to the whole written span of that replacement.
        """
        if not 0 <= spoken_start <= spoken_end <= len(self.spoken):
            raise ValueError(f"spoken range {spoken_start}:{spoken_end} outside 0:{len(self.spoken)}")
        if not self.segments:
            return 0, 0
        first = self._segment_at(spoken_start)
        start = (
            first.written_start + (spoken_start - first.spoken_start)
            if first.verbatim
            else first.written_start
        )
        if spoken_end == spoken_start:
            return start, start if first.verbatim else first.written_end
        last = self._segment_at(spoken_end - 1)
        end = last.written_start + (spoken_end - last.spoken_start) if last.verbatim else last.written_end
        return start, end

    def written_offset(self, spoken_offset: int) -> int:
        """Where in the written text the character at `spoken_offset` comes from (a replacement's start)."""
        return self.written_span(spoken_offset, spoken_offset)[0]

    def _segment_at(self, spoken_offset: int) -> Segment:
        """The segment holding the spoken character at this offset (the last segment for the end)."""
        index = bisect.bisect_right(self._spoken_starts, spoken_offset) - 1
        # Skip segments that speak nothing (a replacement by ""): the character belongs to the next one.
        while index + 1 < len(self.segments) and self.segments[index].spoken_end <= spoken_offset:
            index += 1
        return self.segments[max(index, 0)]


class SpokenBuilder:
    """Writes the spoken text left to right: written text kept as is, or replaced by spoken words.

    A replacement that would touch a letter or digit on either side gets a space there, so
    "5kg" becomes "năm ki lô gam", not "nămki lô gam" (the space belongs to the replacement).
    """

    def __init__(self, written: str) -> None:
        self._written = written
        self._parts: list[str] = []
        self._segments: list[Segment] = []
        self._written_pos = 0
        self._spoken_len = 0
        self._last_char = ""

    def keep(self, written_end: int) -> None:
        """Keep the written text up to `written_end` as it is."""
        start = self._written_pos
        if written_end <= start:
            return
        piece = self._written[start:written_end]
        previous = self._segments[-1] if self._segments else None
        if previous is not None and previous.verbatim:
            self._segments[-1] = Segment(
                previous.written_start,
                written_end,
                previous.spoken_start,
                self._spoken_len + len(piece),
                True,
            )
        else:
            self._segments.append(
                Segment(start, written_end, self._spoken_len, self._spoken_len + len(piece), True)
            )
        self._append(piece)
        self._written_pos = written_end

    def replace(self, written_start: int, written_end: int, spoken: str) -> None:
        """Say `spoken` for written[written_start:written_end] (the text before it is kept)."""
        self.keep(written_start)
        if spoken:
            if _is_word_char(self._last_char) and _is_word_char(spoken[0]):
                spoken = " " + spoken
            following = self._written[written_end : written_end + 1]
            if _is_word_char(spoken[-1]) and _is_word_char(following):
                spoken += " "
        self._segments.append(
            Segment(written_start, written_end, self._spoken_len, self._spoken_len + len(spoken), False)
        )
        self._append(spoken)
        self._written_pos = written_end

    def build(self) -> SpokenText:
        self.keep(len(self._written))
        return SpokenText(self._written, "".join(self._parts), tuple(self._segments))

    def _append(self, piece: str) -> None:
        if piece:
            self._parts.append(piece)
            self._spoken_len += len(piece)
            self._last_char = piece[-1]


def _is_word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char == "_")
