"""The disk cache: content-addressed files with a size cap and least-recently-used eviction, every
entry verified against its check on every look-up (see `DiskCache`)."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.config import setting_default
from app.core.fsutil import Digest, copy_file, hash_file, link_or_copy
from app.core.permissions import FILE_MODE, private_dir

log = logging.getLogger(__name__)


def hash_key(*parts: object) -> str:
    """A cache key from the values that determine an output; any change makes a new key."""
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


# The disk cache

CHECK_SUFFIX = ".check"
# A check's first field names its digest. SHA-256 (v2): ~0.9 GB/s here, where the CPU has SHA
# extensions, against BLAKE2b's ~0.4 GB/s, and the digest keys made from files' contents already
# use (`hash_file`). BLAKE2b (v1): what caches written before v2 hold, still read; renewed on a hit.
CHECK_V2, CHECK_V1 = "t2v-cache-check-v2", "t2v-cache-check-v1"
_ALGORITHMS: dict[str, Callable[[], Digest]] = {
    CHECK_V2: hashlib.sha256,
    CHECK_V1: functools.partial(hashlib.blake2b, digest_size=16),
}
_HEX_DIGITS = {CHECK_V2: 64, CHECK_V1: 32}


def file_digest(path: Path) -> str:
    """A file's content digest as the cache's checks hold it: what `DiskCache.fetch_checked` and
    `DiskCache.put_file` return, so a caller that fetched or stored a file need not hash it again.
    It is `hash_file`'s (SHA-256)."""
    return hash_file(path, algorithm=_ALGORITHMS[CHECK_V2])


@dataclass(frozen=True)
class _Check:
    """What an entry must be, kept in a small file beside it: its size and digest (`_ALGORITHMS`)."""

    size: int
    digest: str
    form: str = CHECK_V2

    def dump(self) -> bytes:
        return f"{self.form} {self.size} {self.digest}\n".encode("ascii")

    @classmethod
    def parse(cls, data: bytes) -> _Check:
        """The check written by `dump`; ValueError for anything else (a truncated or garbled file)."""
        form, size, digest = data.decode("ascii").split()  # ValueError on a wrong field count
        if len(digest) != _HEX_DIGITS.get(form) or not size.isdigit() or not data.endswith(b"\n"):
            raise ValueError("not a cache check")
        return cls(int(size), digest, form)

    @classmethod
    def of_file(cls, path: Path, form: str = CHECK_V2) -> _Check:
        return cls(path.stat().st_size, hash_file(path, algorithm=_ALGORITHMS[form]), form)

    def matches_file(self, path: Path) -> bool:
        try:
            return path.stat().st_size == self.size and _Check.of_file(path, self.form) == self
        except OSError:
            return False

    @classmethod
    def of_bytes(cls, data: bytes, form: str = CHECK_V2) -> _Check:
        digest = _ALGORITHMS[form]()
        digest.update(data)
        return cls(len(data), digest.hexdigest(), form)

    def matches_bytes(self, data: bytes) -> bool:
        return len(data) == self.size and _Check.of_bytes(data, self.form) == self


@dataclass
class _Written:
    """An entry being written: its temp file, and its check once made."""

    tmp: Path
    check: _Check | None = None


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    evictions: int = 0
    evicted_bytes: int = 0
    corrupt: int = 0  # entries found damaged (and removed) on a look-up


