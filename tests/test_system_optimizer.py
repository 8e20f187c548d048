"""The seed's system optimizer: status snippet verbatim, monitoring, graceful stop."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from app.core import queue_manager as qm_module
from app.core import system_optimizer as so_module
from app.core.jobstore.base import JobRecord, JobStatus
from app.core.queue_manager import QueueManager
from app.core.resource_manager import ResourceLimits, ResourceManager, ResourceSample
from tests.conftest import ROOT
from tests.processes import UNLOADED
from tests.waiting import eventually

SEED_START = """
from app.core.system_optimizer import start_optimization
await start_optimization()
"""

SEED_STATUS = """
from app.core.system_optimizer import get_optimization_status
status = await get_optimization_status()
print(f"CPU: {status['system_resources']['cpu_percent']}%")
print(f"Memory: {status['system_resources']['memory_percent']}%")
print(f"Queue: {status['queue_status']['queue_size']} jobs")
"""

SEED_SUBMIT = """
from app.core.queue_manager import queue_manager, JobPriority
await queue_manager.submit_job_for_processing(
    job_id="job123",
    file_context=file_context,
    priority=JobPriority.HIGH,
    file_size=1024
)
"""


async def run_snippet(code: str, namespace: dict[str, Any]) -> str:
    out = io.StringIO()
    compiled = compile(textwrap.dedent(code), "<seed>", "exec", flags=0x2000)  # top-level await
    with contextlib.redirect_stdout(out):
        await eval(compiled, namespace)
    return out.getvalue()


@pytest.fixture
def fresh_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("T2V_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("T2V_POLL_SECONDS", "0.1")
    for name, value in UNLOADED.items():  # about the seed's API, not admission
        monkeypatch.setenv(name, value)
    so_module.set_default_optimizer(None)
    original = qm_module.queue_manager
    qm_module.queue_manager = QueueManager()
    yield
    qm_module.queue_manager = original


async def test_the_seed_snippets_run_verbatim_and_a_submitted_job_renders(
    fresh_defaults: None, tmp_path: Path
) -> None:
    talk = tmp_path / "talk.md"
    talk.write_text("# Xin chào\n\nĐây là một video ngắn.\n", encoding="utf-8")
    namespace: dict[str, Any] = {"file_context": {"path": str(talk)}}
    try:
        await run_snippet(SEED_SUBMIT, namespace)
        printed = await run_snippet(SEED_STATUS, namespace)
        lines = printed.splitlines()
        assert lines[0].startswith("CPU: ") and lines[0].endswith("%")
        assert 0.0 <= float(lines[0][5:-1]) <= 100.0
        assert 0.0 < float(lines[1].removeprefix("Memory: ").rstrip("%")) < 100.0
        assert lines[2] == "Queue: 1 jobs"
        await run_snippet(SEED_START, namespace)
        manager = qm_module.queue_manager

        async def finished() -> JobRecord | None:
            job = await manager.get_job("job123")
            return job if job is not None and job.status.final else None

        job = await eventually(finished, timeout=60)
        assert job.status == JobStatus.COMPLETED, job
        assert Path(job.result["video"]).is_file()
        printed = await run_snippet(SEED_STATUS, namespace)
        assert printed.splitlines()[2] == "Queue: 0 jobs"
        status = await so_module.get_optimization_status()
        assert status["health"]["status"] in ("ok", "degraded", "critical")
        assert status["slots"]["jobs"]["capacity"] == 3 and status["uptime_seconds"] > 0
        assert status["workers"] and status["workers"][0]["pid"] > 0
    finally:
        await so_module.stop_optimization()
        await qm_module.queue_manager.close()
    assert so_module.default_optimizer().running is False
    assert list((tmp_path / "data" / "tmp").iterdir()) == []


FRESH_INTERPRETER = """
import ast, asyncio, sys

async def run(code, namespace):
    await eval(compile(code, "<seed>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT), namespace)

async def main():
    submit, start, status = sys.argv[2:5]
    namespace = {"file_context": {"path": sys.argv[1]}}
    await run(submit, namespace)  # the first import of t2v this interpreter makes is the seed's own
    await run(start, namespace)
    from app.core.queue_manager import queue_manager
    from app.core.system_optimizer import stop_optimization
    try:
        for _ in range(1200):
            job = await queue_manager.get_job("job123")
            if job.status.final:
                break
            await asyncio.sleep(0.1)
        print(job.status.value)
        await run(status, namespace)
    finally:
        await stop_optimization()
        await queue_manager.close()

asyncio.run(main())
"""


def test_the_seed_snippets_run_verbatim_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """Nothing of t2v is imported before the seed's own `from app.core... import ...` lines: the
    default optimizer must be wired without any import order (and without an import cycle)."""
    talk = tmp_path / "talk.md"
    talk.write_text("# Hello\n\nA short talk for the seed.\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), T2V_DATA_DIR=str(tmp_path / "data"), **UNLOADED)
    env.update(T2V_POLL_SECONDS="0.1")
    argv = [sys.executable, "-c", FRESH_INTERPRETER, str(talk), SEED_SUBMIT, SEED_START, SEED_STATUS]
    done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "completed", done.stdout + done.stderr
    assert lines[1].startswith("CPU: ") and lines[2].startswith("Memory: ") and lines[3] == "Queue: 0 jobs"
    assert (tmp_path / "data" / "artifacts" / "job123" / "video.mp4").is_file()


class Hot:
    def sample(self) -> ResourceSample:
        return ResourceSample(95.0, 91.0, 1, 100, "test")


async def test_monitoring_raises_alerts_and_cleans_up(tmp_path: Path) -> None:
    from app.core.jobstore.sqlite import SQLiteJobStore

    resources = ResourceManager(ResourceLimits(), sampler=Hot(), sample_max_age=0)
    freed: list[int] = []
    resources.register_cleanup("probe", lambda: freed.append(1) or 123)
    parts = so_module.OptimizerParts(
        resources=resources, queue=QueueManager(store=SQLiteJobStore(tmp_path / "j.db"))
    )
    optimizer = so_module.SystemOptimizer(parts, monitor_interval=0.05)
    await optimizer.start()
    await eventually(lambda: optimizer.alert_counts["cpu"] >= 2 and optimizer.alert_counts["memory"] >= 2)
    status = await optimizer.status()
    await optimizer.stop()
    assert status["alert_counts"]["cpu"] >= 2 and status["alert_counts"]["memory"] >= 2
    assert freed == [1], "cleanup runs once per cool-down"
    assert status["health"]["status"] in ("degraded", "critical")
