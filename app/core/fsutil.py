"""File operations in bounded memory, and the one way t2v writes a file atomically.

`atomic_path` yields a temporary name beside the destination and renames it into place only when the
block succeeds, so a reader sees the old file or the whole new one, never a part, and a failure (or a
cancellation) leaves nothing behind. Copies and hashes go one chunk at a time, so memory stays at one
chunk whatever the file's size; hashing checks for cancellation between chunks.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from app.core.threads import check_cancelled

CHUNK_SIZE = 1 << 20


@contextlib.contextmanager
def atomic_path(dest: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside `dest` for the block to write; renamed onto `dest` when the block
    succeeds, removed when it fails or is cancelled. Readers see the old file or the whole new one."""
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}{suffix}")
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write(dest: Path, data: bytes, *, file_mode: int = 0o666, fsync: bool = False) -> None:
    """Write `data` to `dest` atomically; `file_mode` (before the umask) for a file that must be
    private from its first byte, `fsync` for one that must survive a power cut."""
    with atomic_path(dest) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())


def copy_file(src: Path, dest: Path, chunk_size: int = CHUNK_SIZE, *, fsync: bool = False) -> int:
    """Copy in fixed-size chunks, atomically; memory stays at one chunk. Returns the bytes copied."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    copied = 0
    with atomic_path(dest, ".partial") as tmp, open(src, "rb") as fin, open(tmp, "wb") as fout:
        buf = bytearray(chunk_size)
        view = memoryview(buf)
        while n := fin.readinto(buf):
            fout.write(view[:n])
            copied += n
        if fsync:
            fout.flush()
            os.fsync(fout.fileno())
    return copied


def link_or_copy(src: Path, dest: Path) -> None:
    """Hard-link when possible (instant, and immune to the source being evicted later), else copy."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        dest.unlink()
    try:
        os.link(src, dest)
    except OSError:
        copy_file(src, dest)


class Digest(Protocol):
    """What `hashlib` hashes have in common."""

    def update(self, data: bytes | memoryview, /) -> None: ...

    def hexdigest(self) -> str: ...


def hash_file(
    path: Path, chunk_size: int = CHUNK_SIZE, *, algorithm: Callable[[], Digest] = hashlib.sha256
) -> str:
    """SHA-256 (or `algorithm`) of a file of any size, one chunk in memory at a time."""
    digest = algorithm()
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while n := f.readinto(buf):
            check_cancelled()
            digest.update(view[:n])
    return digest.hexdigest()


Stamp = tuple[int, int] | None  # a file's (size, mtime in ns); None: none readable


def file_stamp(path: Path) -> Stamp:
    """What changes when a file is edited in place (size, mtime), for caches keyed by a file: one
    `stat`, never a read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def tree_size(path: Path) -> int:
    """Bytes of the regular files under `path` (links not followed, vanished files skipped)."""
    total = 0
    for p in path.rglob("*"):
        with contextlib.suppress(OSError):
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
    return total


def human_size(n: int) -> str:
    """Sizes in the units people think in, e.g. "2 MB", "1.5 KB", "300 bytes"."""
    if n < 1024:
        return f"{n} byte" if n == 1 else f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"
