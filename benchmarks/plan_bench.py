"""ISSUE 13: the fast path for a Plan with images, tables and the spoken line highlighted, vs moviepy.

A generated Plan of about 60 s at 1080p (title, bullets, numbered list, image beside text, full-bleed
image, tables, prose; every list, table and paragraph with beats, so the highlight moves with the
voice). Its speech, images and stills are made once with our own pieces (`TTSService.speak`,
`ImageService.resolve`, `VisualService.draw_scene` per focus state, `scene_shots` for when each
still is on screen) into a data dir whose cache then holds exactly those: a warm cache with no video
segments and no AAC pieces. Both sides then compose the very same stills with the same timings: ours
is `Renderer.render_plan` in a child process on a fresh copy of that data dir; moviepy is
benchmarks/moviepy_baseline.py (one ImageClip per still and its duration) in its own virtualenv. Both
children's process trees are sampled for RSS every 20 ms. Results: benchmarks/results/plan_fast_path.md.

    make bench-plan      # or: .venv/bin/python benchmarks/plan_bench.py [--repeat 3] [--quick]
    .venv/bin/python benchmarks/plan_bench.py --only cold   # the cold render alone: plan_cold.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fast_path_bench import (
    MOVIEPY_PYTHON,
    ROOT,
    Run,
    join_audio,
    log,
    machine,
    measure,
    shown_command,
    verdict,
    warm_copy,
    write_result,
)

BENCH = ROOT / "benchmarks"
RATIO_GOAL = 20.0
RSS_GOAL_MB = 500.0

FRUIT = [
    "Apples keep well through the winter months.",
    "Bananas ripen quickly in a warm kitchen.",
    "Cherries arrive early and leave early.",
    "Dates are sweet enough to replace sugar.",
]
STEPS = [
    "Write the document in plain Markdown.",
    "Run the render command on it.",
    "Watch the video and read the captions.",
]
TOOLS = [["pip", "slow", "no"], ["uv", "fast", "yes"], ["poetry", "medium", "yes"], ["conda", "slow", "yes"]]
PROSE = [
    "Slides work best when the picture carries the story.",
    "The sentence being read is set large, so the eye follows the voice.",
    "Its neighbours stay small and dim until their turn comes.",
]


def picture(path: Path, hue: int) -> Path:
    """A 1600x1000 test card: a two-colour gradient, bands and a circle (compresses like a photo)."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((1600, 1000)).convert("RGB")
    tint = Image.new("RGB", image.size, ((hue * 7) % 256, (hue * 13) % 256, (hue * 29) % 256))
    image = Image.blend(image, tint, 0.55)
    draw = ImageDraw.Draw(image)
    for k in range(8):
        draw.rectangle((k * 200, 700, k * 200 + 120, 1000), fill=((k * 40) % 256, 120, 200 - k * 20))
    draw.ellipse((500, 150, 1100, 650), fill=(250, 200, 40))
    image.save(path)
    return path


