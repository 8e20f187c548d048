"""The cluster job store: PostgreSQL, shared by an API node and workers on any number of hosts.

Every lease and run_at is computed inside SQL from the database's clock (`now()` as epoch seconds), so
a host whose clock is off neither steals a live lease nor keeps a dead one; `clock=` paces reconnects.

A claim is one statement: `UPDATE ... WHERE seq = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING *`, so
concurrent workers never wait on each other's row and never take the same job. Every other write is one
statement too (autocommit), so each is atomic without explicit transactions.

Each store owns one connection, used by one coroutine at a time (an asyncio.Lock), plus a dedicated
LISTEN connection that sets `wakeup` when a trigger reports a job became waiting; the Worker waits on
that event with its poll interval as the fallback.

Reconnecting: when a statement fails because the connection broke (the server restarted), the store
reconnects (waiting for the server up to `reconnect_seconds` from the statement's start) and runs the
statement again. That is safe because every statement either is a read, or is fenced and idempotent in
effect (the second run of a write that did commit finds the token cleared or the state already changed,
and changes nothing), or is a claim, made idempotent by its client-generated lease token: the retry
first looks for a job already holding that token (the first attempt committed but its reply was lost)
and returns it instead of taking a second job. The only cost of an ambiguous commit is a conservative
answer: `complete`/`release` may report False and `enqueue` created=False for a write that did happen.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from app.core.jobstore.base import (
    LEASE_EXPIRED,
    Admission,
    AttachmentEdit,
    JobNotFound,
    JobPriority,
    JobRecord,
    JobState,
    JobStatus,
    JobStore,
    Lease,
    NewJob,
    QueueStats,
)
from app.core.jobstore.common import (
    check_lease_seconds,
    check_new_job,
    check_same_job,
    clamp_percent,
    dump_json,
    record_from_row,
    state_from_row,
)
from app.core.jobstore.postgres_admission import WAITING, PostgresAdmission, admit, lock_owner
from app.core.jobstore.postgres_attachments import PostgresAttachments, write_edit
from app.core.jobstore.postgres_connection import NOW, Conn, PostgresConnection
from app.core.jobstore.postgres_workers import PostgresWorkers

_CLEAR_LEASE = "lease_token = NULL, lease_until = NULL"
_FENCE = "id = %(id)s AND lease_token = %(token)s AND status = 'processing'"
_FINAL = "status IN ('completed', 'failed', 'cancelled')"
# What purging does to a job: the document (payload) and result go, the tombstone keeps the rest.
_PURGE = (
    f"payload = '{{}}'::jsonb, result = NULL, artifacts_bytes = NULL, purged_at = COALESCE(purged_at, {NOW})"
)


def _attempt_json(retry_at: str) -> str:
    """SQL for one AttemptError as jsonb; `attempts` is the row's value before the update."""
    return (
        "jsonb_build_array(jsonb_build_object('attempt', attempts, 'error', %(error)s::text,"
        f" 'at', {NOW}, 'retry_at', {retry_at}))"
    )


