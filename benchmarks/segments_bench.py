"""ISSUE 13's plan benchmark, taken apart: its moving photo scene and its still scenes encoded alone.

plan_bench.py times whole renders against moviepy; on a shared 2-core machine its one number mixes
everything that ran at once. This times the two kinds of picture segment of the same Plan in
isolation, repeated, with their CPU time (ours, in this process: drawing the moving frames; the
children's: ffmpeg), which the machine's load inflates much less than wall time:
- the moving scene: the full-bleed photo's 4.6 s of Ken Burns pan and zoom, every frame drawn here
  (`motion.pan_frame`, two threads) and piped to x264 (`encode_segment` with motion);
- the still scenes: the other seven scenes' 21 stills, one variable-rate segment a scene, in turn.
Results: benchmarks/results/segments.md.

    make bench-segments      # or: .venv/bin/python benchmarks/segments_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable, Coroutine
from pathlib import Path

from fast_path_bench import log, machine, shown_command, write_result
from plan_bench import _prepare, make_plan, plan_folder

from app.core.fsutil import hash_file
from app.services.video import FrameSpec, Shot, encode_segment

SIZE = (1920, 1080)


def scenes_of(inputs: Path) -> tuple[list[Shot], list[list[Shot]]]:
    """The moving scene's shots and each still scene's, on the timeline of the prepared manifest."""
    manifest = json.loads((inputs / "manifest.json").read_text(encoding="utf-8"))
    moving: list[Shot] = []
    still: dict[str, list[Shot]] = {}
    at = 0.0
    for entry in manifest["scenes"]:
        shot = Shot(inputs / entry["image"], at, entry["duration"])
        at += entry["duration"]
        if entry["motion"]:
            moving.append(shot)
        else:
            still.setdefault(entry["image"].split("-")[1], []).append(shot)
    return moving, list(still.values())


def timed(make: Callable[[], Coroutine[None, None, None]]) -> dict[str, float]:
    """Wall time, this process's CPU and its children's (ffmpeg) CPU of one run."""
    before, started = os.times(), time.perf_counter()
    asyncio.run(make())
    after = os.times()
    return {
        "wall": time.perf_counter() - started,
        "ours": after.user + after.system - before.user - before.system,
        "ffmpeg": after.children_user + after.children_system - before.children_user - before.children_system,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (median)")
    parser.add_argument("--note", default="", help="a sentence on how the machine was shared, for the report")
    args = parser.parse_args()
    plan_file = plan_folder("segments", make_plan)
    work = plan_file.parent.parent
    log("preparing speech, images and stills once (our pieces)")
    asyncio.run(_prepare(plan_file, work / "inputs", work / "data"))
    moving, stills = scenes_of(work / "inputs")
    key = hash_file(moving[0].image)
    out = work / "out"
    out.mkdir()

    async def encode_moving() -> None:
        await encode_segment(moving, FrameSpec(SIZE, motion=True), out / "moving.mp4", out, motion_key=key)

    async def encode_stills() -> None:
        for i, shots in enumerate(stills):
            await encode_segment(shots, FrameSpec(SIZE), out / f"still-{i}.mp4", out)

    load = f"{os.getloadavg()[0]:.2f}"
    runs: dict[str, list[dict[str, float]]] = {"moving": [], "stills": []}
    for r in range(args.repeat):
        log(f"round {r + 1}/{args.repeat}")
        runs["moving"].append(timed(encode_moving))
        runs["stills"].append(timed(encode_stills))
    load += f" / {os.getloadavg()[0]:.2f}"
    frames = round((moving[-1].start + moving[-1].duration - moving[0].start) * 30)

    def row(name: str, what: str) -> str:
        med = {k: statistics.median(run[k] for run in runs[name]) for k in ("wall", "ours", "ffmpeg")}
        return f"| {what} | {med['wall']:.2f} s | {med['ours']:.2f} s | {med['ffmpeg']:.2f} s |"

    command = shown_command("segments_bench.py").split(" --note")[0]
    text = "\n".join(
        [
            "# The plan benchmark's picture segments, each alone (ISSUE 13)",
            "",
            f"Machine: {machine()}. Load average at start / end: {load}. {args.note}".rstrip(),
            "",
            f"Command: `{command}`. Medians over {args.repeat} runs. CPU: "
            "this process's (the moving frames are drawn here) and its children's (ffmpeg).",
            "",
            "| segment | wall | our CPU | ffmpeg CPU |",
            "|---|---|---|---|",
            row("moving", f"moving photo, 1080p, {frames} frames at 30 fps (pan and zoom, every frame)"),
            row(
                "stills",
                f"{len(stills)} still scenes, {sum(len(s) for s in stills)} stills, one after another",
            ),
            "",
        ]
    )
    write_result("segments.md", text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
