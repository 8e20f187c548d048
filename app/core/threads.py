"""Waiting for work that must finish even when its caller is cancelled.

A thread cannot be stopped, and a cancelled task needs a moment to clean up; a render that removes its
workspace before either is done lets them write into a directory that is being deleted. These helpers
wait them out, and keep waiting if the caller is cancelled again in the meantime (a parent cancelling
its children while it is itself being cancelled does exactly that).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def wait_until_done(futures: Iterable[asyncio.Future[object]]) -> None:
    """Return only when every future has finished, however many cancellations arrive meanwhile."""
    futures = list(futures)
    pending = {f for f in futures if not f.done()}
    while pending:
        # the caller re-raises its own cancellation once everything has stopped
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(pending)
        pending = {f for f in pending if not f.done()}
    for f in futures:
        if not f.cancelled():
            f.exception()  # retrieved, so asyncio does not report it as never retrieved


async def run_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Like `asyncio.to_thread`, but a cancelled caller waits for the thread to finish first."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await wait_until_done([future])
        raise


async def all_or_nothing(*aws: Awaitable[T]) -> list[T]:
    """Like gather, but the first failure (or a cancellation) cancels the rest and waits until they
    have really stopped before it propagates."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await wait_until_done(tasks)
        raise
