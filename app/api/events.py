"""A job's progress as server-sent events: one `job` event per change, then `end` at a final state.

The store is the only source of truth (a worker may be another process or machine), so the stream
polls it; a poll is one indexed read, and events are sent only when something changed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from app.core.jobstore.base import JobRecord, JobStore

POLL_SECONDS = 0.25


async def job_events(
    store: JobStore,
    job_id: str,
    render: Callable[[JobRecord], dict[str, Any]],
    poll_seconds: float = POLL_SECONDS,
) -> AsyncIterator[dict[str, str]]:
    last: tuple[Any, ...] | None = None
    seq = 0
    while True:
        job = await store.get(job_id)
        if job is None:
            yield {"event": "end", "data": json.dumps({"id": job_id, "status": "deleted"})}
            return
        state = (job.status, job.stage, job.percent, job.attempts, len(job.errors))
        if state != last:
            last = state
            seq += 1
            kind = "end" if job.status.final else "job"
            yield {"event": kind, "id": str(seq), "data": json.dumps(render(job), ensure_ascii=False)}
        if job.status.final:
            return
        await asyncio.sleep(poll_seconds)
