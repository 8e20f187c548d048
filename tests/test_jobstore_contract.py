"""The job store contract (app/core/jobstore/base.py), run against every store engine.

Each engine contributes a *factory fixture*: a callable that returns a new, unopened store on one
database private to the test (calling it twice gives two clients of the same database, like two worker
processes). To add an engine, write its factory fixture (it should `pytest.skip` when its server is not
reachable) and add its name to STORE_FACTORIES.
Times are relative to `await store.now()`: the store's clock is the only one that counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from app.core.jobstore.base import (
    Admission,
    AttachmentEdit,
    DuplicateJob,
    JobNotFound,
    JobPriority,
    JobState,
    JobStatus,
    JobStore,
    NewJob,
    QuotaExceeded,
    StaleAttachment,
    TooManyWaiting,
)
from app.core.jobstore.sqlite import SQLiteJobStore
from tests.pg_support import pg_url  # noqa: F401 (a fixture)
from tests.waiting import eventually

StoreFactory = Callable[[], JobStore]

LEASE = 30.0  # long enough never to expire during a test, unless the test says otherwise
SHORT = 0.05  # a lease meant to expire


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> StoreFactory:
    return lambda: SQLiteJobStore(tmp_path / "jobs.db")


@pytest.fixture
def postgres_factory(request: pytest.FixtureRequest) -> StoreFactory:
    from app.core.jobstore.postgres import PostgresJobStore

    url = request.getfixturevalue("pg_url")  # a private schema, skipped when no server is reachable
    return lambda: PostgresJobStore(url)


STORE_FACTORIES = ["sqlite_factory", "postgres_factory"]


@pytest.fixture(params=STORE_FACTORIES)
def new_store(request: pytest.FixtureRequest) -> StoreFactory:
    return request.getfixturevalue(request.param)


@pytest.fixture
async def store(new_store: StoreFactory) -> AsyncIterator[JobStore]:
    async with new_store() as s:
        yield s


def job(id: str, priority: JobPriority = JobPriority.NORMAL, **kw) -> NewJob:
    return NewJob(id=id, payload=kw.pop("payload", {"text": id}), priority=priority, **kw)


async def add(store: JobStore, *jobs: NewJob) -> None:
    for j in jobs:
        _, created = await store.enqueue(j)
        assert created


async def store_time_passes(store: JobStore, seconds: float) -> None:
    """Wait until `seconds` have passed on the store's clock, the one leases and run_at are kept in."""
    until = await store.now() + seconds

    async def passed() -> bool:
        return await store.now() >= until

    await eventually(passed, interval=0.01)


async def claim_all(store: JobStore, worker: str = "w") -> list[str]:
    ids = []
    while (lease := await store.claim(worker, LEASE)) is not None:
        ids.append(lease.job_id)
    return ids


async def status(store: JobStore, job_id: str) -> JobStatus:
    record = await store.get(job_id)
    assert record is not None
    return record.status


# --- enqueue --------------------------------------------------------------------------------------


async def test_enqueue_creates_a_queued_job(store: JobStore) -> None:
    before = await store.now()
    record, created = await store.enqueue(
        NewJob(
            "j1",
            {"text": "hi", "n": [1, 2]},
            kind="render",
            priority=JobPriority.HIGH,
            owner="k",
            file_size=7,
        )
    )
    assert created
    assert record == await store.get("j1")
    assert (record.id, record.kind, record.payload) == ("j1", "render", {"text": "hi", "n": [1, 2]})
    assert (record.priority, record.status, record.attempts, record.max_attempts) == (
        JobPriority.HIGH,
        JobStatus.QUEUED,
        0,
        3,
    )
    assert (record.owner, record.file_size) == ("k", 7)
    assert before <= record.queued_at == record.run_at <= await store.now()
    assert record.lease_token is None and record.started_at is None and record.errors == ()
    assert await store.get("nope") is None


async def test_enqueue_same_job_twice_returns_the_existing_one(store: JobStore) -> None:
    first, _ = await store.enqueue(job("j1", payload={"a": 1}))
    again, created = await store.enqueue(job("j1", payload={"a": 1}, owner="someone"))
    assert not created
    assert again == first


@pytest.mark.parametrize(
    "change",
    [{"payload": {"a": 2}}, {"priority": JobPriority.URGENT}, {"kind": "other"}],
    ids=["payload", "priority", "kind"],
)
async def test_enqueue_same_id_with_different_content_raises(store: JobStore, change: dict) -> None:
    await store.enqueue(job("j1", payload={"a": 1}))
    with pytest.raises(DuplicateJob, match="j1"):
        await store.enqueue(job("j1", **{"payload": {"a": 1}, **change}))


@pytest.mark.parametrize("payload", [{"x": object()}, {"x": float("nan")}, {"x": {1, 2}}])
async def test_enqueue_rejects_a_payload_that_is_not_json(store: JobStore, payload: dict) -> None:
    with pytest.raises(ValueError, match="JSON"):
        await store.enqueue(job("j1", payload=payload))
    assert await store.get("j1") is None


# --- claim order ----------------------------------------------------------------------------------


async def test_claim_returns_none_when_empty(store: JobStore) -> None:
    assert await store.claim("w", LEASE) is None


