"""The durable queue with real worker processes (`t2v worker`) on the real SQLite store."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.jobstore.base import JobPriority, JobRecord, JobStatus, NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from app.core.queue_manager import QueueManager
from app.core.resource_manager import ResourceLimits, ResourceManager, ResourceSample
from app.core.worker import Worker, WorkerConfig
from tests.conftest import ROOT
from tests.handlers import TEST_HANDLERS
from tests.processes import UNLOADED, spawn
from tests.waiting import eventually


@dataclass
class QueueEnv:
    data_dir: Path
    log: Path

    @property
    def db(self) -> Path:
        return self.data_dir / "jobs.db"

    def env(self, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            T2V_DATA_DIR=str(self.data_dir),
            T2V_HANDLERS=TEST_HANDLERS,
            T2V_POLL_SECONDS="0.1",
            T2V_HEARTBEAT_SECONDS="0.2",
            T2V_RETRY_BASE_SECONDS="0.3",
            **UNLOADED,  # these tests are about the queue, not admission: a busy machine must not stall them
        )
        env.update(overrides)
        return env

    def worker(self, *args: str, **env: str) -> subprocess.Popen:
        return spawn(
            [sys.executable, "-m", "app.cli", "worker", *args],
            env=self.env(**env),
            cwd=self.data_dir.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def options(self, **extra: Any) -> dict[str, Any]:
        return {"log": str(self.log), **extra}


@pytest.fixture
def qenv(tmp_path: Path) -> Iterator[QueueEnv]:
    data = tmp_path / "data"
    data.mkdir()
    yield QueueEnv(data, tmp_path / "events.jsonl")


@pytest.fixture
async def store(qenv: QueueEnv) -> Any:
    s = SQLiteJobStore(qenv.db)
    await s.open()
    yield s
    await s.close()


async def submit(
    store: SQLiteJobStore, job_id: str, kind: str, options: dict[str, Any], **kw: Any
) -> JobRecord:
    record, _ = await store.enqueue(NewJob(id=job_id, kind=kind, payload={"options": options}, **kw))
    return record


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=timeout)
    return out.decode(), err.decode()


async def test_strict_priority_then_fifo_for_200_jobs_from_4_producers(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    producer = textwrap.dedent(
        """
        import asyncio, random, sys
        from pathlib import Path
        from app.core.jobstore.sqlite import SQLiteJobStore
        from app.core.queue_manager import QueueManager
        from app.core.jobstore.base import JobPriority
        async def main(n):
            manager = QueueManager(store=SQLiteJobStore(Path(sys.argv[2])))
            rng = random.Random(n)
            for i in range(50):
                prio = rng.choice(list(JobPriority))
                await manager.submit_job_for_processing(
                    job_id=f"p{n}-{i:02d}-{prio.name.lower()}",
                    file_context={"content": b"x", "options": {"log": sys.argv[3]}},
                    priority=prio, kind="record")
                await asyncio.sleep(rng.random() * 0.004)
            await manager.close()
        asyncio.run(main(int(sys.argv[1])))
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", producer, str(n), str(qenv.db), str(qenv.log)], env=qenv.env(), cwd=ROOT
        )
        for n in range(4)
    ]
    assert [p.wait(60) for p in procs] == [0, 0, 0, 0]
    stats = await store.stats()
    assert stats.queue_size == 200
    worker = qenv.worker("--burst", "--max-concurrent-jobs", "1")
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    starts = [e["job"] for e in qenv.events() if e["event"] == "start"]
    assert len(starts) == 200
    rank = {p.name.lower(): p.value for p in JobPriority}
    prios = [rank[j.rsplit("-", 1)[1]] for j in starts]
    assert prios == sorted(prios, reverse=True), "claims must follow strict priority"
    records = {j.id: j for j in await store.list_jobs(limit=500)}
    for prio in rank:
        ids = [j for j in starts if j.endswith(prio)]
        seqs = [records[j].seq for j in ids]
        assert seqs == sorted(seqs), f"FIFO by store sequence within {prio}"
        for n in range(4):
            mine = [j for j in ids if j.startswith(f"p{n}-")]
            assert mine == sorted(mine), "each producer's jobs in the order it submitted them"
    assert all(r.status == JobStatus.COMPLETED and r.attempts == 1 for r in records.values())


