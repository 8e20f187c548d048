"""The HTML reader: a web page's main content (trafilatura) -> Markdown -> the Markdown reader.

A saved page or a fetched one is mostly navigation, cookie banners, footers and scripts around one
article. trafilatura finds the article and writes it as Markdown with its headings, lists, tables,
emphasis and images kept (links as their text), so the Markdown reader does the rest and both formats
read the same way. A fetched page becomes a Markdown document right away (`page_markdown`: its
images' paths made absolute against its URL, its title, author and date as front matter), so a job
carries the article, not the page. A fragment too small for an article is read whole, as its text.
"""

from __future__ import annotations

import json
import unicodedata

import trafilatura

from app.errors import InputError
from app.services.documents.markdown import read_markdown
from app.services.documents.model import Content, Document, Meta
from app.services.documents.xhtml import xhtml_blocks


def _decoded(data: bytes) -> str:
    """The page as text: trafilatura's own decoding (meta charset, BOM, detection)."""
    from trafilatura.utils import decode_file

    text = decode_file(data)
    return unicodedata.normalize("NFC", text if isinstance(text, str) else text.decode("utf-8", "replace"))


def main_content(page: str, url: str | None = None) -> str | None:
    """The page's article as Markdown (None: no article found); `url` makes image paths absolute."""
    markdown = trafilatura.extract(
        page,
        url=url,
        output_format="markdown",
        include_tables=True,
        include_images=True,
        include_formatting=True,
        include_links=False,
        include_comments=False,
        favor_recall=True,
    )
    return markdown if markdown and markdown.strip() else None


def page_markdown(data: bytes, url: str) -> str | None:
    """A fetched page as a Markdown document: front matter (title, author) and the article,
    its images' paths absolute. None: the page has no article (it is read whole as HTML then)."""
    page = _decoded(data)
    markdown = main_content(page, url)
    if markdown is None:
        return None
    found = trafilatura.extract_metadata(page, default_url=url)
    front = {}
    for key in ("title", "author"):  # not its date: guessed, often from a copyright line
        value = _clean(getattr(found, key, None)) if found is not None else None
        if value:
            front[key] = json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string
    head = "".join(f"{k}: {v}\n" for k, v in front.items())
    return f"---\n{head}---\n\n{markdown}\n" if head else markdown + "\n"


def read_html(doc: Document) -> Content:
    """The page's main content as `Content`."""
    page = _decoded(doc.data or doc.text.encode("utf-8"))
    markdown = main_content(page)
    if markdown is not None:
        content = read_markdown(markdown, doc.name)
    else:  # a fragment without an article: its markup read as it is (no images: no folder to ask)
        content = Content(tuple(xhtml_blocks(page, lambda _src: None)), Meta(), doc.name)
    if not content.blocks:
        raise InputError(f"{doc.name} has no text to read")
    found = trafilatura.extract_metadata(page)
    meta = content.meta
    if found is not None:
        meta = Meta(
            title=meta.title or _clean(found.title),
            subtitle=meta.subtitle or _clean(found.description),
            author=meta.author or _clean(found.author),
            date=meta.date,
            language=meta.language,
        )
    return Content(content.blocks, meta, doc.name, content.warnings)


def _clean(value: object) -> str | None:
    if not value:
        return None
    return " ".join(unicodedata.normalize("NFC", str(value)).split()) or None


def probe_html(doc: Document, shown: str, limits: object) -> None:
    """At load: the page has something to read."""
    read_html(doc)