async def test_claim_order_is_priority_then_fifo(store: JobStore) -> None:
    P = JobPriority
    await add(
        store,
        job("low1", P.LOW),
        job("norm1", P.NORMAL),
        job("urg1", P.URGENT),
        job("high1", P.HIGH),
        job("norm2", P.NORMAL),
        job("low2", P.LOW),
        job("urg2", P.URGENT),
        job("high2", P.HIGH),
        job("norm3", P.NORMAL),
    )
    assert await claim_all(store) == [
        "urg1",
        "urg2",
        "high1",
        "high2",
        "norm1",
        "norm2",
        "norm3",
        "low1",
        "low2",
    ]


async def test_claim_filters_by_kind(store: JobStore) -> None:
    await add(store, job("r1", kind="render"), job("t1", kind="thumb", priority=JobPriority.URGENT))
    assert await store.claim("w", LEASE, kinds=()) is None
    lease = await store.claim("w", LEASE, kinds=("render", "other"))
    assert lease is not None and lease.job_id == "r1"
    assert await store.claim("w", LEASE, kinds=("render",)) is None
    lease = await store.claim("w", LEASE, kinds=None)
    assert lease is not None and lease.job_id == "t1"


async def test_claim_takes_a_lease_and_counts_the_attempt(store: JobStore) -> None:
    await add(store, job("j1"))
    before = await store.now()
    lease = await store.claim("worker-a", 10.0)
    after = await store.now()
    assert lease is not None
    record = await store.get("j1")
    assert record == lease.job
    assert record.status is JobStatus.PROCESSING
    assert record.attempts == 1
    assert record.lease_token == lease.token
    assert record.worker_id == "worker-a"
    assert before + 10.0 <= record.lease_until <= after + 10.0
    assert before <= record.started_at <= after
    assert await store.claim("worker-b", LEASE) is None  # a claimed job is nobody else's


async def test_each_claim_gets_a_fresh_token_and_started_at_keeps_the_first(store: JobStore) -> None:
    await add(store, job("j1"))
    first = await store.claim("w", LEASE)
    assert first is not None
    assert await store.release("j1", first.token)
    await store_time_passes(store, 0.01)
    second = await store.claim("w", LEASE)
    assert second is not None
    assert second.token != first.token
    assert second.job.started_at == first.job.started_at


async def test_concurrent_claims_from_two_clients_never_share_a_job(
    store: JobStore, new_store: StoreFactory
) -> None:
    await add(store, *(job(f"j{i}") for i in range(40)))
    async with new_store() as other:

        async def drain(s: JobStore, worker: str) -> list[str]:
            return await claim_all(s, worker)

        a, b = await asyncio.gather(drain(store, "a"), drain(other, "b"))
    assert sorted(a + b) == sorted(f"j{i}" for i in range(40))


# --- retries and failures -------------------------------------------------------------------------


async def test_a_retrying_job_waits_for_its_run_at(store: JobStore) -> None:
    await add(store, job("j1", max_attempts=3))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    retry_at = await store.now() + 0.5
    record = await store.fail("j1", lease.token, "boom", retry_at)
    assert record is not None
    assert record == await store.get("j1")
    assert record.status is JobStatus.RETRYING
    assert record.run_at == pytest.approx(retry_at)
    assert record.lease_token is None and record.finished_at is None
    assert [(e.attempt, e.error) for e in record.errors] == [(1, "boom")]
    assert record.errors[0].retry_at == pytest.approx(retry_at)

    assert await store.claim("w", LEASE) is None  # not yet
    await store_time_passes(store, retry_at - await store.now())
    again = await store.claim("w", LEASE)
    assert again is not None and again.job_id == "j1"
    assert again.job.attempts == 2


async def test_an_eligible_job_is_not_blocked_by_a_retrying_one_ahead_of_it(store: JobStore) -> None:
    await add(store, job("first", JobPriority.URGENT), job("second", JobPriority.LOW))
    lease = await store.claim("w", LEASE)
    assert lease is not None and lease.job_id == "first"
    await store.fail("first", lease.token, "boom", await store.now() + 60)
    nxt = await store.claim("w", LEASE)
    assert nxt is not None and nxt.job_id == "second"


async def test_fail_without_retry_is_final(store: JobStore) -> None:
    await add(store, job("j1", max_attempts=3))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    record = await store.fail("j1", lease.token, "bad input", None)
    assert record is not None
    assert record.status is JobStatus.FAILED
    assert record.finished_at is not None and record.lease_token is None
    assert [(e.attempt, e.error, e.retry_at) for e in record.errors] == [(1, "bad input", None)]


async def test_fail_is_final_when_attempts_are_used_up(store: JobStore) -> None:
    await add(store, job("j1", max_attempts=2))
    for attempt in (1, 2):
        lease = await store.claim("w", LEASE)
        assert lease is not None and lease.job.attempts == attempt
        record = await store.fail("j1", lease.token, f"boom {attempt}", await store.now())
        assert record is not None
    assert record.status is JobStatus.FAILED
    assert [(e.attempt, e.error) for e in record.errors] == [(1, "boom 1"), (2, "boom 2")]
    assert record.errors[-1].retry_at is None  # no further attempt was scheduled
    assert await store.claim("w", LEASE) is None