async def test_always_failing_job_ends_failed_with_its_backoff_schedule_across_a_restart(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    await submit(store, "doomed", "fail", qenv.options(), max_attempts=3)
    env = {"T2V_RETRY_BASE_SECONDS": "2"}
    first = qenv.worker(**env)
    await eventually(lambda: len(qenv.events()) >= 1)
    # the first attempt failed: stop the worker while the job waits for its retry
    job = await eventually(lambda: _status(store, "doomed", JobStatus.RETRYING))
    stop(first)
    assert first.returncode == 0
    retry_at = job.errors[0].retry_at
    assert retry_at is not None and 1.4 <= retry_at - job.errors[0].at <= 2.6
    assert job.run_at == retry_at
    second = qenv.worker(**env)
    final = await eventually(lambda: _status(store, "doomed", JobStatus.FAILED), timeout=40)
    stop(second)
    assert final.attempts == 3 and len(final.errors) == 3
    assert [e.attempt for e in final.errors] == [1, 2, 3]
    assert "attempt 1 failed on purpose" in final.errors[0].error
    assert final.errors[2].retry_at is None
    # attempt 2 ran after the stored schedule (the restarted worker honoured it)
    fails = [e for e in qenv.events() if e["event"] == "fail"]
    assert len(fails) == 3
    assert fails[1]["t"] >= retry_at - 0.05
    # backoff grows: the second delay is about twice the first
    d1 = final.errors[0].retry_at - final.errors[0].at
    d2 = final.errors[1].retry_at - final.errors[1].at
    assert d2 > d1 * 1.1


async def _lease_expired(store: SQLiteJobStore, job_id: str) -> bool:
    """The job's lease has run out in the store's clock (what a dead or frozen worker leaves)."""
    job = await store.get(job_id)
    return job is not None and job.lease_until is not None and job.lease_until < await store.now()


async def _status(store: SQLiteJobStore, job_id: str, status: JobStatus) -> JobRecord | None:
    job = await store.get(job_id)
    return job if job is not None and job.status == status else None


async def test_frozen_worker_late_writes_are_rejected(qenv: QueueEnv, store: SQLiteJobStore) -> None:
    await submit(store, "slow", "record", qenv.options(seconds=3))
    env = {"T2V_LEASE_SECONDS": "1"}
    a = qenv.worker(**env)
    await eventually(lambda: any(e["event"] == "start" for e in qenv.events()))
    os.kill(a.pid, signal.SIGSTOP)
    try:
        await eventually(lambda: _lease_expired(store, "slow"))
        b = qenv.worker(**env)
        done = await eventually(lambda: _status(store, "slow", JobStatus.COMPLETED), timeout=30)
        assert done.result == {"pid": b.pid} and done.attempts == 2
    finally:
        os.kill(a.pid, signal.SIGCONT)
    # the thawed worker's next write is refused: its handler stops ("cancelled"), writing nothing
    await eventually(lambda: [e for e in qenv.events() if e["event"] == "cancelled" and e["pid"] == a.pid])
    stop(a)
    stop(b)
    job = await store.get("slow")
    assert job is not None and job.status == JobStatus.COMPLETED and job.result == {"pid": b.pid}
    ends = [e for e in qenv.events() if e["event"] == "end"]
    assert [e["pid"] for e in ends] == [b.pid], "the frozen worker must not get past its fenced check"


async def test_restart_of_everything_loses_and_duplicates_nothing(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    for i in range(20):
        await submit(store, f"job-{i:02d}", "record", qenv.options(seconds=0.3))
    env = {"T2V_GRACE_SECONDS": "0.1", "T2V_MAX_CONCURRENT_JOBS": "2"}
    w = qenv.worker(**env)
    await eventually(lambda: len([e for e in qenv.events() if e["event"] == "end"]) >= 4)
    stop(w)  # SIGTERM with a short grace: running jobs go back to the queue
    await store.close()
    store2 = SQLiteJobStore(qenv.db)
    await store2.open()
    try:
        stats = await store2.stats()
        assert stats.running == 0 and stats.total == 20
        w2 = qenv.worker("--burst", **env)
        _, err = w2.communicate(timeout=60)
        assert w2.returncode == 0, err
        jobs = await store2.list_jobs(limit=100)
        assert len(jobs) == 20 and all(j.status == JobStatus.COMPLETED for j in jobs)
        ends = [e["job"] for e in qenv.events() if e["event"] == "end"]
        assert sorted(ends) == sorted(j.id for j in jobs), "every job completed exactly once"
    finally:
        await store2.close()
        await store.open()


async def test_sigterm_lets_a_running_job_finish_within_the_grace_period(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    await submit(store, "short", "record", qenv.options(seconds=1.0))
    w = qenv.worker(T2V_GRACE_SECONDS="10")
    await eventually(lambda: any(e["event"] == "start" for e in qenv.events()))
    _, err = stop(w)
    assert w.returncode == 0, err
    # it finished within the grace period: completed on its first attempt, not released back
    job = await store.get("short")
    assert job is not None and job.status == JobStatus.COMPLETED and job.attempts == 1
    assert [e["event"] for e in qenv.events()] == ["start", "end"]


async def test_sigterm_past_the_grace_period_releases_the_job_unspent(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    await submit(store, "long", "record", qenv.options(seconds=30))
    w = qenv.worker(T2V_GRACE_SECONDS="0.5")
    await eventually(lambda: any(e["event"] == "start" for e in qenv.events()))
    _, err = stop(w)
    assert w.returncode == 0, err
    job = await store.get("long")
    assert (
        job is not None and job.status == JobStatus.QUEUED and job.attempts == 0 and job.lease_token is None
    )


async def test_cancel_queued_and_retrying_jobs_and_the_reaper_leaves_them_cancelled(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    await submit(store, "waiting", "record", qenv.options())
    await submit(store, "flaky", "fail", qenv.options(), max_attempts=3)
    assert (await store.cancel("waiting")).status == JobStatus.CANCELLED
    w = qenv.worker(T2V_RETRY_BASE_SECONDS="30")
    await eventually(lambda: _status(store, "flaky", JobStatus.RETRYING))
    assert (await store.cancel("flaky")).status == JobStatus.CANCELLED
    # a job queued after both: once the worker has run it, it has passed over the cancelled ones
    await submit(store, "sentinel", "record", qenv.options())
    await eventually(lambda: _status(store, "sentinel", JobStatus.COMPLETED))
    stop(w)
    assert await store.reap() == []
    for job_id in ("waiting", "flaky"):
        job = await store.get(job_id)
        assert job is not None and job.status == JobStatus.CANCELLED
    ran = [e["job"] for e in qenv.events() if e["job"] != "sentinel"]
    assert ran == ["flaky"], "a cancelled job never runs again"
    completed = await store.get("waiting")
    assert completed is not None and (await store.cancel("waiting")).status == JobStatus.CANCELLED


async def test_cancel_a_running_job_stops_it_quickly(qenv: QueueEnv, store: SQLiteJobStore) -> None:
    await submit(store, "running", "record", qenv.options(seconds=30))
    w = qenv.worker()
    await eventually(lambda: any(e["event"] == "start" for e in qenv.events()))
    await store.cancel("running")
    # the handler sees its lease revoked at its next heartbeat and stops (a hang guard, not a timing)
    await eventually(lambda: [e for e in qenv.events() if e["event"] == "cancelled"])
    stop(w)
    final = await store.get("running")
    assert final is not None and final.status == JobStatus.CANCELLED and final.result is None
    assert not any(e["event"] == "end" for e in qenv.events())


class Memory:
    def __init__(self, percent: float) -> None:
        self.percent = percent
        self.samples = 0

    def sample(self) -> ResourceSample:
        self.samples += 1
        return ResourceSample(5.0, self.percent, 1, 100, "test")


async def test_running_jobs_never_exceed_the_limit_and_nothing_is_claimed_over_memory(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    from tests.handlers import record

    memory = Memory(95.0)
    resources = ResourceManager(ResourceLimits(max_concurrent_jobs=2), sampler=memory, sample_max_age=0)
    for i in range(6):
        await submit(store, f"m{i}", "record", qenv.options(seconds=0.4))
    worker = Worker(
        store, resources, {"record": record}, WorkerConfig(poll_seconds=0.05, heartbeat_seconds=0.2)
    )
    task = asyncio.create_task(worker.run(burst=True))
    await eventually(lambda: memory.samples >= 10)  # the worker asked, again and again, and was told no
    assert qenv.events() == [] and (await store.stats()).queue_size == 6, "claimed while memory was over"
    memory.percent = 50.0
    await asyncio.wait_for(task, 30)
    events = qenv.events()
    assert len([e for e in events if e["event"] == "end"]) == 6
    running, peak = 0, 0
    for e in sorted(events, key=lambda e: (e["t"], e["event"] == "start")):
        running += 1 if e["event"] == "start" else -1
        peak = max(peak, running)
    assert peak == 2 and resources.jobs.peak == 2


async def test_the_seed_submit_snippet_runs_verbatim(
    qenv: QueueEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core import queue_manager as qm_module

    talk = tmp_path / "talk.md"
    talk.write_text("# Hello\n\nA short talk.\n")
    file_context = {"path": str(talk)}
    monkeypatch.setenv("T2V_DATA_DIR", str(qenv.data_dir))
    manager = QueueManager()  # the module-level default: SQLite in the data directory
    original = qm_module.queue_manager
    qm_module.queue_manager = manager
    try:
        namespace: dict[str, Any] = {"file_context": file_context}
        seed = textwrap.dedent(
            """
            from app.core.queue_manager import queue_manager, JobPriority
            await queue_manager.submit_job_for_processing(
                job_id="job123",
                file_context=file_context,
                priority=JobPriority.HIGH,
                file_size=1024
            )
            """
        )
        code = compile(seed, "<seed>", "exec", flags=0x2000)  # PyCF_ALLOW_TOP_LEVEL_AWAIT
        await eval(code, namespace)
        job = await manager.get_job("job123")
        assert job is not None and job.priority == JobPriority.HIGH and job.file_size == 1024
        assert job.status == JobStatus.QUEUED and job.payload["path"] == str(talk)
        # an identical resubmission returns the same job; a different payload is an error
        again = await manager.submit_job_for_processing("job123", file_context, JobPriority.HIGH, 1024)
        assert again.seq == job.seq
        with pytest.raises(Exception, match="job123"):
            await manager.submit_job_for_processing("job123", {"path": str(tmp_path)}, JobPriority.HIGH)
    finally:
        qm_module.queue_manager = original
        await manager.close()


LONG_TALK = "\n\n".join(
    f"# Part {i}\n\n" + "This sentence is spoken aloud by the narrator. " * 6 for i in range(30)
)


def render_children(pid: int) -> list[str]:
    import psutil

    try:
        return [p.name() for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


async def test_cancel_a_running_render_stops_ffmpeg_and_removes_its_workspace(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    manager = QueueManager(store=store)
    await manager.submit_job_for_processing(
        "talk", {"content": LONG_TALK.encode(), "filename": "talk.md", "options": {"resolution": 1080}}
    )
    w = qenv.worker()
    workspaces = qenv.data_dir / "tmp"
    await eventually(lambda: workspaces.is_dir() and any(workspaces.iterdir()), timeout=60, interval=0.01)
    await eventually(
        lambda: _at_stage(store, "talk", ("slides", "speech", "video")), timeout=60, interval=0.01
    )
    await store.cancel("talk")
    await eventually(lambda: not any(workspaces.iterdir()), interval=0.02)
    await eventually(lambda: "ffmpeg" not in " ".join(render_children(w.pid)))
    stop(w)
    job = await store.get("talk")
    assert job is not None and job.status == JobStatus.CANCELLED
    assert not (qenv.data_dir / "artifacts" / "talk" / "video.mp4").exists()


async def _at_stage(store: SQLiteJobStore, job_id: str, stages: tuple[str, ...]) -> bool:
    job = await store.get(job_id)
    return job is not None and job.status == JobStatus.PROCESSING and job.stage in stages


async def test_a_worker_killed_mid_render_loses_nothing(qenv: QueueEnv, store: SQLiteJobStore) -> None:
    manager = QueueManager(store=store)
    await manager.submit_job_for_processing(
        "talk", {"content": LONG_TALK.encode(), "filename": "talk.md", "options": {"resolution": 1080}}
    )
    env = {"T2V_LEASE_SECONDS": "2"}
    a = qenv.worker(**env)
    await eventually(
        lambda: _at_stage(store, "talk", ("slides", "speech", "video")), timeout=60, interval=0.01
    )
    a.kill()
    a.wait()
    b = qenv.worker(**env)
    done = await eventually(lambda: _status(store, "talk", JobStatus.COMPLETED), timeout=120)
    stop(b)
    assert done.attempts == 2 and "lease expired" in done.errors[0].error
    artifacts = qenv.data_dir / "artifacts" / "talk"
    assert sorted(p.name for p in artifacts.iterdir()) == [
        "video.chapters.txt", "video.jpg", "video.mp4", "video.srt", "video.vtt",
    ]  # fmt: skip
    from app.services.video import probe

    info = probe(artifacts / "video.mp4")
    assert info.video_codec == "h264" and info.duration > 30
    assert done.result is not None and done.result["video"] == str(artifacts / "video.mp4")


async def test_a_render_job_with_bad_input_fails_at_once_without_retries(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    manager = QueueManager(store=store)
    await manager.submit_job_for_processing("blank", {"content": b"   \n\n  ", "filename": "blank.txt"})
    w = qenv.worker("--burst")
    _, err = w.communicate(timeout=60)
    assert w.returncode == 0, err
    job = await store.get("blank")
    assert job is not None and job.status == JobStatus.FAILED and job.attempts == 1
    assert "whitespace" in job.errors[0].error and job.errors[0].retry_at is None


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def test_a_handler_that_ignores_cancellation_is_abandoned_and_cannot_loop_forever(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    """Past the grace period and `stop_seconds`, a handler whose thread never stops is abandoned: its
    attempt is spent, its child process killed, its workspace removed, and the worker exits; once
    the attempts are used up the job fails instead of wedging worker after worker."""
    await submit(store, "wedged", "wedge", qenv.options(), max_attempts=2)
    env = {"T2V_GRACE_SECONDS": "0.5", "T2V_STOP_SECONDS": "0.5", "T2V_RETRY_BASE_SECONDS": "0"}
    for attempt in (1, 2):
        w = qenv.worker(**env)
        started = await eventually(lambda n=attempt: [e for e in qenv.events() if e["attempt"] == n], 60)
        child = started[0]["child"]
        assert _alive(child) and Path(started[0]["workspace"]).is_dir()
        _, err = stop(w, timeout=60)
        assert w.returncode == 0, err
        assert "abandoned 1 job(s)" in err and "Traceback" not in err
        assert not _alive(child), "the handler's child process outlived its worker"
        assert not any((qenv.data_dir / "tmp").iterdir())
        job = await store.get("wedged")
        assert job is not None and job.attempts == attempt and job.lease_token is None
        assert "abandoned" in job.errors[-1].error
    assert job.status == JobStatus.FAILED and len(job.errors) == 2


@pytest.mark.slow
async def test_a_handler_that_blocks_the_event_loop_meets_the_backstop(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    """Nothing asyncio can do runs once the loop is blocked; the signal still arms the backstop,
    which kills the children and exits. The job's lease then expires and the reaper spends it."""
    await submit(store, "blocker", "block_loop", qenv.options(), max_attempts=1)
    env = {"T2V_GRACE_SECONDS": "0.5", "T2V_STOP_SECONDS": "0.5", "T2V_LEASE_SECONDS": "2"}
    w = qenv.worker(**env)
    started = await eventually(lambda: qenv.events(), timeout=60)
    _, err = stop(w, timeout=60)
    assert w.returncode == 0 and "exited forcefully" in err, err
    assert not _alive(started[0]["child"])
    await eventually(lambda: _lease_expired(store, "blocker"))  # what a dead worker leaves behind
    await store.reap()
    job = await store.get("blocker")
    assert job is not None and job.status == JobStatus.FAILED and job.attempts == 1


LONG_CODE_TALK = (
    "# A very long line\n\n"
    + "This sentence is spoken aloud by the narrator. " * 6
    + "\n\n```\n"
    + "x" * 60_000
    + "\n```\n\n"
    + LONG_TALK
)


async def test_sigterm_stops_a_render_mid_layout_releases_it_unspent_and_exits(
    qenv: QueueEnv, store: SQLiteJobStore
) -> None:
    """The issue's wedge: a render laying out a 60,000-character line must stop on SIGTERM."""
    manager = QueueManager(store=store)
    await manager.submit_job_for_processing(
        "talk", {"content": LONG_CODE_TALK.encode(), "filename": "talk.md", "options": {"resolution": 1080}}
    )
    w = qenv.worker(T2V_GRACE_SECONDS="0.5")
    await eventually(lambda: _at_stage(store, "talk", ("slides", "speech")), timeout=60, interval=0.01)
    _, err = stop(w, timeout=60)
    assert w.returncode == 0, err
    assert "abandoned" not in err, "every stage of a render stops when cancelled"
    job = await store.get("talk")
    assert job is not None and job.status == JobStatus.QUEUED and job.attempts == 0
    assert not any((qenv.data_dir / "tmp").iterdir())
    assert not (qenv.data_dir / "artifacts" / "talk" / "video.mp4").exists()
