"""The plain-text reader: a paragraph block per blank-line-separated paragraph, its lines joined.

A blank line is the only structure plain text has, so paragraphs are parts of their own (a `Rule`
between them: each starts a scene). Plain text has no markup, so every markup character is escaped:
the slide shows it as written.
"""

from __future__ import annotations

import re

from app.services.documents.inline import escape
from app.services.documents.model import Block, Content, Paragraph, Rule

_SPACE = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")


def read_text(text: str, name: str = "input") -> Content:
    """A paragraph per blank-line-separated run of lines."""
    blocks: list[Block] = []
    for para in _BLANK_LINE.split(text):
        joined = _SPACE.sub(" ", para).strip()
        if joined:
            if blocks:
                blocks.append(Rule())
            blocks.append(Paragraph(escape(joined)))
    return Content(tuple(blocks), name=name)
