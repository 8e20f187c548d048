"""Running ffmpeg: the static build inside imageio-ffmpeg (the same binary on every machine),
cancellable (killed at once when the awaiting task is cancelled) and dying with this process.

Also the two ways a path goes into ffmpeg's own syntax: an ffconcat `file` line and a filter value.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from app.core.children import die_with_parent
from app.core.threads import run_in_thread
from app.errors import MediaError

TIMESCALE = 90_000  # MP4 track timescale: whole ticks for milliseconds and for 1/24, 1/25, 1/30, 1/60 s


@cache
def ffmpeg_exe() -> str:
    """The static ffmpeg build inside imageio-ffmpeg: the same binary on every machine."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def run_ffmpeg(
    args: Sequence[str], *, what: str, feed: Callable[[int], bytes | None] | None = None
) -> None:
    """Run ffmpeg; if the awaiting task is cancelled, kill it at once and wait for it to exit. If
    this process is killed outright, ffmpeg is killed too (`app.core.children`). `feed(k)` gives
    the k-th chunk of ffmpeg's standard input (None: the end); it runs in a thread, one chunk ahead
    of the one being written, so making a frame overlaps encoding the last."""
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        "-hide_banner",
        *([] if feed else ["-nostdin"]),
        "-v",
        "error",
        "-y",
        *args,
        stdin=asyncio.subprocess.PIPE if feed else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        **die_with_parent(),  # a SIGKILLed t2v leaves no ffmpeg behind
    )
    try:
        if feed is None:
            _, stderr = await proc.communicate()
        else:
            stderr = await _fed(proc, feed)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await asyncio.shield(proc.wait())
        raise
    if proc.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {proc.returncode}"
        raise MediaError(f"ffmpeg failed while {what}: {detail}")


async def _fed(proc: asyncio.subprocess.Process, feed: Callable[[int], bytes | None]) -> bytes:
    """Write feed(0), feed(1), ... to ffmpeg's stdin, then wait for it; returns its stderr."""
    assert proc.stdin is not None and proc.stderr is not None
    errors = asyncio.ensure_future(proc.stderr.read())
    ahead: asyncio.Future[bytes | None] = asyncio.ensure_future(run_in_thread(feed, 0))
    try:
        k = 0
        while (chunk := await ahead) is not None:
            k += 1
            ahead = asyncio.ensure_future(run_in_thread(feed, k))
            proc.stdin.write(chunk)
            try:
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):  # ffmpeg failed: its stderr says why
                break
        proc.stdin.close()
        await proc.wait()
        return await errors
    finally:
        for task in (ahead, errors):
            task.cancel()
        await asyncio.gather(ahead, errors, return_exceptions=True)


def concat_path(path: Path) -> str:
    """A path quoted for an ffconcat `file '...'` line."""
    return str(path.resolve()).replace("'", "'\\''")


def filter_escape(path: Path) -> str:
    """Escape a path for use as a value inside an ffmpeg filter graph."""
    text = str(path.resolve())
    for ch in ("\\", ":", "'", ",", "[", "]", ";", "="):
        text = text.replace(ch, "\\" + ch)
    return text
