"""The embedded job store: one SQLite file, safe for several processes on one machine.

WAL mode lets readers run beside the single writer; every write is a `BEGIN IMMEDIATE` transaction,
so it takes the write lock up front (waiting up to `busy_timeout`) instead of failing half-way when it
upgrades from a read. Each store object owns one connection, used from worker threads under a lock so
the event loop never blocks on disk or on another process's lock.

Time is the store's clock, computed inside SQL, so leases and run_at never depend on a caller's clock.
WAL needs a local file system: do not put the file on a network share.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any, TypeVar

from app.core.jobstore.base import (
    LEASE_EXPIRED,
    Admission,
    AttachmentEdit,
    AttemptError,
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
from app.core.jobstore.sqlite_attachments import SQLiteAttachments, write_edit
from app.core.jobstore.sqlite_connection import NOW, SQLiteConnection, store_now, transaction
from app.core.jobstore.sqlite_workers import SQLiteWorkers

T = TypeVar("T")

# Must match the partial index jobs_claim's WHERE clause word for word, or SQLite will not use it.
_WAITING = "status IN ('queued', 'retrying')"
_CLEAR_LEASE = "lease_token = NULL, lease_until = NULL"
_FENCE = "id = ? AND lease_token = ? AND status = 'processing'"
_FINAL = "status IN ('completed', 'failed', 'cancelled')"
# What purging does to a job: the document (payload) and result go, the tombstone keeps the rest.
_PURGE = f"payload = '{{}}', result = NULL, artifacts_bytes = NULL, purged_at = COALESCE(purged_at, {NOW})"


def _errors_json(errors: tuple[AttemptError, ...]) -> str:
    return dump_json([dataclasses.asdict(e) for e in errors], "errors")


def _record(row: sqlite3.Row) -> JobRecord:
    return record_from_row(row, json.loads)


def _count_waiting(conn: sqlite3.Connection, owner: str | None) -> int:
    sql = f"SELECT COUNT(*) FROM jobs WHERE owner IS ? AND {_WAITING}"
    return int(conn.execute(sql, (owner,)).fetchone()[0])


def _artifact_bytes(conn: sqlite3.Connection, owner: str | None) -> int:
    # a purged job has no attachments left (its purge deleted them)
    sql = (
        "SELECT (SELECT COALESCE(SUM(artifacts_bytes), 0) FROM jobs"
        " WHERE owner IS ? AND artifacts_bytes IS NOT NULL)"
        " + (SELECT COALESCE(SUM(a.bytes), 0) FROM jobs AS j JOIN job_attachments AS a ON a.job_id = j.id"
        " WHERE j.owner IS ?)"
    )
    return int(conn.execute(sql, (owner, owner)).fetchone()[0])


def _admit(conn: sqlite3.Connection, owner: str | None, admission: Admission) -> None:
    """Raise if the owner is over a limit; called inside the enqueue's write transaction."""
    if admission.max_waiting is not None:
        admission.check_waiting(_count_waiting(conn, owner))
    if admission.max_artifact_bytes is not None:
        admission.check_artifacts(_artifact_bytes(conn, owner))


