"""What every `t2v` command shares: the typer app, one-line failures, settings, signals, the queue.

Expected failures (`T2VError`) print one line on stderr and exit non-zero: 2 for bad input, 1 for a
failed render, 130 when interrupted. Nothing prints a traceback unless T2V_DEBUG is set.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from app.cli.motion import bare_motion
from app.config import Settings, load_settings
from app.core.jobstore.base import DuplicateJob, JobNotFound
from app.core.permissions import restrict_umask
from app.core.shutdown import Backstop
from app.errors import InputError, T2VError, first_error

T = TypeVar("T")

if TYPE_CHECKING:
    from app.services.documents import Document
    from app.services.images import ImagePolicy, ImageService, ResolvedImages
    from app.services.planning import Plan

app = typer.Typer(
    name="t2v",
    help="Turn text and Markdown into narrated videos, offline.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True)

EXIT_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@app.callback()
def private_files(ctx: typer.Context) -> None:
    """Turn text and Markdown into narrated videos, offline."""
    # What t2v writes into the data directory (job store, artifacts, cache, keys) is for this user
    # only. `render` keeps the user's umask for the video it writes where it is told; its files in
    # the data directory get their modes explicitly.
    if ctx.invoked_subcommand != "render":
        restrict_umask()


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    """One line per problem (a storyboard's problems are several lines), each marked as an error."""
    for line in message.splitlines() or [""]:
        print(f"t2v: error: {line}", file=sys.stderr)
    raise typer.Exit(code)


def read_input(
    source: str, settings: Settings, pages: str | None = None, pptx_picture: str = "auto"
) -> Document:
    """The document at `source` (a file, or - for stdin), under the settings' document limits,
    `pages` and `pptx_picture` saying how to read a packed one."""
    from app.cli.documents import fetch_input
    from app.services.documents import (
        DocumentLimits,
        ReadOptions,
        document_from_bytes,
        is_url,
        load_document,
    )

    limits = DocumentLimits.from_settings(settings)
    reading = ReadOptions.of(pages, pptx_picture)
    if is_url(source):
        if not settings.allow_fetch:
            raise InputError(f"{source}: reading a web address needs --allow-fetch (or T2V_ALLOW_FETCH=1)")
        return asyncio.run(fetch_input(source, settings, limits, reading))
    if source == "-":
        data = sys.stdin.buffer.read(limits.largest + 1)
        return document_from_bytes(data, None, None, limits=limits, reading=reading)
    return load_document(Path(source), limits=limits, reading=reading)


def read_source(
    source: str, settings: Settings, pages: str | None = None, pptx_picture: str = "auto"
) -> Document | Plan:
    """A document, or a storyboard (a .json, .yaml or .yml file: a Plan, rendered as written)."""
    from app.services.planning import read_storyboard, storyboard_format

    if source != "-" and storyboard_format(source):
        return read_storyboard(Path(source), settings.max_input_bytes)
    return read_input(source, settings, pages, pptx_picture)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_stop_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], object], backstop: Backstop) -> None:
    """SIGINT/SIGTERM: arm the backstop and ask the loop to stop. Plain signal handlers, not the
    loop's: they run even while the loop is blocked, so the backstop is armed whatever happens."""

    def handler(signum: int, frame: object) -> None:
        backstop.arm()
        loop.call_soon_threadsafe(stop)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


def run_cancellable(coro_factory: Callable[[], Awaitable[T]], backstop: Backstop) -> T:
    """Run a coroutine; SIGINT and SIGTERM cancel it so that its cleanup runs before we exit. If the
    cleanup takes longer than the backstop's time, or a second signal comes, the backstop exits."""

    async def main() -> T:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        signals = 0

        def stop() -> None:
            nonlocal signals
            signals += 1
            if signals > 1:  # a second signal: no more waiting
                backstop.fire()
            task.cancel()

        on_stop_signals(loop, stop, backstop)
        return await coro_factory()

    try:
        return asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(INTERRUPTED, file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL if sig == signal.SIGTERM else signal.default_int_handler)


INTERRUPTED = "t2v: interrupted; nothing was written"


async def check_images(
    images: ImageService, document: Document, policy: ImagePolicy, workdir: Path
) -> ResolvedImages:
    """Resolve the document's images before anything is rendered or queued (an `ImageError` is exit 2,
    one line); a placeholder's warning is printed."""
    resolved = await images.resolve_document_images(document, policy, workdir)
    for warning in resolved.warnings:
        stderr.print(f"t2v: warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    return resolved


def document_dir(source: str) -> Path | None:
    """The folder of a document read from a file (its images' default root); None for stdin or a URL."""
    from app.services.documents import is_url

    return None if source == "-" or is_url(source) else Path(source).resolve().parent


def describe(exc: Exception) -> str:
    """One line for a failed validation (settings from T2V_* variables and flags) or any other error."""
    errors = getattr(exc, "errors", None)
    return first_error(errors()) if callable(errors) else str(exc)


# The job queue (the local SQLite store, or PostgreSQL with T2V_DATABASE_URL)


def run_store_call(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(coro_factory())
    except JobNotFound as exc:
        fail(f"no job {exc}")
    except (ValueError, DuplicateJob) as exc:
        fail(str(exc))


def cli_settings(**overrides: object) -> Settings:
    """Settings from the environment and the command's flags (`overrides`); a bad value is one line."""
    try:
        return load_settings(**overrides)
    except ValueError as exc:
        fail(describe(exc))


def main() -> None:
    sys.argv = bare_motion(sys.argv)
    if os.environ.get("T2V_DEBUG"):
        app()
        return
    try:
        app()
    except T2VError as exc:  # a last net: expected errors never show a traceback
        print(f"t2v: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_INPUT if isinstance(exc, InputError) else EXIT_FAILED)
