"""Running the service: `t2v worker` (jobs from the queue), `t2v serve` (HTTP API, web page and
in-process workers) and `t2v keys` (its API keys)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated

import typer

from app.cli.base import app, cli_settings, fail, on_stop_signals
from app.config import setting_default
from app.core.shutdown import BACKSTOP_MARGIN_SECONDS, Backstop, hard_exit


@app.command()
def worker(
    burst: Annotated[bool, typer.Option("--burst", help="Exit once the queue is empty.")] = False,
    max_concurrent_jobs: Annotated[
        int | None, typer.Option(help=f"Jobs at once (default {setting_default('max_concurrent_jobs')}).")
    ] = None,
    max_concurrent_tts: Annotated[
        int | None,
        typer.Option(help=f"Speech syntheses at once (default {setting_default('max_concurrent_tts')})."),
    ] = None,
    max_concurrent_visual: Annotated[
        int | None,
        typer.Option(help=f"Pictures drawn at once (default {setting_default('max_concurrent_visual')})."),
    ] = None,
    max_cpu_percent: Annotated[
        float | None,
        typer.Option(help=f"Claim no job above this CPU % ({setting_default('max_cpu_percent'):g})."),
    ] = None,
    max_memory_percent: Annotated[
        float | None,
        typer.Option(help=f"Claim no job above this memory % ({setting_default('max_memory_percent'):g})."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each job.")] = False,
) -> None:
    """Run jobs from the queue until SIGTERM or Ctrl-C (then finish or release running jobs)."""
    from app.runtime import build_runtime

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = cli_settings(
        max_concurrent_jobs=max_concurrent_jobs,
        max_concurrent_tts=max_concurrent_tts,
        max_concurrent_visual=max_concurrent_visual,
        max_cpu_percent=max_cpu_percent,
        max_memory_percent=max_memory_percent,
    )
    runtime = build_runtime(settings)

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
        on_stop_signals(asyncio.get_running_loop(), w.stop, backstop)
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

    code = run_server(build_runtime(cli_settings()), host, port, workers)
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
        secret, stored = KeyFile(cli_settings().api_keys_file).create(name, admin)
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
        stored = KeyFile(cli_settings().api_keys_file).load()
    except KeyFileError as exc:
        fail(str(exc))
    for k in stored:
        print(f"{k.id}  {'admin' if k.admin else 'user '}  {k.name}")
