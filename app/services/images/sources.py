"""What an image reference names, and reading a local one safely.

A reference (`src`, as written in the document) is one of: an http(s) URL, a `data:` URL (bytes
written into the document itself), or a local path. A local path resolves against the policy's root
with every symlink followed, and the real file must be inside the root: `../elsewhere/x.png`, a
symlink pointing out, an absolute path elsewhere are refused. The file is opened without following a
last symlink (so it cannot be swapped after the check) and must be a regular file: a directory, a
device, a pipe or a socket is refused before a byte is read, and so is a file over the size limit.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from app.core.fsutil import human_size
from app.core.net import safe_url
from app.errors import ImageError
from app.services.images.limits import MediaLimits
from app.services.images.policy import ImagePolicy

SHOWN_MAX = 120  # characters of a reference shown in a message


@runtime_checkable
class ImageLike(Protocol):
    """An image a document shows: `documents.model.ImageBlock` (src, alt, embedded data) is one."""

    @property
    def src(self) -> str: ...

    @property
    def alt(self) -> str: ...


class SourceKind(str, Enum):
    LOCAL = "local"
    REMOTE = "remote"
    DATA = "data"


@dataclass(frozen=True)
class Reference:
    """One image reference, classified: what it is and how it is named in messages."""

    src: str
    kind: SourceKind

    @property
    def shown(self) -> str:
        return shown(self.src, self.kind)


def classify(src: str) -> Reference:
    """Local path, http(s) URL or data: URL; any other scheme (file:, ftp:, javascript:...) is refused."""
    if not src.strip():
        raise ImageError("an image has an empty path")
    scheme = urlsplit(src).scheme.lower()
    if scheme in ("http", "https"):
        return Reference(src, SourceKind.REMOTE)
    if scheme == "data":
        return Reference(src, SourceKind.DATA)
    if len(scheme) > 1:  # one letter is a Windows drive, i.e. a path
        raise ImageError(
            f"image {shown(src, SourceKind.LOCAL)}: {scheme}: references are not supported "
            "(use a path, an http(s) URL or a data: URL)"
        )
    return Reference(src, SourceKind.LOCAL)


def shown(src: str, kind: SourceKind) -> str:
    """A reference as messages name it: a URL without credentials or query, a data: URL by its type."""
    if kind is SourceKind.REMOTE:
        with contextlib.suppress(Exception):
            src = safe_url(src)
    elif kind is SourceKind.DATA:
        src = src.split(",", 1)[0] + ",…"
    else:
        src = unquote(src)
    if len(src) > SHOWN_MAX:
        src = src[: SHOWN_MAX - 1] + "…"
    return repr(src)


def refusal(ref: Reference, policy: ImagePolicy) -> str | None:
    """Why the policy refuses this reference before anything is read (None: it may be tried)."""
    if ref.kind is SourceKind.LOCAL and policy.root is None:
        return policy.no_root
    if ref.kind is SourceKind.REMOTE and not policy.allow_remote:
        return policy.remote_off
    return None


def check_references(images: Iterable[ImageLike], policy: ImagePolicy) -> None:
    """The cheap check (no file or network access), e.g. when a document is submitted: every image is
    of a kind the policy allows. Unless the policy skips missing images, the first one refused
    raises `ImageError`."""
    if policy.skip_missing:
        return
    for image in images:
        if isinstance(getattr(image, "data", None), bytes):
            continue  # a reader took it out of the document file itself: nothing is read or fetched
        ref = classify(image.src)
        why = refusal(ref, policy)
        if why:
            raise ImageError(f"image {ref.shown}: {why}")


def locate(ref: Reference, root: Path) -> Path:
    """The real path of a local image under `root`, or an `ImageError` naming it."""
    written = [unquote(ref.src)]  # Markdown readers percent-encode paths (a space is %20)
    if ref.src != written[0]:
        written.append(ref.src)  # ... but a file may really be named with a %
    for text in written:
        path = Path(text)
        try:
            real = (path if path.is_absolute() else root / path).resolve(strict=True)
        except FileNotFoundError:
            continue
        except (OSError, RuntimeError, ValueError) as exc:  # a loop of links, a NUL, no permission
            raise ImageError(f"image {ref.shown}: cannot be read ({_why(exc)})") from None
        if not real.is_relative_to(root):
            raise ImageError(
                f"image {ref.shown} is outside {root} (it resolves to {real}); "
                "images must be inside the document's folder or --assets-root"
            )
        return real
    raise ImageError(f"image {ref.shown}: no such file in {root}")


def read_local(ref: Reference, path: Path, limits: MediaLimits) -> bytes:
    """The bytes of a located image: a regular file within the size limit, or an `ImageError`."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ImageError(f"image {ref.shown}: cannot be read ({_why(exc)})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ImageError(f"image {ref.shown} is a directory, not an image file")
        if not stat.S_ISREG(info.st_mode):
            raise ImageError(f"image {ref.shown} is not a regular file (a device, pipe or socket)")
        _check_size(ref, info.st_size, limits)
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limits.max_bytes + 1)  # the file may have grown since fstat
    except OSError as exc:
        raise ImageError(f"image {ref.shown}: cannot be read ({_why(exc)})") from None
    finally:
        os.close(fd)
    _check_size(ref, len(data), limits)
    return data


def decode_data_url(ref: Reference, limits: MediaLimits) -> bytes:
    """The bytes of a `data:[type][;base64],payload` URL, refused before decoding when too large."""
    header, comma, payload = ref.src.partition(",")
    if not comma:
        raise ImageError(f"image {ref.shown}: a data: URL without a comma")
    base64_encoded = header.lower().endswith(";base64")
    estimate = len(payload) * 3 // 4 if base64_encoded else len(payload) // 3
    _check_size(ref, estimate, limits)
    try:
        data = base64.b64decode(payload, validate=False) if base64_encoded else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise ImageError(f"image {ref.shown}: the data: URL is not valid base64") from None
    _check_size(ref, len(data), limits)
    return data


def _check_size(ref: Reference, size: int, limits: MediaLimits) -> None:
    if size > limits.max_bytes:
        raise ImageError(
            f"image {ref.shown} is {human_size(size)}, over the {human_size(limits.max_bytes)} limit"
        )


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
