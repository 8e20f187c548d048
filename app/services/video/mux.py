"""The final MP4: scene segments joined by stream copy, the narration, soft subtitles and chapters."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.core.threads import run_in_thread
from app.services.video.ffmpeg import TIMESCALE, concat_path, run_ffmpeg
from app.services.video.tracks import disable_subtitle_tracks

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


def iso639_2(language: str) -> str:
    """The three-letter code MP4 subtitle tracks carry, from an espeak language like 'en-us'."""
    return _ISO639_2.get(language.split("-")[0].lower(), "und")


def write_join_list(parts: Sequence[Path], workdir: Path, name: str) -> Path:
    listing = workdir / f"{name}.join.ffconcat"
    lines = ["ffconcat version 1.0"] + [f"file '{concat_path(p)}'" for p in parts]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


async def join_by_copy(parts: Sequence[Path], out: Path, workdir: Path) -> None:
    """Concatenate H.264 segments made with the same settings, without re-encoding."""
    listing = write_join_list(parts, workdir, out.stem)
    await run_ffmpeg(
        ["-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0:v", "-c", "copy",
         "-video_track_timescale", str(TIMESCALE), str(out)],
        what="joining video segments",
    )  # fmt: skip


async def mux(
    segments: Sequence[Path],
    audio: Path,
    out: Path,
    workdir: Path,
    subtitles: Path | None = None,
    subtitle_language: str = "und",
    *,
    chapters: Path | None = None,
    captions_burned: bool = False,
) -> None:
    """Join the scene segments, the narration, the soft subtitles and the chapters (an ffmetadata
    file) into one faststart MP4, in one pass and without re-encoding anything but the subtitles'
    container format. With no segments the file has the narration alone (an M4A). Over burned
    captions the soft track is kept (for search and accessibility) but not enabled by default."""
    args: list[str] = []
    maps: list[str] = []
    if segments:
        listing = write_join_list(segments, workdir, "picture")
        args += ["-f", "concat", "-safe", "0", "-i", str(listing)]
        maps += ["-map", "0:v", "-c:v", "copy", "-video_track_timescale", str(TIMESCALE)]
    inputs = 1 if segments else 0
    args += ["-i", str(audio)]
    maps += ["-map", f"{inputs}:a", "-c:a", "copy"]
    inputs += 1
    if subtitles is not None:
        args += ["-i", str(subtitles)]
        maps += [
            "-map",
            f"{inputs}:s",
            "-c:s",
            "mov_text",
            "-metadata:s:s:0",
            f"language={subtitle_language}",
        ]
        if captions_burned:
            maps += ["-disposition:s:0", "0"]
        inputs += 1
    if chapters is not None:
        args += ["-i", str(chapters)]
        maps += ["-map_chapters", str(inputs)]
    await run_ffmpeg([*args, *maps, "-movflags", "+faststart", "-f", "mp4", str(out)], what="writing the MP4")
    if subtitles is not None and captions_burned:
        await run_in_thread(
            disable_subtitle_tracks, out
        )  # ffmpeg enables the first subtitle track whatever it is told
