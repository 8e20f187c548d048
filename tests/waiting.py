"""Waiting on conditions instead of sleeping: a test waits exactly as long as it must, and a machine
under load (2 busy cores in CI) only makes it wait longer, never fail."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

TIMEOUT = 30.0  # generous: a hang guard, not a timing assertion


What = str | Callable[[], str] | None  # what is awaited, for the failure message (a callable: read then)


def _describe(predicate: Callable[[], Any], what: What) -> str:
    if callable(what):
        return what()
    return what or getattr(predicate, "__qualname__", repr(predicate))


def wait_until(
    predicate: Callable[[], T], timeout: float = TIMEOUT, interval: float = 0.02, what: What = None
) -> T:
    """Call `predicate` until it returns something truthy, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(predicate, what)}")
        time.sleep(interval)


async def eventually(
    predicate: Callable[[], Any], timeout: float = TIMEOUT, interval: float = 0.02, what: What = None
) -> Any:
    """`wait_until` for async tests: the predicate may be a coroutine function; the loop keeps running."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(predicate, what)}")
        await asyncio.sleep(interval)
