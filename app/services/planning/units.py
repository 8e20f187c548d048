"""A section's blocks -> units: what one kind of scene shows (prose, a list, a table, code, an image
with or without its text, a quote, a page).

A short paragraph right before a list, a table or code is its lead (shown above it, said first); an
image takes the text next to it (the unit before it, else the one after) and becomes image + text;
an image with no text beside it is shown full-bleed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.services.documents import (
    Block,
    CodeBlock,
    ImageBlock,
    ListBlock,
    ListItem,
    Page,
    Paragraph,
    Quote,
    TableBlock,
    inline_plain,
)

LEAD_CHARS = 200  # a paragraph this short (plain characters) before a list, table or code is its lead


@dataclass
class Prose:
    paragraphs: list[str]


@dataclass
class Listing:
    items: list[ListItem]
    lead: str | None = None


@dataclass
class TableUnit:
    table: TableBlock
    lead: str | None = None


@dataclass
class CodeUnit:
    code: CodeBlock
    lead: str | None = None


@dataclass
class ImageUnit:
    image: ImageBlock
    text: Prose | Listing | None = None


@dataclass
class QuoteUnit:
    quote: Quote


@dataclass
class PageUnit:
    page: Page


Unit = Prose | Listing | TableUnit | CodeUnit | ImageUnit | QuoteUnit | PageUnit


@dataclass
class _Units:
    units: list[Unit] = field(default_factory=list)

    def lead(self) -> str | None:
        """Take the paragraph just before, if short: it introduces what follows."""
        last = self.units[-1] if self.units else None
        if not isinstance(last, Prose) or len(inline_plain(last.paragraphs[-1])) > LEAD_CHARS:
            return None
        text = last.paragraphs.pop()
        if not last.paragraphs:
            self.units.pop()
        return text


def section_units(blocks: list[Block]) -> list[Unit]:
    """The units of one section's blocks, in order (headings and rules are not in `blocks`)."""
    out = _Units()
    for block in blocks:
        last = out.units[-1] if out.units else None
        if isinstance(block, Paragraph):
            if isinstance(last, Prose):
                last.paragraphs.append(block.text)
            else:
                out.units.append(Prose([block.text]))
        elif isinstance(block, ListBlock):
            out.units.append(Listing(list(block.items), out.lead()))
        elif isinstance(block, TableBlock):
            out.units.append(TableUnit(block, out.lead()))
        elif isinstance(block, CodeBlock):
            if isinstance(last, CodeUnit) and block.language in (None, last.code.language):  # one panel
                last.code = CodeBlock(f"{last.code.text}\n\n{block.text}", last.code.language)
            else:
                out.units.append(CodeUnit(block, out.lead()))
        elif isinstance(block, ImageBlock):
            out.units.append(ImageUnit(block))
        elif isinstance(block, Quote):
            out.units.append(QuoteUnit(block))
        elif isinstance(block, Page):
            out.units.append(PageUnit(block))
    return _pair_images(out.units)


def _pair_images(units: list[Unit]) -> list[Unit]:
    """An image takes the prose or list before it (if that one is not taken), else the one after."""
    out: list[Unit] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if isinstance(unit, ImageUnit) and unit.text is None:
            before = out[-1] if out else None
            after = units[i + 1] if i + 1 < len(units) else None
            if isinstance(before, (Prose, Listing)):
                out[-1] = ImageUnit(unit.image, before)
            elif isinstance(after, (Prose, Listing)):
                out.append(ImageUnit(unit.image, after))
                i += 2
                continue
            else:
                out.append(unit)
        else:
            out.append(unit)
        i += 1
    return out
