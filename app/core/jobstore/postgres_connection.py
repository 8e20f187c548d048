"""The PostgreSQL store's connections: one for statements, reconnecting when the server restarts, and
one that LISTENs for the trigger's notifications and sets `wakeup`.

When a statement fails because the connection broke, `run` reconnects (waiting up to
`reconnect_seconds` for the server, with backoff) and runs the statement again, as often as the
connection is lost within `reconnect_seconds`; the store only hands it statements that are safe to
repeat (see `postgres`). The client clock (`clock=`) only paces
reconnect attempts; every time the store compares is the database's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

from app.core.backoff import RetryPolicy
from app.core.jobstore import migrations
from app.core.jobstore.base import JobStoreError

T = TypeVar("T")
Conn = psycopg.AsyncConnection[dict[str, Any]]
Params = dict[str, Any] | tuple[Any, ...]
log = logging.getLogger(__name__)

NOW = "extract(epoch from now())::float8"  # transaction time: one value for the whole statement
CHANNEL = "t2v_jobs"  # the migration's trigger notifies here
# Serialises whole upgrades, including the schema_version table's creation (which races otherwise).
_MIGRATION_LOCK = 8372884809565038693
RECONNECT = RetryPolicy(base_seconds=0.1, max_seconds=2.0, jitter=0.0)


def migrate(url: str, connect_timeout: float = 10.0) -> int:
    """Create or upgrade the schema named by `url` (its search_path); returns the schema version."""
    with psycopg.connect(url, autocommit=True, connect_timeout=int(connect_timeout)) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            return migrations.upgrade(conn, dialect="postgresql")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))


def _broken(conn: Conn, exc: psycopg.Error) -> bool:
    """A lost connection (worth reconnecting), as opposed to an error in the statement itself."""
    return conn.broken or conn.closed or isinstance(exc, psycopg.errors.AdminShutdown)


def safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{creds.split(':')[0]}{at}{host}" if at else url


class PostgresConnection:
    """`run(op)` calls `op(connection)` one coroutine at a time; `wakeup` is set when a job may have
    become claimable (a notification, or a LISTEN reconnect that may have missed some)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], float] = time.time,
        reconnect_seconds: float = 60.0,
        connect_timeout: float = 5.0,
        listen: bool = True,
    ) -> None:
        self.url = url
        self.clock = clock
        self.reconnect_seconds = reconnect_seconds
        self.connect_timeout = connect_timeout
        self.listen = listen
        self.wakeup = asyncio.Event()
        self._conn: Conn | None = None
        self._lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._open = False

    @property
    def safe_url(self) -> str:
        return safe_url(self.url)

    async def _connect(self) -> Conn:
        return await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, row_factory=dict_row, connect_timeout=int(self.connect_timeout)
        )

    async def _reconnect(self, deadline: float) -> Conn:
        """Connect, retrying with backoff while the server is down (e.g. restarting), until `deadline`
        (the statement's: its reconnects share one `reconnect_seconds`)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                self._conn = await self._connect()
                return self._conn
            except psycopg.OperationalError as exc:
                delay = RECONNECT.delay(attempt)
                if self.clock() + delay > deadline:
                    raise JobStoreError(f"cannot reach the job store {self.safe_url}: {exc}") from exc
                log.warning("job store unreachable, retrying in %.1f s: %s", delay, exc)
                await asyncio.sleep(delay)

    async def run(
        self, op: Callable[[Conn], Awaitable[T]], retry: Callable[[Conn], Awaitable[T]] | None = None
    ) -> T:
        """Run `op` on the connection; each time the connection is lost, reconnect and run `retry`
        (default: `op` again), for up to `reconnect_seconds` in all (one deadline for the statement,
        its reconnects included): a server restarted twice in a row (or going down again just after a
        reconnect) costs a wait, not the caller. Only call with operations that are safe to repeat."""
        async with self._lock:
            if not self._open:
                raise JobStoreError(f"the job store {self.safe_url} is not open")
            deadline = self.clock() + self.reconnect_seconds
            attempt = op
            while True:
                conn = self._conn or await self._reconnect(deadline)
                try:
                    return await attempt(conn)
                except psycopg.Error as exc:
                    if not _broken(conn, exc):
                        raise
                    self._conn = None
                    with contextlib.suppress(Exception):
                        await conn.close()
                    if self.clock() > deadline:
                        raise JobStoreError(f"lost the job store {self.safe_url}: {exc}") from exc
                    log.warning("job store connection lost (%s); reconnecting", exc)
                attempt = retry or op

    async def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        async def one(conn: Conn) -> dict[str, Any] | None:
            return await (await conn.execute(sql, params)).fetchone()

        return await self.run(one)

    async def all(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        async def all_rows(conn: Conn) -> list[dict[str, Any]]:
            return await (await conn.execute(sql, params)).fetchall()

        return await self.run(all_rows)

    async def _listen(self) -> None:
        """Hold a LISTEN connection; set `wakeup` on every notification and after each reconnect."""
        attempt = 0
        while True:
            attempt += 1
            try:
                async with await self._connect() as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    attempt = 1
                    self.wakeup.set()  # notifications may have been missed while disconnected
                    async for _ in conn.notifies():
                        self.wakeup.set()
            except psycopg.Error as exc:
                log.info("LISTEN connection lost (%s); reconnecting in %.1f s", exc, RECONNECT.delay(attempt))
            await asyncio.sleep(RECONNECT.delay(attempt))

    async def open(self) -> None:
        if self._open:
            return
        try:
            await asyncio.to_thread(migrate, self.url, self.connect_timeout)
            self._conn = await self._connect()
        except psycopg.OperationalError as exc:
            raise JobStoreError(f"cannot open the job store {self.safe_url}: {exc}") from exc
        self._open = True
        if self.listen:
            self._listener = asyncio.create_task(self._listen(), name="t2v-listen")

    async def close(self) -> None:
        self._open = False
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        async with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.close()
                self._conn = None

    async def schema_version(self) -> int:
        async def version(conn: Conn) -> int:
            cur = await conn.execute("SELECT MAX(version) AS v FROM schema_version")
            row = await cur.fetchone()
            return int(row["v"] or 0) if row else 0

        return await self.run(version)
