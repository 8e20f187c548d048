"""Shots: a still picture held on screen for a while, and the ffconcat lists that show them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.services.video.ffmpeg import concat_path

END_MARK_MS = 1  # a segment's last frame: the last picture again, for 1 ms, so its end is stored


@dataclass(frozen=True)
class Shot:
    """A still picture held on screen from `start` for `duration` seconds."""

    image: Path
    start: float
    duration: float


def split_shots(shots: Sequence[Shot], points: Sequence[float]) -> list[Shot]:
    """Cut shots at the given times so that a filter (burned captions) can change the picture there."""
    out: list[Shot] = []
    cuts = sorted(points)
    for shot in shots:
        end = shot.start + shot.duration
        inner = [t for t in cuts if shot.start + 0.0005 < t < end - 0.0005]
        edges = [shot.start, *inner, end]
        out.extend(Shot(shot.image, a, b - a) for a, b in itertools.pairwise(edges))
    return out


def held_frames(shots: Sequence[Shot]) -> list[tuple[Path, int]]:
    """Each shot's picture and how many milliseconds it is held, then the last picture again for
    the end mark: the frames of a variable-rate segment, in order.

    The end mark (a 1 ms frame) is taken from the last shot's time, so the segment lasts exactly
    its shots' time: segments joined one after another do not drift (1 ms a scene, before)."""
    frames = []
    elapsed_ms = 0
    last_end_ms = round((shots[-1].start + shots[-1].duration) * 1000)
    for shot in shots:
        end_ms = round((shot.start + shot.duration) * 1000)
        if shot is shots[-1]:
            end_ms = max(elapsed_ms + 1, last_end_ms - END_MARK_MS)
        frames.append((shot.image, end_ms - elapsed_ms))
        elapsed_ms = end_ms
    frames.append((shots[-1].image, max(END_MARK_MS, last_end_ms - elapsed_ms)))
    return frames


def write_concat_list(shots: Sequence[Shot], path: Path) -> None:
    """An ffconcat script with millisecond timestamps (`held_frames`); the last picture is
    repeated to mark the end (the demuxer needs a final entry for the last duration to count)."""
    lines = ["ffconcat version 1.0"]
    for image, held_ms in held_frames(shots):
        lines += [f"file '{concat_path(image)}'", "option framerate 1000", f"duration {held_ms / 1000:.3f}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
