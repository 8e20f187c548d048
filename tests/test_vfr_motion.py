"""A moving photo among still slides (`--motion photos`, the default): the still scenes stay a frame
per picture (variable frame rate), only the moving scene is 30 frames a second, the scenes start where
the narration says, and the file decodes and plays in a real browser."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image, ImageFilter

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.resource_manager import ResourceManager
from app.services.images import ImagePolicy
from app.services.models import RenderOptions
from app.services.pipeline import Renderer
from app.services.planning import ImageRef, Plan, Scene
from app.services.video import probe

pytestmark = pytest.mark.slow

OPTIONS = RenderOptions(voice="espeak:en-us", aspect="16:9", resolution=720)
FPS = 30


def photo(path: Path, size: tuple[int, int] = (1280, 720)) -> Path:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)
    Image.fromarray(noise).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2)).save(
        path
    )
    return path


PLAN = Plan(
    scenes=[
        Scene(id="s1", layout="statement", title="Words first", narration="A slide of words, held still."),
        Scene(
            id="s2",
            layout="full_image",
            title="A photo",  # (a chapter of its own: the chapters give the scenes' starts)
            image=ImageRef(path="photo.png", alt=""),
            narration="Then a photograph drifts across the screen.",
        ),
        Scene(id="s3", layout="statement", title="Words again", narration="And the words come back, still."),
    ]
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    import asyncio

    tmp = tmp_path_factory.mktemp("vfr")
    docs = tmp / "docs"
    docs.mkdir()
    photo(docs / "photo.png")
    renderer = Renderer(
        WorkspaceManager(tmp / "tmp"), ResourceManager(), DiskCache(tmp / "cache"), settings=load_settings()
    )
    policy = ImagePolicy(root=docs, frame=OPTIONS.video_format.size)
    assert OPTIONS.motion == "photos"
    result = asyncio.run(renderer.render_plan(PLAN, tmp / "mixed.mp4", OPTIONS, images=policy))
    return result.video, result.duration


def test_still_and_moving_segments_share_headers_and_end_on_the_millisecond(tmp_path: Path) -> None:
    """The two kinds of segment of a variable-rate render join by copy only if x264 wrote the same
    SPS/PPS for both; each lasts its scene's whole milliseconds (the timeline adds up)."""
    import asyncio

    from app.services.video import FrameSpec, Shot, encode_segment

    Image.new("RGB", (320, 180), (200, 40, 40)).save(tmp_path / "still.png")
    photo(tmp_path / "photo.png", (320, 180))  # stills are drawn at the frame's size
    start, end = 0.4004, 1.7346  # off the grid: the segment keeps the render's milliseconds
    want = (round(end * 1000) - round(start * 1000)) / 1000
    made = {}
    for name, image, motion in (("still", "still.png", False), ("moving", "photo.png", True)):
        out = tmp_path / f"{name}.mp4"
        spec = FrameSpec((320, 180), motion=motion)
        asyncio.run(
            encode_segment([Shot(tmp_path / image, start, end - start)], spec, out, tmp_path, None, "k")
        )
        with av.open(str(out)) as c:
            stream = c.streams.video[0]
            made[name] = stream.codec_context.extradata
            assert abs(float(stream.duration * stream.time_base) - want) < 1e-6, name
        assert len(packets(out)) == (2 if name == "still" else round((end - start) * FPS) + 1)
    assert made["still"] == made["moving"]


def test_an_encoder_that_fails_while_fed_frames_raises_and_stops_the_feed(tmp_path: Path) -> None:
    """Frames piped to ffmpeg (a moving scene's): if ffmpeg exits, the render gets its error at once
    instead of writing into a dead pipe or waiting forever."""
    import asyncio

    from app.errors import MediaError
    from app.services.video import run_ffmpeg

    asked: list[int] = []

    def feed(k: int) -> bytes | None:
        asked.append(k)
        return bytes(320 * 180 * 3 // 2) if k < 10_000 else None

    bad = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "320x180", "-i", "-", "-c:v", "nonesuch"]
    with pytest.raises(MediaError, match="ffmpeg failed while testing"):
        asyncio.run(run_ffmpeg([*bad, str(tmp_path / "x.mp4")], what="testing", feed=feed))
    assert len(asked) < 10_000, "the feed stopped when ffmpeg went away"
    assert not (tmp_path / "x.mp4").exists()


