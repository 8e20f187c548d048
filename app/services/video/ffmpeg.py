"""Running ffmpeg: the static build inside imageio-ffmpeg (the same binary on every machine),
cancellable (killed at once when the awaiting task is cancelled) and dying with this process.

Also the two ways a path goes into ffmpeg's own syntax: an ffconcat `file` line and a filter value.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path

from app.core.children import die_with_parent
from app.core.threads import wait_until_done
from app.errors import MediaError

TIMESCALE = 90_000  # MP4 track timescale: whole ticks for milliseconds and for 1/24, 1/25, 1/30, 1/60 s


@cache
def ffmpeg_exe() -> str:
    """The static ffmpeg build inside imageio-ffmpeg: the same binary on every machine."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def run_ffmpeg(
    args: Sequence[str],
    *,
    what: str,
    feed: Callable[[int], bytes | None] | None = None,
    feed_threads: int = 1,
) -> None:
    """Run ffmpeg; if the awaiting task is cancelled, kill it at once and wait for it to exit. If
    this process is killed outright, ffmpeg is killed too (`app.core.children`). `feed(k)` gives
    the k-th chunk of ffmpeg's standard input (None: the end, and for every k after it); chunks are
    made `feed_threads` at a time (then `feed` must be thread-safe) and a few ahead of the one being
    written, so making frames overlaps encoding them (`_pump`)."""
    stdin: int = asyncio.subprocess.DEVNULL
    pipe_in = pipe_out = -1
    if feed is not None:
        pipe_in, pipe_out = os.pipe()
        stdin = pipe_in
        with contextlib.suppress(OSError, AttributeError):  # Linux: fewer, larger writes
            fcntl.fcntl(pipe_out, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    try:
        proc = await asyncio.create_subprocess_exec(
            ffmpeg_exe(),
            "-hide_banner",
            *([] if feed else ["-nostdin"]),
            "-v",
            "error",
            "-y",
            *args,
            stdin=stdin,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            **die_with_parent(),  # a SIGKILLed t2v leaves no ffmpeg behind
        )
    except BaseException:
        if feed is not None:
            os.close(pipe_out)
        raise
    finally:
        if feed is not None:
            os.close(pipe_in)  # ffmpeg holds its own copy: end-of-file comes when ours is closed
    try:
        if feed is None:
            _, stderr = await proc.communicate()
        else:
            stderr = await _fed(proc, feed, pipe_out, feed_threads)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await asyncio.shield(proc.wait())
        raise
    if proc.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {proc.returncode}"
        raise MediaError(f"ffmpeg failed while {what}: {detail}")


PIPE_BYTES = 1 << 20  # a raw 1080p frame is ~3 MB: a 64 KB pipe would take ~48 writes and wake-ups


async def _fed(
    proc: asyncio.subprocess.Process, feed: Callable[[int], bytes | None], pipe: int, threads: int
) -> bytes:
    """Write feed(0), feed(1), ... to ffmpeg's stdin (`pipe`, which this closes), then wait for it;
    returns its stderr. The writing is blocking, in a thread (`_pump`): writing megabytes a frame
    through the event loop cost a wake-up per 64 KB and about a third of the feed's time."""
    assert proc.stderr is not None
    errors = asyncio.ensure_future(proc.stderr.read())
    stop = threading.Event()
    pump = asyncio.ensure_future(asyncio.to_thread(_pump, feed, pipe, threads, stop))
    try:
        try:
            await asyncio.shield(pump)
        except BaseException:  # cancelled, or the feed failed: ffmpeg goes, so no write blocks
            stop.set()
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await wait_until_done([pump])
            raise
        finally:
            os.close(pipe)  # the pump has ended, whatever happened: end-of-file for ffmpeg
        await proc.wait()
        return await errors
    finally:
        errors.cancel()
        await asyncio.gather(errors, return_exceptions=True)


def _pump(feed: Callable[[int], bytes | None], pipe: int, threads: int, stop: threading.Event) -> None:
    """feed(0), feed(1), ... made `threads` at a time (Pillow lets go of the GIL while it resamples)
    and written in order, until a None, `stop`, or ffmpeg closing its end (its stderr says why)."""
    with ThreadPoolExecutor(max(1, threads), thread_name_prefix="ffmpeg-feed") as pool:
        ahead: deque[Future[bytes | None]] = deque()
        k = 0
        try:
            while not stop.is_set():
                while len(ahead) < threads + 1:  # a frame or so beyond what the threads are making
                    ahead.append(pool.submit(feed, k))
                    k += 1
                chunk = ahead.popleft().result()
                if chunk is None:
                    return
                view = memoryview(chunk)
                while view and not stop.is_set():
                    view = view[os.write(pipe, view) :]
        except (BrokenPipeError, ConnectionResetError):  # ffmpeg is gone: its stderr says why
            return
        finally:
            for left in ahead:
                left.cancel()


def concat_path(path: Path) -> str:
    """A path quoted for an ffconcat `file '...'` line."""
    return str(path.resolve()).replace("'", "'\\''")


def filter_escape(path: Path) -> str:
    """Escape a path for use as a value inside an ffmpeg filter graph."""
    text = str(path.resolve())
    for ch in ("\\", ":", "'", ",", "[", "]", ";", "="):
        text = text.replace(ch, "\\" + ch)
    return text
