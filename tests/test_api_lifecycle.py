"""The data lifecycle through the real interfaces: an owner's purge over HTTP and with `t2v purge`,
the per-key quota on stored videos, and retention applied by a running server's worker."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.jobstore.base import JobRecord, JobStatus, NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from tests.conftest import CLI
from tests.service import Server, read_events, served, service_env
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

DOCUMENT = "# A secret plan\n\nThe quick brown fox keeps a secret.\n"


def stored(server: Server, job_id: str) -> JobRecord:
    async def get() -> JobRecord | None:
        async with SQLiteJobStore(server.data_dir / "jobs.db") as store:
            return await store.get(job_id)

    record = asyncio.run(get())
    assert record is not None
    return record


def tree_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def test_owners_purge_their_jobs_and_the_quota_counts_their_videos(tmp_path: Path) -> None:
    with served(
        tmp_path, "--workers", "1", T2V_API_KEYS="key-a,key-b", T2V_ARTIFACT_QUOTA_BYTES_PER_KEY="1000"
    ) as server:
        a, b = server.client("key-a"), server.client("key-b")
        job = a.post("/v1/jobs", json={"text": DOCUMENT, "name": "plan.md"}).json()
        done = read_events(a, job["links"]["events"])[-1][1]
        assert done["status"] == "completed" and done["purged_at"] is None, done
        artifacts = server.data_dir / "artifacts" / job["id"]
        assert stored(server, job["id"]).artifacts_bytes == tree_size(artifacts) > 1000

        # A's videos now take more than its quota: a clear refusal; B has its own quota
        over = a.post("/v1/jobs", json={"text": "One more."})
        assert over.status_code == 429 and "quota of 1000 bytes" in over.json()["detail"], over.text
        assert "purge=1" in over.json()["detail"]

        # only the owner may purge: to anyone else the job does not exist
        assert b.delete(f"/v1/jobs/{job['id']}", params={"purge": 1}).status_code == 404
        assert artifacts.is_dir()

        purged = a.delete(f"/v1/jobs/{job['id']}", params={"purge": 1})
        assert purged.status_code == 200, purged.text
        tombstone = purged.json()
        assert tombstone["status"] == "completed" and tombstone["purged_at"], tombstone
        assert tombstone["result"] is None and tombstone["name"] is None and tombstone["options"] == {}
        assert tombstone["links"]["video"] is None and tombstone["links"]["captions_srt"] is None
        assert not artifacts.exists()
        record = stored(server, job["id"])
        assert record.payload == {} and record.result is None and record.purged, record
        assert a.get(f"/v1/jobs/{job['id']}").json()["purged_at"] == tombstone["purged_at"]
        gone = a.get(done["links"]["video"])  # a link handed out before the purge
        assert gone.status_code == 410 and "purged" in gone.json()["detail"]
        assert a.post(f"/v1/jobs/{job['id']}/retry").status_code == 409
        assert b.get(f"/v1/jobs/{job['id']}").status_code == 404

        # the quota is free again; `t2v purge` does the same from the command line
        second = a.post("/v1/jobs", json={"text": DOCUMENT})
        assert second.status_code == 202, second.text
        second_id = second.json()["id"]
        assert read_events(a, second.json()["links"]["events"])[-1][1]["status"] == "completed"
        assert (server.data_dir / "artifacts" / second_id).is_dir()
        cli = subprocess.run(
            [sys.executable, "-m", "app.cli", "purge", second_id],
            env=service_env(server.data_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode == 0 and cli.stdout.strip() == f"{second_id}: purged (completed)", cli
        assert not (server.data_dir / "artifacts" / second_id).exists()
        assert stored(server, second_id).payload == {}
        missing = subprocess.run(
            [sys.executable, "-m", "app.cli", "purge", "no-such-job"],
            env=service_env(server.data_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1, missing


def test_purging_a_waiting_job_from_the_command_line_cancels_it(cli: CLI) -> None:
    (cli.cwd / "plan.md").write_text(DOCUMENT)
    submitted = cli.run("submit", "plan.md")
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.decode().strip()
    purged = cli.run("purge", job_id)
    assert purged.returncode == 0 and purged.stdout.decode().strip() == f"{job_id}: purged (cancelled)"
    shown = json.loads(cli.run("job", job_id).stdout)
    assert shown["status"] == "cancelled" and shown["purged_at"], shown
    retried = cli.run("retry", job_id)
    assert retried.returncode == 2 and b"purged" in retried.stderr, retried


def test_retention_purges_finished_jobs_and_their_files(tmp_path: Path) -> None:
    retention = 3.0  # seconds
    with served(
        tmp_path,
        "--workers",
        "1",
        T2V_API_KEYS="admin:root",
        T2V_RETENTION_DAYS=str(retention / 86400),
        T2V_RETENTION_CHECK_SECONDS="0.2",
        T2V_GRACE_SECONDS="1",
    ) as server:
        log = str(tmp_path / "events.jsonl")

        async def enqueue() -> None:
            async with SQLiteJobStore(server.data_dir / "jobs.db") as store:
                await store.enqueue(
                    NewJob("running", {"options": {"log": log, "seconds": 60}}, kind="record")
                )
                await store.enqueue(NewJob("old", {"options": {"bytes": 5000}}, kind="artifact"))

        asyncio.run(enqueue())
        artifacts = server.data_dir / "artifacts" / "old"
        wait_until(
            lambda: stored(server, "old").status == JobStatus.COMPLETED,
            timeout=120,
            what="the job to complete",
        )
        done = server.client("root").get("/v1/jobs/old").json()
        assert done["purged_at"] is None and done["links"]["video"], done
        assert (artifacts / "video.mp4").stat().st_size == 5000
        assert stored(server, "old").artifacts_bytes == 5000

        wait_until(lambda: stored(server, "old").purged, timeout=120, what="retention to purge the job")
        wait_until(lambda: not artifacts.exists(), timeout=120, what="its files to be removed")
        record = stored(server, "old")
        assert record.finished_at is not None and record.purged_at is not None
        assert record.purged_at - record.finished_at >= retention
        tombstone = server.client("root").get("/v1/jobs/old").json()
        assert (
            tombstone["status"] == "completed" and tombstone["purged_at"] and not tombstone["links"]["video"]
        )
        assert server.client("root").get(done["links"]["video"]).status_code == 410
        running = stored(server, "running")
        assert running.status == JobStatus.PROCESSING and not running.purged, "only finished jobs go"
