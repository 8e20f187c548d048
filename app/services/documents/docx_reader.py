"""The DOCX reader (python-docx): Word's structure -> `Content`.

Heading styles become headings (Title and Subtitle the title card), numbered lists stay numbered (the
numbers computed the way Word counts them: per list and level, deeper levels restarting), bullets stay
bullets, tables keep their header row, bold and italic runs become inline Markdown, quote and code
styles become quotes and code. Embedded pictures are taken out of the file (`ImageBlock.data`) and
shown after their paragraph; a picture that links to a file or URL outside the document is refused
(reading it would reach outside the document). Footnote and endnote marks and their text are not
read: a footnote read aloud in the middle of a sentence breaks it.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.drawing import Drawing
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.documents.inline import escape
from app.services.documents.model import (
    Block,
    CodeBlock,
    Content,
    Document,
    Heading,
    ImageBlock,
    ListBlock,
    ListItem,
    Meta,
    Paragraph,
    Quote,
    TableBlock,
)

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
GENERATOR_AUTHORS = {"python-docx", "python-pptx", "unknown"}
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l")]
_ROMAN += [(40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def _roman(n: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letter = _LETTERS[(n - 1) % 26] * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    return str(n)


def _xml(obj: Any) -> Any:
    """The lxml element behind a python-docx proxy (numbering and drawings have no proxy API)."""
    return obj._element


class _Numbering:
    """Word's list numbering: which format each (list, level) has, and the running counters."""

    def __init__(self, document: Any) -> None:
        self.formats: dict[tuple[str, int], tuple[str, int]] = {}  # (numId, ilvl) -> (numFmt, start)
        self.counters: dict[tuple[str, int], int] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, int]]] = {}
        for an in numbering.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in an.findall(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                start = lvl.find(qn("w:start"))
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    int(start.get(qn("w:val"), "1")) if start is not None else 1,
                )
            abstract[an.get(qn("w:abstractNumId"), "")] = levels
        for num in numbering.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = abstract.get(ref.get(qn("w:val"), "") if ref is not None else "", {})
            for level, spec in levels.items():
                self.formats[(num.get(qn("w:numId"), ""), level)] = spec

    def marker(self, num_id: str, level: int) -> str:
        fmt, start = self.formats.get((num_id, level), ("bullet", 1))
        if fmt in ("bullet", "none"):
            return "•"
        key = (num_id, level)
        self.counters[key] = self.counters.get(key, start - 1) + 1
        for deeper in [k for k in self.counters if k[0] == num_id and k[1] > level]:
            del self.counters[deeper]  # a new item restarts the levels below it
        return f"{_format_number(self.counters[key], fmt)}."


def _num_pr(paragraph: DocxParagraph) -> tuple[str, int] | None:
    """The paragraph's list (numId, level), set on the paragraph or by its style; None: not a list."""
    sources = [_xml(paragraph)]
    style = paragraph.style
    while style is not None:
        sources.append(style.element)
        style = style.base_style
    num_id: str | None = None
    level: int | None = None
    for element in sources:
        ppr = element.find(qn("w:pPr"))
        numpr = ppr.find(qn("w:numPr")) if ppr is not None else None
        if numpr is None:
            continue
        if num_id is None and (n := numpr.find(qn("w:numId"))) is not None:
            num_id = n.get(qn("w:val"))
        if level is None and (lv := numpr.find(qn("w:ilvl"))) is not None:
            level = int(lv.get(qn("w:val"), "0"))
    if num_id is None or num_id == "0":  # numId 0 switches numbering off
        return None
    if level is None:  # "List Bullet 2", "List Number 3": the style's name says how deep
        name = (paragraph.style.name or "") if paragraph.style is not None else ""
        last = name.rsplit(" ", 1)[-1]
        level = int(last) - 1 if name.lower().startswith("list") and last.isdigit() else 0
    return num_id, level


