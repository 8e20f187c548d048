"""A worker: claims jobs while the machine has room, runs their handlers, and keeps its leases alive.

One claim per free job slot, only while CPU and memory are under the limits (no prefetch). While a
job runs, a heartbeat extends its lease about once a second; a heartbeat that is refused means the
lease is gone (the job was cancelled, or reaped and given to another worker), and the handler is
cancelled at once. Handlers run as asyncio tasks and do their blocking work in subprocesses or
threads, so the heartbeat never starves.

Stopping (SIGTERM): claim nothing more, let running jobs finish within the grace period, then cancel
them. A handler that stops within `stop_seconds` of its cancellation (every stage of a render checks
for it) has its lease released without spending an attempt. One that does not is abandoned: its
attempt is spent (recorded as a failure, retried with backoff until its attempts run out, so a job
that always wedges its worker ends failed rather than going round forever), and `abandoned` tells
the process's owner to exit without waiting for it (`app.core.shutdown.hard_exit`).

A handler returns a JSON-able dict; if it stored files, it reports their total size as
`artifacts_bytes` in that dict, and the store records it with the completion (per-key quotas).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.config import setting_default
from app.core.backoff import RetryPolicy
from app.core.jobstore.base import JobRecord, JobStore, Lease
from app.core.lifecycle import DataLifecycle
from app.core.resource_manager import ResourceManager
from app.errors import InputError

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a handler's context when its lease is lost: stop and write nothing."""


@dataclass
class JobContext:
    """What a handler gets: the job, a progress reporter, and a fenced check before publishing."""

    job: JobRecord
    _worker: Worker
    _lease: Lease
    _last_progress: float = 0.0
    _last_stage: str | None = None

    @property
    def attempt(self) -> int:
        return self.job.attempts

    async def progress(self, stage: str, percent: float) -> None:
        """Store progress; throttled, except when the stage changes or the job is done."""
        now = time.monotonic()
        if stage == self._last_stage and percent < 100 and now - self._last_progress < 0.5:
            return
        self._last_stage, self._last_progress = stage, now
        ok = await self._worker.store.set_progress(self.job.id, self._lease.token, stage, percent)
        if not ok:
            raise JobCancelled(self.job.id)

    async def ensure_lease(self) -> None:
        """Call right before publishing results: a worker that lost its lease must not publish."""
        ok = await self._worker.store.heartbeat(
            self.job.id, self._lease.token, self._worker.config.lease_seconds
        )
        if not ok:
            raise JobCancelled(self.job.id)


Handler = Callable[[JobContext], Coroutine[Any, Any, dict[str, Any]]]


