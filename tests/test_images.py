"""Images a document shows: formats, orientation, sizes, where they may come from, remote fetching,
bad input and placeholders, through `ImageService` (the pipeline's entry point) with real files and a
real HTTP server on 127.0.0.1.

127.0.0.1 plays the forbidden internal service. To exercise an allowed fetch, a test injects
`LOOPBACK_AS_PUBLIC_FOR_TESTS` (the stand-in filter of tests/test_outbound.py) instead of reaching a
real public address; without it, 127.0.0.1 is refused.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from app.config import load_settings
from app.core.diskcache import DiskCache
from app.core.net import HttpClient, HttpConfig, is_public_address
from app.core.queue_manager import Trust
from app.errors import ImageError, InputError, RemoteUnavailable
from app.services.images import (
    ImagePolicy,
    ImageService,
    MediaLimits,
    check_references,
    document_images,
    markdown_images,
    plan_images,
)
from app.services.images.found import FoundImage
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.planning.plan import ImageRef, Plan, Scene
from tests.images_support import (
    BLUE,
    GREEN,
    RED,
    animated_gif,
    animated_webp,
    huge_png,
    near,
    pixel,
    png,
    png_bytes,
    svg,
    two_colour_jpeg,
    webp,
)
from tests.test_outbound import LOOPBACK_AS_PUBLIC_FOR_TESTS
from tests.tts_server import FakeServer, Reply

FRAME = (1280, 720)


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    """The document's folder; `elsewhere/` beside it is outside."""
    folder = tmp_path / "doc"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    return folder


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def web() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


def service(allow=is_public_address, cache: DiskCache | None = None) -> ImageService:  # type: ignore[no-untyped-def]
    return ImageService(http=HttpClient(HttpConfig(retries=0, read_timeout=5), allow=allow), cache=cache)


def policy(root: Path | None = None, **kw: object) -> ImagePolicy:
    return ImagePolicy(root=root, frame=FRAME, **kw)  # type: ignore[arg-type]


async def resolve_one(src: str, pol: ImagePolicy, workdir: Path, svc: ImageService | None = None):  # type: ignore[no-untyped-def]
    svc = svc or service()
    try:
        return (await svc.resolve([FoundImage(src, "alt text")], pol, workdir))[src]
    finally:
        await svc.http.aclose()


async def refused(src: str, pol: ImagePolicy, workdir: Path, svc: ImageService | None = None) -> str:
    with pytest.raises(ImageError) as info:
        await resolve_one(src, pol, workdir, svc)
    message = str(info.value)
    assert "\n" not in message
    return message


# -- formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "colour"),
    [
        ("a.png", lambda p: png(p, colour=RED), RED),
        ("b.jpg", lambda p: two_colour_jpeg(p), RED),  # left half red
        ("c.webp", lambda p: webp(p, GREEN), GREEN),
        ("d.gif", animated_gif, RED),  # the first frame
        ("moving.webp", animated_webp, RED),  # the first frame
        ("e.svg", lambda p: svg(p), GREEN),
    ],
)
async def test_each_format_loads_as_a_png(doc: Path, workdir: Path, name: str, make, colour) -> None:  # type: ignore[no-untyped-def]
    make(doc / name)
    image = await resolve_one(name, policy(doc), workdir)
    assert not image.is_placeholder
    with Image.open(image.path) as im:
        assert im.format == "PNG" and im.mode in ("RGB", "RGBA") and im.size == image.size
    assert near(pixel(image.path, (0.1, 0.5)), colour), pixel(image.path, (0.1, 0.5))


async def test_the_type_comes_from_the_bytes_not_the_name(doc: Path, workdir: Path) -> None:
    png(doc / "photo.jpg", colour=BLUE)  # a PNG named .jpg
    assert near(pixel((await resolve_one("photo.jpg", policy(doc), workdir)).path, (0.5, 0.5)), BLUE)
    (doc / "page.png").write_text("<!DOCTYPE html>\n<html><body>Not found</body></html>")
    assert "is an HTML page, not an image" in await refused("page.png", policy(doc), workdir)
    (doc / "doc.png").write_bytes(b"%PDF-1.7\n...")
    assert "is a PDF document" in await refused("doc.png", policy(doc), workdir)


