"""The reader for each document format (a new format is a new reader and nothing else).

Each reader turns a `Document` into sections; a packed format's reader may also have a probe: the
cheap checks run when the document is loaded (encryption, page count), so a bad file is refused
before any speech is made.
"""

from __future__ import annotations

from collections.abc import Callable

from app.services.documents.formats import DocFormat
from app.services.documents.limits import DocumentLimits
from app.services.documents.markdown import markdown_sections
from app.services.documents.model import Document, Section
from app.services.documents.text import text_sections

Reader = Callable[[Document], list[Section]]
Probe = Callable[[Document, str, DocumentLimits], None]

READERS: dict[DocFormat, Reader] = {
    "md": lambda doc: markdown_sections(doc.text),
    "txt": lambda doc: text_sections(doc.text),
}
PROBES: dict[DocFormat, Probe] = {}


def has_reader(fmt: DocFormat) -> bool:
    return fmt in READERS


def probe(doc: Document, shown: str, limits: DocumentLimits) -> None:
    """The format's cheap checks of a loaded document (an `InputError` of one line)."""
    check = PROBES.get(doc.format)
    if check is not None:
        check(doc, shown, limits)


def read_sections(doc: Document) -> list[Section]:
    """The document's sections, in order, by the reader of its format."""
    return READERS[doc.format](doc)
