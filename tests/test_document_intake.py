"""Which format a document is (sniffed from its bytes), and the limits checked before reading it."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from app.errors import InputError
from app.services.documents import (
    DocumentLimits,
    DocumentTooLarge,
    PageRange,
    document_from_bytes,
    load_document,
    parse_pages,
    sniff,
)
from app.services.documents.limits import check_archive
from tests.conftest import CLI


def docx_bytes(text: str = "Xin chào Việt Nam.") -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Tiêu đề", level=1)
    d.add_paragraph(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def pptx_bytes() -> bytes:
    import pptx

    p = pptx.Presentation()
    slide = p.slides.add_slide(p.slide_layouts[1])
    slide.shapes.title.text = "Hello"
    out = io.BytesIO()
    p.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


EPUB = zip_bytes({"mimetype": b"application/epub+zip", "META-INF/container.xml": b"<container/>"})
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (PDF_HEAD, "pdf"),
        (docx_bytes(), "docx"),
        (pptx_bytes(), "pptx"),
        (EPUB, "epub"),
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "html"),
        (b"\xef\xbb\xbf  <!-- saved -->\n<html lang=vi><p>Xin ch\xc3\xa0o</p>", "html"),
        (b"# Title\n\nText with <b>html</b> inside.", None),
        ("Xin chào.".encode(), None),
    ],
)
def test_sniffing_from_bytes(data: bytes, fmt: str | None) -> None:
    found = sniff(data)
    assert (found.format, found.other) == (fmt, None)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "a PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 20, "old Office file"),
        (zip_bytes({"xl/workbook.xml": b"<x/>"}), "Excel"),
        (zip_bytes({"notes.txt": b"hello"}), "a ZIP archive"),
        (b"PK\x03\x04 broken", "damaged ZIP"),
    ],
)
def test_other_files_are_named(data: bytes, what: str) -> None:
    with pytest.raises(InputError, match=what) as info:
        document_from_bytes(data, None, None)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (docx_bytes(), "report.pdf", r"report\.pdf: the name says \.pdf, but the content is DOCX"),
        (PDF_HEAD, "deck.pptx", r"the name says \.pptx, but the content is PDF"),
        (b"Just some words.", "report.docx", r"the name says \.docx, but the content is text, not DOCX"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "notes.md", r"the name says \.md, but the file is a PNG image"),
        (pptx_bytes(), "talk.txt", r"the name says \.txt, but the content is PPTX"),
    ],
)
def test_lying_extension_is_refused(tmp_path: Path, data: bytes, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        load_document(path)
    with pytest.raises(InputError, match=message):
        document_from_bytes(data, name, None)


def test_html_fragment_named_html_and_markdown_with_html() -> None:
    """The name may pick HTML for a fragment, and Markdown stays Markdown with HTML inside."""
    assert document_from_bytes(b"# Title\n\n<p>Hi</p>", "a.md", None).format == "md"
    assert document_from_bytes(b"<!doctype html><p>Hi</p>", "a.md", None).format == "md"


def test_zip_bomb_is_refused_before_extraction() -> None:
    bomb = zip_bytes({"word/document.xml": b"\0" * (8 * 1024 * 1024)})  # ~1000:1
    with pytest.raises(InputError, match=r"bomb\.docx looks like a zip bomb: its part 'word/document\.xml'"):
        check_archive(bomb, "bomb.docx", 200 * 1024 * 1024)
    # many honest parts that add up past the cap (stored, so no ratio): refused from the directory
    parts = {f"word/media/image{i}.bin": os.urandom(300_000) for i in range(4)}
    parts["word/document.xml"] = b"<w/>"
    big = zip_bytes(parts, zipfile.ZIP_STORED)
    with pytest.raises(InputError, match=r"big\.docx would expand to 1\.1 MB, over the 1 MB limit"):
        check_archive(big, "big.docx", 1024 * 1024)
    check_archive(big, "big.docx", 2 * 1024 * 1024)


def test_zip_bomb_named_docx_is_refused_when_loaded(tmp_path: Path) -> None:
    bomb = zip_bytes({"word/document.xml": b"<w:document/>", "word/media/x.bin": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(InputError, match="zip bomb"):
        document_from_bytes(bomb, "bomb.docx", None)


def test_size_limits_by_kind(tmp_path: Path) -> None:
    limits = DocumentLimits(text_bytes=1000, document_bytes=5000)
    with pytest.raises(DocumentTooLarge, match="larger than the 1000 bytes limit"):
        document_from_bytes(b"word " * 300, None, None, limits=limits)
    big_pdf = PDF_HEAD + b"%" * 6000
    with pytest.raises(DocumentTooLarge, match=r"larger than the 4\.9 KB limit"):
        document_from_bytes(big_pdf, "a.pdf", None, limits=limits)
    path = tmp_path / "a.pdf"
    with path.open("wb") as f:
        f.truncate(6000)
    with pytest.raises(DocumentTooLarge, match=r"over the 4\.9 KB limit"):
        load_document(path, limits=limits)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3-12", PageRange(3, 12)), ("5", PageRange(5, 5)), (" 7 - ", PageRange(7, None)), ("", None)],
)
def test_page_ranges(value: str, expected: PageRange | None) -> None:
    assert parse_pages(value) == expected


@pytest.mark.parametrize("value", ["0-3", "5-2", "a-b", "1,3", "-4"])
def test_bad_page_ranges(value: str) -> None:
    with pytest.raises(InputError, match="invalid page range"):
        parse_pages(value)


def test_page_range_selection() -> None:
    assert list(PageRange(3, 5).select(10, "x.pdf")) == [2, 3, 4]
    assert list(PageRange(8, None).select(10, "x.pdf")) == [7, 8, 9]
    assert list(PageRange(8, 40).select(10, "x.pdf")) == [7, 8, 9]
    with pytest.raises(InputError, match=r"x\.pdf has 10 pages; --pages 11-12 starts after its end"):
        PageRange(11, 12).select(10, "x.pdf")


def test_cli_refuses_a_lying_file_in_one_line(cli: CLI, tmp_path: Path) -> None:
    lie = cli.cwd / "report.pdf"
    lie.write_bytes(docx_bytes())
    result = cli.run("render", str(lie), "-o", str(cli.cwd / "out.mp4"))
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert lines == [f"t2v: error: {lie}: the name says .pdf, but the content is DOCX (Word)"]
    assert not (cli.cwd / "out.mp4").exists()
    stdin = cli.run("render", "-", "-o", str(cli.cwd / "out.mp4"), input=b"\x89PNG\r\n\x1a\n" + b"\0" * 9)
    assert stdin.returncode == 2
    assert stdin.stderr.decode().strip() == "t2v: error: input is a PNG image, not a document t2v reads"
