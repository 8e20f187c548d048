"""The cluster job store: PostgreSQL, shared by an API node and workers on any number of hosts.

Every lease and run_at is computed inside SQL from the database's clock (`now()` as epoch seconds), so
a host whose clock is off by minutes neither steals a live lease nor keeps a dead one. The client
clock (`clock=`) only paces reconnect attempts.

A claim is one statement: `UPDATE ... WHERE seq = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING *`, so
concurrent workers never wait on each other's row and never take the same job. Every other write is one
statement too (autocommit), so each is atomic without explicit transactions.

Each store owns one connection, used by one coroutine at a time (an asyncio.Lock), plus a dedicated
LISTEN connection that sets `wakeup` when a trigger reports a job became waiting; the Worker waits on
that event with its poll interval as the fallback.

Reconnecting: when a statement fails because the connection broke (the server restarted), the store
reconnects (waiting up to `reconnect_seconds` for the server) and runs the statement once more. That is
safe because every statement either is a read, or is fenced and idempotent in effect (the second run of
a write that did commit finds the token cleared or the state already changed, and changes nothing), or
is a claim, made idempotent by its client-generated lease token: the retry first looks for a job already
holding that token (the first attempt committed but its reply was lost) and returns it instead of taking
a second job. The only cost of an ambiguous commit is a conservative answer: `complete`/`release` may
report False and `enqueue` created=False for a write that did happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

from app.core.jobstore import migrations
from app.core.jobstore.base import (
    Admission,
    AttemptError,
    DuplicateJob,
    JobNotFound,
    JobPriority,
    JobRecord,
    JobStatus,
    JobStore,
    JobStoreError,
    Lease,
    NewJob,
    QueueStats,
    QuotaExceeded,
    TooManyWaiting,
    WorkerInfo,
)

T = TypeVar("T")
Conn = psycopg.AsyncConnection[dict[str, Any]]
log = logging.getLogger(__name__)

NOW = "extract(epoch from now())::float8"  # transaction time: one value for the whole statement
CHANNEL = "t2v_jobs"  # the migration's trigger notifies here
LEASE_EXPIRED = "lease expired: the worker stopped responding"
_WAITING = "status IN ('queued', 'retrying')"  # the partial index jobs_claim's predicate
_CLEAR_LEASE = "lease_token = NULL, lease_until = NULL"
_FENCE = "id = %(id)s AND lease_token = %(token)s AND status = 'processing'"
# Serialises whole upgrades, including the schema_version table's creation (which races otherwise).
_MIGRATION_LOCK = 8372884809565038693
# Admission takes a transaction-scoped advisory lock per owner: (this class, hashtext(owner)). The
# two-int4 key space never overlaps the bigint one above. The value is "t2v" and 1 as bytes.
_OWNER_LOCK_CLASS = 0x74327601
_FINAL = "status IN ('completed', 'failed', 'cancelled')"
# What purging does to a job: the document (payload) and result go, the tombstone keeps the rest.
_PURGE = (
    f"payload = '{{}}'::jsonb, result = NULL, artifacts_bytes = NULL, purged_at = COALESCE(purged_at, {NOW})"
)
_COUNT_WAITING = f"SELECT COUNT(*) AS n FROM jobs WHERE owner IS NOT DISTINCT FROM %(owner)s AND {_WAITING}"
_ARTIFACT_BYTES = (
    "SELECT COALESCE(SUM(artifacts_bytes), 0) AS n FROM jobs"
    " WHERE owner IS NOT DISTINCT FROM %(owner)s AND artifacts_bytes IS NOT NULL"
)


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise ValueError(f"the {what} must be JSON-serializable: {e}") from None


def _attempt_json(retry_at: str) -> str:
    """SQL for one AttemptError as jsonb; `attempts` is the row's value before the update."""
    return (
        "jsonb_build_array(jsonb_build_object('attempt', attempts, 'error', %(error)s::text,"
        f" 'at', {NOW}, 'retry_at', {retry_at}))"
    )


