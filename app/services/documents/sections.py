"""`Content` as the older, flatter `Section`s (a title and plain-text `SlideBlock`s) that
`build_script` reads, until the renderer consumes the Plan.

Every top-level heading starts a section and titles it; text before the first heading is an untitled
section, a thematic break starts a new untitled one (the plain-text reader puts one between paragraphs).
List items become bullets, table rows "a | b" paragraphs, quotes paragraphs, code CODE blocks; images
are dropped (no slide shows them on this path) and pages become a titled section of their text.
"""

from __future__ import annotations

from app.services.documents.inline import inline_plain
from app.services.documents.model import (
    CodeBlock,
    Content,
    Document,
    Heading,
    ListBlock,
    Page,
    Paragraph,
    Quote,
    Rule,
    Section,
    TableBlock,
)
from app.services.documents.readers import read_document
from app.services.models import BlockKind, SlideBlock


class _Sections:
    def __init__(self) -> None:
        self.sections: list[Section] = [Section()]

    def new(self, title: str | None) -> None:
        if self.sections[-1].is_empty():
            self.sections[-1].title = title
        else:
            self.sections.append(Section(title))

    def add(self, kind: BlockKind, text: str) -> None:
        if text.strip():
            self.sections[-1].blocks.append(SlideBlock(kind, text))


def content_sections(content: Content) -> list[Section]:
    """The sections of `content`, in order."""
    out = _Sections()
    for block in content.blocks:
        if isinstance(block, Heading):
            out.new(inline_plain(block.text) or None)
        elif isinstance(block, Rule):
            out.new(None)
        elif isinstance(block, Paragraph):
            out.add(BlockKind.PARAGRAPH, inline_plain(block.text))
        elif isinstance(block, ListBlock):
            for item in block.items:
                out.add(BlockKind.BULLET, inline_plain(item.text))
        elif isinstance(block, TableBlock):
            for row in (block.header, *block.rows):
                if any(row):
                    out.add(BlockKind.PARAGRAPH, " | ".join(inline_plain(c) for c in row))
        elif isinstance(block, Quote):
            for para in block.paragraphs:
                out.add(BlockKind.PARAGRAPH, inline_plain(para))
            if block.attribution:
                out.add(BlockKind.PARAGRAPH, block.attribution)
        elif isinstance(block, CodeBlock):
            if block.text.strip():
                out.sections[-1].blocks.append(SlideBlock(BlockKind.CODE, block.text))
        elif isinstance(block, Page):
            out.new(block.title)
            if block.narration is not None:
                out.add(BlockKind.PARAGRAPH, block.narration)
            for line in block.text if block.narration is None else ():
                out.add(BlockKind.PARAGRAPH, inline_plain(line))
    return [s for s in out.sections if not s.is_empty()]


def read_sections(doc: Document) -> list[Section]:
    """The document's sections, in order, by the reader of its format."""
    return content_sections(read_document(doc))
