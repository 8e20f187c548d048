"""The peers' way of making a slide video, as the yardstick for our fast path: moviepy composition.

Runs in its own virtualenv (benchmarks/.venv-moviepy; moviepy pins an old Pillow, so never in the main
one). Input: a directory with slide PNGs, the joined narration WAV and manifest.json
({"size": [w, h], "audio": "narration.wav", "scenes": [{"image": "slide-0000.png", "duration": s}]};
a scene with "motion": true zooms, as with --motion, so that moviepy does the Ken Burns work ours does;
--still ignores those flags).
Output: an MP4 written the usual way (ImageClip + concatenate_videoclips + write_videofile, libx264,
30 fps, AAC). With --motion each scene zooms in by resizing every frame (the common Ken Burns recipe).
Prints one JSON line: {"compose_seconds": ..., "video_seconds": ...}; the time covers loading the
inputs to the finished file, not the interpreter's start-up.

    benchmarks/.venv-moviepy/bin/python benchmarks/moviepy_baseline.py INPUTS OUT.mp4 [--motion] \\
        [--crossfade S]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

ZOOM_PER_SECOND = 0.04


def scene_clip(image: Path, duration: float, size: tuple[int, int], motion: bool) -> Any:
    """One slide; with motion, a per-frame resize centred in a fixed frame (what peers do)."""
    from moviepy import CompositeVideoClip, ImageClip

    clip = ImageClip(str(image)).with_duration(duration)
    if not motion:
        return clip
    zoomed = clip.resized(lambda t: 1 + ZOOM_PER_SECOND * t).with_position("center")
    return CompositeVideoClip([zoomed], size=size).with_duration(duration)


def compose(inputs: Path, out: Path, motion: bool, crossfade: float = 0.0, still: bool = False) -> float:
    """Build the clip list from the manifest and write the MP4; returns the video's duration. With
    `crossfade`, each clip after the first fades in over the one before (the usual recipe: a negative
    padding and CrossFadeIn), every clip but the last lengthened by it so the timeline stays."""
    from moviepy import AudioFileClip, concatenate_videoclips, vfx

    manifest = json.loads((inputs / "manifest.json").read_text(encoding="utf-8"))
    size = (int(manifest["size"][0]), int(manifest["size"][1]))
    scenes = manifest["scenes"]
    clips = [
        scene_clip(
            inputs / s["image"],
            float(s["duration"]) + (crossfade if k < len(scenes) - 1 else 0),
            size,
            motion or (not still and bool(s.get("motion", False))),
        )
        for k, s in enumerate(scenes)
    ]
    if crossfade:
        clips = [clips[0]] + [c.with_effects([vfx.CrossFadeIn(crossfade)]) for c in clips[1:]]
        video = concatenate_videoclips(clips, method="compose", padding=-crossfade)
    else:
        video = concatenate_videoclips(clips, method="chain")
    narration = AudioFileClip(str(inputs / manifest["audio"]))
    video = video.with_audio(narration).with_duration(min(video.duration, narration.duration))
    video.write_videofile(
        str(out), fps=30, codec="libx264", audio_codec="aac", audio_bitrate="128k", logger=None
    )
    narration.close()
    return float(video.duration)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--motion", action="store_true", help="every scene zooms")
    parser.add_argument("--still", action="store_true", help="no scene zooms, whatever the manifest says")
    parser.add_argument("--crossfade", type=float, default=0.0, help="seconds of crossfade between clips")
    args = parser.parse_args()
    import moviepy  # noqa: F401  (imported before the clock starts: start-up is not composition)

    start = time.perf_counter()
    seconds = compose(args.inputs, args.out, args.motion, args.crossfade, args.still)
    print(json.dumps({"compose_seconds": time.perf_counter() - start, "video_seconds": seconds}))


if __name__ == "__main__":
    main()
