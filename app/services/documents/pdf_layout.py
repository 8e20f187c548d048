"""A PDF report's lines -> blocks: what a PDF only draws, read back as structure.

A PDF has no paragraphs or headings, only words at positions in fonts. So: words become lines (by
their baseline), running headers and footers (a line in the page's top or bottom margin repeating
on many pages, digits aside) and page numbers are dropped, the body's font size is the one most
text is set in, and a line clearly larger, or short, whole and bold, is a heading (levels by size).
Body lines are re-flowed into paragraphs across line and page breaks (a paragraph ends at a wider
gap, an indent, or a short line ending a sentence), hyphenation at line ends is undone, and lines
starting with a bullet or a number are list items.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from app.services.documents.inline import escape
from app.services.documents.model import Block, Heading, ListBlock, ListItem, Paragraph

MARGIN_SHARE = 0.09  # top and bottom share of a page where running headers and footers live
HEADING_RATIO = 1.15  # a line this much larger than the body text is a heading
_BULLET = re.compile(r"^([•◦▪▫●○■□‣⁃∙·\-–—*])\s+")
_NUMBERED = re.compile(r"^(\(?\d{1,3}[.)]|\(?[a-z][.)]|[ivx]{1,5}\.)\s+")
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|trang|seite|página|pagina)\s+)?\d{1,4}(?:\s*(?:/|of|trên|de)\s*\d{1,4})?$|^[ivxlc]{1,6}$",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?:;…。！？”\"')\]]$")
_DIGITS = re.compile(r"\d+")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.I)


@dataclass
class Line:
    """One line of text on a page, in PDF points from the page's top."""

    text: str
    size: float
    bold: bool
    top: float
    bottom: float
    x0: float
    x1: float
    page: int
    page_height: float
    column: int = 0  # on a two-column page: 0 left, 1 right (-1 above both, 2 below)

    @property
    def in_margin(self) -> bool:
        return self.top < self.page_height * MARGIN_SHARE or self.bottom > self.page_height * (
            1 - MARGIN_SHARE
        )


def lines_of(words: list[dict[str, Any]], page: int, height: float, width: float = 0.0) -> list[Line]:
    """Words (pdfplumber's, with size and fontname) -> lines in reading order: a row of words is cut
    where a gap is wider than a column gutter, and a page set in two columns is read column by
    column (lines spanning both, like a title, before them)."""
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (float(w["top"]), float(w["x0"]))):
        top = float(word["top"])
        if rows and abs(float(rows[-1][0]["top"]) - top) <= max(2.0, 0.3 * float(word["size"])):
            rows[-1].append(word)
        else:
            rows.append([word])
    lines = []
    for row in rows:
        row.sort(key=lambda w: float(w["x0"]))
        segment = [row[0]]
        for word in row[1:]:
            gap = float(word["x0"]) - float(segment[-1]["x1"])
            if gap > max(GUTTER_SIZES * float(word["size"]), GUTTER_MIN):
                lines.append(_line(segment, page, height))
                segment = []
            segment.append(word)
        lines.append(_line(segment, page, height))
    return _columns(lines, width) if width else lines


GUTTER_SIZES = 2.0  # a gap of this many font sizes (and at least GUTTER_MIN points) between columns
GUTTER_MIN = 12.0


def _line(row: list[dict[str, Any]], page: int, height: float) -> Line:
    text = " ".join(str(w["text"]) for w in row)
    chars = sum(len(str(w["text"])) for w in row)
    bold_chars = sum(len(str(w["text"])) for w in row if _BOLD.search(str(w.get("fontname", ""))))
    return Line(
        unicodedata.normalize("NFC", text).replace("\xad", ""),
        round(max(float(w["size"]) for w in row), 1),
        bold_chars >= 0.8 * chars,
        min(float(w["top"]) for w in row),
        max(float(w["bottom"]) for w in row),
        min(float(w["x0"]) for w in row),
        max(float(w["x1"]) for w in row),
        page,
        height,
    )


def _columns(lines: list[Line], width: float) -> list[Line]:
    """Two columns (at least three lines wholly in each half): left column, then right."""
    middle = width / 2
    left = [ln for ln in lines if ln.x1 <= middle + 0.05 * width]
    right = [ln for ln in lines if ln.x0 >= middle - 0.05 * width]
    if len(left) < 3 or len(right) < max(3, 0.2 * len(lines)):
        return lines
    first = min(ln.top for ln in right)
    in_left, in_right = {id(ln) for ln in left}, {id(ln) for ln in right}
    for ln in lines:
        if id(ln) in in_right:
            ln.column = 1
        elif id(ln) not in in_left:  # spanning both halves
            ln.column = -1 if ln.top < first else 2
    return sorted(lines, key=lambda ln: (ln.column, ln.top))


