"""What a storyboard's GET/PUT body weighs with pictures kept as job attachments (ids) against the
same storyboard with its pictures written in (data: URLs, as before and as `?pictures=inline`).

A Word report with six photos (1280x720 JPEG, ~310 kB each) is planned as the worker plans it; the
body is what `GET /v1/jobs/{id}/storyboard` answers (and a PUT sends back). Also timed: keeping the
pictures with the job the first time (`keep_pictures`, SQLite) and putting them back for a PUT's
checks (`inline_pictures`), best of 5.

    make bench-storyboard-pictures   # or: .venv/bin/python benchmarks/storyboard_pictures_bench.py
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.api.pictures import inline_pictures, keep_pictures  # noqa: E402
from app.api.studio import _body  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.core.jobstore.base import NewJob  # noqa: E402
from app.core.jobstore.sqlite import SQLiteJobStore  # noqa: E402
from app.core.memory_optimizer import WorkspaceManager  # noqa: E402
from app.core.queue_manager import FileContext, Trust  # noqa: E402
from app.services.pipeline import Renderer  # noqa: E402
from app.services.planning import Plan  # noqa: E402
from app.services.render_job import plan_of_job  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PHOTOS = 6
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def photo(seed: int) -> bytes:
    """A photo-like JPEG (gradients and noise: it does not compress away like a flat colour)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:720, 0:1280]
    base = np.stack([x * 255 // 1280, y * 255 // 720, (x + y) * 255 // 2000], -1)
    pixels = np.clip(base + rng.normal(0, 18, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


def report() -> tuple[bytes, int]:
    import docx
    from docx.shared import Inches

    document = docx.Document()
    document.add_heading("Field report", 0)
    total = 0
    for n in range(PHOTOS):
        document.add_heading(f"Site {n + 1}", 1)
        document.add_paragraph(f"At site {n + 1} the team measured the water level and took a photo.")
        picture = photo(n)
        total += len(picture)
        document.add_picture(io.BytesIO(picture), width=Inches(5))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), total


def size(plan: Plan, revision: int) -> int:
    body = _body(plan, "0123456789abcdef", "token-" + "x" * 40, revision)
    return len(json.dumps(body).encode("utf-8"))


async def best_async(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


async def measure(tmp: Path) -> list[str]:
    settings = load_settings()
    renderer = Renderer(WorkspaceManager(tmp / "ws"), settings=settings)
    data, photos = report()
    context = FileContext(
        content=data, filename="report.docx", content_type=DOCX, options={}, trust=Trust.CALLER
    )
    plan = plan_of_job(renderer, context, settings)
    async with SQLiteJobStore(tmp / "jobs.db") as store:
        await store.enqueue(NewJob(id="j", payload={"text": "x"}))
        named = await keep_pictures(store, "j", plan)
        assert await inline_pictures(store, "j", named) == plan
        kept = await best_async(5, lambda: keep_pictures(store, "j", plan))
        inlined = await best_async(5, lambda: inline_pictures(store, "j", named))
    before, after = size(plan, 1), size(named, 1)
    pictures = sum(s.image is not None for s in plan.scenes)
    return [
        f"Document: a DOCX of {len(data):,} B with {PHOTOS} photos ({photos:,} B of JPEG); "
        f"{len(plan.scenes)} scenes, {pictures} with a picture.",
        "",
        "| GET/PUT body | bytes |",
        "|---|---|",
        f"| pictures written in as data: URLs (before; now `?pictures=inline`) | {before:,} |",
        f"| pictures kept with the job, named `attachment:ID` (now) | {after:,} |",
        "",
        "| step (SQLite, best of 5) | seconds |",
        "|---|---|",
        f"| keep the pictures with the job (GET's first planning; a PUT) | {kept:.4f} |",
        f"| put them back as data: URLs for a PUT's checks | {inlined:.4f} |",
    ]


def main() -> None:
    started = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(measure(Path(tmp)))
    lines = [
        "# Storyboard pictures as job attachments",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average (1, 5, 15 min) at the start: {started}. Command: `make bench-storyboard-pictures`.",
        "",
        *rows,
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "storyboard_pictures.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
