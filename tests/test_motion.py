"""Smooth motion (issue 18.4): a sub-pixel Ken Burns pan and zoom, measured in the decoded frames."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageFilter

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.errors import InputError
from app.services.images import ImagePolicy
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.planning import ImageRef, Plan, Scene
from app.services.video import probe
from app.services.video.motion import KenBurns

pytestmark = pytest.mark.slow

OPTIONS = RenderOptions(voice="espeak:en-us", aspect="16:9", resolution=720)


def renderer(tmp_path: Path) -> Renderer:
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )


def photo(path: Path) -> Path:
    """A 'photo': smooth random texture everywhere (so every shift shows), 1600x900."""
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (225, 400, 3), dtype=np.uint8)
    Image.fromarray(noise).resize((1600, 900), Image.Resampling.BICUBIC).filter(
        ImageFilter.GaussianBlur(3)
    ).save(path)
    return path


def photo_plan() -> Plan:
    return Plan(
        scenes=[
            Scene(
                id="s1",
                layout="full_image",
                image=ImageRef(path="photo.png", alt=""),
                narration="A photograph drifts slowly across the screen while this is read.",
            ),
            Scene(
                id="s2",
                layout="statement",
                title="Still words",
                narration="Then a slide of words stays on the screen for a little while.",
            ),
        ]
    )


def gray_frames(video: Path) -> list[np.ndarray]:
    with av.open(str(video)) as c:
        return [f.to_ndarray(format="gray").astype(np.float64) for f in c.decode(video=0)]


def blur(a: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(a.astype(np.uint8)).filter(ImageFilter.GaussianBlur(2)), np.float64)


def displacement(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The picture's shift from `a` to `b` in pixels (x, y): one Lucas-Kanade step over the whole
    frame, exact enough for shifts under a pixel or two (a constant bias cancels in differences)."""
    a, b = blur(a)[16:-16, 16:-16], blur(b)[16:-16, 16:-16]
    gy, gx = np.gradient((a + b) / 2)
    it = b - a
    m = np.array([[np.sum(gx * gx), np.sum(gx * gy)], [np.sum(gx * gy), np.sum(gy * gy)]])
    dx, dy = np.linalg.solve(m, -np.array([np.sum(gx * it), np.sum(gy * it)]))
    return float(dx), float(dy)


def scenes_of(frames: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Frames split at the cuts (a frame unlike the one before it)."""
    out = [[frames[0]]]
    for a, b in itertools.pairwise(frames):
        if np.mean(np.abs(a - b)) > 20:
            out.append([])
        out[-1].append(b)
    return out


async def render(tmp_path: Path, name: str, motion: str) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    photo(docs / "photo.png")
    policy = ImagePolicy(root=docs, frame=OPTIONS.video_format.size)
    options = RenderOptions(**{**OPTIONS.__dict__, "motion": motion})
    result = await renderer(tmp_path).render_plan(photo_plan(), tmp_path / name, options, images=policy)
    info = probe(result.video)
    assert abs(info.duration - result.duration) < 0.05
    return result.video


async def test_every_frame_moves_smoothly_with_motion_all(tmp_path: Path) -> None:
    video = await render(tmp_path, "all.mp4", "all")
    frames = gray_frames(video)
    assert abs(len(frames) - probe(video).duration * 30) <= 2, "30 fps, every frame"
    scenes = scenes_of(frames)
    assert len(scenes) == 2
    for frames in scenes:
        assert len(frames) > 40
        for a, b in itertools.pairwise(frames):
            assert not np.array_equal(a, b), "no two consecutive frames identical"
        steps = [displacement(a, b) for a, b in itertools.pairwise(frames)]
        speeds = [np.hypot(*s) for s in steps]
        assert min(speeds) > 0.1, "the picture moves in every frame"
        jumps = [max(abs(p[0] - q[0]), abs(p[1] - q[1])) for p, q in itertools.pairwise(steps)]
        print(f"speed {min(speeds):.3f}..{max(speeds):.3f} px/frame, largest change {max(jumps):.3f} px")
        assert max(jumps) < 0.25, f"frame-to-frame displacement varies by {max(jumps):.3f} px"


async def test_photos_move_and_slides_stay_by_default(tmp_path: Path) -> None:
    assert RenderOptions().motion == "photos"
    video = await render(tmp_path, "photos.mp4", "photos")
    moving, still = scenes_of(gray_frames(video))
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(moving))
    drift = max(np.hypot(*displacement(still[0], b)) for b in still[1:])
    assert drift < 0.05, f"the slide does not move ({drift:.3f} px)"


def test_the_path_is_the_same_for_a_picture_every_time_and_stays_inside_it() -> None:
    path = KenBurns.for_key("abc")
    assert path == KenBurns.for_key("abc")
    assert {KenBurns.for_key(str(k)) for k in range(40)} != {path}, "scenes move differently"
    for t in (0.0, 0.5, 1.0):
        x, y, w, h = path.window(t, (1280, 720))
        assert x >= 0 and y >= 0 and x + w <= 1280.001 and y + h <= 720.001
        assert 1 / 1.13 < w / 1280 < 1 / 1.05, "gentle: 6-12% zoom"
    for k in range(8):  # a slide's words stay inside its 5% margin
        slide = KenBurns.for_key(str(k), slide=True)
        for t in (0.0, 1.0):
            x, y, w, h = slide.window(t, (1280, 720))
            assert max(x, 1280 - x - w) < 0.035 * 1280 and max(y, 720 - y - h) < 0.035 * 720


def test_motion_option_modes_and_the_old_switch() -> None:
    def parse(value: object) -> str:
        return parse_render_options({"motion": value}, trust=Trust.CALLER, settings=load_settings()).motion

    assert [parse(v) for v in ("none", "photos", "all", True, False)] == [
        "none",
        "photos",
        "all",
        "all",
        "none",
    ]
    with pytest.raises(InputError, match="motion"):
        parse("sideways")


def test_a_bare_motion_flag_means_all() -> None:
    from app.cli.motion import bare_motion

    assert bare_motion(["t2v", "render", "a.md", "--motion"]) == ["t2v", "render", "a.md", "--motion=all"]
    assert bare_motion(["render", "--motion", "a.md"]) == ["render", "--motion=all", "a.md"]
    assert bare_motion(["render", "--motion", "photos", "a.md"]) == ["render", "--motion", "photos", "a.md"]
