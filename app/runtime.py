"""The composition root: builds the long-lived objects from settings and hands them to whoever runs.

The CLI, the API and the seed's module-level objects all get their resource manager, caches,
renderer, job store and workers from here, so there is one place that knows how the parts fit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from app.config import Settings, load_settings
from app.core.backoff import RetryPolicy
from app.core.jobstore import create_store
from app.core.jobstore.base import JobStore
from app.core.lifecycle import DataLifecycle
from app.core.memory_optimizer import DiskCache, WorkspaceManager, return_large_buffers
from app.core.permissions import private_dir, secure_data_dir
from app.core.queue_manager import QueueManager
from app.core.resource_manager import ResourceLimits, ResourceManager
from app.core.system_optimizer import OptimizerParts, SystemOptimizer
from app.core.worker import Handler, Worker, WorkerConfig
from app.services.pipeline import Renderer
from app.services.planning import ScriptLimits
from app.services.render_job import RenderJobHandler
from app.services.speech import TTSConfig
from app.services.tts_service import TTSService


@dataclass
class Runtime:
    settings: Settings
    resources: ResourceManager
    workspaces: WorkspaceManager
    cache: DiskCache
    renderer: Renderer

    def create_store(self) -> JobStore:
        return create_store(self.settings)

    def render_handler(self) -> RenderJobHandler:
        s = self.settings
        return RenderJobHandler(self.renderer, s.artifacts_dir, s.max_input_bytes, s)

    def worker_config(self) -> WorkerConfig:
        s = self.settings
        return WorkerConfig(
            lease_seconds=s.lease_seconds,
            heartbeat_seconds=min(s.heartbeat_seconds, s.lease_seconds / 3),
            poll_seconds=s.poll_seconds,
            grace_seconds=s.grace_seconds,
            stop_seconds=s.stop_seconds,
            retry=RetryPolicy(base_seconds=s.retry_base_seconds, max_seconds=s.retry_max_seconds),
        )

    def handlers(self) -> dict[str, Handler]:
        return {"render": self.render_handler(), **load_handlers(self.settings.handlers)}

    def lifecycle(self, store: JobStore) -> DataLifecycle:
        s = self.settings
        return DataLifecycle(store, s.artifacts_dir, s.retention_seconds, s.retention_check_seconds)

    def worker(self, store: JobStore, lifecycle: DataLifecycle | None = None) -> Worker:
        # a store that pushes wake-ups (PostgreSQL LISTEN/NOTIFY) saves idle workers from polling
        wakeup = getattr(store, "wakeup", None)
        return Worker(
            store,
            self.resources,
            self.handlers(),
            self.worker_config(),
            wakeup=wakeup,
            lifecycle=lifecycle or self.lifecycle(store),
        )

    def system_optimizer(self, workers: int = 1) -> SystemOptimizer:
        """The seed's optimizer over this runtime: one store shared by the queue and N workers."""
        store = self.create_store()
        queue = QueueManager(store=store, max_attempts=self.settings.max_attempts)
        closers = [c for c in (getattr(self.renderer.tts, "aclose", None),) if c is not None]
        lifecycle = self.lifecycle(store)  # one per process, so its sweeps are paced once
        parts = OptimizerParts(
            resources=self.resources,
            queue=queue,
            workers=[self.worker(store, lifecycle) for _ in range(workers)],
            workspaces=self.workspaces,
            cache=self.cache,
            lifecycle=lifecycle,
            closers=closers,
        )
        return SystemOptimizer(parts)


def load_handlers(spec: str | None) -> dict[str, Handler]:
    """Extra job kinds from `kind=module:callable,...` (T2V_HANDLERS): plug-ins and test handlers."""
    handlers: dict[str, Handler] = {}
    for item in filter(None, (part.strip() for part in (spec or "").split(","))):
        kind, sep, target = item.partition("=")
        module_name, colon, attr = target.partition(":")
        if not (sep and colon and kind.strip()):
            raise ValueError(f"T2V_HANDLERS entry {item!r} is not kind=module:callable")
        handlers[kind.strip()] = getattr(importlib.import_module(module_name.strip()), attr.strip())
    return handlers


def build_runtime(settings: Settings | None = None, limits: ResourceLimits | None = None) -> Runtime:
    """The process's long-lived parts; called once at process start (CLI, server, workers, the seed's
    default optimizer), so process-wide settings such as the C heap's are made here, not per render."""
    return_large_buffers()  # glibc: one heap for all threads, big buffers mapped apart; before threads
    settings = settings or load_settings()
    secure_data_dir(settings.data_dir)
    private_dir(settings.artifacts_dir)  # 0700 whatever the umask of the process that renders
    resources = ResourceManager(limits or ResourceLimits.from_settings(settings))
    workspaces = WorkspaceManager(settings.workspaces_dir)
    workspaces.remove_orphans()
    cache = DiskCache(settings.cache_dir, settings.cache_max_bytes)
    resources.register_cleanup("cache", lambda: cache.evict(cache.max_bytes // 2))
    resources.register_cleanup("orphaned workspaces", workspaces.cleanup)
    # one TTS config from these settings: the engines, and what the API offers callers, agree
    tts = TTSService(resources=resources, cache=cache, config=TTSConfig.from_settings(settings))
    script_limits = ScriptLimits.from_settings(settings)
    renderer = Renderer(
        workspaces, resources=resources, cache=cache, tts=tts, limits=script_limits, settings=settings
    )
    return Runtime(settings, resources, workspaces, cache, renderer)
