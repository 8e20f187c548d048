"""The cluster queue: real `t2v worker` processes sharing one PostgreSQL store.

Each test gets a private schema (tests/pg_support.py). The workers run the probe handlers of
tests/handlers.py, which log every start and end, so the tests can count how often each handler ran.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.jobstore.base import LEASE_EXPIRED, JobPriority, JobRecord, JobStatus, NewJob
from app.core.jobstore.postgres import PostgresJobStore
from tests.conftest import ROOT
from tests.handlers import TEST_HANDLERS
from tests.pg_support import cluster_command, pg_url, wait_until_ready  # noqa: F401 (pg_url: a fixture)
from tests.processes import UNLOADED, spawn
from tests.waiting import eventually

# Runs `t2v` with time.time() shifted by argv[1] seconds: a host whose clock is wrong.
SKEWED = (
    "import sys, time; real = time.time; offset = float(sys.argv.pop(1));"
    " time.time = lambda: real() + offset; sys.argv[0] = 't2v';"
    " from app.cli import main; main()"
)


@dataclass
class Cluster:
    url: str
    data_dir: Path
    log: Path

    def env(self, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            T2V_DATA_DIR=str(self.data_dir),
            T2V_DATABASE_URL=self.url,
            T2V_HANDLERS=TEST_HANDLERS,
            T2V_POLL_SECONDS="0.5",  # LISTEN/NOTIFY should wake workers well before this
            T2V_HEARTBEAT_SECONDS="0.2",
            T2V_RETRY_BASE_SECONDS="0.3",
            **UNLOADED,
        )
        env.update(overrides)
        return env

    def worker(self, *args: str, skew: float | None = None, **env: str) -> subprocess.Popen:
        prefix = ["-m", "app.cli"] if skew is None else ["-c", SKEWED, str(skew)]
        return spawn(
            [sys.executable, *prefix, "worker", *args],
            env=self.env(**env),
            cwd=self.data_dir.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args], env=self.env(), capture_output=True, timeout=60
        )

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def count(self, event: str) -> Counter[str]:
        return Counter(e["job"] for e in self.events() if e["event"] == event)


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[Cluster]:  # noqa: F811
    data = tmp_path / "shared-data"
    data.mkdir()
    yield Cluster(pg_url, data, tmp_path / "events.jsonl")


@pytest.fixture
async def store(cluster: Cluster) -> AsyncIterator[PostgresJobStore]:
    async with PostgresJobStore(cluster.url) as s:
        yield s


async def submit(
    store: PostgresJobStore, cluster: Cluster, job_id: str, seconds: float, **kw: Any
) -> JobRecord:
    payload = {"options": {"log": str(cluster.log), "seconds": seconds}}
    record, _ = await store.enqueue(NewJob(id=job_id, kind="record", payload=payload, **kw))
    return record


async def all_completed(store: PostgresJobStore, n: int) -> bool:
    return (await store.stats()).by_status["completed"] == n


def stop_all(procs: list[subprocess.Popen]) -> str:
    """SIGTERM every worker; return their stderr, so a failed exit shows why."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    return "".join(p.communicate(timeout=60)[1].decode() for p in procs)  # one SIGTERM each, no more


async def test_three_workers_run_60_mixed_priority_jobs_once_each_in_priority_order(
    cluster: Cluster, store: PostgresJobStore
) -> None:
    rng = random.Random(7)
    prios = [rng.choice(list(JobPriority)) for _ in range(60)]
    for i in range(30):
        await submit(store, cluster, f"j{i:02d}", 0.15, priority=prios[i])
    workers = [cluster.worker("--max-concurrent-jobs", "2") for _ in range(3)]
    try:
        for i in range(30, 60):  # more jobs arrive while the workers run
            await submit(store, cluster, f"j{i:02d}", 0.15, priority=prios[i])
            await asyncio.sleep(0.02)
        status = {}

        def all_registered() -> bool:
            nonlocal status
            status = json.loads(cluster.cli("status", "--json").stdout)
            return sorted(w["pid"] for w in status["workers"]) == sorted(p.pid for p in workers)

        await eventually(all_registered, timeout=30, interval=0.5)
        assert all(w["last_heartbeat_age"] < 10 for w in status["workers"])
        await eventually(lambda: all_completed(store, 60), timeout=90)
    finally:
        errors = stop_all(workers)
    assert all(p.returncode == 0 for p in workers), (errors, [p.returncode for p in workers])
    ends, starts = cluster.count("end"), cluster.count("start")
    assert len(ends) == 60 and set(ends.values()) == {1}, "every handler completed exactly once"
    assert set(starts.values()) == {1}, "no job was started twice"
    assert len({e["pid"] for e in cluster.events()}) == 3, "all three workers took jobs"
    records = await store.list_jobs(limit=100)
    assert all(r.status is JobStatus.COMPLETED and r.attempts == 1 for r in records)
    # Priority: no job was claimed while a higher-priority job queued before that claim was still
    # unclaimed. All times are the database's; a small slack covers claims racing in SKIP LOCKED.
    slack = 0.05
    for j in records:
        for k in records:
            assert j.started_at is not None and k.started_at is not None
            skipped = k.queued_at < j.started_at - slack and k.started_at > j.started_at + slack
            assert not (k.priority > j.priority and skipped), f"{j.id} was claimed before {k.id}"