class DiskCache:
    """A content-addressed directory of files with a size cap and least-recently-used eviction.

    An entry is one file named by its key, plus a small check file beside it holding the entry's
    size and SHA-256 digest. Every look-up verifies the entry against its check (hashing runs at
    about 1 GB/s, far below the cost of what an entry saves), so a truncated, garbled or orphaned
    entry, or a missing or damaged check, is a miss: the entry is removed and made again.

    Entries appear by atomic renames of fully written temp files, the check and the entry together
    under an exclusive lock on their directory (readers take it shared), so a reader never sees a
    partial entry or a check of another write, a killed writer leaves only temp files (removed by
    later sweeps), and two processes storing one key both succeed with one valid entry. A hit
    refreshes the entry's mtime, which is what eviction orders by. Files are private (0600).
    """

    TMP_PREFIX = ".tmp-"
    LOW_WATER = 0.9  # eviction goes down to this share of the cap, so the next scan is far off
    RESCAN_SHARE = 0.1  # writes worth this share of the cap since the last scan: scan again

    def __init__(self, root: Path, max_bytes: int = setting_default("cache_max_bytes")) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        # Size as of the last scan plus what this process wrote since. Scanning the directory on
        # every write made a render of thousands of scenes quadratic; other processes' writes are
        # seen at the next scan.
        self._known_bytes: int | None = None
        self._written_since_scan = 0

    def path_for(self, key: str, suffix: str = "") -> Path:
        return self.root / key[:2] / f"{key}{suffix}"

    def fetch(self, key: str, dest: Path, suffix: str = "") -> bool:
        """Put a verified entry at `dest` (a hard link when possible); False on a miss, including an
        entry evicted meanwhile or found damaged (which is then removed)."""
        return self.fetch_checked(key, dest, suffix) is not None

    def fetch_checked(self, key: str, dest: Path, suffix: str = "") -> str | None:
        """`fetch`, returning the content digest (`file_digest`) `dest` was verified against, or None
        on a miss."""
        path = self.path_for(key, suffix)
        try:
            with self._locked(path.parent, exclusive=False):
                inode = path.stat().st_ino
                check = _read_check(path)
                if check is not None:
                    link_or_copy(path, dest)
        except OSError:
            self._miss()
            return None
        if check is None:
            self._damaged(path, inode, check)
            return None
        if not check.matches_file(dest):
            with contextlib.suppress(OSError):
                dest.unlink()  # never leave a damaged copy where the caller looks
            self._damaged(path, inode, check)
            return None
        if check.form != CHECK_V2:  # verified in the old form: its check made anew, once
            check = self._renew(path, inode, _Check.of_file(dest))
        self._hit(path)
        return check.digest

    def load(self, key: str, suffix: str = "") -> bytes | None:
        """A small entry's verified bytes (it is read whole), or None on a miss."""
        path = self.path_for(key, suffix)
        try:
            with self._locked(path.parent, exclusive=False):
                inode = path.stat().st_ino
                check = _read_check(path)
                data = path.read_bytes() if check is not None else b""
        except OSError:
            self._miss()
            return None
        if check is None or not check.matches_bytes(data):
            self._damaged(path, inode, check)
            return None
        if check.form != CHECK_V2:  # verified in the old form: its check made anew, once
            self._renew(path, inode, _Check.of_bytes(data))
        self._hit(path)
        return data

    def _renew(self, path: Path, inode: int, check: _Check) -> _Check:
        """Replace a verified entry's check by `check` (today's form), unless a writer has replaced
        the entry meanwhile; a failure leaves the old check, which still verifies."""
        tmp = path.parent / f"{self.TMP_PREFIX}{uuid.uuid4().hex}{CHECK_SUFFIX}"
        try:
            _write_private(tmp, check.dump())
            with self._locked(path.parent, exclusive=True):
                if path.stat().st_ino == inode:
                    os.replace(tmp, _check_path(path))
        except OSError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return check

    def _hit(self, path: Path) -> bool:
        with contextlib.suppress(OSError):
            os.utime(path)
        self.stats.hits += 1
        return True

    def _miss(self) -> bool:
        self.stats.misses += 1
        return False

    def _damaged(self, path: Path, inode: int, check: _Check | None) -> bool:
        """Remove an entry that failed its check, unless a writer has replaced it meanwhile."""
        self.stats.corrupt += 1
        if check is None:  # also every entry of a cache written before checks existed
            log.info("cache entry %s has no valid check: removed, it will be made again", path)
        else:
            log.warning("cache entry %s is damaged: removed, it will be made again", path)
        with contextlib.suppress(OSError), self._locked(path.parent, exclusive=True):
            if path.stat().st_ino == inode:
                _unlink_entry(path)
        return self._miss()

    @contextlib.contextmanager
    def writing(self, key: str, suffix: str = "") -> Iterator[Path]:
        """Yield a temp path to write; on success it becomes the entry, on failure it vanishes."""
        with self._writing(key, suffix) as written:
            yield written.tmp

    @contextlib.contextmanager
    def _writing(self, key: str, suffix: str) -> Iterator[_Written]:
        """`writing`, telling the entry's check once it is in place."""
        final = self.path_for(key, suffix)
        private_dir(final.parent)
        tmp = final.parent / f"{self.TMP_PREFIX}{uuid.uuid4().hex}{suffix}"
        tmp_check = _check_path(tmp)
        written = _Written(tmp)
        try:
            yield written
            os.chmod(tmp, FILE_MODE)
            written.check = _Check.of_file(tmp)
            _write_private(tmp_check, written.check.dump())
            size = tmp.stat().st_size + tmp_check.stat().st_size
            with self._locked(final.parent, exclusive=True):
                os.replace(tmp_check, _check_path(final))
                os.replace(tmp, final)
            self.stats.stores += 1
        finally:
            for leftover in (tmp, tmp_check):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        self._after_write(size)

    def _after_write(self, size: int) -> None:
        """Evict only when this process's figures say the cap is passed, or are stale."""
        self._written_since_scan += size
        if self._known_bytes is not None:
            self._known_bytes += size
            stale = self._written_since_scan > self.max_bytes * self.RESCAN_SHARE
            if self._known_bytes <= self.max_bytes and not stale:
                return
        self.evict(int(self.max_bytes * self.LOW_WATER), over=self.max_bytes)

    def put_file(self, key: str, src: Path, suffix: str = "") -> str:
        """Store a copy of `src`; returns its content digest (`file_digest`), hashed for the check."""
        with self._writing(key, suffix) as written:
            copy_file(src, written.tmp)
        assert written.check is not None
        return written.check.digest

    def put_bytes(self, key: str, data: bytes, suffix: str = "") -> Path:
        with self.writing(key, suffix) as tmp:
            tmp.write_bytes(data)
        return self.path_for(key, suffix)

    @staticmethod
    @contextlib.contextmanager
    def _locked(directory: Path, exclusive: bool) -> Iterator[None]:
        """flock on the entry's directory: held only for renames and links, never while hashing."""
        fd = os.open(directory, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _entries(self) -> list[tuple[float, int, Path]]:
        """(mtime, bytes with its check, path) of every entry; sweeps temp files and orphaned checks
        an hour old (their writer died)."""
        entries: list[tuple[float, int, Path]] = []
        if not self.root.is_dir():
            return entries
        now = time.time()
        for sub in self.root.iterdir():
            if not sub.is_dir():
                continue
            files: dict[str, os.stat_result] = {}
            for path in sub.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    files[path.name] = path.stat()
            for name, st in files.items():
                stale = now - st.st_mtime > 3600
                if name.startswith(self.TMP_PREFIX) or name.endswith(CHECK_SUFFIX):
                    orphan = name.startswith(self.TMP_PREFIX) or name[: -len(CHECK_SUFFIX)] not in files
                    if orphan and stale:
                        with contextlib.suppress(FileNotFoundError):
                            (sub / name).unlink()
                    continue
                check = files.get(name + CHECK_SUFFIX)
                entries.append((st.st_mtime, st.st_size + (check.st_size if check else 0), sub / name))
        return entries

    def size_bytes(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def evict(self, max_bytes: int | None = None, over: int | None = None) -> int:
        """Remove least recently used entries until the cache fits `max_bytes` (if it holds more
        than `over`, by default the same); return bytes freed."""
        cap = self.max_bytes if max_bytes is None else max_bytes
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        self._written_since_scan = 0
        if total <= (cap if over is None else over):
            self._known_bytes = total
            return 0
        freed = 0
        for _, size, path in entries:
            if total <= cap:
                break
            with contextlib.suppress(OSError), self._locked(path.parent, exclusive=True):
                if _unlink_entry(path):
                    self.stats.evictions += 1
                    self.stats.evicted_bytes += size
                    freed += size
            total -= size
        self._known_bytes = total
        return freed

    def clear(self) -> int:
        return self.evict(0)


def _check_path(path: Path) -> Path:
    return path.with_name(path.name + CHECK_SUFFIX)


def _read_check(path: Path) -> _Check | None:
    """The entry's check, or None when it is missing or damaged."""
    try:
        return _Check.parse(_check_path(path).read_bytes())
    except (OSError, ValueError):
        return None


def _unlink_entry(path: Path) -> bool:
    """Remove an entry and then its check (so no reader finds the entry without one)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    with contextlib.suppress(FileNotFoundError):
        _check_path(path).unlink()
    return True


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
