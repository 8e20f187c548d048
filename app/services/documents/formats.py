"""The formats t2v reads, and which one a file is: sniffed from its bytes, never taken from its name.

A name's extension only has to agree: a `.pdf` whose bytes are a Word file, or a `.docx` that is
text, is refused with one line saying what the bytes are, because a lying name is either a mistake
the user wants to hear about or an attempt to reach a reader by the wrong door. Text formats (Markdown,
plain text) are told apart later, from the decoded text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.errors import InputError

DocFormat = Literal["md", "txt", "html", "docx", "pptx", "pdf", "epub"]


@dataclass(frozen=True)
class FormatInfo:
    """One format: how it is named, labelled for HTTP, and whether it is text (UTF-8) or packed."""

    name: DocFormat
    label: str
    extensions: tuple[str, ...]
    content_type: str
    text: bool  # decoded and validated as UTF-8 text; the others are read from their bytes


REGISTRY: dict[DocFormat, FormatInfo] = {
    f.name: f
    for f in (
        FormatInfo("md", "Markdown", (".md", ".markdown"), "text/markdown", True),
        FormatInfo("txt", "plain text", (".txt", ".text"), "text/plain", True),
        FormatInfo("html", "HTML", (".html", ".htm", ".xhtml"), "text/html", False),
        FormatInfo(
            "docx",
            "DOCX (Word)",
            (".docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            False,
        ),
        FormatInfo(
            "pptx",
            "PPTX (PowerPoint)",
            (".pptx",),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            False,
        ),
        FormatInfo("pdf", "PDF", (".pdf",), "application/pdf", False),
        FormatInfo("epub", "EPUB", (".epub",), "application/epub+zip", False),
    )
}
EXTENSIONS: dict[str, DocFormat] = {ext: f.name for f in REGISTRY.values() for ext in f.extensions}
FORMAT_NAMES: dict[str, DocFormat] = {
    **{f.name: f.name for f in REGISTRY.values()},
    "markdown": "md",
    "text": "txt",
    "htm": "html",
}
CONTENT_TYPES: dict[str, DocFormat] = {
    **{f.content_type: f.name for f in REGISTRY.values()},
    "text/x-markdown": "md",
    "application/xhtml+xml": "html",
}

# What other files are, to say so instead of "not UTF-8" (first bytes -> what it is).
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc/.ppt/.xls) or an encrypted one"),
    (b"{\\rtf", "an RTF file; save it as .docx"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg file"),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM video"),
)
_HTML_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]{0,200}\?>\s*)?(?:<!--.{0,2000}?-->\s*)*"
    rb"(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])",
    re.I | re.S,
)


def format_label(fmt: DocFormat) -> str:
    return REGISTRY[fmt].label


def is_text_format(fmt: DocFormat) -> bool:
    return REGISTRY[fmt].text


def format_from_name(filename: str | None) -> DocFormat | None:
    """The format a file name's extension claims (None: no extension t2v knows)."""
    return EXTENSIONS.get(Path(filename).suffix.lower()) if filename else None


def format_from_label(value: str) -> DocFormat:
    """A format named by a user ("pdf", "markdown") or a content type ("application/pdf")."""
    key = value.split(";")[0].strip().lower()
    found = FORMAT_NAMES.get(key) or CONTENT_TYPES.get(key)
    if found is None:
        raise InputError(f"unsupported format {value!r}; supported: {', '.join(REGISTRY)}")
    return found


def supported_extensions() -> str:
    return ", ".join(EXTENSIONS)


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are: a document format, text (Markdown or plain: decided from the text), or
    something else (`other` says what, for the message)."""

    format: DocFormat | None = None
    other: str | None = None

    @property
    def is_text(self) -> bool:
        return self.format is None and self.other is None


def sniff(data: bytes) -> Sniffed:
    """The format of `data` from its first bytes (and, for ZIP containers, its member names)."""
    head = data[:1024]
    if b"%PDF-" in head:
        return Sniffed("pdf")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data)
    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic):
            return Sniffed(other=what)
    if _HTML_START.match(head):
        return Sniffed("html")
    return Sniffed()


def _sniff_zip(data: bytes) -> Sniffed:
    """OOXML and EPUB are ZIP archives: the member names say which (read from the central directory
    only, nothing decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype")[:64] if "mimetype" in names and _small(z, "mimetype") else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return Sniffed(other="a damaged ZIP archive")
    if "word/document.xml" in names:
        return Sniffed("docx")
    if "ppt/presentation.xml" in names:
        return Sniffed("pptx")
    if mimetype.strip() == b"application/epub+zip" or "META-INF/container.xml" in names:
        return Sniffed("epub")
    if "xl/workbook.xml" in names:
        return Sniffed(other="an Excel workbook (XLSX)")
    if "content.xml" in names:
        return Sniffed(other="an OpenDocument file; save it as .docx or .pptx")
    return Sniffed(other="a ZIP archive")


def _small(z: zipfile.ZipFile, name: str) -> bool:
    return z.getinfo(name).file_size <= 1024


def decide_format(data: bytes, filename: str | None, fmt: str | None, shown: str) -> DocFormat | None:
    """The document's format: sniffed from the bytes, checked against what the name's extension and
    `fmt` (a user's or a content type's word) claim. None: text whose kind (Markdown or plain) the
    caller decides from the text.

    A claimed text format (.md, .txt) over text bytes wins, as does .html over text (a fragment);
    every other disagreement is refused.
    """
    sniffed = sniff(data)
    by_name = format_from_name(filename)
    if by_name is None and filename and Path(filename).suffix and fmt is None:
        raise InputError(
            f"{shown}: unsupported file type {Path(filename).suffix}; supported: {supported_extensions()}"
        )
    claimed = by_name or (format_from_label(fmt) if fmt is not None else None)
    claim = f"the name says {Path(filename or '').suffix}" if by_name else f"the format says {claimed}"
    if sniffed.other is not None:
        lead = f"{shown}: {claim}, but the file is " if claimed else f"{shown} is "
        raise InputError(f"{lead}{sniffed.other}, not a document t2v reads")
    if sniffed.format is not None and sniffed.format != "html":
        if claimed is not None and claimed != sniffed.format:
            raise InputError(f"{shown}: {claim}, but the content is {format_label(sniffed.format)}")
        return sniffed.format
    if claimed is not None and not is_text_format(claimed) and claimed != "html":
        raise InputError(f"{shown}: {claim}, but the content is text, not {format_label(claimed)}")
    if sniffed.format == "html" and claimed is None:
        return "html"
    return claimed
