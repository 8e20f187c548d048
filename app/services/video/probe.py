"""Reading a media file's streams and duration with PyAV (the shipped ffmpeg has no ffprobe)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import MediaError


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    video_codec: str | None
    audio_codec: str | None
    subtitle_codecs: tuple[str, ...]
    width: int
    height: int
    streams: tuple[str, ...]
    size_bytes: int
    profile: str | None = None  # H.264 profile, e.g. "High"
    level: str | None = None  # H.264 level from the avcC record, e.g. "4.0"
    colour: tuple[str, str, str] | None = None  # matrix, primaries, transfer ("bt709", ...)
    chapters: tuple[tuple[float, str], ...] = ()  # (start in seconds, title)


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
                size_bytes=path.stat().st_size,
                profile=video.codec_context.profile if video else None,
                level=_level(video.codec_context.extradata) if video else None,
                colour=_colour(video.codec_context) if video else None,
                chapters=tuple(
                    (float(c["start"] * c["time_base"]), str(c["metadata"].get("title", "")))
                    for c in container.chapters()
                ),
            )
    except av.FFmpegError as exc:
        raise MediaError(f"cannot read {path.name}: {exc}") from exc


def _level(extradata: bytes | None) -> str | None:
    """The level of an H.264 avcC record (its fourth byte: 40 is level 4.0)."""
    if not extradata or len(extradata) < 4 or extradata[0] != 1:
        return None
    return f"{extradata[3] // 10}.{extradata[3] % 10}"


_COLOUR_NAMES = {1: "bt709", 2: "unknown", 5: "bt470bg", 6: "smpte170m"}


def _colour(ctx: Any) -> tuple[str, str, str]:
    return tuple(  # type: ignore[return-value]
        _COLOUR_NAMES.get(int(v), str(v)) for v in (ctx.colorspace, ctx.color_primaries, ctx.color_trc)
    )