def packets(video: Path) -> list[tuple[float, float]]:
    """(time, duration) of every video frame, in order."""
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        out = [
            (float(p.pts * p.time_base), float(p.duration * p.time_base))
            for p in c.demux(stream)
            if p.pts is not None
        ]
    return sorted(out)


def test_still_scenes_are_a_frame_each_and_the_photo_moves_at_30_fps(rendered: tuple[Path, float]) -> None:
    video, _ = rendered
    starts = [t for t, _ in probe(video).chapters]
    assert len(starts) == 3
    frames = packets(video)
    end = frames[-1][0] + frames[-1][1]
    spans = [
        [f for f in frames if a - 0.0005 <= f[0] < b - 0.0005] for a, b in itertools.pairwise([*starts, end])
    ]
    still1, moving, still3 = spans
    assert len(still1) <= 3 and len(still3) <= 3, "a still scene is its picture (and a 1 ms end mark)"
    seconds = starts[2] - starts[1]
    assert abs(len(moving) - seconds * FPS) <= 2, (len(moving), seconds)
    steps = [b[0] - a[0] for a, b in itertools.pairwise(moving)]
    assert all(abs(s - 1 / FPS) <= 0.0011 for s in steps[:-1]), "every frame 1/30 s apart (ms clock)"
    for span, start in zip(spans, starts, strict=True):
        assert abs(span[0][0] - start) <= 0.0015, "each scene starts where its narration starts"


def test_the_picture_lasts_as_long_as_the_narration(rendered: tuple[Path, float]) -> None:
    video, duration = rendered
    with av.open(str(video)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        video_s, audio_s = float(v.duration * v.time_base), float(a.duration * a.time_base)
    assert abs(video_s - audio_s) <= 1 / FPS, (video_s, audio_s)
    assert abs(probe(video).duration - duration) < 0.05


def test_the_mixed_rate_file_plays_in_chromium(
    rendered: tuple[Path, float], tmp_path: Path, browser: Any
) -> None:
    """Chromium decodes across the joins (one set of H.264 headers for both kinds of segment): the
    picture it shows after the moving scene is the one PyAV decodes, and playback runs through it."""
    video, _ = rendered
    starts = [t for t, _ in probe(video).chapters]
    shutil.copy(video, tmp_path / "v.mp4")
    (tmp_path / "page.html").write_text('<video id="v" src="v.mp4" muted preload="auto"></video>')
    at = starts[2] + 0.5  # the last still scene, after the moving one
    with av.open(str(video)) as c:
        expected = None
        for frame in c.decode(video=0):
            if float(frame.pts * frame.time_base) <= at:
                expected = frame.to_ndarray(format="rgb24").astype(np.float64).mean(axis=(0, 1))
    assert expected is not None

    page = browser.new_page()
    page.goto((tmp_path / "page.html").as_uri())
    ready = "(v => v.readyState >= 2 && !v.seeking)(document.getElementById('v'))"
    page.wait_for_function(ready, timeout=30_000, polling=100)
    assert abs(page.evaluate("document.getElementById('v').duration") - probe(video).duration) < 0.1
    page.evaluate(f"document.getElementById('v').currentTime = {at}")
    page.wait_for_function(ready, timeout=30_000, polling=100)
    shown = page.evaluate(
        """() => {
            const v = document.getElementById('v');
            const c = document.createElement('canvas');
            c.width = v.videoWidth; c.height = v.videoHeight;
            const g = c.getContext('2d');
            g.drawImage(v, 0, 0);
            const d = g.getImageData(0, 0, c.width, c.height).data;
            const sum = [0, 0, 0];
            for (let i = 0; i < d.length; i += 4) {
                sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2];
            }
            const n = d.length / 4;
            return [sum[0] / n, sum[1] / n, sum[2] / n];
        }"""
    )
    assert np.max(np.abs(np.array(shown) - expected)) < 6, (shown, expected)
    # playback runs through the moving scene into the next still one
    page.evaluate(f"(v => {{ v.currentTime = {starts[2] - 0.4}; v.play(); }})(document.getElementById('v'))")
    page.wait_for_function(
        f"(v => !v.error && v.currentTime > {starts[2] + 0.2})(document.getElementById('v'))",
        timeout=30_000,
        polling=100,
    )
    assert page.evaluate("document.getElementById('v').error") is None