async def test_retry_requeues_failed_and_cancelled_jobs_with_fresh_attempts(store: JobStore) -> None:
    await add(store, job("failed", max_attempts=1), job("cancelled"), job("waiting"))
    lease = await store.claim("w", LEASE)
    assert lease is not None and lease.job_id == "failed"
    await store.fail("failed", lease.token, "boom", None)
    await store.cancel("cancelled")

    record = await store.retry("failed")
    assert record.status is JobStatus.QUEUED
    assert record.attempts == 0 and record.finished_at is None and record.lease_token is None
    assert [e.error for e in record.errors] == ["boom"]  # the history is kept
    assert record.run_at <= await store.now()
    assert (await store.retry("cancelled")).status is JobStatus.QUEUED

    unchanged = await store.get("waiting")
    assert await store.retry("waiting") == unchanged
    with pytest.raises(JobNotFound):
        await store.retry("nope")
    assert sorted(await claim_all(store)) == ["cancelled", "failed", "waiting"]


async def test_retry_leaves_running_and_completed_jobs_alone(store: JobStore) -> None:
    await add(store, job("done"), job("running"))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    await store.complete("done", lease.token, {"ok": True})
    running = await store.claim("w", LEASE)
    assert running is not None
    for job_id in ("done", "running"):
        before = await store.get(job_id)
        assert await store.retry(job_id) == before


# --- leases: heartbeat, fencing, reap -------------------------------------------------------------


async def test_heartbeat_extends_the_lease(store: JobStore) -> None:
    await add(store, job("j1"))
    lease = await store.claim("w", SHORT)
    assert lease is not None
    assert await store.heartbeat("j1", lease.token, LEASE)
    record = await store.get("j1")
    assert record.lease_until >= await store.now() + LEASE - 1
    await store_time_passes(store, SHORT * 3)
    assert await store.reap() == []
    assert await status(store, "j1") is JobStatus.PROCESSING
    assert not await store.heartbeat("j1", "not-the-token", LEASE)
    assert not await store.heartbeat("nope", lease.token, LEASE)


async def test_progress_and_complete(store: JobStore) -> None:
    await add(store, job("j1"))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    assert await store.set_progress("j1", lease.token, "speech", 42.5)
    record = await store.get("j1")
    assert (record.stage, record.percent) == ("speech", 42.5)
    assert await store.complete("j1", lease.token, {"path": "/out/j1.mp4"})
    record = await store.get("j1")
    assert record.status is JobStatus.COMPLETED
    assert record.result == {"path": "/out/j1.mp4"}
    assert record.finished_at is not None and record.lease_token is None and record.lease_until is None
    # the lease ended with the job: the token writes nothing any more
    assert not await store.complete("j1", lease.token, {"path": "other"})
    assert not await store.set_progress("j1", lease.token, "x", 1)
    assert await store.fail("j1", lease.token, "late", None) is None
    assert (await store.get("j1")).result == {"path": "/out/j1.mp4"}


async def test_a_stale_token_writes_nothing_after_the_job_was_reaped_and_reclaimed(
    store: JobStore, new_store: StoreFactory
) -> None:
    await add(store, job("j1"))
    old = await store.claim("worker-a", SHORT)
    assert old is not None
    await store_time_passes(store, SHORT * 3)
    assert await store.reap() == ["j1"]
    async with new_store() as other:
        new = await other.claim("worker-b", LEASE)
    assert new is not None and new.job_id == "j1" and new.token != old.token
    before = await store.get("j1")

    assert not await store.heartbeat("j1", old.token, LEASE)
    assert not await store.set_progress("j1", old.token, "stale", 99)
    assert not await store.complete("j1", old.token, {"stale": True})
    assert await store.fail("j1", old.token, "stale", None) is None
    assert not await store.release("j1", old.token)

    assert await store.get("j1") == before
    assert before.status is JobStatus.PROCESSING and before.worker_id == "worker-b"
    assert await store.heartbeat("j1", new.token, LEASE)  # the new holder is unaffected


async def test_reap_requeues_an_expired_lease(store: JobStore) -> None:
    await add(store, job("expires"), job("alive"))
    short = await store.claim("w", SHORT)
    long = await store.claim("w", LEASE)
    assert short is not None and long is not None
    await store_time_passes(store, SHORT * 3)
    assert await store.reap() == ["expires"]
    record = await store.get("expires")
    assert record.status is JobStatus.QUEUED
    assert record.attempts == 1  # the lost attempt counts
    assert record.lease_token is None and record.lease_until is None
    assert [e.error for e in record.errors] == ["lease expired: the worker stopped responding"]
    assert await status(store, "alive") is JobStatus.PROCESSING
    assert await store.reap() == []
    again = await store.claim("w", LEASE)
    assert again is not None and again.job_id == "expires" and again.job.attempts == 2


async def test_reap_fails_a_job_whose_attempts_are_used_up(store: JobStore) -> None:
    await add(store, job("j1", max_attempts=2))
    for _ in range(2):
        lease = await store.claim("w", SHORT)
        assert lease is not None
        await store_time_passes(store, SHORT * 3)
        assert await store.reap() == ["j1"]
    record = await store.get("j1")
    assert record.status is JobStatus.FAILED
    assert record.attempts == 2 and record.finished_at is not None and record.lease_token is None
    assert record.errors[-1].attempt == 2
    assert record.errors[-1].error == "lease expired: the worker stopped responding"
    assert record.errors[-1].retry_at is None
    assert await store.claim("w", LEASE) is None