@dataclass
class _Reader:
    document: Any
    shown: str
    name: str
    blocks: list[Block] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    items: list[ListItem] = field(default_factory=list)
    quote: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    images: int = 0

    def __post_init__(self) -> None:
        self.numbering = _Numbering(self.document)

    def flush(self, keep: str = "") -> None:
        """Close the open list, quote or code block (all but `keep`)."""
        if self.items and keep != "list":
            self.blocks.append(ListBlock(tuple(self.items)))
            self.items = []
        if self.quote and keep != "quote":
            self.blocks.append(Quote(tuple(self.quote)))
            self.quote = []
        if self.code and keep != "code":
            self.blocks.append(CodeBlock("\n".join(self.code)))
            self.code = []

    def read(self) -> Content:
        for n, item in enumerate(self.document.iter_inner_content()):
            if n % 200 == 0:
                check_cancelled()
            if isinstance(item, Table):
                self.flush()
                self.table(item)
            else:
                self.paragraph(item)
        self.flush()
        props = self.document.core_properties
        meta = Meta(
            title=self.meta.get("title") or _clean(props.title) or None,
            subtitle=self.meta.get("subtitle") or _clean(props.subject) or None,
            author=_author(props.author),
            language=_clean(props.language) or None,
        )
        return Content(tuple(self.blocks), meta)

    def paragraph(self, paragraph: DocxParagraph) -> None:
        style = (paragraph.style.name or "") if paragraph.style is not None else ""
        lowered = style.lower()
        text, pictures = self.inline(paragraph, code="code" in lowered or "preformatted" in lowered)
        if lowered in ("title", "subtitle") and text and lowered not in self.meta:
            self.flush()
            self.meta[lowered] = _plain(paragraph)
        elif lowered.startswith("heading") and lowered[7:].strip().isdigit() and text:
            self.flush()
            self.blocks.append(Heading(text, min(6, max(1, int(lowered[7:].strip())))))
        elif "code" in lowered or "preformatted" in lowered:
            self.flush("code")
            if paragraph.text.strip() or self.code:
                self.code.append(unicodedata.normalize("NFC", paragraph.text.expandtabs(4)))
        elif "quote" in lowered and text:
            self.flush("quote")
            self.quote.append(text)
        elif (numbered := _num_pr(paragraph)) is not None and text:
            self.flush("list")
            num_id, level = numbered
            self.items.append(ListItem(text, self.numbering.marker(num_id, level), min(level, 8)))
        elif text:
            self.flush()
            self.blocks.append(Paragraph(text))
        if pictures:
            self.flush()
            self.blocks.extend(pictures)

    def inline(self, paragraph: DocxParagraph, code: bool) -> tuple[str, list[ImageBlock]]:
        """The paragraph's runs as inline Markdown (bold, italic; links as their text), and its pictures."""
        spans: list[tuple[str, bool, bool]] = []
        pictures: list[ImageBlock] = []
        for part in paragraph.iter_inner_content():
            runs = part.runs if isinstance(part, Hyperlink) else [part]
            for run in runs:
                for piece in run.iter_inner_content():
                    if isinstance(piece, Drawing):
                        pictures.extend(self.picture(piece))
                    elif isinstance(piece, str):
                        spans.append((piece, _flag(run, "bold"), _flag(run, "italic")))
        if code:
            return "", pictures
        return _spans_markdown(spans), pictures

    def picture(self, drawing: Drawing) -> Iterator[ImageBlock]:
        element = _xml(drawing)
        for link in element.xpath(".//a:blip/@r:link"):
            target = drawing.part.rels[link].target_ref if link in drawing.part.rels else link
            raise InputError(
                f"{self.shown}: a picture links to {str(target)[:100]!r} outside the document; "
                "insert the picture into the document instead"
            )
        if not drawing.has_picture:
            return
        image = drawing.image
        self.images += 1
        described = element.xpath(".//wp:docPr/@descr") or element.xpath(".//wp:docPr/@title")
        alt = _clean(str(described[0])) if described else ""
        yield ImageBlock(f"{self.name}#image{self.images}.{image.ext}", alt, image.blob)

    def table(self, table: Table) -> None:
        rows: list[tuple[str, ...]] = []
        for row in table.rows:
            cells: list[str] = []
            seen: set[int] = set()
            for cell in row.cells:
                if id(_xml(cell)) in seen:  # a merged cell repeats itself across the columns it spans
                    cells.append("")
                    continue
                seen.add(id(_xml(cell)))
                cells.append(escape(_clean(" ".join(p.text for p in cell.paragraphs))))
            if any(cells):
                rows.append(tuple(cells))
        if not rows:
            return
        width = max(len(r) for r in rows)
        padded = [r + ("",) * (width - len(r)) for r in rows]
        if len(padded) == 1:  # a one-row table is a line of text, not a table
            self.blocks.append(Paragraph(" · ".join(c for c in padded[0] if c)))
            return
        self.blocks.append(TableBlock(padded[0], tuple(padded[1:])))


def _flag(run: Run, name: str) -> bool:
    value = getattr(run, name)
    if value is None and run.style is not None:
        value = getattr(run.style.font, name)
    return bool(value)


def _spans_markdown(spans: list[tuple[str, bool, bool]]) -> str:
    """Runs -> inline Markdown: neighbours with the same emphasis merged, marks outside the spaces."""
    merged: list[list[Any]] = []
    for text, bold, italic in spans:
        text = text.replace("\t", " ").replace("\n", " ")
        if merged and merged[-1][1:] == [bold, italic]:
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic])
    out = []
    for text, bold, italic in merged:
        core = _clean(text)
        if not core:
            out.append(" " if text else "")
            continue
        mark = ("**" if bold else "") + ("*" if italic else "")
        lead = " " if text[:1].isspace() else ""
        trail = " " if text[-1:].isspace() else ""
        out.append(f"{lead}{mark}{escape(core)}{mark[::-1]}{trail}")
    return _clean("".join(out))


def _author(name: str | None) -> str | None:
    """The document's author, unless it is a generator's placeholder (python-docx's template)."""
    cleaned = _clean(name)
    return cleaned if cleaned and cleaned.lower() not in GENERATOR_AUTHORS else None


def _clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _plain(paragraph: DocxParagraph) -> str:
    return _clean(paragraph.text)


def _open(doc: Document, shown: str) -> Any:
    try:
        return docx.Document(io.BytesIO(doc.data or b""))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise InputError(f"{shown} is not a readable DOCX document ({exc})") from None
    except Exception as exc:  # lxml's XMLSyntaxError and the like: a damaged part
        raise InputError(f"{shown} is damaged: {type(exc).__name__}") from None


def read_docx(doc: Document) -> Content:
    """The blocks and metadata of a DOCX document."""
    content = _Reader(_open(doc, doc.name), doc.name, doc.name).read()
    if not content.blocks and not content.meta.title:
        raise InputError(f"{doc.name} has no text to read")
    return Content(content.blocks, content.meta, doc.name)


def probe_docx(doc: Document, shown: str, limits: object) -> None:
    """At load: the whole document is read once (cheap), so every refusal comes before any work."""
    content = _Reader(_open(doc, shown), shown, doc.name).read()
    if not content.blocks and not content.meta.title:
        raise InputError(f"{shown} has no text to read")
