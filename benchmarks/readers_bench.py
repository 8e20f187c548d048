"""Reading packed documents: a 100-page PDF report and a 60-slide PPTX (time and peak memory), beside
what rendering a few of the same pages costs, so reading's share of a render shows.

Each reading runs in its own process (`load_document` + `read_document`, as `t2v render` does), so
its peak RSS is its own. The PPTX is read twice: slides redrawn (python-pptx only) and drawn by
LibreOffice (when installed). No pass/fail: the numbers go to benchmarks/results/readers.md.

    make bench-readers    # or: .venv/bin/python benchmarks/readers_bench.py
"""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.documents.pages import libreoffice_available  # noqa: E402
from tests.pdf_support import big_report  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "readers.md"
SLIDES = 60

CHILD = """
import json, resource, sys, time
from app.services.documents import ReadOptions, load_document, read_document
started = time.perf_counter()
doc = load_document(sys.argv[1], reading=ReadOptions.of(None, sys.argv[2]))
content = read_document(doc)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "blocks": len(content.blocks),
}))
"""


def deck(slides: int) -> bytes:
    import pptx
    from PIL import Image
    from pptx.util import Inches

    p = pptx.Presentation()
    p.slide_width, p.slide_height = Inches(13.333), Inches(7.5)
    for n in range(1, slides + 1):
        s = p.slides.add_slide(p.slide_layouts[1])
        s.shapes.title.text = f"Phần {n}: kết quả"
        body = s.placeholders[1].text_frame
        body.text = "Doanh thu tăng mười phần trăm"
        for line in ("Chi phí giảm", "Khách hàng hài lòng hơn"):
            body.add_paragraph().text = line
        picture = io.BytesIO()
        Image.new("RGB", (640, 360), (20 + n * 3 % 200, 90, 160)).save(picture, "PNG")
        picture.seek(0)
        s.shapes.add_picture(picture, Inches(8.5), Inches(2), Inches(4), Inches(2.25))
        s.notes_slide.notes_text_frame.text = f"Trang {n}: doanh thu tăng, chi phí giảm, khách hàng hài lòng."
    out = io.BytesIO()
    p.save(out)
    return out.getvalue()


def read(path: Path, picture: str = "auto") -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), picture], env=env, capture_output=True, check=True, text=True
    )
    return json.loads(out.stdout)


def render_seconds(path: Path, work: Path, *flags: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "T2V_DATA_DIR": str(work / "data")}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "app.cli", "render", str(path), "-o", str(work / "out.mp4"), "-q", *flags],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    import pypdfium2 as pdfium

    rows = []
    with tempfile.TemporaryDirectory(prefix="t2v-readers-bench-") as tmp:
        work = Path(tmp)
        pdf = work / "report.pdf"
        pdf.write_bytes(big_report(100))
        pages = len(pdfium.PdfDocument(pdf.read_bytes()))
        pptx = work / "deck.pptx"
        pptx.write_bytes(deck(SLIDES))
        few_pdf = work / "few.pdf"
        few_pdf.write_bytes(big_report(5))
        few_pages = len(pdfium.PdfDocument(few_pdf.read_bytes()))
        few_deck = work / "few.pptx"
        few_deck.write_bytes(deck(6))

        r = read(pdf)
        per_page_render = render_seconds(few_pdf, work, "--voice", "espeak:vi") / few_pages
        rows.append((f"PDF report, {pages} pages", r, per_page_render * pages))
        r = read(pptx, "redraw")
        per_slide = render_seconds(few_deck, work, "--voice", "espeak:vi", "--pptx-picture", "redraw") / 6
        rows.append((f"PPTX, {SLIDES} slides, redrawn", r, per_slide * SLIDES))
        if libreoffice_available():
            r = read(pptx, "libreoffice")
            per_slide = (
                render_seconds(few_deck, work, "--voice", "espeak:vi", "--pptx-picture", "libreoffice") / 6
            )
            rows.append((f"PPTX, {SLIDES} slides, LibreOffice", r, per_slide * SLIDES))

    lines = [
        "# Reading packed documents",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
        "Made by `make bench-readers` (benchmarks/readers_bench.py).",
        "",
        "Reading = `load_document` + `read_document` in a fresh process (what `t2v render` does before",
        "planning); peak RSS is that process's. The render estimate scales a real render of the first",
        "pages of the same kind of document (5 report pages, 6 slides) to the whole document.",
        "",
        "| document | reading (s) | peak RSS (MB) | blocks | render, estimated (s) | reading's share |",
        "|---|---|---|---|---|---|",
    ]
    for name, r, render in rows:
        share = r["seconds"] / (r["seconds"] + render)
        measured = f"{r['seconds']:.1f} | {r['rss_mb']:.0f} | {r['blocks']:.0f}"
        lines.append(f"| {name} | {measured} | {render:.0f} | {share:.0%} |")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
