"""The studio's costs (issue 15): what GET storyboard costs now that the plan is kept with the job,
and what a bold static CJK caption font costs to make.

- GET storyboard: planning a long document (this repository's README, ~100 kB of Markdown) as the
  worker plans it, against reading the kept storyboard back (one SQLite row, parsed and validated).
- Burned CJK captions: `static_face` for 100, 500 and 2,000 distinct Chinese characters at weight
  700 (no cache), with the process's peak memory; for scale, fontTools' instancer on the whole face
  took 592 s and 6.4 GB on this machine (measured once by hand, not re-run here).

    make bench-studio   # or: .venv/bin/python benchmarks/studio_bench.py
"""

from __future__ import annotations

import asyncio
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import load_settings  # noqa: E402
from app.core.jobstore.base import NewJob  # noqa: E402
from app.core.jobstore.sqlite import SQLiteJobStore  # noqa: E402
from app.core.memory_optimizer import WorkspaceManager  # noqa: E402
from app.core.queue_manager import FileContext, Trust  # noqa: E402
from app.services.pipeline import Renderer  # noqa: E402
from app.services.planning import dump_storyboard, parse_storyboard  # noqa: E402
from app.services.render_job import plan_of_job  # noqa: E402
from app.services.visuals import default_fontset, static_face  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CHARS = (100, 500, 2000)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def best(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


async def storyboard_rows(tmp: Path) -> list[str]:
    settings = load_settings()
    renderer = Renderer(WorkspaceManager(tmp / "ws"), settings=load_settings())
    text = (ROOT / "README.md").read_bytes()
    context = FileContext(
        content=text, filename="README.md", content_type="text/markdown", options={}, trust=Trust.CALLER
    )
    planned = best(3, lambda: plan_of_job(renderer, context, settings))
    plan = plan_of_job(renderer, context, settings)
    body = dump_storyboard(plan, "json")
    async with SQLiteJobStore(tmp / "jobs.db") as store:
        await store.enqueue(NewJob(id="j", payload={"text": "x"}))
        await store.put_attachment("j", "storyboard", body, expected=None)
        times = []
        for _ in range(10):
            start = time.perf_counter()
            held = await store.get_attachment("j", "storyboard")
            assert held is not None
            parse_storyboard(held.body, "json")
            times.append(time.perf_counter() - start)
    kept = min(times)
    return [
        f"| planned again (before) | {len(text):,} B of Markdown, {len(plan.scenes)} scenes "
        f"| {planned:.3f} |",
        f"| kept with the job (now) | one row, {len(body):,} B of JSON, parsed | {kept:.3f} |",
    ]


def font_rows(tmp: Path) -> list[str]:
    cjk = next(f for f in default_fontset().fallbacks if "CJK" in f.name)
    han = [chr(c) for c in range(0x4E00, 0x9FFF)]
    rows = []
    for n in CHARS:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        out = static_face(cjk, han[:n], 700, tmp / f"fonts-{n}")
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rows.append(
            f"| {n:,} | {elapsed:.2f} | {out.stat().st_size / 1e6:.2f} | {peak / 1024:.0f} "
            f"(+{(peak - before) / 1024:.0f}) | {load()} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = load()
        board = asyncio.run(storyboard_rows(Path(tmp)))
        fonts = font_rows(Path(tmp))
    lines = [
        "# Studio (issue 15)",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average (1, 5, 15 min) at the start: {started}. Command: `make bench-studio`.",
        "",
        "## GET storyboard",
        "",
        "| storyboard | what | best time (s) |",
        "|---|---|---|",
        *board,
        "",
        "## A static bold CJK caption font (`static_face`, no cache)",
        "",
        "| distinct characters | time (s) | file (MB) | peak RSS, MB (growth) | load average |",
        "|---|---|---|---|---|",
        *fonts,
        "",
        "fontTools' instancer on the whole Noto Sans CJK SC face (65,000 glyphs): 592 s, 6.4 GB peak",
        "(measured once by hand); libass cannot choose a variable font's instance itself.",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "studio.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
