"""Transitions between scenes (ffmpeg xfade), encoded only in a short window at each boundary.

Why windows: the scenes' segments stay what they are (a still scene is a handful of frames, copied
into the output); only the window around each boundary, where both scenes show at once, is made
frame by frame. The timeline does not move: a window takes its time from the end of one scene and
the start of the next, so the narration, the captions and the chapters keep their times.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.services.video.encoding import TO_YUV
from app.services.video.ffmpeg import TIMESCALE, run_ffmpeg
from app.services.video.segments import Burn, FrameSpec, encode_segment, frame_count
from app.services.video.shots import Shot

XFADE = {"fade": "fadeblack", "crossfade": "fade", "slide": "slideleft", "wipe": "wipeleft"}
TRANSITIONS = ("none", *XFADE)
WINDOW_SECONDS = 0.5  # at most; never more than a third of either scene


@dataclass(frozen=True)
class Side:
    """One scene's picture in a window, and its pan and zoom filter for the window's frames."""

    image: Path
    motion: str | None = None


def boundary_windows(extents: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """(start, end) of the window at each boundary of scenes spanning `extents`."""
    out = []
    for (a0, a1), (b0, b1) in itertools.pairwise(extents):
        half = min(WINDOW_SECONDS / 2, (a1 - a0) / 3, (b1 - b0) / 3)
        out.append((b0 - half, b0 + half))
    return out


def trim_shots(shots: Sequence[Shot], start: float, end: float) -> list[Shot]:
    """The part of `shots` between `start` and `end`."""
    out = []
    for s in shots:
        a, b = max(s.start, start), min(s.start + s.duration, end)
        if b - a > 0.0005:
            out.append(Shot(s.image, a, b - a))
    return out


async def encode_transition(
    kind: str,
    a: Side,
    b: Side,
    window: tuple[float, float],
    spec: FrameSpec,
    out: Path,
    workdir: Path,
    burn: Burn | None = None,
) -> None:
    """The window's frames: scene A turning into scene B by `kind` (a key of XFADE)."""
    start, end = window
    fps = spec.rate
    frames = frame_count(start, end, fps)
    seconds = f"{frames / fps:.6f}"
    inputs = []
    for side in (a, b):  # each picture decoded once and looped in memory (`-loop 1` would decode
        # it for every frame, and queue a whole decoded picture per frame ahead: ~100 MB at 1080p)
        inputs += ["-framerate", str(fps), "-i", str(side.image)]
    pre = TO_YUV if spec.fps else "format=gbrp"  # RGB pictures stay RGB until the still path
    looped = f"loop=loop={frames - 1}:size=1:start=0,setpts=N/{fps}/TB"
    chains = [
        f"[{k}:v]{pre},{looped}" + (f",{side.motion}" if side.motion else "") + f"[s{k}]"
        for k, side in enumerate((a, b))
    ]
    chains.append(f"[s0][s1]xfade=transition={XFADE[kind]}:duration={seconds}:offset=0[x]")
    if spec.fps:  # constant rate: encode here, with the every-frame settings (same headers)
        tail = f"[x]{burn.filter(start)}[v]" if burn else "[x]null[v]"
        await run_ffmpeg(
            [
                *inputs, "-filter_complex", ";".join([*chains, tail]), "-map", "[v]",
                "-frames:v", str(frames), "-r", str(fps), *spec.encoding.frames(fps),
                "-video_track_timescale", str(TIMESCALE), str(out),
            ],
            what="encoding a transition",
        )  # fmt: skip
        return
    # variable rate: the frames as pictures, then the still path (so the headers are the segments')
    pattern = workdir / f"{out.stem}-%03d.png"
    await run_ffmpeg(
        [
            *inputs, "-filter_complex", ";".join(chains), "-map", "[x]", "-frames:v", str(frames),
            "-pix_fmt", "rgb24", "-compression_level", "1", str(pattern),
        ],
        what="drawing a transition",
    )  # fmt: skip
    times = [start + k / fps for k in range(frames)] + [max(end, start + (frames - 0.5) / fps)]
    shots = [
        Shot(workdir / f"{out.stem}-{k + 1:03d}.png", t0, t1 - t0)
        for k, (t0, t1) in enumerate(itertools.pairwise(times))
    ]
    await encode_segment(shots, replace(spec, motion=False), out, workdir, burn)