def make_plan(folder: Path) -> dict[str, object]:
    """The Plan as JSON-ready data; its two images are written into `folder`."""
    picture(folder / "chart.png", 3)
    picture(folder / "photo.png", 11)

    def beats(parts: list[str]) -> tuple[str, list[dict[str, int]]]:
        narration = " ".join(parts)
        return narration, [{"at": narration.index(p), "item": i} for i, p in enumerate(parts)]

    def bullets(sid: str, title: str, texts: list[str], marker: str | None) -> dict[str, object]:
        narration, bs = beats(texts)
        items = [
            {"text": t, "marker": f"{i + 1}." if marker == "1." else marker} for i, t in enumerate(texts)
        ]
        return {
            "id": sid,
            "layout": "bullets",
            "title": title,
            "items": items,
            "narration": narration,
            "beats": bs,
        }

    def table(sid: str, title: str, rows: list[list[str]]) -> dict[str, object]:
        spoken = [f"{r[0]}: speed {r[1]}, lock file {r[2]}." for r in rows]
        narration, bs = beats(spoken)
        return {
            "id": sid,
            "layout": "table",
            "title": title,
            "table": {"header": ["Tool", "Speed", "Lock file"], "rows": rows},
            "narration": narration,
            "beats": bs,
        }

    prose_narration, prose_beats = beats(PROSE)
    side = ["The chart shows the quarter.", "Sales rose in **March** and held."]
    side_narration, side_beats = beats(["The chart shows the quarter.", "Sales rose in March and held."])
    scenes = [
        {"id": "s1", "layout": "title", "title": "Slides worth watching", "subtitle": "A benchmark plan",
         "narration": "Slides worth watching: a benchmark plan with images, tables and highlights."},
        bullets("s2", "Fruit through the year", FRUIT, "•"),
        {"id": "s3", "layout": "image_text", "title": "The quarter", "items": [{"text": t} for t in side],
         "image": {"path": "chart.png", "alt": "A chart"}, "narration": side_narration, "beats": side_beats},
        table("s4", "Package tools", TOOLS),
        bullets("s5", "Three steps", STEPS, "1."),
        {"id": "s6", "layout": "full_image", "title": "The view",
         "image": {"path": "photo.png", "alt": "A photo"},
         "narration": "A full picture, with its caption on a band, for a moment of rest."},
        {"id": "s7", "layout": "prose", "title": "Why it matters", "items": [{"text": t} for t in PROSE],
         "narration": prose_narration, "beats": prose_beats},
        table("s8", "Package tools, again", TOOLS[::-1]),
    ]  # fmt: skip
    return {"version": 1, "title": "Benchmark", "language": "en", "scenes": scenes}


