"""The final mux, written in-process with PyAV (`video.mux`): the file is what the ffmpeg command it
replaced wrote (the same packets in every stream, chapters, dispositions, faststart), segments whose
encoder headers differ still decode after the join, and a damaged segment is a MediaError."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from app.errors import MediaError
from app.services.video import Chapter, FrameSpec, Shot, encode_segment, ffmpeg_exe, mux, probe
from app.services.video.ffmpeg import TIMESCALE
from app.services.video.mp4 import boxes, read_video_track
from app.services.video.mux import join_by_copy
from tests import mux_support

mux_module = importlib.import_module("app.services.video.mux")  # the package's `mux` is the function

SIZE = (320, 180)
SRT = """1
00:00:00,100 --> 00:00:01,200
The first cue.

2
00:00:01,300 --> 00:00:02,900
A second one, with
two lines.

3
00:00:03,000 --> 00:00:03,400
Last.
"""
CHAPTERS = [Chapter(0.0, "One"), Chapter(1.25, "Two = 2; #2")]
MARKS = [(0, 1250, "One"), (1250, 3550, "Two = 2; #2")]  # the chapters of 3.55 s, in ms


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three scene segments (a still, a moving picture, a still of two shots) as a render makes them,
    a narration as long as they are (ADTS AAC at 48 kHz) and captions."""
    tmp = tmp_path_factory.mktemp("mux")
    rng = np.random.default_rng(7)
    Image.new("RGB", SIZE, (200, 40, 40)).save(tmp / "red.png")
    Image.new("RGB", SIZE, (30, 60, 200)).save(tmp / "blue.png")
    Image.fromarray(rng.integers(0, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8)).save(tmp / "noise.png")
    scenes = [
        ([Shot(tmp / "red.png", 0.0, 1.25)], FrameSpec(SIZE)),
        ([Shot(tmp / "noise.png", 1.25, 1.0)], FrameSpec(SIZE, motion=True)),
        ([Shot(tmp / "blue.png", 2.25, 0.6), Shot(tmp / "red.png", 2.85, 0.7)], FrameSpec(SIZE)),
    ]
    segments = []
    for i, (shots, spec) in enumerate(scenes):
        out = tmp / f"segment-{i}.mp4"
        asyncio.run(encode_segment(shots, spec, out, tmp, None, f"k{i}"))
        segments.append(out)
    audio = tmp / "narration.aac"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=3.55:r=48000",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-f",
        "adts",
        str(audio),
    )
    srt = tmp / "captions.srt"
    srt.write_text(SRT, encoding="utf-8")
    return {"tmp": tmp, "segments": segments, "audio": audio, "srt": srt}


def ffmpeg_mux(parts: dict[str, Any], out: Path, burned: bool = False, video: bool = True) -> None:
    """The ffmpeg command the mux replaced, on these parts (`video` False: the narration alone)."""
    segments, srt = (parts["segments"], parts["srt"]) if video else ([], None)
    mux_support.ffmpeg_mux(segments, parts["audio"], out, srt, MARKS, burned=burned)


def describe(path: Path) -> dict[str, Any]:
    """What a player reads: streams, every packet's time (in seconds), flags and bytes, chapters,
    dispositions."""
    out: dict[str, Any] = {}
    with av.open(str(path)) as c:
        out["chapters"] = [
            (ch["start"] * ch["time_base"], ch["end"] * ch["time_base"], ch["metadata"].get("title"))
            for ch in c.chapters()
        ]
        out["duration"] = c.duration
        for s in c.streams:
            cc = s.codec_context  # None: the chapters' text track
            tb = s.time_base
            out[f"stream {s.index}"] = (
                s.type, cc and cc.name, s.duration * tb, int(s.disposition), s.metadata.get("language"),
                getattr(cc, "width", None), getattr(cc, "height", None), cc and cc.extradata,
            )  # fmt: skip
            digest, timing = hashlib.sha256(), []
            for p in c.demux(s):
                if p.dts is not None:
                    timing.append((p.pts * tb, p.dts * tb, p.duration * tb, p.is_keyframe))
                    digest.update(bytes(p))
            out[f"packets {s.index}"] = (timing, digest.hexdigest())
    return out


def sample_entries(path: Path) -> list[bytes]:
    """Each track's sample description (stsd) as written: the codec's settings a player reads."""
    data = path.read_bytes()
    out = []
    for kind, _, body, end in boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for trak, _, t_body, t_end in boxes(data, body, end):
            span = (t_body, t_end) if trak == b"trak" else None
            for step in (b"mdia", b"minf", b"stbl", b"stsd"):
                span = span and next(((b, e) for k, _, b, e in boxes(data, *span) if k == step), None)
            if span:
                out.append(data[span[0] : span[1]])
    return out


def top_level_boxes(path: Path) -> list[bytes]:
    head = path.read_bytes()
    return [kind for kind, *_ in boxes(head, 0, len(head))]