async def test_reap_never_resurrects_a_cancelled_job(store: JobStore) -> None:
    await add(store, job("j1"))
    lease = await store.claim("w", SHORT)
    assert lease is not None
    await store.cancel("j1")
    await store_time_passes(store, SHORT * 3)
    assert await store.reap() == []
    assert await status(store, "j1") is JobStatus.CANCELLED
    assert await store.claim("w", LEASE) is None


# --- release and cancel ---------------------------------------------------------------------------


async def test_release_gives_the_job_back_without_spending_an_attempt(store: JobStore) -> None:
    await add(store, job("first"), job("second"))
    lease = await store.claim("w", LEASE)
    assert lease is not None and lease.job_id == "first"
    assert not await store.release("first", "wrong-token")
    assert await store.release("first", lease.token)
    record = await store.get("first")
    assert record.status is JobStatus.QUEUED
    assert record.attempts == 0 and record.lease_token is None and record.lease_until is None
    assert not await store.release("first", lease.token)  # once only
    assert await claim_all(store) == ["first", "second"]  # it kept its place


async def test_cancel_a_queued_job(store: JobStore) -> None:
    await add(store, job("j1"))
    record = await store.cancel("j1")
    assert record.status is JobStatus.CANCELLED and record.finished_at is not None
    assert record == await store.get("j1")
    assert await store.claim("w", LEASE) is None


async def test_cancel_a_retrying_job(store: JobStore) -> None:
    await add(store, job("j1"))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    await store.fail("j1", lease.token, "boom", await store.now())
    record = await store.cancel("j1")
    assert record.status is JobStatus.CANCELLED and record.finished_at is not None
    assert [e.error for e in record.errors] == ["boom"]
    assert await store.claim("w", LEASE) is None


async def test_cancel_a_running_job_revokes_its_lease(store: JobStore) -> None:
    await add(store, job("j1"))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    record = await store.cancel("j1")
    assert record.status is JobStatus.CANCELLED
    assert record.finished_at is not None and record.lease_token is None
    assert not await store.heartbeat("j1", lease.token, LEASE)  # how the worker finds out
    assert not await store.complete("j1", lease.token, {"too": "late"})
    assert await store.fail("j1", lease.token, "stopped", None) is None
    assert not await store.release("j1", lease.token)
    assert await status(store, "j1") is JobStatus.CANCELLED


async def test_cancel_a_final_job_changes_nothing(store: JobStore) -> None:
    await add(store, job("done"), job("failed"))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    await store.complete("done", lease.token, {"ok": 1})
    lease = await store.claim("w", LEASE)
    assert lease is not None
    await store.fail("failed", lease.token, "boom", None)
    for job_id, final in (("done", JobStatus.COMPLETED), ("failed", JobStatus.FAILED)):
        before = await store.get(job_id)
        after = await store.cancel(job_id)
        assert after == before and after.status is final
    with pytest.raises(JobNotFound):
        await store.cancel("nope")


# --- listing and stats ----------------------------------------------------------------------------


async def test_state_is_the_status_fields_and_follows_the_job(store: JobStore) -> None:
    """What a progress stream polls: status, stage, percent, attempts and the number of errors, and
    nothing of the payload (the document) or the result."""
    assert await store.state("nope") is None
    await add(store, job("s", payload={"content_b64": "x" * 100_000}, max_attempts=2))
    assert await store.state("s") == JobState(JobStatus.QUEUED, None, 0.0, 0, 0)
    lease = await store.claim("w", LEASE)
    assert lease is not None
    await store.set_progress("s", lease.token, "speech", 40.0)
    assert await store.state("s") == JobState(JobStatus.PROCESSING, "speech", 40.0, 1, 0)
    await store.fail("s", lease.token, "boom", retry_at=(await store.now()) + 60)
    assert await store.state("s") == JobState(JobStatus.RETRYING, "speech", 40.0, 1, 1)
    await store.cancel("s")
    state = await store.state("s")
    assert state is not None and state.status == JobStatus.CANCELLED and state.errors == 1
    assert not hasattr(state, "payload") and not hasattr(state, "result")


async def test_list_jobs_newest_first_with_filters_and_pages(store: JobStore) -> None:
    await add(
        store,
        *(job(f"a{i}", owner="alice") for i in range(5)),
        *(job(f"b{i}", owner="bob") for i in range(3)),
    )
    await add(store, job("local"))
    lease = await store.claim("w", LEASE)
    assert lease is not None and lease.job_id == "a0"

    assert [j.id for j in await store.list_jobs()] == [
        "local",
        "b2",
        "b1",
        "b0",
        "a4",
        "a3",
        "a2",
        "a1",
        "a0",
    ]
    assert [j.id for j in await store.list_jobs(owner="bob")] == ["b2", "b1", "b0"]
    assert [j.id for j in await store.list_jobs(status=JobStatus.PROCESSING)] == ["a0"]
    assert [j.id for j in await store.list_jobs(status=JobStatus.QUEUED, owner="alice")] == [
        "a4",
        "a3",
        "a2",
        "a1",
    ]
    assert [j.id for j in await store.list_jobs(limit=3)] == ["local", "b2", "b1"]
    assert [j.id for j in await store.list_jobs(limit=3, offset=3)] == ["b0", "a4", "a3"]
    assert [j.id for j in await store.list_jobs(owner="alice", limit=2, offset=4)] == ["a0"]
    assert await store.list_jobs(offset=100) == []
    assert await store.list_jobs(owner="nobody") == []