async def _prepare(plan_file: Path, inputs: Path, data_dir: Path) -> dict[str, float]:
    """Speech, images and every still into `data_dir`'s cache; the stills, the joined narration WAV
    and manifest.json (one entry per still, held for its duration) into `inputs` for moviepy."""
    from app.config import load_settings
    from app.core.memory_optimizer import DiskCache
    from app.services.beats import scene_foci, scene_shots
    from app.services.images import ImagePolicy, ImageService, plan_images
    from app.services.models import RenderOptions
    from app.services.picture import scene_motion
    from app.services.planning import Plan
    from app.services.tts_service import TTSService
    from app.services.visuals import VisualService, load_theme

    started = time.perf_counter()
    inputs.mkdir(parents=True, exist_ok=True)
    plan = Plan.model_validate_json(plan_file.read_text(encoding="utf-8"))
    options = RenderOptions(resolution=1080)
    fmt = options.video_format
    cache = DiskCache(load_settings(data_dir=data_dir).cache_dir)
    tts, visuals = TTSService(cache=cache), VisualService(cache=cache)
    images = ImageService(http=tts.http, cache=cache)
    policy = ImagePolicy(root=plan_file.parent, frame=fmt.size)
    resolved = await images.resolve(plan_images(plan), policy, inputs)
    plan = resolved.apply(plan)
    voice = f"espeak:{plan.language}"
    theme = load_theme(options.theme)
    speeches, stills = [], []
    for i, scene in enumerate(plan.scenes):
        path = inputs / f"speech-{i:04d}.wav"
        speeches.append(await tts.speak_scene(scene, voice, options, path, plan.language))
        drawn = {}
        for focus in scene_foci(scene):
            out = inputs / f"still-{i:04d}-{focus}.png"
            drawn[focus] = (await visuals.draw_scene(scene, fmt, theme, focus, out)).path
        stills.append(drawn)
    await tts.aclose()
    await _warm_speech(plan_file, inputs, data_dir)
    audio = inputs / "narration.wav"
    offsets = join_audio(speeches, options.pause_scene, audio)
    with wave.open(str(audio), "rb") as joined:
        duration = joined.getnframes() / joined.getframerate()
    moving = scene_motion(plan.scenes, options.motion)  # what ours moves, moviepy moves too
    shots = [
        (s, kind is not None)
        for scene, kind in zip(
            scene_shots(plan.scenes, stills, speeches, offsets, duration), moving, strict=True
        )
        for s in scene
    ]
    manifest = {
        "size": list(fmt.size),
        "audio": audio.name,
        "scenes": [{"image": s.image.name, "duration": s.duration, "motion": m} for s, m in shots],
    }
    (inputs / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return {
        "seconds": time.perf_counter() - started,
        "duration": duration,
        "stills": float(sum(len(s) for s in stills)),
        "shots": float(len(shots)),
        "moving": float(sum(s.duration for s, m in shots if m)),
    }


async def _warm_speech(plan_file: Path, inputs: Path, data_dir: Path) -> None:
    """Finish the speech as a render uses it (resampled to 48 kHz and its loudness measured, both
    cached by content) with one whole render into `data_dir`, then drop what composing makes (scene
    segments `.mp4`, AAC pieces `.aac`): the warm runs must compose, not copy."""
    from app.config import load_settings
    from app.runtime import build_runtime
    from app.services.images import ImagePolicy
    from app.services.models import RenderOptions
    from app.services.planning import Plan

    settings = load_settings(data_dir=data_dir)
    renderer = build_runtime(settings).renderer
    plan = Plan.model_validate_json(plan_file.read_text(encoding="utf-8"))
    options = RenderOptions(resolution=1080)
    policy = ImagePolicy(root=plan_file.parent, frame=options.video_format.size)
    await renderer.render_plan(plan, inputs / "warming.mp4", options, images=policy)
    await renderer.tts.aclose()
    for suffix in (".mp4", ".aac"):
        for entry in settings.cache_dir.glob(f"*/*{suffix}"):
            entry.unlink()
            entry.with_name(entry.name + ".check").unlink(missing_ok=True)


def ours(plan_file: Path, out: Path, data_dir: Path, *flags: str) -> Run:
    """`Renderer.render_plan` at 1080p in a child process, on `data_dir`."""
    argv = [sys.executable, str(BENCH / "ours_render.py"), str(plan_file), str(out), "--plan"]
    return measure([*argv, "--resolution", "1080", *flags], dict(os.environ, T2V_DATA_DIR=str(data_dir)))


def baseline(inputs: Path, out: Path, *flags: str) -> Run:
    """moviepy_baseline.py on the prepared stills and narration, in the moviepy venv."""
    return measure([str(MOVIEPY_PYTHON), str(BENCH / "moviepy_baseline.py"), str(inputs), str(out), *flags])


def bench_args(extra: Callable[[argparse.ArgumentParser], object] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="one run each")
    parser.add_argument("--keep", action="store_true", help="keep the work folder in benchmarks/.work")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1
    return args


def plan_folder(name: str, make: Callable[[Path], dict[str, object]]) -> Path:
    """A fresh work folder benchmarks/.work/NAME with the Plan `make` writes (its pictures beside it
    in doc/); returns doc/plan.json."""
    work = BENCH / ".work" / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "doc").mkdir(parents=True)
    plan_file = work / "doc" / "plan.json"
    plan_file.write_text(json.dumps(make(plan_file.parent), indent=1), encoding="utf-8")
    return plan_file


@dataclass(frozen=True)
class PlanWork:
    """A Plan benchmark's work folder, benchmarks/.work/NAME: the plan (doc/plan.json and its
    pictures), the speech and stills made once with our pieces for both sides (`inputs` for moviepy,
    the warm data dir `template` for us) and `out` for the videos."""

    work: Path
    facts: dict[str, float]  # what _prepare measured

    @classmethod
    def prepare(cls, name: str, make: Callable[[Path], dict[str, object]], target: str) -> PlanWork:
        if not MOVIEPY_PYTHON.exists():
            raise SystemExit(
                f"{MOVIEPY_PYTHON} is missing: run `make {target}` (it creates the moviepy venv)"
            )
        plan_file = plan_folder(name, make)
        work = plan_file.parent.parent
        log("preparing speech, images and stills once (our pieces), for both sides")
        facts = asyncio.run(_prepare(plan_file, work / "inputs", work / "data-warm"))
        (work / "out").mkdir()
        return cls(work, facts)

    @property
    def plan_file(self) -> Path:
        return self.work / "doc" / "plan.json"

    @property
    def inputs(self) -> Path:
        return self.work / "inputs"

    @property
    def out(self) -> Path:
        return self.work / "out"

    def warm(self, name: str) -> Path:
        """A fresh copy of the warm data dir (no run finds what an earlier one encoded)."""
        return warm_copy(self.work / "data-warm", self.work / name)