class PostgresJobStore(PostgresWorkers, PostgresAttachments, PostgresAdmission, JobStore):
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
        self._db = PostgresConnection(
            url,
            clock=clock,
            reconnect_seconds=reconnect_seconds,
            connect_timeout=connect_timeout,
            listen=listen,
        )
        self.wakeup = self._db.wakeup  # set when a job may have become claimable
        self._run = self._db.run
        self._one = self._db.one
        self._all = self._db.all

    def __repr__(self) -> str:
        return f"PostgresJobStore({self._db.safe_url!r})"

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    async def now(self) -> float:
        row = await self._one(f"SELECT {NOW} AS now")
        assert row is not None
        return float(row["now"])

    # --- producers ----------------------------------------------------------------------------------

    async def enqueue(
        self, job: NewJob, admission: Admission | None = None, edit: AttachmentEdit | None = None
    ) -> tuple[JobRecord, bool]:
        payload, priority = check_new_job(job)
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
            # any process or host) queue behind it, so the counts cannot change before the insert. A
            # stale edit rolls the insert back. Run again after a reconnect, it finds the job (and
            # its edit) committed, or makes both.
            async with conn.transaction():
                if admission is not None:
                    await lock_owner(conn, job.owner)
                exists = await conn.execute("SELECT 1 FROM jobs WHERE id = %(id)s", params)
                if await exists.fetchone() is not None:
                    return None
                if admission is not None:
                    await admit(conn, job.owner, admission)
                row = await (await conn.execute(insert, params)).fetchone()
                if row is not None and edit is not None:
                    await write_edit(conn, edit)
                return row

        try:
            if admission is None and edit is None:
                row = await self._one(insert, params)
            else:
                row = await self._run(admit_and_insert)
        except psycopg.DataError as exc:  # e.g. NUL characters, which PostgreSQL text cannot hold
            raise ValueError(f"the job cannot be stored: {exc}") from None
        if row is not None:
            return record_from_row(row), True
        record = await self.get(job.id)
        if record is None:  # deleted in between: vanishingly rare, but not a duplicate
            return await self.enqueue(job, admission, edit)
        check_same_job(record, job, payload, priority)
        return record, False

    # --- workers' side of a job ---------------------------------------------------------------------

    async def claim(
        self, worker_id: str, lease_seconds: float, kinds: tuple[str, ...] | None = None
    ) -> Lease | None:
        lease_seconds = check_lease_seconds(lease_seconds)
        if kinds is not None and not kinds:
            return None
        # The token is made here, before the first try, so a retry can tell whether the first
        # attempt committed (the job already holds this token) and never claims a second job.
        token = str(uuid.uuid4())
        params = {
            "token": token,
            "lease": lease_seconds,
            "worker": worker_id,
            "kinds": list(kinds or ()),
        }
        kind_filter = " AND kind = ANY(%(kinds)s)" if kinds else ""
        sql = (
            "UPDATE jobs SET status = 'processing', lease_token = %(token)s,"
            f" lease_until = {NOW} + %(lease)s, attempts = attempts + 1,"
            f" started_at = COALESCE(started_at, {NOW}), worker_id = %(worker)s, stage = NULL, percent = 0"
            f" WHERE seq = (SELECT seq FROM jobs WHERE {WAITING} AND run_at <= {NOW}{kind_filter}"
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
        return Lease(record_from_row(row), token) if row else None

    async def _fenced(self, assignments: str, params: dict[str, Any]) -> bool:
        """One fenced write: it changes the row only while the token still holds the lease."""
        row = await self._one(f"UPDATE jobs SET {assignments} WHERE {_FENCE} RETURNING seq", params)
        return row is not None

    async def heartbeat(self, job_id: str, token: str, lease_seconds: float) -> bool:
        params = {"id": job_id, "token": token, "lease": check_lease_seconds(lease_seconds)}
        return await self._fenced(f"lease_until = {NOW} + %(lease)s", params)

    async def set_progress(self, job_id: str, token: str, stage: str, percent: float) -> bool:
        params = {"id": job_id, "token": token, "stage": stage, "percent": clamp_percent(percent)}
        return await self._fenced("stage = %(stage)s, percent = %(percent)s", params)

    async def complete(
        self, job_id: str, token: str, result: dict[str, Any], artifacts_bytes: int | None = None
    ) -> bool:
        params = {
            "id": job_id,
            "token": token,
            "result": dump_json(result, "result"),
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
        return None if row is None else record_from_row(row)

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
        return record_from_row(row)

    async def get(self, job_id: str) -> JobRecord | None:
        row = await self._one("SELECT * FROM jobs WHERE id = %(id)s", {"id": job_id})
        return None if row is None else record_from_row(row)

    async def state(self, job_id: str) -> JobState | None:
        row = await self._one(
            "SELECT status, stage, percent, attempts, jsonb_array_length(errors) AS errors"
            " FROM jobs WHERE id = %(id)s",
            {"id": job_id},
        )
        return None if row is None else state_from_row(row)

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
        return [record_from_row(r) for r in await self._all(sql, params)]

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
            f"   (SELECT priority, COUNT(*) AS n FROM jobs WHERE {WAITING} GROUP BY priority) p) AS waiting,"
            f" (SELECT MIN(queued_at) FROM jobs WHERE {WAITING} AND run_at <= {NOW}) AS oldest"
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