async def test_a_sigkilled_worker_s_job_completes_on_another_worker(
    cluster: Cluster, store: PostgresJobStore
) -> None:
    await submit(store, cluster, "long", 2.0)
    env = {"T2V_LEASE_SECONDS": "1.5"}
    first = cluster.worker(**env)
    try:
        started = await eventually(lambda: cluster.count("start")["long"] == 1)
        assert started
        second = cluster.worker(**env)
        first.kill()  # SIGKILL mid-job: no release, no deregistration
        first.wait(10)
        done = await eventually(lambda: all_completed(store, 1), timeout=40)
        assert done
    finally:
        stop_all([first, second])
    ends = [e for e in cluster.events() if e["event"] == "end"]
    assert [e["pid"] for e in ends] == [second.pid]
    record = await store.get("long")
    assert record is not None and record.attempts == 2
    assert [e.error for e in record.errors] == [LEASE_EXPIRED]


async def test_workers_reconnect_after_a_postgres_restart_and_every_job_completes(
    cluster: Cluster, store: PostgresJobStore
) -> None:
    restart = cluster_command("restart")
    for i in range(40):
        await submit(store, cluster, f"r{i:02d}", 0.3, priority=JobPriority(i % 4))
    workers = [cluster.worker("--max-concurrent-jobs", "2") for _ in range(3)]
    try:
        await eventually(lambda: len(cluster.count("end")) >= 8, timeout=60)
        result = subprocess.run(restart, capture_output=True, timeout=120)
        wait_until_ready()
        assert result.returncode == 0, result.stderr.decode()
        await eventually(lambda: all_completed(store, 40), timeout=120)
        dead = [p for p in workers if p.poll() is not None]
        assert not dead, "a worker died with the database:\n" + stop_all(dead)
    finally:
        wait_until_ready()  # leave the server running, whatever happened
        stop_all(workers)
    ends = cluster.count("end")
    assert len(ends) == 40 and set(ends.values()) == {1}, "every handler completed exactly once"
    records = await store.list_jobs(limit=100)
    assert all(r.status is JobStatus.COMPLETED for r in records)


async def _lease_expired(store: PostgresJobStore, job_id: str) -> bool:
    job = await store.get(job_id)
    return job is not None and job.lease_until is not None and job.lease_until < await store.now()


async def test_a_skewed_client_clock_neither_steals_live_leases_nor_keeps_dead_ones(
    cluster: Cluster, store: PostgresJobStore
) -> None:
    ahead = PostgresJobStore(cluster.url, clock=lambda: __import__("time").time() + 600)
    behind = PostgresJobStore(cluster.url, clock=lambda: __import__("time").time() - 600)
    async with ahead, behind:
        await submit(store, cluster, "live", 0)
        await submit(store, cluster, "dead", 0)
        live = await store.claim("honest", 2.0)
        assert live is not None and live.job_id == "live"
        # The fast-clock client reaps and claims while the honest worker keeps its 2 s lease alive.
        for _ in range(6):
            assert await ahead.reap() == []
            assert await store.heartbeat("live", live.token, 2.0)
            await asyncio.sleep(0.5)
        dead = await behind.claim("slow-clock", 1.0)
        assert dead is not None and dead.job_id == "dead"
        assert await ahead.claim("fast-clock", 30.0) is None  # "live" is still held, "dead" too
        # past the lease in the store's clock; the slow-clock client "thinks" it has 10 minutes left
        await eventually(lambda: _lease_expired(store, "dead"))
        assert await store.reap() == ["dead"]
        assert not await behind.heartbeat("dead", dead.token, 1.0)
        assert not await behind.complete("dead", dead.token, {})
        assert (await store.get("live")).worker_id == "honest"  # type: ignore[union-attr]
        await store.cancel("live")  # the honest worker is gone; "dead" is queued again

    # Whole worker processes with clocks 5 minutes fast and slow, leases shorter than the jobs: the
    # heartbeats keep every lease alive and nobody takes another's job.
    env = {"T2V_LEASE_SECONDS": "1"}
    for i in range(6):
        await submit(store, cluster, f"s{i}", 1.5)
    workers = [cluster.worker(skew=300, **env), cluster.worker(skew=-300, **env)]
    try:
        await eventually(lambda: all_completed(store, 7), timeout=60)
    finally:
        stop_all(workers)
    runs = [r for r in await store.list_jobs(limit=20) if r.id.startswith("s")]
    assert all(r.attempts == 1 and r.errors == () for r in runs)
    assert set(cluster.count("end").values()) == {1}
    assert {e["pid"] for e in cluster.events()} == {p.pid for p in workers}