def report(
    prep: dict[str, float],
    warm: list[Run],
    cold: list[Run],
    base: list[Run],
    command: str,
    load: str,
    still: tuple[list[Run], list[Run]] | None = None,
) -> str:
    med = statistics.median
    ours_s, base_s = med(r.seconds for r in warm), med(r.seconds for r in base)
    still_rows = []
    if still is not None:
        ours_still, base_still = med(r.seconds for r in still[0]), med(r.seconds for r in still[1])
        still_rows = [
            f"| the same without any motion (ours `--motion none`, moviepy no zoom): stills only "
            f"| {ours_still:.2f} s | {base_still:.2f} s | {base_still / ours_still:.1f}x faster "
            f"| (reported) | - |",
            f"| peak RSS of that render, all processes | {max(r.peak_mb for r in still[0]):.0f} MB "
            f"| {max(r.peak_mb for r in still[1]):.0f} MB | - | (reported) | - |",
        ]
    compose = med(r.report["compose"] for r in warm)
    peak, cold_peak = max(r.peak_mb for r in warm), max(r.peak_mb for r in cold)
    base_peak = max(r.peak_mb for r in base)
    redone = sum(int(r.report.get("syntheses", 0)) + int(r.report.get("slides_drawn", 0)) for r in warm)
    return "\n".join(
        [
            "# Fast path with a Plan: images, tables, the spoken line highlighted (ISSUE 13)",
            "",
            f"Machine: {machine()}. Load average at start / end: {load}: other work shared the cores "
            "during the run, so absolute times are noisy; both sides ran alternately, round by round, to "
            "share that noise.",
            "",
            f"Command: `{command}`. Medians over {len(warm)} run(s); peak RSS is the maximum over the runs.",
            "",
            f"Input: a generated Plan of {prep['duration']:.1f} s at 1920x1080 (8 scenes: title, bullets, "
            "numbered list, image beside text, full-bleed image, two tables, prose; every list, table and "
            f"paragraph with beats): {prep['stills']:.0f} distinct stills shown as {prep['shots']:.0f} "
            "shots (one per highlight state). The stills, speech and images were made once with our own "
            f"pieces ({prep['seconds']:.1f} s), so moviepy composes the very same PNGs with the same "
            "durations (one ImageClip per shot, concatenate_videoclips, write_videofile libx264 30 fps + "
            "AAC) and ours starts from a cache holding them, the speech resampled to 48 kHz and its "
            "loudness measured (no video segments, no AAC pieces: ours encodes, levels and muxes; the warm "
            f"runs synthesized and drew {redone} things, 0 meaning only composition was left).",
            "",
            f"Motion, the same on both sides: by default (`--motion photos`) ours pans and zooms the "
            f"full-bleed photo scene ({prep.get('moving', 0.0):.1f} s of the video: every frame encoded, "
            "30 fps, while the still scenes stay one frame per picture), so moviepy zooms that scene too "
            "(its usual recipe: `resized(lambda t: 1 + 0.04 t)` in a CompositeVideoClip, every frame); "
            "the rows marked 'without any motion' compare the stills alone.",
            "",
            "| goal | ours | moviepy | ratio | target | result |",
            "|---|---|---|---|---|---|",
            f"| finished stills + speech -> MP4, 1080p (ours: `Renderer.render_plan`, warm cache) "
            f"| {ours_s:.2f} s | {base_s:.2f} s | {base_s / ours_s:.1f}x faster | >= {RATIO_GOAL:.0f}x "
            f"| {verdict(base_s / ours_s >= RATIO_GOAL)} |",
            f"| the same, ours timed as the composition stage only | {compose:.2f} s | {base_s:.2f} s "
            f"| {base_s / compose:.1f}x faster | (reported) | - |",
            f"| peak RSS of the render above, all processes | {peak:.0f} MB "
            f"| {base_peak:.0f} MB | - | <= {RSS_GOAL_MB:.0f} MB | {verdict(peak <= RSS_GOAL_MB)} |",
            f"| peak RSS of a cold render (speech, images and stills made too), all processes "
            f"| {cold_peak:.0f} MB | - | - | <= {RSS_GOAL_MB:.0f} MB | {verdict(cold_peak <= RSS_GOAL_MB)} |",
            f"| ours with a cold cache (speech, images, stills and video) "
            f"| {med(r.seconds for r in cold):.2f} s | - | - | (reported) | - |",
            *still_rows,
            "",
        ]
    )


