"""`Renderer.render_plan`: a Plan rendered for real (espeak-ng, ffmpeg, Pillow), looked at in the
decoded frames: its image in the frame, bad images refused before any work with nothing left."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image

from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.resource_manager import ResourceManager
from app.errors import ImageError, InputError
from app.services.images import ImagePolicy
from app.services.models import RenderOptions
from app.services.pipeline import Renderer
from app.services.planning import ImageRef, Item, Plan, Scene
from app.services.visuals import compose_scene, load_theme
from tests.images_support import huge_png, near

MAGENTA = (250, 20, 200)  # a colour no theme uses
OPTIONS = RenderOptions(voice="espeak:en-us", aspect="16:9", resolution=720)


def renderer(tmp_path: Path) -> Renderer:
    return Renderer(WorkspaceManager(tmp_path / "tmp"), ResourceManager(), DiskCache(tmp_path / "cache"))


def frame_at(video: Path, t: float) -> Image.Image:
    """The picture on screen at `t` seconds (the last frame shown at or before it)."""
    shown = None
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            if shown is not None and float(frame.pts * frame.time_base) > t:
                break
            shown = frame.to_image()
    assert shown is not None
    return shown


def image_plan(src: str) -> Plan:
    return Plan(
        title="Charts",
        scenes=[
            Scene(
                id="s1",
                layout="image_text",
                title="The quarter",
                items=[Item(text="Sales rose in **March**.")],
                image=ImageRef(path=src, alt="The chart"),
                narration="Sales rose in March.",
            )
        ],
    )


async def test_the_plans_image_is_in_the_frame_where_the_layout_puts_it(tmp_path: Path) -> None:
    docs = tmp_path / "doc"
    docs.mkdir()
    Image.new("RGB", (800, 500), MAGENTA).save(docs / "chart.png")
    r = renderer(tmp_path)
    policy = ImagePolicy(root=docs, frame=OPTIONS.video_format.size)
    result = await r.render_plan(image_plan("chart.png"), tmp_path / "out.mp4", OPTIONS, images=policy)
    assert result.scenes == 1 and result.warnings == ()
    layout = compose_scene(
        image_plan(str(docs / "chart.png")).scenes[0], OPTIONS.video_format, load_theme("dark")
    )
    (box,) = [p.box for p in layout.pictures]
    frame = frame_at(result.video, result.duration / 2).convert("RGB")
    x0, y0, x1, y1 = box
    inside = frame.getpixel(((x0 + x1) // 2, (y0 + y1) // 2))
    assert isinstance(inside, tuple) and near(inside, MAGENTA, 30), inside
    magenta = [
        (x, y)
        for x in range(0, frame.width, 8)
        for y in range(0, frame.height, 8)
        if near(frame.getpixel((x, y)), MAGENTA, 30)  # type: ignore[arg-type]
    ]
    xs, ys = [x for x, _ in magenta], [y for _, y in magenta]
    assert x0 - 8 <= min(xs) and max(xs) <= x1 + 8 and y0 - 8 <= min(ys) and max(ys) <= y1 + 8
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("missing.png", "image 'missing.png': no such file in"),
        ("bomb.png", "over the 50-megapixel limit"),
        ("../outside.png", "image '../outside.png' is outside"),
        ("https://example.com/c.png", "remote images are off"),
    ],
)
async def test_a_bad_image_fails_before_any_speech_and_leaves_nothing(
    tmp_path: Path, src: str, expected: str
) -> None:
    docs = tmp_path / "doc"
    docs.mkdir()
    huge_png(docs / "bomb.png")
    Image.new("RGB", (20, 20), MAGENTA).save(tmp_path / "outside.png")
    r = renderer(tmp_path)
    out = tmp_path / "out" / "talk.mp4"
    out.parent.mkdir()
    with pytest.raises(ImageError, match=expected.replace(".", r"\.").replace("(", r"\(")):
        await r.render_plan(image_plan(src), out, OPTIONS, images=ImagePolicy(root=docs))
    assert r.tts.syntheses == 0, "the image is checked before any speech"
    assert list(out.parent.iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []


async def test_without_a_policy_no_local_file_is_shown(tmp_path: Path) -> None:
    Image.new("RGB", (20, 20), MAGENTA).save(tmp_path / "chart.png")
    with pytest.raises(ImageError, match="given no folder for local images"):
        await renderer(tmp_path).render_plan(
            image_plan(str(tmp_path / "chart.png")), tmp_path / "o.mp4", OPTIONS
        )


async def test_an_empty_plan_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no scenes"):
        await renderer(tmp_path).render_plan(Plan(scenes=[]), tmp_path / "o.mp4", OPTIONS)
