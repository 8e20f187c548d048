"""Reading documents: a file or bytes -> a validated `Document` -> its `Section`s.

`load_document` / `document_from_bytes` refuse what cannot become a video with one clear `InputError`;
`read_sections` runs the reader of the document's format (Markdown, plain text). Planning works only
from sections.
"""

from app.services.documents.loading import (
    DEFAULT_MAX_BYTES,
    EXTENSIONS,
    FORMATS,
    document_from_bytes,
    load_document,
    looks_like_markdown,
)
from app.services.documents.markdown import strip_front_matter
from app.services.documents.model import DocFormat, Document, Section
from app.services.documents.readers import read_sections

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXTENSIONS",
    "FORMATS",
    "DocFormat",
    "Document",
    "Section",
    "document_from_bytes",
    "load_document",
    "looks_like_markdown",
    "read_sections",
    "strip_front_matter",
]