def cold_only(repeat: int, keep: bool) -> None:
    """`--only cold`: the cold render alone (no moviepy, no warm cache), `repeat` times, into
    benchmarks/results/plan_cold.md: a memory change measured without the rest of the bench."""
    plan_file = plan_folder("plan-cold", make_plan)
    work = plan_file.parent.parent
    load = f"{os.getloadavg()[0]:.2f}"
    cold = []
    for r in range(repeat):
        log(f"cold render {r + 1}/{repeat}")
        cold.append(ours(plan_file, work / f"cold-{r}.mp4", work / f"data-cold-{r}"))
    load += f" / {os.getloadavg()[0]:.2f}"
    peaks = ", ".join(f"{r.peak_mb:.0f}" for r in cold)
    peak = max(r.peak_mb for r in cold)
    text = "\n".join(
        [
            "# A cold render's memory and time (ISSUE 13's plan, the cold part of plan_bench.py alone)",
            "",
            f"Machine: {machine()}. Load average at start / end: {load}.",
            "",
            f"Command: `{shown_command('plan_bench.py')}`. {len(cold)} run(s), each on an empty data dir "
            "(speech, images, stills and video all made); peak RSS is the largest sum over the render's "
            "process tree (sampled every 20 ms), the maximum over the runs.",
            "",
            "| goal | ours | target | result |",
            "|---|---|---|---|",
            f"| peak RSS of a cold render, all processes | {peak:.0f} MB (runs: {peaks}) "
            f"| <= {RSS_GOAL_MB:.0f} MB | {verdict(peak <= RSS_GOAL_MB)} |",
            f"| its time (median) | {statistics.median(r.seconds for r in cold):.2f} s | (reported) | - |",
            "",
        ]
    )
    write_result("plan_cold.md", text)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    args = bench_args(lambda p: p.add_argument("--only", choices=("cold",), help="measure this part alone"))
    if args.only == "cold":
        cold_only(args.repeat, args.keep)
        return
    bench = PlanWork.prepare("plan", make_plan, "bench-plan")
    log("warm-up (not timed)")
    ours(bench.plan_file, bench.out / "warmup.mp4", bench.warm("data-warmup"))
    load = f"{os.getloadavg()[0]:.2f}"
    warm, cold, base, ours_still, base_still = [], [], [], [], []
    for r in range(args.repeat):
        log(f"round {r + 1}/{args.repeat}: ours warm / moviepy / ours cold / both without motion")
        warm.append(ours(bench.plan_file, bench.out / f"warm-{r}.mp4", bench.warm(f"data-warm-{r}")))
        base.append(baseline(bench.inputs, bench.out / f"moviepy-{r}.mp4"))
        cold.append(ours(bench.plan_file, bench.out / f"cold-{r}.mp4", bench.work / f"data-cold-{r}"))
        ours_still.append(
            ours(
                bench.plan_file,
                bench.out / f"still-{r}.mp4",
                bench.warm(f"data-still-{r}"),
                "--motion",
                "none",
            )
        )
        base_still.append(baseline(bench.inputs, bench.out / f"moviepy-still-{r}.mp4", "--still"))
    load += f" / {os.getloadavg()[0]:.2f}"
    text = report(
        bench.facts, warm, cold, base, shown_command("plan_bench.py"), load, (ours_still, base_still)
    )
    write_result("plan_fast_path.md", text)
    if not args.keep:
        shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
