"""The EPUB reader (ebooklib): the book's chapters in reading order (its spine), each read as clean
XHTML (`xhtml_blocks`), its pictures taken from the book itself. A chapter that does not start with a
heading gets its table-of-contents title, so every chapter starts a part of the video."""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
import zipfile
from typing import Any
from urllib.parse import unquote, urlsplit

import ebooklib
from ebooklib import epub

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.documents.inline import escape
from app.services.documents.limits import DocumentLimits
from app.services.documents.model import Block, Content, Document, Heading, Meta
from app.services.documents.xhtml import xhtml_blocks


def _open(doc: Document, shown: str) -> Any:
    try:
        return epub.read_epub(io.BytesIO(doc.data or b""), options={"ignore_ncx": True})
    except Exception as exc:  # ebooklib raises many kinds for a broken book
        raise InputError(f"{shown} is not a readable EPUB book ({type(exc).__name__})") from None


def _first(book: Any, name: str) -> str | None:
    found = book.get_metadata("DC", name)
    value = found[0][0] if found else None
    return " ".join(unicodedata.normalize("NFC", str(value)).split()) or None if value else None


def _titles(book: Any) -> dict[str, str]:
    """Chapter file -> its title in the table of contents."""
    titles: dict[str, str] = {}

    def visit(entries: Any) -> None:
        for entry in entries:
            if isinstance(entry, tuple):
                visit([entry[0], *entry[1]] if len(entry) > 1 else [entry[0]])
                continue
            href = getattr(entry, "href", None) or getattr(entry, "file_name", None)
            title = getattr(entry, "title", None)
            if href and title:
                titles.setdefault(urlsplit(href).path, str(title))

    visit(book.toc)
    return titles


def _chapters(book: Any) -> list[Any]:
    chapters = []
    for item_id, _linear in book.spine:
        item = book.get_item_with_id(item_id)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT or isinstance(item, epub.EpubNav):
            continue
        chapters.append(item)
    return chapters


def read_epub(doc: Document) -> Content:
    """The book's blocks, chapter after chapter."""
    book = _open(doc, doc.name)
    titles = _titles(book)
    blocks: list[Block] = []
    for chapter in _chapters(book):
        check_cancelled()
        folder = posixpath.dirname(chapter.get_name())

        def image(src: str, folder: str = folder) -> tuple[str, bytes] | None:
            path = posixpath.normpath(posixpath.join(folder, unquote(urlsplit(src).path)))
            item = book.get_item_with_href(path)
            return (f"{doc.name}#{path}", item.get_content()) if item is not None else None

        found = xhtml_blocks(chapter.get_content(), image)
        title = titles.get(chapter.get_name())
        if found and title and not isinstance(found[0], Heading):
            found.insert(0, Heading(escape(title), 1))
        blocks.extend(found)
    if not blocks:
        raise InputError(f"{doc.name} has no text to read")
    meta = Meta(
        title=_first(book, "title"), author=_first(book, "creator"), language=_first(book, "language")
    )
    return Content(tuple(blocks), meta, doc.name)


ENCRYPTION = "META-INF/encryption.xml"
_ENCRYPTED_TEXT = re.compile(rb'CipherReference\s+URI="[^"]*\.(?:x?html?|xml|ncx)"', re.I)


def probe_epub(doc: Document, shown: str, limits: DocumentLimits) -> None:
    """At load: the book is not locked (DRM: its chapters encrypted; obfuscated fonts are fine), it
    opens and has chapters."""
    with zipfile.ZipFile(io.BytesIO(doc.data or b"")) as z:
        small = ENCRYPTION in z.namelist() and z.getinfo(ENCRYPTION).file_size < 1 << 20
        listed = z.read(ENCRYPTION) if small else b""
    if _ENCRYPTED_TEXT.search(listed):
        raise InputError(f"{shown} is locked (DRM): its chapters are encrypted")
    if not _chapters(_open(doc, shown)):
        raise InputError(f"{shown} has no chapters")
