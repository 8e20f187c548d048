"""A still scene's segment (variable frame rate): its pictures piped into ffmpeg as PNG files, each
shown from its own millisecond with a 1 ms end mark."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from app.services.video import FrameSpec, Shot, encode_segment

SIZE = (320, 180)
COLOURS = [(220, 30, 30), (30, 200, 40), (40, 60, 230)]


def pictures(folder: Path, suffix: str) -> list[Path]:
    paths = []
    for i, colour in enumerate(COLOURS):
        path = folder / f"still-{i}{suffix}"
        Image.new("RGB", SIZE, colour).save(path, quality=95)
        paths.append(path)
    return paths


def frames_of(video: Path) -> list[tuple[int, int, tuple[int, int, int]]]:
    """(start ms, duration ms, mean colour) of every frame."""
    out = []
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            if packet.pts is None:
                continue
            assert packet.time_base is not None
            start = round(float(packet.pts * packet.time_base) * 1000)
            held = round(float(packet.duration * packet.time_base) * 1000)
            for frame in packet.decode():
                rgb = frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
                out.append((start, held, (int(rgb[0]), int(rgb[1]), int(rgb[2]))))
    return out


async def test_a_still_scene_shows_each_picture_from_its_millisecond_then_an_end_mark(tmp_path: Path) -> None:
    red, green, blue = pictures(tmp_path, ".png")
    # off the millisecond grid on purpose, and a picture shown twice in a row (a caption cut)
    shots = [
        Shot(red, 10.0004, 0.6666),
        Shot(green, 10.667, 0.5),
        Shot(green, 11.167, 0.3),
        Shot(blue, 11.467, 1.2),
    ]
    out = tmp_path / "scene.mp4"
    await encode_segment(shots, FrameSpec(SIZE), out, tmp_path)
    got = frames_of(out)
    want_ms = [(0, 667), (667, 500), (1167, 300), (1467, 1199), (2666, 1)]
    assert [(s, d) for s, d, _ in got] == want_ms
    for (_, _, mean), colour in zip(
        got, [COLOURS[0], COLOURS[1], COLOURS[1], COLOURS[2], COLOURS[2]], strict=True
    ):
        assert np.abs(np.subtract(mean, colour)).max() < 8, (mean, colour)
    assert not list(tmp_path.glob("*.ffconcat"))  # PNG files go through the pipe


async def test_a_still_segment_takes_png_pictures_only(tmp_path: Path) -> None:
    """Stills are drawn as PNG and piped to ffmpeg as such: another format is refused before ffmpeg
    runs, by name (the ffconcat list that took any format was used by no caller)."""
    jpeg = pictures(tmp_path, ".jpg")[0]
    out = tmp_path / "jpeg.mp4"
    with pytest.raises(ValueError, match=r"takes PNG pictures .*not still-0\.jpg"):
        await encode_segment([Shot(jpeg, 0.0, 1.0)], FrameSpec(SIZE), out, tmp_path)
    assert not out.exists()


async def test_a_scene_cut_into_hundreds_of_frames_keeps_every_time(tmp_path: Path) -> None:
    """A keyframe every 40 ms cuts 12 s into 300 frames (the times' expression must not nest 300
    deep); each frame is a keyframe at its own time, then the end mark."""
    red, green, _ = pictures(tmp_path, ".png")
    out = tmp_path / "cut.mp4"
    spec = FrameSpec(SIZE, keyframe_seconds=0.04)
    await encode_segment([Shot(red, 3.0, 6.0), Shot(green, 9.0, 6.0)], spec, out, tmp_path)
    got = frames_of(out)
    assert [s for s, _, _ in got] == [*range(0, 12_000, 40), 11_999]
    assert [d for _, d, _ in got] == [40] * 299 + [39, 1]
    assert got[149][2][0] > 200 and got[150][2][1] > 180  # red until 6 s, green from there
    with av.open(str(out)) as c:
        keys = [p.is_keyframe for p in c.demux(c.streams.video[0]) if p.pts is not None]
    assert all(keys[:-1])
