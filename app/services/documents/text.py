"""The plain-text reader: a section per blank-line-separated paragraph, its lines joined."""

from __future__ import annotations

import re

from app.services.documents.model import Section
from app.services.models import BlockKind, SlideBlock

_SPACE = re.compile(r"\s+")


def text_sections(text: str) -> list[Section]:
    """A section per paragraph; lines inside a paragraph are one run of text."""
    paragraphs = re.split(r"\n[ \t\f\v]*\n", text)
    sections = []
    for para in paragraphs:
        joined = _SPACE.sub(" ", para).strip()
        if joined:
            sections.append(Section(None, [SlideBlock(BlockKind.PARAGRAPH, joined)]))
    return sections
