from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import Settings, load_settings
from app.core.resource_manager import (
    Health,
    ResourceLimits,
    ResourceManager,
    ResourceSample,
    Slots,
    SystemSampler,
    read_cgroup_memory,
)


@dataclass
class FakeSampler:
    """An injected sampler: the test sets the numbers the manager sees."""

    cpu: float = 10.0
    memory: float = 50.0

    def sample(self) -> ResourceSample:
        return ResourceSample(self.cpu, self.memory, int(self.memory * 1e7), int(1e9), "test")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def manager(**limits: float) -> tuple[ResourceManager, FakeSampler, FakeClock]:
    sampler, clock = FakeSampler(), FakeClock()
    rm = ResourceManager(ResourceLimits(**limits), sampler=sampler, clock=clock, sample_max_age=0)  # type: ignore[arg-type]
    return rm, sampler, clock


def test_seed_defaults() -> None:
    limits = ResourceLimits()
    assert (limits.max_cpu_percent, limits.max_memory_percent) == (80, 85)
    assert (limits.max_concurrent_jobs, limits.max_concurrent_tts, limits.max_concurrent_visual) == (3, 2, 4)
    assert limits.cleanup_memory_percent == 70 and limits.monitor_interval == 30


def test_limits_from_environment_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limits are settings (T2V_MAX_CONCURRENT_JOBS...), with CLI flags as overrides."""
    for name in ("MAX_CONCURRENT_JOBS", "MAX_CONCURRENT_TTS", "MAX_CPU_PERCENT", "MAX_MEMORY_PERCENT"):
        monkeypatch.delenv(f"T2V_{name}", raising=False)
    assert ResourceLimits.from_settings(Settings()) == ResourceLimits()
    monkeypatch.setenv("T2V_MAX_CONCURRENT_JOBS", "5")
    monkeypatch.setenv("T2V_MAX_CPU_PERCENT", "60.5")
    limits = ResourceLimits.from_settings(load_settings(max_concurrent_tts=1))
    assert (
        limits.max_concurrent_jobs == 5 and limits.max_cpu_percent == 60.5 and limits.max_concurrent_tts == 1
    )
    monkeypatch.setenv("T2V_MAX_CONCURRENT_JOBS", "many")
    with pytest.raises(ValueError, match="max_concurrent_jobs"):
        load_settings()
    monkeypatch.delenv("T2V_MAX_CONCURRENT_JOBS")
    with pytest.raises(ValueError, match="max_concurrent_visual"):
        load_settings(max_concurrent_visual=0)
    with pytest.raises(ValueError, match="at least 1"):
        ResourceLimits(max_concurrent_visual=0)


@pytest.mark.parametrize(("kind", "capacity"), [("tts", 2), ("visual", 4), ("jobs", 3)])
async def test_fifty_tasks_never_exceed_the_slot_capacity(kind: str, capacity: int) -> None:
    rm, _, _ = manager()
    slot_cm = {"tts": rm.tts_slot, "visual": rm.visual_slot, "jobs": rm.job_slot}[kind]
    inside = 0
    max_inside = 0

    async def work(i: int) -> None:
        nonlocal inside, max_inside
        async with slot_cm():
            inside += 1
            max_inside = max(max_inside, inside)
            await asyncio.sleep(0.001 * (i % 5))
            inside -= 1

    await asyncio.gather(*(work(i) for i in range(50)))
    assert max_inside == capacity
    counts = rm.slot_counts()[kind]
    assert counts["in_use"] == 0 and counts["waiting"] == 0 and counts["peak"] == capacity


async def test_a_task_cancelled_while_waiting_leaks_no_slot() -> None:
    slots = Slots("tts", 2)
    await slots.acquire()
    await slots.acquire()
    waiters = [asyncio.create_task(slots.acquire()) for _ in range(3)]
    await asyncio.sleep(0)
    assert slots.waiting == 3
    waiters[0].cancel()
    waiters[1].cancel()
    await asyncio.gather(*waiters[:2], return_exceptions=True)
    slots.release()  # hands the slot to the third waiter
    await asyncio.wait_for(waiters[2], 1)
    assert slots.in_use == 2 and slots.waiting == 0
    slots.release()
    slots.release()
    assert slots.in_use == 0


async def test_cancel_racing_with_a_handoff_passes_the_slot_on() -> None:
    slots = Slots("jobs", 1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it runs: the slot must go to `second`
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, 1)
    assert slots.in_use == 1
    slots.release()
    assert slots.in_use == 0


def test_admission_follows_memory_with_hysteresis() -> None:
    rm, sampler, _ = manager()
    sampler.memory = 90
    assert rm.can_start_job() is False
    sampler.memory = 60
    assert rm.can_start_job() is True
    # hysteresis: once over 85%, stay closed until below 80%
    sampler.memory = 86
    assert rm.can_start_job() is False
    sampler.memory = 82
    assert rm.can_start_job() is False
    sampler.memory = 79
    assert rm.can_start_job() is True
    sampler.memory = 84  # rising again, but under the limit
    assert rm.can_start_job() is True


def test_a_limit_of_100_percent_never_blocks_admission() -> None:
    rm, sampler, _ = manager(max_cpu_percent=100, max_memory_percent=100)
    sampler.cpu, sampler.memory = 100.0, 100.0  # a saturated machine reads exactly 100
    assert rm.can_start_job() is True
    rm, sampler, _ = manager(max_cpu_percent=80)
    sampler.cpu = 80.0  # at the limit is not above it
    assert rm.can_start_job() is True
    sampler.cpu = 80.1
    assert rm.can_start_job() is False


def test_admission_follows_cpu_and_free_slots() -> None:
    rm, sampler, _ = manager(max_concurrent_jobs=1)
    sampler.cpu = 95
    assert rm.can_start_job() is False
    sampler.cpu = 20
    assert rm.can_start_job() is True
    rm.jobs._take()
    assert rm.can_start_job() is False
    rm.jobs.release()
    assert rm.can_start_job() is True


async def test_cleanup_fires_once_past_70_percent_and_respects_the_cooldown() -> None:
    rm, sampler, clock = manager(cleanup_cooldown=60)
    calls: list[str] = []

    def drop_cache() -> int:
        calls.append("cache")
        return 5_000_000

    async def drop_files() -> int:
        calls.append("files")
        return 1_000

    rm.register_cleanup("cache", drop_cache)
    rm.register_cleanup("files", drop_files)
    sampler.memory = 65
    assert await rm.maybe_cleanup() is None
    sampler.memory = 72
    run = await rm.maybe_cleanup()
    assert run is not None and calls == ["cache", "files"]
    assert run.results["cache"] == 5_000_000 and run.freed_bytes >= 5_001_000
    clock.now += 30
    assert await rm.maybe_cleanup() is None  # cool-down
    assert calls == ["cache", "files"]
    clock.now += 31
    assert await rm.maybe_cleanup() is not None
    assert calls == ["cache", "files", "cache", "files"]


async def test_a_failing_cleanup_callback_does_not_stop_the_others() -> None:
    rm, sampler, _ = manager()

    def broken() -> int:
        raise RuntimeError("boom")

    rm.register_cleanup("broken", broken)
    rm.register_cleanup("ok", lambda: 7)
    sampler.memory = 99
    run = await rm.maybe_cleanup()
    assert run is not None and run.results["broken"] == 0 and run.results["ok"] == 7


def test_health_report() -> None:
    rm, sampler, _ = manager()
    assert rm.health().status is Health.OK
    sampler.memory = 88
    report = rm.health()
    assert report.status is Health.DEGRADED and "memory" in report.reasons[0]
    sampler.memory = 97
    assert rm.health().status is Health.CRITICAL
    sampler.memory, sampler.cpu = 50, 90
    report = rm.health()
    assert report.status is Health.DEGRADED and "CPU" in report.reasons[0]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_cgroup_v2_limit(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "memory.max": "1073741824\n",
            "memory.current": "805306368\n",
            "memory.stat": "anon 1\ninactive_file 268435456\n",
        },
    )
    cg = read_cgroup_memory(root)
    assert cg == type(cg)(used_bytes=536870912, limit_bytes=1073741824, version=2)  # type: ignore[misc]
    sample = SystemSampler(root).sample()
    assert sample.memory_source == "cgroup v2" and sample.memory_percent == pytest.approx(50.0)


def test_cgroup_v2_unlimited_falls_back_to_the_host(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"memory.max": "max\n", "memory.current": "1000\n"})
    cg = read_cgroup_memory(root)
    assert cg is not None and cg.limit_bytes is None and cg.used_bytes == 1000
    assert SystemSampler(root).sample().memory_source == "host"


def test_cgroup_v1_limit_and_unlimited(tmp_path: Path) -> None:
    limited = write_tree(
        tmp_path / "a",
        {
            "memory/memory.limit_in_bytes": "2147483648\n",
            "memory/memory.usage_in_bytes": "1610612736\n",
            "memory/memory.stat": "cache 5\ntotal_inactive_file 536870912\n",
        },
    )
    cg = read_cgroup_memory(limited)
    assert cg is not None and cg.version == 1 and cg.limit_bytes == 2147483648 and cg.used_bytes == 1073741824
    assert SystemSampler(limited).sample().memory_percent == pytest.approx(50.0)
    unlimited = write_tree(
        tmp_path / "b",
        {"memory/memory.limit_in_bytes": "9223372036854771712\n", "memory/memory.usage_in_bytes": "4096\n"},
    )
    cg = read_cgroup_memory(unlimited)
    assert cg is not None and cg.limit_bytes is None


def test_no_cgroup_files(tmp_path: Path) -> None:
    assert read_cgroup_memory(tmp_path) is None
    sample = SystemSampler(tmp_path).sample()
    assert sample.memory_source == "host" and 0 < sample.memory_percent < 100
