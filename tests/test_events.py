"""Server-sent progress (`app/api/events.py`) against a real store: it polls the job's status fields
only, and reads the whole job (with its document) only to send a change."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.api.events import job_events
from app.core.jobstore.base import JobRecord, JobState, NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from tests.waiting import eventually


class CountingStore(SQLiteJobStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.gets = self.states = 0

    async def get(self, job_id: str) -> JobRecord | None:
        self.gets += 1
        return await super().get(job_id)

    async def state(self, job_id: str) -> JobState | None:
        self.states += 1
        return await super().state(job_id)


async def test_the_stream_reads_whole_jobs_only_when_they_change(tmp_path: Path) -> None:
    async with CountingStore(tmp_path / "jobs.db") as store:
        document = {"content_b64": "eA==" * 250_000}  # a 1 MB payload nobody should read 4x a second
        await store.enqueue(NewJob(id="j", payload=document))
        events: list[dict[str, str]] = []

        async def follow() -> None:
            async for event in job_events(
                store, "j", lambda job: {"s": job.status.value}, poll_seconds=0.005
            ):
                events.append(event)

        task = asyncio.create_task(follow())
        await eventually(lambda: events and store.states >= 20)
        assert store.gets == 1, "an unchanged job is not read again"
        lease = await store.claim("w", 30.0)
        assert lease is not None
        await eventually(lambda: len(events) == 2)
        await store.set_progress("j", lease.token, "speech", 50.0)
        await eventually(lambda: len(events) == 3)
        await store.complete("j", lease.token, {})
        await asyncio.wait_for(task, 30)
        assert [e["event"] for e in events] == ["job", "job", "job", "end"]
        assert store.gets == len(events) and store.states > 20


async def test_a_deleted_job_ends_the_stream(tmp_path: Path) -> None:
    async with SQLiteJobStore(tmp_path / "jobs.db") as store:
        events = [event async for event in job_events(store, "gone", lambda job: {}, poll_seconds=0.01)]
        assert [e["event"] for e in events] == ["end"] and '"deleted"' in events[0]["data"]
