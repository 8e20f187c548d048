"""Visual providers (issue 18): `--visuals local:DIR` puts the user's pictures into the scenes
(matched by file name, else in order), code and table scenes stay slides, and the result says which
provider made each scene; seen in the decoded frames of real renders."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.errors import InputError
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.planning import Code, Item, Plan, Scene
from app.services.providers import parse_visuals
from tests.conftest import CLI
from tests.images_support import png

APPLE = (250, 20, 200)  # magenta: no theme uses it
BANANA = (240, 230, 20)  # yellow
SKY = (20, 230, 240)  # cyan


def colours_seen(video: Path) -> list[tuple[int, int, int] | None]:
    """For each decoded frame, which of the pictures' colours covers >= 5% of it (None: none)."""
    seen: list[tuple[int, int, int] | None] = []
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            pixels = np.asarray(frame.to_image().convert("RGB")).reshape(-1, 3).astype(int)
            found = None
            for colour in (APPLE, BANANA, SKY):
                if (np.abs(pixels - np.array(colour)).max(axis=1) < 30).mean() > 0.05:
                    found = colour
            if not seen or seen[-1] != found:
                seen.append(found)
    return seen


def pictures(folder: Path) -> Path:
    folder.mkdir()
    png(folder / "1-bananas.png", (320, 200), BANANA)  # name order: bananas first...
    png(folder / "2-apples.png", (320, 200), APPLE)  # ...but the Apples scene asks for apples
    png(folder / "3-sky.png", (320, 200), SKY)  # no scene names it: taken in order
    (folder / "notes.txt").write_text("not a picture", encoding="utf-8")
    return folder


def plan() -> Plan:
    return Plan(
        title="Fruit",
        scenes=[
            Scene(id="s1", layout="statement", title="Apples", narration="Apples are crisp."),
            Scene(id="s2", layout="code", title="Code", code=Code(text="x = 1"), narration="Some code."),
            Scene(
                id="s3",
                layout="bullets",
                title="Summary",
                items=[Item(text="Eat well", marker="•"), Item(text="Sleep", marker="•")],
                narration="Eat well. Sleep.",
            ),
            Scene(
                id="s4", layout="statement", title="Bananas", narration="Bananas are sweet.", visual="slides"
            ),
        ],
    )


def test_the_chain_is_checked_and_ends_with_slides(tmp_path: Path) -> None:
    folder = pictures(tmp_path / "pics")
    assert [s.engine for s in parse_visuals(f"local:{folder}", Trust.OPERATOR, load_settings())] == [
        "local",
        "slides",
    ]
    assert [s.engine for s in parse_visuals(None, Trust.OPERATOR, load_settings())] == ["slides"]
    with pytest.raises(InputError, match="unknown provider 'flickr'"):
        parse_visuals("flickr", Trust.OPERATOR, load_settings())
    with pytest.raises(InputError, match="is not a directory"):
        parse_visuals(f"local:{tmp_path / 'nope'}", Trust.OPERATOR, load_settings())
    # an API caller names no server folder, through the one options validator
    with pytest.raises(InputError, match="API callers cannot name a folder"):
        parse_render_options({"visuals": f"local:{folder}"}, trust=Trust.CALLER, settings=load_settings())
    assert (
        parse_render_options({"visuals": "slides"}, trust=Trust.CALLER, settings=load_settings()).visuals
        == "slides"
    )


def test_the_providers_limits_are_the_renderer_s_settings_read_once(tmp_path: Path) -> None:
    """Every remote provider a renderer makes shares one context: its media limits are the renderer's
    settings, read once (not again at each provider's access)."""
    settings = load_settings(max_image_bytes=1_234_567, max_clip_bytes=7_654_321)
    context = Renderer(WorkspaceManager(tmp_path / "tmp"), settings=settings).providers.context
    assert (context.image_limits.max_bytes, context.clip_limits.max_bytes) == (1_234_567, 7_654_321)
    assert context.image_limits is context.image_limits and context.clip_limits is context.clip_limits


async def test_local_pictures_by_name_then_in_order_code_stays_a_slide(tmp_path: Path) -> None:
    folder = pictures(tmp_path / "pics")
    renderer = Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )
    options = RenderOptions(voice="espeak:en-us", resolution=360, visuals=f"local:{folder}")
    result = await renderer.render_plan(plan(), tmp_path / "out.mp4", options)
    # scene 4 asked for slides (storyboard override); the code scene stays a slide
    assert result.visuals == ("local", "slides", "local", "slides")
    # Apples got 2-apples (by name), Summary the first free one in name order (1-bananas)
    assert colours_seen(result.video) == [APPLE, None, BANANA, None]


def test_cli_render_with_local_pictures_and_a_bad_spec(cli: CLI) -> None:
    folder = pictures(cli.cwd / "pics")
    talk = cli.cwd / "talk.md"
    talk.write_text("# Apples\n\nApples are crisp.\n\n# Sky\n\nThe sky is wide.\n", encoding="utf-8")
    ok = cli.run("render", str(talk), "--resolution", "720", "--visuals", f"local:{folder}")
    assert ok.returncode == 0, ok.stderr.decode()
    assert "Pictures: 1:local 2:local" in ok.stdout.decode()
    assert APPLE in colours_seen(talk.with_suffix(".mp4"))
    bad = cli.run("render", str(talk), "-o", str(cli.cwd / "bad.mp4"), "--visuals", "flickr")
    assert bad.returncode == 2
    assert bad.stderr.decode().count("\n") == 1 and "unknown provider 'flickr'" in bad.stderr.decode()
    assert not (cli.cwd / "bad.mp4").exists()
