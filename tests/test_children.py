"""ffmpeg dies with the process that started it (issue 11.6): a SIGKILLed `t2v worker` leaves no
ffmpeg encoding for nobody."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

from app.core.jobstore.base import NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from app.core.worker import JobContext
from app.services.video import run_ffmpeg
from tests.conftest import ROOT
from tests.processes import UNLOADED, spawn
from tests.waiting import wait_until


async def ffmpeg_for_ten_minutes(ctx: JobContext) -> dict[str, Any]:
    """A job whose ffmpeg runs in real time for ten minutes (and costs no CPU meanwhile)."""
    args = ["-re", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "600", "-f", "null", "-"]
    await run_ffmpeg(args, what="waiting")
    return {}


def ffmpeg_children(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in children if p.name().startswith("ffmpeg")]


def gone(proc: psutil.Process) -> bool:
    """Exited (a zombie waiting for a reaper that is not us counts as exited)."""
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_sigkilled_worker_leaves_no_ffmpeg_running(tmp_path: Path) -> None:
    data = tmp_path / "data"

    async def enqueue() -> None:
        async with SQLiteJobStore(data / "jobs.db") as store:
            await store.enqueue(NewJob(id="long-ffmpeg", kind="ffmpeg", payload={}))

    asyncio.run(enqueue())
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        T2V_DATA_DIR=str(data),
        T2V_HANDLERS="ffmpeg=tests.test_children:ffmpeg_for_ten_minutes",
        T2V_POLL_SECONDS="0.1",
        **UNLOADED,
    )
    worker = spawn(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[psutil.Process] = []
    try:
        wait_until(lambda: ffmpeg_children(worker.pid), timeout=60, what="the worker to start ffmpeg")
        children = psutil.Process(worker.pid).children(recursive=True)  # ffmpeg and its watchdog
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        wait_until(lambda: all(gone(p) for p in children), what="the worker's children to die with it")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        for proc in children:
            if not gone(proc):
                proc.kill()


def test_a_killed_watchdog_is_replaced_before_the_next_child() -> None:
    from app.core.children import die_with_parent

    group = die_with_parent()["process_group"]
    os.kill(group, signal.SIGKILL)
    wait_until(lambda: die_with_parent()["process_group"] != group)
    replacement = psutil.Process(die_with_parent()["process_group"])
    assert replacement.is_running() and replacement.status() != psutil.STATUS_ZOMBIE
    assert os.getpgid(replacement.pid) == replacement.pid, "the watchdog leads its own process group"
