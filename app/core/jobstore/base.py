"""The contract every job store keeps: where jobs live, how they are claimed, and who may write them.

The semantics (DESIGN.md, "The job queue"):
- Order: strict priority (URGENT > HIGH > NORMAL > LOW), FIFO within a priority by the store's own
  sequence number, never by client clocks. A job waiting for a retry is eligible from its `run_at`.
- `claim` is one atomic step that takes a lease: a fresh `lease_token`, `lease_until` in *store*
  time, `attempts += 1`. Every later write by the worker carries the token (fencing): once the lease
  is lost (expired and reaped, cancelled, released) the old token's writes change nothing and return
  False / None.
- `reap` returns expired leases to the queue, or fails the job when its attempts are used up, so a job
  that kills its worker cannot loop forever.
- `release` gives a running job back without spending its attempt (graceful shutdown).
- `cancel` works in every non-final state; a running job's lease is revoked, which its worker notices
  at its next heartbeat.
- Admission (`enqueue(job, Admission(...))`): per-owner limits are checked in the same transaction as
  the insert, so concurrent submits can never overshoot them.
- Purging keeps a tombstone: the payload and result are dropped, `purged_at` is set, the status and
  timings stay; a purged job is never run or retried again. Its attachments are deleted with it.
- Attachments: small named documents a job keeps beside its payload (an editor's storyboard), each
  with a revision: a counter the store bumps on every write (never a digest of the content, so a
  reader of an old A cannot write over A->B->A). `put_attachment` is a compare-and-set on that
  revision in one statement, so two API servers (or a server and a worker) can never both accept a
  write based on the same old revision. `enqueue(job, edit=AttachmentEdit(...))` makes such a write in
  the new job's own transaction: an edited storyboard and its re-render are stored both or neither.
- Quota: a job's attachments count towards its owner's stored bytes with its artifacts
  (`artifact_bytes`), since the server keeps both for the owner.
All times are seconds since the epoch in the store's clock (`await store.now()`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from app.config import setting_default

LEASE_EXPIRED = "lease expired: the worker stopped responding"


class JobPriority(IntEnum):
    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3

    @classmethod
    def parse(cls, value: str | int | JobPriority) -> JobPriority:
        if isinstance(value, JobPriority):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(p.name.lower() for p in cls)
            raise ValueError(f"unknown priority {value!r}: use one of {names}") from None


class JobStatus(str, Enum):
    QUEUED = "queued"
    PROCESSING = "processing"
    RETRYING = "retrying"  # failed an attempt, waiting for its run_at
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def waiting(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.RETRYING)


@dataclass(frozen=True)
class AttemptError:
    """Why one attempt failed, and when the next one was scheduled (None: no retry)."""

    attempt: int
    error: str
    at: float
    retry_at: float | None = None


@dataclass(frozen=True)
class NewJob:
    """What a producer hands to `enqueue`."""

    id: str
    payload: dict[str, Any]
    kind: str = "render"
    priority: JobPriority = JobPriority.NORMAL
    max_attempts: int = setting_default("max_attempts")
    owner: str | None = None  # the API key that submitted it; None for local submissions
    file_size: int | None = None


@dataclass(frozen=True)
class JobRecord:
    id: str
    kind: str
    payload: dict[str, Any]
    priority: JobPriority
    status: JobStatus
    seq: int
    attempts: int
    max_attempts: int
    queued_at: float
    run_at: float
    started_at: float | None = None
    finished_at: float | None = None
    lease_token: str | None = None
    lease_until: float | None = None
    worker_id: str | None = None
    stage: str | None = None
    percent: float = 0.0
    errors: tuple[AttemptError, ...] = ()
    result: dict[str, Any] | None = None
    owner: str | None = None
    file_size: int | None = None
    artifacts_bytes: int | None = None  # what the handler stored on disk, recorded at completion
    purged_at: float | None = None  # its payload and artifacts were deleted; the record is a tombstone

    @property
    def purged(self) -> bool:
        return self.purged_at is not None


@dataclass(frozen=True)
class JobState:
    """What a progress stream watches, without the payload (the document) or the result: read several
    times a second per follower, so it must stay small."""

    status: JobStatus
    stage: str | None
    percent: float
    attempts: int
    errors: int  # attempt errors recorded so far


@dataclass(frozen=True)
class Admission:
    """Per-owner limits that `enqueue` checks atomically with the insert (None: no limit). They apply
    only when a job is created: an identical resubmission returns the existing job whatever they say."""

    max_waiting: int | None = None  # queued + retrying jobs of the owner
    max_artifact_bytes: int | None = None  # artifacts of the owner's unpurged jobs

    def check_waiting(self, waiting: int) -> None:
        """Raise TooManyWaiting if the owner already has `max_waiting` jobs waiting."""
        if self.max_waiting is not None and waiting >= self.max_waiting:
            raise TooManyWaiting(waiting, self.max_waiting)

    def check_artifacts(self, used: int) -> None:
        """Raise QuotaExceeded if the owner's stored artifacts reach `max_artifact_bytes`."""
        if self.max_artifact_bytes is not None and used >= self.max_artifact_bytes:
            raise QuotaExceeded(used, self.max_artifact_bytes)


