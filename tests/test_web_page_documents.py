"""The web page takes any document: a Word file chosen in the page is uploaded and queued (real
headless Chromium driven by Playwright, against `t2v serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service import served
from tests.test_readers_docx import report

pytestmark = pytest.mark.slow

KEY = "browser-documents-key"


def test_a_docx_chosen_in_the_page_is_queued(tmp_path: Path, browser: Any) -> None:
    src = tmp_path / "báo cáo.docx"
    src.write_bytes(report())
    with served(tmp_path, "--workers", "0", T2V_API_KEYS=KEY) as server:
        page = browser.new_page()
        page.goto(server.url + "/")
        assert ".docx" in (page.get_attribute("#file", "accept") or "")
        page.fill("#api-key", KEY)
        page.click("#key-form button")
        page.set_input_files("#file", str(src))
        page.click("#submit")
        page.wait_for_selector("#current[data-job-id]", timeout=30_000)
        job_id = page.get_attribute("#current", "data-job-id")
        page.close()
        job = server.client(KEY).get(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "queued" and job["name"] == "báo cáo.docx", job
