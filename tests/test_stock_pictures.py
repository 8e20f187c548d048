"""`--visuals pexels@URL` against a stand-in Pexels server on 127.0.0.1 (real sockets, the real
`/v1/search` path and answer shape; each photo a distinctive colour): the colours appear in the
scenes' frames, no photo twice, at most `max_concurrent_visual` requests in flight (measured by the
server), 429 + Retry-After retried, a 500 and every bad photo (HTML, 300 MB, a decompression bomb, a
redirect to a private address) fall over to slides with a clear warning; the key only ever in the
search requests' header, never in results, warnings or logs."""

from __future__ import annotations

import base64
import io
import json
import logging
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
from app.services.images import ImageService
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.planning import Plan, Scene
from tests.conftest import CLI
from tests.tts_server import FakeServer, Reply, Request

KEY = "pexels-secret-key-123"
COLOURS = [(250, 20, 200), (240, 230, 20), (20, 230, 240), (250, 120, 20), (120, 250, 20), (130, 20, 250)]


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (480, 270)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=95)
    return out.getvalue()


def bomb() -> bytes:
    """A 30000x30000 PNG header (the decoder refuses it from its size, before decoding)."""
    from tests.images_support import huge_png

    path = Path("/tmp") / f"t2v-bomb-{id(object())}.png"
    try:
        return huge_png(path, 30000, 30000).read_bytes()
    finally:
        path.unlink(missing_ok=True)


def stand_in(server: FakeServer, photos_per_query: dict[str, list[str]] | None = None) -> FakeServer:
    """Pexels' GET /v1/search (a short think time, so parallel requests overlap) answering with
    photos served by the same server at /photos/N.jpg, one colour each."""
    for n, colour in enumerate(COLOURS):
        server.on("GET", f"/photos/{n}.jpg", default=Reply(body=jpeg(colour), content_type="image/jpeg"))

    def search(request: Request) -> Reply:
        query = parse_qs(request.query)
        words = query["query"][0]
        paths = (photos_per_query or {}).get(words) or [f"/photos/{n}.jpg" for n in range(len(COLOURS))]
        photos = [
            {
                "id": 1000 + i if p.startswith("/photos/") else 2000 + sum(map(ord, p)),  # unique per photo
                "width": 480,
                "height": 270,
                "url": f"https://www.pexels.com/photo/{1000 + i}/",
                "photographer": f"Person {i}",
                "src": {"original": server.url + p, "large2x": server.url + p, "large": server.url + p},
                "alt": words,
            }
            for i, p in enumerate(paths)
        ]
        body = {"page": 1, "per_page": len(photos), "photos": photos, "total_results": len(photos)}
        return Reply(body=json.dumps(body).encode(), content_type="application/json", delay=0.3)

    server.on("GET", "/v1/search", default=search)
    return server


def renderer(tmp_path: Path, visual_slots: int = 4) -> Renderer:
    resources = ResourceManager(ResourceLimits(max_concurrent_visual=visual_slots))
    http = HttpClient(HttpConfig(retries=2, backoff_seconds=0.05), allow=lambda ip: False)
    images = ImageService(http=http, cache=DiskCache(tmp_path / "cache"), resources=resources)
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        resources,
        DiskCache(tmp_path / "cache"),
        images=images,
        settings=load_settings(),
    )


def plan(titles: list[str]) -> Plan:
    return Plan(
        scenes=[
            Scene(id=f"s{i}", layout="statement", title=t, narration=f"{t}.") for i, t in enumerate(titles)
        ]
    )


def colours_in(video: Path) -> list[tuple[int, int, int] | None]:
    seen: list[tuple[int, int, int] | None] = []
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            pixels = np.asarray(frame.to_image().convert("RGB")).reshape(-1, 3).astype(int)
            found = None
            for colour in COLOURS:
                if (np.abs(pixels - np.array(colour)).max(axis=1) < 30).mean() > 0.05:
                    found = colour
            if not seen or seen[-1] != found:
                seen.append(found)
    return seen


@pytest.fixture
def pexels_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("T2V_PEXELS_API_KEY", KEY)
    return KEY