@dataclass(frozen=True)
class Lease:
    """A claimed job and the token that every later write must carry."""

    job: JobRecord
    token: str

    @property
    def job_id(self) -> str:
        return self.job.id


@dataclass(frozen=True)
class QueueStats:
    by_status: dict[str, int]
    waiting_by_priority: dict[str, int]  # queued + retrying, by priority name (lowercase)
    running: int
    oldest_waiting_age: float | None  # seconds the oldest eligible waiting job has waited
    total: int

    @property
    def queue_size(self) -> int:
        return sum(self.waiting_by_priority.values())


@dataclass(frozen=True)
class WorkerInfo:
    """A worker process, as it registered itself and last reported."""

    id: str
    host: str
    pid: int
    started_at: float
    last_seen: float
    running: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Attachment:
    """A named document kept with a job (`body` is text, e.g. JSON), at `revision` (1 for the first
    write, bumped by one on each accepted write)."""

    job_id: str
    name: str
    revision: int
    body: str
    updated_at: float


@dataclass(frozen=True)
class AttachmentEdit:
    """An attachment write that `enqueue` makes in the new job's transaction, so that the edit and the
    job it queues are stored both or neither (a refused enqueue changes no attachment; a stale edit
    queues no job). Attachment `name` of job `job_id` is written only from revision `expected` (else
    StaleAttachment). `parts` are the attachments the body refers to, each named `prefix...`: a body
    stores one the job lacks, None names one it holds; every other attachment of the job named
    `prefix...` is deleted (nothing current refers to it, and it counts towards the owner's quota)."""

    job_id: str
    name: str
    body: str
    expected: int
    prefix: str
    parts: Mapping[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.prefix or self.name.startswith(self.prefix):
            raise ValueError(f"the edited attachment {self.name!r} must not be one of its parts")
        if stray := [n for n in self.parts if not n.startswith(self.prefix)]:
            raise ValueError(f"parts must be named {self.prefix!r}...: not {stray[0]!r}")


class JobStoreError(Exception):
    """Base of the store's own errors."""


class DuplicateJob(JobStoreError):
    """A job with this id exists with a different payload."""


class JobNotFound(JobStoreError):
    pass


class AdmissionRefused(JobStoreError):
    """The owner is over one of the limits of an `Admission`; nothing was stored."""


class StaleAttachment(JobStoreError):
    """An `AttachmentEdit` found its attachment at another revision (or its job purged): nothing
    was stored, no job was queued."""


class TooManyWaiting(AdmissionRefused):
    def __init__(self, waiting: int, limit: int) -> None:
        super().__init__(f"{waiting} jobs are already waiting (the limit is {limit})")
        self.waiting, self.limit = waiting, limit


class QuotaExceeded(AdmissionRefused):
    def __init__(self, used: int, quota: int) -> None:
        super().__init__(
            f"the stored videos and storyboards take {used} bytes, over the quota of {quota} bytes"
        )
        self.used, self.quota = used, quota


class JobStore(abc.ABC):
    """Durable jobs. Implementations: SQLite (default, one machine), PostgreSQL (many machines)."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create or migrate the schema."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def now(self) -> float:
        """The store's clock: the only clock that leases and run_at are compared with."""

    @abc.abstractmethod
    async def enqueue(
        self, job: NewJob, admission: Admission | None = None, edit: AttachmentEdit | None = None
    ) -> tuple[JobRecord, bool]:
        """Add a job; returns (record, created). The same id with the same payload, kind and priority
        returns the existing job with created=False (and writes no `edit`); with anything different
        raises DuplicateJob. A new job over an `admission` limit of its owner raises TooManyWaiting or
        QuotaExceeded; an `edit` not at its expected revision raises StaleAttachment. A new job is
        stored with its `edit`, in one transaction, or not at all."""

    @abc.abstractmethod
    async def claim(
        self, worker_id: str, lease_seconds: float, kinds: tuple[str, ...] | None = None
    ) -> Lease | None:
        """Atomically take the first eligible job in priority order, or None when there is none."""

    @abc.abstractmethod
    async def heartbeat(self, job_id: str, token: str, lease_seconds: float) -> bool:
        """Extend the lease to now + lease_seconds. False: the lease is lost, stop working."""

    @abc.abstractmethod
    async def set_progress(self, job_id: str, token: str, stage: str, percent: float) -> bool: ...

    @abc.abstractmethod
    async def complete(
        self, job_id: str, token: str, result: dict[str, Any], artifacts_bytes: int | None = None
    ) -> bool:
        """Record success; `artifacts_bytes` (what the job left on disk) counts against its owner's quota."""

    @abc.abstractmethod
    async def fail(self, job_id: str, token: str, error: str, retry_at: float | None) -> JobRecord | None:
        """Record the attempt's error; retry at `retry_at` (store time) if attempts remain and
        retry_at is not None, else fail for good. None: the lease was lost, nothing written."""

    @abc.abstractmethod
    async def release(self, job_id: str, token: str) -> bool:
        """Give the job back to the queue without spending its attempt; it keeps its place."""

    @abc.abstractmethod
    async def cancel(self, job_id: str) -> JobRecord:
        """Cancel a waiting or running job (a final job is returned unchanged). Raises JobNotFound."""

    @abc.abstractmethod
    async def retry(self, job_id: str) -> JobRecord:
        """Put a failed or cancelled job back in the queue with fresh attempts, keeping its error
        history (other states, and purged jobs, are returned unchanged). Raises JobNotFound."""

    @abc.abstractmethod
    async def purge(self, job_id: str) -> JobRecord:
        """Cancel the job if it is not final, then drop its payload and result and set `purged_at`
        (kept from the first purge). Returns the tombstone. Raises JobNotFound."""

    @abc.abstractmethod
    async def purge_finished(self, older_than: float, limit: int = 500) -> list[str]:
        """Purge up to `limit` final jobs that finished more than `older_than` seconds ago (retention);
        returns their ids, oldest first."""

    @abc.abstractmethod
    async def purged_since(self, since: float) -> list[str]:
        """Ids of jobs purged at or after `since` (store time), to sweep what a racing worker published."""

    @abc.abstractmethod
    async def get(self, job_id: str) -> JobRecord | None: ...

    @abc.abstractmethod
    async def get_attachment(self, job_id: str, name: str) -> Attachment | None:
        """The job's attachment `name`, or None when it has none (or the job was purged)."""

    @abc.abstractmethod
    async def put_attachment(self, job_id: str, name: str, body: str, expected: int | None) -> int | None:
        """Write the attachment if it is still at revision `expected` (None: only if the job has none
        yet), atomically, bumping its revision. Returns the new revision (`expected + 1`, or 1), or
        None when it is not at `expected` (someone else's write came first, or this one was already
        made): nothing changed. Raises JobNotFound for no job, and writes nothing to a purged job."""

    @abc.abstractmethod
    async def attachment_revision(self, job_id: str, name: str) -> int | None:
        """The revision of the job's attachment `name` (its body not read), or None when it has none."""

    @abc.abstractmethod
    async def state(self, job_id: str) -> JobState | None:
        """The job's status fields only (cheap, for polling); None when there is no such job."""

    @abc.abstractmethod
    async def list_jobs(
        self,
        status: JobStatus | None = None,
        owner: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JobRecord]:
        """Newest first."""

    @abc.abstractmethod
    async def reap(self) -> list[str]:
        """Requeue (or fail, when attempts are used up) every job whose lease has expired; returns
        their ids. The lost attempt stays counted and is recorded in `errors`."""

    @abc.abstractmethod
    async def stats(self) -> QueueStats: ...

    @abc.abstractmethod
    async def count_waiting(self, owner: str | None) -> int:
        """Queued and retrying jobs of one owner (for per-key limits)."""

    @abc.abstractmethod
    async def artifact_bytes(self, owner: str | None) -> int:
        """Bytes the owner's unpurged jobs keep on the server, for per-key quotas: their artifacts
        and their attachments (a storyboard and its pictures)."""

    # worker registry (Solid Queue's processes table)
    @abc.abstractmethod
    async def register_worker(self, worker_id: str, host: str, pid: int) -> None: ...

    @abc.abstractmethod
    async def worker_heartbeat(self, worker_id: str, running: tuple[str, ...]) -> bool:
        """Record that the worker is alive and what it runs. False: it is not registered (it was
        pruned after a long silence), so register again."""

    @abc.abstractmethod
    async def deregister_worker(self, worker_id: str) -> None: ...

    @abc.abstractmethod
    async def list_workers(self) -> list[WorkerInfo]: ...

    @abc.abstractmethod
    async def prune_workers(self, older_than: float) -> list[str]:
        """Remove workers silent for `older_than` seconds; return their ids."""

    async def __aenter__(self) -> JobStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
