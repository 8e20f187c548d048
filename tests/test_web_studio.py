"""The studio page in real headless Chromium (Playwright, Debian's chromium) against `t2v serve`: plan
preview, submit, follow, play, edit one scene's narration, re-render, download; Vietnamese UI; the page
requests nothing outside the server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing_part
from tests.service import Server, served

pytestmark = pytest.mark.slow

OUTPUT = ROOT / "test-output"
KEY = "studio-key-secret"
TEXT = "# Xin chào\n\nĐây là cảnh đầu tiên của video.\n\n## Phần hai\n\nCảnh thứ hai nói điều khác.\n"
EDITED = "Con voi màu tím nhảy múa trên mặt trăng."


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path, "--workers", "1", T2V_API_KEYS=KEY) as server:
        yield server


def test_studio_preview_edit_rerender_in_vietnamese(server: Server) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        missing_part("browser", "no `chromium` on PATH (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_part("browser", "the playwright package is not installed")
    OUTPUT.mkdir(exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(locale="vi-VN", viewport={"width": 420, "height": 900})
            page = context.new_page()
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            # the browser's language picks Vietnamese
            assert page.text_content("#submit") == "Tạo video"
            assert page.evaluate("document.documentElement.lang") == "vi"

            page.fill("#api-key", KEY)
            page.click("#key-form button")
            page.fill("#text", TEXT)
            page.click("#preview")
            page.wait_for_selector("#plan-section:not([hidden]) .scene-card", timeout=30_000)
            cards = page.locator("#plan-cards .scene-card")
            assert "cảnh đầu tiên" in page.inner_text("#plan-cards")
            assert cards.count() >= 2
            page.screenshot(path=str(OUTPUT / "studio_preview_vi.png"), full_page=True)

            # a bad option shows the server's message (unknown caption style)
            page.evaluate(
                "(() => { const o = document.createElement('option'); o.value = 'neon';"
                " document.querySelector('#caption-style').appendChild(o); })()"
            )
            page.select_option("#caption-style", "neon")
            page.click("#submit")
            page.wait_for_function(
                "(m => m.className === 'error' && m.textContent.includes('caption_style'))"
                "(document.querySelector('#message'))",
                timeout=15_000,
            )
            page.select_option("#caption-style", "")

            page.select_option("#theme", "light")
            assert page.is_hidden("#music-label")  # this server offers no music (T2V_MUSIC_DIR unset)
            page.click("#submit")
            page.wait_for_selector("#player:not([hidden])", timeout=180_000)
            first_id = page.get_attribute("#current", "data-job-id")
            page.wait_for_function(
                "document.querySelector('#video').readyState === 4", timeout=60_000, polling=200
            )
            page.wait_for_selector("#storyboard:not([hidden]) .narration-edit", timeout=30_000)
            page.wait_for_function(
                "(i => i && i.complete && i.naturalWidth === 320)"
                "(document.querySelector('#storyboard-cards img.thumb'))",
                timeout=30_000,
            )  # the slide's thumbnail, drawn by the server
            index = page.evaluate(
                "[...document.querySelectorAll('#storyboard-cards .narration-edit')]"
                ".findIndex(t => t.value.includes('cảnh đầu tiên'))"
            )
            assert index >= 0
            page.locator("#storyboard-cards .narration-edit").nth(index).fill(EDITED)
            page.screenshot(path=str(OUTPUT / "studio_edit_vi.png"), full_page=True)
            page.click("#rerender")
            page.wait_for_function(
                f"(c => c.dataset.jobId !== '{first_id}' && c.dataset.status === 'completed')"
                "(document.querySelector('#current'))",
                timeout=180_000,
                polling=200,
            )
            page.wait_for_function("document.querySelector('#rerender-time').textContent.length > 0")
            assert "Đã tạo lại trong" in page.text_content("#rerender-time")
            child_id = page.get_attribute("#current", "data-job-id")
            client = server.client(KEY)
            child = client.get(f"/v1/jobs/{child_id}").json()
            first = client.get(f"/v1/jobs/{first_id}").json()
            assert child["parent"] == first_id and first["options"]["theme"] == "light"
            assert child["options"]["theme"] == "light"  # the re-render keeps the job's options
            assert "voi màu tím" in client.get(f"/v1/jobs/{child_id}/captions.vtt").text
            ratio = child["result"]["render_seconds"] / first["result"]["render_seconds"]
            print(f"re-render / first render in the browser: {ratio:.2f}")

            page.wait_for_function(
                "document.querySelector('#video').readyState === 4", timeout=60_000, polling=200
            )
            page.evaluate("document.querySelector('#video').play()")
            page.wait_for_function("document.querySelector('#video').currentTime > 0.2", timeout=30_000)
            with page.expect_download() as download:
                page.click("#dl-video")
            saved = Path(download.value.path())
            assert saved.stat().st_size == child["result"]["size_bytes"]

            # switchable: English, remembered
            page.select_option("#lang", "en")
            assert page.text_content("#submit") == "Render"
            page.screenshot(path=str(OUTPUT / "studio_rerendered_en.png"), full_page=True)
            # voices grouped by language, with a sample made by the server
            page.wait_for_selector("#voice-pick optgroup option[value='espeak:vi']", state="attached")
            group = page.evaluate(
                "document.querySelector(\"#voice-pick option[value='espeak:vi']\").parentElement.label"
            )
            assert "Vietnamese" in group or "Việt" in group, group
            page.select_option("#voice-pick", "espeak:vi")
            assert page.input_value("#voice") == "espeak:vi"
            page.click("#listen")
            page.wait_for_function(
                "(a => !a.hidden && a.src.startsWith('blob:') && a.duration > 0.5)"
                "(document.querySelector('#sample'))",
                timeout=30_000,
            )

            # the API page works offline too
            page.goto(server.url + "/docs")
            page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
            assert "/v1/jobs/{job_id}/storyboard" in page.inner_text(".swagger-ui")
            outside = [u for u in requests if not u.startswith((server.url, "data:", "blob:"))]
            assert outside == [], outside
            assert errors == []
        finally:
            browser.close()
