"""The job queue from the command line: submit, list, inspect, cancel, retry and purge jobs; the
queue's status and its database schema. (The local SQLite store, or PostgreSQL with T2V_DATABASE_URL.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from app.cli.base import EXIT_FAILED, app, cli_settings, document_dir, fail, read_source, run_store_call
from app.cli.checks import check_images_now
from app.cli.documents import DocumentFlags
from app.cli.flags import flag_groups, group_settings
from app.cli.render_flags import DeliveryFlags, FrameFlags, ImageFlags, VoiceFlags, render_options
from app.cli.sound import SoundFlags
from app.cli.story import StoryFlags
from app.cli.visuals import PictureFlags
from app.config import Settings
from app.core.jobstore.base import JobPriority, JobRecord, JobStatus
from app.core.queue_manager import QueueManager, Trust, new_job_id
from app.errors import InputError

if TYPE_CHECKING:
    pass

T = TypeVar("T")


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

    return run_store_call(go)


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
@flag_groups
def submit(
    *,
    source: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A document, - for stdin, or a storyboard (.json, .yaml)."),
    ],
    priority: Annotated[str, typer.Option(help="low, normal, high or urgent.")] = "normal",
    job_id: Annotated[str | None, typer.Option("--id", help="Job id (default: a new random id).")] = None,
    speech: VoiceFlags,
    frame: FrameFlags,
    delivery: DeliveryFlags,
    pictures: PictureFlags,
    sound: SoundFlags,
    reading: DocumentFlags,
    images: ImageFlags,
    story: StoryFlags,
) -> None:
    """Queue a document for rendering by a worker; prints the job id."""
    from app.services.documents import Document
    from app.services.images import ImagePolicy
    from app.services.options import parse_render_options
    from app.services.planning import ScriptLimits
    from app.services.render_job import check_script, check_storyboard

    # the job carries the document's text, not its path: its folder goes along as the images' root
    images = images.rooted(document_dir(source))
    groups = (speech, frame, delivery, pictures, sound, reading, images, story)
    settings = cli_settings(**group_settings(*groups))
    try:
        prio = JobPriority.parse(priority)
        document = read_source(source, settings, reading.pages, reading.pptx_picture)
        options = render_options(settings, *groups)
        # whoever runs the CLI is the operator
        parsed = parse_render_options(options, trust=Trust.OPERATOR, settings=settings)
        if isinstance(document, Document):
            check_script(document, parsed, ScriptLimits.from_settings(settings))
            check_images_now(document, parsed, settings)
        else:
            policy = ImagePolicy.for_render(parsed, Trust.OPERATOR, settings)
            script_limits = ScriptLimits.from_settings(settings)
            name = Path(source).name
            check_storyboard(document, parsed, policy, name, trust=Trust.OPERATOR, limits=script_limits)
    except (InputError, ValueError) as exc:
        fail(str(exc))
    from app.services.render_job import job_context, storyboard_context

    if isinstance(document, Document):
        context = job_context(document, options, Trust.OPERATOR, document.name)
    else:
        context = storyboard_context(document, options, Trust.OPERATOR, Path(source).name)
    job = _with_queue(
        settings,
        lambda m: m.submit_job_for_processing(
            job_id=job_id or new_job_id(), file_context=context, priority=prio, file_size=context.size
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
    settings = cli_settings()
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
    record = _with_queue(cli_settings(), lambda m: m.get_job(job_id))
    if record is None:
        fail(f"no job {job_id!r}")
    print(json.dumps(_job_dict(record), indent=2))


@app.command()
def cancel(job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Cancel a queued, retrying or running job."""
    record = _with_queue(cli_settings(), lambda m: m.cancel_job(job_id))
    print(f"{record.id}: {record.status.value}")


@app.command()
def retry(job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Queue a failed or cancelled job again, with fresh attempts."""

    async def go(manager: QueueManager) -> JobRecord:
        found = await manager.get_job(job_id)
        if found is not None and found.purged:
            raise ValueError(f"job {job_id!r} was purged: its document is deleted; submit it again")
        return await manager.retry_job(job_id)

    record = _with_queue(cli_settings(), go)
    print(f"{record.id}: {record.status.value}")


@app.command()
def purge(job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Delete a job's document and files (cancelling it if it runs); its record stays as a tombstone."""
    from app.core.lifecycle import DataLifecycle

    settings = cli_settings()

    async def go(manager: QueueManager) -> JobRecord:
        return await DataLifecycle(await manager.store(), settings.artifacts_dir).purge(job_id)

    record = _with_queue(settings, go)
    print(f"{record.id}: purged ({record.status.value})")


db_app = typer.Typer(help="The job database: create or migrate its schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the job store's schema (T2V_DATABASE_URL, else SQLite); prints the version."""
    from app.core.jobstore import upgrade_schema
    from app.core.jobstore.base import JobStoreError
    from app.core.jobstore.migrations import MigrationError

    settings = cli_settings()
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
        store = create_store(cli_settings())
    except ValueError as exc:
        fail(str(exc))

    async def go() -> tuple[QueueStats, list[WorkerInfo], float]:
        async with store:
            return await store.stats(), await store.list_workers(), await store.now()

    try:
        stats, workers, now = run_store_call(go)
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
