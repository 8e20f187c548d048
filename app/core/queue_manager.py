"""The seed's queue manager: submit, inspect and cancel durable, prioritized jobs.

    from app.core.queue_manager import queue_manager, JobPriority
    await queue_manager.submit_job_for_processing(
        job_id="job123", file_context=file_context, priority=JobPriority.HIGH, file_size=1024)

Jobs go into a `JobStore` (SQLite in the data directory by default, PostgreSQL with
T2V_DATABASE_URL) and are run by workers (`t2v worker`, or the ones `t2v serve` starts). Submitting
the same job_id twice with the same payload returns the existing job; with a different payload it
raises `DuplicateJob`.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from app.config import load_settings, setting_default
from app.core.jobstore.base import (
    Admission,
    AttachmentEdit,
    DuplicateJob,
    JobNotFound,
    JobPriority,
    JobRecord,
    JobStatus,
    JobStore,
    NewJob,
    QueueStats,
)

__all__ = [
    "DuplicateJob",
    "FileContext",
    "JobNotFound",
    "JobPriority",
    "JobStatus",
    "QueueManager",
    "Trust",
    "new_job_id",
    "queue_manager",
]

JOB_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def new_job_id() -> str:
    return uuid.uuid4().hex


def check_job_id(job_id: str) -> str:
    """Job ids name artifact directories, so they are restricted to a safe alphabet."""
    if not isinstance(job_id, str) or not JOB_ID_PATTERN.fullmatch(job_id):
        raise ValueError(
            f"invalid job_id {job_id!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return job_id


class Trust(str, Enum):
    """Who chose a job's options. The operator (the CLI, their own Python code) may name servers and
    files; an API caller may choose only among what the operator configured. Decided where options
    enter, stored in the payload, and checked again by the worker."""

    OPERATOR = "operator"
    CALLER = "caller"

    @classmethod
    def of(cls, value: object) -> Trust:
        """A stored value -> Trust; anything but "operator" (missing, unknown) is a caller's."""
        return cls.OPERATOR if value in (cls.OPERATOR, cls.OPERATOR.value) else cls.CALLER


_FILE_CONTEXT_KEYS = {"path", "content", "filename", "content_type", "options", "trust", "parent", "music"}


@dataclass(frozen=True)
class FileContext:
    """What to render and how: a file on a path every worker can read, or the bytes themselves.

    `trust` defaults to CALLER (fail closed): code that renders its own operator's options says so
    with `trust=Trust.OPERATOR` (or `"trust": "operator"` in a dict).
    """

    path: str | None = None
    content: bytes | None = None
    filename: str | None = None
    content_type: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    trust: Trust = Trust.CALLER
    parent: str | None = None  # the job this one re-renders with an edited storyboard
    music: str | None = None  # a music file uploaded with the job: its name in the job's own files

    def __post_init__(self) -> None:
        if (self.path is None) == (self.content is None):
            raise ValueError("file_context needs exactly one of 'path' or 'content'")
        if self.content is not None and not isinstance(self.content, bytes | bytearray):
            raise ValueError("file_context 'content' must be bytes")
        if not isinstance(self.options, Mapping):
            raise ValueError("file_context 'options' must be a dict")
        object.__setattr__(self, "trust", Trust.of(self.trust))

    @classmethod
    def coerce(cls, value: FileContext | Mapping[str, Any]) -> FileContext:
        if isinstance(value, FileContext):
            return value
        if not isinstance(value, Mapping):
            raise ValueError("file_context must be a FileContext or a dict")
        unknown = set(value) - _FILE_CONTEXT_KEYS
        if unknown:
            raise ValueError(f"unknown file_context keys: {', '.join(sorted(unknown))}")
        content = value.get("content")
        if isinstance(content, str):
            content = content.encode("utf-8")
        path = value.get("path")
        return cls(
            path=os.path.abspath(os.fspath(path)) if path is not None else None,
            content=bytes(content) if content is not None else None,
            filename=value.get("filename"),
            content_type=value.get("content_type"),
            options=dict(value.get("options") or {}),
            trust=Trust.of(value.get("trust")),
            parent=value.get("parent"),
            music=value.get("music"),
        )

    @property
    def size(self) -> int | None:
        if self.content is not None:
            return len(self.content)
        try:
            return Path(self.path or "").stat().st_size
        except OSError:
            return None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"options": dict(self.options), "trust": self.trust.value}
        if self.path is not None:
            payload["path"] = self.path
        if self.content is not None:
            payload["content_b64"] = base64.b64encode(self.content).decode("ascii")
        if self.filename is not None:
            payload["filename"] = self.filename
        if self.content_type is not None:
            payload["content_type"] = self.content_type
        if self.parent is not None:
            payload["parent"] = self.parent
        if self.music is not None:
            payload["music"] = self.music
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> FileContext:
        content = payload.get("content_b64")
        return cls(
            path=payload.get("path"),
            content=base64.b64decode(content) if content is not None else None,
            filename=payload.get("filename"),
            content_type=payload.get("content_type"),
            options=dict(payload.get("options") or {}),
            trust=Trust.of(payload.get("trust")),
            parent=payload.get("parent"),
            music=payload.get("music"),
        )


