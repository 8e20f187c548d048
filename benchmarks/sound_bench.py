"""What sound costs (issue 14): the audio stage's share of a render, and edited re-renders with music.

A generated document of twenty scenes (~150 s of track) is rendered in-process (720p, espeak) with
a fresh cache: once, then again unchanged (everything cached), then after editing one scene; with and
without music (a generated 90 s stereo track). The audio stage (`encode_narration`: resampling, measuring,
levelling, limiting, encoding, mixing, all with their caches) is timed inside each render; ffmpeg's
ebur128 measures every output. No pass/fail: the numbers go to benchmarks/results/sound.md.

    make bench-sound      # or: .venv/bin/python benchmarks/sound_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from inspect import signature
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import load_settings  # noqa: E402
from app.core.memory_optimizer import DiskCache, WorkspaceManager, return_large_buffers  # noqa: E402
from app.core.resource_manager import ResourceManager  # noqa: E402
from app.services import pipeline  # noqa: E402
from app.services.audio import NarrationPlan, Sound, bed  # noqa: E402
from app.services.documents import document_from_bytes  # noqa: E402
from app.services.models import RenderOptions  # noqa: E402
from app.services.pipeline import Renderer  # noqa: E402
from app.services.video import ffmpeg_exe  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SENTENCES = [
    "Text to video tools turn written words into narrated clips.",
    "Each scene gets a voice, a slide and captions that follow the words.",
    "The renderer encodes every distinct picture once and holds it on screen.",
    "Speech is synthesized offline, so nothing leaves the machine.",
]


def document(edited: bool = False, take: int = 0) -> str:
    """Twenty scenes of about three seconds of speech each; `edited` changes the eleventh. Each `take`
    is a different document, so a series' first render is a first render in this process too (the
    in-process memos, e.g. of slide fitting, know nothing of it)."""
    scenes = []
    for n in range(1, 21):
        body = f"{SENTENCES[n % 4]} This is scene {n} of take {take}."
        if edited and n == 11:
            body = f"This scene was edited: it says something else now, a little longer than take {take}."
        scenes.append(f"# Scene {n}\n\n{body}\n")
    return "\n".join(scenes)


AUDIO: list[float] = []
CALLS: list[tuple[NarrationPlan, Sound]] = []  # each render's audio stage inputs, its speech kept
KEEP: list[Path] = []  # where the speech files are kept (the renders' workspaces are removed)
KEPT = itertools.count()


def timed_audio() -> None:
    """Time the audio stage inside every render (the pipeline's own `encode_narration`), and keep
    what it was given, to run it again alone (`alone`)."""
    inner = pipeline.encode_narration

    async def timed(plan: NarrationPlan, *args: Any, **kwargs: Any) -> Any:
        if KEEP:
            # the Sound by its parameter's name, however the pipeline passes it (None: the default)
            sound = signature(inner).bind(plan, *args, **kwargs).arguments.get("sound") or Sound()
            CALLS.append((kept(plan, KEEP[0] / f"call-{next(KEPT)}"), sound))
        started = time.perf_counter()
        try:
            return await inner(plan, *args, **kwargs)
        finally:
            AUDIO.append(time.perf_counter() - started)

    pipeline.encode_narration = timed  # type: ignore[assignment]


def kept(plan: NarrationPlan, folder: Path) -> NarrationPlan:
    folder.mkdir(parents=True)
    units = []
    for i, u in enumerate(plan.units):
        wav = folder / f"{i:02d}.wav"
        shutil.copy(u.speech.audio_path, wav)
        units.append(replace(u, speech=replace(u.speech, audio_path=wav)))
    return replace(plan, units=tuple(units))


def alone(first: tuple[NarrationPlan, Sound], edited: tuple[NarrationPlan, Sound], work: Path) -> list[float]:
    """The audio stage by itself, nothing beside it: a first render's (a fresh cache, no music kept by
    the process), then the edited one's with that cache. Wall and CPU seconds of each."""
    bed.DECODED = bed.Kept(bed.KEPT_TRACKS)
    cache, out = DiskCache(work / "cache"), []
    for n, (plan, sound) in enumerate((first, edited)):
        ws = work / str(n)
        ws.mkdir(parents=True)
        started, cpu = time.perf_counter(), cpu_seconds()
        asyncio.run(pipeline.encode_narration(plan, ws / "n.aac", ws, cache, asyncio.Semaphore(1), sound))
        out += [time.perf_counter() - started, cpu_seconds() - cpu]
    return out


def r128(path: Path) -> tuple[float, float]:
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = out[out.rindex("Summary:") :]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    tp = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return i, tp


@dataclass
class Run:
    label: str
    wall: float
    audio: float
    loudness: float
    true_peak: float
    cpu: float  # seconds of CPU, this process and its ffmpeg children: what load does not inflate much


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


async def one(r: Renderer, text: str, out: Path, options: RenderOptions, label: str) -> Run:
    doc = document_from_bytes(text.encode(), "talk.md", None)
    started, cpu = time.perf_counter(), cpu_seconds()
    result = await r.render(doc, out, options)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    i, tp = r128(result.video)
    return Run(label, wall, AUDIO[-1], i, tp, cpu)


