"""Transitions (issue 18.5): encoded only at the boundaries, the timeline and the sound unchanged."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.resource_manager import ResourceManager
from app.services.models import RenderOptions
from app.services.pipeline import Renderer
from app.services.planning import Plan, Scene
from app.services.video import boundary_windows, probe

pytestmark = pytest.mark.slow

PLAN = Plan(
    scenes=[
        Scene(id="s1", layout="statement", title="First", narration="The first scene is read aloud now."),
        Scene(id="s2", layout="statement", title="Second", narration="And then the second scene follows."),
    ]
)


def frames(video: Path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(video)) as c:
        return [
            (float(f.pts * f.time_base), np.asarray(f.to_image().convert("L"), np.float64))
            for f in c.decode(video=0)
        ]


def shown_at(video_frames: list[tuple[float, np.ndarray]], t: float) -> np.ndarray:
    return [a for at, a in video_frames if at <= t + 1e-6][-1]


def boundary_audio(video: Path) -> np.ndarray:
    with av.open(str(video)) as c:
        return np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])


@pytest.mark.parametrize(("kind", "fps"), [("crossfade", None), ("wipe", 30)], ids=["vfr", "cfr"])
async def test_the_middle_of_a_transition_shows_both_scenes(
    tmp_path: Path, kind: str, fps: int | None
) -> None:
    r = Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )
    base = RenderOptions(voice="espeak:en-us", aspect="16:9", resolution=720, fps=fps)
    plain = await r.render_plan(PLAN, tmp_path / "plain.mp4", base)
    options = RenderOptions(**{**base.__dict__, "transition": kind})
    faded = await r.render_plan(PLAN, tmp_path / "faded.mp4", options)
    a, b = probe(plain.video), probe(faded.video)
    assert abs(a.duration - b.duration) < 0.01, "the timeline does not move"
    assert np.array_equal(boundary_audio(plain.video), boundary_audio(faded.video)), "sound unaffected"
    assert plain.srt.read_text() == faded.srt.read_text()

    shown = frames(faded.video)
    before = frames(plain.video)  # the second scene's first frame: where the plain video cuts
    cut = next(t for t, f in before if np.mean(np.abs(f - before[0][1])) > 2)
    start, end = boundary_windows([(0.0, cut), (cut, b.duration)])[0]
    first, second, middle = shown_at(shown, start - 0.1), shown_at(shown, end + 0.1), shown_at(shown, cut)
    assert np.mean(np.abs(first - second)) > 2, "two different scenes"
    for other in (first, second):
        assert np.mean(np.abs(middle - other)) > 0.25 * np.mean(np.abs(first - second))
    if fps is None:  # still scenes stay one frame each outside the window
        assert len(shown) < 40
