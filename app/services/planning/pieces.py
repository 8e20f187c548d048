"""A sentence too long for its slide, cut for showing only: the scene still starts and ends at
sentence ends and says the sentence whole, but shows it piece by piece (each piece the largest run of
words that fits at the type floor, cut after a comma or semicolon when one falls in its second half),
so no text is ever cut off the slide.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from app.core.threads import check_cancelled
from app.services.documents import inline_plain
from app.services.planning.narrate import balanced

LONG_SENTENCE_CHARS = 160  # shorter sentences always fit a slide at the type floor
_CLAUSE_END = re.compile(r"[,;:–—]['\"”’)\]]*$")


def _words(md: str) -> list[str]:
    """Words of inline Markdown, each a valid piece (an emphasis or code span is never cut inside)."""
    out: list[str] = []
    pending = ""
    for word in md.split(" "):
        pending = f"{pending} {word}" if pending else word
        if balanced(pending):
            out.append(pending)
            pending = ""
    if pending:
        out.append(pending)
    return out


def shown_pieces(md: str, fits_alone: Callable[[str], bool]) -> list[str]:
    """`md` whole if it fits (or is short), else its pieces that each fit (`fits_alone(piece)`)."""
    if len(inline_plain(md)) <= LONG_SENTENCE_CHARS or fits_alone(md):
        return [md]
    words = _words(md)
    pieces: list[str] = []
    start = 0
    while start < len(words):
        check_cancelled()
        lo, hi = start + 1, len(words)  # lo: always taken (a word alone is cut by the drawing)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits_alone(" ".join(words[start:mid])):
                lo = mid
            else:
                hi = mid - 1
        end = lo
        if end < len(words):
            half = start + (end - start) // 2
            clause = next((i + 1 for i in range(end - 1, half, -1) if _CLAUSE_END.search(words[i])), None)
            end = clause or end
        pieces.append(" ".join(words[start:end]))
        start = end
    return pieces
