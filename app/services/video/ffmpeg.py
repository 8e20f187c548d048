"""ffmpeg and media primitives: running ffmpeg (cancellable), shots and ffconcat lists, joining the
narration, probing, and publishing finished files atomically.

The ffmpeg is the static build inside imageio-ffmpeg. How scenes become a video is in `segments.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.core.children import die_with_parent
from app.errors import MediaError
from app.services.models import Speech

_ISO639_2 = {
    "en": "eng",
    "vi": "vie",
    "fr": "fra",
    "de": "deu",
    "es": "spa",
    "ru": "rus",
    "it": "ita",
    "pt": "por",
    "ja": "jpn",
    "zh": "zho",
    "cmn": "zho",
    "ko": "kor",
    "el": "ell",
    "nl": "nld",
    "pl": "pol",
    "tr": "tur",
    "uk": "ukr",
    "id": "ind",
    "th": "tha",
    "ar": "ara",
    "hi": "hin",
}


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


def write_concat_list(shots: Sequence[Shot], path: Path) -> None:
    """An ffconcat script with millisecond timestamps; the last picture is repeated to mark the end."""
    lines = ["ffconcat version 1.0"]
    elapsed_ms = 0
    for shot in shots:
        end_ms = round((shot.start + shot.duration) * 1000)
        lines += [
            f"file '{_quote(shot.image)}'",
            "option framerate 1000",
            f"duration {(end_ms - elapsed_ms) / 1000:.3f}",
        ]
        elapsed_ms = end_ms
    # The demuxer needs a final entry for the last duration to count.
    lines += [f"file '{_quote(shots[-1].image)}'", "option framerate 1000", "duration 0.001"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _quote(path: Path) -> str:
    return str(path.resolve()).replace("'", "'\\''")


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


def _filter_escape(path: Path) -> str:
    """Escape a path for use as a value inside an ffmpeg filter graph."""
    text = str(path.resolve())
    for ch in ("\\", ":", "'", ",", "[", "]", ";", "="):
        text = text.replace(ch, "\\" + ch)
    return text


def iso639_2(language: str) -> str:
    """The three-letter code MP4 subtitle tracks carry, from an espeak language like 'en-us'."""
    return _ISO639_2.get(language.split("-")[0].lower(), "und")


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    video_codec: str | None
    audio_codec: str | None
    subtitle_codecs: tuple[str, ...]
    width: int
    height: int
    streams: tuple[str, ...]


def probe(path: Path) -> MediaInfo:
    """Read a media file's streams and duration with PyAV (the shipped ffmpeg has no ffprobe)."""
    import av

    try:
        with av.open(str(path)) as container:
            kinds = tuple(s.type for s in container.streams)
            video = container.streams.video[0] if container.streams.video else None
            audio = container.streams.audio[0] if container.streams.audio else None
            subs = tuple(s.codec_context.name for s in container.streams.subtitles)
            duration = container.duration / 1_000_000 if container.duration else 0.0
            return MediaInfo(
                duration=duration,
                video_codec=video.codec_context.name if video else None,
                audio_codec=audio.codec_context.name if audio else None,
                subtitle_codecs=subs,
                width=video.codec_context.width if video else 0,
                height=video.codec_context.height if video else 0,
                streams=kinds,
            )
    except av.FFmpegError as exc:
        raise MediaError(f"cannot read {path.name}: {exc}") from exc


def publish(src: Path, dest: Path) -> None:
    """Move a finished file into place atomically: readers see the old file or the whole new one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
        return
    except OSError:
        pass  # another filesystem: copy next to the destination, then rename there
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            while chunk := fin.read(1 << 20):
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
