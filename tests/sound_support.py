"""Measuring real files the way a broadcast engineer would: ffmpeg's ebur128 (integrated loudness,
true peak) and decoded samples."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from app.services.video import ffmpeg_exe


@dataclass(frozen=True)
class R128:
    integrated: float  # LUFS
    true_peak: float  # dBTP


def ebur128(path: Path, *, stream: str = "0:a") -> R128:
    """What ffmpeg's ebur128 filter reports for a file's audio."""
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", stream,
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = out[out.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return R128(integrated, peak)


def decoded(path: Path) -> tuple[np.ndarray, int]:
    """A file's first audio stream as float samples, shape (channels, n), and its rate."""
    parts = []
    with av.open(str(path)) as c:
        rate = c.streams.audio[0].rate
        for frame in c.decode(audio=0):
            parts.append(frame.to_ndarray().astype(np.float32))
    return np.concatenate(parts, axis=1), rate


def audio_stream(path: Path) -> tuple[str, int, int]:
    """(codec, sample rate, channels) of a file's first audio stream."""
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        return s.codec_context.name, s.rate, s.channels
