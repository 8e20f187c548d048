"""The ffmpeg command the in-process mux (`video.mux`) replaced: the reference its file is compared
with (tests/test_mux.py) and timed against (benchmarks/mux_bench.py), written once for both."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from app.services.video import ffmpeg_exe
from app.services.video.ffmpeg import TIMESCALE, concat_path

Marks = Sequence[tuple[int, int, str]]  # chapters: (start, end) in milliseconds, title


def ffmpeg_mux(
    segments: Sequence[Path], audio: Path, out: Path, srt: Path | None, marks: Marks, *, burned: bool = False
) -> None:
    """The segments joined by an ffconcat list (stream copy, the mux's time scale), the narration
    copied, the captions as mov_text (`burned`: not shown by default), chapters from an ffmetadata
    file, faststart. No segments: audio only."""
    meta = out.with_suffix(".ffmeta")
    lines = [";FFMETADATA1"]
    for start, end, title in marks:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", f"title={_escaped(title)}"]
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args: list[str] = []
    maps: list[str] = []
    if segments:
        listing = out.with_suffix(".ffconcat")
        files = "".join(f"file '{concat_path(p)}'\n" for p in segments)
        listing.write_text("ffconcat version 1.0\n" + files, encoding="utf-8")
        args += ["-f", "concat", "-safe", "0", "-i", str(listing)]
        maps += ["-map", "0:v", "-c:v", "copy", "-video_track_timescale", str(TIMESCALE)]
    inputs = 1 if segments else 0
    args += ["-i", str(audio)]
    maps += ["-map", f"{inputs}:a", "-c:a", "copy"]
    inputs += 1
    if srt is not None:
        args += ["-i", str(srt)]
        maps += ["-map", f"{inputs}:s", "-c:s", "mov_text", "-metadata:s:s:0", "language=eng"]
        maps += ["-disposition:s:0", "0"] if burned else []
        inputs += 1
    args += ["-i", str(meta)]
    maps += ["-map_chapters", str(inputs)]
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args, *maps,
         "-movflags", "+faststart", "-f", "mp4", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip


def _escaped(title: str) -> str:
    """A title as an ffmetadata value: its special characters escaped."""
    for ch in ("\\", "=", ";", "#"):
        title = title.replace(ch, "\\" + ch)
    return title
