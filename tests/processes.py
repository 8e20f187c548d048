"""Processes the tests start (`t2v worker`, `t2v serve`, other t2v commands): each in its own process
group, and every one still running killed, with its group, when its test ends, whatever the outcome,
so a failed test never leaves a worker claiming the next test's jobs.

`UNLOADED`: the resource admission off (CPU and memory limits at 100%). A worker refuses to claim while
the machine is busy, and CI runs on two busy cores; only tests about admission keep the limits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Any

UNLOADED = {"T2V_MAX_CPU_PERCENT": "100", "T2V_MAX_MEMORY_PERCENT": "100"}

_started: list[subprocess.Popen[Any]] = []


def spawn(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen` in a new process group that `kill_all` removes at the end of the test."""
    proc: subprocess.Popen[Any] = subprocess.Popen(argv, start_new_session=True, **kwargs)
    _started.append(proc)
    return proc


def kill_all() -> None:
    """Kill every process group `spawn` started (their leftovers too), and reap the leaders."""
    while _started:
        proc = _started.pop()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=30)
