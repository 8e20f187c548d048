"""What a document is: a validated `Document` (the input), and the `Content` its reader finds in it.

`Content` is a flat sequence of blocks that keeps the document's structure: headings with their level,
paragraphs, lists (numbers and nesting kept), tables, images, code, quotes, thematic breaks, and pages
(a slide or a PDF page: a picture, its shown text and what to say over it). Every reader (Markdown,
plain text; DOCX, PPTX, PDF, HTML, EPUB) produces `Content`, and the planner is its only consumer,
so a new format is a new reader and nothing else.

Text in blocks is inline Markdown (`**bold**`, `*italic*`, `` `code` ``; links as their text; other
markup characters backslash-escaped), the same form the Plan shows (`inline_plain` gives the words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.services.documents.formats import DocFormat
from app.services.documents.limits import ReadOptions

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Document:
    """Validated input. Text formats: NFC text with "\\n" line ends and no stray control characters.
    Packed formats (PDF, DOCX, PPTX, EPUB, HTML): `text` is empty and `data` holds the file's bytes,
    which their reader reads."""

    text: str
    format: DocFormat
    name: str = "input"
    data: bytes | None = field(default=None, repr=False)
    reading: ReadOptions = field(
        default_factory=ReadOptions
    )  # which pages, how slides become pictures (packed formats)


@dataclass(frozen=True)
class Heading:
    text: str  # inline Markdown
    level: int = 1  # 1..6


@dataclass(frozen=True)
class Paragraph:
    text: str  # inline Markdown, one paragraph


@dataclass(frozen=True)
class ListItem:
    text: str  # inline Markdown: the item's own words (nested items are items of their own)
    marker: str = "•"  # "1.", "2)" as numbered in the document; "•" for bullets
    level: int = 0  # nesting depth, 0 = top level

    @property
    def numbered(self) -> bool:
        return self.marker != "•"


@dataclass(frozen=True)
class ListBlock:
    """A list with its nested lists flattened into items (depth in `level`), in reading order."""

    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class TableBlock:
    header: tuple[str, ...]  # inline Markdown per cell
    rows: tuple[tuple[str, ...], ...]  # every row as wide as the header
    align: tuple[Align, ...] = ()  # per column; empty: all left


@dataclass(frozen=True)
class ImageBlock:
    """An image to show: `src` as written (a path relative to the document, a URL, a `data:` URL),
    or `data` (bytes a binary format's reader extracted; `src` then names them, e.g. "slide3.png")."""

    src: str
    alt: str = ""  # plain text
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CodeBlock:
    text: str  # as written, tabs expanded; shown, never read aloud
    language: str | None = None


@dataclass(frozen=True)
class Quote:
    paragraphs: tuple[str, ...]  # inline Markdown
    attribution: str | None = None  # plain text, without its leading dash


@dataclass(frozen=True)
class Rule:
    """A thematic break (`---`): what follows starts a new, untitled part."""


@dataclass(frozen=True)
class Page:
    """A slide or page that is its own picture (PPTX slide, PDF slide page): the planner makes it a
    `picture` scene. `text` is what the page shows (inline Markdown lines, for search and captions of
    a fallback), `narration` what to say over it, plain text (speaker notes; None: say `text`).
    `picture` None: no rendering of the page exists (a PPTX read without LibreOffice), so the planner
    draws `title` and `text` with its own layouts, beside the page's own pictures (`images`)."""

    picture: ImageBlock | None
    title: str | None = None
    text: tuple[str, ...] = ()
    narration: str | None = None
    images: tuple[ImageBlock, ...] = ()


Block = Heading | Paragraph | ListBlock | TableBlock | ImageBlock | CodeBlock | Quote | Rule | Page


@dataclass(frozen=True)
class Meta:
    """What a document says about itself (front matter, document properties): the title card's lines."""

    title: str | None = None
    subtitle: str | None = None
    author: str | None = None
    date: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Content:
    """A document as read: its blocks in order, and its metadata."""

    blocks: tuple[Block, ...]
    meta: Meta = Meta()
    name: str = "input"
    warnings: tuple[str, ...] = ()  # what the reader could not do as asked (shown, never fatal)