async def test_count_waiting_per_owner(store: JobStore) -> None:
    await add(store, *(job(f"a{i}", owner="alice") for i in range(4)), job("b0", owner="bob"), job("local"))
    lease = await store.claim("w", LEASE)  # a0: running, not waiting
    assert lease is not None and lease.job_id == "a0"
    lease = await store.claim("w", LEASE)
    assert lease is not None and lease.job_id == "a1"
    await store.fail("a1", lease.token, "boom", await store.now() + 60)  # retrying: still waiting
    await store.cancel("a2")
    assert await store.count_waiting("alice") == 2  # a1 retrying, a3 queued
    assert await store.count_waiting("bob") == 1
    assert await store.count_waiting(None) == 1
    assert await store.count_waiting("nobody") == 0


async def test_stats(store: JobStore) -> None:
    empty = await store.stats()
    assert empty.by_status.get("queued", 0) == 0 and empty.total == 0 and empty.running == 0
    assert empty.waiting_by_priority == {"low": 0, "normal": 0, "high": 0, "urgent": 0}
    assert empty.oldest_waiting_age is None and empty.queue_size == 0

    P = JobPriority
    await add(
        store,
        job("u1", P.URGENT),
        job("h1", P.HIGH),
        job("h2", P.HIGH),
        job("n1"),
        job("n2"),
        job("l1", P.LOW),
    )
    u1 = await store.claim("w", LEASE)  # running
    h1 = await store.claim("w", LEASE)
    assert u1 is not None and h1 is not None
    await store.fail("h1", h1.token, "boom", await store.now() + 60)  # retrying, not yet eligible
    await store.cancel("l1")
    await store_time_passes(store, 0.05)

    s = await store.stats()
    assert {k: v for k, v in s.by_status.items() if v} == {
        "processing": 1,
        "retrying": 1,
        "queued": 3,
        "cancelled": 1,
    }
    assert s.running == 1
    assert s.total == 6
    assert s.waiting_by_priority == {"low": 0, "normal": 2, "high": 2, "urgent": 0}
    assert s.queue_size == 4
    # the oldest *eligible* waiting job is h2 (h1, queued earlier, waits for its retry time)
    h2 = await store.get("h2")
    assert s.oldest_waiting_age == pytest.approx(await store.now() - h2.queued_at, abs=0.5)
    assert s.oldest_waiting_age >= 0.04


# --- admission: per-owner limits, atomic with the insert -------------------------------------------


async def test_the_waiting_limit_holds_under_concurrent_submits_from_many_clients(
    store: JobStore, new_store: StoreFactory
) -> None:
    """20 concurrent submits with a limit of 5, from four clients (four processes' worth): exactly 5."""
    limit = Admission(max_waiting=5)
    clients = [new_store() for _ in range(4)]
    for client in clients:
        await client.open()
    try:

        async def submit(i: int) -> bool:
            try:
                _, created = await clients[i % 4].enqueue(job(f"j{i}", owner="alice"), limit)
            except TooManyWaiting as exc:
                assert (exc.waiting, exc.limit) == (5, 5)
                return False
            return created

        created = await asyncio.gather(*(submit(i) for i in range(20)))
    finally:
        for client in clients:
            await client.close()
    assert sum(created) == 5
    assert await store.count_waiting("alice") == 5
    assert len(await store.list_jobs(owner="alice")) == 5, "a refused submit stores nothing"
    # other owners have their own limit; an identical resubmission is not a new job and passes
    assert (await store.enqueue(job("b0", owner="bob"), limit))[1]
    kept = next(j for j in await store.list_jobs(owner="alice"))
    again, created_again = await store.enqueue(job(kept.id, owner="alice"), limit)
    assert not created_again and again == kept
    # a job that leaves the waiting states frees its place
    lease = await store.claim("w", LEASE)
    assert lease is not None and lease.job.owner == "alice"
    assert (await store.enqueue(job("next", owner="alice"), limit))[1]


async def test_the_artifact_quota_counts_completed_unpurged_jobs(store: JobStore) -> None:
    await add(store, job("a1", owner="alice"), job("a2", owner="alice"), job("b1", owner="bob"))
    for size in (600, 500, 7):
        lease = await store.claim("w", LEASE)
        assert lease is not None
        assert await store.complete(lease.job_id, lease.token, {"ok": True}, artifacts_bytes=size)
    assert (await store.get("a1")).artifacts_bytes == 600
    assert await store.artifact_bytes("alice") == 1100
    assert await store.artifact_bytes("bob") == 7
    assert await store.artifact_bytes("nobody") == 0

    quota = Admission(max_artifact_bytes=1000)
    with pytest.raises(QuotaExceeded) as refused:
        await store.enqueue(job("a3", owner="alice"), quota)
    assert (refused.value.used, refused.value.quota) == (1100, 1000)
    assert await store.get("a3") is None
    assert (await store.enqueue(job("b2", owner="bob"), quota))[1]
    await store.purge("a1")  # the owner deletes a video: its bytes no longer count
    assert await store.artifact_bytes("alice") == 500
    assert (await store.enqueue(job("a3", owner="alice"), quota))[1]


