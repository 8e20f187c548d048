"""The SQLite store's connection: one file, in WAL mode, opened 0600, migrated, and used from worker
threads under a lock so the event loop never blocks on disk or on another process's lock.

WAL lets readers run beside the single writer; writes are `BEGIN IMMEDIATE` transactions, which take
the write lock up front (waiting up to `busy_timeout`) instead of failing half-way when they upgrade
from a read. WAL needs a local file system: do not put the file on a network share.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from app.core.backoff import RetryPolicy
from app.core.jobstore import migrations
from app.core.jobstore.base import JobStoreError
from app.core.permissions import FILE_MODE, make_private, private_dir

T = TypeVar("T")

# Seconds since the epoch, from SQLite's own clock (millisecond resolution). SQLite 3.40 has no
# unixepoch('subsec'). 'now' is fixed for the duration of one statement.
NOW = "((julianday('now') - 2440587.5) * 86400.0)"
WAL_RETRY = RetryPolicy(base_seconds=0.01, max_seconds=0.2, jitter=0.0)


@contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[None]:
    """IMMEDIATE for writes (take the write lock first); DEFERRED for a consistent multi-query read."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite rolls back by itself on some errors
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def store_now(conn: sqlite3.Connection) -> float:
    return float(conn.execute(f"SELECT {NOW}").fetchone()[0])


def set_wal(conn: sqlite3.Connection, timeout: float) -> str:
    """Switch to WAL. The switch needs the file to itself and SQLite may report "locked" at once
    instead of waiting (several processes opening a new file together), so retry within `timeout`."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(WAL_RETRY.delay(attempt))


def create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does (its -wal and -shm files take the database
    file's mode), and tighten the files of an older store that others could read."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        make_private(file)


class SQLiteConnection:
    """The store's one connection; `run(fn, *args)` calls `fn(connection, *args)` in a thread."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self._locked, fn, *args)

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._conn is None:
                raise JobStoreError(f"the job store {self.path} is not open")
            return fn(self._conn, *args)

    def open(self) -> None:
        with self._lock:
            if self._conn is not None:
                return
            if sqlite3.sqlite_version_info < (3, 35):
                raise JobStoreError(f"SQLite {sqlite3.sqlite_version} is too old: the job store needs 3.35+")
            create_private(self.path)
            # isolation_level=None: no implicit transactions; we BEGIN explicitly.
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            try:
                conn.row_factory = sqlite3.Row
                mode = set_wal(conn, self.busy_timeout)
                if str(mode).lower() != "wal":
                    raise JobStoreError(f"cannot use WAL mode for {self.path} (got {mode!r})")
                # NORMAL is durable across application crashes in WAL mode; an OS crash may lose the
                # last transactions but never corrupts the file.
                conn.execute("PRAGMA synchronous=NORMAL")
                migrations.upgrade(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
