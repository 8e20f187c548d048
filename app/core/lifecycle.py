"""The data lifecycle: forgetting what an owner deletes and what is older than the retention period.

Purging a job turns it into a tombstone in the store (its document and result dropped, `purged_at` set,
status and timings kept) and then removes its artifacts directory (`artifacts/<job id>/`). The store is
written first: a crash in between leaves files of a purged job, and the next sweep removes them. Each
sweep also removes the directories of every job purged since shortly before the previous sweep, which
catches a worker that published its files just as its job was purged (its lease was revoked, so it
cannot record them, but the files were already in place).

Sweeps run from every worker's housekeeping and from the server's monitoring loop, at most once per
`interval` in a process; concurrent sweeps elsewhere are harmless (each purge and removal is idempotent).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path

from app.core.jobstore.base import JobRecord, JobStore
from app.core.queue_manager import JOB_ID_PATTERN

log = logging.getLogger(__name__)

BATCH = 500  # jobs purged per store call, so one sweep never holds a long write transaction
LOOKBACK_SECONDS = 600.0  # how far before the previous sweep a sweep looks for purged jobs' files


class DataLifecycle:
    def __init__(
        self,
        store: JobStore,
        artifacts_root: Path,
        retention_seconds: float | None = None,
        interval: float = 300.0,
    ) -> None:
        self.store = store
        self.artifacts_root = Path(artifacts_root)
        self.retention_seconds = retention_seconds
        self.interval = interval
        self._last_sweep: float | None = None  # monotonic, for pacing
        self._swept_since: float | None = None  # store time the previous sweep started
        self._lock = asyncio.Lock()

    def artifacts_dir(self, job_id: str) -> Path | None:
        """Where a job's files live; None for an id that cannot name a directory (never a path)."""
        return self.artifacts_root / job_id if JOB_ID_PATTERN.fullmatch(job_id) else None

    async def remove_artifacts(self, job_ids: list[str]) -> int:
        """Remove the jobs' artifacts directories; returns how many existed."""
        dirs = [d for d in map(self.artifacts_dir, job_ids) if d is not None]

        def remove() -> int:
            removed = 0
            for d in dirs:
                if d.exists():
                    shutil.rmtree(d, ignore_errors=True)
                    removed += 1
            return removed

        return await asyncio.to_thread(remove) if dirs else 0

    async def purge(self, job_id: str) -> JobRecord:
        """Delete a job's document and files, keeping its tombstone (cancels it first if it runs).
        Raises JobNotFound."""
        record = await self.store.purge(job_id)
        await self.remove_artifacts([job_id])
        log.info("job %s purged", job_id)
        return record

    async def sweep(self) -> list[str]:
        """One pass: purge jobs past the retention period, then remove the files of every job purged
        recently. Returns the ids purged by retention in this pass."""
        async with self._lock:
            return await self._sweep()

    async def maybe_sweep(self) -> None:
        """Sweep if the last sweep in this process was at least `interval` ago (workers of one process
        share this object, so they sweep once between them)."""
        async with self._lock:
            if self._last_sweep is None or time.monotonic() - self._last_sweep >= self.interval:
                await self._sweep()

    async def _sweep(self) -> list[str]:
        started = await self.store.now()
        expired: list[str] = []
        if self.retention_seconds is not None:
            while True:
                batch = await self.store.purge_finished(self.retention_seconds, BATCH)
                expired += batch
                await self.remove_artifacts(batch)
                if len(batch) < BATCH:
                    break
        since = min(self._swept_since if self._swept_since is not None else started, started)
        await self.remove_artifacts(await self.store.purged_since(since - LOOKBACK_SECONDS))
        self._swept_since = started
        self._last_sweep = time.monotonic()
        if expired:
            log.info(
                "retention: purged %d finished job(s) older than %.0f s", len(expired), self.retention_seconds
            )
        return expired
