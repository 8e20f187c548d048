"""Render a generated ~60 s document at 720p and 1080p; record wall time, CPU time and peak RSS.

Peak RSS is the largest sum of resident memory over the render's whole process tree (t2v, ffmpeg),
sampled every 20 ms. No pass/fail: the numbers go to benchmarks/results/render.md.

    make bench            # or: .venv/bin/python benchmarks/render_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil
from proctree import run_sampled

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

SENTENCES = [
    "Text to video tools turn written words into narrated clips.",
    "Each scene gets a voice, a slide and captions that follow the words.",
    "The renderer encodes every distinct picture once and holds it on screen.",
    "Speech is synthesized offline, so nothing leaves the machine.",
    "Long documents are split into scenes of about twenty seconds.",
]


def sample_document(seconds: float = 60.0, wpm: int = 175) -> str:
    """Markdown whose narration lasts about `seconds` at `wpm` words per minute."""
    # espeak pauses at punctuation and between scenes: about 0.9 of the nominal words fit the time
    target_words = int(seconds * wpm / 60 * 0.9)
    parts, words, scene = [], 0, 0
    while words < target_words:
        scene += 1
        body = " ".join(SENTENCES[(scene + i) % len(SENTENCES)] for i in range(3))
        parts.append(f"# Scene {scene}\n\n{body}\n")
        words += len(body.split()) + 2
    return "\n".join(parts)


@dataclass
class Measurement:
    wall: float
    cpu: float
    peak_rss_mb: float
    video_seconds: float


def measure(argv: list[str], env: dict[str, str]) -> Measurement:
    """Run one render; CPU time comes from the kernel's accounting of our finished children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = run_sampled(argv, env)
    if run.returncode != 0:
        raise SystemExit(f"render failed: {run.stderr.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Measurement(wall=run.wall, cpu=cpu, peak_rss_mb=run.peak_rss_bytes / 1e6, video_seconds=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    from app.services.video import probe

    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        doc = work / "sample.md"
        doc.write_text(sample_document(args.seconds), encoding="utf-8")
        for resolution in (720, 1080):
            runs: list[Measurement] = []
            for i in range(args.repeat):
                env = dict(os.environ, T2V_DATA_DIR=str(work / f"data-{resolution}-{i}"))
                out = work / f"out-{resolution}.mp4"
                m = measure(
                    [
                        sys.executable,
                        "-m",
                        "app.cli",
                        "render",
                        str(doc),
                        "-o",
                        str(out),
                        "--resolution",
                        str(resolution),
                        "--quiet",
                    ],
                    env,
                )
                m.video_seconds = probe(out).duration
                runs.append(m)
            rows.append((resolution, runs))

    lines = [
        "# Render benchmark",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}.",
        f"Command: `{Path(sys.executable).name} benchmarks/render_bench.py --repeat {args.repeat}` "
        f"(each run: `t2v render sample.md --resolution R --quiet`, fresh data dir, so no cache).",
        "",
        "| resolution | video (s) | wall (s, median) | CPU (s, median) | peak RSS, all procs (MB) | runs |",
        "|---|---|---|---|---|---|",
    ]
    for resolution, runs in rows:
        lines.append(
            f"| {resolution}p | {runs[0].video_seconds:.1f} | {statistics.median(r.wall for r in runs):.2f} "
            f"| {statistics.median(r.cpu for r in runs):.2f} | {max(r.peak_rss_mb for r in runs):.0f} "
            f"| {len(runs)} |"
        )
    report = "\n".join(lines) + "\n"
    (RESULTS / "render.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
