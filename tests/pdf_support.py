"""PDF fixtures written with fpdf2 and Be Vietnam Pro (so Vietnamese is in the text layer): a report
with headings, wrapped paragraphs that cross pages, hyphenated words, running headers and footers with
page numbers, a list and a picture; and a deck of landscape slide pages."""

from __future__ import annotations

import io
from pathlib import Path

import fontpkg_be_vietnam_pro
from fpdf import FPDF
from PIL import Image

FONTS = Path(fontpkg_be_vietnam_pro.__file__).parent / "files"

LOREM_VI = (
    "Báo cáo này trình bày kết quả của một năm làm việc, những thay đổi trong cách chúng tôi phục vụ "
    "khách hàng và các bài học rút ra từ từng dự án."
)


class _Doc(FPDF):
    running = True

    def header(self) -> None:
        if self.running:
            self.set_font("body", size=8)
            self.cell(0, 6, "Công ty ABC — Báo cáo thường niên 2026", align="C")
            self.ln(10)

    def footer(self) -> None:
        if self.running:
            self.set_y(-12)
            self.set_font("body", size=8)
            self.cell(0, 6, f"Trang {self.page_no()}", align="C")


def _fonts(pdf: FPDF) -> None:
    pdf.add_font("body", "", str(FONTS / "BeVietnamPro-Regular.ttf"))
    pdf.add_font("body", "B", str(FONTS / "BeVietnamPro-Bold.ttf"))


def _cell(pdf: FPDF, height: float, text: str, width: float = 0) -> None:
    pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (400, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def report_pdf(sections: int = 3, paragraphs: int = 4, picture: bool = True) -> bytes:
    pdf = _Doc(format="A4")
    _fonts(pdf)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    for s in range(1, sections + 1):
        pdf.set_font("body", "B", size=18)
        _cell(pdf, 10, f"Chương {s}: Kết quả kinh doanh", 0)
        pdf.ln(2)
        for p in range(paragraphs):
            pdf.set_font("body", size=11)
            text = f"Đoạn {s}.{p + 1}. {LOREM_VI} " * 3 + "Đây là thông tin quan trọng cho mọi người."
            _cell(pdf, 6, text, 0)
            pdf.ln(3)
        if s == 1:
            pdf.set_font("body", "B", size=14)
            _cell(pdf, 8, "Những điểm chính", 0)
            pdf.set_font("body", size=11)
            for item in ("Doanh thu tăng mười phần trăm.", "Chi phí giảm.", "Khách hàng hài lòng hơn."):
                _cell(pdf, 6, f"• {item}", 0)
            pdf.ln(3)
            # a word hyphenated across a line break
            pdf.multi_cell(
                0, 6, "We improved how the teams share their internal communi-", new_x="LMARGIN", new_y="NEXT"
            )
            _cell(pdf, 6, "cation during the year.", 0)
            pdf.ln(3)
            with pdf.table(col_widths=(60, 40)) as table:  # a ruled table
                for cells in (("Quý", "Doanh thu"), ("Quý 1", "120 tỷ"), ("Quý 2", "135 tỷ")):
                    row = table.row()
                    for cell in cells:
                        row.cell(cell)
            pdf.ln(3)
            if picture:
                pdf.image(io.BytesIO(png_bytes((200, 40, 40))), w=80)
                pdf.ln(3)
    return bytes(pdf.output())


def slides_pdf(pages: int = 4) -> bytes:
    pdf = _Doc(orientation="L", format=(96, 128))  # Beamer's 128 x 96 mm
    pdf.running = False
    _fonts(pdf)
    pdf.set_auto_page_break(False)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_fill_color(20, 60, 140)
        pdf.rect(0, 0, 128, 18, style="F")
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("body", "B", size=14)
        pdf.set_xy(6, 4)
        pdf.cell(0, 10, f"Trang chiếu {n}")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("body", size=10)
        pdf.set_xy(8, 30)
        _cell(pdf, 6, f"• Ý chính số {n}\n• Một ý nữa", 110)
    return bytes(pdf.output())


def two_column_pdf() -> bytes:
    """A page with a title across it and two columns of text, each column a paragraph that goes on
    from the bottom of the left column to the top of the right one."""
    pdf = _Doc(format="A4")
    pdf.running = False
    _fonts(pdf)
    pdf.add_page()
    pdf.set_font("body", "B", size=18)
    _cell(pdf, 10, "Hai cột chữ")
    pdf.set_font("body", size=11)
    left = "Cột trái bắt đầu ở đây. " + LOREM_VI + " " + LOREM_VI + " Câu này tiếp tục"
    right = "sang cột phải mà không ngắt. " + LOREM_VI + " Hết cột phải."
    top = pdf.get_y() + 4
    pdf.set_xy(10, top)
    pdf.multi_cell(90, 6, left, new_x="LEFT", new_y="NEXT")
    pdf.set_xy(110, top)
    pdf.multi_cell(90, 6, right, new_x="LEFT", new_y="NEXT")
    return bytes(pdf.output())


def big_report(pages: int = 100) -> bytes:
    """About `pages` pages of report (for the benchmark)."""
    return report_pdf(sections=max(1, pages * 6 // 5), paragraphs=5, picture=False)


def shows_color(video: Path, color: tuple[int, int, int], share: float = 0.05, tolerance: int = 24) -> bool:
    """Whether some frame of `video` has at least `share` of its pixels near `color` (a picture the
    document holds, seen by a viewer)."""
    import av
    import numpy as np

    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            small = frame.to_image().convert("RGB").resize((160, 90))
            pixels = np.asarray(small, dtype=np.int16)
            near = int((np.abs(pixels - np.array(color, dtype=np.int16)).max(axis=2) <= tolerance).sum())
            if near >= share * 160 * 90:
                return True
    return False
