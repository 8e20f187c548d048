"""The Markdown reader: CommonMark (with tables and strikethrough) -> `Content`.

Headings keep their level; paragraphs, list items, table cells and quotes are inline Markdown
(`inline.py`); ordered lists keep their numbers as written and nested lists their depth; a code block,
table or image inside a list ends the list there (the items after it continue in a new list block, so
reading order holds). Images become `ImageBlock`s after the paragraph that held them. A quote's last
paragraph starting with a dash is its attribution. Raw HTML: comments, scripts and styles are dropped
whole, other tags dropped, their text kept. Front matter gives `Meta` (title, subtitle, author, date,
lang) and is not read aloud.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.services.documents.inline import escape, inline_markdown, inline_plain
from app.services.documents.model import (
    Align,
    Block,
    CodeBlock,
    Content,
    Heading,
    ListBlock,
    ListItem,
    Meta,
    Paragraph,
    Quote,
    Rule,
    TableBlock,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(?P<body>.*?)^(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_FRONT_MATTER_KEY = re.compile(r"^[A-Za-z_][\w-]*[ \t]*[:=]")
_YAML_SCALAR = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]*(?P<value>.*?)[ \t]*$")
_HTML_DROP = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_TASK_MARK = re.compile(r"^\\\[[ xX]\\\]\s+")
_ATTRIBUTION = re.compile(r"^(?:—|–|--|~|\\~)\s*(?P<who>\S.*)$")
_META_KEYS = {"title": "title", "subtitle": "subtitle", "author": "author", "date": "date"}
_LANG_KEYS = ("lang", "language")


def _split_front_matter(text: str) -> tuple[str, str | None, str]:
    """(body, front matter text or None, its fence) for a leading YAML/TOML block."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return text, None, ""
    first = next((line for line in m.group("body").splitlines() if line.strip()), "")
    if first and not _FRONT_MATTER_KEY.match(first):
        return text, None, ""
    return text[m.end() :], m.group("body"), m.group(1)


def strip_front_matter(text: str) -> str:
    """Drop a leading YAML/TOML block, but not a leading rule: its first line must look like a key."""
    return _split_front_matter(text)[0]


def _meta(front: str | None, fence: str) -> Meta:
    """Title card lines from front matter: simple `key: value` YAML scalars, or TOML."""
    if not front:
        return Meta()
    values: dict[str, str] = {}
    if fence == "+++":
        try:
            data = tomllib.loads(front)
        except tomllib.TOMLDecodeError:
            data = {}
        values = {k.lower(): str(v) for k, v in data.items() if isinstance(v, (str, int, float))}
    else:
        for line in front.splitlines():
            m = _YAML_SCALAR.match(line)
            if m and m.group("value") and m.group("value")[0] not in "[{|>&*!#":
                values[m.group("key").lower()] = m.group("value").strip("\"'").strip()
    found = {field: values[key] for key, field in _META_KEYS.items() if values.get(key)}
    language = next((values[k] for k in _LANG_KEYS if values.get(k)), None)
    return Meta(language=language, **found)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def html_text(raw: str) -> str:
    """Text inside raw HTML: comments, scripts and styles go whole, other tags go, entities decode."""
    text = _TAG.sub(" ", _HTML_DROP.sub(" ", raw))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _align(token: Token) -> Align:
    style = str(token.attrs.get("style", ""))
    if "right" in style:
        return "right"
    return "center" if "center" in style else "left"


@dataclass
class _Table:
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    align: list[Align] = field(default_factory=list)
    in_head: bool = False


@dataclass
class _Item:
    marker: str
    level: int
    words: list[str] = field(default_factory=list)
    shown: bool = False  # an item of it was already made (text after a nested list continues it)