def _artifacts_bytes(result: dict[str, Any]) -> int | None:
    size = result.get("artifacts_bytes") if isinstance(result, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None


@dataclass(frozen=True)
class WorkerConfig:
    lease_seconds: float = setting_default("lease_seconds")
    heartbeat_seconds: float = setting_default("heartbeat_seconds")
    poll_seconds: float = setting_default("poll_seconds")
    reap_seconds: float = 5.0
    grace_seconds: float = setting_default("grace_seconds")
    # how long a cancelled handler may take to stop before it is abandoned
    stop_seconds: float = setting_default("stop_seconds")
    worker_timeout_seconds: float = 60.0  # a worker silent this long is pruned from the registry
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass
class _Running:
    lease: Lease
    task: asyncio.Task[None]  # the whole execution: handler, then recording its outcome
    handler: asyncio.Task[dict[str, Any]] | None = None
    lost: bool = False  # the lease is gone (cancelled, taken, released): write nothing more

    def stop_handler(self) -> None:
        self.lost = True
        if self.handler is not None:
            self.handler.cancel()


class Worker:
    def __init__(
        self,
        store: JobStore,
        resources: ResourceManager,
        handlers: dict[str, Handler],
        config: WorkerConfig | None = None,
        worker_id: str | None = None,
        wakeup: asyncio.Event | None = None,
        lifecycle: DataLifecycle | None = None,
    ) -> None:
        self.store = store
        self.lifecycle = lifecycle
        self.resources = resources
        self.handlers = handlers
        self.config = config or WorkerConfig()
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.wakeup = wakeup or asyncio.Event()
        self.running: dict[str, _Running] = {}
        self.completed = 0
        self.abandoned: list[str] = []  # jobs whose handlers did not stop when cancelled at shutdown
        self._stopping = asyncio.Event()
        self._changed = asyncio.Event()

    def stop(self) -> None:
        """Stop claiming; `run` then drains within the grace period and returns."""
        self._stopping.set()
        self._changed.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self, burst: bool = False) -> None:
        """Claim and run jobs until stopped (or, with burst, until nothing is left to claim)."""
        await self.store.register_worker(self.id, socket.gethostname(), os.getpid())
        housekeeping = asyncio.create_task(self._housekeeping())
        try:
            await self._claim_loop(burst)
            await self._drain()
        finally:
            housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeping
            with contextlib.suppress(Exception):
                await self.store.deregister_worker(self.id)

    async def _claim_loop(self, burst: bool) -> None:
        kinds = tuple(self.handlers)
        while not self.stopping:
            claimed = False
            if self.resources.jobs.free > 0 and self.resources.resources_allow_job():
                lease = await self.store.claim(self.id, self.config.lease_seconds, kinds)
                if lease is not None:
                    await self.resources.jobs.acquire()  # free > 0 was checked: this does not wait
                    self._start(lease)
                    claimed = True
                elif burst and not self.running and await self._nothing_left():
                    return
            if claimed:
                continue
            await self._wait_for_change()

    async def _nothing_left(self) -> bool:
        await self.store.reap()
        stats = await self.store.stats()
        return stats.queue_size == 0 and stats.running == 0

    async def _wait_for_change(self) -> None:
        self._changed.clear()
        waits = [asyncio.create_task(self._changed.wait()), asyncio.create_task(self.wakeup.wait())]
        try:
            await asyncio.wait(waits, timeout=self.config.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            self.wakeup.clear()

    def _start(self, lease: Lease) -> None:
        task = asyncio.create_task(self._execute(lease), name=f"job-{lease.job_id}")
        self.running[lease.job_id] = _Running(lease, task)

    async def _execute(self, lease: Lease) -> None:
        job, token = lease.job, lease.token
        beat = asyncio.create_task(self._heartbeat(lease))
        try:
            handler = self.handlers[job.kind]
            ctx = JobContext(job, self, lease)
            handler_task = asyncio.create_task(handler(ctx))
            self.running[job.id].handler = handler_task
            try:
                result = await handler_task
            except JobCancelled:
                log.info("job %s: lease lost or cancelled; stopped", job.id)
                return
            except asyncio.CancelledError:
                entry = self.running.get(job.id)
                if entry is not None and entry.lost:
                    log.info("job %s: lease lost or cancelled; stopped", job.id)
                    return
                raise
            except Exception as exc:  # the handler failed: retry or fail for good
                await self._record_failure(lease, exc)
                return
            if await self.store.complete(job.id, token, result, _artifacts_bytes(result)):
                self.completed += 1
                log.info("job %s completed", job.id)
            else:
                log.warning("job %s finished but its lease was lost; result discarded", job.id)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            self.running.pop(job.id, None)
            self.resources.jobs.release()
            self._changed.set()

    async def _record_failure(self, lease: Lease, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        # bad input stays bad: no retry
        await self._spend_attempt(lease, message, retry=not isinstance(exc, InputError))

    async def _spend_attempt(self, lease: Lease, message: str, retry: bool = True) -> None:
        """Record the attempt's error; retry with backoff while attempts remain."""
        job = lease.job
        retry_at = None
        if retry and job.attempts < job.max_attempts:
            retry_at = await self.store.now() + self.config.retry.delay(job.attempts)
        record = await self.store.fail(job.id, lease.token, message, retry_at)
        if record is None:
            log.warning("job %s failed after losing its lease: %s", job.id, message)
        elif retry_at is not None:
            log.warning(
                "job %s attempt %d failed (%s); retry in %.1f s",
                job.id,
                job.attempts,
                message,
                retry_at - (await self.store.now()),
            )
        else:
            log.error("job %s failed for good after %d attempts: %s", job.id, job.attempts, message)

    async def _heartbeat(self, lease: Lease) -> None:
        """Extend the lease; when the store refuses, the job is cancelled or taken: stop the handler."""
        while True:
            await asyncio.sleep(self.config.heartbeat_seconds)
            try:
                ok = await self.store.heartbeat(lease.job_id, lease.token, self.config.lease_seconds)
            except Exception:  # the store is unreachable: keep the job running, try again
                log.warning("job %s: heartbeat failed; will retry", lease.job_id, exc_info=True)
                continue
            if not ok:
                entry = self.running.get(lease.job_id)
                if entry is not None:
                    entry.stop_handler()
                return

    async def _housekeeping(self) -> None:
        """Reap expired leases, prune dead workers and report ourselves, every few seconds."""
        while True:
            try:
                if not await self.store.worker_heartbeat(self.id, tuple(self.running)):
                    # pruned while we were paused or partitioned: register again
                    await self.store.register_worker(self.id, socket.gethostname(), os.getpid())
                if await self.store.reap():
                    self.wakeup.set()
                await self.resources.maybe_cleanup()  # memory past the threshold: free caches
                await self.store.prune_workers(self.config.worker_timeout_seconds)
                if self.lifecycle is not None:
                    await self.lifecycle.maybe_sweep()  # retention, and files of purged jobs
            except Exception:
                log.warning("housekeeping failed; will retry", exc_info=True)
            await asyncio.sleep(self.config.reap_seconds)

    async def _drain(self) -> None:
        """Let running jobs finish within the grace period; then cancel them. Those that stop within
        `stop_seconds` are released, attempt unspent; the others are abandoned, attempt spent."""
        if not self.running:
            return
        tasks = [r.task for r in self.running.values()]
        _, pending = await asyncio.wait(tasks, timeout=self.config.grace_seconds)
        if not pending:
            return
        late = [r for r in self.running.values() if r.task in pending]
        for entry in late:
            entry.stop_handler()  # we are giving it back: record no failure
        await asyncio.wait([r.task for r in late], timeout=self.config.stop_seconds)
        for entry in late:
            lease = entry.lease
            with contextlib.suppress(Exception):
                if entry.task.done():
                    if await self.store.release(lease.job_id, lease.token):
                        log.info("job %s released back to the queue (attempt unspent)", lease.job_id)
                    continue
                self.abandoned.append(lease.job_id)
                await self._spend_attempt(
                    lease,
                    f"abandoned: the handler did not stop within {self.config.stop_seconds:g} s "
                    "of being cancelled at shutdown",
                )
