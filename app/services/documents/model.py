"""What a document is once read: a validated `Document`, and the `Section`s its reader finds in it.

A section is what a document says before it is cut into scenes: an optional title (a heading) and the
blocks under it (paragraphs, bullets, code). Every reader (Markdown, plain text; later others) produces
sections, and planning works only from sections, so a new format is a new reader and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.services.documents.formats import DocFormat
from app.services.models import SlideBlock


@dataclass(frozen=True)
class Document:
    """Validated input. Text formats: NFC text with "\\n" line ends and no stray control characters.
    Packed formats (PDF, DOCX, PPTX, EPUB, HTML): `text` is empty and `data` holds the file's bytes,
    which their reader reads."""

    text: str
    format: DocFormat
    name: str = "input"
    data: bytes | None = field(default=None, repr=False)


@dataclass
class Section:
    """A title (None: untitled) and the blocks under it, in document order."""

    title: str | None = None
    blocks: list[SlideBlock] = field(default_factory=list)

    def is_empty(self) -> bool:
        return self.title is None and not self.blocks