async def test_exif_orientation_is_applied(doc: Path, workdir: Path) -> None:
    """Orientation 6: the camera was turned; the picture is shown turned 90 degrees clockwise, so the
    left (red) half of the stored pixels is on top."""
    two_colour_jpeg(doc / "turned.jpg", orientation=6)
    image = await resolve_one("turned.jpg", policy(doc), workdir)
    assert image.size == (100, 200)
    assert near(pixel(image.path, (0.5, 0.1)), RED) and near(pixel(image.path, (0.5, 0.9)), BLUE)


async def test_a_large_image_is_scaled_to_just_cover_the_frame(doc: Path, workdir: Path) -> None:
    png(doc / "big.png", (4000, 3000))
    assert (await resolve_one("big.png", policy(doc), workdir)).size == (1280, 960)
    png(doc / "small.png", (300, 200))  # never scaled up
    assert (await resolve_one("small.png", policy(doc), workdir)).size == (300, 200)


async def test_transparency_and_16_bit_grey_survive(doc: Path, workdir: Path) -> None:
    png(doc / "alpha.png", colour=(*RED, 0), mode="RGBA")
    with Image.open((await resolve_one("alpha.png", policy(doc), workdir)).path) as im:
        assert im.mode == "RGBA" and im.getpixel((0, 0))[3] == 0
    Image.new("I;16", (10, 10), 32768).save(doc / "grey16.png")
    grey = pixel((await resolve_one("grey16.png", policy(doc), workdir)).path, (0.5, 0.5))
    assert 120 <= grey[0] <= 136, f"scaled to 8 bits, not clipped to white: {grey}"


async def test_svg_must_be_self_contained(doc: Path, workdir: Path, tmp_path: Path) -> None:
    secret = png(tmp_path / "elsewhere" / "secret.png", colour=BLUE)
    svg(doc / "reads.svg", f'<image href="{secret}" width="160" height="90"/>')
    assert "may embed images" in await refused("reads.svg", policy(doc), workdir)
    svg(doc / "relative.svg", '<image xlink:href="../elsewhere/secret.png" width="160" height="90"/>')
    assert "../elsewhere/secret.png" in await refused("relative.svg", policy(doc), workdir)
    svg(doc / "remote.svg", '<image href="http://127.0.0.1:9/x.png" width="9" height="9"/>')
    await refused("remote.svg", policy(doc), workdir)
    (doc / "entity.svg").write_text(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&a;</text></svg>'
    )
    assert "DTD" in await refused("entity.svg", policy(doc), workdir)
    embedded = base64.b64encode(png_bytes(colour=BLUE)).decode()
    svg(doc / "embeds.svg", f'<image href="data:image/png;base64,{embedded}" width="160" height="90"/>')
    assert near(pixel((await resolve_one("embeds.svg", policy(doc), workdir)).path, (0.5, 0.5)), BLUE)


async def test_a_data_url_image(workdir: Path) -> None:
    """Bytes written into the document itself are no file and no request: allowed for anyone."""
    url = "data:image/png;base64," + base64.b64encode(png_bytes(colour=GREEN)).decode()
    image = await resolve_one(url, policy(None), workdir)
    assert near(pixel(image.path, (0.5, 0.5)), GREEN)


# -- bad input -------------------------------------------------------------------------------------


async def test_a_decompression_bomb_is_refused_before_decoding(doc: Path, workdir: Path) -> None:
    huge_png(doc / "bomb.png")  # 20000 x 20000, 48 KB
    started = time.perf_counter()
    message = await refused("bomb.png", policy(doc), workdir)
    assert "'bomb.png'" in message and "400 megapixels" in message and "50-megapixel limit" in message
    assert time.perf_counter() - started < 30  # generous: nothing was decoded (not a timing test)
    png(doc / "wide.png", (300, 200))  # under Pillow's own limit, over ours
    message = await refused(
        "wide.png", policy(doc, limits=replace(MediaLimits.for_images(), max_pixels=10_000)), workdir
    )
    assert "300x200" in message and "0.01-megapixel limit" in message


