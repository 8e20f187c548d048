"""What the LLM is given of a document: its words as light Markdown (headings, paragraphs, list
items, table rows, quotes; code and pictures left out), and the language it says it is in."""

from __future__ import annotations

from app.services.documents import (
    Document,
    Heading,
    ListBlock,
    Page,
    Paragraph,
    Quote,
    TableBlock,
    inline_plain,
    read_document,
)


def document_source(document: Document) -> tuple[str, str | None]:
    """(the document as text, its declared language or None); blocking (run it in a thread)."""
    content = read_document(document)
    parts: list[str] = []
    if content.meta.title:
        parts.append(f"# {content.meta.title}")
    for block in content.blocks:
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + inline_plain(block.text))
        elif isinstance(block, Paragraph):
            parts.append(inline_plain(block.text))
        elif isinstance(block, ListBlock):
            parts.append("\n".join("  " * i.level + "- " + inline_plain(i.text) for i in block.items))
        elif isinstance(block, TableBlock):
            rows = [block.header, *block.rows]
            parts.append("\n".join(" | ".join(inline_plain(c) for c in row) for row in rows))
        elif isinstance(block, Quote):
            parts.append("\n".join("> " + inline_plain(p) for p in block.paragraphs))
        elif isinstance(block, Page):
            said = [block.title or "", *(inline_plain(t) for t in block.text), block.narration or ""]
            parts.append("\n".join(s for s in said if s))
    return "\n\n".join(p for p in parts if p.strip()), content.meta.language