async def test_photos_in_the_frames_no_repeats_within_the_visual_slots(
    tmp_path: Path, pexels_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    titles = ["Apples", "Apples", "Orchards", "Rivers", "Mountains", "Harbours"]
    with stand_in(FakeServer()) as server:
        server.on("GET", "/v1/search", Reply(429, b"slow down", headers={"Retry-After": "1"}))
        options = RenderOptions(voice="espeak:en-us", resolution=360, visuals=f"pexels@{server.url}")
        result = await renderer(tmp_path).render_plan(plan(titles), tmp_path / "out.mp4", options)
        searches = [r for r in server.requests if r.path == "/v1/search"]
        max_in_flight = server.max_in_flight
    assert result.visuals == ("pexels",) * 6
    seen = [c for c in colours_in(result.video) if c is not None]
    assert len(seen) == 6 and len(set(seen)) == 6  # a photo per scene, none twice ('Apples' twice)
    assert 2 <= max_in_flight <= 4  # parallel, within max_concurrent_visual
    assert len(searches) == 5 + 1 + 1  # five distinct queries (one cached), one retried after its 429
    assert all(parse_qs(r.query)["orientation"] == ["landscape"] for r in searches)
    assert all(r.headers.get("authorization") == KEY for r in searches)
    photo_requests = [r for r in server.requests if r.path.startswith("/photos/")]
    assert len(photo_requests) == 6
    assert result.credits[0] == "scene 1: Photo by Person 0 on Pexels (https://www.pexels.com/photo/1000/)"
    text = json.dumps([str(x) for x in (result.visuals, result.credits, result.warnings)]) + caplog.text
    assert KEY not in text


async def test_a_failing_search_and_bad_photos_fall_over_to_slides(
    tmp_path: Path, pexels_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with stand_in(
        FakeServer(), {"html": ["/html"], "huge": ["/huge"], "bomb": ["/bomb"], "away": ["/away"]}
    ) as s:
        s.on("GET", "/html", default=Reply(body=b"<html>no</html>", content_type="text/html"))
        s.on("GET", "/huge", default=Reply(zeros=300 * 1024 * 1024, content_type="image/jpeg"))
        s.on("GET", "/bomb", default=Reply(body=bomb(), content_type="image/png"))
        s.on("GET", "/away", default=Reply(302, headers={"Location": "http://10.1.2.3/x.jpg"}))
        options = RenderOptions(voice="espeak:en-us", resolution=360, visuals=f"pexels@{s.url}")
        result = await renderer(tmp_path).render_plan(
            plan(["Html", "Huge", "Bomb", "Away", "Fine"]), tmp_path / "out.mp4", options
        )
        cut_off = s.cut_off
    assert result.visuals == ("slides",) * 4 + ("pexels",)
    warnings = "\n".join(result.warnings)
    assert "the answer is text/html, not image/*" in warnings  # an HTML page instead of a JPEG
    assert "the answer (300 MB) is larger than the 20 MB limit" in warnings  # never read in full
    assert "is 900 megapixels, over the 50-megapixel limit" in warnings  # the bomb, from its header
    assert "refused to connect to 10.1.2.3:80: it resolves to a private address" in warnings
    assert warnings.count("the scene falls over to the next provider") == 4
    assert len(result.warnings) == 4 and KEY not in warnings + caplog.text
    assert cut_off <= 1
    with FakeServer() as down:
        down.on("GET", "/v1/search", default=Reply(500, b"boom", content_type="text/plain"))
        options = RenderOptions(voice="espeak:en-us", resolution=360, visuals=f"pexels@{down.url}")
        failed = await renderer(tmp_path).render_plan(plan(["Rivers"]), tmp_path / "down.mp4", options)
    assert failed.visuals == ("slides",)
    assert "pexels search" in failed.warnings[0] and "500" in failed.warnings[0]
    assert KEY not in failed.warnings[0]


def test_who_may_choose_pexels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T2V_PEXELS_API_KEY", raising=False)
    with pytest.raises(InputError, match="set T2V_PEXELS_API_KEY"):
        parse_render_options({"visuals": "pexels"}, trust=Trust.OPERATOR, settings=load_settings())
    monkeypatch.setenv("T2V_PEXELS_API_KEY", KEY)
    assert (
        parse_render_options({"visuals": "pexels"}, trust=Trust.CALLER, settings=load_settings()).visuals
        == "pexels"
    )
    with pytest.raises(InputError, match="cannot name a folder"):
        parse_render_options(
            {"visuals": "pexels@http://127.0.0.1:9/"}, trust=Trust.CALLER, settings=load_settings()
        )
    monkeypatch.delenv("T2V_OPENAI_API_KEY", raising=False)
    with pytest.raises(InputError, match="give a model"):
        parse_render_options({"visuals": "openai-images"}, trust=Trust.OPERATOR, settings=load_settings())
    with pytest.raises(InputError, match="no openai-images to API callers"):
        parse_render_options(
            {"visuals": "openai-images:gpt-image-1"}, trust=Trust.CALLER, settings=load_settings()
        )


def pixabay(server: FakeServer) -> FakeServer:
    """Pixabay's GET /api/ (the key in the query string) answering with photos on the same server."""
    for n, colour in enumerate(COLOURS):
        server.on(
            "GET", f"/get/{n}.jpg", default=Reply(body=jpeg(colour, (270, 480)), content_type="image/jpeg")
        )

    def search(request: Request) -> Reply:
        hits = [
            {
                "id": 500 + n,
                "pageURL": f"https://pixabay.com/photos/x-{500 + n}/",
                "user": f"User {n}",
                "largeImageURL": f"{server.url}/get/{n}.jpg",
                "webformatURL": f"{server.url}/get/{n}.jpg",
            }
            for n in range(len(COLOURS))
        ]
        return Reply.json({"total": len(hits), "totalHits": len(hits), "hits": hits})

    server.on("GET", "/api/", default=search)
    return server


async def test_pixabay_portrait_photos_and_a_failing_provider_falls_over_to_the_next(
    tmp_path: Path, pexels_key: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("T2V_PIXABAY_API_KEY", "pixabay-secret-456")
    with pixabay(FakeServer()) as good, FakeServer() as down:
        down.on("GET", "/v1/search", default=Reply(500, b"boom", content_type="text/plain"))
        chain = f"pexels@{down.url},pixabay@{good.url}"
        options = RenderOptions(voice="espeak:en-us", aspect="9:16", resolution=360, visuals=chain)
        result = await renderer(tmp_path).render_plan(
            plan(["Apples", "Rivers"]), tmp_path / "px.mp4", options
        )
        searches = [r for r in good.requests if r.path == "/api/"]
        photos = [r for r in good.requests if r.path.startswith("/get/")]
    assert result.visuals == ("pixabay", "pixabay")  # pexels answered 500: the next provider took over
    assert [c for c in colours_in(result.video) if c is not None] == COLOURS[:2]
    assert all(parse_qs(r.query)["key"] == ["pixabay-secret-456"] for r in searches)
    assert all(parse_qs(r.query)["orientation"] == ["vertical"] for r in searches)
    assert all("key=" not in r.query for r in photos)  # the key only in the search URL
    assert result.credits[1] == "scene 2: Image by User 1 on Pixabay (https://pixabay.com/photos/x-501/)"
    said = "\n".join(result.warnings) + caplog.text
    assert "pexels search" in said and "pixabay-secret-456" not in said and KEY not in said


async def test_openai_images_b64_and_url_answers_within_the_visual_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("T2V_OPENAI_API_KEY", "openai-secret-789")
    calls: list[dict] = []

    def generate(request: Request) -> Reply:
        calls.append(request.json())
        n = len(calls) - 1
        if n == 1:  # one answer by URL on the same server, the others inline
            return Reply.json({"created": 1, "data": [{"url": f"{server.url}/files/1.jpg"}]})
        picture = base64.b64encode(jpeg(COLOURS[n])).decode()
        return Reply(
            body=json.dumps({"created": 1, "data": [{"b64_json": picture}]}).encode(),
            content_type="application/json",
            delay=0.3,
        )

    with FakeServer() as server:
        server.on("POST", "/v1/images/generations", default=generate)
        server.on("GET", "/files/1.jpg", default=Reply(body=jpeg(COLOURS[1]), content_type="image/jpeg"))
        visuals = f"openai-images:gpt-image-1@{server.url}/v1"
        options = RenderOptions(voice="espeak:en-us", resolution=360, visuals=visuals)
        titles = ["Apples", "Apples", "Orchards", "Rivers", "Mountains", "Harbours"]
        result = await renderer(tmp_path).render_plan(plan(titles), tmp_path / "gen.mp4", options)
        posts = [r for r in server.requests if r.path == "/v1/images/generations"]
        files = [r for r in server.requests if r.path == "/files/1.jpg"]
        max_in_flight = server.max_in_flight
    assert result.visuals == ("openai-images",) * 6
    assert len({c for c in colours_in(result.video) if c is not None}) == 6  # same title: two pictures
    assert 2 <= max_in_flight <= 4
    assert all(r.headers["authorization"] == "Bearer openai-secret-789" for r in posts)
    assert len(files) == 1  # the URL answer fetched once (same origin as the configured server)
    assert {c["model"] for c in calls} == {"gpt-image-1"} and {c["size"] for c in calls} == {"1536x1024"}
    assert "openai-secret-789" not in "\n".join(result.warnings) + caplog.text


def test_cli_render_prints_which_provider_and_the_credits(cli: CLI) -> None:
    talk = cli.cwd / "talk.md"
    talk.write_text("# Apples\n\nApples are crisp.\n", encoding="utf-8")
    with stand_in(FakeServer()) as server:
        cli.env["T2V_PEXELS_API_KEY"] = KEY
        done = cli.run("render", str(talk), "--resolution", "720", "--visuals", f"pexels@{server.url}")
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "Pictures: 1:pexels" in out
    assert "Credit: scene 1: Photo by Person 0 on Pexels (https://www.pexels.com/photo/1000/)" in out
    assert KEY not in out + done.stderr.decode()