async def test_a_corrupt_or_truncated_image_is_refused(doc: Path, workdir: Path) -> None:
    data = (png(doc / "whole.png", (300, 300))).read_bytes()
    (doc / "cut.png").write_bytes(data[: len(data) // 2])
    assert "'cut.png' cannot be decoded: it is corrupt or truncated" in await refused(
        "cut.png", policy(doc), workdir
    )
    (doc / "noise.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    assert "cannot be decoded" in await refused("noise.jpg", policy(doc), workdir)
    (doc / "empty.png").write_bytes(b"")
    assert "is empty" in await refused("empty.png", policy(doc), workdir)


async def test_a_file_over_the_size_limit_is_refused_unread(doc: Path, workdir: Path) -> None:
    png(doc / "a.png", (200, 200))
    message = await refused(
        "a.png", policy(doc, limits=replace(MediaLimits.for_images(), max_bytes=100)), workdir
    )
    assert "over the 100 bytes limit" in message


async def test_a_missing_image_names_the_file(doc: Path, workdir: Path) -> None:
    message = await refused("charts/q3.png", policy(doc), workdir)
    assert message == f"image 'charts/q3.png': no such file in {doc.resolve()}"


async def test_paths_leading_out_of_the_folder_are_refused(doc: Path, workdir: Path, tmp_path: Path) -> None:
    outside = png(tmp_path / "elsewhere" / "x.png")
    assert "outside" in await refused("../elsewhere/x.png", policy(doc), workdir)
    (doc / "link.png").symlink_to(outside)
    message = await refused("link.png", policy(doc), workdir)
    assert "'link.png' is outside" in message and "elsewhere/x.png" in message
    assert "outside" in await refused(str(outside), policy(doc), workdir)
    (doc / "sub").mkdir()
    (doc / "sub" / "up").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert "outside" in await refused("sub/up/x.png", policy(doc), workdir)


async def test_links_and_absolute_paths_inside_the_folder_are_fine(doc: Path, workdir: Path) -> None:
    png(doc / "real.png", colour=BLUE)
    (doc / "alias.png").symlink_to(doc / "real.png")
    assert near(pixel((await resolve_one("alias.png", policy(doc), workdir)).path, (0.5, 0.5)), BLUE)
    assert (await resolve_one(str(doc / "real.png"), policy(doc), workdir)).size == (64, 48)
    png(doc / "my chart.png")  # Markdown writes the space as %20
    [found] = markdown_images("![c](<my chart.png>)")
    assert found.src == "my%20chart.png"
    assert (await resolve_one(found.src, policy(doc), workdir)).size == (64, 48)


async def test_devices_pipes_and_directories_are_refused_without_reading(doc: Path, workdir: Path) -> None:
    (doc / "zero.png").symlink_to("/dev/zero")
    assert "outside" in await refused("zero.png", policy(doc), workdir)
    assert "not a regular file" in await refused("zero", policy(Path("/dev")), workdir)
    os.mkfifo(doc / "pipe.png")  # opening it for reading would wait for a writer forever
    assert "not a regular file" in await refused("pipe.png", policy(doc), workdir)
    (doc / "folder.png").mkdir()
    assert "is a directory" in await refused("folder.png", policy(doc), workdir)


async def test_without_a_folder_local_images_are_refused(workdir: Path, doc: Path) -> None:
    png(doc / "a.png")
    caller = ImagePolicy.for_render(RenderOptions(), Trust.CALLER, _settings(), document_dir=doc)
    assert caller.root is None, "a caller's render has no folder, whatever it is given"
    message = await refused(str(doc / "a.png"), caller, workdir)
    assert "documents sent to the service have no folder" in message
    assert "pass --assets-root DIR" in await refused("a.png", policy(None), workdir)
    assert "not supported" in await refused("file:///etc/passwd", policy(doc), workdir)


def test_callers_cannot_name_a_folder_or_turn_on_remote_images() -> None:
    with pytest.raises(InputError, match="assets_root"):
        parse_render_options({"assets_root": "/srv"}, trust=Trust.CALLER, settings=load_settings())
    with pytest.raises(InputError, match="allow_remote_images"):
        parse_render_options({"allow_remote_images": True}, trust=Trust.CALLER, settings=load_settings())
    assert parse_render_options(
        {"skip_missing_images": True}, trust=Trust.CALLER, settings=load_settings()
    ).skip_missing_images
    with pytest.raises(InputError, match="absolute"):
        parse_render_options({"assets_root": "pics"}, trust=Trust.OPERATOR, settings=load_settings())
    assert (
        parse_render_options(
            {"assets_root": "/srv"}, trust=Trust.OPERATOR, settings=load_settings()
        ).assets_root
        == "/srv"
    )


def test_images_and_clips_take_their_limits_from_their_own_settings() -> None:
    from app.config import Settings

    settings = Settings(max_image_bytes=111, max_clip_bytes=222, max_clip_pixels=333, clip_fetch_deadline=4.5)
    image, clip = MediaLimits.for_images(settings), MediaLimits.for_clips(settings)
    assert (image.max_bytes, image.fetch.content_types) == (111, ("image/*",))
    assert (clip.max_bytes, clip.max_pixels, clip.fetch.deadline) == (222, 333, 4.5)
    assert "video/mp4" in clip.fetch.content_types and "image/*" not in clip.fetch.content_types
    # without settings: the settings' defaults, written once in app.config
    assert MediaLimits.for_images() == MediaLimits.for_images(Settings.model_construct())
    assert MediaLimits.for_clips().max_bytes == Settings.model_fields["max_clip_bytes"].default


def test_the_cheap_check_reads_nothing(tmp_path: Path) -> None:
    images = markdown_images("# A\n\n![x](pics/a.png)\n\n```\n![not an image](in/code.png)\n```\n")
    assert [i.src for i in images] == ["pics/a.png"]
    caller = ImagePolicy(no_root="no folder here", remote_off="remote off here")
    with pytest.raises(ImageError, match="no folder here"):
        check_references(images, caller)
    with pytest.raises(ImageError, match="remote off here"):
        check_references(markdown_images("![x](https://example.com/a.png)"), caller)
    check_references(markdown_images("![x](https://example.com/a.png)"), ImagePolicy(allow_remote=True))
    check_references(images, ImagePolicy(skip_missing=True))


# -- remote images ---------------------------------------------------------------------------------


async def test_remote_images_are_off_unless_allowed(web: FakeServer, workdir: Path) -> None:
    web.on("GET", "/a.png", default=Reply(body=png_bytes(), content_type="image/png"))
    message = await refused(f"{web.url}/a.png?token=secret", policy(None), workdir)
    assert "remote images are off" in message and "token=secret" not in message
    assert web.requests == []


async def test_an_allowed_remote_image_is_fetched_once_and_cached(
    web: FakeServer, workdir: Path, tmp_path: Path
) -> None:
    web.on("GET", "/a.png", default=Reply(body=png_bytes(colour=BLUE), content_type="image/png"))
    cache = DiskCache(tmp_path / "cache")
    pol = policy(None, allow_remote=True)
    image = await resolve_one(f"{web.url}/a.png", pol, workdir, service(LOOPBACK_AS_PUBLIC_FOR_TESTS, cache))
    assert near(pixel(image.path, (0.5, 0.5)), BLUE)
    assert web.requests[0].headers.get("accept") == "image/*"
    again = await resolve_one(f"{web.url}/a.png", pol, workdir, service(LOOPBACK_AS_PUBLIC_FOR_TESTS, cache))
    assert again.size == image.size and web.count("GET", "/a.png") == 1, "cached by URL"


async def test_loopback_is_refused_without_the_stand_in(web: FakeServer, workdir: Path) -> None:
    web.on("GET", "/a.png", default=Reply(body=png_bytes(), content_type="image/png"))
    message = await refused(f"{web.url}/a.png", policy(None, allow_remote=True), workdir)
    assert "loopback" in message
    assert web.requests == []


async def test_a_redirect_to_an_internal_address_is_refused(web: FakeServer, workdir: Path) -> None:
    """The first hop is "public" (the stand-in); the redirect goes to another loopback address,
    which the guard refuses before connecting."""
    web.on(
        "GET", "/a.png", default=Reply(status=302, headers={"Location": f"http://127.0.0.2:{web.port}/b.png"})
    )
    svc = service(LOOPBACK_AS_PUBLIC_FOR_TESTS)
    message = await refused(f"{web.url}/a.png", policy(None, allow_remote=True), workdir, svc)
    assert "loopback" in message
    assert web.count("GET", "/a.png") == 1, "the first hop was allowed (the stand-in)"
    assert web.count("GET", "/b.png") == 0


async def test_html_instead_of_an_image_is_refused(web: FakeServer, workdir: Path) -> None:
    web.on("GET", "/page", default=Reply(body=b"<html><body>hello</body></html>", content_type="text/html"))
    web.on("GET", "/lying.png", default=Reply(body=b"<!doctype html><html></html>", content_type="image/png"))
    pol = policy(None, allow_remote=True)
    message = await refused(f"{web.url}/page", pol, workdir, service(LOOPBACK_AS_PUBLIC_FOR_TESTS))
    assert "text/html" in message and "image/*" in message
    message = await refused(f"{web.url}/lying.png", pol, workdir, service(LOOPBACK_AS_PUBLIC_FOR_TESTS))
    assert "is an HTML page" in message, "the bytes decide, not the Content-Type"


async def test_remote_limits_and_errors(web: FakeServer, workdir: Path) -> None:
    web.on("GET", "/big.png", default=Reply(body=png_bytes((400, 400)), content_type="image/png"))
    web.on("GET", "/gone.png", default=Reply(status=404))
    web.on("GET", "/down.png", default=Reply(status=503))
    pol = policy(None, allow_remote=True, limits=replace(MediaLimits.for_images(), max_bytes=200))
    allow = LOOPBACK_AS_PUBLIC_FOR_TESTS
    too_large = await refused(f"{web.url}/big.png", pol, workdir, service(allow))
    assert "larger than the 200 bytes limit" in too_large
    assert "HTTP 404" in await refused(f"{web.url}/gone.png", pol, workdir, service(allow))
    with pytest.raises(RemoteUnavailable):  # the server's trouble, not the document's: a job retries
        await resolve_one(f"{web.url}/down.png", pol, workdir, service(allow))


# -- placeholders, the plan ------------------------------------------------------------------------


async def test_skip_missing_images_puts_a_placeholder_for_each_bad_one(
    doc: Path, workdir: Path, tmp_path: Path, web: FakeServer
) -> None:
    huge_png(doc / "bomb.png")
    (doc / "cut.png").write_bytes(png(doc / "ok.png", (300, 300)).read_bytes()[:200])
    png(tmp_path / "elsewhere" / "x.png")
    (doc / "link.png").symlink_to(tmp_path / "elsewhere" / "x.png")
    bad = ["missing.png", "cut.png", "bomb.png", "../elsewhere/x.png", "link.png", f"{web.url}/x.png"]
    images = [FoundImage(src, f"picture {i}") for i, src in enumerate(bad)] + [FoundImage("ok.png")]
    resolved = await service().resolve(images, policy(doc, skip_missing=True), workdir)
    assert [resolved[s].is_placeholder for s in bad] == [True] * len(bad)
    assert not resolved["ok.png"].is_placeholder
    assert len(resolved.warnings) == len(bad)
    assert all(w.endswith("; showing a placeholder") and "\n" not in w for w in resolved.warnings)
    panel = resolved["missing.png"]
    assert panel.size == (640, 360) and near(pixel(panel.path, (0.05, 0.5)), (92, 99, 110), 10)
    assert web.requests == []


async def test_placeholders_show_their_alt_text(workdir: Path) -> None:
    first = await service().resolve(
        [FoundImage("a.png", "Sales by region")], policy(None, skip_missing=True), workdir
    )
    other = await service().resolve(
        [FoundImage("a.png", "Biểu đồ")], policy(None, skip_missing=True), workdir
    )
    with Image.open(first["a.png"].path) as a, Image.open(other["a.png"].path) as b:
        assert a.tobytes() != b.tobytes(), "the text drawn differs with the alt text"


async def test_resolved_images_replace_the_plan_paths(doc: Path, workdir: Path) -> None:
    png(doc / "a.png")
    plan = Plan(
        scenes=[
            Scene(id="s1", layout="full_image", image=ImageRef(path="a.png", alt="A"), narration="Look."),
            Scene(id="s2", layout="prose", narration="Text."),
        ]
    )
    resolved = await service().resolve(plan_images(plan), policy(doc), workdir)
    drawn = resolved.apply(plan)
    assert drawn.scenes[0].image is not None and Path(drawn.scenes[0].image.path) == resolved["a.png"].path
    assert drawn.scenes[0].image.alt == "A" and drawn.scenes[1] == plan.scenes[1]
    assert plan.scenes[0].image is not None and plan.scenes[0].image.path == "a.png", "the plan is unchanged"


def test_document_images_reads_image_blocks_and_pictures() -> None:
    """A document's Content (ImageBlocks, a page's picture) is what the pipeline passes; a Document is
    read with its format's reader first."""
    from app.services.documents import Content, Document, ImageBlock, Page, Paragraph

    content = Content((Paragraph("x"), ImageBlock("a.png", "A"), Page(ImageBlock("slide.png"), "S")))
    assert [i.src for i in document_images(content)] == ["a.png", "slide.png"]
    raw = Document("# T\n\n![x](b.png) and ![y][ref]\n\n- ![z](d.png)\n\n[ref]: c.png\n", "md")
    found = [(i.src, i.alt) for i in document_images(raw)]
    assert found == [("b.png", "x"), ("c.png", "y"), ("d.png", "z")]


def _settings():  # type: ignore[no-untyped-def]
    from app.config import Settings

    return Settings()