async def test_attachments_count_towards_their_owners_stored_bytes(store: JobStore) -> None:
    """What the server keeps for a key counts against its quota: its videos and its jobs'
    attachments (a storyboard and its pictures), in UTF-8 bytes, until the job is purged."""
    await add(store, job("a1", owner="alice"), job("b1", owner="bob"), job("local"))
    assert await store.put_attachment("a1", "storyboard", "é" * 10, expected=None) == 1
    assert await store.put_attachment("a1", "picture:1", "x" * 300, expected=None) == 1
    assert await store.put_attachment("local", "storyboard", "x" * 7, expected=None) == 1
    assert await store.artifact_bytes("alice") == 320 and await store.artifact_bytes("bob") == 0
    assert await store.artifact_bytes(None) == 7  # local submissions have no owner
    assert await store.put_attachment("a1", "storyboard", "short", expected=1) == 2
    assert await store.artifact_bytes("alice") == 305  # the size of what is kept now
    lease = await store.claim("w", LEASE)
    assert lease is not None and lease.job_id == "a1"
    assert await store.complete("a1", lease.token, {"ok": True}, artifacts_bytes=1000)
    assert await store.artifact_bytes("alice") == 1305
    with pytest.raises(QuotaExceeded) as refused:
        await store.enqueue(job("a2", owner="alice"), Admission(max_artifact_bytes=1300))
    assert refused.value.used == 1305
    await store.purge("a1")
    assert await store.artifact_bytes("alice") == 0


def edit_of(job_id: str, body: str, expected: int, **parts: str | None) -> AttachmentEdit:
    return AttachmentEdit(
        job_id, "storyboard", body, expected, "picture:", {f"picture:{k}": v for k, v in parts.items()}
    )


async def held_attachments(store: JobStore, job_id: str, *names: str) -> dict[str, tuple[int, str] | None]:
    found = {n: await store.get_attachment(job_id, n) for n in names}
    return {n: None if a is None else (a.revision, a.body) for n, a in found.items()}


async def test_an_edit_is_stored_with_the_job_it_queues_or_not_at_all(store: JobStore) -> None:
    """`enqueue(job, admission, edit)`: the edited storyboard, its new pictures and the deletion of
    the pictures it no longer names are made with the new job, in one transaction; an enqueue the
    owner's limits refuse, or an edit from a stale revision, stores nothing at all."""
    names = ("storyboard", "picture:a", "picture:b", "picture:c", "picture:d")
    await add(store, job("p", owner="k"))
    assert await store.put_attachment("p", "storyboard", "v1", expected=None) == 1
    for name in ("picture:a", "picture:b"):
        assert await store.put_attachment("p", name, name.upper(), expected=None) == 1
    assert await store.attachment_revision("p", "storyboard") == 1
    assert await store.attachment_revision("p", "picture:c") is None

    record, created = await store.enqueue(job("c1", owner="k"), None, edit_of("p", "v2", 1, a=None, c="C"))
    assert created and record.id == "c1" and await store.get("c1") is not None
    assert await held_attachments(store, "p", *names) == {
        "storyboard": (2, "v2"),
        "picture:a": (1, "PICTURE:A"),  # named: kept
        "picture:b": None,  # named no more: deleted
        "picture:c": (1, "C"),
        "picture:d": None,
    }
    assert await store.artifact_bytes("k") == len("v2PICTURE:AC")
    assert await store.attachment_revision("p", "storyboard") == 2

    before = await held_attachments(store, "p", *names)
    refusals = [
        (Admission(max_waiting=2), TooManyWaiting),  # p and c1 are waiting
        (Admission(max_artifact_bytes=5), QuotaExceeded),
        (None, StaleAttachment),
    ]
    for admission, refused in refusals:
        expected = 1 if refused is StaleAttachment else 2
        with pytest.raises(refused):
            await store.enqueue(job("c2", owner="k"), admission, edit_of("p", "v3", expected, d="D"))
        assert await store.get("c2") is None
        assert await held_attachments(store, "p", *names) == before, refused.__name__

    await store.purge("p")
    with pytest.raises(StaleAttachment):
        await store.enqueue(job("c3", owner="k"), None, edit_of("p", "v3", 2, d="D"))
    assert await store.get("c3") is None and await store.get_attachment("p", "picture:d") is None
    with pytest.raises(ValueError, match="parts must be named"):
        AttachmentEdit("p", "storyboard", "v", 1, "picture:", {"other": None})
    with pytest.raises(ValueError, match="must not be one of its parts"):
        AttachmentEdit("p", "picture:x", "v", 1, "picture:")


async def test_of_two_edits_from_one_revision_one_job_is_queued(
    store: JobStore, new_store: StoreFactory
) -> None:
    """Two servers queue edits of one storyboard from the same revision: one edit and its job are
    stored, the other raises StaleAttachment and queues nothing."""
    await add(store, job("p"))
    base = await store.put_attachment("p", "storyboard", "r0", expected=None)
    assert base == 1
    async with new_store() as other:
        for i in range(8):
            answers = await asyncio.gather(
                store.enqueue(job(f"a{i}"), None, edit_of("p", f"a{i}", base, **{f"a{i}": "A"})),
                other.enqueue(job(f"b{i}"), None, edit_of("p", f"b{i}", base, **{f"b{i}": "B"})),
                return_exceptions=True,
            )
            stale = [isinstance(a, StaleAttachment) for a in answers]
            assert sorted(stale) == [False, True], answers
            won = "ab"[stale.index(False)]
            lost = "ab"[stale.index(True)]
            assert await other.get(f"{won}{i}") is not None and await other.get(f"{lost}{i}") is None
            held = await other.get_attachment("p", "storyboard")
            assert held is not None and (held.revision, held.body) == (base + 1, f"{won}{i}")
            assert await other.get_attachment("p", f"picture:{lost}{i}") is None
            base = held.revision