class SQLiteJobStore(SQLiteWorkers, SQLiteAttachments, JobStore):
    """Jobs in one SQLite file; every process that opens the same path shares the same queue."""

    def __init__(self, path: Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._db = SQLiteConnection(self.path, busy_timeout)
        self._run = self._db.run

    def __repr__(self) -> str:
        return f"SQLiteJobStore({str(self.path)!r})"

    async def open(self) -> None:
        await asyncio.to_thread(self._db.open)

    async def close(self) -> None:
        await asyncio.to_thread(self._db.close)

    async def now(self) -> float:
        return await self._run(store_now)

    # --- producers ----------------------------------------------------------------------------------

    async def enqueue(
        self, job: NewJob, admission: Admission | None = None, edit: AttachmentEdit | None = None
    ) -> tuple[JobRecord, bool]:
        payload, priority = check_new_job(job)
        record, created = await self._run(self._enqueue, job, payload, priority, admission, edit)
        if not created:
            check_same_job(record, job, payload, priority)
        return record, created

    @staticmethod
    def _enqueue(
        conn: sqlite3.Connection,
        job: NewJob,
        payload: str,
        priority: JobPriority,
        admission: Admission | None,
        edit: AttachmentEdit | None,
    ) -> tuple[JobRecord, bool]:
        # BEGIN IMMEDIATE holds the write lock from the first read, so the admission counts cannot change
        # (in this or any other process) before the insert commits; a stale edit rolls the insert back.
        with transaction(conn):
            existing = conn.execute("SELECT * FROM jobs WHERE id = ?", (job.id,)).fetchone()
            if existing is not None:
                return _record(existing), False
            if admission is not None:
                _admit(conn, job.owner, admission)
            rows = conn.execute(
                "INSERT INTO jobs (id, kind, payload, priority, status, attempts, max_attempts,"
                " queued_at, run_at, owner, file_size)"
                f" VALUES (?, ?, ?, ?, 'queued', 0, ?, {NOW}, {NOW}, ?, ?)"
                " ON CONFLICT (id) DO NOTHING RETURNING *",
                (job.id, job.kind, payload, int(priority), job.max_attempts, job.owner, job.file_size),
            ).fetchall()
            if not rows:
                return _record(conn.execute("SELECT * FROM jobs WHERE id = ?", (job.id,)).fetchone()), False
            if edit is not None:
                write_edit(conn, edit)
            return _record(rows[0]), True

    # --- workers' side of a job ---------------------------------------------------------------------

    async def claim(
        self, worker_id: str, lease_seconds: float, kinds: tuple[str, ...] | None = None
    ) -> Lease | None:
        lease_seconds = check_lease_seconds(lease_seconds)
        if kinds is not None and not kinds:
            return None
        return await self._run(self._claim, worker_id, lease_seconds, kinds)

    @staticmethod
    def _claim(
        conn: sqlite3.Connection, worker_id: str, lease_seconds: float, kinds: tuple[str, ...] | None
    ) -> Lease | None:
        token = str(uuid.uuid4())
        kind_filter = f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
        with transaction(conn):
            rows = conn.execute(
                "UPDATE jobs SET status = 'processing', lease_token = ?,"
                f" lease_until = {NOW} + ?, attempts = attempts + 1,"
                f" started_at = COALESCE(started_at, {NOW}), worker_id = ?, stage = NULL, percent = 0"
                " WHERE seq = (SELECT seq FROM jobs"
                f" WHERE {_WAITING} AND run_at <= {NOW}{kind_filter}"
                " ORDER BY priority DESC, seq ASC LIMIT 1)"
                " RETURNING *",
                (token, lease_seconds, worker_id, *(kinds or ())),
            ).fetchall()
        return Lease(_record(rows[0]), token) if rows else None

    async def heartbeat(self, job_id: str, token: str, lease_seconds: float) -> bool:
        lease = check_lease_seconds(lease_seconds)
        return await self._run(self._update, f"lease_until = {NOW} + ?", (lease,), job_id, token)

    async def set_progress(self, job_id: str, token: str, stage: str, percent: float) -> bool:
        params = (stage, clamp_percent(percent))
        return await self._run(self._update, "stage = ?, percent = ?", params, job_id, token)

    async def complete(
        self, job_id: str, token: str, result: dict[str, Any], artifacts_bytes: int | None = None
    ) -> bool:
        return await self._run(
            self._update,
            "status = 'completed', result = ?, artifacts_bytes = ?, percent = 100,"
            f" finished_at = {NOW}, {_CLEAR_LEASE}",
            (dump_json(result, "result"), artifacts_bytes),
            job_id,
            token,
        )

    async def release(self, job_id: str, token: str) -> bool:
        # run_at is left alone, so the job keeps its place in the queue
        return await self._run(
            self._update,
            f"status = 'queued', attempts = MAX(attempts - 1, 0), worker_id = NULL, {_CLEAR_LEASE}",
            (),
            job_id,
            token,
        )

    @staticmethod
    def _update(
        conn: sqlite3.Connection, assignments: str, params: tuple[Any, ...], job_id: str, token: str
    ) -> bool:
        """One fenced write: it changes the row only while `token` still holds the lease."""
        with transaction(conn):
            cursor = conn.execute(f"UPDATE jobs SET {assignments} WHERE {_FENCE}", (*params, job_id, token))
            return cursor.rowcount == 1

    async def fail(self, job_id: str, token: str, error: str, retry_at: float | None) -> JobRecord | None:
        return await self._run(self._fail, job_id, token, str(error), retry_at)

    @staticmethod
    def _fail(
        conn: sqlite3.Connection, job_id: str, token: str, error: str, retry_at: float | None
    ) -> JobRecord | None:
        with transaction(conn):
            row = conn.execute(f"SELECT * FROM jobs WHERE {_FENCE}", (job_id, token)).fetchone()
            if row is None:
                return None
            job = _record(row)
            now = store_now(conn)
            retry = float(retry_at) if retry_at is not None and job.attempts < job.max_attempts else None
            retrying = retry is not None
            attempt = AttemptError(job.attempts, error, now, retry)
            errors = _errors_json((*job.errors, attempt))
            if retrying:
                sql = f"status = 'retrying', run_at = ?, worker_id = NULL, errors = ?, {_CLEAR_LEASE}"
                params: tuple[Any, ...] = (retry, errors)
            else:
                sql = f"status = 'failed', finished_at = ?, errors = ?, {_CLEAR_LEASE}"
                params = (now, errors)
            rows = conn.execute(f"UPDATE jobs SET {sql} WHERE seq = ? RETURNING *", (*params, job.seq))
            return _record(rows.fetchall()[0])

    # --- operators ----------------------------------------------------------------------------------

    async def cancel(self, job_id: str) -> JobRecord:
        # Clearing the token fences the running worker out: its next heartbeat returns False.
        return await self._run(
            self._transition,
            job_id,
            f"status = 'cancelled', finished_at = {NOW}, {_CLEAR_LEASE}",
            "status IN ('queued', 'retrying', 'processing')",
        )

    async def retry(self, job_id: str) -> JobRecord:
        # The job keeps its seq (its original place in FIFO order) and its error history.
        return await self._run(
            self._transition,
            job_id,
            f"status = 'queued', attempts = 0, run_at = {NOW}, finished_at = NULL, worker_id = NULL,"
            f" stage = NULL, percent = 0, result = NULL, {_CLEAR_LEASE}",
            "status IN ('failed', 'cancelled') AND purged_at IS NULL",
        )

    async def purge(self, job_id: str) -> JobRecord:
        # One statement: the CASEs see the row as it was, so a waiting or running job is cancelled (its
        # lease revoked, fencing its worker out) in the same write that drops its document.
        return await self._run(
            self._transition,
            job_id,
            f"status = CASE WHEN {_FINAL} THEN status ELSE 'cancelled' END,"
            f" finished_at = CASE WHEN {_FINAL} THEN finished_at ELSE {NOW} END, {_CLEAR_LEASE}, {_PURGE}",
            "1 = 1",
        )

    async def purge_finished(self, older_than: float, limit: int = 500) -> list[str]:
        def purge(conn: sqlite3.Connection) -> list[str]:
            with transaction(conn):
                rows = conn.execute(
                    # INDEXED BY: tombstones pile up under the status index; this one holds only
                    # finished jobs not yet purged, oldest first.
                    f"UPDATE jobs SET {_PURGE} WHERE seq IN (SELECT seq FROM jobs INDEXED BY jobs_unpurged"
                    f" WHERE purged_at IS NULL AND finished_at IS NOT NULL AND finished_at < {NOW} - ?"
                    f" AND {_FINAL} ORDER BY finished_at LIMIT ?) RETURNING id, finished_at",
                    (float(older_than), int(limit)),
                ).fetchall()
            return [r["id"] for r in sorted(rows, key=lambda r: r["finished_at"])]

        return await self._run(purge)

    async def purged_since(self, since: float) -> list[str]:
        def purged(conn: sqlite3.Connection) -> list[str]:
            sql = "SELECT id FROM jobs WHERE purged_at IS NOT NULL AND purged_at >= ? ORDER BY purged_at"
            return [r[0] for r in conn.execute(sql, (float(since),))]

        return await self._run(purged)

    @staticmethod
    def _transition(conn: sqlite3.Connection, job_id: str, assignments: str, when: str) -> JobRecord:
        """Apply `assignments` if the job is in a state `when` allows; else return it unchanged."""
        with transaction(conn):
            rows = conn.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ? AND {when} RETURNING *", (job_id,)
            ).fetchall()
            row = rows[0] if rows else conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return _record(row)

    async def get(self, job_id: str) -> JobRecord | None:
        def get(conn: sqlite3.Connection) -> JobRecord | None:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return None if row is None else _record(row)

        return await self._run(get)

    async def state(self, job_id: str) -> JobState | None:
        sql = (
            "SELECT status, stage, percent, attempts, json_array_length(errors) AS errors"
            " FROM jobs WHERE id = ?"
        )

        def state(conn: sqlite3.Connection) -> JobState | None:
            row = conn.execute(sql, (job_id,)).fetchone()
            return None if row is None else state_from_row(row)

        return await self._run(state)

    async def list_jobs(
        self,
        status: JobStatus | None = None,
        owner: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must not be negative (got {limit}, {offset})")
        where, params = ["1 = 1"], []
        if status is not None:
            where.append("status = ?")
            params.append(JobStatus(status).value)
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ? OFFSET ?"

        def list_jobs(conn: sqlite3.Connection) -> list[JobRecord]:
            return [_record(r) for r in conn.execute(sql, (*params, limit, offset))]

        return await self._run(list_jobs)

    async def reap(self) -> list[str]:
        return await self._run(self._reap)

    @staticmethod
    def _reap(conn: sqlite3.Connection) -> list[str]:
        with transaction(conn):
            now = store_now(conn)
            rows = conn.execute(
                "SELECT * FROM jobs WHERE status = 'processing' AND lease_until < ? ORDER BY seq", (now,)
            ).fetchall()
            for job in map(_record, rows):
                if job.attempts >= job.max_attempts:
                    errors = _errors_json((*job.errors, AttemptError(job.attempts, LEASE_EXPIRED, now)))
                    conn.execute(
                        f"UPDATE jobs SET status = 'failed', finished_at = ?, errors = ?, {_CLEAR_LEASE}"
                        " WHERE seq = ?",
                        (now, errors, job.seq),
                    )
                else:
                    # The lost attempt is recorded too (it was counted at claim), requeued at once.
                    errors = _errors_json((*job.errors, AttemptError(job.attempts, LEASE_EXPIRED, now, now)))
                    conn.execute(
                        "UPDATE jobs SET status = 'queued', worker_id = NULL, errors = ?,"
                        f" {_CLEAR_LEASE} WHERE seq = ?",
                        (errors, job.seq),
                    )
        return [r["id"] for r in rows]

    async def stats(self) -> QueueStats:
        return await self._run(self._stats)

    @staticmethod
    def _stats(conn: sqlite3.Connection) -> QueueStats:
        with transaction(conn, "DEFERRED"):  # one snapshot for all three queries
            now = store_now(conn)
            by_status = {s.value: 0 for s in JobStatus}
            by_status.update(conn.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall())
            waiting = {p.name.lower(): 0 for p in JobPriority}
            sql = f"SELECT priority, COUNT(*) FROM jobs WHERE {_WAITING} GROUP BY priority"
            for priority, n in conn.execute(sql):
                waiting[JobPriority(priority).name.lower()] = n
            oldest = conn.execute(
                f"SELECT MIN(queued_at) FROM jobs WHERE {_WAITING} AND run_at <= ?", (now,)
            ).fetchone()[0]
        return QueueStats(
            by_status=by_status,
            waiting_by_priority=waiting,
            running=by_status[JobStatus.PROCESSING.value],
            oldest_waiting_age=None if oldest is None else max(0.0, now - oldest),
            total=sum(by_status.values()),
        )

    async def count_waiting(self, owner: str | None) -> int:
        return await self._run(_count_waiting, owner)

    async def artifact_bytes(self, owner: str | None) -> int:
        return await self._run(_artifact_bytes, owner)
