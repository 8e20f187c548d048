"""Loading and validating documents: a file or bytes -> a `Document`, or one clear `InputError`.

Everything cheap to check is checked before the document is read whole: the file exists and is a file,
its type is supported, its size is under the limit of its kind (text, or a packed document). Then the
format is sniffed from the bytes (`formats.decide_format`: a name that lies is refused). Text: UTF-8
only (guessing legacy encodings would put wrong words in the voice, silently), not binary, not empty;
line ends become "\\n", stray control characters spaces, and the text is NFC-normalized (decomposed
Vietnamese speaks and draws badly). Other formats keep their bytes, and their reader's cheap checks
(an archive's expanded size, a PDF's encryption and page count) run here, before any work.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from app.config import setting_default
from app.core.fsutil import human_size
from app.errors import InputError
from app.services.documents.formats import (
    REGISTRY,
    DocFormat,
    decide_format,
    format_from_name,
    format_label,
    is_text_format,
    supported_extensions,
)
from app.services.documents.limits import (
    DocumentLimits,
    DocumentTooLarge,
    ReadOptions,
    check_archive,
    check_external_links,
)
from app.services.documents.model import Document

DEFAULT_MAX_BYTES: int = setting_default("max_input_bytes")

FORMATS: tuple[DocFormat, ...] = tuple(REGISTRY)
ARCHIVES: frozenset[DocFormat] = frozenset({"docx", "pptx", "epub"})

# Share of control bytes (besides whitespace) above which the input is binary, not text.
BINARY_CONTROL_RATIO = 0.1


def load_document(
    path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    limits: DocumentLimits | None = None,
    reading: ReadOptions | None = None,
) -> Document:
    """Read a file, checking everything that is cheap to check before reading it whole.

    `max_bytes` is the text limit; `limits` (default: the settings' defaults with that text limit)
    holds the others; `reading` says which pages of a packed document to read, and how."""
    limits = limits or DocumentLimits(text_bytes=max_bytes)
    path = Path(path)
    shown = str(path)
    try:
        if not path.exists():
            raise InputError(f"{shown}: no such file")
        if path.is_dir():
            raise InputError(f"{shown} is a directory, not a file")
        fmt = format_from_name(path.name)
        if fmt is None:
            suffix = path.suffix or "(none)"
            raise InputError(f"{shown}: unsupported file type {suffix}; supported: {supported_extensions()}")
        cap = _cap(fmt, limits)
        size = path.stat().st_size
        if size > cap:
            raise DocumentTooLarge(f"{shown} is {human_size(size)}, over the {human_size(cap)} limit")
        with path.open("rb") as f:
            data = f.read(cap + 1)  # the file may have grown since stat()
    except OSError as e:
        raise InputError(f"{shown}: cannot read it ({e.strerror or e})") from e
    return _document(data, path.name, None, shown, limits, path.name, reading or ReadOptions())


def document_from_bytes(
    data: bytes,
    filename: str | None,
    fmt: str | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    limits: DocumentLimits | None = None,
    label: str | None = None,
    reading: ReadOptions | None = None,
) -> Document:
    """Validate input that did not come from a file (stdin, an upload).

    The format is sniffed from the bytes; a known extension of `filename` (browsers label Markdown
    uploads text/plain) or else `fmt` must agree with them and picks Markdown or plain text for
    text, which is otherwise guessed from the text. `label` names the document (in messages too)
    without claiming a format, e.g. a job's display name.
    """
    limits = limits or DocumentLimits(text_bytes=max_bytes)
    shown = filename or label or "input"
    return _document(data, filename, fmt, shown, limits, Path(shown).name, reading or ReadOptions())


def _cap(fmt: DocFormat, limits: DocumentLimits) -> int:
    return limits.text_bytes if is_text_format(fmt) else limits.document_bytes


def _document(
    data: bytes,
    filename: str | None,
    fmt: str | None,
    shown: str,
    limits: DocumentLimits,
    name: str,
    reading: ReadOptions,
) -> Document:
    if len(data) > limits.largest:
        raise DocumentTooLarge(f"{shown} is larger than the {human_size(limits.largest)} limit")
    chosen = decide_format(data, filename, fmt, shown)
    if chosen is not None and not is_text_format(chosen):
        return _packed(Document("", chosen, name, data=data, reading=reading), shown, limits)
    if len(data) > limits.text_bytes:
        raise DocumentTooLarge(f"{shown} is larger than the {human_size(limits.text_bytes)} limit")
    text = _decode(data, shown)
    if not text.strip(" \t\n\r\f\v\u200b\u200c\u200d\u2060"):
        raise InputError(f"{shown} is empty" if not text else f"{shown} contains only whitespace")
    if chosen is None:
        chosen = "md" if looks_like_markdown(text) else "txt"
    return Document(text, chosen, name)


def _packed(document: Document, shown: str, limits: DocumentLimits) -> Document:
    """A document read from its bytes (PDF, DOCX, PPTX, EPUB, HTML): its limits checked, kept as is."""
    data, fmt = document.data or b"", document.format
    if len(data) > limits.document_bytes:
        raise DocumentTooLarge(f"{shown} is larger than the {human_size(limits.document_bytes)} limit")
    from app.services.documents.readers import has_reader, probe

    if fmt in ARCHIVES:
        check_archive(data, shown, limits.unpacked_bytes)
        check_external_links(data, shown)
    if not has_reader(fmt):
        raise InputError(f"{shown} is a {format_label(fmt)} document, which this version of t2v cannot read")
    probe(document, shown, limits)
    return document


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v") + b"\x7f"
_STRAY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _decode(data: bytes, shown: str) -> str:
    """UTF-8 only: guessing legacy encodings would put wrong words in the voice, silently."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{shown} is UTF-16 text; save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise InputError(f"{shown} looks like a binary file, not text")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if data and controls / len(data) > BINARY_CONTROL_RATIO:
        raise InputError(f"{shown} looks like a binary file, not text (mostly control characters)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{shown} is not UTF-8 text (byte 0x{data[e.start]:02X} at offset {e.start}); save it as UTF-8"
        ) from e
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _STRAY_CONTROLS.sub(" ", text)
    return unicodedata.normalize("NFC", text)  # decomposed Vietnamese speaks and draws badly


_MD_STRONG = [
    re.compile(r"^#{1,6}[ \t]+\S", re.M),  # ATX heading
    re.compile(r"^(```|~~~)", re.M),  # fence
    re.compile(r"!?\[[^\]\n]+\]\([^)\s]+[^)]*\)"),  # link or image
    re.compile(r"\A---[ \t]*\n"),  # front matter
    re.compile(r"^\S.*\n(=+|-+)[ \t]*$", re.M),  # setext heading
]
_MD_WEAK = [
    re.compile(r"^[ \t]*([-*+]|\d+[.)])[ \t]+\S", re.M),  # list item
    re.compile(r"(\*\*|__)\S.*?\S\1"),  # strong
    re.compile(r"`[^`\n]+`"),  # inline code
    re.compile(r"^>[ \t]?\S", re.M),  # blockquote
    re.compile(r"^\|.*\|[ \t]*$", re.M),  # table row
]


def looks_like_markdown(text: str) -> bool:
    """A heading, fence, link or front matter is enough; weaker signs need company."""
    if any(p.search(text) for p in _MD_STRONG):
        return True
    return sum(1 for p in _MD_WEAK if p.search(text)) >= 2
