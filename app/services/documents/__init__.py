"""Reading documents: a file or bytes -> a validated `Document` -> its `Section`s.

`load_document` / `document_from_bytes` refuse what cannot become a video with one clear `InputError`;
`read_sections` runs the reader of the document's format (Markdown, plain text). Planning works only
from sections.
"""

from app.services.documents.formats import (
    EXTENSIONS,
    REGISTRY,
    DocFormat,
    FormatInfo,
    format_from_label,
    sniff,
)
from app.services.documents.limits import DocumentLimits, DocumentTooLarge, PageRange, parse_pages
from app.services.documents.loading import (
    DEFAULT_MAX_BYTES,
    FORMATS,
    document_from_bytes,
    load_document,
    looks_like_markdown,
)
from app.services.documents.markdown import strip_front_matter
from app.services.documents.model import Document, Section
from app.services.documents.readers import read_sections

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXTENSIONS",
    "FORMATS",
    "REGISTRY",
    "DocFormat",
    "Document",
    "DocumentLimits",
    "DocumentTooLarge",
    "FormatInfo",
    "PageRange",
    "Section",
    "document_from_bytes",
    "format_from_label",
    "load_document",
    "looks_like_markdown",
    "parse_pages",
    "read_sections",
    "sniff",
    "strip_front_matter",
]
