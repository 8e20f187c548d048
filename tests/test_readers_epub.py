"""The EPUB reader: books made with ebooklib, chapters in reading order with their structure and
pictures; and HTML fragments read element by element."""

from __future__ import annotations

import io
import zipfile

import pytest
from ebooklib import epub
from PIL import Image

from app.errors import InputError
from app.services.documents import (
    Heading,
    ImageBlock,
    ListBlock,
    Paragraph,
    Quote,
    TableBlock,
    document_from_bytes,
    read_document,
)

CHAPTER_ONE = """<html><body><h1>Chương một</h1><p>Ngày xưa có một <b>cô gái</b> rất <i>chăm chỉ</i>.</p>
<p><img src="../images/lang.png" alt="Làng quê"/></p>
<ol><li>Dậy sớm</li><li>Ra đồng<ul><li>Cày ruộng</li></ul></li></ol>
<blockquote><p>Có công mài sắt, có ngày nên kim.</p></blockquote>
<table><tr><th>Ngày</th><th>Việc</th></tr><tr><td>Thứ hai</td><td>Đi chợ</td></tr></table></body></html>"""


def book() -> bytes:
    b = epub.EpubBook()
    b.set_identifier("t2v-test")
    b.set_title("Truyện ngắn")
    b.set_language("vi")
    b.add_author("Nam Cao")
    one = epub.EpubHtml(title="Chương một", file_name="text/chap1.xhtml", lang="vi")
    one.content = CHAPTER_ONE
    two = epub.EpubHtml(title="Chương hai: Đi chợ", file_name="text/chap2.xhtml", lang="vi")
    two.content = "<html><body><p>Cô ấy đi chợ từ sáng sớm.</p></body></html>"
    picture = io.BytesIO()
    Image.new("RGB", (120, 90), (0, 0, 200)).save(picture, "PNG")
    image = epub.EpubItem(
        uid="lang", file_name="images/lang.png", media_type="image/png", content=picture.getvalue()
    )
    for item in (one, two, image):
        b.add_item(item)
    b.toc = (one, two)
    b.add_item(epub.EpubNcx())
    b.add_item(epub.EpubNav())
    b.spine = ["nav", one, two]
    out = io.BytesIO()
    epub.write_epub(out, b)
    return out.getvalue()


def test_chapters_in_reading_order_with_their_structure() -> None:
    content = read_document(document_from_bytes(book(), "truyen.epub", None))
    assert (content.meta.title, content.meta.author, content.meta.language) == (
        "Truyện ngắn",
        "Nam Cao",
        "vi",
    )
    blocks = content.blocks
    assert [type(b) for b in blocks] == [
        Heading,
        Paragraph,
        ImageBlock,
        ListBlock,
        Quote,
        TableBlock,
        Heading,
        Paragraph,
    ]
    assert blocks[1] == Paragraph("Ngày xưa có một **cô gái** rất *chăm chỉ*.")
    image = blocks[2]
    assert (
        isinstance(image, ImageBlock)
        and image.alt == "Làng quê"
        and image.src == "truyen.epub#images/lang.png"
    )
    assert Image.open(io.BytesIO(image.data or b"")).getpixel((3, 3)) == (0, 0, 200)
    steps = blocks[3]
    assert isinstance(steps, ListBlock)
    assert [(i.marker, i.text, i.level) for i in steps.items] == [
        ("1.", "Dậy sớm", 0),
        ("2.", "Ra đồng", 0),
        ("•", "Cày ruộng", 1),
    ]
    assert blocks[4] == Quote(("Có công mài sắt, có ngày nên kim.",))
    assert blocks[5] == TableBlock(("Ngày", "Việc"), (("Thứ hai", "Đi chợ"),))
    assert blocks[6] == Heading("Chương hai: Đi chợ", 1), "a chapter without a heading gets its title"


def test_a_locked_book_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(
            "META-INF/encryption.xml",
            '<encryption><EncryptedData><CipherData><CipherReference URI="EPUB/text/chap1.xhtml"/>'
            "</CipherData></EncryptedData></encryption>",
        )
    with pytest.raises(InputError, match=r"truyen\.epub is locked \(DRM\)"):
        document_from_bytes(out.getvalue(), "truyen.epub", None)


def test_damaged_book_is_one_line() -> None:
    data = book()
    broken = data.replace(b"META-INF/container.xml", b"META-INF/containex.xml")
    with pytest.raises(InputError, match=r"truyen\.epub is not a readable EPUB book") as info:
        document_from_bytes(broken, "truyen.epub", None)
    assert "\n" not in str(info.value)
