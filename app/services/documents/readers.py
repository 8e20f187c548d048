"""The reader for each document format; each turns a document's text into sections."""

from __future__ import annotations

from app.services.documents.markdown import markdown_sections
from app.services.documents.model import Document, Section
from app.services.documents.text import text_sections


def read_sections(doc: Document) -> list[Section]:
    """The document's sections, in order, by the reader of its format."""
    return markdown_sections(doc.text) if doc.format == "md" else text_sections(doc.text)
