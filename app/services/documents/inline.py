"""Inline Markdown, the form of every text in `Content` and in the Plan.

`inline_markdown` writes a parsed inline token back as normalized inline Markdown: emphasis and
inline code kept, links as their text, images taken out (returned apart: the caller shows them as
image blocks), raw HTML tags dropped (their text kept; scripts and styles whole), line breaks as
spaces, and every other markup character in the text backslash-escaped, so it shows as written.
`escape` does that for plain text; `inline_plain` gives the words a viewer reads.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.services.documents.model import ImageBlock

_SPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"([\\`*_\[\]<>&~])")
_OPEN_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
_BACKTICKS = re.compile(r"`+")
_INLINE = MarkdownIt("commonmark")


def escape(text: str) -> str:
    """Plain text as inline Markdown that shows it as written."""
    return _MARKUP.sub(r"\\\1", text)


def _code_span(code: str) -> str:
    runs = [len(m.group()) for m in _BACKTICKS.finditer(code)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if code.startswith("`") or code.endswith("`") or not code.strip() else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def inline_markdown(token: Token) -> tuple[str, list[ImageBlock]]:
    """The inline Markdown of an `inline` token (spaces collapsed) and the images it held."""
    out: list[str] = []
    images: list[ImageBlock] = []
    opened: list[int] = []  # where each open emphasis mark is in `out`
    skipping: str | None = None  # inside inline <script> or <style>
    for child in token.children or ():
        kind = child.type
        if kind == "html_inline":
            tag = _OPEN_TAG.match(child.content)
            name = tag.group(2).lower() if tag else ""
            closing = bool(tag and tag.group(1))
            if skipping:
                if closing and name == skipping:
                    skipping = None
            elif name in ("script", "style") and not closing:
                skipping = name
            elif name == "br":
                out.append(" ")
        elif skipping:
            continue
        elif kind in ("text", "text_special"):
            out.append(escape(child.content))
        elif kind == "code_inline":
            out.append(_code_span(child.content))
        elif kind in ("strong_open", "em_open"):
            opened.append(len(out))
            out.append("**" if kind == "strong_open" else "*")
        elif kind in ("strong_close", "em_close"):
            start = opened.pop() if opened else len(out)
            if "".join(out[start + 1 :]).strip():
                out.append("**" if kind == "strong_close" else "*")
            else:  # emphasis around nothing left (an image, a tag) would show as asterisks
                del out[start:]
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "image":
            images.append(ImageBlock(str(child.attrs.get("src", "")), _alt(child)))
    return _SPACE.sub(" ", "".join(out)).strip(), images


def _alt(image: Token) -> str:
    """An image's alt text as plain words (markdown-it keeps its inline children)."""
    parts = [c.content for c in image.children or () if c.type in ("text", "text_special", "code_inline")]
    return _SPACE.sub(" ", "".join(parts) or image.content).strip()


@lru_cache(maxsize=4096)
def inline_plain(text: str) -> str:
    """The words of inline Markdown, markup gone (what is read and what captions show)."""
    if not any(ch in text for ch in "\\`*_[<&!"):
        return _SPACE.sub(" ", text).strip()
    tokens = _INLINE.parseInline(text)
    out: list[str] = []
    for child in (tokens[0].children if tokens else None) or ():
        if child.type in ("text", "text_special", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(_alt(child))
    return _SPACE.sub(" ", "".join(out)).strip()
