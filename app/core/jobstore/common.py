"""What every job store does the same way, whatever its SQL dialect: strict JSON, the checks made
before a write, and rows read back as records. (The SQL itself stays with each dialect.)"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Protocol

from app.core.jobstore.base import (
    Attachment,
    AttemptError,
    DuplicateJob,
    JobPriority,
    JobRecord,
    JobState,
    JobStatus,
    NewJob,
    WorkerInfo,
)


def dump_json(value: Any, what: str) -> str:
    """Strict JSON (no NaN), so that what SQLite accepts PostgreSQL's jsonb would accept too."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise ValueError(f"the {what} must be JSON-serializable: {e}") from None


def check_new_job(job: NewJob) -> tuple[str, JobPriority]:
    """Refuse a job no store may hold; returns its payload as JSON and its priority."""
    if not job.id:
        raise ValueError("a job needs a non-empty id")
    if not isinstance(job.payload, dict):
        raise ValueError(f"the payload must be a JSON object, not {type(job.payload).__name__}")
    if job.max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, not {job.max_attempts}")
    return dump_json(job.payload, "payload"), JobPriority.parse(job.priority)


def text_bytes(body: str) -> int:
    """An attachment's size as the quota counts it: its UTF-8 bytes."""
    return len(body.encode("utf-8"))


def check_same_job(existing: JobRecord, job: NewJob, payload: str, priority: JobPriority) -> None:
    """An enqueue that found the id taken: the same job again is fine, anything else is a DuplicateJob."""
    differs = [
        name
        for name, same in (
            ("kind", existing.kind == job.kind),
            ("payload", existing.payload == json.loads(payload)),
            ("priority", existing.priority == priority),
        )
        if not same
    ]
    if differs:
        raise DuplicateJob(f"job {job.id!r} already exists with a different {', '.join(differs)}")


def check_lease_seconds(lease_seconds: float) -> float:
    if not lease_seconds > 0 or math.isinf(lease_seconds):
        raise ValueError(f"lease_seconds must be a positive number of seconds, not {lease_seconds!r}")
    return float(lease_seconds)


def clamp_percent(percent: float) -> float:
    percent = float(percent)
    return 0.0 if math.isnan(percent) else min(100.0, max(0.0, percent))


class Row(Protocol):
    """A result row, read by column name (sqlite3.Row, psycopg's dict rows)."""

    def __getitem__(self, key: str, /) -> Any: ...


def _same(value: Any) -> Any:
    return value


def record_from_row(row: Row, load_json: Callable[[Any], Any] = _same) -> JobRecord:
    """A jobs row as a JobRecord; `load_json` decodes the JSON columns (SQLite stores them as text,
    psycopg hands jsonb over decoded)."""
    return JobRecord(
        id=row["id"],
        kind=row["kind"],
        payload=load_json(row["payload"]),
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
        errors=tuple(AttemptError(**e) for e in load_json(row["errors"])),
        result=None if row["result"] is None else load_json(row["result"]),
        owner=row["owner"],
        file_size=row["file_size"],
        artifacts_bytes=row["artifacts_bytes"],
        purged_at=row["purged_at"],
    )


def state_from_row(row: Row) -> JobState:
    return JobState(
        status=JobStatus(row["status"]),
        stage=row["stage"],
        percent=float(row["percent"]),
        attempts=row["attempts"],
        errors=int(row["errors"]),
    )


def attachment_from_row(row: Row) -> Attachment:
    return Attachment(
        job_id=row["job_id"],
        name=row["name"],
        revision=int(row["revision"]),
        body=row["body"],
        updated_at=float(row["updated_at"]),
    )


def worker_from_row(row: Row, load_json: Callable[[Any], Any] = _same) -> WorkerInfo:
    return WorkerInfo(
        id=row["id"],
        host=row["host"],
        pid=row["pid"],
        started_at=row["started_at"],
        last_seen=row["last_seen"],
        running=tuple(load_json(row["running"])),
    )
