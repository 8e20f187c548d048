"""A job's progress as server-sent events: one `job` event per change, then `end` at a final state.

The store is the only source of truth (a worker may be another process or machine), so the stream
polls it: a few times a second it reads only the job's status fields (`JobStore.state`, never the
document in the payload), and reads the whole job only when they changed, to send it.

When the server shuts down, every stream still ends with `end`, carrying the job as it is at that
moment (its status is then not final: follow it again once the server is back), and the response
completes normally, so clients see a clean end instead of a cut connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio

from app.core.jobstore.base import JobRecord, JobState, JobStore

POLL_SECONDS = 0.25
SHUTDOWN_GRACE_SECONDS = 2.0  # how long a stream may take to send its last event once shutdown begins


def _deleted(job_id: str) -> dict[str, str]:
    return {"event": "end", "data": json.dumps({"id": job_id, "status": "deleted"})}


async def job_events(
    store: JobStore,
    job_id: str,
    render: Callable[[JobRecord], dict[str, Any]],
    poll_seconds: float = POLL_SECONDS,
    shutdown: anyio.Event | None = None,
) -> AsyncIterator[dict[str, str]]:
    """`shutdown`: set when the server is stopping (sse-starlette sets it); the stream then ends."""
    last: JobState | None = None
    seq = 0
    while True:
        state = await store.state(job_id)
        if state is None:
            yield _deleted(job_id)
            return
        if state != last:
            job = await store.get(job_id)
            if job is None:
                yield _deleted(job_id)
                return
            last = JobState(job.status, job.stage, job.percent, job.attempts, len(job.errors))
            seq += 1
            kind = "end" if job.status.final else "job"
            yield {"event": kind, "id": str(seq), "data": json.dumps(render(job), ensure_ascii=False)}
            if job.status.final:
                return
        if shutdown is None:
            await anyio.sleep(poll_seconds)
            continue
        with anyio.move_on_after(poll_seconds):
            await shutdown.wait()
        if shutdown.is_set():
            final = await store.get(job_id)
            if final is None:
                yield _deleted(job_id)
            else:
                data = json.dumps(render(final), ensure_ascii=False)
                yield {"event": "end", "id": str(seq + 1), "data": data}
            return
