"""The reader for each document format (a new format is a new reader and nothing else).

Each reader turns a `Document` into `Content`; a packed format's reader may also have a probe: the
cheap checks run when the document is loaded (encryption, page count), so a bad file is refused
before any speech is made.
"""

from __future__ import annotations

from collections.abc import Callable

from app.services.documents.formats import DocFormat
from app.services.documents.limits import DocumentLimits
from app.services.documents.markdown import read_markdown
from app.services.documents.model import Content, Document
from app.services.documents.text import read_text

Reader = Callable[[Document], Content]
Probe = Callable[[Document, str, DocumentLimits], None]

READERS: dict[DocFormat, Reader] = {
    "md": lambda doc: read_markdown(doc.text, doc.name),
    "txt": lambda doc: read_text(doc.text, doc.name),
}
PROBES: dict[DocFormat, Probe] = {}


def has_reader(fmt: DocFormat) -> bool:
    return fmt in READERS


def probe(doc: Document, shown: str, limits: DocumentLimits) -> None:
    """The format's cheap checks of a loaded document (an `InputError` of one line)."""
    check = PROBES.get(doc.format)
    if check is not None:
        check(doc, shown, limits)


def read_document(doc: Document) -> Content:
    """The document's blocks and metadata, by the reader of its format."""
    return READERS[doc.format](doc)
