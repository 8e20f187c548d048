"""How much work may run at once, and whether the machine has room for more.

Three kinds of slots (jobs, TTS calls, visual work) bound concurrency; a sampler reads CPU and memory
(against the container's cgroup limit when there is one); admission says whether a new job may start,
with hysteresis so that a machine hovering at the limit does not flap; registered cleanup callbacks run
when memory passes the cleanup threshold, at most once per cool-down.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Protocol

import psutil

from app.config import Settings, setting_default

log = logging.getLogger(__name__)


@dataclass
class ResourceLimits:
    """The seed's limits and defaults (from `app.config.Settings`, where each is written once), plus
    the cleanup threshold, the monitoring interval, the admission hysteresis and the cleanup cool-down."""

    max_cpu_percent: float = setting_default("max_cpu_percent")
    max_memory_percent: float = setting_default("max_memory_percent")
    max_concurrent_jobs: int = setting_default("max_concurrent_jobs")
    max_concurrent_tts: int = setting_default("max_concurrent_tts")
    max_concurrent_visual: int = setting_default("max_concurrent_visual")
    cleanup_memory_percent: float = setting_default("cleanup_memory_percent")
    monitor_interval: float = setting_default("monitor_interval")
    hysteresis_percent: float = setting_default("hysteresis_percent")
    cleanup_cooldown: float = setting_default("cleanup_cooldown")

    def __post_init__(self) -> None:
        for name in ("max_concurrent_jobs", "max_concurrent_tts", "max_concurrent_visual"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("max_cpu_percent", "max_memory_percent", "cleanup_memory_percent"):
            if not 0 < getattr(self, name) <= 100:
                raise ValueError(f"{name} must be between 0 and 100")

    @classmethod
    def from_settings(cls, settings: Settings) -> ResourceLimits:
        """The limits the settings hold (T2V_MAX_CPU_PERCENT, T2V_MAX_CONCURRENT_JOBS, ... and flags)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


class Slots:
    """A counting semaphore that reports how many holders and waiters it has, and its peak.

    Not bound to an event loop until someone has to wait, so one instance survives several
    `asyncio.run` calls (the seed's module-level objects rely on that).
    """

    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.capacity = capacity
        self.in_use = 0
        self.peak = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.in_use)

    async def acquire(self) -> None:
        if self.in_use < self.capacity and not self.waiting:
            self._take()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed to us just as we were cancelled: pass it on
            raise
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def release(self) -> None:
        self.in_use -= 1
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._take()
                waiter.set_result(None)
                return

    def _take(self) -> None:
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()


@dataclass(frozen=True)
class ResourceSample:
    cpu_percent: float
    memory_percent: float
    memory_used_bytes: int
    memory_limit_bytes: int
    memory_source: str  # "cgroup v2", "cgroup v1" or "host"
    taken_at: float = field(default_factory=time.monotonic)


class Sampler(Protocol):
    def sample(self) -> ResourceSample: ...


@dataclass(frozen=True)
class CgroupMemory:
    used_bytes: int
    limit_bytes: int | None  # None: no limit set ("max")
    version: int


def read_cgroup_memory(root: Path = Path("/sys/fs/cgroup")) -> CgroupMemory | None:
    """The memory usage and limit of the cgroup this process lives in (v2 or v1), if readable."""
    v2_max, v2_cur = root / "memory.max", root / "memory.current"
    if v2_max.is_file() and v2_cur.is_file():
        written = v2_max.read_text().strip()
        used = int(v2_cur.read_text().strip())
        used -= _v2_inactive_file(root / "memory.stat")
        return CgroupMemory(max(used, 0), None if written == "max" else int(written), 2)
    v1 = root / "memory"
    v1_limit, v1_usage = v1 / "memory.limit_in_bytes", v1 / "memory.usage_in_bytes"
    if v1_limit.is_file() and v1_usage.is_file():
        limit_value = int(v1_limit.read_text().strip())
        # v1 reports "no limit" as a huge page-aligned number
        limit = None if limit_value >= 1 << 60 else limit_value
        used = int(v1_usage.read_text().strip()) - _v1_inactive_file(v1 / "memory.stat")
        return CgroupMemory(max(used, 0), limit, 1)
    return None


