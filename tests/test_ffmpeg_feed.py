"""Frames piped into a real ffmpeg (a moving scene's): made on several threads, written in order,
and nothing left running when the render is cancelled; and the encoder slots go to the moving
scenes first."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import psutil
import pytest

from app.errors import MediaError
from app.services.picture import LongestFirst
from app.services.video import run_ffmpeg

W, H = 64, 36
FRAME = W * H * 3 // 2
RAW_IN = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{W}x{H}", "-framerate", "30", "-i", "-"]


def frame(k: int) -> bytes:
    """A frame no other frame equals: its number in every byte, and again in its first two."""
    return bytes([k >> 8, k & 255]) + bytes([k % 251]) * (FRAME - 2)


@pytest.mark.parametrize("threads", [1, 2, 3])
async def test_frames_made_on_several_threads_reach_ffmpeg_whole_and_in_order(
    tmp_path: Path, threads: int
) -> None:
    count = 200  # more than the pipe holds (~3 MB at 64x36), so writes block and resume
    makers: set[str] = set()

    def feed(k: int) -> bytes | None:
        makers.add(threading.current_thread().name)
        return frame(k) if k < count else None

    out = tmp_path / "copy.yuv"
    await run_ffmpeg(
        [*RAW_IN, "-c:v", "rawvideo", "-f", "rawvideo", str(out)],
        what="copying frames",
        feed=feed,
        feed_threads=threads,
    )
    assert out.read_bytes() == b"".join(frame(k) for k in range(count))
    assert len(makers) == threads  # the frames really were made on that many threads


async def test_a_feed_that_fails_stops_ffmpeg_and_raises_its_error(tmp_path: Path) -> None:
    def feed(k: int) -> bytes | None:
        if k == 5:
            raise ValueError("no frame 5")
        return frame(k)

    out = tmp_path / "x.mp4"
    with pytest.raises(ValueError, match="no frame 5"):
        await run_ffmpeg([*RAW_IN, "-c:v", "libx264", str(out)], what="encoding", feed=feed, feed_threads=2)


async def test_cancelling_while_frames_are_fed_stops_the_feed_and_ffmpeg(tmp_path: Path) -> None:
    """The render is cancelled mid-scene: the awaiting task ends, no frame is made afterwards, and
    ffmpeg (reading an endless feed, so it would never stop on its own) is gone."""
    asked: list[int] = []
    late: list[int] = []  # frames asked for after the task ended
    ended = threading.Event()
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def feed(k: int) -> bytes | None:
        asked.append(k)
        if ended.is_set():
            late.append(k)
        if k == 20:
            loop.call_soon_threadsafe(started.set)
        return frame(k)

    out = tmp_path / "endless.yuv"
    task = asyncio.ensure_future(
        run_ffmpeg([*RAW_IN, "-f", "rawvideo", str(out)], what="copying", feed=feed, feed_threads=2)
    )
    await asyncio.wait_for(started.wait(), 30)
    encoders = [p for p in psutil.Process().children() if p.name().startswith("ffmpeg")]
    assert len(encoders) == 1, encoders  # reading the feed while it is cancelled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)
    ended.set()
    # the feed's threads ended with the task (none is left to ask for another frame), and none asked
    # after it: checked at once, nothing waited for
    assert not [t for t in threading.enumerate() if t.name.startswith("ffmpeg-feed")]
    assert late == [] and len(asked) > 20
    assert not encoders[0].is_running(), "ffmpeg was killed and reaped when the task ended"


async def test_an_encoder_that_exits_early_ends_the_feed_without_error(tmp_path: Path) -> None:
    """ffmpeg told to take 10 frames closes its input after them: that is not a failure."""

    def feed(k: int) -> bytes | None:
        return frame(k) if k < 100_000 else None

    out = tmp_path / "ten.yuv"
    await run_ffmpeg(
        [*RAW_IN, "-frames:v", "10", "-f", "rawvideo", str(out)], what="copying", feed=feed, feed_threads=2
    )
    assert out.read_bytes() == b"".join(frame(k) for k in range(10))


async def test_a_bad_encoder_still_fails_with_its_own_message(tmp_path: Path) -> None:
    def feed(k: int) -> bytes | None:
        return frame(k)

    with pytest.raises(MediaError, match="ffmpeg failed while testing"):
        await run_ffmpeg([*RAW_IN, "-c:v", "nonesuch", str(tmp_path / "x.mp4")], what="testing", feed=feed)


async def test_every_frame_segments_take_the_encoder_slots_before_the_still_ones() -> None:
    """Scene 3 moves (every frame encoded); asked for last, it is still served first, and a moving
    scene found in the cache (scene 1) holds nobody back."""
    slots = asyncio.Semaphore(1)
    turns = LongestFirst(slots, [1, 3])
    order: list[int] = []

    async def encode(i: int) -> None:
        if i == 1:  # found in the cache: never asks for a slot
            turns.passed(i)
            return
        async with turns.slot(i):
            order.append(i)
            await asyncio.sleep(0)

    await asyncio.gather(*(encode(i) for i in range(5)))
    assert order[0] == 3
    assert sorted(order) == [0, 2, 3, 4]


async def test_without_every_frame_segments_the_slots_go_in_order() -> None:
    slots = asyncio.Semaphore(2)
    turns = LongestFirst(slots, [])
    order: list[int] = []

    async def encode(i: int) -> None:
        async with turns.slot(i):
            order.append(i)
            await asyncio.sleep(0)

    await asyncio.gather(*(encode(i) for i in range(4)))
    assert order == [0, 1, 2, 3]