def drop_running(pages: list[list[Line]]) -> list[list[Line]]:
    """Lines in the margins that repeat (digits aside) on a third of the pages or more, and page numbers."""
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({_DIGITS.sub("#", ln.text.lower()) for ln in lines if ln.in_margin})
    repeats = max(2, len(pages) // 3)
    kept = []
    for lines in pages:
        kept.append(
            [
                ln
                for ln in lines
                if not (
                    ln.in_margin
                    and (
                        seen[_DIGITS.sub("#", ln.text.lower())] >= repeats
                        or _PAGE_NUMBER.match(ln.text.strip())
                    )
                )
            ]
        )
    return kept


def body_size(pages: list[list[Line]]) -> float:
    """The size most characters are set in."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for ln in lines:
            sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


@dataclass
class _Flow:
    body: float
    levels: dict[float, int]
    blocks: list[Block] = field(default_factory=list)
    para: list[str] = field(default_factory=list)
    items: list[ListItem] = field(default_factory=list)
    last: Line | None = None
    line_ends: dict[tuple[int, int], float] = field(default_factory=dict)  # (page, column): full lines end

    def full_width(self, ln: Line) -> bool:
        return ln.x1 >= self.line_ends.get((ln.page, ln.column), ln.x1) * 0.85

    def flush_para(self) -> None:
        if self.para:
            self.blocks.append(Paragraph(escape(" ".join(self.para))))
            self.para = []

    def flush(self) -> None:
        self.flush_para()
        if self.items:
            self.blocks.append(ListBlock(tuple(self.items)))
            self.items = []

    def heading_level(self, ln: Line) -> int | None:
        if ln.size >= self.body * HEADING_RATIO and len(ln.text) <= 200:
            return self.levels.get(ln.size, 3)
        if (
            ln.bold
            and len(ln.text) <= 90
            and not _SENTENCE_END.search(ln.text)
            and ln.size >= self.body - 0.5
        ):
            return max(self.levels.values(), default=1) + 1 if self.levels else 2
        return None

    def breaks_paragraph(self, ln: Line) -> bool:
        last = self.last
        if last is None:
            return True
        if (last.page, last.column) != (ln.page, ln.column):  # a page or column break: the paragraph
            # goes on unless the last line ended one
            return bool(_SENTENCE_END.search(last.text)) and not self.full_width(last)
        gap = ln.top - last.bottom
        if gap > max(0.9 * ln.size, 6.0):
            return True
        if ln.x0 > last.x0 + 1.5 * ln.size:  # an indented first line
            return True
        return bool(_SENTENCE_END.search(last.text)) and not self.full_width(last)

    def add(self, ln: Line) -> None:
        text = ln.text.strip()
        level = self.heading_level(ln)
        if level is not None:
            self.flush()
            self.blocks.append(Heading(escape(text), min(6, level)))
            self.last = None
            return
        bullet = _BULLET.match(text) or _NUMBERED.match(text)
        if bullet:
            self.flush_para()
            marker = "•" if _BULLET.match(text) else bullet.group(1).strip("()")
            self.items.append(ListItem(escape(text[bullet.end() :]), marker if marker != "•" else "•"))
        elif self.items and not self.breaks_paragraph(ln):
            item = self.items[-1]
            self.items[-1] = ListItem(_join(item.text, escape(text)), item.marker, item.level)
        else:
            if self.items or self.breaks_paragraph(ln):
                self.flush()
            if self.para:
                self.para[-1:] = [_join_plain(self.para[-1], text)]
            else:
                self.para.append(text)
        self.last = ln


def _join_plain(before: str, after: str) -> str:
    """Two lines of a paragraph: a hyphen at the end of a word before a lower-case start is undone."""
    if before.endswith("-") and len(before) > 1 and before[-2].isalpha() and after[:1].islower():
        return before[:-1] + after
    return f"{before} {after}"


def _join(before: str, after: str) -> str:
    if before.endswith("\\-") and after[:1].islower():
        return before[:-2] + after
    return f"{before} {after}"


def flow(pages: list[list[Line]], pictures: dict[int, list[tuple[float, Block]]]) -> list[Block]:
    """The report's blocks from its pages' lines (running lines already dropped) and the blocks
    placed on them (pictures, tables: per page, with their top)."""
    body = body_size(pages)
    larger = sorted(
        {ln.size for lines in pages for ln in lines if ln.size >= body * HEADING_RATIO}, reverse=True
    )
    levels = {size: i + 1 for i, size in enumerate(larger[:5])}
    state = _Flow(body, levels)
    for lines in pages:
        for ln in lines:
            if abs(ln.size - body) < 0.6:
                key = (ln.page, ln.column)
                state.line_ends[key] = max(state.line_ends.get(key, 0.0), ln.x1)
    for n, lines in enumerate(pages):
        waiting = sorted(pictures.get(n, []), key=lambda p: p[0])
        for ln in lines:
            while waiting and waiting[0][0] < ln.top:
                state.flush()
                state.blocks.append(waiting.pop(0)[1])
                state.last = None
            state.add(ln)
        for _, picture in waiting:
            state.flush()
            state.blocks.append(picture)
            state.last = None
    state.flush()
    return state.blocks
