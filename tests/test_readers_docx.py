"""The DOCX reader: Word documents made by python-docx, read into Content, and rendered for real."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Inches
from PIL import Image

from app.errors import InputError
from app.services.documents import (
    CodeBlock,
    Heading,
    ImageBlock,
    ListBlock,
    Paragraph,
    Quote,
    TableBlock,
    document_from_bytes,
    load_document,
    read_document,
)
from tests.conftest import CLI
from tests.pdf_support import shows_color


def png(color: tuple[int, int, int], size: tuple[int, int] = (320, 180)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    out.seek(0)
    return out


def save(d: object) -> bytes:
    out = io.BytesIO()
    d.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def report() -> bytes:
    d = docx.Document()
    d.core_properties.author = "Nguyễn Văn A"
    d.add_paragraph("Báo cáo thường niên", style="Title")
    d.add_heading("Giới thiệu", level=1)
    p = d.add_paragraph("Xin chào ")
    p.add_run("các bạn").bold = True
    p.add_run(" và ")
    p.add_run("thế giới").italic = True
    p.add_run(" (a*b).")
    foot = p.add_run()
    foot._r.append(parse_xml(f'<w:footnoteReference {nsdecls("w")} w:id="1"/>'))
    d.add_heading("Các bước", level=2)
    for step in ("Mở tệp", "Đọc kỹ", "Lưu lại"):
        d.add_paragraph(step, style="List Number")
    d.add_paragraph("Một ý", style="List Bullet")
    d.add_paragraph("Ý con", style="List Bullet 2")
    table = d.add_table(rows=3, cols=2)
    for i, row in enumerate([("Tên", "Giá"), ("Táo", "10 đ"), ("Cam", "20 đ")]):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    d.add_picture(png((220, 30, 30)), width=Inches(3))
    d.add_paragraph("Học, học nữa, học mãi.", style="Quote")
    return save(d)


def test_structure_is_kept() -> None:
    content = read_document(document_from_bytes(report(), "report.docx", None))
    assert content.meta.title == "Báo cáo thường niên"
    assert content.meta.author == "Nguyễn Văn A"
    kinds = [type(b) for b in content.blocks]
    assert kinds == [Heading, Paragraph, Heading, ListBlock, TableBlock, ImageBlock, Quote]
    heading, para, sub, steps, table, image, quote = content.blocks
    assert (heading, sub) == (Heading("Giới thiệu", 1), Heading("Các bước", 2))
    # bold and italic as inline Markdown, markup in the text escaped, the footnote mark not read
    assert para == Paragraph("Xin chào **các bạn** và *thế giới* (a\\*b).")
    assert isinstance(steps, ListBlock)
    assert [(i.marker, i.text) for i in steps.items] == [
        ("1.", "Mở tệp"),
        ("2.", "Đọc kỹ"),
        ("3.", "Lưu lại"),
        ("•", "Một ý"),
        ("•", "Ý con"),
    ]
    assert [i.level for i in steps.items] == [0, 0, 0, 0, 1]
    assert table == TableBlock(("Tên", "Giá"), (("Táo", "10 đ"), ("Cam", "20 đ")))
    assert isinstance(image, ImageBlock) and image.src == "report.docx#image1.png"
    assert image.data is not None and Image.open(io.BytesIO(image.data)).getpixel((5, 5)) == (220, 30, 30)
    assert quote == Quote(("Học, học nữa, học mãi.",))


def test_nested_numbering_restarts_deeper_levels() -> None:
    d = docx.Document()
    numbered = d.add_paragraph("A", style="List Number")
    num_id = numbered._p.pPr.numPr.numId.val if numbered._p.pPr.numPr is not None else None
    if num_id is None:  # the style carries the numbering; nested items name it on the paragraph
        style_numpr = d.styles["List Number"].element.pPr.numPr
        num_id = style_numpr.numId.val
    for text, level in [("A1", 1), ("A2", 1), ("B", 0), ("B1", 1)]:
        p = d.add_paragraph(text, style="List Number")
        p._p.get_or_add_pPr().append(
            parse_xml(
                f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
            )
        )
    content = read_document(document_from_bytes(save(d), "n.docx", None))
    (lst,) = content.blocks
    assert isinstance(lst, ListBlock)
    got = [(i.text, i.level, i.marker) for i in lst.items]
    assert [(t, lv) for t, lv, _ in got] == [("A", 0), ("A1", 1), ("A2", 1), ("B", 0), ("B1", 1)]
    top = [m for _, lv, m in got if lv == 0]
    assert top == ["1.", "2."]
    deeper = [m for _, lv, m in got if lv == 1]
    assert deeper[0] == deeper[2], "B1 restarts where A1 started"


def test_an_outside_template_or_hyperlink_is_fine() -> None:
    d = docx.Document()
    d.add_paragraph("Made from a template on the author's disk.")
    template = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
    d.part.relate_to("file:///C:/Users/a/Normal.dotm", template, is_external=True)
    d.part.relate_to("https://example.com/", RT.HYPERLINK, is_external=True)
    content = read_document(document_from_bytes(save(d), "t.docx", None))
    assert content.blocks == (Paragraph("Made from a template on the author's disk."),)


def test_code_style_is_code() -> None:
    d = docx.Document()
    from docx.enum.style import WD_STYLE_TYPE

    d.styles.add_style("Code", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("def f(x):", style="Code")
    d.add_paragraph("    return x * 2", style="Code")
    d.add_paragraph("After the code.")
    content = read_document(document_from_bytes(save(d), "c.docx", None))
    assert content.blocks == (CodeBlock("def f(x):\n    return x * 2"), Paragraph("After the code."))


def test_external_picture_link_is_refused(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("A picture from elsewhere:")
    d.add_picture(png((0, 0, 255)))
    rid = d.part.relate_to("http://169.254.169.254/latest/x.png", RT.IMAGE, is_external=True)
    for blip in d.element.body.iter(qn("a:blip")):
        del blip.attrib[qn("r:embed")]
        blip.set(qn("r:link"), rid)
    path = tmp_path / "linked.docx"
    path.write_bytes(save(d))
    with pytest.raises(InputError, match=r"linked\.docx: a picture links to 'http://169\.254") as info:
        load_document(path)
    assert "\n" not in str(info.value)


def replace_part(data: bytes, name: str, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, new if info.filename == name else src.read(info.filename))
    return out.getvalue()


def test_empty_and_damaged() -> None:
    with pytest.raises(InputError, match=r"x\.docx has no text to read"):
        document_from_bytes(save(docx.Document()), "x.docx", None)
    # a valid ZIP with the DOCX part names but a broken document part
    broken = replace_part(report(), "word/document.xml", b"<w:document oops")
    with pytest.raises(InputError, match=r"x\.docx is damaged"):
        document_from_bytes(broken, "x.docx", None)


@pytest.mark.slow
def test_render_a_docx(cli: CLI) -> None:
    src = cli.cwd / "báo cáo.docx"
    src.write_bytes(report())
    result = cli.run("render", str(src), "-o", "out.mp4", "--voice", "espeak:vi", "-q")
    assert result.returncode == 0, result.stderr.decode()
    assert (cli.cwd / "out.mp4").stat().st_size > 10_000
    srt = (cli.cwd / "out.srt").read_text(encoding="utf-8")
    assert "các bạn" in srt and "**" not in srt
    assert shows_color(cli.cwd / "out.mp4", (220, 30, 30)), "the embedded picture is on screen"


def test_plan_json_of_a_docx(cli: CLI) -> None:
    import json

    (cli.cwd / "report.docx").write_bytes(report())
    result = cli.run("plan", "report.docx", "--json")
    assert result.returncode == 0, result.stderr.decode()
    plan = json.loads(result.stdout)
    assert plan["title"] == "Báo cáo thường niên"
    images = [s["image"]["path"] for s in plan["scenes"] if s["image"] is not None]
    assert images == ["report.docx#image1.png"]
    said = " ".join(s["narration"] for s in plan["scenes"])
    assert "Mở tệp" in said and "**" not in said and "Tên" in said
