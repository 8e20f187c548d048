"""HTML files and web pages: the main content kept with its structure, and fetching only when allowed,
through the guarded client (public addresses only, after DNS and on every redirect), within limits.
Real HTTP servers on 127.0.0.1; `LOOPBACK_AS_PUBLIC_FOR_TESTS` stands in for a public address."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.net import FetchLimits, HttpClient
from app.errors import InputError
from app.services.documents import (
    Heading,
    ImageBlock,
    ListBlock,
    Paragraph,
    TableBlock,
    document_from_bytes,
    fetch_client,
    fetch_document,
    inline_plain,
    read_document,
)
from tests.conftest import CLI
from tests.test_outbound import LOOPBACK_AS_PUBLIC_FOR_TESTS
from tests.tts_server import FakeServer, Reply

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Tin tức: Hà Nội</title></head>
<body><nav><a href="/">Trang chủ</a> | <a href="/tin">Tin tức</a> | <a href="/lien-he">Liên hệ</a></nav>
<div class="cookie">Trang này dùng cookie. <button>Đồng ý</button></div>
<article><h1>Hà Nội mùa thu</h1>
<p>Mùa thu ở <b>Hà Nội</b> thật đẹp. Lá vàng rơi khắp phố, và người dân đi dạo bên hồ mỗi sáng sớm.</p>
<h2>Những điều nên làm</h2><ol><li>Đi dạo quanh hồ Gươm vào buổi sáng.</li><li>Ăn cốm làng Vòng.</li></ol>
<p><img src="/anh/ho-guom.png" alt="Hồ Gươm buổi sáng"></p>
<table><tr><th>Món</th><th>Giá</th></tr><tr><td>Cốm</td><td>50.000 đ</td></tr>
<tr><td>Phở</td><td>45.000 đ</td></tr></table>
<p>Thời tiết mát mẻ, rất thích hợp để đi du lịch. Hãy ghé thăm vào tháng mười.</p></article>
<footer>© 2026 Báo ABC. Mọi quyền được bảo lưu.</footer><script>var tracking = 1;</script></body></html>
"""


def check_article(blocks: tuple[object, ...]) -> None:
    text = " ".join(inline_plain(b.text) for b in blocks if isinstance(b, Paragraph | Heading))
    assert [inline_plain(b.text) for b in blocks if isinstance(b, Heading)] == [
        "Hà Nội mùa thu",
        "Những điều nên làm",
    ]
    assert "Mùa thu ở **Hà Nội** thật đẹp" in next(b.text for b in blocks if isinstance(b, Paragraph))
    (steps,) = [b for b in blocks if isinstance(b, ListBlock)]
    assert [(i.marker, inline_plain(i.text)) for i in steps.items] == [
        ("1.", "Đi dạo quanh hồ Gươm vào buổi sáng."),
        ("2.", "Ăn cốm làng Vòng."),
    ]
    (table,) = [b for b in blocks if isinstance(b, TableBlock)]
    assert table.header == ("Món", "Giá") and table.rows[1] == ("Phở", "45.000 đ")
    for noise in ("Trang chủ", "cookie", "Báo ABC", "tracking"):
        assert noise not in text


def test_an_html_file_keeps_its_article() -> None:
    content = read_document(document_from_bytes(PAGE.encode(), "tin.html", None))
    check_article(content.blocks)
    (image,) = [b for b in content.blocks if isinstance(b, ImageBlock)]
    assert (image.src, image.alt) == ("/anh/ho-guom.png", "Hồ Gươm buổi sáng")
    assert content.meta.title == "Hà Nội mùa thu"


def test_a_fragment_is_read_whole() -> None:
    content = read_document(document_from_bytes(b"<p>Xin ch\xc3\xa0o.</p>", "a.html", None))
    assert content.blocks == (Paragraph("Xin chào."),)


def fetch(url: str, http: HttpClient, **limits: float) -> object:
    fetch_limits = FetchLimits(
        max_bytes=int(limits.get("max_bytes", 1_000_000)), deadline=limits.get("deadline", 10)
    )
    return asyncio.run(_fetch(url, http, fetch_limits))


