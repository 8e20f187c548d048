"""Blocking work in threads that stops when its caller is cancelled, and is waited for until it has.

A thread cannot be stopped from outside, so cancellation is cooperative: `run_in_thread` gives the
thread a `CancelToken` (through a context variable, so no signature has to carry it), and every long
loop of the pipeline calls `check_cancelled()`, which raises `RenderCancelled` once the awaiting task
has been cancelled. A cancelled caller still waits for its thread to end (a render that removes its
workspace while a thread writes into it would leave files behind), and keeps waiting if it is
cancelled again meanwhile (a parent cancelling its children while it is itself being cancelled does
exactly that). Work that never checks is the top level's problem: see `app.core.shutdown`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from app.errors import RenderCancelled

P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")


class CancelToken:
    """Set once the work it belongs to should stop; safe to read from any thread."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def cancel(self) -> None:
        self.event.set()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()


_token: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar("t2v_cancel", default=None)


def check_cancelled() -> None:
    """Raise `RenderCancelled` if the work running here was cancelled; cheap enough for every loop."""
    token = _token.get()
    if token is not None and token.event.is_set():
        raise RenderCancelled("cancelled")


def cancel_event() -> threading.Event | None:
    """The event that is set when the work running here is cancelled (None outside `run_in_thread`),
    for code that polls an event rather than calling `check_cancelled` (espeak's audio callback)."""
    token = _token.get()
    return token.event if token is not None else None


async def wait_until_done(futures: Iterable[asyncio.Future[Any]]) -> None:
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


def _call_with(token: CancelToken, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    _token.set(token)  # in the thread's own copy of the context only
    return fn(*args, **kwargs)


async def run_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Like `asyncio.to_thread`, but cancelling the caller cancels the thread's token and waits for
    the thread to finish (which `check_cancelled` makes prompt) before re-raising."""
    token = CancelToken()
    future = asyncio.ensure_future(asyncio.to_thread(_call_with, token, fn, args, kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        token.cancel()
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


async def both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """`all_or_nothing` of two awaitables with results of different types."""
    results: list[Any] = await all_or_nothing(first, second)
    return results[0], results[1]
