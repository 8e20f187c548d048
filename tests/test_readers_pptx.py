"""The PPTX reader: decks made by python-pptx, a page per slide narrated from its speaker notes, the
slide's picture by LibreOffice (when installed) or redrawn, and rendered for real."""

from __future__ import annotations

import io
from pathlib import Path

import pptx
import pytest
from PIL import Image
from pptx.util import Inches

from app.errors import InputError
from app.services.documents import (
    DocumentLimits,
    Page,
    ReadOptions,
    document_from_bytes,
    parse_pages,
    read_document,
)
from app.services.documents.pages import libreoffice_available
from tests.conftest import CLI, missing_part
from tests.pdf_support import shows_color

GREEN = (30, 160, 40)


def png(color: tuple[int, int, int]) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, "PNG")
    out.seek(0)
    return out


def deck(slides: int = 3, hidden: tuple[int, ...] = (2,), notes: bool = True) -> bytes:
    p = pptx.Presentation()
    p.slide_width, p.slide_height = Inches(13.333), Inches(7.5)
    p.core_properties.title = "Bài giảng"
    for n in range(1, slides + 1):
        if n == 3:
            s = p.slides.add_slide(p.slide_layouts[5])
            s.shapes.title.text = "Biểu đồ"
            s.shapes.add_picture(png(GREEN), Inches(1), Inches(1.5), Inches(11.3), Inches(5.8))
        else:
            s = p.slides.add_slide(p.slide_layouts[1])
            s.shapes.title.text = f"Trang {n}"
            body = s.placeholders[1].text_frame
            body.text = "Điểm một"
            body.add_paragraph().text = "Điểm **hai**"
            if notes:
                s.notes_slide.notes_text_frame.text = f"Xin chào, đây là trang {n}."
        if n in hidden:
            s.element.set("show", "0")
    out = io.BytesIO()
    p.save(out)
    return out.getvalue()


def pages(data: bytes, **reading: str) -> list[Page]:
    doc = document_from_bytes(data, "talk.pptx", None, reading=ReadOptions.of(**reading))
    content = read_document(doc)
    assert all(isinstance(b, Page) for b in content.blocks)
    return list(content.blocks)  # type: ignore[arg-type]


def test_a_page_per_visible_slide_narrated_from_its_notes() -> None:
    first, chart = pages(deck(), pptx_picture="redraw")
    assert (first.title, first.text, first.narration) == (
        "Trang 1",
        ("Điểm một", "Điểm \\*\\*hai\\*\\*"),
        "Xin chào, đây là trang 1.",
    )
    assert first.picture is None and first.images == ()  # redrawn by the planner
    assert chart.title == "Biểu đồ" and chart.narration == "Biểu đồ"  # no notes nor text: its title
    (own,) = chart.images
    assert own.src == "talk.pptx#slide3-image1.png" and own.data is not None
    content = read_document(
        document_from_bytes(deck(), "talk.pptx", None, reading=ReadOptions.of(None, "redraw"))
    )
    assert content.meta.title == "Bài giảng"
    assert content.warnings == ("talk.pptx: slide 3 has no speaker notes; their own text is read instead",)


def test_pages_pick_slides_by_their_number_in_the_deck() -> None:
    (only,) = pages(deck(4), pages="3", pptx_picture="redraw")
    assert only.title == "Biểu đồ"
    assert [p.title for p in pages(deck(4), pages="2-", pptx_picture="redraw")] == ["Biểu đồ", "Trang 4"]
    with pytest.raises(InputError, match=r"talk\.pptx has 4 slides; --pages 9- starts after its end"):
        pages(deck(4), pages="9-")


def test_bad_decks() -> None:
    empty = io.BytesIO()
    pptx.Presentation().save(empty)
    with pytest.raises(InputError, match=r"talk\.pptx has no slides"):
        document_from_bytes(empty.getvalue(), "talk.pptx", None)
    with pytest.raises(InputError, match="every chosen slide is hidden"):
        document_from_bytes(deck(2, hidden=(1, 2)), "talk.pptx", None)
    with pytest.raises(InputError, match=r"talk\.pptx has 5 slides, over the limit of 3"):
        document_from_bytes(deck(5), "talk.pptx", None, limits=DocumentLimits(pages=3))
    picked = ReadOptions(parse_pages("1-3"))
    assert document_from_bytes(deck(5), "talk.pptx", None, limits=DocumentLimits(pages=3), reading=picked)


