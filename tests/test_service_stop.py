"""`t2v serve` stops within its grace period whatever an in-process worker's handler does (issue 11)."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import psutil
import pytest

from app.core.jobstore.base import JobRecord, JobStatus, NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from tests.service import Server, served
from tests.waiting import wait_until

pytestmark = pytest.mark.slow


async def _store_call(server: Server, call):  # type: ignore[no-untyped-def]
    async with SQLiteJobStore(server.data_dir / "jobs.db") as store:
        return await call(store)


def _job(server: Server, job_id: str) -> JobRecord:
    return asyncio.run(_store_call(server, lambda s: s.get(job_id)))


def test_sigterm_with_a_wedged_handler_abandons_it_and_exits(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    env = {"T2V_GRACE_SECONDS": "0.5", "T2V_STOP_SECONDS": "0.5", "T2V_API_KEYS": "k-secret"}
    with served(tmp_path, "--workers", "1", **env) as server:
        job = NewJob(id="wedged", kind="wedge", payload={"options": {"log": str(log)}}, max_attempts=3)
        asyncio.run(_store_call(server, lambda s: s.enqueue(job)))
        wait_until(lambda: log.exists() and log.read_text().strip(), timeout=60, what=server.output)
        started = json.loads(log.read_text().splitlines()[0])
        assert server.stop(signal.SIGTERM, timeout=60) == 0, server.output()
        assert "abandoned 1 job(s)" in server.output()
        assert (
            not psutil.pid_exists(started["child"]) or psutil.Process(started["child"]).status() == "zombie"
        )
        assert server.leftover_temp_files() == []
        record = _job(server, "wedged")
        assert record.status == JobStatus.RETRYING and record.attempts == 1, record
        assert "abandoned" in record.errors[-1].error
