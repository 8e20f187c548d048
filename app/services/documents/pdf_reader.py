"""The PDF reader (pdfplumber for words and fonts, pypdfium2 for pages and pictures; not PyMuPDF).

Two kinds of PDF: a report (portrait pages, running text) becomes headings, paragraphs, lists and
pictures (`pdf_layout`); a slide deck exported to PDF (Beamer, Keynote, PowerPoint: landscape pages
with little text) becomes a `Page` per page, the page itself its picture and its text the narration.
Refused with one line each, when the document is loaded: encrypted (a password), damaged, no pages,
more pages than the limit (unless `--pages` picks fewer), no text layer (a scan).
"""

from __future__ import annotations

import io
import statistics
import unicodedata
from typing import Any

import pdfplumber

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.documents.inline import escape
from app.services.documents.limits import DocumentLimits, check_page_count
from app.services.documents.model import Block, Content, Document, ImageBlock, Meta, Page, TableBlock
from app.services.documents.pages import open_pdf, render_pages
from app.services.documents.pdf_layout import Line, drop_running, flow, lines_of

MIN_TEXT_CHARS = 20  # fewer characters in the chosen pages: a scan without a text layer
SLIDE_LANDSCAPE_SHARE = 0.8  # this share of landscape pages...
SLIDE_MAX_CHARS = 700  # ...with at most this many characters each (the median): a slide deck
PICTURE_MIN_POINTS = 60  # smaller pictures are decoration (bullets, logos in a corner)
PICTURE_MAX_SIDE = 1600  # pixels


def _chosen(pdf: Any, doc: Document, shown: str, limits: DocumentLimits | None) -> range:
    count = len(pdf)
    if count == 0:
        raise InputError(f"{shown} has no pages")
    if limits is not None:
        check_page_count(count, limits, doc.reading.pages, shown)
    return doc.reading.pages.select(count, shown) if doc.reading.pages else range(count)


def _page_chars(pdf: Any, index: int) -> int:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return len("".join(textpage.get_text_range().split()))
        finally:
            textpage.close()
    finally:
        page.close()


def _check_text(pdf: Any, indexes: range, shown: str) -> list[int]:
    """Characters per chosen page; a scan (no text layer) is refused."""
    chars = []
    for i in indexes:
        check_cancelled()
        chars.append(_page_chars(pdf, i))
    if sum(chars) < MIN_TEXT_CHARS:
        raise InputError(
            f"{shown} has no text layer (a scanned document?); make it searchable first, e.g. with ocrmypdf"
        )
    return chars


def probe_pdf(doc: Document, shown: str, limits: DocumentLimits) -> None:
    """At load: it opens (not encrypted, not damaged), its pages within the limit, it has text."""
    pdf = open_pdf(doc.data or b"", shown)
    try:
        _check_text(pdf, _chosen(pdf, doc, shown, limits), shown)
    finally:
        pdf.close()


def _is_slides(pdf: Any, indexes: range, chars: list[int]) -> bool:
    landscape = 0
    for i in indexes:
        width, height = pdf.get_page_size(i)
        landscape += width > height * 1.05
    return landscape >= SLIDE_LANDSCAPE_SHARE * len(indexes) and statistics.median(chars) <= SLIDE_MAX_CHARS


def _meta(pdf: Any) -> Meta:
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
    except Exception:  # a damaged info dictionary costs only the title card
        info = {}

    def clean(key: str) -> str | None:
        return " ".join(unicodedata.normalize("NFC", str(info.get(key, ""))).split()) or None

    return Meta(title=clean("Title"), author=clean("Author"), subtitle=clean("Subject"))


def _plumber(doc: Document) -> Any:
    try:
        return pdfplumber.open(io.BytesIO(doc.data or b""))
    except Exception as exc:  # pdfminer's many parse errors: the file is damaged for us
        raise InputError(f"{doc.name} is damaged or not a PDF t2v can read ({type(exc).__name__})") from None


Placed = list[tuple[float, Block]]  # blocks placed on a page (tables, pictures), with their top


def _page_lines(plumber: Any, index: int, tables: bool = False) -> tuple[list[Line], Placed]:
    """The page's lines, and (`tables`) its ruled tables with their top, their words taken out of
    the lines."""
    page = plumber.pages[index]
    try:
        words = page.extract_words(extra_attrs=["size", "fontname"], use_text_flow=True)
        found: Placed = []
        if tables:
            for table in page.find_tables():
                block = _table(table.extract())
                if block is None:
                    continue
                x0, top, x1, bottom = table.bbox
                found.append((float(top), block))
                words = [w for w in words if not _inside(w, (x0, top, x1, bottom))]
        return lines_of(words, index, float(page.height), float(page.width)), found
    finally:
        page.close()


