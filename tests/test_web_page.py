"""The web page in a real browser: Debian's headless Chromium driven by Playwright, against `t2v serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OUTPUT
from tests.service import Server, served

pytestmark = pytest.mark.slow

TEXT = "# Xin chào các bạn\n\nHôm nay trời đẹp quá. Chúng ta cùng học tiếng Việt nhé!\n"
KEY = "browser-key-secret"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path, "--workers", "1", T2V_API_KEYS=KEY) as server:
        yield server


def test_vietnamese_text_from_the_page_renders_and_plays(server: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 1300})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/")
    assert page.title().startswith("t2v")

    page.fill("#api-key", KEY)
    page.click("#key-form button")
    page.fill("#text", TEXT)
    page.select_option("#aspect", "16:9")
    page.select_option("#priority", "high")
    page.click("#submit")

    page.wait_for_selector("#player:not([hidden])", timeout=180_000)
    page.wait_for_function("document.querySelector('#video').readyState === 4", timeout=60_000, polling=200)
    job_id = page.get_attribute("#current", "data-job-id")
    assert job_id
    duration = page.evaluate("document.querySelector('#video').duration")
    job = server.client(KEY).get(f"/v1/jobs/{job_id}").json()
    assert job["status"] == "completed" and job["result"]["voice"] == "espeak:vi"
    assert abs(duration - job["result"]["duration"]) < 0.25, (duration, job["result"])

    # Vietnamese shows with the page's own font, which has the glyphs
    assert page.input_value("#text") == TEXT
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px \"T2V UI\"', 'Xin chào các bạn ệ ữ')")
    assert page.text_content("#current-status") == "completed"
    row = page.locator(f"#jobs tbody tr[data-job-id='{job_id}']")
    row.wait_for(timeout=15_000)
    assert "completed" in row.inner_text()

    page.evaluate("document.querySelector('#video').currentTime = 1.0")
    page.wait_for_function(
        "(v => v.readyState === 4 && !v.seeking)(document.querySelector('#video'))", timeout=15_000
    )
    # the captions reach the browser as a <track> of the WebVTT file (it cannot see mov_text)
    page.wait_for_function(
        "(t => t && t.readyState === 2)(document.querySelector('#video track'))",
        timeout=15_000,
        polling=200,
    )
    track = page.evaluate(
        """() => {
            const v = document.querySelector('#video');
            const t = v.textTracks[0];
            return {count: v.textTracks.length, kind: t.kind, mode: t.mode, cues: t.cues.length,
                    first: t.cues[0].text, src: v.querySelector('track').src};
        }"""
    )
    vtt = server.client(KEY).get(f"/v1/jobs/{job_id}/captions.vtt").text
    assert track["count"] == 1 and track["kind"] == "captions" and track["mode"] == "showing"
    assert track["cues"] == vtt.count(" --> ") and track["first"] in vtt
    assert "token=" in track["src"], "a signed link, like the video's"
    page.evaluate(
        "(v => { const c = v.textTracks[0].cues[0]; v.currentTime = (c.startTime + c.endTime) / 2; })"
        "(document.querySelector('#video'))"
    )
    page.wait_for_function(
        "(v => !v.seeking && v.textTracks[0].activeCues.length === 1)(document.querySelector('#video'))",
        timeout=15_000,
        polling=100,
    )  # the first cue is on screen in its time
    chapters = server.client(KEY).get(f"/v1/jobs/{job_id}/chapters.txt").text
    assert chapters.startswith("0:00 Xin chào các bạn")
    assert page.is_visible("#dl-chapters-link")
    page.screenshot(path=str(OUTPUT / "web_page.png"), full_page=True)

    # captions burned (karaoke): the track is loaded but hidden, so nothing shows twice
    page.select_option("#caption-style", "karaoke")
    page.click("#submit")
    page.wait_for_function(
        f"(c => c.dataset.jobId !== '{job_id}' && c.dataset.status === 'completed')"
        "(document.querySelector('#current'))",
        timeout=180_000,
        polling=200,
    )
    burned_id = page.get_attribute("#current", "data-job-id")
    page.wait_for_function(
        "(t => t && t.readyState === 2)(document.querySelector('#video track'))", timeout=15_000
    )
    burned = server.client(KEY).get(f"/v1/jobs/{burned_id}").json()
    assert burned["options"]["caption_style"] == "karaoke" and burned["result"]["captions_burned"]
    assert page.evaluate("document.querySelector('#video').textTracks[0].mode") == "hidden"
    page.screenshot(path=str(OUTPUT / "web_page_burned.png"), full_page=True)
    assert errors == []
