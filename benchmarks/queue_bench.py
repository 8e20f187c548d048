"""Queue throughput: claim + complete of no-op jobs by 1, 2 and 4 worker processes, SQLite vs PostgreSQL.

Measures the store, not the handlers: each process loops `claim` -> `complete` until the queue is empty.
The processes open their store first, then all start on one signal; the time is from that signal to the
last process's exit. Writes benchmarks/results/queue.md.

    .venv/bin/python benchmarks/queue_bench.py [--jobs 2000] [--postgres postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.jobstore.base import JobStore, NewJob  # noqa: E402
from app.core.jobstore.postgres import PostgresJobStore  # noqa: E402
from app.core.jobstore.sqlite import SQLiteJobStore  # noqa: E402

PROCESSES = (1, 2, 4)
RESULTS = ROOT / "benchmarks" / "results" / "queue.md"


def open_store(backend: str, target: str) -> JobStore:
    if backend == "sqlite":
        return SQLiteJobStore(Path(target))
    return PostgresJobStore(target, listen=False)


async def child(backend: str, target: str) -> None:
    """One worker process: open, wait for the go line on stdin, drain the queue, print the count."""
    async with open_store(backend, target) as store:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        done, worker = 0, f"bench-{os.getpid()}"
        while (lease := await store.claim(worker, 60.0)) is not None:
            await store.complete(lease.job_id, lease.token, {})
            done += 1
        print(done, flush=True)


async def fill(backend: str, target: str, jobs: int) -> None:
    async with open_store(backend, target) as store:
        for i in range(jobs):
            await store.enqueue(NewJob(id=f"b{i:06d}", kind="noop", payload={}))


def run(backend: str, target: str, processes: int, jobs: int) -> float:
    """Jobs per second for `processes` workers draining `jobs` queued jobs."""
    asyncio.run(fill(backend, target, jobs))
    argv = [sys.executable, __file__, "--child", backend, target]
    procs = [
        subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    counts = [int(p.communicate(timeout=600)[0].strip()) for p in procs]
    elapsed = time.perf_counter() - start
    assert sum(counts) == jobs, f"{counts} != {jobs}"
    return jobs / elapsed


def postgres_target(url: str) -> tuple[str, str] | None:
    """A fresh schema for one run, or None when no server answers."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
            schema = f"t2v_bench_{uuid.uuid4().hex[:8]}"
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error:
        return None
    sep = "&" if "?" in url else "?"
    return schema, f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if "model name" in ln]
        cpu = names[0] if names else cpu
    system = f"{platform.system()} {platform.release()}"
    return f"{system}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=3) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("T2V_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(*args.child))
        return

    rows: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        lite = rows.setdefault("SQLite (WAL, local disk)", {})
        for n in PROCESSES:
            lite[n] = run("sqlite", str(Path(tmp) / f"jobs-{n}.db"), n, args.jobs)
            print(f"sqlite    {n} process(es): {lite[n]:8.0f} jobs/s", flush=True)
    pg_label = None
    for n in PROCESSES:
        made = postgres_target(args.postgres)
        if made is None:
            print("PostgreSQL unreachable: skipped", file=sys.stderr)
            break
        schema, url = made
        pg_label = pg_label or f"PostgreSQL {postgres_version(args.postgres)} (localhost TCP)"
        try:
            rows.setdefault(pg_label, {})[n] = run("postgres", url, n, args.jobs)
        finally:
            drop_schema(args.postgres, schema)
        print(f"postgres  {n} process(es): {rows[pg_label][n]:8.0f} jobs/s", flush=True)

    header = "| store | " + " | ".join(f"{n} process{'es' if n > 1 else ''}" for n in PROCESSES) + " |"
    lines = [
        "# Queue throughput: claim + complete of no-op jobs",
        "",
        f"Machine: {machine()}; SQLite {sqlite3.sqlite_version}.",
        "",
        f"Command: `.venv/bin/python benchmarks/queue_bench.py --jobs {args.jobs}` (or `make bench-queue`),"
        f" {time.strftime('%Y-%m-%d')}.",
        "",
        f"Jobs per second (higher is better), {args.jobs} jobs per run; each process loops claim -> complete"
        " on its own store connection until the queue is empty.",
        "",
        header,
        "|" + "---|" * (len(PROCESSES) + 1),
    ]
    for label, results in rows.items():
        cells = " | ".join(f"{results[n]:.0f}" if n in results else "-" for n in PROCESSES)
        lines.append(f"| {label} | {cells} |")
    lines += [
        "",
        "SQLite serialises every write on one file lock, so more processes add contention, not throughput.",
        "PostgreSQL claims with FOR UPDATE SKIP LOCKED, so processes claim side by side, but each claim and",
        "complete is a network round trip, and here the worker processes and the server share the same",
        f"{os.cpu_count()} CPUs, so beyond that many processes they compete for CPU. Real render jobs take",
        "seconds to minutes, so either store is far from being the bottleneck.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
