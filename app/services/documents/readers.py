"""The reader for each document format (a new format is a new reader and nothing else).

Each reader turns a `Document` into `Content`; a packed format's reader may also have a probe: the
cheap checks run when the document is loaded (encryption, page count), so a bad file is refused
before any speech is made.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Callable
from typing import cast

from app.services.documents.formats import DocFormat
from app.services.documents.limits import DocumentLimits
from app.services.documents.markdown import read_markdown
from app.services.documents.model import Content, Document
from app.services.documents.text import read_text

Reader = Callable[[Document], Content]
Probe = Callable[[Document, str, DocumentLimits], None]

PLAIN: dict[DocFormat, Reader] = {
    "md": lambda doc: read_markdown(doc.text, doc.name),
    "txt": lambda doc: read_text(doc.text, doc.name),
}
# A packed format's reader module (with its `read_FORMAT` and `probe_FORMAT`) is imported when a
# document of that format is first loaded: their libraries (lxml, trafilatura, pdfplumber, pypdfium2,
# python-docx, python-pptx) are ~45 MB resident, in every render process and worker otherwise, and a
# Markdown document or a Plan needs none of them.
PACKED: dict[DocFormat, str] = {
    fmt: f"app.services.documents.{fmt}_reader" for fmt in ("docx", "pptx", "pdf", "html", "epub")
}


def _packed(fmt: DocFormat, what: str) -> object:
    """`read` or `probe` of a packed format, from its module (imported on this first use)."""
    return getattr(importlib.import_module(PACKED[fmt]), f"{what}_{fmt}")


def has_reader(fmt: DocFormat) -> bool:
    return fmt in PLAIN or fmt in PACKED


def reader(fmt: DocFormat) -> Reader:
    return PLAIN[fmt] if fmt in PLAIN else cast(Reader, _packed(fmt, "read"))


def probe(doc: Document, shown: str, limits: DocumentLimits) -> None:
    """The format's cheap checks of a loaded document (an `InputError` of one line)."""
    if doc.format in PACKED:
        cast(Probe, _packed(doc.format, "probe"))(doc, shown, limits)


def read_document(doc: Document) -> Content:
    """The document's blocks and metadata, by the reader of its format. A packed document is read
    once however often it is asked for in a row (the probe, the images, the planner; its pictures may
    take LibreOffice seconds): the last result is kept, keyed by a digest of the bytes and how they
    are read, so a long-running worker holds one `Content` and never a document's bytes."""
    if doc.data is None:
        return reader(doc.format)(doc)
    key = (hashlib.sha256(doc.data).digest(), doc.format, doc.name, doc.reading)
    with _LAST_LOCK:
        if _LAST and _LAST[0][0] == key:
            return _LAST[0][1]
    content = reader(doc.format)(doc)
    with _LAST_LOCK:
        _LAST[:] = [(key, content)]
    return content


_LAST: list[tuple[tuple[object, ...], Content]] = []
_LAST_LOCK = threading.Lock()
