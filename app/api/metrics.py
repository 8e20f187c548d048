"""Prometheus metrics for one app, in its own registry (two apps in one process never collide).

Gauges are refreshed from the store and the resource manager at scrape time; the render histogram is
fed by the in-process workers as their renders finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from app.core.jobstore.base import JobPriority, JobStatus
from app.core.system_optimizer import SystemOptimizer
from app.core.worker import Handler, JobContext

RENDER_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.queue = Gauge("t2v_queue_waiting_jobs", "Waiting jobs by priority", ["priority"], registry=r)
        self.jobs = Gauge("t2v_jobs", "Jobs in the store by status", ["status"], registry=r)
        self.slots = Gauge("t2v_slots_in_use", "Slots in use in this process", ["slot"], registry=r)
        self.capacity = Gauge("t2v_slots_capacity", "Slot capacity in this process", ["slot"], registry=r)
        self.cpu = Gauge("t2v_cpu_percent", "CPU use of the machine (or cgroup)", registry=r)
        self.memory = Gauge("t2v_memory_percent", "Memory use of the machine (or cgroup)", registry=r)
        self.memory_used = Gauge("t2v_memory_used_bytes", "Memory in use", registry=r)
        self.render_seconds = Histogram(
            "t2v_render_duration_seconds",
            "Wall time of renders completed by this process's workers",
            buckets=RENDER_BUCKETS,
            registry=r,
        )

    def timed(self, handler: Handler) -> Handler:
        """Wrap a worker's handler so that each completed render is observed."""

        async def run(ctx: JobContext) -> dict[str, Any]:
            started = time.monotonic()
            result = await handler(ctx)
            seconds = result.get("render_seconds") if isinstance(result, dict) else None
            self.render_seconds.observe(float(seconds or time.monotonic() - started))
            return result

        return run

    async def scrape(self, optimizer: SystemOptimizer) -> bytes:
        stats = await optimizer.parts.queue.stats()
        for p in JobPriority:
            name = p.name.lower()
            self.queue.labels(priority=name).set(stats.waiting_by_priority.get(name, 0))
        for s in JobStatus:
            self.jobs.labels(status=s.value).set(stats.by_status.get(s.value, 0))
        rm = optimizer.parts.resources
        for slot, counts in rm.slot_counts().items():
            self.slots.labels(slot=slot).set(counts["in_use"])
            self.capacity.labels(slot=slot).set(counts["capacity"])
        sample = rm.sample()
        self.cpu.set(sample.cpu_percent)
        self.memory.set(sample.memory_percent)
        self.memory_used.set(sample.memory_used_bytes)
        return generate_latest(self.registry)


def wrap_handlers(handlers: dict[str, Handler], wrap: Callable[[Handler], Handler]) -> dict[str, Handler]:
    return {kind: wrap(h) if kind == "render" else h for kind, h in handlers.items()}