def test_outside_links_are_refused_before_libreoffice_sees_them() -> None:
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    p = pptx.Presentation()
    slide = p.slides.add_slide(p.slide_layouts[5])
    slide.shapes.title.text = "Linked"
    slide.part.relate_to("http://10.0.0.7/secret.png", RT.IMAGE, is_external=True)
    slide.part.relate_to("https://example.com/", RT.HYPERLINK, is_external=True)  # fine: not fetched
    out = io.BytesIO()
    p.save(out)
    with pytest.raises(InputError, match=r"talk\.pptx: a picture links to 'http://10\.0\.0\.7/secret\.png'"):
        document_from_bytes(out.getvalue(), "talk.pptx", None)


def need_libreoffice() -> None:
    if not libreoffice_available():
        missing_part("libreoffice", "soffice is not installed")


def test_libreoffice_draws_the_slides() -> None:
    need_libreoffice()
    first, chart = pages(deck())
    assert first.picture is not None and chart.picture is not None
    assert chart.picture.src == "talk.pptx#slide3.png"
    picture = Image.open(io.BytesIO(chart.picture.data or b"")).convert("RGB")
    w, h = picture.size
    assert w == 1920 and abs(h - 1080) <= 2
    pixel = picture.getpixel((w // 2, int(h * 0.6)))
    off = max(abs(a - b) for a, b in zip(pixel, GREEN, strict=True))
    assert off <= 3, "the slide's own picture, where it was put"
    assert picture.getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.slow
def test_render_a_deck(cli: CLI) -> None:
    src = cli.cwd / "talk.pptx"
    src.write_bytes(deck())
    result = cli.run(
        "render", str(src), "-o", "out.mp4", "--voice", "espeak:vi", "-q", "--pptx-picture", "redraw"
    )
    assert result.returncode == 0, result.stderr.decode()
    assert (cli.cwd / "out.mp4").stat().st_size > 10_000
    err = result.stderr.decode()
    assert "t2v: warning: talk.pptx: slide 3 has no speaker notes" in err
    assert "đây là trang 1" in (cli.cwd / "out.srt").read_text(encoding="utf-8")
    assert shows_color(cli.cwd / "out.mp4", GREEN), "the slide's own picture, beside its redrawn text"


@pytest.mark.slow
def test_render_a_deck_drawn_by_libreoffice(cli: CLI) -> None:
    need_libreoffice()
    src = cli.cwd / "talk.pptx"
    src.write_bytes(deck())
    result = cli.run("render", str(src), "-o", "out.mp4", "--voice", "espeak:vi", "-q")
    assert result.returncode == 0, result.stderr.decode()
    assert shows_color(cli.cwd / "out.mp4", GREEN), "the slide as LibreOffice drew it"


def test_libreoffice_missing_is_one_line(cli: CLI, tmp_path: Path) -> None:
    src = cli.cwd / "talk.pptx"
    src.write_bytes(deck(1))
    env_path = cli.env["PATH"]
    cli.env["PATH"] = str(tmp_path)  # no soffice on this PATH (python is run by its full path)
    try:
        result = cli.run("render", str(src), "-o", "out.mp4", "-q", "--pptx-picture", "libreoffice")
    finally:
        cli.env["PATH"] = env_path
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        "t2v: error: --pptx-picture libreoffice: LibreOffice (soffice) is not installed here"
    ]


def test_a_deck_is_read_once_in_a_row() -> None:
    data = deck()
    redraw = ReadOptions.of(None, "redraw")
    first = read_document(document_from_bytes(data, "talk.pptx", None, reading=redraw))
    again = read_document(document_from_bytes(data, "talk.pptx", None, reading=redraw))
    assert again is first, "the same bytes read the same way: the kept result"
    other = read_document(document_from_bytes(data, "talk.pptx", None, reading=ReadOptions.of("1", "redraw")))
    assert other is not first and len(other.blocks) == 1


def test_plan_json_of_a_deck(cli: CLI) -> None:
    import json

    (cli.cwd / "talk.pptx").write_bytes(deck())
    result = cli.run("plan", "talk.pptx", "--json", "--pptx-picture", "redraw", "--pages", "1-3")
    assert result.returncode == 0, result.stderr.decode()
    scenes = json.loads(result.stdout)["scenes"]
    narrations = [s["narration"] for s in scenes]
    assert "Xin chào, đây là trang 1." in narrations  # the speaker notes are what is said
    assert all("Trang 2" not in n for n in narrations), "the hidden slide is skipped"
    (chart,) = [s for s in scenes if s["image"] is not None]
    assert chart["image"]["path"] == "talk.pptx#slide3-image1.png" and chart["title"] == "Biểu đồ"
