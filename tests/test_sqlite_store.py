"""SQLite-specific behaviour: several processes on one file, the schema migrations, the pragmas.

The store's contract itself is tested in test_jobstore_contract.py. Processes are started with
"spawn" so that no thread or event loop state leaks from pytest into them.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import random
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.jobstore import migrations
from app.core.jobstore.base import JobPriority, JobStatus, JobStore, JobStoreError, NewJob
from app.core.jobstore.sqlite import SQLiteJobStore

SPAWN = multiprocessing.get_context("spawn")
PRODUCERS, PER_PRODUCER = 4, 50


# --- code that runs in the child processes ----------------------------------------------------------


def _produce(path: str, producer: int, seed: int, start: Any) -> None:
    """Enqueue PER_PRODUCER jobs with random priorities; the id records producer and order."""

    async def run() -> None:
        rng = random.Random(seed)
        async with SQLiteJobStore(Path(path)) as store:
            start.wait()
            for i in range(PER_PRODUCER):
                priority = JobPriority(rng.randrange(4))
                await store.enqueue(
                    NewJob(f"p{producer}-{i:03d}", {"producer": producer, "i": i}, priority=priority)
                )
                await asyncio.sleep(rng.random() * 0.002)  # let the producers interleave

    asyncio.run(run())


def _claim(path: str, worker: str, limit: int, results: Any, start: Any) -> None:
    """Claim up to `limit` jobs, stopping early when the queue is empty; report the ids."""

    async def run() -> list[str]:
        claimed: list[str] = []
        async with SQLiteJobStore(Path(path)) as store:
            start.wait()
            while len(claimed) < limit and (lease := await store.claim(worker, 300.0)) is not None:
                claimed.append(lease.job_id)
        return claimed

    results.put((worker, asyncio.run(run())))


def _open(path: str, start: Any) -> None:
    async def run() -> None:
        start.wait()
        async with SQLiteJobStore(Path(path)) as store:
            await store.now()

    asyncio.run(run())


def _run_processes(target: Callable[..., None], args: list[tuple[Any, ...]]) -> None:
    """Start one process per argument tuple (each gets a shared barrier last) and wait for all."""
    start = SPAWN.Barrier(len(args))
    procs = [SPAWN.Process(target=target, args=(*a, start)) for a in args]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join(timeout=120)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join()
    assert [p.exitcode for p in procs] == [0] * len(procs)


# --- several processes, one file --------------------------------------------------------------------


async def test_concurrent_producers_are_claimed_by_priority_then_in_each_producers_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.db"
    async with SQLiteJobStore(path):  # create the schema before the race, so the race is about enqueue
        pass
    await asyncio.to_thread(_run_processes, _produce, [(str(path), n, 1000 + n) for n in range(PRODUCERS)])

    async with SQLiteJobStore(path) as store:
        leases = []
        while (lease := await store.claim("consumer", 300.0)) is not None:
            leases.append(lease)
    assert len(leases) == PRODUCERS * PER_PRODUCER
    assert len({le.job_id for le in leases}) == len(leases)

    priorities = [le.job.priority for le in leases]
    assert priorities == sorted(priorities, reverse=True), "strict priority order"
    by_priority: dict[JobPriority, list] = defaultdict(list)
    for le in leases:
        by_priority[le.job.priority].append(le.job)
    for priority, jobs in by_priority.items():
        seqs = [j.seq for j in jobs]
        assert seqs == sorted(seqs), f"{priority.name}: FIFO by the store's sequence"
        for producer in range(PRODUCERS):
            order = [j.payload["i"] for j in jobs if j.payload["producer"] == producer]
            assert order == sorted(order), f"{priority.name}: producer {producer}'s jobs out of order"
    # the producers really interleaved, otherwise this test proves little
    producers_in_seq_order = [le.job.payload["producer"] for le in sorted(leases, key=lambda le: le.job.seq)]
    changes = sum(a != b for a, b in itertools.pairwise(producers_in_seq_order))
    assert changes > PRODUCERS


async def test_two_processes_claiming_at_once_never_get_the_same_job(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    async with SQLiteJobStore(path) as store:
        for i in range(150):
            await store.enqueue(NewJob(f"j{i:03d}", {"i": i}, priority=JobPriority(i % 4)))
    results = SPAWN.Queue()
    # each takes at most 100, so each must take at least 50: the two really compete
    await asyncio.to_thread(_run_processes, _claim, [(str(path), w, 100, results) for w in ("a", "b")])
    claimed = dict(results.get(timeout=10) for _ in range(2))
    union = claimed["a"] + claimed["b"]
    assert len(union) == len(set(union)) == 150
    assert set(union) == {f"j{i:03d}" for i in range(150)}
    async with SQLiteJobStore(path) as store:
        jobs = await store.list_jobs(limit=1000)
    assert all(j.status is JobStatus.PROCESSING and j.attempts == 1 for j in jobs)
    assert {j.id for j in jobs if j.worker_id == "a"} == set(claimed["a"])


def test_processes_opening_a_new_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    _run_processes(_open, [(str(path),)] * 4)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version FROM schema_version").fetchall()
        assert rows == [(v.version,) for v in migrations.MIGRATIONS]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- migrations -------------------------------------------------------------------------------------


def _memory() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None)


def test_upgrade_applies_missing_migrations_in_order_once() -> None:
    applied: list[str] = []
    ms = (
        migrations.Migration(1, "create t", {"sqlite": ("CREATE TABLE t (a INTEGER)",)}),
        migrations.Migration(2, "add b", {"sqlite": ("ALTER TABLE t ADD COLUMN b TEXT",)}),
        migrations.Migration(3, "callable", {"sqlite": lambda conn: applied.append("3")}),
    )
    conn = _memory()
    assert migrations.current_version(conn) == 0
    assert migrations.upgrade(conn, ms[:2]) == 2
    assert migrations.upgrade(conn, ms) == 3
    assert migrations.upgrade(conn, ms) == 3
    assert applied == ["3"]
    assert migrations.current_version(conn) == 3
    assert [r[1] for r in conn.execute("PRAGMA table_info(t)")] == ["a", "b"]


def test_a_failing_migration_rolls_back_and_keeps_the_earlier_ones() -> None:
    ms = (
        migrations.Migration(1, "ok", {"sqlite": ("CREATE TABLE t (a INTEGER)",)}),
        migrations.Migration(2, "broken", {"sqlite": ("CREATE TABLE u (a INTEGER)", "NOT SQL")}),
    )
    conn = _memory()
    with pytest.raises(sqlite3.OperationalError):
        migrations.upgrade(conn, ms)
    assert migrations.current_version(conn) == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'u'").fetchone() is None


def test_upgrade_refuses_a_newer_schema_and_bad_migration_lists() -> None:
    conn = _memory()
    migrations.upgrade(
        conn, (migrations.Migration(1, "a", {"sqlite": ()}), migrations.Migration(2, "b", {"sqlite": ()}))
    )
    with pytest.raises(migrations.MigrationError, match="newer"):
        migrations.upgrade(conn, (migrations.Migration(1, "a", {"sqlite": ()}),))
    with pytest.raises(migrations.MigrationError, match="ascending"):
        migrations.upgrade(_memory(), (migrations.Migration(2, "b", {}), migrations.Migration(1, "a", {})))
    with pytest.raises(migrations.MigrationError, match="sqlite"):
        migrations.upgrade(_memory(), (migrations.Migration(1, "pg only", {"postgresql": ("SELECT 1",)}),))


# --- the file itself --------------------------------------------------------------------------------


async def test_the_file_uses_wal_and_the_store_clock_comes_from_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "jobs.db"  # the directory is created
    async with SQLiteJobStore(path) as store:
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            sql_now = conn.execute("SELECT (julianday('now') - 2440587.5) * 86400.0").fetchone()[0]
        assert abs(await store.now() - sql_now) < 5
        assert repr(store) == f"SQLiteJobStore({str(path)!r})"


async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SQLiteJobStore(tmp_path / "jobs.db")
    with pytest.raises(JobStoreError, match="not open"):
        await store.now()
    await store.open()
    await store.open()  # idempotent
    await store.close()
    await store.close()
    with pytest.raises(JobStoreError, match="not open"):
        await store.claim("w", 10)


async def test_a_writer_waits_for_another_processs_lock_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    async with SQLiteJobStore(path, busy_timeout=10) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # hold the write lock like a busy process would
        enqueue = asyncio.ensure_future(store.enqueue(NewJob("j1", {})))
        await asyncio.sleep(0.3)  # the subject: given time, the writer still waits instead of failing
        assert not enqueue.done()
        other.execute("COMMIT")
        other.close()
        record, created = await asyncio.wait_for(enqueue, 10)
        assert created and record.id == "j1"


V1_JOB = (
    "INSERT INTO jobs (id, kind, payload, priority, status, max_attempts, queued_at, run_at, owner)"
    " VALUES ('old', 'render', '{\"content_b64\": \"aGk=\"}', 1, 'completed', 3, 1.0, 1.0, 'k')"
)


async def test_a_version_1_file_upgrades_in_place_and_keeps_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.upgrade(conn, migrations.MIGRATIONS[:1])
    conn.execute(V1_JOB)
    conn.close()
    async with SQLiteJobStore(path) as store:
        old = await store.get("old")
        assert old is not None and old.payload == {"content_b64": "aGk="}
        assert old.purged_at is None and old.artifacts_bytes is None
        assert (await store.purge("old")).payload == {}
    with sqlite3.connect(path) as conn:
        assert migrations.current_version(conn) == migrations.MIGRATIONS[-1].version


V3_ATTACHMENT = (
    "INSERT INTO job_attachments (job_id, name, revision, body, updated_at)"
    " VALUES ('old', 'storyboard', '3f9c0a1b2c3d4e5f', '{\"v\": 1}', 1.0)"
)


async def check_v3_attachment_upgraded(store: JobStore) -> None:
    """V3_ATTACHMENT after the upgrade: at revision 1, its body kept, written from 1, purged with its job."""
    held = await store.get_attachment("old", "storyboard")
    assert held is not None and (held.revision, held.body) == (1, '{"v": 1}')
    assert await store.artifact_bytes("k") == len('{"v": 1}')  # its size counted since version 5
    assert await store.put_attachment("old", "storyboard", '{"v": 2}', expected=1) == 2
    await store.purge("old")
    assert await store.get_attachment("old", "storyboard") is None


async def test_a_version_3_file_counts_its_attachments_revisions_from_1(tmp_path: Path) -> None:
    """Version 4 makes revisions a counter: a storyboard kept with a digest revision is at 1, keeps
    its body, the digest is stale, and purging still deletes it (its trigger was made again)."""
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.upgrade(conn, migrations.MIGRATIONS[:3])
    conn.execute(V1_JOB)
    conn.execute(V3_ATTACHMENT)
    conn.close()
    async with SQLiteJobStore(path) as store:
        await check_v3_attachment_upgraded(store)
    with sqlite3.connect(path) as conn:
        assert migrations.current_version(conn) == migrations.MIGRATIONS[-1].version
        assert conn.execute("SELECT COUNT(*) FROM job_attachments").fetchone() == (0,)
