"""What each delivery preset costs (issue 14 item 6): render time, file size, level and keyframes.

`examples/demo.md` (about a minute of narration) rendered once per configuration with the speech and
slides already cached (so the time is what the preset changes: encoding and muxing), then probed.
Writes `benchmarks/results/delivery.md`.

    make bench-delivery   # or: .venv/bin/python benchmarks/delivery_bench.py
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import load_settings  # noqa: E402
from app.core.memory_optimizer import DiskCache, WorkspaceManager, return_large_buffers  # noqa: E402
from app.core.queue_manager import Trust  # noqa: E402
from app.core.resource_manager import ResourceManager  # noqa: E402
from app.services.documents import load_document  # noqa: E402
from app.services.images import ImagePolicy  # noqa: E402
from app.services.options import parse_render_options  # noqa: E402
from app.services.pipeline import Renderer  # noqa: E402
from app.services.video import probe  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CONFIGS: list[tuple[str, dict[str, object]]] = [
    ("default (720p, variable rate)", {}),
    ("--fps 30 (720p, long GOP)", {"fps": 30}),
    ("--preset web", {"preset": "web"}),
    ("--preset youtube", {"preset": "youtube"}),
    ("--preset archive", {"preset": "archive"}),
    ("--preset shorts (karaoke)", {"preset": "shorts", "caption_style": "karaoke"}),
    ("--audio-only", {"audio_only": True}),
]


def keyframes(path: Path) -> tuple[int, float]:
    """How many keyframes, and the longest gap between two (or to the end)."""
    with av.open(str(path)) as c:
        if not c.streams.video:
            return 0, 0.0
        keys = sorted(float(p.pts * p.time_base) for p in c.demux(video=0) if p.is_keyframe and p.size)
        end = (c.duration or 0) / 1_000_000
    gaps = [b - a for a, b in zip(keys, [*keys[1:], end], strict=True)]
    return len(keys), max(gaps, default=0.0)


async def main() -> None:
    return_large_buffers()  # the C heap set up as every t2v process sets it at start (build_runtime)
    doc = load_document(ROOT / "examples" / "demo.md")
    rows = []
    with tempfile.TemporaryDirectory(prefix="t2v-delivery-bench-") as tmp:
        work = Path(tmp)
        settings = load_settings()
        renderer = Renderer(
            WorkspaceManager(work / "ws"), ResourceManager(), DiskCache(work / "cache"), settings=settings
        )
        warm = parse_render_options({"voice": "espeak:en-us"}, trust=Trust.OPERATOR, settings=settings)

        def images(options: object) -> ImagePolicy:
            return ImagePolicy.for_render(options, Trust.OPERATOR, settings, ROOT / "examples")

        await renderer.render(doc, work / "warm.mp4", warm, images=images(warm))  # speech, slides cached
        for name, given in CONFIGS:
            options = parse_render_options(
                {"voice": "espeak:en-us", **given}, trust=Trust.OPERATOR, settings=settings
            )
            out = work / f"out-{len(rows)}.{'m4a' if options.audio_only else 'mp4'}"
            started = time.perf_counter()
            result = await renderer.render(doc, out, options, images=images(options))
            seconds = time.perf_counter() - started
            info = probe(out)
            count, gap = keyframes(out)
            frame = f"{info.width}x{info.height}" if info.width else "-"
            rows.append(
                (name, frame, seconds, info.size_bytes, info.level or "-", count, gap, result.duration)
            )
    base = rows[0][3]
    lines = [
        "# Delivery presets: time, size, level and keyframes",
        "",
        f"`examples/demo.md`, {rows[0][7]:.1f} s of narration, espeak en-us; speech and 720p slides",
        "cached before the first row (1080p rows draw their slides). "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "| configuration | frame | render | size | vs default | level | keyframes | longest GOP |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, frame, seconds, size, level, count, gap, _ in rows:
        lines.append(
            f"| {name} | {frame} | {seconds:.2f} s | {size / 1e6:.2f} MB | {size / base:.2f}x | {level} "
            f"| {count} | {gap:.2f} s |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "delivery.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
