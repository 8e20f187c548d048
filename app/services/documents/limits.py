"""What one document may cost to read, checked before the costly part: sizes, archives, pages.

Text keeps its small limit (2 MB of UTF-8 is hours of speech); packed formats (PDF, DOCX, PPTX, EPUB,
HTML with its markup) have their own, larger one. An archive (DOCX, PPTX, EPUB are ZIP files) is
refused from its central directory, before anything is decompressed, when its members would expand
beyond the cap in total or one of them is compressed beyond any real document's ratio: Python's
zipfile never inflates a member past the size its directory declares, so the declared sizes bound
what reading can cost.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Literal

from app.config import Settings, setting_default
from app.core.fsutil import human_size
from app.errors import InputError

# A member compressed more than this (and large) is a bomb: DEFLATE tops out near 1032:1 and real XML
# or pictures stay far below 100:1.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024  # small members may have any ratio (a blank page's XML)
MAX_MEMBERS = 20_000


class DocumentTooLarge(InputError):
    """A document over its size limit (HTTP 413)."""


@dataclass(frozen=True)
class DocumentLimits:
    """The limits of one document; `text_bytes` for Markdown and plain text, `document_bytes` for the
    rest, `unpacked_bytes` for an archive's members in total, `pages` for a PDF's pages."""

    text_bytes: int = setting_default("max_input_bytes")
    document_bytes: int = setting_default("max_document_bytes")
    unpacked_bytes: int = setting_default("max_unpacked_bytes")
    pages: int = setting_default("max_pages")

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentLimits:
        return cls(
            settings.max_input_bytes,
            settings.max_document_bytes,
            settings.max_unpacked_bytes,
            settings.max_pages,
        )

    @property
    def largest(self) -> int:
        """The most bytes worth reading before the format is known."""
        return max(self.text_bytes, self.document_bytes)


def check_archive(data: bytes, shown: str, max_unpacked: int) -> None:
    """Refuse a ZIP container whose members would expand too far, from its directory alone."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(f"{shown} is damaged (not a readable ZIP container: {exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{shown} has {len(infos)} parts, over the limit of {MAX_MEMBERS}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"{shown} looks like a zip bomb: its part {info.filename[:80]!r} expands "
                f"{info.file_size // max(info.compress_size, 1)} times"
            )
    if total > max_unpacked:
        raise InputError(
            f"{shown} would expand to {human_size(total)}, over the {human_size(max_unpacked)} limit"
        )


_EXTERNAL = re.compile(rb"<Relationship\b[^>]*>", re.S)
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_LINKED = {"image": "a picture", "audio": "a sound", "video": "a video", "media": "a sound or video"}
_LINKED |= {"oleObject": "an embedded object", "package": "an embedded object", "frame": "a frame"}
_LINKED |= {"subDocument": "a sub-document"}
RELS_MAX_BYTES = 4 * 1024 * 1024  # a relationships part larger than this is not a real document's


def check_external_links(data: bytes, shown: str) -> None:
    """Refuse an Office file whose parts link to files or URLs outside it (a picture, a sound, an
    embedded object by reference): following such a link, or letting LibreOffice follow it, would
    reach outside the document, e.g. an internal address. Other outside links stay (hyperlinks, the
    template a Word file was made from): nothing reads them."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if not info.filename.endswith(".rels") or info.file_size > RELS_MAX_BYTES:
                continue
            for tag in _EXTERNAL.findall(z.read(info)):
                attrs = {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(tag)}
                kind = attrs.get("Type", "").rsplit("/", 1)[-1]
                if attrs.get("TargetMode") == "External" and kind in _LINKED:
                    what = _LINKED[kind]
                    target = attrs.get("Target", "")[:100]
                    raise InputError(
                        f"{shown}: {what} links to {target!r} outside the document; insert it instead"
                    )


@dataclass(frozen=True)
class PageRange:
    """Pages (or slides) to read, 1-based and inclusive; `last` None: to the end."""

    first: int = 1
    last: int | None = None

    def __str__(self) -> str:
        return f"{self.first}-{self.last or ''}"

    def select(self, count: int, shown: str, noun: str = "pages") -> range:
        """The 0-based indexes of the chosen pages of a document of `count` pages."""
        if self.first > count:
            raise InputError(f"{shown} has {count} {noun}; --pages {self} starts after its end")
        return range(self.first - 1, min(count, self.last or count))


_PAGES = re.compile(r"^\s*(\d{1,6})\s*(?:(-)\s*(\d{1,6})?)?\s*$")


def parse_pages(value: str | None) -> PageRange | None:
    """'3-12', '5' (that page only) or '7-' (to the end); None or '' means every page."""
    if value is None or not value.strip():
        return None
    m = _PAGES.match(value)
    if not m:
        raise InputError(f"invalid page range {value!r}: use N, N-M or N-")
    first = int(m.group(1))
    last = int(m.group(3)) if m.group(3) else (None if m.group(2) else first)
    if first < 1 or (last is not None and last < first):
        raise InputError(f"invalid page range {value!r}: pages count from 1, the range runs forwards")
    return PageRange(first, last)


PptxPicture = Literal["auto", "libreoffice", "redraw"]


@dataclass(frozen=True)
class ReadOptions:
    """How to read a packed document (the render options `pages` and `pptx_picture`): which pages or
    slides, and how a slide becomes its picture (LibreOffice when installed, else redrawn)."""

    pages: PageRange | None = None
    pptx_picture: PptxPicture = "auto"

    @classmethod
    def of(cls, pages: str | None = None, pptx_picture: str = "auto") -> ReadOptions:
        if pptx_picture not in ("auto", "libreoffice", "redraw"):
            raise InputError(f"invalid pptx_picture {pptx_picture!r}: choose auto, libreoffice or redraw")
        return cls(parse_pages(pages), pptx_picture)  # type: ignore[arg-type]


def check_page_count(count: int, limits: DocumentLimits, pages: PageRange | None, shown: str) -> None:
    """A document longer than the page limit is refused unless --pages picks few enough of them."""
    chosen = len(pages.select(count, shown)) if pages else count
    if chosen > limits.pages:
        hint = "" if pages else " (choose some with --pages)"
        raise InputError(f"{shown} has {count} pages, over the limit of {limits.pages}{hint}")