class _Walker:
    """Folds the token stream into blocks. State: the outermost open container ("list" or "quote":
    text inside goes to it, whatever is nested), open lists and items, the quote's paragraphs, the
    table being read, and what the next inline token is for."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.outer: str | None = None
        self.depth = 0  # open lists and quotes
        self.lists: list[bool] = []  # one entry per open list: ordered?
        self.open_items: list[_Item] = []
        self.items: list[ListItem] = []  # items of the list block being made
        self.quote: list[str] = []
        self.later: list[Block] = []  # blocks met inside a quote: after it
        self.table: _Table | None = None
        self.target = ""

    def walk(self, tokens: Sequence[Token]) -> list[Block]:
        handlers: dict[str, Callable[[Token], None]] = {
            "heading_open": self._heading_open,
            "paragraph_open": lambda t: setattr(self, "target", "text"),
            "inline": self._inline,
            "bullet_list_open": lambda t: self._list_open(False),
            "ordered_list_open": lambda t: self._list_open(True),
            "bullet_list_close": self._list_close,
            "ordered_list_close": self._list_close,
            "list_item_open": self._item_open,
            "list_item_close": self._item_close,
            "blockquote_open": lambda t: self._open("quote"),
            "blockquote_close": self._quote_close,
            "fence": self._code,
            "code_block": self._code,
            "html_block": self._html,
            "hr": lambda t: self._emit(Rule()),
            "table_open": lambda t: setattr(self, "table", _Table()),
            "thead_open": self._thead,
            "tbody_open": self._thead,
            "tr_open": self._row,
            "th_open": self._cell,
            "td_open": self._cell,
            "table_close": self._table_close,
        }
        for token in tokens:
            handler = handlers.get(token.type)
            if handler:
                handler(token)
        self._flush_list()
        return self.blocks

    # -- where things go
    def _emit(self, block: Block) -> None:
        """A block of its own: inside a quote it waits for the quote's end; inside a list it ends the
        list block there (the items after it start a new one, so reading order holds)."""
        if self.outer == "quote":
            self.later.append(block)
            return
        self._flush_list()
        self.blocks.append(block)

    def _text(self, text: str) -> None:
        if self.outer == "list" and self.open_items:
            self.open_items[-1].words.append(text)
        elif self.outer == "quote":
            item = self.open_items[-1] if self.open_items else None
            numbered = item is not None and item.marker != "•" and not item.words
            if item is not None:
                item.words.append(text)
            self.quote.append(f"{escape(item.marker)} {text}" if item and numbered else text)
        else:
            self.blocks.append(Paragraph(text))

    def _flush_item(self) -> None:
        """What the innermost item said so far becomes an item, before anything nested in it."""
        if self.outer != "list" or not self.open_items or not self.open_items[-1].words:
            return
        item = self.open_items[-1]
        text = _TASK_MARK.sub("", " ".join(item.words))
        self.items.append(ListItem(text, "" if item.shown else item.marker, item.level))
        item.words, item.shown = [], True

    def _flush_list(self) -> None:
        self._flush_item()
        if self.items:
            self.blocks.append(ListBlock(tuple(self.items)))
            self.items = []

    def _open(self, kind: str) -> None:
        self._flush_item()
        self.outer = self.outer or kind
        self.depth += 1

    def _close(self) -> None:
        self.depth -= 1
        if not self.depth:
            self._flush_list()
            self.outer = None

    # -- handlers
    def _heading_open(self, token: Token) -> None:
        # A heading inside a list or quote is part of that block, not the start of a part.
        self.target = f"h{token.tag[1:]}" if token.level == 0 else "text"

    def _inline(self, token: Token) -> None:
        text, images = inline_markdown(token)
        target, self.target = self.target, ""
        if target.startswith("h"):
            self._emit(Heading(text, int(target[1:])))
        elif target == "cell" and self.table is not None:
            (self.table.header if self.table.in_head else self.table.rows[-1]).append(text)
        elif text:
            self._text(text)
        for image in images:
            self._flush_item()
            self._emit(image)

    def _list_open(self, ordered: bool) -> None:
        self._open("list")
        self.lists.append(ordered)

    def _list_close(self, token: Token) -> None:
        self.lists.pop()
        self._close()

    def _item_open(self, token: Token) -> None:
        self._flush_item()
        marker = f"{token.info}{token.markup}" if self.lists and self.lists[-1] else "•"
        self.open_items.append(_Item(marker, max(0, len(self.lists) - 1)))

    def _item_close(self, token: Token) -> None:
        self._flush_item()
        self.open_items.pop()

    def _quote_close(self, token: Token) -> None:
        self._close()
        if self.depth and self.outer == "quote":
            return
        if self.outer == "list":  # a quote inside a list item: its words were the item's
            return
        paragraphs = [p for p in self.quote if p]
        attribution = None
        if len(paragraphs) > 1:
            m = _ATTRIBUTION.match(paragraphs[-1])
            if m:
                attribution = inline_plain(m.group("who"))
                paragraphs.pop()
        later, self.quote, self.later = self.later, [], []
        if paragraphs:
            self.blocks.append(Quote(tuple(paragraphs), attribution))
        for block in later:
            self._emit(block)

    def _code(self, token: Token) -> None:
        code = token.content.rstrip("\n").expandtabs(4)
        if code.strip():
            language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else None
            self._emit(CodeBlock(code, language))

    def _html(self, token: Token) -> None:
        text = html_text(token.content)
        if text:
            self._text(escape(text))

    def _thead(self, token: Token) -> None:
        if self.table is not None:
            self.table.in_head = token.type == "thead_open"

    def _row(self, token: Token) -> None:
        if self.table is not None and not self.table.in_head:
            self.table.rows.append([])

    def _cell(self, token: Token) -> None:
        self.target = "cell"
        if self.table is not None and self.table.in_head:
            self.table.align.append(_align(token))

    def _table_close(self, token: Token) -> None:
        table, self.table = self.table, None
        if table is None:
            return
        width = len(table.header)
        rows = tuple(tuple((row + [""] * width)[:width]) for row in table.rows if any(row))
        if any(table.header) or rows:
            self._emit(TableBlock(tuple(table.header), rows, tuple(table.align)))


def read_markdown(text: str, name: str = "input") -> Content:
    """The blocks and metadata of a Markdown document."""
    body, front, fence = _split_front_matter(text)
    blocks = _Walker().walk(_markdown().parse(body))
    return Content(tuple(blocks), _meta(front, fence), name)
