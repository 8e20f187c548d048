"""The `t2v` command line.

Expected failures (`T2VError`) print one line on stderr and exit non-zero: 2 for bad input, 1 for a
failed render, 130 when interrupted. Nothing prints a traceback unless T2V_DEBUG is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.config import Settings, load_settings
from app.core.jobstore.base import DuplicateJob, JobNotFound, JobPriority, JobRecord, JobStatus
from app.core.permissions import restrict_umask
from app.core.queue_manager import FileContext, QueueManager, Trust, new_job_id
from app.core.shutdown import BACKSTOP_MARGIN_SECONDS, Backstop, hard_exit
from app.errors import InputError, T2VError

T = TypeVar("T")

if TYPE_CHECKING:
    from app.services.documents import Document
    from app.services.models import RenderOptions
    from app.services.pipeline import Renderer, RenderResult

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
def _private_files(ctx: typer.Context) -> None:
    """Turn text and Markdown into narrated videos, offline."""
    # What t2v writes into the data directory (job store, artifacts, cache, keys) is for this user
    # only. `render` keeps the user's umask for the video it writes where it is told; its files in
    # the data directory get their modes explicitly.
    if ctx.invoked_subcommand != "render":
        restrict_umask()


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    print(f"t2v: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


STAGE_LABELS = {
    "script": "Reading the document",
    "speech": "Synthesizing speech",
    "slides": "Drawing slides",
    "captions": "Timing captions",
    "video": "Encoding the video",
}


class StageBars:
    """One rich progress bar per pipeline stage, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.progress = (
            Progress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=False,
            )
            if enabled
            else None
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> StageBars:
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress:
            self.progress.stop()

    def __call__(self, event: object) -> None:
        from app.services.pipeline import Progress as StageProgress

        assert isinstance(event, StageProgress)
        if not self.progress:
            return
        key = event.stage.value
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(STAGE_LABELS.get(key, key), total=event.total)
        self.progress.update(self.tasks[key], completed=event.done, total=event.total)


def _read_input(source: str, settings: Settings) -> Document:
    from app.services.documents import document_from_bytes, load_document

    if source == "-":
        data = sys.stdin.buffer.read(settings.max_input_bytes + 1)
        return document_from_bytes(data, None, None, settings.max_input_bytes)
    return load_document(Path(source), settings.max_input_bytes)


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def _clock(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:04.1f}"


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _on_stop_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], object], backstop: Backstop) -> None:
    """SIGINT/SIGTERM: arm the backstop and ask the loop to stop. Plain signal handlers, not the
    loop's: they run even while the loop is blocked, so the backstop is armed whatever happens."""

    def handler(signum: int, frame: object) -> None:
        backstop.arm()
        loop.call_soon_threadsafe(stop)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


def _run_cancellable(coro_factory: Callable[[], Awaitable[T]], backstop: Backstop) -> T:
    """Run a coroutine; SIGINT and SIGTERM cancel it so that its cleanup runs before we exit. If the
    cleanup takes longer than the backstop's time, or a second signal comes, the backstop exits."""

    async def main() -> T:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        def stop() -> None:
            if task.cancelling():  # a second signal: no more waiting
                backstop.fire()
            task.cancel()

        _on_stop_signals(loop, stop, backstop)
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


# Render options shared by `render` and `submit`.
VoiceOption = Annotated[
    str | None, typer.Option(help="ENGINE:VOICE, e.g. espeak:vi or espeak:en-us (default: detected).")
]
RateOption = Annotated[int | None, typer.Option(help="Speaking rate in words per minute (default 175).")]
AspectOption = Annotated[str | None, typer.Option(help="16:9, 9:16 or 1:1.")]
ResolutionOption = Annotated[int | None, typer.Option(help="720 or 1080 (the short side).")]
BurnOption = Annotated[bool, typer.Option("--burn-captions", help="Draw captions into the picture.")]
FpsOption = Annotated[
    int | None, typer.Option(help="Constant frame rate (24, 25, 30, 50, 60); default: variable.")
]
MotionOption = Annotated[bool, typer.Option("--motion", help="A slow pan and zoom on every scene.")]


