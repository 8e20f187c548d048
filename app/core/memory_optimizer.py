"""The seed's memory optimizer: temporary workspaces, bounded-memory file operations, the disk cache
and memory figures.

A render's intermediate files (speech, slides, lists) live in one workspace directory that is removed
however the render ends. A process killed outright cannot clean up, so each workspace records its
owner; the next process to start removes workspaces whose owner is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from app.core.diskcache import CacheStats, DiskCache, hash_key
from app.core.fsutil import copy_file, hash_file, link_or_copy, tree_size
from app.core.permissions import DIR_MODE, private_dir
from app.core.threads import run_in_thread

__all__ = [
    "CacheStats",
    "DiskCache",
    "WorkspaceManager",
    "copy_file",
    "hash_file",
    "hash_key",
    "link_or_copy",
    "tree_rss",
    "tree_size",
]

log = logging.getLogger(__name__)

OWNER_FILE = ".owner"


@dataclass(frozen=True)
class _Owner:
    pid: int
    started: float  # process create_time, so a recycled pid is not mistaken for the owner

    @classmethod
    def current(cls) -> _Owner:
        return cls(os.getpid(), psutil.Process().create_time())

    def alive(self) -> bool:
        try:
            return abs(psutil.Process(self.pid).create_time() - self.started) < 1.0
        except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            return False

    def dump(self) -> str:
        return f"{self.pid} {self.started}\n"

    @classmethod
    def load(cls, text: str) -> _Owner | None:
        try:
            pid, started = text.split()
            return cls(int(pid), float(started))
        except ValueError:
            return None


class WorkspaceManager:
    """Creates per-job workspaces under `root` and removes the ones orphaned by dead processes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextlib.contextmanager
    def workspace(self, label: str = "render") -> Iterator[Path]:
        """A fresh directory that is removed on success, failure and cancellation alike."""
        path = self.create(label)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def async_workspace(self, label: str = "render") -> AsyncIterator[Path]:
        """`workspace` for async code: made and removed in a thread, so a render's hundreds of files
        never hold up the event loop; the removal runs to its end even when the caller is cancelled."""
        path = await run_in_thread(self.create, label)
        try:
            yield path
        finally:
            await run_in_thread(shutil.rmtree, path, True)

    def create(self, label: str = "render") -> Path:
        """A fresh workspace directory, owned by this process (its caller removes it)."""
        private_dir(self.root)
        path = self.root / f"{_safe(label)}-{uuid.uuid4().hex[:12]}"
        path.mkdir(mode=DIR_MODE)
        try:
            (path / OWNER_FILE).write_text(_Owner.current().dump())
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return path

    def remove_own(self) -> list[Path]:
        """Remove the workspaces this process owns (a hard stop, when their renders cannot clean up)."""
        me = _Owner.current()
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for entry in self.root.iterdir():
            try:
                owner = _Owner.load((entry / OWNER_FILE).read_text())
            except OSError:
                continue
            if owner == me:
                for _ in range(3):  # a thread still writing may add a file while the tree goes
                    shutil.rmtree(entry, ignore_errors=True)
                    if not entry.exists():
                        break
                removed.append(entry)
        return removed

    def cleanup(self) -> int:
        """A ResourceManager cleanup callback: remove orphaned workspaces, return the bytes freed."""
        sizes = {p: tree_size(p) for p in self.root.iterdir()} if self.root.is_dir() else {}
        return sum(sizes.get(p, 0) for p in self.remove_orphans())

    def remove_orphans(self) -> list[Path]:
        """Remove workspaces whose owning process no longer exists; return what was removed."""
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for entry in self.root.iterdir():
            if not entry.is_dir():
                continue
            try:
                owner = _Owner.load((entry / OWNER_FILE).read_text())
            except OSError:
                owner = None
            if owner is not None and owner.alive():
                continue
            if owner is None and _young(entry):
                continue  # being created right now: the owner file is written just after mkdir
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        if removed:
            log.info("removed %d orphaned workspace(s) under %s", len(removed), self.root)
        return removed


def _young(path: Path, seconds: float = 60.0) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)[:40] or "job"


# Memory figures


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters
M_ARENA_MAX = -8
LARGE_BUFFER_BYTES = 8 * 1024 * 1024  # a full-HD RGBA picture (8.3 MB) and up
MALLOC_ARENAS = 1  # every thread allocates from one heap (small allocations stay per thread: tcache)


def return_large_buffers() -> bool:
    """Make glibc give every buffer of LARGE_BUFFER_BYTES or more its own mapping, returned to the
    system when freed, and make every thread share one heap. By default glibc raises that threshold
    to the largest block freed so far (up to 32 MB), after which full-frame pictures drawn in threads
    are carved out of per-thread arenas that fragment and stay resident: ~100 MB more under a render's
    encoders after its stills are drawn, which `malloc_trim` does not get back. A fixed threshold
    stops that; smaller buffers (most of a slide's layers, a scene's audio arrays, a moving scene's
    frames) keep the heap's speed. And each worker thread (up to 2 per core) would keep its own arena
    of such freed buffers, none reusing another's: one shared heap reuses them (a cold 1080p render:
    ~40 MB less while its stills are drawn, half its page faults). Call before the threads start.
    Returns False where glibc is not the libc."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    shared = bool(mallopt(M_ARENA_MAX, MALLOC_ARENAS))
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES)) and shared


def release_free_memory() -> int:
    """Hand the C heap's free pages back to the system (glibc's `malloc_trim`), returning how many
    bytes the process's RSS shrank. Drawing in threads leaves each thread's malloc arena holding
    the freed pixel buffers of the largest picture it drew; without this, a render's encoders would
    run on top of that dead weight. A no-op elsewhere than glibc."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return 0
    before = psutil.Process().memory_info().rss
    trim(0)
    return max(0, before - psutil.Process().memory_info().rss)


def tree_rss(pid: int | None = None) -> int:
    """Resident memory of a process and all its descendants (ffmpeg, espeak workers)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total
