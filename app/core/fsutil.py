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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.threads import check_cancelled

CHUNK_SIZE = 1 << 20


def copy_file(src: Path, dest: Path, chunk_size: int = CHUNK_SIZE) -> int:
    """Copy in fixed-size chunks, atomically (temp name + rename); memory stays at one chunk."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    copied = 0
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            buf = bytearray(chunk_size)
            view = memoryview(buf)
            while n := fin.readinto(buf):
                fout.write(view[:n])
                copied += n
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
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


def hash_file(
    path: Path, chunk_size: int = CHUNK_SIZE, *, algorithm: Callable[[], Any] = hashlib.sha256
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


def tree_size(path: Path) -> int:
    """Bytes of the regular files under `path` (links not followed, vanished files skipped)."""
    total = 0
    for p in path.rglob("*"):
        with contextlib.suppress(OSError):
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
    return total
