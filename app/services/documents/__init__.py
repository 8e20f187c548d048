"""Reading documents: a file or bytes -> a validated `Document` -> its `Content` (blocks + metadata).

`load_document` / `document_from_bytes` refuse what cannot become a video with one clear `InputError`;
`read_document` runs the reader of the document's format (Markdown, plain text) and returns `Content`:
headings, paragraphs, lists, tables, images, code, quotes, rules and pages, their text inline Markdown
(`escape` makes plain text so, `inline_plain` gives the words back). Planning is its only consumer.
"""

from app.services.documents.fetch import check_url, fetch_client, fetch_document, fetch_limits, is_url
from app.services.documents.formats import (
    EXTENSIONS,
    REGISTRY,
    DocFormat,
    FormatInfo,
    format_from_label,
    sniff,
)
from app.services.documents.inline import escape, inline_plain
from app.services.documents.limits import (
    DocumentLimits,
    DocumentTooLarge,
    PageRange,
    PptxPicture,
    ReadOptions,
    parse_pages,
)
from app.services.documents.loading import (
    DEFAULT_MAX_BYTES,
    FORMATS,
    document_from_bytes,
    load_document,
    looks_like_markdown,
)
from app.services.documents.markdown import html_text, read_markdown, strip_front_matter
from app.services.documents.model import (
    Align,
    Block,
    CodeBlock,
    Content,
    Document,
    Heading,
    ImageBlock,
    ListBlock,
    ListItem,
    Meta,
    Page,
    Paragraph,
    Quote,
    Rule,
    TableBlock,
)
from app.services.documents.readers import read_document
from app.services.documents.text import read_text

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXTENSIONS",
    "FORMATS",
    "REGISTRY",
    "Align",
    "Block",
    "CodeBlock",
    "Content",
    "DocFormat",
    "Document",
    "DocumentLimits",
    "DocumentTooLarge",
    "FormatInfo",
    "Heading",
    "ImageBlock",
    "ListBlock",
    "ListItem",
    "Meta",
    "Page",
    "PageRange",
    "Paragraph",
    "PptxPicture",
    "Quote",
    "ReadOptions",
    "Rule",
    "TableBlock",
    "check_url",
    "document_from_bytes",
    "escape",
    "fetch_client",
    "fetch_document",
    "fetch_limits",
    "format_from_label",
    "html_text",
    "inline_plain",
    "is_url",
    "load_document",
    "looks_like_markdown",
    "parse_pages",
    "read_document",
    "read_markdown",
    "read_text",
    "sniff",
    "strip_front_matter",
]