@app.command()
def render(
    source: Annotated[str, typer.Argument(metavar="INPUT", help="A .txt or .md file, or - for stdin.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The MP4 to write (default: INPUT with .mp4).")
    ] = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    aspect: AspectOption = None,
    resolution: ResolutionOption = None,
    burn_captions: BurnOption = False,
    fps: FpsOption = None,
    motion: MotionOption = False,
    max_input_size: Annotated[
        int | None, typer.Option(help="Largest accepted document in bytes (default 2 MB).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no summary.")] = False,
) -> None:
    """Render one document to a narrated MP4 with captions (OUT.srt and OUT.vtt beside it)."""
    from app.runtime import build_runtime
    from app.services.options import parse_render_options

    try:
        settings = load_settings(
            voice=voice, rate=rate, aspect=aspect, resolution=resolution, max_input_bytes=max_input_size
        )
        options = parse_render_options(
            _render_options(settings, burn_captions, fps, motion), trust=Trust.OPERATOR
        )
    except ValueError as exc:
        fail(_first_error(exc))
    except InputError as exc:
        fail(str(exc))
    if output is None:
        if source == "-":
            fail("reading from stdin needs --output/-o")
        output = Path(source).with_suffix(".mp4")
    if output.suffix.lower() != ".mp4":
        fail(f"the output must be an .mp4 file, not {output.name!r}")
    if output.is_dir():
        fail(f"the output {str(output)!r} is a directory")

    try:
        document = _read_input(source, settings)
    except InputError as exc:
        fail(str(exc))

    runtime = build_runtime(settings)
    renderer = runtime.renderer
    backstop = Backstop(settings.stop_seconds, EXIT_INTERRUPTED, runtime.workspaces, INTERRUPTED)
    show_bars = not quiet and stderr.is_terminal
    try:
        with StageBars(show_bars) as bars:
            result = _run_cancellable(
                lambda: _render_and_close(renderer, document, output, options, bars), backstop
            )
    except InputError as exc:
        fail(str(exc))
    except T2VError as exc:
        fail(str(exc), EXIT_FAILED)
    if not quiet:
        print(
            f"Wrote {result.video} ({_clock(result.duration)} video, {result.scenes} scenes, "
            f"{_human_size(result.size_bytes)}) in {result.elapsed:.1f} s; "
            f"captions: {result.srt.name}, {result.vtt.name}"
        )


async def _render_and_close(
    renderer: Renderer, document: Document, output: Path, options: RenderOptions, bars: StageBars
) -> RenderResult:
    """One render, then close the pooled HTTP client of the TTS engines."""
    try:
        return await renderer.render(document, output, options, progress=bars)
    finally:
        await renderer.tts.aclose()


def _render_options(
    settings: Settings, burn_captions: bool, fps: int | None = None, motion: bool = False
) -> dict[str, object]:
    """Render options from settings (env + flags), in the shape every entry point validates."""
    return {
        "voice": settings.voice,
        "rate": settings.rate,
        "aspect": settings.aspect,
        "resolution": settings.resolution,
        "burn_captions": burn_captions,
        "fps": fps,
        "motion": motion,
    }


@app.command()
def voices(
    language: Annotated[str | None, typer.Argument(help="Only voices for this language, e.g. vi.")] = None,
) -> None:
    """List the offline espeak-ng voices (use them as --voice espeak:LANG)."""
    from app.services.speech.espeak import list_voices

    for v in list_voices():
        if language and not any(code.startswith(language) for code in v.languages):
            continue
        print(f"espeak:{v.languages[0]:<12} {v.name}")


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        return f"invalid {field}: {first.get('msg', '')}"
    return str(exc)


# The job queue (the local SQLite store, or PostgreSQL with T2V_DATABASE_URL)


def _queue_manager(settings: Settings) -> QueueManager:
    from app.core.jobstore import create_store

    try:
        return QueueManager(store=create_store(settings), max_attempts=settings.max_attempts)
    except ValueError as exc:
        fail(str(exc))


