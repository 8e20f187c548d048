from __future__ import annotations

import asyncio
import time

import pytest

from app.core.threads import run_in_thread


async def test_a_cancelled_caller_waits_for_its_thread() -> None:
    finished: list[float] = []

    def slow() -> int:
        time.sleep(0.3)
        finished.append(time.monotonic())
        return 1

    task = asyncio.create_task(run_in_thread(slow))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished, "the cancellation went on only after the thread had finished"
    assert await run_in_thread(slow) == 1
