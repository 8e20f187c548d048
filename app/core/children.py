"""Child processes (ffmpeg) that die with this process, however it dies.

A worker or `t2v render` killed outright (SIGKILL, the OOM killer) runs no cleanup, and its ffmpeg
children would go on encoding into a workspace nobody reads. So every child joins one process group
led by a tiny watchdog (`sh`) whose stdin is a pipe from this process. The kernel closes the pipe
when this process dies, in any way; the watchdog reads end-of-file and kills its whole group.

Why not PR_SET_PDEATHSIG: it needs code between fork and exec (a `preexec_fn`), which makes Python
fork the whole interpreter instead of using vfork: 5 to 30 ms more per ffmpeg here (ffmpeg itself
starts in about 10), and it fires when the *thread* that forked dies, not the process. Joining a
process group is done by the C code of `subprocess`, vfork and all; the watchdog costs one `sh`
per process.
"""

from __future__ import annotations

import functools
import logging
import os
import select
import subprocess
import sys
import threading
from typing import Any

log = logging.getLogger(__name__)

# End-of-file on stdin means the process that started us is gone: kill our process group (pid 0),
# i.e. every child it put there, and this shell with them.
_WATCHDOG_SCRIPT = "read _ignored; kill -s KILL 0"


class _Watchdog:
    """Started on first use; started again if something killed it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pipe: int | None = None  # our end; never inherited (os.pipe fds are close-on-exec)
        self._unavailable = False  # no /bin/sh: said once, not tried again

    def group(self) -> int | None:
        """The process group children should join, or None when no watchdog can run here."""
        with self._lock:
            if not self._unavailable and (self._pipe is None or not _reader_alive(self._pipe)):
                self._start()
            return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        if self._proc is not None:
            self._proc.poll()  # reap the dead watchdog
            assert self._pipe is not None
            os.close(self._pipe)
        self._proc = self._pipe = None
        read_end, write_end = os.pipe()
        try:
            self._proc = subprocess.Popen(
                ["/bin/sh", "-c", _WATCHDOG_SCRIPT],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                **_group_options(0),  # a new group, led by the watchdog
            )
        except OSError as exc:
            os.close(write_end)
            self._unavailable = True
            log.warning("no watchdog for child processes (%s): they may outlive a killed t2v", exc)
            return
        finally:
            os.close(read_end)
        self._pipe = write_end


def _reader_alive(pipe: int) -> bool:
    """Whether the watchdog still holds the pipe's other end (the kernel reports an error on a
    pipe's write end once no reader is left). Asked of the pipe, not of waitpid, so it holds in
    forked children and where SIGCHLD is ignored."""
    poller = select.poll()
    poller.register(pipe, select.POLLOUT)
    broken = select.POLLERR | select.POLLHUP | select.POLLNVAL
    return not any(events & broken for _, events in poller.poll(0))


def _group_options(pgid: int) -> dict[str, Any]:
    """Popen options that put the child into process group `pgid` (0: a new one led by the child)."""
    if sys.version_info >= (3, 11):
        return {"process_group": pgid}
    return {"preexec_fn": functools.partial(os.setpgid, 0, pgid)}  # Python 3.10: slower, same effect


_watchdog = _Watchdog()


def die_with_parent() -> dict[str, Any]:
    """Keyword arguments for `subprocess.Popen` / `asyncio.create_subprocess_exec` that make the
    child die with this process (see the module's docstring); empty where that is not possible."""
    group = _watchdog.group() if os.name == "posix" else None
    return _group_options(group) if group is not None else {}