async def test_a_version_1_schema_upgrades_in_place_and_keeps_its_jobs(pg_url: str) -> None:  # noqa: F811
    import psycopg

    from app.core.jobstore import migrations
    from tests.test_sqlite_store import V1_JOB

    with psycopg.connect(pg_url, autocommit=True) as conn:
        migrations.upgrade(conn, migrations.MIGRATIONS[:1], dialect="postgresql")
        conn.execute(V1_JOB)
    async with PostgresJobStore(pg_url) as store:
        old = await store.get("old")
        assert old is not None and old.payload == {"content_b64": "aGk="}
        assert old.purged_at is None and old.artifacts_bytes is None
        assert (await store.purge("old")).payload == {}
        assert await store.schema_version() == migrations.MIGRATIONS[-1].version


async def test_a_version_3_schema_counts_its_attachments_revisions_from_1(pg_url: str) -> None:  # noqa: F811
    import psycopg

    from app.core.jobstore import migrations
    from tests.test_sqlite_store import V1_JOB, V3_ATTACHMENT, check_v3_attachment_upgraded

    with psycopg.connect(pg_url, autocommit=True) as conn:
        migrations.upgrade(conn, migrations.MIGRATIONS[:3], dialect="postgresql")
        conn.execute(V1_JOB)
        conn.execute(V3_ATTACHMENT)
    async with PostgresJobStore(pg_url) as store:
        await check_v3_attachment_upgraded(store)
        assert await store.schema_version() == migrations.MIGRATIONS[-1].version


async def test_a_connection_lost_twice_in_a_row_is_reconnected_both_times(pg_url: str) -> None:  # noqa: F811
    """A restart that comes again right after a reconnect (two restarts close together) costs the
    caller a wait, not an error: the store keeps reconnecting within its reconnect budget."""
    from app.core.jobstore.postgres_connection import PostgresConnection

    conn = PostgresConnection(pg_url, listen=False)
    await conn.open()
    backends: list[int] = []

    async def dies_twice(c: Any) -> int:
        pid = (await (await c.execute("SELECT pg_backend_pid() AS pid")).fetchone())["pid"]
        backends.append(pid)
        if len(backends) <= 2:
            await c.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return pid

    try:
        pid = await conn.run(dies_twice)
    finally:
        await conn.close()
    assert len(backends) == 3 and len(set(backends)) == 3 and pid == backends[-1]


@pytest.fixture
def own_role(pg_url: str) -> Iterator[tuple[str, str]]:  # noqa: F811
    """A login role of this test's own, owning its schema's tables, and a URL that connects as it: the
    test can refuse that role's logins (NOLOGIN) without touching the server or other tests."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from tests.pg_support import SERVER_URL

    role = f"t2v_role_{uuid.uuid4().hex[:10]}"
    schema = conninfo_to_dict(pg_url)["options"].removeprefix("-csearch_path=")
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        try:
            admin.execute(f"CREATE ROLE {role} LOGIN")
        except psycopg.errors.InsufficientPrivilege as exc:
            pytest.skip(f"cannot create a role on {SERVER_URL}: {exc}")
        admin.execute(f"GRANT ALL ON SCHEMA {schema} TO {role}")
    try:
        yield role, make_conninfo(pg_url, user=role)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
            )
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


async def test_a_statement_s_reconnects_share_its_one_reconnect_budget(own_role: tuple[str, str]) -> None:
    """`reconnect_seconds` bounds the whole statement: a connection lost late in a long statement, to a
    server that then refuses connections, is given up on when the statement's budget is spent, not
    after a fresh `reconnect_seconds` of reconnecting (nearly twice the setting)."""
    import psycopg

    from app.core.jobstore.base import JobStoreError
    from app.core.jobstore.postgres_connection import PostgresConnection
    from tests.pg_support import SERVER_URL

    role, url = own_role
    budget, spent = 2.0, 1.9  # the statement runs 1.9 s of its 2 s, then its connection is lost
    conn = PostgresConnection(url, listen=False, reconnect_seconds=budget, clock=time.monotonic)
    await conn.open()

    async def lost_late(c: Any) -> None:
        async with await psycopg.AsyncConnection.connect(SERVER_URL, autocommit=True) as admin:
            await admin.execute(f"ALTER ROLE {role} NOLOGIN")  # every reconnect is refused from now
        await c.execute("SELECT pg_sleep(%s)", (spent,))
        await c.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    start = time.monotonic()
    try:
        with pytest.raises(JobStoreError, match="cannot reach the job store"):
            await conn.run(lost_late)
    finally:
        await conn.close()
    waited = time.monotonic() - start
    # within its budget plus one backoff step (0.1 s) and the refused connects; a budget per reconnect
    # waited 1.9 s + 1.5 s of backoff
    assert spent <= waited < budget + 0.9, f"{waited:.2f} s for a statement with {budget} s to reconnect"