def test_the_file_is_what_the_ffmpeg_command_wrote(parts: dict[str, Any], tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "theirs.mp4"
    length = asyncio.run(mux(parts["segments"], parts["audio"], ours, parts["srt"], "eng", CHAPTERS, 3.55))
    ffmpeg_mux(parts, theirs)
    a, b = describe(ours), describe(theirs)
    assert a == b
    assert sample_entries(ours) == sample_entries(theirs), "the same avc1 (avcC, colr, btrt), mp4a, tx3g"
    assert [a[f"stream {i}"][0] for i in range(4)] == ["video", "audio", "subtitle", "data"]
    info = probe(ours)
    assert info.streams == ("video", "audio", "subtitle", "data")  # data: the chapters' text track
    assert info.subtitle_codecs == ("mov_text",)
    assert info.chapters == ((0.0, "One"), (1.25, "Two = 2; #2"))
    assert info.colour == ("bt709", "bt709", "bt709")
    assert abs(float(a["stream 0"][2]) - 3.55) < 0.0005, "the scenes' time, to the millisecond"
    assert abs(info.duration - 3.55) < 0.05, "the narration's AAC frames end within two frames of it"
    assert abs(length - info.duration) < 0.001, "the mux says how long the file is"
    assert a["stream 2"][3] & av.stream.Disposition.default, "soft captions shown by default"
    order = top_level_boxes(ours)
    assert order.index(b"moov") < order.index(b"mdat"), "faststart: the index before the media"


def test_narration_frames_across_read_chunks_are_the_demuxers(
    parts: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AAC frames are split from the narration's ADTS headers a chunk at a time: frames cut by a
    chunk's end come out whole, timed as libavformat's demuxer times them; a cut-off stream or one
    that is not ADTS is a MediaError."""
    monkeypatch.setattr(mux_module, "ADTS_CHUNK", 777)  # frames are ~300 bytes: many straddle
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "theirs.mp4"
    asyncio.run(mux(parts["segments"], parts["audio"], ours, parts["srt"], "eng", CHAPTERS, 3.55))
    ffmpeg_mux(parts, theirs)
    assert describe(ours)["packets 1"] == describe(theirs)["packets 1"]
    data = parts["audio"].read_bytes()
    cut, garbled = tmp_path / "cut.aac", tmp_path / "garbled.aac"
    cut.write_bytes(data[:-5])
    garbled.write_bytes(data[:2000] + bytes(64) + data[2000:])
    for bad in (cut, garbled):
        with pytest.raises(MediaError):
            asyncio.run(mux(parts["segments"], bad, tmp_path / "out.mp4"))


def test_over_burned_captions_the_soft_track_is_off(parts: dict[str, Any], tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "theirs.mp4"
    asyncio.run(
        mux(
            parts["segments"], parts["audio"], ours, parts["srt"], "eng", CHAPTERS, 3.55, captions_burned=True
        )
    )
    ffmpeg_mux(parts, theirs, burned=True)
    with av.open(str(ours)) as c:
        assert not c.streams.subtitles[0].disposition & av.stream.Disposition.default
    a, b = describe(ours), describe(theirs)
    assert a["packets 2"] == b["packets 2"] and a["packets 0"] == b["packets 0"]


def test_audio_only_is_an_m4a_with_chapters(parts: dict[str, Any], tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.m4a", tmp_path / "theirs.m4a"
    length = asyncio.run(mux([], parts["audio"], ours, None, "eng", CHAPTERS, 3.55))
    ffmpeg_mux(parts, theirs, video=False)
    assert describe(ours) == describe(theirs)
    assert abs(length - probe(ours).duration) < 0.001
    assert probe(ours).streams == ("audio", "data")  # data: the chapters' text track


def test_segments_with_other_encoder_headers_still_decode(parts: dict[str, Any], tmp_path: Path) -> None:
    """Each keyframe carries its segment's SPS/PPS, as ffmpeg's concat did: a segment encoded
    without CABAC after one with it decodes to its own pictures."""
    other = tmp_path / "other.mp4"
    ffmpeg(
        "-loop", "1", "-i", str(parts["tmp"] / "noise.png"), "-frames:v", "12", "-r", "30",
        "-pix_fmt", "yuv420p", "-c:v", "libx264", "-x264-params", "cabac=0:8x8dct=0:bframes=0",
        "-video_track_timescale", str(TIMESCALE), str(other),
    )  # fmt: skip
    joined = tmp_path / "joined.mp4"
    asyncio.run(join_by_copy([parts["segments"][0], other], joined))

    def frames(path: Path) -> list[Any]:  # the luma planes, as decoded
        with av.open(str(path)) as c:
            return [np.frombuffer(bytes(f.planes[0]), np.uint8).astype(float) for f in c.decode(video=0)]

    want = frames(parts["segments"][0]) + frames(other)
    got = frames(joined)
    assert len(got) == len(want)
    assert max(float(np.abs(g - w).mean()) for g, w in zip(got, want, strict=True)) < 0.5
    track = read_video_track(joined)
    assert (
        track.duration == read_video_track(parts["segments"][0]).duration + read_video_track(other).duration
    )


def test_a_damaged_segment_is_a_media_error(parts: dict[str, Any], tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    data = parts["segments"][1].read_bytes()
    order = top_level_boxes(parts["segments"][1])
    cut.write_bytes(data[: len(data) // 2] if order[-1] == b"moov" else data[: len(data) - 100])
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x08free" + bytes(range(256)) * 4)

    def box(kind: bytes, body: bytes) -> bytes:
        return (8 + len(body)).to_bytes(4, "big") + kind + body

    hdlr = box(b"hdlr", bytes(8) + b"vide" + bytes(12))
    hollow = tmp_path / "hollow.mp4"  # a video track whose timing box ends before its fields
    hollow.write_bytes(
        box(b"ftyp", b"isom") + box(b"moov", box(b"trak", box(b"mdia", hdlr + box(b"mdhd", b""))))
    )
    missing = tmp_path / "missing.mp4"
    for bad in (cut, junk, hollow, missing):
        with pytest.raises(MediaError):
            asyncio.run(mux([parts["segments"][0], bad], parts["audio"], tmp_path / "out.mp4", parts["srt"]))
