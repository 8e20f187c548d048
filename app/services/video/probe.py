"""Reading a media file's streams and duration with PyAV (the shipped ffmpeg has no ffprobe)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
            )
    except av.FFmpegError as exc:
        raise MediaError(f"cannot read {path.name}: {exc}") from exc
