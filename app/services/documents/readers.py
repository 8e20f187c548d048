"""The reader for each document format (a new format is a new reader and nothing else).

Each reader turns a `Document` into `Content`; a packed format's reader may also have a probe: the
cheap checks run when the document is loaded (encryption, page count), so a bad file is refused
before any speech is made.
"""

from __future__ import annotations

import hashlib
import threading
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
    once however often it is asked for in a row (the probe, the images, the planner; its pictures may
    take LibreOffice seconds): the last result is kept, keyed by a digest of the bytes and how they
    are read, so a long-running worker holds one `Content` and never a document's bytes."""
    if doc.data is None:
        return READERS[doc.format](doc)
    key = (hashlib.sha256(doc.data).digest(), doc.format, doc.name, doc.reading)
    with _LAST_LOCK:
        if _LAST and _LAST[0][0] == key:
            return _LAST[0][1]
    content = READERS[doc.format](doc)
    with _LAST_LOCK:
        _LAST[:] = [(key, content)]
    return content


_LAST: list[tuple[tuple[object, ...], Content]] = []
_LAST_LOCK = threading.Lock()
