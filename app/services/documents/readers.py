"""The reader for each document format (a new format is a new reader and nothing else).

Each reader turns a `Document` into `Content`; a packed format's reader may also have a probe: the
cheap checks run when the document is loaded (encryption, page count), so a bad file is refused
before any speech is made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from app.services.documents.docx_reader import probe_docx, read_docx
from app.services.documents.epub_reader import probe_epub, read_epub
from app.services.documents.formats import DocFormat
from app.services.documents.html_reader import probe_html, read_html
from app.services.documents.limits import DocumentLimits
from app.services.documents.markdown import read_markdown
from app.services.documents.model import Content, Document
from app.services.documents.pdf_reader import probe_pdf, read_pdf
from app.services.documents.pptx_reader import probe_pptx, read_pptx
from app.services.documents.text import read_text

Reader = Callable[[Document], Content]
Probe = Callable[[Document, str, DocumentLimits], None]

READERS: dict[DocFormat, Reader] = {
    "md": lambda doc: read_markdown(doc.text, doc.name),
    "txt": lambda doc: read_text(doc.text, doc.name),
    "docx": read_docx,
    "pptx": read_pptx,
    "pdf": read_pdf,
    "html": read_html,
    "epub": read_epub,
}
PROBES: dict[DocFormat, Probe] = {
    "docx": probe_docx,
    "pptx": probe_pptx,
    "pdf": probe_pdf,
    "html": probe_html,
    "epub": probe_epub,
}


def has_reader(fmt: DocFormat) -> bool:
    return fmt in READERS


def probe(doc: Document, shown: str, limits: DocumentLimits) -> None:
    """The format's cheap checks of a loaded document (an `InputError` of one line)."""
    check = PROBES.get(doc.format)
    if check is not None:
        check(doc, shown, limits)


def read_document(doc: Document) -> Content:
    """The document's blocks and metadata, by the reader of its format. A packed document is read
    once however often it is asked for (its pictures may take LibreOffice seconds): the last few
    results are kept, keyed by the document itself (its bytes and how to read them)."""
    if doc.data is None:
        return READERS[doc.format](doc)
    return _read_packed(doc)


@functools.lru_cache(maxsize=2)
def _read_packed(doc: Document) -> Content:
    return READERS[doc.format](doc)