# --- purging: deletion by the owner, retention ----------------------------------------------------


async def test_purge_keeps_a_tombstone_of_a_completed_job(store: JobStore) -> None:
    await add(store, job("j1", owner="alice", payload={"content_b64": "c2VjcmV0", "filename": "x.md"}))
    lease = await store.claim("w", LEASE)
    assert lease is not None
    await store.complete("j1", lease.token, {"video": "/a/j1/video.mp4"}, artifacts_bytes=10)
    done = await store.get("j1")
    before = await store.now()
    purged = await store.purge("j1")
    assert purged == await store.get("j1")
    assert purged.purged and before <= purged.purged_at <= await store.now()
    assert purged.payload == {} and purged.result is None and purged.artifacts_bytes is None
    kept = ("status", "owner", "attempts", "queued_at", "started_at", "finished_at", "errors", "seq")
    assert all(getattr(purged, f) == getattr(done, f) for f in kept)
    assert purged.status is JobStatus.COMPLETED
    again = await store.purge("j1")
    assert again.purged_at == purged.purged_at, "the first purge's time is kept"
    with pytest.raises(JobNotFound):
        await store.purge("nope")


async def test_purge_cancels_waiting_and_running_jobs_and_nothing_revives_them(store: JobStore) -> None:
    await add(store, job("running"), job("failed"), job("queued"))
    running = await store.claim("w", LEASE)
    assert running is not None and running.job_id == "running"
    failing = await store.claim("w", LEASE)
    assert failing is not None and failing.job_id == "failed"
    await store.fail("failed", failing.token, "boom", None)
    for job_id in ("running", "queued", "failed"):
        record = await store.purge(job_id)
        assert record.purged and record.payload == {}
    assert await status(store, "running") is JobStatus.CANCELLED
    assert (await store.get("running")).lease_token is None and (await store.get("running")).finished_at
    assert not await store.heartbeat("running", running.token, LEASE)  # the worker is fenced out
    assert not await store.complete("running", running.token, {"late": True}, artifacts_bytes=5)
    assert (await store.get("running")).artifacts_bytes is None
    for job_id in ("running", "queued", "failed"):
        before = await store.get(job_id)
        assert await store.retry(job_id) == before, "a purged job has no document to run again"
    assert await store.claim("w", LEASE) is None


async def test_purge_finished_takes_only_final_jobs_past_the_age(store: JobStore) -> None:
    await add(store, *(job(f"j{i}") for i in range(5)))
    for i, outcome in enumerate(("complete", "fail", "cancel")):
        lease = await store.claim("w", LEASE)
        assert lease is not None and lease.job_id == f"j{i}"
        if outcome == "complete":
            await store.complete(lease.job_id, lease.token, {"i": i}, artifacts_bytes=1)
        elif outcome == "fail":
            await store.fail(lease.job_id, lease.token, "boom", None)
        else:
            await store.cancel(lease.job_id)
        await store_time_passes(store, 0.01)  # distinct finish times, so the order is defined
    running = await store.claim("w", LEASE)  # j3 runs, j4 waits: neither is ever purged
    assert running is not None and running.job_id == "j3"
    since = await store.now()
    await store_time_passes(store, 0.02)
    assert await store.purge_finished(3600) == []
    assert await store.purge_finished(0, limit=1) == ["j0"], "the oldest first, in batches"
    assert await store.purge_finished(0) == ["j1", "j2"]
    assert await store.purge_finished(0) == []
    assert sorted(await store.purged_since(since)) == ["j0", "j1", "j2"]
    assert await store.purged_since(await store.now() + 60) == []
    records = {j.id: j for j in await store.list_jobs()}
    assert [records[f"j{i}"].status for i in range(3)] == [
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
    ]
    assert all(records[f"j{i}"].purged and records[f"j{i}"].payload == {} for i in range(3))
    assert not records["j3"].purged and not records["j4"].purged
    assert records["j3"].status is JobStatus.PROCESSING and records["j4"].status is JobStatus.QUEUED


# --- worker registry ------------------------------------------------------------------------------


async def test_worker_registry(store: JobStore) -> None:
    before = await store.now()
    await store.register_worker("w1", "host-a", 101)
    await store.register_worker("w2", "host-b", 202)
    workers = {w.id: w for w in await store.list_workers()}
    assert set(workers) == {"w1", "w2"}
    w1 = workers["w1"]
    assert (w1.host, w1.pid, w1.running) == ("host-a", 101, ())
    assert before <= w1.started_at <= w1.last_seen <= await store.now()

    await store_time_passes(store, 0.02)
    assert await store.worker_heartbeat("w1", ("j1", "j2"))
    w1b = {w.id: w for w in await store.list_workers()}["w1"]
    assert w1b.running == ("j1", "j2") and w1b.last_seen > w1.last_seen and w1b.started_at == w1.started_at

    await store.register_worker("w1", "host-a", 303)  # a restart under the same id replaces it
    assert {w.id: w.pid for w in await store.list_workers()} == {"w1": 303, "w2": 202}

    await store.deregister_worker("w2")
    await store.deregister_worker("w2")  # idempotent
    assert [w.id for w in await store.list_workers()] == ["w1"]
    assert not await store.worker_heartbeat("w2", ())  # gone: it must register again