async def series(music: Path | None, work: Path, take: int) -> list[Run]:
    r = Renderer(
        WorkspaceManager(work / "tmp"), ResourceManager(), DiskCache(work / "cache"), settings=load_settings()
    )
    options = RenderOptions(voice="en", music=str(music) if music else None)
    return [
        await one(r, document(take=take), work / "a.mp4", options, "first render"),
        await one(r, document(take=take), work / "b.mp4", options, "cached re-render"),
        await one(r, document(edited=True, take=take), work / "c.mp4", options, "one scene of 20 edited"),
    ]


def make_music(path: Path, take: int) -> Path:
    """A 90 s stereo track of its own per take (pink noise and a tone), so no series finds the music
    decoded by an earlier one in this process."""
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=90:c=pink:a=0.2",
         "-f", "lavfi", "-i", f"sine=f={220 + 10 * take}:d=90", "-filter_complex", "amix=inputs=2",
         "-ac", "2", "-c:a", "aac", "-b:a", "160k", str(path)],
        check=True,
    )  # fmt: skip
    return path


def median_runs(all_runs: list[list[Run]]) -> list[Run]:
    out = []
    for runs in zip(*all_runs, strict=True):
        out.append(
            Run(
                runs[0].label,
                statistics.median(r.wall for r in runs),
                statistics.median(r.audio for r in runs),
                runs[0].loudness,
                runs[0].true_peak,
                statistics.median(r.cpu for r in runs),
            )
        )
    return out


def table(title: str, runs: list[Run]) -> list[str]:
    first, first_cpu = runs[0].wall, runs[0].cpu
    lines = [
        f"### {title}",
        "",
        "| render | wall | audio stage | audio share | vs first render | CPU | CPU vs first | loudness "
        "| true peak |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.label} | {r.wall:.2f} s | {r.audio:.2f} s | {r.audio / r.wall:.0%} | {r.wall / first:.0%} "
            f"| {r.cpu:.2f} s | {r.cpu / first_cpu:.0%} | {r.loudness:.1f} LUFS | {r.true_peak:.1f} dBTP |"
        )
    return [*lines, ""]


def alone_table(by_itself: dict[str, list[list[float]]]) -> list[str]:
    lines = [
        f"### the audio stage alone (medians of {len(next(iter(by_itself.values())))})",
        "",
        "`encode_narration` run again by itself on the same inputs (nothing beside it): the first",
        "render's with a fresh cache, then the edited render's with that cache.",
        "",
        "| | first render wall | CPU | one scene of 20 edited wall | CPU | edited vs first (wall) | (CPU) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in by_itself.items():
        fw, fc, ew, ec = (statistics.median(r[k] for r in rows) for k in range(4))
        lines.append(
            f"| {name} | {fw:.2f} s | {fc:.2f} s | {ew:.2f} s | {ec:.2f} s | {ew / fw:.0%} | {ec / fc:.0%} |"
        )
    return [*lines, ""]


def main(argv: list[str] | None = None) -> None:
    return_large_buffers()  # the C heap set up as every t2v process sets it at start (build_runtime)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    timed_audio()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        takes = itertools.count()
        results: dict[str, list[list[Run]]] = {"without music": [], "with music": []}
        inputs: dict[str, list[tuple[NarrationPlan, Sound]]] = {}
        KEEP.append(base / "kept")
        loads = [os.getloadavg()[0]]
        for n in range(args.repeat):
            for name, with_music in (("without music", False), ("with music", True)):
                work = base / f"{name.replace(' ', '-')}-{n}"
                work.mkdir()
                take = next(takes)
                track = make_music(work / "music.m4a", take) if with_music else None
                CALLS.clear()
                results[name].append(asyncio.run(series(track, work, take)))
                inputs[name] = [CALLS[0], CALLS[2]]  # the first render's, the edited one's
                loads.append(os.getloadavg()[0])
        by_itself: dict[str, list[list[float]]] = {name: [] for name in inputs}
        for n in range(max(3, args.repeat)):
            for name, (first, edited) in inputs.items():
                by_itself[name].append(alone(first, edited, base / f"alone-{name.replace(' ', '-')}-{n}"))
                loads.append(os.getloadavg()[0])
    lines = [
        "# Sound: what loudness, limiting and music cost",
        "",
        f"`benchmarks/sound_bench.py --repeat {args.repeat}` on {platform.machine()}, "
        f"{platform.python_version()}, medians. Twenty scenes, ~150 s of espeak speech and pauses, 720p,",
        "a fresh cache, a document and a music track of its own per series (a first render is a first",
        "render in the process too); the audio stage is `encode_narration` (resample, measure, level,",
        "limit, encode, check, mix), timed inside each render (it runs beside the picture encoding, so",
        "its share of a first render's wall time is an upper bound on what it adds); CPU is this",
        "process's and its ffmpeg children's user + system seconds. The machine is shared: its 1-minute",
        f"load average (`uptime`, 2 cores) was {min(loads):.1f}-{max(loads):.1f} during these runs.",
        "",
    ]
    for name, runs in results.items():
        lines += table(name, median_runs(runs))
    lines += alone_table(by_itself)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sound.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
