from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.core.threads import run_in_thread
from tests.waiting import eventually


async def test_a_cancelled_caller_waits_for_its_thread() -> None:
    finished: list[float] = []
    started = threading.Event()

    def slow() -> int:
        started.set()
        time.sleep(0.3)  # work that never checks its token
        finished.append(time.monotonic())
        return 1

    task = asyncio.create_task(run_in_thread(slow))
    await eventually(started.is_set)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished, "the cancellation went on only after the thread had finished"
    assert await run_in_thread(slow) == 1


async def test_all_or_nothing_waits_out_its_children_through_repeated_cancellation() -> None:
    from app.core.threads import all_or_nothing

    finished: list[str] = []
    started: list[str] = []

    def slow(name: str) -> str:
        started.append(name)
        time.sleep(0.3)  # work that never checks its token
        finished.append(name)
        return name

    async def nested() -> list[str]:
        return await all_or_nothing(run_in_thread(slow, "inner"))

    task = asyncio.create_task(all_or_nothing(nested(), run_in_thread(slow, "outer")))
    await eventually(lambda: len(started) == 2)
    task.cancel()
    await asyncio.sleep(0)  # one turn of the loop: the first cancellation is being handled
    task.cancel()  # a second cancellation while the first is being cleaned up
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(finished) == ["inner", "outer"], "no thread outlives the cancelled caller"


async def test_a_cancelled_thread_that_checks_its_token_stops_at_once() -> None:
    from app.core.threads import check_cancelled
    from app.errors import RenderCancelled

    started, stopped = threading.Event(), []

    def loop_forever() -> None:
        started.set()
        try:
            while True:
                check_cancelled()
                time.sleep(0.005)
        except RenderCancelled:
            stopped.append(True)
            raise

    task = asyncio.create_task(run_in_thread(loop_forever))
    await asyncio.to_thread(started.wait)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped == [True], "the thread saw the cancellation and ended before the caller went on"
    check_cancelled()  # outside a cancelled thread it is a no-op
