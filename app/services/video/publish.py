"""Publishing finished files: moved into place atomically, every output or none."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from app.core.fsutil import copy_file


def publish(src: Path, dest: Path) -> None:
    """Move a finished file into place atomically: readers see the old file or the whole new one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
        return
    except OSError:
        pass  # another filesystem: copy next to the destination, then rename there
    copy_file(src, dest, fsync=True)


def publish_all(moves: Sequence[tuple[Path, Path]]) -> None:
    """Publish every output or none: a failure part-way removes what was already moved."""
    done: list[Path] = []
    try:
        for src, dest in moves:
            publish(src, dest)
            done.append(dest)
    except BaseException:
        for dest in done:
            with contextlib.suppress(OSError):
                dest.unlink()
        raise
