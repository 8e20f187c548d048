"""Documents at 0.5, 1 and 2 MB (issue 11): time and peak RSS, to show cost near-linear in size.

Four kinds of document at each size: normal prose (Markdown, a heading every few paragraphs), one
long unbroken word, thousands of headings, and everything on a single line. Three tables:

1. `t2v render` with the default limits: what a user gets (every one of these is refused, before
   any speech, by T2V_MAX_SCENES, T2V_MAX_NARRATION_MINUTES or T2V_MAX_WORD_CHARS).
2. The planning stages with the limits lifted, in a fresh process: building the script, and laying
   out the slides (every 20th scene is laid out; the per-slide figure is what scales).
3. Whole renders of prose small enough to pass the limits (25, 50, 100 KB), fresh data dir each.

Rendering 2 MB of prose whole is about 33 hours of speech; it is not run here.

    make bench-long-input   # or: .venv/bin/python benchmarks/long_input_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil
from proctree import run_sampled

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MB = 1_000_000
SIZES = (MB // 2, MB, 2 * MB)  # bytes; 2 MB is under the 2 MiB input limit
LAYOUT_EVERY = 20

SENTENCES = (
    "Text to video tools turn written words into narrated clips.",
    "Each scene gets a voice, a slide and captions that follow the words.",
    "The renderer encodes every distinct picture once and holds it on screen.",
    "Speech is synthesized offline, so nothing leaves the machine.",
    "Long documents are split into scenes of about twenty seconds.",
)


def _repeat_to(size: int, unit: object) -> str:
    out, n, i = [], 0, 0
    while n < size:
        piece = unit(i)  # type: ignore[operator]
        out.append(piece)
        n += len(piece.encode("utf-8"))
        i += 1
    return "".join(out)


def prose(size: int) -> str:
    def section(i: int) -> str:
        paragraphs = [" ".join(SENTENCES[(i + j + k) % 5] for k in range(4)) for j in range(4)]
        return f"# Section {i + 1}\n\n" + "\n\n".join(paragraphs) + "\n\n"

    return _repeat_to(size, section)


def long_word(size: int) -> str:
    head = "# One long word\n\nThis paragraph holds one long word: "
    return head + "a" * (size - len(head) - 12) + " and ends.\n"


def headings(size: int) -> str:
    return _repeat_to(size, lambda i: f"# Heading {i + 1}\n\n")


def single_line(size: int) -> str:
    return _repeat_to(size, lambda i: SENTENCES[i % 5] + " ").rstrip() + "\n"


KINDS = {"prose": (prose, "md"), "long word": (long_word, "md"), "headings": (headings, "md")}
KINDS["single line"] = (single_line, "txt")


def plan(path: Path) -> dict[str, float]:
    """In this process: plan without limits (and without fitting), then lay out every LAYOUT_EVERY-th
    slide."""
    from app.services.documents import load_document
    from app.services.models import VideoFormat
    from app.services.planning import plan_document
    from app.services.visuals import THEMES, compose_scene

    document = load_document(path)
    start = time.perf_counter()
    planned = plan_document(document)
    built = time.perf_counter() - start
    sample = planned.scenes[::LAYOUT_EVERY]
    start = time.perf_counter()
    for scene in sample:
        compose_scene(scene, VideoFormat("16:9", 720), THEMES["dark"], None)
    laid = time.perf_counter() - start
    return {"scenes": len(planned.scenes), "script_s": built, "sampled": len(sample), "layout_s": laid}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)  # the child of table 2
    args = parser.parse_args()
    if args.plan:
        print(json.dumps(plan(args.plan)))
        return

    env_base = {k: v for k, v in os.environ.items() if not k.startswith("T2V_")}
    env_base["PYTHONPATH"] = str(ROOT)
    refusals, plans, renders = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = dict(env_base, T2V_DATA_DIR=str(work / "data"))
        for kind, (make, ext) in KINDS.items():
            for size in SIZES:
                path = work / f"{kind.replace(' ', '-')}-{size}.{ext}"
                path.write_text(make(size), encoding="utf-8")
                run = run_sampled(_cli("render", str(path), "-o", str(work / "out.mp4"), "-q"), env)
                outcome = run.stderr.decode().strip().splitlines()[-1] if run.returncode else "rendered"
                refusals.append((kind, size, run.returncode, run.wall, run.peak_rss_bytes, outcome))
                print(refusals[-1][:5], flush=True)
                run = run_sampled([sys.executable, str(Path(__file__)), "--plan", str(path)], env)
                if run.returncode:
                    raise SystemExit(run.stderr.decode())
                figures = json.loads(run.stdout)
                plans.append((kind, size, figures, run.wall, run.peak_rss_bytes))
                print(plans[-1], flush=True)
        for size in (25_000, 50_000, 100_000):
            path = work / f"prose-{size}.md"
            path.write_text(prose(size), encoding="utf-8")
            data = dict(env_base, T2V_DATA_DIR=str(work / f"render-{size}"))
            run = run_sampled(_cli("render", str(path), "-o", str(work / f"prose-{size}.mp4"), "-q"), data)
            if run.returncode:
                raise SystemExit(run.stderr.decode())
            from app.services.video import probe

            renders.append((size, probe(work / f"prose-{size}.mp4").duration, run.wall, run.peak_rss_bytes))
            print(renders[-1], flush=True)

    write_report(refusals, plans, renders)


def _mb(n: float) -> str:
    return f"{n / MB:g}"


def write_report(refusals: list, plans: list, renders: list) -> None:
    lines = [
        "# Long and large input (issue 11)",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}. "
        "Command: `make bench-long-input`. Peak RSS is the largest sum over the process tree, "
        "sampled every 20 ms. One run each (no repeats): the trend matters, not the last digit.",
        "",
        "## 1. `t2v render` with the default limits",
        "",
        "| document | size (MB) | exit | wall (s) | peak RSS (MB) | outcome |",
        "|---|---|---|---|---|---|",
    ]
    for kind, size, code, wall, rss, outcome in refusals:
        shown = outcome.replace("|", "/")[:110]
        lines.append(f"| {kind} | {_mb(size)} | {code} | {wall:.2f} | {rss / MB:.0f} | {shown} |")
    lines += [
        "",
        "## 2. Planning with the limits lifted (a fresh process per document)",
        "",
        f"Script: `plan_document` over the whole document. Layout: `compose_scene` of every {LAYOUT_EVERY}th "
        "scene at 720p; the per-slide time times the scenes estimates a whole layout stage.",
        "",
        "| document | size (MB) | scenes | script (s) | script (s/MB) | layout (ms/slide) "
        "| whole layout, est. (s) | process wall (s) | peak RSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, size, f, wall, rss in plans:
        per_slide = f["layout_s"] / max(1, f["sampled"])
        script_s = f["script_s"]
        lines.append(
            f"| {kind} | {_mb(size)} | {f['scenes']:,} | {script_s:.2f} | {script_s / (size / MB):.2f} "
            f"| {per_slide * 1000:.1f} | {per_slide * f['scenes']:.1f} | {wall:.1f} | {rss / MB:.0f} |"
        )
    lines += [
        "",
        "## 3. Whole renders of prose within the limits (fresh data dir: no cache)",
        "",
        "| size (KB) | video (min) | wall (s) | wall per MB of text (s) | peak RSS (MB) |",
        "|---|---|---|---|---|",
    ]
    for size, duration, wall, rss in renders:
        per_mb = wall / (size / MB)
        lines.append(f"| {size // 1000} | {duration / 60:.1f} | {wall:.1f} | {per_mb:.0f} | {rss / MB:.0f} |")
    report = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "long_input.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