def _with_queue(settings: Settings, call: Callable[[QueueManager], Awaitable[T]]) -> T:
    """Open the queue, make one call, close it; store errors become one-line exits."""
    manager = _queue_manager(settings)

    async def go() -> T:
        try:
            return await call(manager)
        finally:
            await manager.close()

    return _run(go)


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(coro_factory())  # type: ignore[arg-type]
    except JobNotFound as exc:
        fail(f"no job {exc}")
    except (ValueError, DuplicateJob) as exc:
        fail(str(exc))


def _job_dict(job: JobRecord) -> dict[str, object]:
    return {
        "id": job.id,
        "status": job.status.value,
        "priority": job.priority.name.lower(),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "stage": job.stage,
        "percent": job.percent,
        "queued_at": _iso(job.queued_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "run_at": _iso(job.run_at),
        "errors": [
            {"attempt": e.attempt, "error": e.error, "at": _iso(e.at), "retry_at": _iso(e.retry_at)}
            for e in job.errors
        ],
        "result": job.result,
        "purged_at": _iso(job.purged_at),
    }


def _short_time(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%m-%d %H:%M:%S") if ts is not None else ""


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds")


@app.command()
def submit(
    source: Annotated[str, typer.Argument(metavar="FILE", help="A .txt or .md file, or - for stdin.")],
    priority: Annotated[str, typer.Option(help="low, normal, high or urgent.")] = "normal",
    job_id: Annotated[str | None, typer.Option("--id", help="Job id (default: a new random id).")] = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    aspect: AspectOption = None,
    resolution: ResolutionOption = None,
    burn_captions: BurnOption = False,
    fps: FpsOption = None,
    motion: MotionOption = False,
) -> None:
    """Queue a document for rendering by a worker; prints the job id."""
    from app.services.options import parse_render_options

    try:
        settings = load_settings(voice=voice, rate=rate, aspect=aspect, resolution=resolution)
    except ValueError as exc:
        fail(_first_error(exc))
    try:
        prio = JobPriority.parse(priority)
        document = _read_input(source, settings)
        options = _render_options(settings, burn_captions, fps, motion)
        parse_render_options(options, trust=Trust.OPERATOR)  # whoever runs the CLI is the operator
    except (InputError, ValueError) as exc:
        fail(str(exc))
    data = document.text.encode("utf-8")
    context = FileContext(
        content=data,
        filename=document.name,
        content_type="text/markdown" if document.format == "md" else "text/plain",
        options=options,
        trust=Trust.OPERATOR,
    )
    job = _with_queue(
        settings,
        lambda m: m.submit_job_for_processing(
            job_id=job_id or new_job_id(), file_context=context, priority=prio, file_size=len(data)
        ),
    )
    print(job.id)


@app.command()
def jobs(
    status: Annotated[str | None, typer.Option(help="Only jobs in this status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (newest first).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List jobs, newest first."""
    settings = _settings()
    try:
        wanted = JobStatus(status) if status else None
    except ValueError:
        fail(f"unknown status {status!r}: use one of {', '.join(s.value for s in JobStatus)}")
    records = _with_queue(settings, lambda m: m.list_jobs(status=wanted, limit=limit))
    if as_json:
        print(json.dumps([_job_dict(j) for j in records], indent=2))
        return
    table = Table("status", "priority", "attempts", "progress", "queued", "finished", box=None)
    table.add_column("id", overflow="fold")
    for j in records:
        progress = f"{j.stage or ''} {j.percent:.0f}%" if j.status == JobStatus.PROCESSING else ""
        table.add_row(
            j.status.value,
            j.priority.name.lower(),
            f"{j.attempts}/{j.max_attempts}",
            progress,
            _short_time(j.queued_at),
            _short_time(j.finished_at),
            j.id,
        )
    Console(width=max(120, Console().width)).print(table)


@app.command()
def job(job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Show one job as JSON: status, progress, attempts and errors, artifacts."""
    record = _with_queue(_settings(), lambda m: m.get_job(job_id))
    if record is None:
        fail(f"no job {job_id!r}")
    print(json.dumps(_job_dict(record), indent=2))


@app.command()
def cancel(job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Cancel a queued, retrying or running job."""
    record = _with_queue(_settings(), lambda m: m.cancel_job(job_id))
    print(f"{record.id}: {record.status.value}")


@app.command()
def retry(job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Queue a failed or cancelled job again, with fresh attempts."""

    async def go(manager: QueueManager) -> JobRecord:
        found = await manager.get_job(job_id)
        if found is not None and found.purged:
            raise ValueError(f"job {job_id!r} was purged: its document is deleted; submit it again")
        return await manager.retry_job(job_id)

    record = _with_queue(_settings(), go)
    print(f"{record.id}: {record.status.value}")


@app.command()
def purge(job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Delete a job's document and files (cancelling it if it runs); its record stays as a tombstone."""
    from app.core.lifecycle import DataLifecycle

    settings = _settings()

    async def go(manager: QueueManager) -> JobRecord:
        return await DataLifecycle(await manager.store(), settings.artifacts_dir).purge(job_id)

    record = _with_queue(settings, go)
    print(f"{record.id}: purged ({record.status.value})")


@app.command()
def worker(
    burst: Annotated[bool, typer.Option("--burst", help="Exit once the queue is empty.")] = False,
    max_concurrent_jobs: Annotated[int | None, typer.Option(help="Jobs at once (default 3).")] = None,
    max_concurrent_tts: Annotated[
        int | None, typer.Option(help="Speech syntheses at once (default 2).")
    ] = None,
    max_concurrent_visual: Annotated[
        int | None, typer.Option(help="Pictures drawn at once (default 4).")
    ] = None,
    max_cpu_percent: Annotated[float | None, typer.Option(help="Claim no job above this CPU % (80).")] = None,
    max_memory_percent: Annotated[
        float | None, typer.Option(help="Claim no job above this memory % (85).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each job.")] = False,
) -> None:
    """Run jobs from the queue until SIGTERM or Ctrl-C (then finish or release running jobs)."""
    from app.core.resource_manager import ResourceLimits
    from app.runtime import build_runtime

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = _settings()
    try:
        limits = ResourceLimits.from_env(
            max_concurrent_jobs=max_concurrent_jobs,
            max_concurrent_tts=max_concurrent_tts,
            max_concurrent_visual=max_concurrent_visual,
            max_cpu_percent=max_cpu_percent,
            max_memory_percent=max_memory_percent,
        )
    except ValueError as exc:
        fail(str(exc))
    runtime = build_runtime(settings, limits)

    # past the grace period and the time handlers get to stop, whatever still runs is abandoned
    backstop = Backstop(
        settings.grace_seconds + settings.stop_seconds + BACKSTOP_MARGIN_SECONDS,
        0,
        runtime.workspaces,
        "t2v: the worker did not stop in time; exited forcefully",
    )

    async def go() -> int:
        store = runtime.create_store()
        await store.open()
        w = runtime.worker(store)
        _on_stop_signals(asyncio.get_running_loop(), w.stop, backstop)
        try:
            await w.run(burst=burst)
        finally:
            await store.close()
        if w.abandoned:  # their threads would keep the process alive: leave without them
            hard_exit(
                0,
                runtime.workspaces,
                f"t2v: stopped; abandoned {len(w.abandoned)} job(s) that did not stop "
                f"(attempt spent): {', '.join(w.abandoned)}",
            )
        return w.completed

    done = asyncio.run(go())
    if burst:
        print(f"worker finished: {done} job(s) completed")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; non-loopback needs API keys.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="In-process workers (0: an API-only node).", min=0)
    ] = 1,
) -> None:
    """Run the HTTP API and web page, with N in-process workers, until SIGTERM or Ctrl-C."""
    from app.api.server import serve as run_server
    from app.runtime import build_runtime

    code = run_server(build_runtime(_settings()), host, port, workers)
    if code:
        raise typer.Exit(code)


keys_app = typer.Typer(help="API keys for `t2v serve` (stored hashed in the data directory).")
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="A label for the key, e.g. who holds it.")] = "default",
    admin: Annotated[bool, typer.Option("--admin", help="The key sees and manages every job.")] = False,
) -> None:
    """Create an API key and print it once (only its SHA-256 hash is stored)."""
    from app.api.auth import KeyFile, KeyFileError

    try:
        secret, stored = KeyFile(_settings().api_keys_file).create(name, admin)
    except KeyFileError as exc:
        fail(f"{exc}; fix it or move it away (nothing was changed)")
    print(secret)
    kind = "admin key" if admin else "key"
    print(f"created {kind} {stored.id} ({name}); it is not shown again", file=sys.stderr)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys by id and name (never the keys themselves)."""
    from app.api.auth import KeyFile, KeyFileError

    try:
        stored = KeyFile(_settings().api_keys_file).load()
    except KeyFileError as exc:
        fail(str(exc))
    for k in stored:
        print(f"{k.id}  {'admin' if k.admin else 'user '}  {k.name}")


db_app = typer.Typer(help="The job database: create or migrate its schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the job store's schema (T2V_DATABASE_URL, else SQLite); prints the version."""
    from app.core.jobstore import upgrade_schema
    from app.core.jobstore.base import JobStoreError
    from app.core.jobstore.migrations import MigrationError

    settings = _settings()
    try:
        store, version = asyncio.run(upgrade_schema(settings))
    except (ValueError, JobStoreError, MigrationError) as exc:
        fail(str(exc), EXIT_FAILED)
    print(f"{store!r}: schema version {version}")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Queue figures and every live worker: host, pid, running jobs, seconds since its heartbeat."""
    from app.core.jobstore import create_store
    from app.core.jobstore.base import JobStoreError, QueueStats, WorkerInfo

    try:
        store = create_store(_settings())
    except ValueError as exc:
        fail(str(exc))

    async def go() -> tuple[QueueStats, list[WorkerInfo], float]:
        async with store:
            return await store.stats(), await store.list_workers(), await store.now()

    try:
        stats, workers, now = _run(go)
    except JobStoreError as exc:
        fail(str(exc), EXIT_FAILED)
    report = {
        "store": repr(store),
        "queue": {
            "waiting": stats.queue_size,
            "running": stats.running,
            "total": stats.total,
            "by_status": stats.by_status,
            "waiting_by_priority": stats.waiting_by_priority,
            "oldest_waiting_age": stats.oldest_waiting_age,
        },
        "workers": [
            {
                "id": w.id,
                "host": w.host,
                "pid": w.pid,
                "running": list(w.running),
                "last_heartbeat_age": round(max(0.0, now - w.last_seen), 3),
                "started_at": _iso(w.started_at),
            }
            for w in workers
        ],
    }  # ages are in the store's clock, so a skewed local clock does not distort them
    if as_json:
        print(json.dumps(report, indent=2))
        return
    oldest = stats.oldest_waiting_age
    print(
        f"{report['store']}: {stats.queue_size} waiting, {stats.running} running, {stats.total} total"
        + (f"; oldest waiting {oldest:.1f} s" if oldest is not None else "")
    )
    print("  " + ", ".join(f"{k} {v}" for k, v in stats.by_status.items()))
    table = Table("worker", "host", "pid", "running", "last heartbeat")
    for w in workers:
        age = max(0.0, now - w.last_seen)
        table.add_row(w.id, w.host, str(w.pid), " ".join(w.running), f"{age:.1f} s ago")
    Console().print(table)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as exc:
        fail(_first_error(exc))


def main() -> None:
    if os.environ.get("T2V_DEBUG"):
        app()
        return
    try:
        app()
    except T2VError as exc:  # a last net: expected errors never show a traceback
        print(f"t2v: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_INPUT if isinstance(exc, InputError) else EXIT_FAILED)
