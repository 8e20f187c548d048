"""The final MP4, written in this process (PyAV): the scene segments' H.264 samples copied one after
another, the narration's AAC frames, the soft subtitles (mov_text) and the chapters, faststart.

Why in-process: the ffmpeg command that did this cost a start-up and, through its concat demuxer, a
probe of every segment that decodes a frame (~10 ms each); an edited re-render of twenty scenes
spent more time there than on the scene it re-encoded. The segments' samples are read from their
own sample tables (`mp4.read_video_track`), so only the first segment is opened with libavformat,
for the stream's parameters, and without decoding a frame (the probe's decode was ~10 ms). The
file is what `ffmpeg -f concat -c copy` wrote: the same libavformat MP4 muxer gets the same
packets, interleaved by time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.video.chapters import Chapter, chapter_marks
from app.services.video.ffmpeg import TIMESCALE
from app.services.video.mp4 import ADTS_HEADER, adts_frame_size, read_video_track
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
VIDEO_TB = Fraction(1, TIMESCALE)
SUBTITLE_TB = Fraction(1, 1_000_000)  # what ffmpeg gives a subtitle encoder (microseconds)
MS = Fraction(1, 1000)
CHECK_EVERY = 256  # packets between cancellation checks
ADTS_CHUNK = 1 << 20  # bytes of the narration read at a time


def iso639_2(language: str) -> str:
    """The three-letter code MP4 subtitle tracks carry, from an espeak language like 'en-us'."""
    return _ISO639_2.get(language.split("-")[0].lower(), "und")


async def join_by_copy(parts: Sequence[Path], out: Path) -> None:
    """Concatenate H.264 segments made with the same settings, without re-encoding."""
    await run_in_thread(write_mp4, parts, out)


async def mux(
    segments: Sequence[Path],
    audio: Path,
    out: Path,
    subtitles: Path | None = None,
    subtitle_language: str = "und",
    chapters: Sequence[Chapter] = (),
    duration: float = 0.0,
    *,
    captions_burned: bool = False,
) -> float:
    """Join the scene segments, the narration, the soft subtitles and the chapters (ending at
    `duration` seconds) into one faststart MP4, re-encoding nothing but the subtitles' format. With
    no segments the file has the narration alone (an M4A). Over burned captions the soft track is
    kept (for search and accessibility) but not enabled by default. Returns the file's length in
    seconds (its longest track's)."""
    length = await run_in_thread(
        write_mp4,
        segments,
        out,
        audio=audio,
        subtitles=subtitles,
        subtitle_language=subtitle_language,
        chapters=chapter_marks(chapters, duration),
        subtitles_default=not captions_burned,
    )
    if subtitles is not None and captions_burned:
        # the MP4 muxer enables the first track of every kind whatever the disposition says
        await run_in_thread(disable_subtitle_tracks, out)
    return length


def write_mp4(
    segments: Sequence[Path],
    out: Path,
    *,
    audio: Path | None = None,
    subtitles: Path | None = None,
    subtitle_language: str = "und",
    chapters: Sequence[tuple[int, int, str]] = (),
    subtitles_default: bool = True,
) -> float:
    """Write `out` (blocking, cancellable between packets): the segments' video one after another,
    then `audio` (ADTS AAC), `subtitles` (SRT, as mov_text) and `chapters` ((start ms, end ms,
    title)), faststart when it is more than a join of segments. Returns the longest track's end in
    seconds (what a player reads as the file's duration, without opening it again)."""
    import av

    final = audio is not None or subtitles is not None or bool(chapters)
    options = {"movflags": "+faststart"} if final else {}
    opened: list[Any] = []
    try:
        with av.open(str(out), "w", format="mp4", options=options) as container:
            streams: list[Iterator[tuple[float, int, Any]]] = []
            if segments:
                # the stream's settings are in its sample entry (avcC, colr, btrt): no frame is
                # decoded (PyAV's stub types stream_options as strings; it takes a dict per stream)
                skip = [{"skip_frame": "all"}]
                with av.open(str(segments[0]), stream_options=skip) as first:  # type: ignore[arg-type]
                    template = first.streams.video[0]
                    video = container.add_stream_from_template(template)
                    if "encoder" in template.metadata:  # x264's name, in the sample entry as before
                        video.metadata["encoder"] = template.metadata["encoder"]
                video.time_base = VIDEO_TB
                streams.append(_video_packets(segments, video))
            if audio is not None:
                source = av.open(str(audio), format="aac")
                opened.append(source)
                sound = container.add_stream_from_template(source.streams.audio[0])
                streams.append(_adts_packets(audio, source.streams.audio[0], sound))
            if subtitles is not None:
                track = _subtitle_track(container, subtitles, subtitle_language, subtitles_default, opened)
                streams.append(track)
            if chapters:
                container.set_chapters(
                    [
                        {"id": n + 1, "start": a, "end": b, "time_base": MS, "metadata": {"title": title}}
                        for n, (a, b, title) in enumerate(chapters)
                    ]
                )
            last: dict[int, Any] = {}  # each stream's last packet
            for n, (_, kind, packet) in enumerate(heapq.merge(*streams, key=_when)):
                if n % CHECK_EVERY == 0:
                    check_cancelled()
                container.mux(packet)
                last[kind] = packet
    except (av.FFmpegError, OSError) as exc:  # a damaged input, a missing segment, a full disk
        raise MediaError(f"cannot write {out.name}: {exc}") from exc
    finally:
        for source in opened:
            source.close()
    return max((float((p.pts + p.duration) * p.time_base) for p in last.values()), default=0.0)


def _video_packets(segments: Sequence[Path], stream: Any) -> Iterator[tuple[float, int, Any]]:
    """Every sample of every segment, each segment starting where the one before ended (read a
    sample at a time: memory stays bounded whatever a segment's length)."""
    import av

    base = 0
    for path in segments:
        track = read_video_track(path)
        if track.timescale != TIMESCALE:
            raise MediaError(f"{path.name}: video timescale {track.timescale}, expected {TIMESCALE}")
        with path.open("rb") as f:
            for s in track.samples:
                f.seek(s.offset)
                sample = f.read(s.size)
                if len(sample) != s.size:
                    raise MediaError(f"{path.name}: truncated")
                packet = av.Packet(track.with_parameter_sets(sample) if s.key else sample)
                packet.stream = stream
                packet.time_base = VIDEO_TB
                packet.dts = base + s.dts
                packet.pts = base + s.dts + s.cts
                packet.duration = s.duration
                packet.is_keyframe = s.key
                yield (base + s.dts) / TIMESCALE, 0, packet
        base += track.duration


def _adts_packets(path: Path, track: Any, stream: Any) -> Iterator[tuple[float, int, Any]]:
    """The narration's AAC frames, split at their ADTS headers and timed as libavformat's aac
    demuxer times them (a frame's samples, in its time base), read a chunk at a time. The demuxer
    made each of the ~47 frames a second a packet at twice the cost: ~20 ms of a 3-minute mux."""
    import av

    base = track.time_base
    exact = Fraction(track.codec_context.frame_size, track.codec_context.sample_rate) / base
    if exact.denominator != 1 or exact <= 0:
        raise MediaError(f"{path.name}: AAC frames of {track.codec_context.frame_size} samples")
    ticks, seconds, dts = int(exact), float(base), 0
    with path.open("rb") as f:
        data, pos = b"", 0
        while chunk := f.read(ADTS_CHUNK):
            data, pos = data[pos:] + chunk, 0
            while pos + ADTS_HEADER <= len(data):
                size = adts_frame_size(data, pos, path.name)
                if pos + size > len(data):
                    break  # the rest of the frame is in the next chunk
                duration = ticks * ((data[pos + 6] & 0x03) + 1)  # raw data blocks in the frame
                packet = av.Packet(data[pos : pos + size])
                packet.stream = stream
                packet.time_base = base
                packet.pts = packet.dts = dts
                packet.duration = duration
                packet.is_keyframe = True
                yield dts * seconds, 1, packet
                dts += duration
                pos += size
        if pos < len(data):
            raise MediaError(f"{path.name}: truncated AAC stream")


def _when(entry: tuple[float, int, Any]) -> tuple[float, int]:
    """Packets go to the muxer by time, video before audio before subtitles at the same time."""
    return entry[0], entry[1]


def _subtitle_track(
    container: Any, srt: Path, language: str, default: bool, opened: list[Any]
) -> Iterator[tuple[float, int, Any]]:
    """The SRT's cues as mov_text samples (decoded and encoded as ffmpeg does), in microseconds."""
    import av

    source = av.open(str(srt), format="srt")
    opened.append(source)
    cues = source.streams.subtitles[0]
    decoder = cues.codec_context
    decoder.open()
    stream = container.add_stream("mov_text")
    stream.codec_context.subtitle_header = decoder.subtitle_header
    stream.time_base = SUBTITLE_TB
    stream.metadata["language"] = language
    stream.disposition = av.stream.Disposition.default if default else 0
    # every cue has its time; the demuxer's closing packet has neither bytes nor a time
    packets = [(p, p.pts) for p in source.demux(cues) if p.size and p.pts is not None]

    def encoded() -> Iterator[tuple[float, int, Any]]:
        for p, pts in packets:
            cue = decoder.decode2(p)
            start = round(pts * p.time_base / SUBTITLE_TB)
            packet = stream.codec_context.encode_subtitle(cue)
            packet.stream = stream
            packet.time_base = SUBTITLE_TB
            packet.pts = packet.dts = start
            packet.duration = round((p.duration or 0) * p.time_base / SUBTITLE_TB)
            yield start * float(SUBTITLE_TB), 2, packet

    return encoded()
