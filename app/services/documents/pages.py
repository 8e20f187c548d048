"""Pages as pictures: a PDF page rendered by PDFium (pypdfium2), and a deck made a PDF by LibreOffice.

A slide is best shown as its author drew it, so a PPTX slide's picture is LibreOffice's own rendering
(`soffice --headless --convert-to pdf`, an optional part: `libreoffice_available`), and a slide PDF's
page is rendered as is. LibreOffice runs with a private profile in a temporary folder (so runs never
share state or touch the user's), as a child that dies with this process, killed when the render is
cancelled or takes too long.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pypdfium2 as pdfium

from app.core.children import die_with_parent
from app.core.threads import check_cancelled
from app.errors import InputError, RenderError

OFFICE_TIMEOUT = 300.0  # seconds LibreOffice may take for one deck
RESTART_CODE = 81  # soffice.bin: "start me again" (after creating a profile)
PAGE_MAX_SIDE = 1920  # pixels: a page picture as large as the largest frame


def soffice_binary() -> str | None:
    """LibreOffice's program, preferring `soffice.bin` (the `soffice` script's launcher forks it, and
    a killed launcher would leave it running)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        return None
    real = Path(found).resolve()
    direct = real.with_name("soffice.bin")
    return str(direct) if direct.is_file() and os.access(direct, os.X_OK) else str(real)


def libreoffice_available() -> bool:
    return soffice_binary() is not None


def office_to_pdf(data: bytes, suffix: str, shown: str, timeout: float = OFFICE_TIMEOUT) -> bytes:
    """The document (e.g. a PPTX) as a PDF, by LibreOffice; `RenderError` if it fails or hangs."""
    program = soffice_binary()
    if program is None:
        raise InputError("LibreOffice (soffice) is not installed: use --pptx-picture redraw")
    with tempfile.TemporaryDirectory(prefix="t2v-office-") as tmp:
        folder = Path(tmp)
        source = folder / f"document{suffix}"
        source.write_bytes(data)
        argv = [
            program,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ]
        deadline = time.monotonic() + timeout
        code = _run_office(argv, folder, deadline, shown)
        if code == RESTART_CODE:  # a new profile's first start asks to be started again
            code = _run_office(argv, folder, deadline, shown)
        out = folder / "document.pdf"
        if code != 0 or not out.is_file():
            raise RenderError(f"LibreOffice could not render {shown} (exit code {code})")
        return out.read_bytes()


def _run_office(argv: list[str], folder: Path, deadline: float, shown: str) -> int:
    """One LibreOffice run, killed when cancelled or past the deadline; its exit code."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(folder), "SAL_USE_VCLPLUGIN": "svp"},
        **die_with_parent(),
    )
    try:
        while proc.poll() is None:
            check_cancelled()
            if time.monotonic() > deadline:
                raise RenderError(f"LibreOffice took too long to render {shown}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode


def open_pdf(data: bytes, shown: str) -> pdfium.PdfDocument:
    """The PDF opened by PDFium; an encrypted or damaged one is an `InputError` of one line."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise InputError(f"{shown} is encrypted (password protected); save an unprotected copy") from None
        raise InputError(f"{shown} is damaged or not a PDF t2v can read ({exc})") from None


def render_pages(
    pdf: pdfium.PdfDocument, indexes: Iterable[int], max_side: int = PAGE_MAX_SIDE
) -> Iterator[bytes]:
    """Each chosen page (0-based) as a PNG whose longer side is `max_side` pixels."""
    for index in indexes:
        check_cancelled()
        page = pdf[index]
        try:
            width, height = page.get_size()
            scale = max_side / max(width, height, 1.0)
            bitmap = page.render(scale=scale, draw_annots=True)
            picture = bitmap.to_pil().convert("RGB")
        finally:
            page.close()
        out = io.BytesIO()
        picture.save(out, "PNG", compress_level=1)  # the images stage re-encodes it anyway
        yield out.getvalue()