def _default_store() -> JobStore:
    from app.core.jobstore import create_store

    return create_store(load_settings())


class QueueManager:
    """Producer-side access to the job store; opens the store on first use."""

    def __init__(
        self,
        store: JobStore | None = None,
        store_factory: Callable[[], JobStore] = _default_store,
        max_attempts: int = setting_default("max_attempts"),
    ) -> None:
        self._store = store
        self._store_factory = store_factory
        self._opened = False
        self.max_attempts = max_attempts

    async def store(self) -> JobStore:
        if self._store is None:
            self._store = self._store_factory()
        if not self._opened:
            await self._store.open()
            self._opened = True
        return self._store

    async def submit_job_for_processing(
        self,
        job_id: str,
        file_context: FileContext | Mapping[str, Any],
        priority: JobPriority | str | int = JobPriority.NORMAL,
        file_size: int | None = None,
        *,
        owner: str | None = None,
        max_attempts: int | None = None,
        kind: str = "render",
        admission: Admission | None = None,
        edit: AttachmentEdit | None = None,
    ) -> JobRecord:
        """Queue a job. Returns the stored record (the existing one for an identical resubmission).
        `admission`: the owner's limits, checked atomically with the insert (raises AdmissionRefused);
        `edit`: an attachment written in the same transaction (raises StaleAttachment)."""
        check_job_id(job_id)
        context = FileContext.coerce(file_context)
        job = NewJob(
            id=job_id,
            payload=context.to_payload(),
            kind=kind,
            priority=JobPriority.parse(priority),
            max_attempts=max_attempts or self.max_attempts,
            owner=owner,
            file_size=file_size if file_size is not None else context.size,
        )
        record, _created = await (await self.store()).enqueue(job, admission, edit)
        return record

    async def get_job(self, job_id: str) -> JobRecord | None:
        return await (await self.store()).get(job_id)

    async def list_jobs(
        self, status: JobStatus | None = None, owner: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[JobRecord]:
        return await (await self.store()).list_jobs(status=status, owner=owner, limit=limit, offset=offset)

    async def cancel_job(self, job_id: str) -> JobRecord:
        return await (await self.store()).cancel(job_id)

    async def retry_job(self, job_id: str) -> JobRecord:
        return await (await self.store()).retry(job_id)

    async def stats(self) -> QueueStats:
        return await (await self.store()).stats()

    async def get_queue_status(self) -> dict[str, Any]:
        """The seed's `queue_status`: queue_size, waiting per priority, running, oldest wait."""
        s = await self.stats()
        return {
            "queue_size": s.queue_size,
            "by_priority": s.waiting_by_priority,
            "by_status": s.by_status,
            "running": s.running,
            "oldest_waiting_seconds": s.oldest_waiting_age,
            "total": s.total,
        }

    async def close(self) -> None:
        if self._store is not None and self._opened:
            await self._store.close()
        self._opened = False


queue_manager = QueueManager()
