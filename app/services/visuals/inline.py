"""Inline Markdown (`**bold**`, `*italic*`, `` `code` ``, links) -> styled fragments to draw.

The plan's shown text is inline Markdown; CommonMark's own rules (markdown-it) decide what is
emphasis, so `snake_case` stays as written. Links show their text, images their alt text, raw HTML
is shown as written, and line breaks inside a paragraph are spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt

from app.services.visuals.themes import RGB

# the variants a fragment can have; `drawing` and `rich` map them onto font faces
REGULAR, BOLD, ITALIC, BOLD_ITALIC, CODE = "regular", "bold", "italic", "bold_italic", "code"


@dataclass(frozen=True)
class Frag:
    """A piece of text in one variant; `fill` overrides the line's colour (e.g. "(2/3)" muted)."""

    text: str
    variant: str = REGULAR
    fill: RGB | None = None
    scale: float = 1.0  # relative to the line's size (the part label is smaller)


_MD = MarkdownIt("commonmark")


def _variant(bold: int, italic: int) -> str:
    if bold and italic:
        return BOLD_ITALIC
    if bold:
        return BOLD
    return ITALIC if italic else REGULAR


@lru_cache(maxsize=4096)
def parse_inline(text: str) -> tuple[Frag, ...]:
    """The fragments of one line of inline Markdown, adjacent ones of one variant merged."""
    out: list[Frag] = []
    bold = italic = 0

    def add(piece: str, variant: str) -> None:
        if not piece:
            return
        if out and out[-1].variant == variant:
            out[-1] = Frag(out[-1].text + piece, variant)
        else:
            out.append(Frag(piece, variant))

    tokens = _MD.parseInline(text)
    children = tokens[0].children if tokens and tokens[0].children else []
    for token in children:
        kind = token.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold = max(0, bold - 1)
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic = max(0, italic - 1)
        elif kind == "code_inline":
            add(token.content, CODE)
        elif kind in ("softbreak", "hardbreak"):
            add(" ", _variant(bold, italic))
        elif kind == "image":
            add(token.content or "", _variant(bold, italic))
        elif kind in ("text", "html_inline"):
            add(token.content, _variant(bold, italic))
    return tuple(out)


def plain(text: str) -> str:
    """The text a viewer reads (markup gone): what tests look for in a layout's lines."""
    return "".join(f.text for f in parse_inline(text))
