"""ISSUE 18: photos with a Ken Burns pan/zoom and crossfades, ~60 s at 1080p: ours vs moviepy.

A generated Plan of ten full-frame photo scenes (no words on them: each gets the full sub-pixel pan
and zoom) with a crossfade at each boundary. As in plan_bench.py, speech and stills are made once
with our own pieces, so both sides compose the very same pictures with the same timings: ours is
`Renderer.render_plan` (`--transition crossfade`, motion on photos: the default) in a child process
on a fresh copy of a warm data dir (no video segments cached); moviepy is moviepy_baseline.py
`--motion --crossfade 0.5` (a per-frame resize zoom, CrossFadeIn with overlapping clips). Peak RSS
of each child's process tree is sampled every 20 ms. Results: benchmarks/results/motion.md.

    make bench-motion    # or: .venv/bin/python benchmarks/motion_bench.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
from pathlib import Path

from fast_path_bench import Run, log, machine, shown_command, verdict, write_result
from plan_bench import PlanWork, baseline, bench_args, ours, picture

RATIO_GOAL = 10.0
RSS_GOAL_MB = 500.0
CROSSFADE = 0.5
SENTENCES = [
    "The harbour wakes before the sun, and the boats go out one by one into the grey water.",
    "By noon the market is loud with voices, and the fish are sold before they cool.",
    "In the hills above the town, the old terraces still hold olive trees and stone walls.",
    "A narrow road winds down to the beach, where children run after the waves all day.",
    "The church bell rings at six, and the square fills with people walking slowly.",
    "Fishermen mend their nets on the quay, talking about the weather and the catch.",
    "The lighthouse keeper climbs the stairs at dusk, as his father did before him.",
    "Lemon trees line the garden walls, and their scent drifts through open windows.",
    "At night the harbour lights shine on the water, and the town grows quiet again.",
    "In the morning it all begins once more, as it has for a very long time.",
]


def make_plan(folder: Path) -> dict[str, object]:
    scenes = []
    for i, text in enumerate(SENTENCES):
        picture(folder / f"photo-{i}.png", 5 + 7 * i)
        scenes.append(
            {"id": f"s{i + 1}", "layout": "full_image", "image": {"path": f"photo-{i}.png", "alt": ""},
             "narration": text}
        )  # fmt: skip
    return {"version": 1, "title": "Photos", "language": "en", "scenes": scenes}


CLIP_SECONDS = 6  # the stock clip: shorter than the scene, so it loops


def make_scene_plan(folder: Path) -> dict[str, object]:
    """One statement scene of ~12 s: drawn as a slide, or given a photo or a clip by `local:DIR`."""
    text = " ".join(SENTENCES[:2])
    scene = {"id": "s1", "layout": "statement", "title": "The harbour", "narration": text}
    return {"version": 1, "title": "One scene", "language": "en", "scenes": [scene]}


def clip_folders(work: Path) -> tuple[Path, Path]:
    """local:DIR folders: a 1600x1000 photo, and a 1920x1080 H.264 clip with sound (a moving test
    card, CLIP_SECONDS long), as a stock download would be."""
    from app.services.video import ffmpeg_exe

    photos, clips = work / "photos", work / "clips"
    photos.mkdir(exist_ok=True)
    clips.mkdir(exist_ok=True)
    picture(photos / "harbour.png", 12)
    source = f"testsrc2=s=1920x1080:r=30:d={CLIP_SECONDS}"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", source, "-f", "lavfi", "-i",
         f"sine=f=330:d={CLIP_SECONDS}", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(clips / "harbour.mp4")],
        check=True,
    )  # fmt: skip
    return photos, clips


def clip_cost(repeat: int) -> tuple[str, list[str]]:
    """The cost of one stock-video scene: the same ~12 s scene as a slide, as a photo (Ken Burns) and
    over a 1080p clip (looped, words and scrim laid over it), each rendered alone at 1080p."""
    bench = PlanWork.prepare("motion-clip", make_scene_plan, "bench-motion")
    photos, clips = clip_folders(bench.work)
    kinds = {"slide": (), "photo": ("--visuals", f"local:{photos}"), "clip": ("--visuals", f"local:{clips}")}
    runs: dict[str, list[Run]] = {k: [] for k in kinds}
    for r in range(repeat):
        for kind, flags in kinds.items():
            log(f"one scene, round {r + 1}/{repeat}: {kind}")
            runs[kind].append(
                ours(bench.plan_file, bench.out / f"{kind}-{r}.mp4", bench.warm(f"d-{kind}-{r}"), *flags)
            )
    med = statistics.median
    rows = [
        f"| {kind} | {med(x.seconds for x in rs):.2f} s | {max(x.peak_mb for x in rs):.0f} MB |"
        for kind, rs in runs.items()
    ]
    extra = med(x.seconds for x in runs["clip"]) - med(x.seconds for x in runs["slide"])
    head = (
        f"One stock-video scene ({bench.facts['duration']:.1f} s at 1920x1080, a {CLIP_SECONDS} s "
        "1080p H.264 clip with sound from `local:DIR`, looped; its poster checked and drawn as the "
        "still, the words and scrim drawn twice more as an overlay, one ffmpeg pass decoding, scaling "
        f"and encoding every frame): **{extra:.1f} s more than the same scene as a still slide**. Each "
        "row one render of that one scene alone (warm speech and stills), medians; peak RSS of all "
        "processes."
    )
    return head, ["| the scene as | time | peak RSS |", "|---|---|---|", *rows]


def report(prep: dict[str, float], warm: list[Run], base: list[Run], command: str, load: str) -> str:
    med = statistics.median
    ours_s, base_s = med(r.seconds for r in warm), med(r.seconds for r in base)
    peak, base_peak = max(r.peak_mb for r in warm), max(r.peak_mb for r in base)
    return "\n".join(
        [
            "# Photos with Ken Burns motion and crossfades, 1080p (ISSUE 18)",
            "",
            f"Machine: {machine()}. Load average at start / end: {load} (other work shared the cores; "
            "both sides ran alternately, round by round, to share that noise).",
            "",
            f"Command: `{command}`. Medians over {len(warm)} run(s); peak RSS is the maximum over the runs.",
            "",
            f"Input: a generated Plan of {prep['duration']:.1f} s at 1920x1080: {prep['shots']:.0f} "
            "full-frame photo scenes, each panning and zooming for its whole time (every frame encoded), "
            f"a {CROSSFADE} s crossfade at each boundary. Speech and stills made once with our pieces, "
            "so both sides compose the same PNGs with the same timings. Ours: `Renderer.render_plan` with "
            "`transition=crossfade` and the default `motion=photos` (sub-pixel window drawn with Pillow, "
            "ultrafast x264, crossfade windows encoded alone and joined by copy), warm speech cache, no "
            "video segments cached. moviepy: ImageClip + per-frame `resized` zoom + CrossFadeIn with "
            "overlapping clips, write_videofile libx264 30 fps + AAC.",
            "",
            "| goal | ours | moviepy | ratio | target | result |",
            "|---|---|---|---|---|---|",
            f"| stills + speech -> MP4 with motion and crossfades, 1080p | {ours_s:.2f} s | {base_s:.2f} s "
            f"| {base_s / ours_s:.1f}x faster | >= {RATIO_GOAL:.0f}x "
            f"| {verdict(base_s / ours_s >= RATIO_GOAL)} |",
            f"| peak RSS of the render, all processes | {peak:.0f} MB | {base_peak:.0f} MB | - "
            f"| <= {RSS_GOAL_MB:.0f} MB | {verdict(peak <= RSS_GOAL_MB)} |",
            "",
        ]
    )


def main() -> None:
    args = bench_args()
    bench = PlanWork.prepare("motion", make_plan, "bench-motion")
    load = f"{os.getloadavg()[0]:.2f}"
    warm, base = [], []
    for r in range(args.repeat):
        log(f"round {r + 1}/{args.repeat}: ours / moviepy")
        ours_flags = ("--transition", "crossfade")
        warm.append(ours(bench.plan_file, bench.out / f"ours-{r}.mp4", bench.warm(f"data-{r}"), *ours_flags))
        base_flags = ("--motion", "--crossfade", str(CROSSFADE))
        base.append(baseline(bench.inputs, bench.out / f"moviepy-{r}.mp4", *base_flags))
    head, table = clip_cost(args.repeat)
    load += f" / {os.getloadavg()[0]:.2f}"
    text = report(bench.facts, warm, base, shown_command("motion_bench.py"), load)
    write_result("motion.md", "\n".join([text, head, "", *table, ""]))
    if not args.keep:
        shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