def _stat_value(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _v2_inactive_file(path: Path) -> int:
    return _stat_value(path, "inactive_file")


def _v1_inactive_file(path: Path) -> int:
    return _stat_value(path, "total_inactive_file")


class SystemSampler:
    """CPU from psutil; memory against the cgroup limit when one is set and lower than the host's."""

    def __init__(self, cgroup_root: Path = Path("/sys/fs/cgroup")) -> None:
        self.cgroup_root = cgroup_root
        psutil.cpu_percent(interval=None)  # prime: the first reading is otherwise meaningless

    def sample(self) -> ResourceSample:
        vm = psutil.virtual_memory()
        cpu = psutil.cpu_percent(interval=None)
        cg = read_cgroup_memory(self.cgroup_root)
        if cg is not None and cg.limit_bytes is not None and cg.limit_bytes < vm.total:
            return ResourceSample(
                cpu_percent=cpu,
                memory_percent=100.0 * cg.used_bytes / cg.limit_bytes,
                memory_used_bytes=cg.used_bytes,
                memory_limit_bytes=cg.limit_bytes,
                memory_source=f"cgroup v{cg.version}",
            )
        return ResourceSample(
            cpu_percent=cpu,
            memory_percent=vm.percent,
            memory_used_bytes=vm.total - vm.available,
            memory_limit_bytes=vm.total,
            memory_source="host",
        )


class Health(str, Enum):
    OK = "ok"
    DEGRADED = "degraded"
    CRITICAL = "critical"


@dataclass(frozen=True)
class HealthReport:
    status: Health
    reasons: tuple[str, ...]
    sample: ResourceSample


CleanupCallback = Callable[[], "int | Awaitable[int | None] | None"]


@dataclass(frozen=True)
class CleanupRun:
    at: float
    memory_percent: float
    freed_bytes: int
    results: dict[str, int]


class ResourceManager:
    """Slots, sampling, admission, automatic cleanup and a health report, for one process."""

    def __init__(
        self,
        limits: ResourceLimits | None = None,
        sampler: Sampler | None = None,
        clock: Callable[[], float] = time.monotonic,
        sample_max_age: float = 1.0,
    ) -> None:
        self.limits = limits or ResourceLimits()
        self.sampler: Sampler = sampler or SystemSampler()
        self.clock = clock
        self.sample_max_age = sample_max_age
        self.jobs = Slots("jobs", self.limits.max_concurrent_jobs)
        self.tts = Slots("tts", self.limits.max_concurrent_tts)
        self.visual = Slots("visual", self.limits.max_concurrent_visual)
        self._cleanups: dict[str, CleanupCallback] = {}
        self._last_sample: ResourceSample | None = None
        self._blocked_cpu = False
        self._blocked_memory = False
        self._last_cleanup_at: float | None = None
        self.cleanup_runs: list[CleanupRun] = []
        self.register_cleanup("gc", _collect_garbage)

    # slots
    def job_slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.jobs.hold()

    def tts_slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.tts.hold()

    def visual_slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.visual.hold()

    def slot_counts(self) -> dict[str, dict[str, int]]:
        return {
            s.name: {"in_use": s.in_use, "capacity": s.capacity, "waiting": s.waiting, "peak": s.peak}
            for s in (self.jobs, self.tts, self.visual)
        }

    # sampling and admission
    def sample(self, fresh: bool = False) -> ResourceSample:
        last = self._last_sample
        if fresh or last is None or self.clock() - last.taken_at >= self.sample_max_age:
            last = self.sampler.sample()
            last = ResourceSample(**{**last.__dict__, "taken_at": self.clock()})
            self._last_sample = last
        return last

    def resources_allow_job(self, sample: ResourceSample | None = None) -> bool:
        """CPU and memory under the limits; once over, they must fall `hysteresis_percent` below."""
        s = sample or self.sample()
        lim, gap = self.limits, self.limits.hysteresis_percent
        self._blocked_memory = _hysteresis(
            self._blocked_memory, s.memory_percent, lim.max_memory_percent, gap
        )
        self._blocked_cpu = _hysteresis(self._blocked_cpu, s.cpu_percent, lim.max_cpu_percent, gap)
        return not (self._blocked_memory or self._blocked_cpu)

    def can_start_job(self) -> bool:
        """A free job slot, and CPU and memory under the limits."""
        return self.jobs.free > 0 and self.resources_allow_job()

    # cleanup
    def register_cleanup(self, name: str, callback: CleanupCallback) -> None:
        """`callback` frees something (a cache, finished jobs' files) and returns the bytes it freed."""
        self._cleanups[name] = callback

    async def maybe_cleanup(self, sample: ResourceSample | None = None) -> CleanupRun | None:
        """Run the cleanup callbacks if memory is past the threshold and the cool-down has passed."""
        s = sample or self.sample()
        if s.memory_percent < self.limits.cleanup_memory_percent:
            return None
        now = self.clock()
        if self._last_cleanup_at is not None and now - self._last_cleanup_at < self.limits.cleanup_cooldown:
            return None
        self._last_cleanup_at = now
        return await self.cleanup(s.memory_percent)

    async def cleanup(self, memory_percent: float = 0.0) -> CleanupRun:
        results: dict[str, int] = {}
        for name, callback in list(self._cleanups.items()):
            try:
                freed = callback()
                if inspect.isawaitable(freed):
                    freed = await freed
                results[name] = int(freed or 0)
            except Exception:  # one failing callback must not stop the others
                log.exception("cleanup callback %r failed", name)
                results[name] = 0
        run = CleanupRun(self.clock(), memory_percent, sum(results.values()), results)
        self.cleanup_runs.append(run)
        log.warning(
            "memory at %.0f%% (threshold %.0f%%): cleanup freed %s",
            memory_percent,
            self.limits.cleanup_memory_percent,
            ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in results.items()) or "nothing",
        )
        return run

    # health
    def health(self, sample: ResourceSample | None = None) -> HealthReport:
        s = sample or self.sample()
        lim = self.limits
        reasons: list[str] = []
        status = Health.OK
        if s.memory_percent >= min(97.0, lim.max_memory_percent + 10):
            status = Health.CRITICAL
            reasons.append(f"memory {s.memory_percent:.0f}% is near exhaustion")
        elif s.memory_percent >= lim.max_memory_percent:
            status = Health.DEGRADED
            reasons.append(f"memory {s.memory_percent:.0f}% is over the {lim.max_memory_percent:.0f}% limit")
        if s.cpu_percent >= lim.max_cpu_percent:
            status = max(status, Health.DEGRADED, key=_severity)
            reasons.append(f"CPU {s.cpu_percent:.0f}% is over the {lim.max_cpu_percent:.0f}% limit")
        if self.jobs.free == 0 and self.jobs.waiting:
            status = max(status, Health.DEGRADED, key=_severity)
            reasons.append(f"all {self.jobs.capacity} job slots busy, {self.jobs.waiting} waiting")
        return HealthReport(status, tuple(reasons), s)


def _hysteresis(blocked: bool, value: float, limit: float, gap: float) -> bool:
    """Blocked once `value` is above `limit`, until it falls `gap` below it. "Above": a limit of 100
    never blocks (a fully busy CPU reads 100.0)."""
    if blocked:
        return value > limit - gap
    return value > limit


def _severity(h: Health) -> int:
    return [Health.OK, Health.DEGRADED, Health.CRITICAL].index(h)


def _collect_garbage() -> int:
    before = psutil.Process().memory_info().rss
    gc.collect()
    return max(0, before - psutil.Process().memory_info().rss)