def _inside(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x = (float(word["x0"]) + float(word["x1"])) / 2
    y = (float(word["top"]) + float(word["bottom"])) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _table(rows: list[list[str | None]]) -> TableBlock | None:
    """A ruled table's cells (None for merged ones) as a `TableBlock`: the first row the header."""
    cleaned = [
        tuple(escape(" ".join(unicodedata.normalize("NFC", cell or "").split())) for cell in row)
        for row in rows
    ]
    cleaned = [row for row in cleaned if any(row)]
    if len(cleaned) < 2 or max(len(r) for r in cleaned) < 2:
        return None
    width = max(len(r) for r in cleaned)
    padded = [r + ("",) * (width - len(r)) for r in cleaned]
    return TableBlock(padded[0], tuple(padded[1:]))


def _pictures(plumber: Any, pdf: Any, index: int, name: str, first: int) -> list[tuple[float, Block]]:
    """The page's pictures large enough to show, rendered from the page (any encoding), with their top."""
    page = plumber.pages[index]
    found = []
    try:
        width, height = float(page.width), float(page.height)
        for n, image in enumerate(page.images):
            x0, top, x1, bottom = (float(image[k]) for k in ("x0", "top", "x1", "bottom"))
            x0, top, x1, bottom = max(0.0, x0), max(0.0, top), min(width, x1), min(height, bottom)
            if x1 - x0 < PICTURE_MIN_POINTS or bottom - top < PICTURE_MIN_POINTS:
                continue
            found.append((top, (x0, top, x1, bottom), first + n))
    finally:
        page.close()
    out: Placed = []
    for top, (x0, t, x1, b), n in found:
        check_cancelled()
        scale = min(4.0, PICTURE_MAX_SIDE / max(x1 - x0, b - t))
        page_obj = pdf[index]
        try:
            bitmap = page_obj.render(scale=scale, crop=(x0, height - b, width - x1, t))
            picture = bitmap.to_pil().convert("RGB")
        finally:
            page_obj.close()
        data = io.BytesIO()
        picture.save(data, "PNG", compress_level=1)
        out.append((top, ImageBlock(f"{name}#page{index + 1}-image{n + 1}.png", "", data.getvalue())))
    return out


def _report(doc: Document, pdf: Any, indexes: range) -> list[Block]:
    plumber = _plumber(doc)
    try:
        pages: list[list[Line]] = []
        placed: dict[int, list[tuple[float, Block]]] = {}  # per page: tables and pictures, by top
        for n, index in enumerate(indexes):
            check_cancelled()
            lines, tables = _page_lines(plumber, index, tables=True)
            pages.append(lines)
            found = tables + _pictures(plumber, pdf, index, doc.name, 0)
            if found:
                placed[n] = found
    finally:
        plumber.close()
    return flow(drop_running(pages), placed)


def _slides(doc: Document, pdf: Any, indexes: range) -> list[Block]:
    plumber = _plumber(doc)
    try:
        texts: list[tuple[str | None, tuple[str, ...]]] = []
        for index in indexes:
            check_cancelled()
            lines = [ln for ln in _page_lines(plumber, index)[0] if ln.text.strip()]
            top = max(lines, key=lambda ln: ln.size) if lines else None
            rest = tuple(escape(ln.text) for ln in lines if ln is not top)
            texts.append((top.text if top else None, rest))
    finally:
        plumber.close()
    blocks: list[Block] = []
    for index, picture, (title, text) in zip(indexes, render_pages(pdf, indexes), texts, strict=True):
        src = f"{doc.name}#page{index + 1}.png"
        blocks.append(Page(ImageBlock(src, title or f"Page {index + 1}", picture), title, text, None))
    return blocks


def read_pdf(doc: Document) -> Content:
    """A report's structure, or a slide deck's pages (see the module's description)."""
    pdf = open_pdf(doc.data or b"", doc.name)
    try:
        indexes = _chosen(pdf, doc, doc.name, None)
        chars = _check_text(pdf, indexes, doc.name)
        slides = _is_slides(pdf, indexes, chars)
        blocks = _slides(doc, pdf, indexes) if slides else _report(doc, pdf, indexes)
        meta = _meta(pdf)
    finally:
        pdf.close()
    if not blocks:
        raise InputError(f"{doc.name} has no text to read")
    return Content(tuple(blocks), meta, doc.name)
