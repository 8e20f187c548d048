"""Clean (X)HTML -> blocks, element by element: an EPUB chapter, or a page fragment with no article.

An EPUB chapter has no boilerplate to cut, so its markup is read as it is: headings, paragraphs (bold
and italic kept as inline Markdown), ordered and unordered lists (nesting as levels), tables, block
quotes, preformatted code and images (their bytes looked up by the caller, e.g. in the book).
Scripts, styles and navigation are skipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import lxml.html

from app.services.documents.inline import escape
from app.services.documents.model import (
    Block,
    CodeBlock,
    Heading,
    ImageBlock,
    ListBlock,
    ListItem,
    Paragraph,
    Quote,
    TableBlock,
)

ImageLookup = Callable[[str], tuple[str, bytes] | None]  # src -> (name, bytes), None: not in the book
_SKIP = {"script", "style", "nav", "head", "noscript", "template", "svg", "math", "iframe", "form"}
_BLOCKS = {"p", "div", "section", "article", "main", "body", "header", "footer", "aside", "figure"}
_SPACE = re.compile(r"\s+")


def _tag(element: Any) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1].lower()


def _inline(element: Any) -> str:
    """The element's text as inline Markdown: <b>/<strong> bold, <i>/<em> italic, the rest as text."""
    out = [escape(element.text or "")]
    for child in element:
        tag = _tag(child)
        if tag in _SKIP or tag == "img":
            pass
        elif tag == "br":
            out.append(" ")
        else:
            inner = _clean(_inline(child))
            mark = "**" if tag in ("b", "strong") else "*" if tag in ("i", "em") else ""
            spaced = f" {inner} " if tag in _BLOCKS else inner
            out.append(f"{mark}{inner}{mark}" if mark and inner else spaced)
        out.append(escape(child.tail or ""))
    return "".join(out)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


class _Walker:
    def __init__(self, images: ImageLookup) -> None:
        self.images = images
        self.blocks: list[Block] = []

    def image(self, element: Any) -> None:
        found = self.images(str(element.get("src", "")))
        if found is not None:
            name, data = found
            self.blocks.append(ImageBlock(name, _clean(str(element.get("alt", ""))), data))

    def items(self, element: Any, level: int, out: list[ListItem]) -> None:
        ordered = _tag(element) == "ol"
        number = int(element.get("start", "1") or 1) if ordered else 0
        for li in element:
            if _tag(li) != "li":
                continue
            nested = [c for c in li if _tag(c) in ("ul", "ol")]
            for c in nested:
                li.remove(c)
            text = _clean(_inline(li))
            if text:
                out.append(ListItem(text, f"{number}." if ordered else "•", min(level, 8)))
            number += 1
            for c in nested:
                self.items(c, level + 1, out)

    def table(self, element: Any) -> None:
        rows = []
        for tr in element.iter():
            if _tag(tr) == "tr":
                cells = [_clean(_inline(c)) for c in tr if _tag(c) in ("td", "th")]
                if any(cells):
                    rows.append(tuple(cells))
        if len(rows) >= 2:
            width = max(len(r) for r in rows)
            padded = [r + ("",) * (width - len(r)) for r in rows]
            self.blocks.append(TableBlock(padded[0], tuple(padded[1:])))
        elif rows:
            self.blocks.append(Paragraph(" · ".join(c for c in rows[0] if c)))

    def walk(self, element: Any) -> None:
        for child in element:
            tag = _tag(child)
            if tag in _SKIP:
                continue
            if re.fullmatch(r"h[1-6]", tag):
                text = _clean(_inline(child))
                if text:
                    self.blocks.append(Heading(text, int(tag[1])))
            elif tag in ("ul", "ol"):
                items: list[ListItem] = []
                self.items(child, 0, items)
                if items:
                    self.blocks.append(ListBlock(tuple(items)))
            elif tag == "table":
                self.table(child)
            elif tag == "pre":
                code = child.text_content().rstrip("\n").expandtabs(4)
                if code.strip():
                    self.blocks.append(CodeBlock(unicodedata.normalize("NFC", code)))
            elif tag == "blockquote":
                quoted = tuple(p for p in (_clean(_inline(c)) for c in child if _tag(c) == "p") if p)
                whole = _clean(_inline(child))
                if quoted or whole:
                    self.blocks.append(Quote(quoted or (whole,)))
            elif tag == "img":
                self.image(child)
            elif any(
                _tag(c) in _BLOCKS | {"ul", "ol", "table", "pre", "blockquote"}
                or re.fullmatch(r"h[1-6]", _tag(c))
                for c in child
            ):
                self.lead_text(child)
                self.walk(child)
            else:
                text = _clean(_inline(child))
                if text:
                    self.blocks.append(Paragraph(text))
                for img in child.iter():
                    if _tag(img) == "img":
                        self.image(img)

    def lead_text(self, element: Any) -> None:
        text = _clean(escape(element.text or ""))
        if text:
            self.blocks.append(Paragraph(text))


def xhtml_blocks(markup: bytes | str, images: ImageLookup) -> list[Block]:
    """The blocks of an (X)HTML document's body, in order."""
    root = lxml.html.document_fromstring(markup)
    body = next((e for e in root.iter() if _tag(e) == "body"), root)
    walker = _Walker(images)
    walker.walk(body)
    return walker.blocks
