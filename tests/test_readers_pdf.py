"""The PDF reader: reports (headings, re-flowed paragraphs, lists, pictures; running headers, footers
and page numbers dropped; hyphenation undone) and slide PDFs (a page per scene, the page its picture),
and every refusal in one line. Fixtures are written by fpdf2 with Vietnamese text."""

from __future__ import annotations

import io
import time

import pytest
from fpdf import FPDF
from PIL import Image

from app.errors import InputError
from app.services.documents import (
    DocumentLimits,
    Heading,
    ImageBlock,
    ListBlock,
    Page,
    Paragraph,
    ReadOptions,
    TableBlock,
    document_from_bytes,
    inline_plain,
    read_document,
)
from tests.conftest import CLI
from tests.pdf_support import png_bytes, report_pdf, slides_pdf, two_column_pdf


def read(data: bytes, pages: str | None = None):  # type: ignore[no-untyped-def]
    return read_document(document_from_bytes(data, "doc.pdf", None, reading=ReadOptions.of(pages)))


def test_a_report_keeps_its_structure() -> None:
    content = read(report_pdf())
    blocks = content.blocks
    headings = [(inline_plain(b.text), b.level) for b in blocks if isinstance(b, Heading)]
    assert headings == [
        ("Chương 1: Kết quả kinh doanh", 1),
        ("Những điểm chính", 2),
        ("Chương 2: Kết quả kinh doanh", 1),
        ("Chương 3: Kết quả kinh doanh", 1),
    ]
    paragraphs = [inline_plain(b.text) for b in blocks if isinstance(b, Paragraph)]
    # every paragraph whole: re-flowed across line and page breaks, none starting mid-sentence
    starts = [p.split(".")[0] for p in paragraphs if p.startswith("Đoạn")]
    assert starts == [f"Đoạn {s}" for s in (1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3)]
    assert all(p.endswith("quan trọng cho mọi người.") for p in paragraphs if p.startswith("Đoạn"))
    assert "We improved how the teams share their internal communication during the year." in paragraphs
    everything = " ".join(paragraphs + [inline_plain(b.text) for b in blocks if isinstance(b, Heading)])
    assert "Công ty ABC" not in everything and "Trang " not in everything, "running lines dropped"
    (points,) = [b for b in blocks if isinstance(b, ListBlock)]
    assert [inline_plain(i.text) for i in points.items] == [
        "Doanh thu tăng mười phần trăm.",
        "Chi phí giảm.",
        "Khách hàng hài lòng hơn.",
    ]
    (table,) = [b for b in blocks if isinstance(b, TableBlock)]
    assert table == TableBlock(("Quý", "Doanh thu"), (("Quý 1", "120 tỷ"), ("Quý 2", "135 tỷ")))
    assert "120 tỷ" not in everything, "a table's words are not read again as text"
    assert blocks.index(points) < blocks.index(table), "the table stays where it was"
    (picture,) = [b for b in blocks if isinstance(b, ImageBlock)]
    shown = Image.open(io.BytesIO(picture.data or b"")).convert("RGB")
    assert shown.getpixel((shown.width // 2, shown.height // 2)) == (200, 40, 40)
    assert blocks.index(picture) > blocks.index(points), "the picture stays where it was"


def test_two_columns_are_read_one_after_the_other() -> None:
    blocks = read(two_column_pdf()).blocks
    assert blocks[0] == Heading("Hai cột chữ", 1)
    (para,) = [inline_plain(b.text) for b in blocks if isinstance(b, Paragraph)]
    assert para.startswith("Cột trái bắt đầu ở đây.") and para.endswith("Hết cột phải.")
    assert "Câu này tiếp tục sang cột phải mà không ngắt." in para


def test_slide_pdfs_become_pages_with_their_picture() -> None:
    content = read(slides_pdf(4))
    assert all(isinstance(b, Page) for b in content.blocks)
    pages = [b for b in content.blocks if isinstance(b, Page)]
    assert [p.title for p in pages] == [f"Trang chiếu {n}" for n in range(1, 5)]
    assert pages[1].text == ("• Ý chính số 2", "• Một ý nữa") and pages[1].narration is None
    assert pages[0].picture is not None
    picture = Image.open(io.BytesIO(pages[0].picture.data or b"")).convert("RGB")
    assert max(picture.size) == 1920
    assert picture.getpixel((picture.width - 10, 10)) == (20, 60, 140), "the page as drawn"
    chosen = read(slides_pdf(6), pages="2-3").blocks
    assert [p.title for p in chosen if isinstance(p, Page)] == ["Trang chiếu 2", "Trang chiếu 3"]


def encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Secret words in a protected file.")
    pdf.set_encryption(owner_password="owner", user_password="user")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(io.BytesIO(png_bytes((240, 240, 240), (600, 800))), x=0, y=0, w=210)
    return bytes(pdf.output())


def blank_pages(n: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for i in range(n):
        pdf.add_page()
        pdf.set_y(120)
        pdf.cell(0, 10, f"Page text {i}")
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (encrypted_pdf(), r"doc\.pdf is encrypted \(password protected\)"),
        (b"%PDF-1.7\n" + b"garbage " * 50, r"doc\.pdf is damaged or not a PDF t2v can read"),
        (scanned_pdf(), r"doc\.pdf has no text layer \(a scanned document\?\); make it searchable"),
    ],
)
def test_refused_when_loaded_in_one_line(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        document_from_bytes(data, "doc.pdf", None)
    assert "\n" not in str(info.value)


def test_page_limit_is_checked_before_reading() -> None:
    many = blank_pages(5000)
    started = time.perf_counter()
    with pytest.raises(
        InputError, match=r"doc\.pdf has 5000 pages, over the limit of 300 \(choose some with --pages\)"
    ):
        document_from_bytes(many, "doc.pdf", None)
    assert time.perf_counter() - started < 5, "refused from the page count, not after reading"
    few = document_from_bytes(many, "doc.pdf", None, reading=ReadOptions.of("10-12"))
    # the chosen pages only, a paragraph that goes on across their page breaks
    assert read_document(few).blocks == (Paragraph("Page text 9 Page text 10 Page text 11"),)
    with pytest.raises(InputError, match="over the limit of 2"):
        document_from_bytes(blank_pages(3), "doc.pdf", None, limits=DocumentLimits(pages=2))


@pytest.mark.slow
def test_render_a_report(cli: CLI) -> None:
    src = cli.cwd / "report.pdf"
    src.write_bytes(report_pdf(sections=2, paragraphs=2, picture=True))
    result = cli.run("render", str(src), "-o", "out.mp4", "--voice", "espeak:vi", "-q")
    assert result.returncode == 0, result.stderr.decode()
    srt = (cli.cwd / "out.srt").read_text(encoding="utf-8")
    assert "Báo cáo này" in srt and "Công ty ABC" not in srt
    bad = cli.run("render", str(src), "-o", "out2.mp4", "--max-pages", "1", "-q")
    assert bad.returncode == 2
    assert bad.stderr.decode().strip().splitlines() == [
        f"t2v: error: {src}: has 2 pages".replace(": has", " has")
        + ", over the limit of 1 (choose some with --pages)"
    ]
    assert not (cli.cwd / "out2.mp4").exists()


@pytest.mark.slow
def test_submit_a_slide_pdf_with_pages_and_work_it(cli: CLI) -> None:
    import json

    (cli.cwd / "deck.pdf").write_bytes(slides_pdf(5))
    queued = cli.run("submit", "deck.pdf", "--pages", "2-3", "--id", "deck", "--voice", "espeak:vi")
    assert queued.returncode == 0, queued.stderr.decode()
    worker = cli.run("worker", "--burst")
    assert worker.returncode == 0, worker.stderr.decode()
    job = json.loads(cli.run("job", "deck").stdout)
    assert job["status"] == "completed", job
    assert job["result"]["scenes"] == 2, "the worker read the job's bytes with its --pages"
    srt = (cli.data_dir / "artifacts" / "deck" / "video.srt").read_text(encoding="utf-8")
    assert "Ý chính số 2" in srt and "Ý chính số 3" in srt and "số 4" not in srt
