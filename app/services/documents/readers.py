"""The reader for each document format; each turns a document into `Content`."""

from __future__ import annotations

from app.services.documents.markdown import read_markdown
from app.services.documents.model import Content, Document
from app.services.documents.text import read_text


def read_document(doc: Document) -> Content:
    """The document's blocks and metadata, by the reader of its format."""
    if doc.format == "md":
        return read_markdown(doc.text, doc.name)
    return read_text(doc.text, doc.name)
