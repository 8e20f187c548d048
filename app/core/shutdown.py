"""The backstop for work that does not stop: clean up what this process owns, then exit at once.

Cancellation is cooperative (`app.core.threads`): every long loop checks its token, ffmpeg is killed,
espeak is aborted from its callback. Work that never checks (a plug-in handler's busy thread, a long
call inside a C library, an event loop blocked by synchronous code) would keep the process alive
forever, because Python cannot stop a thread and the interpreter waits for its threads at exit. So
the top level (the CLI's `render`, `worker` and `serve`) arms a `Backstop` when asked to stop: if the
process is still there when it fires, it kills this process's children (ffmpeg), removes the
workspaces this process owns, and leaves with `os._exit`. A job whose handler had to be abandoned
this way has already had its attempt spent by the worker (or its lease expires and the reaper
spends it), so a job that always wedges its worker ends up failed instead of looping forever.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import NoReturn

import psutil

from app.core.memory_optimizer import WorkspaceManager

log = logging.getLogger(__name__)

# A process's own orderly stop (grace period, then `stop_seconds` for handlers) comes first; the
# backstop fires this much later, only if that orderly stop itself is stuck.
BACKSTOP_MARGIN_SECONDS = 10.0


def kill_children(timeout: float = 2.0) -> int:
    """Terminate every descendant process (ffmpeg, piper), then kill what is left; how many there were."""
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    return len(children)


def hard_exit(code: int, workspaces: WorkspaceManager | None = None, message: str | None = None) -> NoReturn:
    """Kill the children, remove this process's workspaces, say why, and exit now (no thread waits)."""
    try:
        kill_children()
        if workspaces is not None:
            workspaces.remove_own()
        if message:
            print(message, file=sys.stderr)
        logging.shutdown()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    finally:
        os._exit(code)


class Backstop:
    """A timer, armed on the first request to stop, that calls `hard_exit` if the process outlives it.

    It runs in its own thread, so it fires even when the event loop is blocked. `fire` skips the
    wait (a second Ctrl-C).
    """

    def __init__(
        self, seconds: float, code: int, workspaces: WorkspaceManager | None, message: str | None = None
    ) -> None:
        self.seconds = seconds
        self.code = code
        self.workspaces = workspaces
        self.message = message
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    @property
    def armed(self) -> bool:
        return self._timer is not None

    def arm(self) -> None:
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.seconds, self.fire)
                self._timer.daemon = True
                self._timer.start()

    def disarm(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()

    def fire(self) -> None:
        log.error("did not stop in time; exiting forcefully")
        hard_exit(self.code, self.workspaces, self.message)
