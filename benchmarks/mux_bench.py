"""The final mux alone (issue 14's re-render goal): the in-process PyAV mux (`video.mux`) vs the ffmpeg
command it replaced (ffconcat of the segments + the narration + SRT as mov_text + ffmetadata
chapters, faststart), on the inputs of the sound benchmark's twenty-scene render.

The document is rendered once (720p, espeak) to get its scene segments, narration, captions and
chapters; then both muxes run on them, interleaved, `--repeat` times each. Wall time and CPU (this
process and its ffmpeg children) are medians; the load is the machine's 1-minute load average.

    make bench-mux      # or: .venv/bin/python benchmarks/mux_bench.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sound_bench import cpu_seconds, document  # noqa: E402

from app.config import load_settings  # noqa: E402
from app.core.memory_optimizer import DiskCache, WorkspaceManager  # noqa: E402
from app.core.resource_manager import ResourceManager  # noqa: E402
from app.services import pipeline  # noqa: E402
from app.services.documents import document_from_bytes  # noqa: E402
from app.services.models import RenderOptions  # noqa: E402
from app.services.pipeline import Renderer  # noqa: E402
from app.services.video import Chapter, chapter_marks, mux  # noqa: E402
from tests.mux_support import ffmpeg_mux  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def capture(work: Path) -> dict[str, Any]:
    """Render the sound benchmark's document once, keeping copies of what went into its mux."""
    kept: dict[str, Any] = {}
    real = pipeline.mux

    async def keeping(segments: list[Path], audio: Path, out: Path, *args: Any, **kwargs: Any) -> float:
        length = await real(segments, audio, out, *args, **kwargs)
        inputs = work / "inputs"
        inputs.mkdir()
        kept["segments"] = [
            Path(shutil.copy(s, inputs / f"segment-{i:02d}.mp4")) for i, s in enumerate(segments)
        ]
        kept["audio"] = Path(shutil.copy(audio, inputs / "narration.aac"))
        kept["srt"] = Path(shutil.copy(args[0], inputs / "captions.srt"))
        kept["chapters"], kept["duration"] = args[2], args[3]
        return length

    pipeline.mux = keeping  # type: ignore[assignment]
    try:
        r = Renderer(
            WorkspaceManager(work / "tmp"),
            ResourceManager(),
            DiskCache(work / "cache"),
            settings=load_settings(),
        )
        doc = document_from_bytes(document().encode(), "talk.md", None)
        asyncio.run(r.render(doc, work / "talk.mp4", RenderOptions(voice="en")))
    finally:
        pipeline.mux = real  # type: ignore[assignment]
    return kept


def ffmpeg_command(inputs: dict[str, Any], out: Path) -> None:
    """The ffmpeg run the in-process mux replaced."""
    marks = chapter_marks(inputs["chapters"], inputs["duration"])
    ffmpeg_mux(inputs["segments"], inputs["audio"], out, inputs["srt"], marks)


def in_process(inputs: dict[str, Any], out: Path) -> None:
    chapters: list[Chapter] = inputs["chapters"]
    asyncio.run(
        mux(inputs["segments"], inputs["audio"], out, inputs["srt"], "eng", chapters, inputs["duration"])
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    ways: dict[str, Callable[[dict[str, Any], Path], None]] = {
        "ffmpeg command (before)": ffmpeg_command,
        "in-process PyAV mux (now)": in_process,
    }
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in ways}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = capture(work)
        for n in range(args.repeat):
            for name, way in ways.items():
                out = work / f"out-{n}-{len(times[name][0])}.mp4"
                started, cpu = time.perf_counter(), cpu_seconds()
                way(inputs, out)
                times[name][0].append(time.perf_counter() - started)
                times[name][1].append(cpu_seconds() - cpu)
                out.unlink()
            loads.append(os.getloadavg()[0])
        size = sum(p.stat().st_size for p in inputs["segments"]) + inputs["audio"].stat().st_size
    lines = [
        "# The final mux: in-process (PyAV) vs the ffmpeg command it replaced",
        "",
        f"`benchmarks/mux_bench.py --repeat {args.repeat}` on {platform.machine()},"
        f" {platform.python_version()}: the sound benchmark's twenty-scene render's inputs",
        f"({len(inputs['segments'])} segments, the narration, captions and chapters; {size / 1e6:.1f} MB),",
        f"each mux run {args.repeat} times, interleaved; medians. CPU is this process's and its ffmpeg",
        "children's. The machine is shared: its 1-minute load average",
        f"(`uptime`, 2 cores) was {min(loads):.1f}-{max(loads):.1f} during these runs.",
        "",
        "| mux | wall | CPU |",
        "|---|---|---|",
    ]
    for name, (wall, cpu) in times.items():
        lines.append(f"| {name} | {statistics.median(wall):.3f} s | {statistics.median(cpu):.3f} s |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mux.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
