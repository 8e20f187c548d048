"""Loading and validating documents: a file or bytes -> a `Document`, or one clear `InputError`.

Everything cheap to check is checked before the text is read whole: the file exists and is a file,
its type is supported, its size is under the limit. Then: UTF-8 only (guessing legacy encodings would
put wrong words in the voice, silently), not binary, not empty; line ends become "\\n", stray control
characters spaces, and the text is NFC-normalized (decomposed Vietnamese speaks and draws badly).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from app.config import setting_default
from app.core.fsutil import human_size
from app.errors import InputError
from app.services.documents.model import DocFormat, Document

DEFAULT_MAX_BYTES: int = setting_default("max_input_bytes")

EXTENSIONS: dict[str, DocFormat] = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md"}
FORMATS: tuple[DocFormat, ...] = ("md", "txt")
_FORMAT_NAMES: dict[str, DocFormat] = {"md": "md", "markdown": "md", "txt": "txt", "text": "txt"}

# Share of control bytes (besides whitespace) above which the input is binary, not text.
BINARY_CONTROL_RATIO = 0.1


def _supported_extensions() -> str:
    return ", ".join(EXTENSIONS)


def load_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read a file, checking everything that is cheap to check before reading it whole."""
    path = Path(path)
    shown = str(path)
    try:
        if not path.exists():
            raise InputError(f"{shown}: no such file")
        if path.is_dir():
            raise InputError(f"{shown} is a directory, not a file")
        fmt = _format_from_suffix(path.name)
        if fmt is None:
            suffix = path.suffix or "(none)"
            raise InputError(f"{shown}: unsupported file type {suffix}; supported: {_supported_extensions()}")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{shown} is {human_size(size)}, over the {human_size(max_bytes)} limit")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as e:
        raise InputError(f"{shown}: cannot read it ({e.strerror or e})") from e
    return _document(data, fmt, path.name, shown, max_bytes)


def document_from_bytes(
    data: bytes, filename: str | None, fmt: str | None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Document:
    """Validate input that did not come from a file (stdin, an upload).

    The format comes from the filename's extension when it is a known one (browsers label Markdown
    uploads text/plain), then from `fmt`, and is guessed from the text when neither says.
    """
    name = filename or "input"
    chosen = _format_from_suffix(filename) if filename else None
    if chosen is None and fmt is not None:
        chosen = _FORMAT_NAMES.get(fmt.strip().lower())
        if chosen is None:
            raise InputError(f"unsupported format {fmt!r}; supported: {', '.join(FORMATS)}")
    if chosen is None and filename and Path(filename).suffix:
        raise InputError(
            f"{name}: unsupported file type {Path(filename).suffix}; supported: {_supported_extensions()}"
        )
    if len(data) > max_bytes:
        raise InputError(f"{name} is larger than the {human_size(max_bytes)} limit")
    doc = _document(data, chosen or "txt", name, name, max_bytes)
    if chosen is None and looks_like_markdown(doc.text):
        return Document(doc.text, "md", doc.name)
    return doc


def _format_from_suffix(filename: str) -> DocFormat | None:
    return EXTENSIONS.get(Path(filename).suffix.lower())


def _document(data: bytes, fmt: DocFormat, name: str, shown: str, max_bytes: int) -> Document:
    if len(data) > max_bytes:
        raise InputError(f"{shown} is larger than the {human_size(max_bytes)} limit")
    text = _decode(data, shown)
    if not text.strip(" \t\n\r\f\v\u200b\u200c\u200d\u2060"):
        raise InputError(f"{shown} is empty" if not text else f"{shown} contains only whitespace")
    return Document(text, fmt, name)


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