async def test_prune_workers_removes_only_the_silent_ones(store: JobStore) -> None:
    await store.register_worker("silent", "h", 1)
    await store.register_worker("alive", "h", 2)
    await store_time_passes(store, 0.6)
    await store.worker_heartbeat("alive", ())
    assert await store.prune_workers(0.3) == ["silent"]
    assert [w.id for w in await store.list_workers()] == ["alive"]
    assert await store.prune_workers(60) == []


# --- the store as a whole -------------------------------------------------------------------------


async def test_jobs_survive_reopening_and_are_shared_between_clients(
    store: JobStore, new_store: StoreFactory
) -> None:
    await add(store, job("j1"))
    async with new_store() as other:
        assert (await other.get("j1")) == await store.get("j1")
        lease = await other.claim("w", LEASE)
        assert lease is not None
    assert await status(store, "j1") is JobStatus.PROCESSING


async def test_store_time_moves_forward(store: JobStore) -> None:
    a = await store.now()
    await asyncio.sleep(0.02)
    b = await store.now()
    assert 0.01 <= b - a < 5


# --- attachments (an editor's storyboard): compare-and-set on the revision -------------------------


async def test_an_attachment_is_written_only_from_the_revision_it_was_read_at(store: JobStore) -> None:
    await add(store, job("j1"))
    assert await store.get_attachment("j1", "storyboard") is None
    assert await store.put_attachment("j1", "storyboard", '{"v": 1}', expected=None) == 1
    # a second "first write" loses: the one stored stays
    assert await store.put_attachment("j1", "storyboard", '{"v": 9}', expected=None) is None
    held = await store.get_attachment("j1", "storyboard")
    assert held is not None and (held.revision, held.body) == (1, '{"v": 1}')
    assert await store.put_attachment("j1", "storyboard", '{"v": 2}', expected=1) == 2
    # a write from the old revision is refused and changes nothing
    assert await store.put_attachment("j1", "storyboard", '{"v": 3}', expected=1) is None
    held = await store.get_attachment("j1", "storyboard")
    assert held is not None and (held.revision, held.body) == (2, '{"v": 2}')
    # the same write again is refused too: it is no longer at the revision it names
    assert await store.put_attachment("j1", "storyboard", '{"v": 2}', expected=1) is None
    assert await store.put_attachment("j1", "storyboard", '{"v": 2}', expected=7) is None
    assert await store.get_attachment("j1", "other") is None  # attachments are per name
    with pytest.raises(JobNotFound):
        await store.put_attachment("nope", "storyboard", "{}", expected=None)


async def test_an_undone_edit_does_not_bring_its_old_revision_back(store: JobStore) -> None:
    """A -> B -> A: the content is A again, but a reader still holding A's first revision read it
    before B and its undo; its write would lose both (a lost update), so it is refused."""
    await add(store, job("j1"))
    first = await store.put_attachment("j1", "storyboard", "A", expected=None)
    assert first == 1
    assert await store.put_attachment("j1", "storyboard", "B", expected=first) == 2
    assert await store.put_attachment("j1", "storyboard", "A", expected=2) == 3
    assert await store.put_attachment("j1", "storyboard", "C", expected=first) is None
    held = await store.get_attachment("j1", "storyboard")
    assert held is not None and (held.revision, held.body) == (3, "A")


async def test_purging_a_job_deletes_its_attachments(store: JobStore) -> None:
    await add(store, job("j1"), job("j2"))
    assert await store.put_attachment("j1", "storyboard", "{}", expected=None) == 1
    assert await store.put_attachment("j2", "storyboard", "{}", expected=None) == 1
    await store.purge("j1")
    assert await store.get_attachment("j1", "storyboard") is None
    assert await store.put_attachment("j1", "storyboard", "{}", expected=None) is None
    assert await store.put_attachment("j1", "storyboard", "{}", expected=1) is None
    assert await store.get_attachment("j2", "storyboard") is not None


async def test_two_clients_writing_from_the_same_revision_one_wins(
    store: JobStore, new_store: StoreFactory
) -> None:
    await add(store, job("j1"))
    base = await store.put_attachment("j1", "storyboard", "r0", expected=None)
    assert base == 1
    async with new_store() as other:
        for i in range(15):
            a, b = await asyncio.gather(
                store.put_attachment("j1", "storyboard", f"a{i}", expected=base),
                other.put_attachment("j1", "storyboard", f"b{i}", expected=base),
            )
            assert (a is None) != (b is None), f"round {i}: {a}, {b} from revision {base}"
            held = await other.get_attachment("j1", "storyboard")
            assert held is not None and held.body == (f"a{i}" if a else f"b{i}")
            assert held.revision == base + 1 == (a or b)
            base = held.revision