def _record(row: dict[str, Any]) -> JobRecord:
    return JobRecord(
        id=row["id"],
        kind=row["kind"],
        payload=row["payload"],
        priority=JobPriority(row["priority"]),
        status=JobStatus(row["status"]),
        seq=row["seq"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        queued_at=row["queued_at"],
        run_at=row["run_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        lease_token=row["lease_token"],
        lease_until=row["lease_until"],
        worker_id=row["worker_id"],
        stage=row["stage"],
        percent=float(row["percent"]),
        errors=tuple(AttemptError(**e) for e in row["errors"]),
        result=row["result"],
        owner=row["owner"],
        file_size=row["file_size"],
        artifacts_bytes=row["artifacts_bytes"],
        purged_at=row["purged_at"],
    )


def _worker(row: dict[str, Any]) -> WorkerInfo:
    return WorkerInfo(
        id=row["id"],
        host=row["host"],
        pid=row["pid"],
        started_at=row["started_at"],
        last_seen=row["last_seen"],
        running=tuple(row["running"]),
    )


async def _admit(conn: Conn, owner: str | None, admission: Admission) -> None:
    """Raise if the owner is over a limit; called inside the enqueue's transaction, under its lock."""
    if admission.max_waiting is not None:
        row = await (await conn.execute(_COUNT_WAITING, {"owner": owner})).fetchone()
        waiting = int(row["n"]) if row else 0
        if waiting >= admission.max_waiting:
            raise TooManyWaiting(waiting, admission.max_waiting)
    if admission.max_artifact_bytes is not None:
        row = await (await conn.execute(_ARTIFACT_BYTES, {"owner": owner})).fetchone()
        used = int(row["n"]) if row else 0
        if used >= admission.max_artifact_bytes:
            raise QuotaExceeded(used, admission.max_artifact_bytes)


def _check_lease_seconds(lease_seconds: float) -> None:
    if not lease_seconds > 0 or math.isinf(lease_seconds):
        raise ValueError(f"lease_seconds must be a positive number of seconds, not {lease_seconds!r}")


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


class PostgresJobStore(JobStore):
    """Jobs in a PostgreSQL database; every process given the same URL shares the same queue."""

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
        self.wakeup = asyncio.Event()  # set when a job may have become claimable
        self._conn: Conn | None = None
        self._lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._open = False

    def __repr__(self) -> str:
        return f"PostgresJobStore({self._safe_url()!r})"

    def _safe_url(self) -> str:
        """The URL without a password, for messages."""
        scheme, sep, rest = self.url.partition("://")
        creds, at, host = rest.rpartition("@")
        return f"{scheme}{sep}{creds.split(':')[0]}{at}{host}" if at else self.url

    # --- connections --------------------------------------------------------------------------------

    async def _connect(self) -> Conn:
        return await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, row_factory=dict_row, connect_timeout=int(self.connect_timeout)
        )

    async def _reconnect(self) -> Conn:
        """Connect, retrying with backoff while the server is down (e.g. restarting)."""
        deadline = self.clock() + self.reconnect_seconds
        delay = 0.1
        while True:
            try:
                self._conn = await self._connect()
                return self._conn
            except psycopg.OperationalError as exc:
                if self.clock() + delay > deadline:
                    raise JobStoreError(f"cannot reach the job store {self._safe_url()}: {exc}") from exc
                log.warning("job store unreachable, retrying in %.1f s: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _run(
        self, op: Callable[[Conn], Awaitable[T]], retry: Callable[[Conn], Awaitable[T]] | None = None
    ) -> T:
        """Run `op` on the connection; if the connection was lost, reconnect and run `retry` (default:
        `op` again) once. Only call with operations that are safe to repeat (see the module doc)."""
        async with self._lock:
            if not self._open:
                raise JobStoreError(f"the job store {self._safe_url()} is not open")
            conn = self._conn or await self._reconnect()
            try:
                return await op(conn)
            except psycopg.Error as exc:
                if not _broken(conn, exc):
                    raise
                log.warning("job store connection lost (%s); reconnecting", exc)
                self._conn = None
                with contextlib.suppress(Exception):
                    await conn.close()
            conn = await self._reconnect()
            return await (retry or op)(conn)

    async def _listen(self) -> None:
        """Hold a LISTEN connection; set `wakeup` on every notification and after each reconnect."""
        delay = 0.1
        while True:
            try:
                async with await self._connect() as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    delay = 0.1
                    self.wakeup.set()  # notifications may have been missed while disconnected
                    async for _ in conn.notifies():
                        self.wakeup.set()
            except psycopg.Error as exc:
                log.info("LISTEN connection lost (%s); reconnecting in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def open(self) -> None:
        if self._open:
            return
        try:
            await asyncio.to_thread(migrate, self.url, self.connect_timeout)
            self._conn = await self._connect()
        except psycopg.OperationalError as exc:
            raise JobStoreError(f"cannot open the job store {self._safe_url()}: {exc}") from exc
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

        return await self._run(version)

    # --- helpers ------------------------------------------------------------------------------------

    async def _one(self, sql: str, params: dict[str, Any] | tuple[Any, ...] = ()) -> dict[str, Any] | None:
        async def one(conn: Conn) -> dict[str, Any] | None:
            return await (await conn.execute(sql, params)).fetchone()

        return await self._run(one)

    async def _all(self, sql: str, params: dict[str, Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async def all_rows(conn: Conn) -> list[dict[str, Any]]:
            return await (await conn.execute(sql, params)).fetchall()

        return await self._run(all_rows)

    async def now(self) -> float:
        row = await self._one(f"SELECT {NOW} AS now")
        assert row is not None
        return float(row["now"])

    # --- producers ----------------------------------------------------------------------------------

    async def enqueue(self, job: NewJob, admission: Admission | None = None) -> tuple[JobRecord, bool]:
        if not job.id:
            raise ValueError("a job needs a non-empty id")
        if not isinstance(job.payload, dict):
            raise ValueError(f"the payload must be a JSON object, not {type(job.payload).__name__}")
        if job.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {job.max_attempts}")
        payload = _dumps(job.payload, "payload")
        priority = JobPriority.parse(job.priority)
        params = {
            "id": job.id,
            "kind": job.kind,
            "payload": payload,
            "priority": int(priority),
            "max_attempts": job.max_attempts,
            "owner": job.owner,
            "file_size": job.file_size,
        }
        insert = (
            "INSERT INTO jobs (id, kind, payload, priority, status, attempts, max_attempts,"
            " queued_at, run_at, owner, file_size) VALUES (%(id)s, %(kind)s, %(payload)s::jsonb,"
            f" %(priority)s, 'queued', 0, %(max_attempts)s, {NOW}, {NOW}, %(owner)s, %(file_size)s)"
            " ON CONFLICT (id) DO NOTHING RETURNING *"
        )

        async def admit_and_insert(conn: Conn) -> dict[str, Any] | None:
            # One transaction under the owner's advisory lock: concurrent submits of one owner (from
            # any process or host) queue behind it, so the counts cannot change before the insert.
            assert admission is not None
            async with conn.transaction():
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(%(class)s, hashtext(COALESCE(%(owner)s, '')))",
                    {"class": _OWNER_LOCK_CLASS, "owner": job.owner},
                )
                exists = await conn.execute("SELECT 1 FROM jobs WHERE id = %(id)s", params)
                if await exists.fetchone() is not None:
                    return None
                await _admit(conn, job.owner, admission)
                return await (await conn.execute(insert, params)).fetchone()

        try:
            if admission is None:
                row = await self._one(insert, params)
            else:
                row = await self._run(admit_and_insert)
        except psycopg.DataError as exc:  # e.g. NUL characters, which PostgreSQL text cannot hold
            raise ValueError(f"the job cannot be stored: {exc}") from None
        if row is not None:
            return _record(row), True
        record = await self.get(job.id)
        if record is None:  # deleted in between: vanishingly rare, but not a duplicate
            return await self.enqueue(job, admission)
        differs = [
            name
            for name, same in (
                ("kind", record.kind == job.kind),
                ("payload", record.payload == json.loads(payload)),
                ("priority", record.priority == priority),
            )
            if not same
        ]
        if differs:
            raise DuplicateJob(f"job {job.id!r} already exists with a different {', '.join(differs)}")
        return record, False

    # --- workers' side of a job ---------------------------------------------------------------------

    async def claim(
        self, worker_id: str, lease_seconds: float, kinds: tuple[str, ...] | None = None
    ) -> Lease | None:
        _check_lease_seconds(lease_seconds)
        if kinds is not None and not kinds:
            return None
        # The token is made here, before the first try, so a retry can tell whether the first
        # attempt committed (the job already holds this token) and never claims a second job.
        params = {
            "token": str(uuid.uuid4()),
            "lease": float(lease_seconds),
            "worker": worker_id,
            "kinds": list(kinds or ()),
        }
        kind_filter = " AND kind = ANY(%(kinds)s)" if kinds else ""
        sql = (
            "UPDATE jobs SET status = 'processing', lease_token = %(token)s,"
            f" lease_until = {NOW} + %(lease)s, attempts = attempts + 1,"
            f" started_at = COALESCE(started_at, {NOW}), worker_id = %(worker)s, stage = NULL, percent = 0"
            f" WHERE seq = (SELECT seq FROM jobs WHERE {_WAITING} AND run_at <= {NOW}{kind_filter}"
            " ORDER BY priority DESC, seq LIMIT 1 FOR UPDATE SKIP LOCKED)"
            " RETURNING *"
        )

        async def first(conn: Conn) -> dict[str, Any] | None:
            return await (await conn.execute(sql, params)).fetchone()

        async def again(conn: Conn) -> dict[str, Any] | None:
            held = "SELECT * FROM jobs WHERE status = 'processing' AND lease_token = %(token)s"
            row = await (await conn.execute(held, params)).fetchone()
            return row if row is not None else await first(conn)

        row = await self._run(first, again)
        return Lease(_record(row), params["token"]) if row else None

    async def _fenced(self, assignments: str, params: dict[str, Any]) -> bool:
        """One fenced write: it changes the row only while the token still holds the lease."""
        row = await self._one(f"UPDATE jobs SET {assignments} WHERE {_FENCE} RETURNING seq", params)
        return row is not None

    async def heartbeat(self, job_id: str, token: str, lease_seconds: float) -> bool:
        _check_lease_seconds(lease_seconds)
        params = {"id": job_id, "token": token, "lease": float(lease_seconds)}
        return await self._fenced(f"lease_until = {NOW} + %(lease)s", params)

    async def set_progress(self, job_id: str, token: str, stage: str, percent: float) -> bool:
        percent = float(percent)
        percent = 0.0 if math.isnan(percent) else min(100.0, max(0.0, percent))
        params = {"id": job_id, "token": token, "stage": stage, "percent": percent}
        return await self._fenced("stage = %(stage)s, percent = %(percent)s", params)

    async def complete(
        self, job_id: str, token: str, result: dict[str, Any], artifacts_bytes: int | None = None
    ) -> bool:
        params = {
            "id": job_id,
            "token": token,
            "result": _dumps(result, "result"),
            "artifacts_bytes": artifacts_bytes,
        }
        return await self._fenced(
            "status = 'completed', result = %(result)s::jsonb, artifacts_bytes = %(artifacts_bytes)s,"
            f" percent = 100, finished_at = {NOW}, {_CLEAR_LEASE}",
            params,
        )

    async def release(self, job_id: str, token: str) -> bool:
        # run_at is left alone, so the job keeps its place in the queue
        return await self._fenced(
            f"status = 'queued', attempts = GREATEST(attempts - 1, 0), worker_id = NULL, {_CLEAR_LEASE}",
            {"id": job_id, "token": token},
        )

    async def fail(self, job_id: str, token: str, error: str, retry_at: float | None) -> JobRecord | None:
        retrying = "(%(retry_at)s::float8 IS NOT NULL AND attempts < max_attempts)"
        params = {
            "id": job_id,
            "token": token,
            "error": str(error),
            "retry_at": None if retry_at is None else float(retry_at),
        }
        row = await self._one(
            f"UPDATE jobs SET status = CASE WHEN {retrying} THEN 'retrying' ELSE 'failed' END,"
            f" run_at = CASE WHEN {retrying} THEN %(retry_at)s::float8 ELSE run_at END,"
            f" finished_at = CASE WHEN {retrying} THEN finished_at ELSE {NOW} END,"
            f" worker_id = CASE WHEN {retrying} THEN NULL ELSE worker_id END,"
            f" errors = errors || {_attempt_json(f'CASE WHEN {retrying} THEN %(retry_at)s::float8 END')},"
            f" {_CLEAR_LEASE} WHERE {_FENCE} RETURNING *",
            params,
        )
        return None if row is None else _record(row)

    # --- operators ----------------------------------------------------------------------------------

    async def cancel(self, job_id: str) -> JobRecord:
        # Clearing the token fences the running worker out: its next heartbeat returns False.
        return await self._transition(
            job_id,
            f"status = 'cancelled', finished_at = {NOW}, {_CLEAR_LEASE}",
            "status IN ('queued', 'retrying', 'processing')",
        )

    async def retry(self, job_id: str) -> JobRecord:
        # The job keeps its seq (its original place in FIFO order) and its error history.
        return await self._transition(
            job_id,
            f"status = 'queued', attempts = 0, run_at = {NOW}, finished_at = NULL, worker_id = NULL,"
            f" stage = NULL, percent = 0, result = NULL, {_CLEAR_LEASE}",
            "status IN ('failed', 'cancelled') AND purged_at IS NULL",
        )

    async def purge(self, job_id: str) -> JobRecord:
        # One statement: the CASEs see the row as it was, so a waiting or running job is cancelled (its
        # lease revoked, fencing its worker out) in the same write that drops its document.
        return await self._transition(
            job_id,
            f"status = CASE WHEN {_FINAL} THEN status ELSE 'cancelled' END,"
            f" finished_at = CASE WHEN {_FINAL} THEN finished_at ELSE {NOW} END, {_CLEAR_LEASE}, {_PURGE}",
            "TRUE",
        )

    async def purge_finished(self, older_than: float, limit: int = 500) -> list[str]:
        rows = await self._all(
            f"UPDATE jobs SET {_PURGE} WHERE seq IN (SELECT seq FROM jobs"
            f" WHERE purged_at IS NULL AND finished_at IS NOT NULL AND finished_at < {NOW} - %(age)s"
            f" AND {_FINAL} ORDER BY finished_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
            " RETURNING id, finished_at",
            {"age": float(older_than), "limit": int(limit)},
        )
        return [r["id"] for r in sorted(rows, key=lambda r: r["finished_at"])]

    async def purged_since(self, since: float) -> list[str]:
        rows = await self._all(
            "SELECT id FROM jobs WHERE purged_at IS NOT NULL AND purged_at >= %(since)s ORDER BY purged_at",
            {"since": float(since)},
        )
        return [r["id"] for r in rows]

    async def _transition(self, job_id: str, assignments: str, when: str) -> JobRecord:
        """Apply `assignments` if the job is in a state `when` allows; else return it unchanged."""
        row = await self._one(
            f"UPDATE jobs SET {assignments} WHERE id = %(id)s AND {when} RETURNING *", {"id": job_id}
        )
        if row is None:
            row = await self._one("SELECT * FROM jobs WHERE id = %(id)s", {"id": job_id})
        if row is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return _record(row)

    async def get(self, job_id: str) -> JobRecord | None:
        row = await self._one("SELECT * FROM jobs WHERE id = %(id)s", {"id": job_id})
        return None if row is None else _record(row)

    async def list_jobs(
        self,
        status: JobStatus | None = None,
        owner: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must not be negative (got {limit}, {offset})")
        where = ["TRUE"]
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            where.append("status = %(status)s")
            params["status"] = JobStatus(status).value
        if owner is not None:
            where.append("owner = %(owner)s")
            params["owner"] = owner
        sql = (
            f"SELECT * FROM jobs WHERE {' AND '.join(where)}"
            " ORDER BY seq DESC LIMIT %(limit)s OFFSET %(offset)s"
        )
        return [_record(r) for r in await self._all(sql, params)]

    async def reap(self) -> list[str]:
        # SKIP LOCKED: concurrent reapers split the work instead of queueing behind each other, and a
        # row being claimed or completed right now is left alone.
        out = "attempts >= max_attempts"
        rows = await self._all(
            f"UPDATE jobs SET status = CASE WHEN {out} THEN 'failed' ELSE 'queued' END,"
            f" finished_at = CASE WHEN {out} THEN {NOW} ELSE finished_at END,"
            f" worker_id = CASE WHEN {out} THEN worker_id END,"
            f" errors = errors || {_attempt_json(f'CASE WHEN {out} THEN NULL ELSE {NOW} END')},"
            f" {_CLEAR_LEASE}"
            " WHERE seq IN (SELECT seq FROM jobs WHERE status = 'processing'"
            f" AND lease_until < {NOW} FOR UPDATE SKIP LOCKED)"
            " RETURNING seq, id",
            {"error": LEASE_EXPIRED},
        )
        return [r["id"] for r in sorted(rows, key=lambda r: r["seq"])]

    async def stats(self) -> QueueStats:
        # One statement, so one snapshot for every figure.
        row = await self._one(
            f"SELECT {NOW} AS now,"
            " (SELECT COALESCE(jsonb_object_agg(status, n), '{}') FROM"
            "   (SELECT status, COUNT(*) AS n FROM jobs GROUP BY status) s) AS by_status,"
            " (SELECT COALESCE(jsonb_object_agg(priority, n), '{}') FROM"
            f"   (SELECT priority, COUNT(*) AS n FROM jobs WHERE {_WAITING} GROUP BY priority) p) AS waiting,"
            f" (SELECT MIN(queued_at) FROM jobs WHERE {_WAITING} AND run_at <= {NOW}) AS oldest"
        )
        assert row is not None
        by_status = {s.value: 0 for s in JobStatus}
        by_status.update({k: int(v) for k, v in row["by_status"].items()})
        waiting = {p.name.lower(): 0 for p in JobPriority}
        for priority, n in row["waiting"].items():
            waiting[JobPriority(int(priority)).name.lower()] = int(n)
        oldest = row["oldest"]
        return QueueStats(
            by_status=by_status,
            waiting_by_priority=waiting,
            running=by_status[JobStatus.PROCESSING.value],
            oldest_waiting_age=None if oldest is None else max(0.0, row["now"] - oldest),
            total=sum(by_status.values()),
        )

    async def count_waiting(self, owner: str | None) -> int:
        row = await self._one(_COUNT_WAITING, {"owner": owner})
        return int(row["n"]) if row else 0

    async def artifact_bytes(self, owner: str | None) -> int:
        row = await self._one(_ARTIFACT_BYTES, {"owner": owner})
        return int(row["n"]) if row else 0

    # --- worker registry ----------------------------------------------------------------------------

    async def register_worker(self, worker_id: str, host: str, pid: int) -> None:
        await self._all(
            "INSERT INTO workers (id, host, pid, started_at, last_seen, running)"
            f" VALUES (%(id)s, %(host)s, %(pid)s, {NOW}, {NOW}, '[]') ON CONFLICT (id) DO UPDATE SET"
            " host = excluded.host, pid = excluded.pid, started_at = excluded.started_at,"
            " last_seen = excluded.last_seen, running = excluded.running RETURNING id",
            {"id": worker_id, "host": host, "pid": int(pid)},
        )

    async def worker_heartbeat(self, worker_id: str, running: tuple[str, ...]) -> bool:
        row = await self._one(
            f"UPDATE workers SET last_seen = {NOW}, running = %(running)s::jsonb WHERE id = %(id)s"
            " RETURNING id",
            {"id": worker_id, "running": _dumps(list(running), "running job ids")},
        )
        return row is not None

    async def deregister_worker(self, worker_id: str) -> None:
        await self._all("DELETE FROM workers WHERE id = %(id)s RETURNING id", {"id": worker_id})

    async def list_workers(self) -> list[WorkerInfo]:
        return [_worker(r) for r in await self._all("SELECT * FROM workers ORDER BY started_at, id")]

    async def prune_workers(self, older_than: float) -> list[str]:
        rows = await self._all(
            f"DELETE FROM workers WHERE last_seen < {NOW} - %(age)s RETURNING id", {"age": float(older_than)}
        )
        return sorted(r["id"] for r in rows)
