"""The PPTX reader (python-pptx): a `Page` per slide, its speaker notes the narration.

Hidden slides are skipped; `--pages` picks slides by their number in the deck. A slide without notes
is narrated from its own text, and the document's warnings list those slides. The picture is the slide
itself: LibreOffice's rendering when it is installed (`--pptx-picture auto|libreoffice`), else
(`redraw`) no picture: the planner draws the slide's title and text with t2v's layouts, beside the
slide's own pictures (`Page.images`).
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pptx
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.exc import PackageNotFoundError

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.documents.inline import escape
from app.services.documents.limits import DocumentLimits
from app.services.documents.model import Content, Document, ImageBlock, Meta, Page
from app.services.documents.pages import libreoffice_available, office_to_pdf, open_pdf, render_pages

SLIDE_WARNING_LIST = 12  # slide numbers named in a warning before "..."


@dataclass(frozen=True)
class Slide:
    number: int  # 1-based, as numbered in the deck (hidden slides count)
    hidden: bool
    title: str | None
    text: tuple[str, ...]  # inline Markdown lines
    notes: str | None
    pictures: tuple[tuple[bytes, str, str], ...]  # (bytes, extension, alt)


def _clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _paragraph_markdown(paragraph: Any) -> str:
    parts = []
    for run in paragraph.runs:
        text = _clean(run.text)
        if not text:
            continue
        mark = ("**" if run.font.bold else "") + ("*" if run.font.italic else "")
        parts.append(f"{mark}{escape(text)}{mark[::-1]}")
    return " ".join(parts)


def _shapes(shapes: Any) -> Iterator[Any]:
    """Every shape, groups opened, in reading order (top to bottom, then left to right)."""

    def key(shape: Any) -> tuple[int, int]:
        return (int(shape.top or 0) // 200_000, int(shape.left or 0))  # rows ~0.5 cm apart

    for shape in sorted(shapes, key=key):
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _slide(number: int, slide: Any) -> Slide:
    title_shape = slide.shapes.title
    title = (
        _clean(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
    )
    lines: list[str] = []
    pictures: list[tuple[bytes, str, str]] = []
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            lines.extend(md for p in shape.text_frame.paragraphs if (md := _paragraph_markdown(p)))
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                cells = [escape(_clean(c.text)) for c in row.cells]
                if any(cells):
                    lines.append(" · ".join(c for c in cells if c))
        if hasattr(shape, "image"):
            try:
                image = shape.image
            except (ValueError, KeyError, AttributeError):  # a placeholder without a picture, a link
                continue
            alt = _clean(shape.element.xpath("string(.//p:cNvPr/@descr)"))
            pictures.append((image.blob, image.ext, alt))
    notes = None
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        notes = _clean(slide.notes_slide.notes_text_frame.text) or None
    hidden = _hidden(slide)
    return Slide(number, hidden, title or None, tuple(lines), notes, tuple(pictures))


def _hidden(slide: Any) -> bool:
    return slide.element.get("show") in ("0", "false")


def _open(doc: Document, shown: str) -> Any:
    try:
        return pptx.Presentation(io.BytesIO(doc.data or b""))
    except (PackageNotFoundError, KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{shown} is not a readable PPTX presentation ({exc})") from None
    except Exception as exc:  # lxml's XMLSyntaxError and the like: a damaged part
        raise InputError(f"{shown} is damaged: {type(exc).__name__}") from None


def _chosen(doc: Document, shown: str, limits: DocumentLimits | None) -> list[Slide]:
    """The slides to read: `--pages` applied to the deck's numbering, hidden slides skipped."""
    deck = _open(doc, shown)
    count = len(deck.slides)
    if count == 0:
        raise InputError(f"{shown} has no slides")
    indexes = doc.reading.pages.select(count, shown, "slides") if doc.reading.pages else range(count)
    if limits is not None and len(indexes) > limits.pages:
        raise InputError(
            f"{shown} has {count} slides, over the limit of {limits.pages} (choose some with --pages)"
        )
    slides = []
    for n, slide in enumerate(deck.slides):
        check_cancelled()
        if n in indexes:
            info = _slide(n + 1, slide)
            if not info.hidden:
                slides.append(info)
    if not slides:
        raise InputError(f"{shown}: every chosen slide is hidden")
    return slides


def probe_pptx(doc: Document, shown: str, limits: DocumentLimits) -> None:
    """At load: the deck opens, has visible slides within the limit (no picture is rendered)."""
    _chosen(doc, shown, limits)


def _use_libreoffice(doc: Document) -> bool:
    mode = doc.reading.pptx_picture
    if mode == "libreoffice" and not libreoffice_available():
        raise InputError("--pptx-picture libreoffice: LibreOffice (soffice) is not installed here")
    return mode == "libreoffice" or (mode == "auto" and libreoffice_available())


def _rendered(doc: Document, slides: list[Slide]) -> list[bytes] | None:
    """Each slide's picture from LibreOffice's PDF (which leaves hidden slides out), or None when
    the PDF's pages do not match the deck's visible slides."""
    pdf = open_pdf(office_to_pdf(doc.data or b"", ".pptx", doc.name), doc.name)
    try:
        deck = _open(doc, doc.name)
        visible = [n + 1 for n, s in enumerate(deck.slides) if not _hidden(s)]
        if len(pdf) != len(visible):
            return None
        page_of = {number: i for i, number in enumerate(visible)}
        return list(render_pages(pdf, [page_of[s.number] for s in slides]))
    finally:
        pdf.close()


def read_pptx(doc: Document) -> Content:
    """A `Page` per visible chosen slide; warnings name the slides narrated from their own text."""
    slides = _chosen(doc, doc.name, None)
    warnings: list[str] = []
    pictures = _rendered(doc, slides) if _use_libreoffice(doc) else None
    if pictures is None and _use_libreoffice(doc):
        warnings.append(f"{doc.name}: LibreOffice's pages did not match the slides; the slides are redrawn")
    blocks = []
    for i, slide in enumerate(slides):
        own = tuple(
            ImageBlock(f"{doc.name}#slide{slide.number}-image{k + 1}.{ext}", alt, data)
            for k, (data, ext, alt) in enumerate(slide.pictures)
        )
        picture = (
            ImageBlock(
                f"{doc.name}#slide{slide.number}.png", slide.title or f"Slide {slide.number}", pictures[i]
            )
            if pictures is not None
            else None
        )
        # no notes and no text: its title is said, so the slide is not silent (nor skipped)
        narration = slide.notes or (slide.title if not slide.text else None)
        blocks.append(Page(picture, slide.title, slide.text, narration, images=own))
    silent = [s.number for s in slides if s.notes is None]
    if silent:
        named = ", ".join(map(str, silent[:SLIDE_WARNING_LIST])) + (
            ", ..." if len(silent) > SLIDE_WARNING_LIST else ""
        )
        noun = "slide {} has" if len(silent) == 1 else "slides {} have"
        warnings.append(f"{doc.name}: {noun.format(named)} no speaker notes; their own text is read instead")
    deck = _open(doc, doc.name)
    props = deck.core_properties
    meta = Meta(title=_clean(props.title) or None, author=_clean(props.author) or None)
    return Content(tuple(blocks), meta, doc.name, warnings=tuple(warnings))