async def _fetch(url: str, http: HttpClient, limits: FetchLimits) -> object:
    try:
        return await fetch_document(url, http, limits)
    finally:
        await http.aclose()


@pytest.fixture
def site():  # type: ignore[no-untyped-def]
    with FakeServer() as server:
        server.on(
            "GET", "/tin/ha-noi", default=Reply(body=PAGE.encode(), content_type="text/html; charset=utf-8")
        )
        yield server


def test_a_fetched_page_becomes_its_article(site: FakeServer) -> None:
    document = fetch(f"{site.url}/tin/ha-noi", HttpClient(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS))
    assert document.format == "md" and document.name == "ha-noi"  # type: ignore[attr-defined]
    content = read_document(document)  # type: ignore[arg-type]
    check_article(content.blocks)
    (image,) = [b for b in content.blocks if isinstance(b, ImageBlock)]
    assert image.src == f"{site.url}/anh/ho-guom.png", "made absolute against the page's address"
    assert content.meta.title == "Hà Nội mùa thu"


def test_internal_addresses_are_refused(site: FakeServer) -> None:
    with pytest.raises(InputError, match="loopback") as info:
        fetch(f"{site.url}/tin/ha-noi", fetch_client(load_settings()))
    public = info.value.public or ""
    assert "ha-noi" in public and "127.0.0.1" not in public.split("ha-noi", 1)[1], "no address but the URL"
    # a "public" page that redirects to another loopback address: refused at the hop
    site.on(
        "GET", "/moved", default=Reply(status=302, headers={"Location": f"http://127.0.0.2:{site.port}/x"})
    )
    with pytest.raises(InputError, match="loopback"):
        fetch(f"{site.url}/moved", HttpClient(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS))
    assert site.count("GET", "/tin/ha-noi") == 0, "nothing reached the server"


def test_limits_of_a_fetch(site: FakeServer) -> None:
    public = HttpClient(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS)
    with pytest.raises(InputError, match=r"larger than the 500 bytes limit"):
        fetch(f"{site.url}/tin/ha-noi", public, max_bytes=500)
    site.on("GET", "/slow", default=Reply(body=PAGE.encode(), content_type="text/html", delay=5))
    with pytest.raises(InputError, match=r"within|deadline|took|seconds"):
        fetch(f"{site.url}/slow", HttpClient(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS), deadline=0.5)
    for bad in ("ftp://example.com/a.html", "http:///nohost", "https://user:pw@example.com/"):
        with pytest.raises(InputError, match=r"not an http|user name"):
            fetch(bad, HttpClient(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS))


def test_cli_fetches_only_when_allowed(cli: CLI, site: FakeServer, tmp_path: Path) -> None:
    url = f"{site.url}/tin/ha-noi"
    off = cli.run("render", url, "-o", "out.mp4", "-q")
    assert off.returncode == 2
    assert (
        off.stderr.decode().strip()
        == f"t2v: error: {url}: reading a web address needs --allow-fetch (or T2V_ALLOW_FETCH=1)"
    )
    public_only = cli.run("render", url, "-o", "out.mp4", "-q", "--allow-fetch")
    assert public_only.returncode == 2
    (line,) = public_only.stderr.decode().strip().splitlines()
    assert "loopback" in line
    assert site.count("GET", "/tin/ha-noi") == 0
    assert not (cli.cwd / "out.mp4").exists()


@pytest.mark.slow
def test_cli_renders_a_page_on_a_private_address_when_allowed(cli: CLI, site: FakeServer) -> None:
    url = f"{site.url}/tin/ha-noi"
    flags = ("--allow-fetch", "--allow-private-urls", "--skip-missing-images", "--voice", "espeak:vi", "-q")
    done = cli.run("render", url, "-o", "out.mp4", *flags)
    assert done.returncode == 0, done.stderr.decode()
    srt = (cli.cwd / "out.srt").read_text(encoding="utf-8")
    assert "Hà Nội" in srt and "Trang chủ" not in srt
