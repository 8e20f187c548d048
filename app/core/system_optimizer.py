"""The seed's system optimizer: one object that starts, watches and stops the other parts.

    from app.core.system_optimizer import start_optimization, get_optimization_status
    await start_optimization()
    status = await get_optimization_status()
    print(f"CPU: {status['system_resources']['cpu_percent']}%")

`SystemOptimizer` is given its parts (resource manager, queue manager, workers, caches, things to
close). The module-level functions use a default optimizer built on first use by the factory the
root package registers in `app.core.hooks` (the composition root, `app.runtime`, over settings from
T2V_* variables), so core never imports the video pipeline, not even at run time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.core import hooks
from app.core.lifecycle import DataLifecycle
from app.core.memory_optimizer import DiskCache, WorkspaceManager, tree_rss
from app.core.permissions import private_dir
from app.core.queue_manager import QueueManager
from app.core.resource_manager import ResourceManager
from app.core.worker import Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    kind: str  # "cpu", "memory", "health"
    message: str
    at: float


@dataclass
class OptimizerParts:
    """Everything the optimizer coordinates; built by `app.runtime`, or by tests."""

    resources: ResourceManager
    queue: QueueManager
    workers: list[Worker] = field(default_factory=list)
    workspaces: WorkspaceManager | None = None
    cache: DiskCache | None = None
    lifecycle: DataLifecycle | None = None  # retention and purges (shared with the workers)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


class SystemOptimizer:
    def __init__(self, parts: OptimizerParts, monitor_interval: float | None = None) -> None:
        self.parts = parts
        self.monitor_interval = monitor_interval or parts.resources.limits.monitor_interval
        self.started_at: float | None = None
        self.alerts: deque[Alert] = deque(maxlen=50)
        self.alert_counts: Counter[str] = Counter()
        self._monitor: asyncio.Task[None] | None = None
        self._worker_tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return self.started_at is not None

    async def start(self) -> None:
        if self.running:
            return
        self.started_at = time.monotonic()
        if self.parts.workspaces is not None:
            self.parts.workspaces.remove_orphans()
        await self.parts.queue.store()  # open (and migrate) the job store before taking work
        self._worker_tasks = [asyncio.create_task(w.run(), name=f"worker-{w.id}") for w in self.parts.workers]
        self._monitor = asyncio.create_task(self._monitor_loop(), name="resource-monitor")
        log.info("optimizer started: %d in-process worker(s)", len(self.parts.workers))

    async def stop(self) -> None:
        """Graceful shutdown: stop intake, let running jobs finish within the grace period (then
        release them, attempt unspent), close clients and the store, remove temp files."""
        if not self.running:
            return
        for w in self.parts.workers:
            w.stop()
        if self._worker_tasks:
            await asyncio.gather(*self._worker_tasks, return_exceptions=True)
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        for close in self.parts.closers:
            with contextlib.suppress(Exception):
                await close()
        await self.parts.queue.close()
        if self.parts.workspaces is not None:
            self.parts.workspaces.remove_orphans()
        self.started_at = None
        log.info("optimizer stopped")

    async def check(self) -> None:
        """One monitoring tick: sample, clean up past the threshold, raise alerts past the limits,
        apply the data retention (also done by workers; this covers an API-only node)."""
        if self.parts.lifecycle is not None:
            try:
                await self.parts.lifecycle.maybe_sweep()
            except Exception:
                log.warning("data retention sweep failed; will retry", exc_info=True)
        rm = self.parts.resources
        sample = rm.sample(fresh=True)
        await rm.maybe_cleanup(sample)
        limits = rm.limits
        if sample.cpu_percent >= limits.max_cpu_percent:
            self._alert("cpu", f"CPU at {sample.cpu_percent:.0f}% (limit {limits.max_cpu_percent:.0f}%)")
        if sample.memory_percent >= limits.max_memory_percent:
            self._alert(
                "memory", f"memory at {sample.memory_percent:.0f}% (limit {limits.max_memory_percent:.0f}%)"
            )

    def _alert(self, kind: str, message: str) -> None:
        self.alerts.append(Alert(kind, message, time.time()))
        self.alert_counts[kind] += 1
        log.warning("resource alert: %s", message)

    async def _monitor_loop(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("resource monitoring failed")
            await asyncio.sleep(self.monitor_interval)

    async def status(self) -> dict[str, Any]:
        rm = self.parts.resources
        sample = rm.sample()
        health = rm.health(sample)
        queue_status = await self.parts.queue.get_queue_status()
        store = await self.parts.queue.store()
        workers = await store.list_workers()
        now = await store.now()
        cache = self.parts.cache
        data_dir = self.parts.workspaces.root if self.parts.workspaces else None
        return {
            "system_resources": {
                "cpu_percent": sample.cpu_percent,
                "memory_percent": sample.memory_percent,
                "memory_used_bytes": sample.memory_used_bytes,
                "memory_limit_bytes": sample.memory_limit_bytes,
                "memory_source": sample.memory_source,
                "process_rss_bytes": tree_rss(),
                "disk_free_bytes": _disk_free(data_dir),
            },
            "queue_status": {
                **queue_status,
                "in_process_running": sum(len(w.running) for w in self.parts.workers),
            },
            "slots": rm.slot_counts(),
            "cache": (
                {"size_bytes": cache.size_bytes(), "max_bytes": cache.max_bytes, **asdict(cache.stats)}
                if cache is not None
                else None
            ),
            "health": {"status": health.status.value, "reasons": list(health.reasons)},
            "workers": [
                {
                    "id": w.id,
                    "host": w.host,
                    "pid": w.pid,
                    "running": list(w.running),
                    "last_heartbeat_age": round(now - w.last_seen, 3),
                }
                for w in workers
            ],
            "alerts": [asdict(a) for a in self.alerts],
            "alert_counts": dict(self.alert_counts),
            "limits": asdict(rm.limits),
            "uptime_seconds": time.monotonic() - self.started_at if self.started_at is not None else 0.0,
            "running": self.running,
        }


def _disk_free(path: Any) -> int | None:
    if path is None:
        return None
    with contextlib.suppress(OSError):
        private_dir(path)
        return shutil.disk_usage(path).free
    return None


# The seed's module-level API, delegating to one default optimizer.

_default: SystemOptimizer | None = None


def default_optimizer() -> SystemOptimizer:
    """Built on first use by the factory the composition root registered (`app.core.hooks`)."""
    global _default
    if _default is None:
        built = hooks.build_default_optimizer()
        if not isinstance(built, SystemOptimizer):
            raise TypeError(f"the default optimizer factory made a {type(built).__name__}")
        _default = built
    return _default


def set_default_optimizer(optimizer: SystemOptimizer | None) -> None:
    """Install the optimizer the module-level functions use (`t2v serve` and tests do this)."""
    global _default
    _default = optimizer


async def start_optimization() -> SystemOptimizer:
    optimizer = default_optimizer()
    await optimizer.start()
    return optimizer


async def get_optimization_status() -> dict[str, Any]:
    return await default_optimizer().status()


async def stop_optimization() -> None:
    if _default is not None:
        await _default.stop()
