"""Job handlers for queue tests, loaded by real worker processes through T2V_HANDLERS.

Each writes what it did to a log file named in the job's payload options, one JSON line per event,
so the test can check order, overlap and how many times each job ran.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from app.config import load_settings
from app.core.memory_optimizer import WorkspaceManager
from app.core.threads import run_in_thread
from app.core.worker import JobCancelled, JobContext

TEST_HANDLERS = (
    "record=tests.handlers:record,fail=tests.handlers:always_fail,artifact=tests.handlers:write_artifact,"
    "wedge=tests.handlers:wedge,block_loop=tests.handlers:block_loop"
)


def _log(ctx: JobContext, event: str, **extra: Any) -> None:
    path = Path(ctx.job.payload["options"]["log"])
    line = {"job": ctx.job.id, "event": event, "pid": os.getpid(), "t": time.time(), "attempt": ctx.attempt}
    line.update(extra)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


async def record(ctx: JobContext) -> dict[str, Any]:
    """Log start, sleep `seconds` (reporting progress), log end; return who did it."""
    seconds = float(ctx.job.payload["options"].get("seconds", 0))
    _log(ctx, "start")
    steps = max(1, int(seconds / 0.1))
    try:
        for i in range(steps):
            await asyncio.sleep(seconds / steps)
            await ctx.progress("work", 100.0 * (i + 1) / steps)
    except (asyncio.CancelledError, JobCancelled):
        _log(ctx, "cancelled")
        raise
    await ctx.ensure_lease()
    _log(ctx, "end")
    return {"pid": os.getpid()}


async def always_fail(ctx: JobContext) -> dict[str, Any]:
    _log(ctx, "fail")
    raise RuntimeError(f"attempt {ctx.attempt} failed on purpose")


async def write_artifact(ctx: JobContext) -> dict[str, Any]:
    """Leave `bytes` bytes where a render leaves its files, and report them as a render does."""
    size = int(ctx.job.payload["options"].get("bytes", 1000))
    out = Path(os.environ["T2V_DATA_DIR"]) / "artifacts" / ctx.job.id
    out.mkdir(parents=True, exist_ok=True)
    (out / "video.mp4").write_bytes(b"\0" * size)
    await ctx.ensure_lease()
    return {"artifacts_bytes": size}


def _stuck_forever(ctx: JobContext) -> None:
    """What a wedged render looks like from outside: a child process (as ffmpeg would be), files in
    a workspace, and a thread that never checks for cancellation."""
    workspaces = WorkspaceManager(load_settings().workspaces_dir)
    with workspaces.workspace("wedge") as ws:
        (ws / "partial.bin").write_bytes(b"x" * 1000)
        child = subprocess.Popen(["sleep", "120"])
        _log(ctx, "start", child=child.pid, workspace=str(ws))
        while True:  # ignores its cancel token on purpose
            time.sleep(0.05)


async def wedge(ctx: JobContext) -> dict[str, Any]:
    await run_in_thread(_stuck_forever, ctx)
    return {}


async def block_loop(ctx: JobContext) -> dict[str, Any]:
    """Blocks the worker's event loop itself: no asyncio signal handler can run after this."""
    child = subprocess.Popen(["sleep", "120"])
    _log(ctx, "start", child=child.pid)
    while True:
        time.sleep(0.05)
