"""Stock video as a scene's background and text over pictures (issue 18): the scrim under words on a
photo keeps them readable whatever the photo; clips from `local:DIR` and from stand-in Pexels and
Pixabay servers (real paths and answer shapes, a tiny real MP4 of two distinctive colours) play
under the words, looped, without their own sound; bad clips fall over with a clear warning."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import av
import numpy as np
import pytest
from PIL import Image

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.net import HttpClient, HttpConfig
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceLimits, ResourceManager
from app.errors import InputError
from app.services.documents import document_from_bytes
from app.services.images import ImagePolicy, ImageService
from app.services.models import RenderOptions, VideoFormat
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.planning import Plan
from app.services.planning.plan import ImageRef, Item, Scene
from app.services.video import ffmpeg_exe, probe
from app.services.visuals import THEMES, render_scene
from tests.conftest import CLI
from tests.tts_server import FakeServer, Reply, Request


def test_words_on_a_white_photo_sit_on_a_dark_scrim(tmp_path: Path) -> None:
    """A tall block of words over a white photo: every row with words on it is darkened to a third
    of the photo's brightness or less (white words on it: contrast ~9:1), the top of the photo not."""
    white = tmp_path / "white.png"
    Image.new("RGB", (640, 360), (255, 255, 255)).save(white)
    scene = Scene(
        id="s1",
        layout="full_image",
        title="A long title over a bright sky that takes two lines",
        image=ImageRef(path=str(white), alt="Clouds over the hills at noon, bright and white", fit="cover"),
        items=[Item(text="A second line of words under it."), Item(text="And a third one.")],
        narration="x",
    )
    for fmt in (VideoFormat("16:9", 360), VideoFormat("9:16", 640)):
        out = render_scene(scene, fmt, THEMES["dark"], None, tmp_path / f"{fmt.aspect[0]}.png")
        pixels = np.asarray(Image.open(out).convert("L"), dtype=np.float32)
        light = pixels > 180  # the words (white, off-white) and the unshaded photo
        dark_share = (pixels < 120).mean(axis=1)
        text_rows = [y for y in range(pixels.shape[0]) if light[y].any() and dark_share[y] > 0.5]
        assert len(text_rows) > 0.1 * pixels.shape[0]  # the words are there, on the scrim
        first = min(text_rows)
        background = [float(np.median(pixels[y][pixels[y] < 150])) for y in text_rows]
        assert max(background) <= 85, (fmt, first, max(background))  # 255 unshaded: a third or less
        assert pixels[: first // 3].mean() > 230  # the photo above the band is left as it is


CYAN, AMBER = (20, 230, 240), (240, 200, 20)  # the clip's two halves: colours no theme uses
KEY = "pexels-video-key-321"


def make_clip(path: Path, seconds: float = 1.0, size: tuple[int, int] = (192, 108)) -> Path:
    """A tiny real MP4 with a sound track: cyan for its first half, amber for its second."""
    half = seconds / 2
    w, h = size
    colours = [f"color=c=0x{r:02x}{g:02x}{b:02x}:s={w}x{h}:r=25:d={half}" for r, g, b in (CYAN, AMBER)]
    subprocess.run(
        [
            ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", colours[0],
            "-f", "lavfi", "-i", colours[1], "-f", "lavfi", "-i", f"sine=f=440:d={seconds}",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]",
            "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "rivers.mp4")


def near(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 30) -> float:
    """The share of `pixels` within `tolerance` of `colour`."""
    return float(
        (np.abs(pixels.reshape(-1, 3).astype(int) - np.array(colour)).max(axis=1) < tolerance).mean()
    )


def which(pixels: np.ndarray) -> str:
    return "cyan" if near(pixels, CYAN) > 0.9 else "amber" if near(pixels, AMBER) > 0.9 else "?"


def frames(video: Path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(video)) as c:
        return [(float(f.time or 0.0), np.asarray(f.to_image().convert("RGB"))) for f in c.decode(video=0)]


def renderer(tmp_path: Path) -> Renderer:
    resources = ResourceManager(ResourceLimits(max_concurrent_visual=4))
    http = HttpClient(HttpConfig(retries=1, backoff_seconds=0.05), allow=lambda ip: False)
    images = ImageService(http=http, cache=DiskCache(tmp_path / "cache"), resources=resources)
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        resources,
        DiskCache(tmp_path / "cache"),
        images=images,
        settings=load_settings(),
    )


def statement(title: str, words: str) -> Scene:
    return Scene(id=title.lower(), layout="statement", title=title, narration=words)


async def test_a_local_clip_loops_under_the_words_without_its_sound(tmp_path: Path, clip: Path) -> None:
    """`local:DIR` with a 1 s clip: the scene longer than the clip shows it looping (cyan, amber, cyan,
    amber...), the words on a scrim over it, and the video's only sound is the narration."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "rivers.mp4").write_bytes(clip.read_bytes())
    plan = Plan(scenes=[statement("Rivers", "Rivers run to the sea, and the sea is wide and deep and blue.")])
    options = RenderOptions(voice="espeak:en-us", resolution=180, visuals=f"local:{folder}")
    result = await renderer(tmp_path).render_plan(plan, tmp_path / "out.mp4", options)
    assert result.visuals == ("local",)
    info = probe(result.video)
    assert info.streams.count("audio") == 1 and info.audio_codec == "aac"  # the narration, not the clip's
    shown = frames(result.video)
    top = [
        (
            t,
            "cyan"
            if near(f[: f.shape[0] // 3], CYAN) > 0.9
            else "amber"
            if near(f[: f.shape[0] // 3], AMBER) > 0.9
            else "?",
        )
        for t, f in shown
    ]
    runs = [k for n, (_, k) in enumerate(top) if n == 0 or top[n - 1][1] != k]
    assert result.duration > 2.2 and runs[:4] == ["cyan", "amber", "cyan", "amber"], runs
    assert "?" not in runs
    # the words: their rows are on a scrim, darker than the clip by a margin
    _, last = shown[-1]
    grey = last.mean(axis=2)
    rows = [y for y in range(grey.shape[0]) if (grey[y] > 200).any() and (grey[y] < 120).mean() > 0.5]
    assert rows and min(rows) > grey.shape[0] // 2
    raw = float(np.median(grey[:10]))
    assert all(np.median(grey[y][grey[y] < 150]) < raw * 0.45 for y in rows)


async def test_pexels_and_pixabay_videos_from_stand_in_servers(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`pexels-video@URL` (the real `/videos/search` shape, the key in the header) and
    `pixabay-video@URL` (`/api/videos/`, the key in the query): the rendition that covers the frame
    is fetched, its colour plays in the scene; a page of HTML and an MP4 that does not decode fall
    over to the next provider with a clear warning; the keys appear nowhere else."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("T2V_PEXELS_API_KEY", KEY)
    monkeypatch.setenv("T2V_PIXABAY_API_KEY", "pixabay-video-key-654")
    data = clip.read_bytes()

    def pexels(request: Request) -> Reply:
        query = parse_qs(request.query)["query"][0].split()[0]  # the title's word first
        link = {"html": "/bad.html", "broken": "/broken.mp4"}.get(query, "/hd.mp4")
        sizes = [(1, 160, 90, "/sd.mp4"), (2, 1280, 720, link), (3, 3840, 2160, "/4k.mp4")]
        files = [
            {
                "id": n,
                "quality": "hd",
                "file_type": "video/mp4",
                "width": w,
                "height": h,
                "link": s.url + path,
            }
            for n, w, h, path in sizes
        ]
        video = {
            "id": 77 if link == "/hd.mp4" else 78 + len(query),
            "url": "https://www.pexels.com/video/77/",
            "duration": 1,
            "user": {"name": "Ana"},
        }
        return Reply.json({"page": 1, "videos": [{**video, "video_files": files}], "total_results": 1})

    def pixabay(request: Request) -> Reply:
        n = 88 if parse_qs(request.query)["q"][0].startswith("html") else 89  # a clip per query
        small = {"url": f"{p.url}/small.mp4", "width": 640, "height": 360}
        hit = {"id": n, "pageURL": f"https://pixabay.com/videos/x-{n}/", "user": "Bo", "videos": {}}
        hit["videos"] = {"large": {"url": "", "width": 0, "height": 0}, "small": small}
        return Reply.json({"total": 1, "totalHits": 1, "hits": [hit]})

    with FakeServer() as s, FakeServer() as p:
        s.on("GET", "/videos/search", default=pexels)
        s.on("GET", "/hd.mp4", default=Reply(body=data, content_type="video/mp4"))
        s.on("GET", "/bad.html", default=Reply(body=b"<html>no</html>", content_type="text/html"))
        s.on(
            "GET",
            "/broken.mp4",
            default=Reply(body=b"\x00\x00\x00\x18ftypmp42" + b"x" * 4000, content_type="video/mp4"),
        )
        p.on("GET", "/api/videos/", default=pixabay)
        p.on("GET", "/small.mp4", default=Reply(body=data, content_type="video/mp4"))
        chain = f"pexels-video@{s.url},pixabay-video@{p.url}"
        scenes = [
            statement("Rivers", "Rivers are wide."),
            statement("Html", "A page."),
            statement("Broken", "Bad."),
        ]
        options = RenderOptions(voice="espeak:en-us", resolution=180, visuals=chain)
        result = await renderer(tmp_path).render_plan(Plan(scenes=scenes), tmp_path / "out.mp4", options)
        pexels_requests, pixabay_requests = list(s.requests), list(p.requests)
    assert result.visuals == ("pexels-video", "pixabay-video", "pixabay-video")
    fetched = [r.path for r in pexels_requests if r.path.endswith((".mp4", ".html"))]
    assert sorted(fetched) == ["/bad.html", "/broken.mp4", "/hd.mp4"]  # the 1280x720 that covers 320x180
    assert all(r.headers.get("authorization") == KEY for r in pexels_requests if r.path == "/videos/search")
    searches = [r for r in pixabay_requests if r.path == "/api/videos/"]
    assert searches and all(parse_qs(r.query)["key"] == ["pixabay-video-key-654"] for r in searches)
    assert all("key=" not in r.query for r in pixabay_requests if r.path == "/small.mp4")
    assert result.credits[0] == "scene 1: Video by Ana on Pexels (https://www.pexels.com/video/77/)"
    assert result.credits[1] == "scene 2: Video by Bo on Pixabay (https://pixabay.com/videos/x-88/)"
    warnings = "\n".join(result.warnings)
    assert "pexels-video clip 82: the answer is text/html, not video/mp4" in warnings
    assert "pexels-video clip 84: not a video that decodes (InvalidDataError)" in warnings
    assert KEY not in warnings + caplog.text and "pixabay-video-key-654" not in warnings + caplog.text
    colours = [
        near(f[: f.shape[0] // 3], CYAN) > 0.9 or near(f[: f.shape[0] // 3], AMBER) > 0.9
        for _, f in frames(result.video)
    ]
    assert all(colours)  # every frame of every scene shows a clip
    assert probe(result.video).streams.count("audio") == 1


def test_who_may_choose_stock_video(monkeypatch: pytest.MonkeyPatch) -> None:
    """As for photos: API callers may choose a video provider by name once its key is set, never
    with a URL; without the key the choice is refused saying which setting is missing."""
    monkeypatch.delenv("T2V_PIXABAY_API_KEY", raising=False)
    with pytest.raises(InputError, match="set T2V_PIXABAY_API_KEY"):
        parse_render_options({"visuals": "pixabay-video"}, trust=Trust.OPERATOR, settings=load_settings())
    monkeypatch.setenv("T2V_PEXELS_API_KEY", KEY)
    assert (
        parse_render_options(
            {"visuals": "pexels-video"}, trust=Trust.CALLER, settings=load_settings()
        ).visuals
        == "pexels-video"
    )
    with pytest.raises(InputError, match="cannot name a folder"):
        parse_render_options(
            {"visuals": "pexels-video@http://127.0.0.1:9/"}, trust=Trust.CALLER, settings=load_settings()
        )


async def test_a_tall_frame_of_a_wide_moving_picture_is_one_crop(tmp_path: Path) -> None:
    """9:16 with a wide picture panning (`--motion photos`): every frame is one crop of the picture
    (a left-to-right gradient stays increasing across every column, the middle one included), not
    two crops side by side. (A filmstrip of whole frames looks like that at the tiles' borders.)"""
    ramp = np.tile(np.linspace(0, 255, 960, dtype=np.float32), (400, 1))
    Image.fromarray(np.dstack([ramp, ramp, ramp]).astype(np.uint8), "RGB").save(tmp_path / "wide.png")
    scene = Scene(
        id="s1", layout="full_image", image=ImageRef(path="wide.png", fit="cover"), narration="Look."
    )
    options = RenderOptions(voice="espeak:en-us", aspect="9:16", resolution=320, motion="photos")
    result = await renderer(tmp_path).render_plan(
        Plan(scenes=[scene]), tmp_path / "out.mp4", options, images=ImagePolicy(root=tmp_path)
    )
    shown = frames(result.video)
    assert len(shown) > 10 and np.abs(shown[1][1].astype(int) - shown[-2][1]).mean() > 1  # it moves
    for _, frame in shown:
        row = frame[frame.shape[0] // 2].mean(axis=1)
        steps = np.diff(row.astype(np.float32))
        assert steps.min() > -3, int(np.argmin(steps))  # no jump back anywhere (the middle column too)
        assert row[-1] - row[0] > 40  # it is the gradient


def test_cli_credits_end_card_after_a_stock_clip(cli: CLI, clip: Path) -> None:
    """`t2v render --visuals pexels-video@URL --credits`: the clip plays in scene 1, then a silent
    "Credits" card (a slide, its own chapter) names the video's author; without --credits no card."""
    talk = cli.cwd / "talk.md"
    talk.write_text("# Rivers\n\nRivers run to the sea.\n", encoding="utf-8")
    files = [{"id": 1, "file_type": "video/mp4", "width": 640, "height": 360, "link": "/clip.mp4"}]
    video = {"id": 5, "url": "https://www.pexels.com/video/5/", "user": {"name": "Ana"}, "video_files": files}
    with FakeServer() as server:
        files[0]["link"] = server.url + "/clip.mp4"
        server.on("GET", "/videos/search", default=Reply.json({"page": 1, "videos": [video]}))
        server.on("GET", "/clip.mp4", default=Reply(body=clip.read_bytes(), content_type="video/mp4"))
        cli.env["T2V_PEXELS_API_KEY"] = KEY
        common = ["--resolution", "720", "--visuals", f"pexels-video@{server.url}"]
        done = cli.run("render", str(talk), "-o", "with.mp4", *common, "--credits")
        plain = cli.run("render", str(talk), "-o", "without.mp4", *common)
    out = done.stdout.decode()
    assert done.returncode == 0 and plain.returncode == 0, done.stderr.decode() + plain.stderr.decode()
    assert "Pictures: 1:pexels-video 2:slides" in out
    assert "Credit: scene 1: Video by Ana on Pexels (https://www.pexels.com/video/5/)" in out
    chapters = (cli.cwd / "with.chapters.txt").read_text(encoding="utf-8").splitlines()
    assert chapters[-1].endswith(" Credits") and len(chapters) == 2
    with_card, without = probe(cli.cwd / "with.mp4"), probe(cli.cwd / "without.mp4")
    assert with_card.duration - without.duration > 2.5  # the card is held (T2V_SILENT_SCENE, 3 s)
    last = frames(cli.cwd / "with.mp4")[-1][1]
    assert near(last, CYAN) < 0.01 and near(last, AMBER) < 0.01  # the card is a slide, not the clip
    assert KEY not in out + done.stderr.decode()


async def test_with_an_llm_its_keywords_are_the_searches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--llm` with `--visuals pexels@URL`: each scene's stock search asks for the model's keywords
    (a stand-in chat server's script), not for words t2v would pick from the narration."""
    from tests.test_llm import PATH, VI_DOC, chat, script, writer
    from tests.test_stock_pictures import stand_in

    monkeypatch.setenv("T2V_PEXELS_API_KEY", KEY)
    answer = script("vi", scenes=2)
    for n, scene in enumerate(answer["scenes"]):  # type: ignore[union-attr, arg-type]
        scene["keywords"] = [f"phin {n}", "cà phê sữa"]
    with FakeServer() as llm, stand_in(FakeServer()) as pexels:
        llm.on("POST", PATH, default=chat(answer))
        r = renderer(tmp_path)
        r.llm = writer(llm)
        options = RenderOptions(
            voice="espeak:vi", resolution=180, llm="openai:test-model", visuals=f"pexels@{pexels.url}"
        )
        result = await r.render(document_from_bytes(VI_DOC, "cafe.md", None), tmp_path / "v.mp4", options)
        await r.llm.http.aclose()
        queries = sorted(parse_qs(q.query)["query"][0] for q in pexels.requests if q.path == "/v1/search")
    assert result.visuals[1:] == ("pexels", "pexels")
    assert "phin 0 cà phê sữa" in queries and "phin 1 cà phê sữa" in queries, queries
