"""The Markdown reader: CommonMark (with tables and strikethrough) -> sections.

Every top-level heading starts a section and titles it; text before the first heading is an untitled
section, and a horizontal rule starts a new untitled one. Code blocks are kept as CODE blocks (shown,
never read). Images are dropped: the video cannot show the picture, so its alt text would describe
nothing on screen. Link text is kept, link URLs are not (`speakable` reads a bare URL as its host).
Tables become one PARAGRAPH per row ("a | b"). Front matter and raw HTML tags are dropped, HTML
comments, scripts and styles whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.services.documents.model import Section
from app.services.models import BlockKind, SlideBlock

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(?P<body>.*?)^(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_FRONT_MATTER_KEY = re.compile(r"^[A-Za-z_][\w-]*[ \t]*[:=]")
_HTML_DROP = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_TASK_MARK = re.compile(r"^\[[ xX]\]\s+")


def strip_front_matter(text: str) -> str:
    """Drop a leading YAML/TOML block, but not a leading rule: its first line must look like a key."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return text
    first = next((line for line in m.group("body").splitlines() if line.strip()), "")
    if first and not _FRONT_MATTER_KEY.match(first):
        return text
    return text[m.end() :]


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _html_text(raw: str) -> str:
    """Text inside raw HTML: comments, scripts and styles go whole, other tags go, entities decode."""
    text = _TAG.sub(" ", _HTML_DROP.sub(" ", raw))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _inline_text(token: Token) -> str:
    """The visible words of an inline token: no emphasis marks, no URLs of links, no images."""
    out: list[str] = []
    skipping: str | None = None  # inside inline <script> or <style>
    for child in token.children or ():
        kind = child.type
        if kind == "html_inline":
            tag = re.match(r"<(/?)([A-Za-z]+)", child.content)
            name = tag.group(2).lower() if tag else ""
            if skipping:
                if tag and tag.group(1) and name == skipping:
                    skipping = None
            elif name in ("script", "style") and tag and not tag.group(1):
                skipping = name
            elif name == "br":
                out.append(" ")
        elif skipping:
            continue
        elif kind in ("text", "text_special", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
    return _SPACE.sub(" ", "".join(out)).strip()


class _MarkdownWalker:
    """Folds the token stream into sections; state is the open list items and table row."""

    def __init__(self) -> None:
        self.sections: list[Section] = [Section()]
        self.items: list[list[str]] = []  # words of each open list item, innermost last
        self.row: list[str] | None = None
        self.target = ""  # what the next inline token belongs to

    @property
    def current(self) -> Section:
        return self.sections[-1]

    def new_section(self, title: str | None) -> None:
        if self.current.is_empty():
            self.current.title = title
        else:
            self.sections.append(Section(title))

    def add(self, kind: BlockKind, text: str) -> None:
        if text.strip():
            self.current.blocks.append(SlideBlock(kind, text))

    def flush_item(self) -> None:
        """Show what the innermost list item said so far as one bullet, before anything nested."""
        if self.items and self.items[-1]:
            text = _TASK_MARK.sub("", " ".join(self.items[-1]))
            self.add(BlockKind.BULLET, text)
            self.items[-1] = []

    def text(self, text: str) -> None:
        if self.items:
            self.items[-1].append(text)
        else:
            self.add(BlockKind.PARAGRAPH, text)

    def walk(self, tokens: Sequence[Token]) -> list[Section]:
        handlers: dict[str, Callable[[Token], None]] = {
            "heading_open": self._heading_open,
            "paragraph_open": lambda t: setattr(self, "target", "text"),
            "th_open": lambda t: setattr(self, "target", "cell"),
            "td_open": lambda t: setattr(self, "target", "cell"),
            "inline": self._inline,
            "list_item_open": self._item_open,
            "list_item_close": self._item_close,
            "fence": self._code,
            "code_block": self._code,
            "html_block": self._html,
            "hr": lambda t: self.new_section(None),
            "tr_open": lambda t: setattr(self, "row", []),
            "tr_close": self._row_close,
        }
        for token in tokens:
            handler = handlers.get(token.type)
            if handler:
                handler(token)
        return self.sections

    def _heading_open(self, token: Token) -> None:
        # A heading inside a list or quote is part of that block, not the start of a scene.
        self.target = "heading" if token.level == 0 else "text"

    def _inline(self, token: Token) -> None:
        text = _inline_text(token)
        if self.target == "heading":
            self.new_section(text or None)
        elif self.target == "cell" and self.row is not None:
            self.row.append(text)
        elif text:
            self.text(text)
        self.target = ""

    def _item_open(self, token: Token) -> None:
        self.flush_item()
        self.items.append([])

    def _item_close(self, token: Token) -> None:
        self.flush_item()
        self.items.pop()

    def _code(self, token: Token) -> None:
        self.flush_item()
        code = token.content.rstrip("\n").expandtabs(4)
        if code.strip():
            self.current.blocks.append(SlideBlock(BlockKind.CODE, code))

    def _html(self, token: Token) -> None:
        text = _html_text(token.content)
        if text:
            self.text(text)

    def _row_close(self, token: Token) -> None:
        if self.row and any(self.row):
            self.add(BlockKind.PARAGRAPH, " | ".join(self.row))
        self.row = None


def markdown_sections(text: str) -> list[Section]:
    tokens = _markdown().parse(strip_front_matter(text))
    return [s for s in _MarkdownWalker().walk(tokens) if not s.is_empty()]
