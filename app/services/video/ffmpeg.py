"""Running ffmpeg: the static build inside imageio-ffmpeg (the same binary on every machine),
cancellable (killed at once when the awaiting task is cancelled) and dying with this process.

Also the two ways a path goes into ffmpeg's own syntax: an ffconcat `file` line and a filter value.
"""

from __future__ import annotations

import asyncio
import contextlib
import wave
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from app.core.children import die_with_parent
from app.errors import MediaError
from app.services.models import Speech

TIMESCALE = 90_000  # MP4 track timescale: whole ticks for milliseconds and for 1/24, 1/25, 1/30, 1/60 s


@cache
def ffmpeg_exe() -> str:
    """The static ffmpeg build inside imageio-ffmpeg: the same binary on every machine."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


async def run_ffmpeg(args: Sequence[str], *, what: str) -> None:
    """Run ffmpeg; if the awaiting task is cancelled, kill it at once and wait for it to exit. If
    this process is killed outright, ffmpeg is killed too (`app.core.children`)."""
    proc = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        **die_with_parent(),  # a SIGKILLed t2v leaves no ffmpeg behind
    )
    try:
        _, stderr = await proc.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await asyncio.shield(proc.wait())
        raise
    if proc.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {proc.returncode}"
        raise MediaError(f"ffmpeg failed while {what}: {detail}")


def concat_path(path: Path) -> str:
    """A path quoted for an ffconcat `file '...'` line."""
    return str(path.resolve()).replace("'", "'\\''")


def filter_escape(path: Path) -> str:
    """Escape a path for use as a value inside an ffmpeg filter graph."""
    text = str(path.resolve())
    for ch in ("\\", ":", "'", ",", "[", "]", ";", "="):
        text = text.replace(ch, "\\" + ch)
    return text


def join_audio(speeches: Sequence[Speech], pause: float, out_wav: Path) -> list[float]:
    """Concatenate the scenes' WAVs with `pause` seconds of silence between them, in bounded memory.

    Returns each scene's start time in the joined track; the times are exact sample counts, so the
    captions and the pictures line up with what is heard.
    """
    if not speeches:
        raise MediaError("nothing to narrate")
    rate = speeches[0].sample_rate
    silence = b"\x00\x00" * round(pause * rate)
    offsets: list[float] = []
    written = 0
    with wave.open(str(out_wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        for i, speech in enumerate(speeches):
            if i:
                out.writeframes(silence)
                written += len(silence) // 2
            offsets.append(written / rate)
            with wave.open(str(speech.audio_path), "rb") as src:
                if src.getframerate() != rate or src.getnchannels() != 1 or src.getsampwidth() != 2:
                    raise MediaError(f"scene {i + 1}: audio format differs from the first scene's")
                while chunk := src.readframes(65_536):
                    out.writeframes(chunk)
                    written += len(chunk) // 2
    return offsets


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()
