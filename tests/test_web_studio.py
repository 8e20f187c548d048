"""The studio page in real headless Chromium (Playwright, Debian's chromium) against `t2v serve`: plan
preview, submit, follow, play, edit one scene's narration, re-render, download; Vietnamese UI; the page
requests nothing outside the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OUTPUT
from tests.service import Server, served

pytestmark = pytest.mark.slow

KEY = "studio-key-secret"
TEXT = "# Xin chào\n\nĐây là cảnh đầu tiên của video.\n\n## Phần hai\n\nCảnh thứ hai nói điều khác.\n"
EDITED = "Con voi màu tím nhảy múa trên mặt trăng."


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path, "--workers", "1", T2V_API_KEYS=KEY) as server:
        yield server


def rerender(page: Any, first_id: str) -> None:
    """Click "Re-render" and wait until the page follows the new job to completion and says how long
    it took."""
    page.click("#rerender")
    page.wait_for_function(
        f"(c => c.dataset.jobId !== '{first_id}' && c.dataset.status === 'completed')"
        "(document.querySelector('#current'))",
        timeout=180_000,
        polling=200,
    )
    page.wait_for_function("document.querySelector('#rerender-time').textContent.length > 0")


def test_studio_preview_edit_rerender_in_vietnamese(server: Server, browser: Any) -> None:
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
    page.wait_for_function("document.querySelector('#video').readyState === 4", timeout=60_000, polling=200)
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
    second = card_index(page, ".narration-edit", "Cảnh thứ hai")
    hint = page.locator("#storyboard-cards .scene-card").nth(second).locator(".items-hint")
    assert "mỗi dòng một câu" in hint.text_content()  # the shown lines' rule, in Vietnamese
    page.locator("#storyboard-cards .narration-edit").nth(index).fill(EDITED)
    page.screenshot(path=str(OUTPUT / "studio_edit_vi.png"), full_page=True)
    rerender(page, first_id)
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

    page.wait_for_function("document.querySelector('#video').readyState === 4", timeout=60_000, polling=200)
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


EDITOR_DOC = (
    "# Studio editor\n\n## Steps\n\n- Open the file\n- Read it closely\n- Save it again\n\n"
    "## Prices\n\n| Fruit | Price |\n|---|---|\n| Apple | 10 |\n| Pear | 20 |\n\n"
    "## Ending\n\nThat is all for today.\n"
)


def card_index(page: Any, selector: str, text: str) -> int:
    """The storyboard card whose `selector` element holds `text` (in its value or its text)."""
    index = page.evaluate(
        "([sel, text]) => [...document.querySelectorAll('#storyboard-cards .scene-card')].findIndex("
        "c => [...c.querySelectorAll(sel)].some(e => (e.value || e.textContent).includes(text)))",
        [selector, text],
    )
    assert index >= 0, (selector, text)
    return int(index)


def test_storyboard_editor_edits_every_field_and_the_page_purges(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    """Title, list items, a table cell, a picture (added, then removed), a scene's voice; motion and
    transition choices from the API; a job deleted for good from the list; every control labelled."""
    from tests.images_support import GREEN, png

    client = server.client(KEY)
    choices = client.get("/v1/options").json()
    english = next(v["id"] for v in client.get("/v1/voices").json() if v["id"].startswith("espeak:en"))
    picture = png(tmp_path / "green field.png", (640, 360), GREEN)
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 1400})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/")
    page.fill("#api-key", KEY)
    page.click("#key-form button")

    # the selects offer what the API accepts, no more, no less
    for select, name in (
        ("#motion", "motion"),
        ("#transition", "transition"),
        ("#caption-style", "caption_style"),
    ):
        page.wait_for_selector(f"{select} option[data-choice]", state="attached")
        shown = page.eval_on_selector_all(f"{select} option[data-choice]", "os => os.map(o => o.value)")
        assert shown == [str(v) for v in choices[name]["values"]], (name, shown)
    assert page.get_attribute("#voice", "placeholder") == "detected"
    page.select_option("#lang", "vi")
    assert page.get_attribute("#voice", "placeholder") == "tự nhận"
    assert page.text_content("#transition option[value='fade']") == "mờ qua đen"
    page.select_option("#lang", "en")

    page.fill("#text", EDITOR_DOC)
    page.select_option("#motion", "none")
    page.select_option("#transition", "none")
    page.click("#submit")
    page.wait_for_selector("#storyboard:not([hidden]) .title-edit", timeout=180_000)
    first_id = page.get_attribute("#current", "data-job-id")
    assert client.get(f"/v1/jobs/{first_id}").json()["options"]["motion"] == "none"

    steps = card_index(page, ".items-edit", "Open the file")
    cards = page.locator("#storyboard-cards .scene-card")
    card = cards.nth(steps)
    card.locator(".title-edit").fill("Steps, edited")
    steps_said = card.locator(".narration-edit")
    assert steps_said.input_value() == "Steps. Open the file. Read it closely. Save it again."
    card.locator(".items-edit").fill("Open the file\nRead it *twice*")  # a line changed, one removed
    assert steps_said.input_value() == "Steps. Open the file. Read it twice."
    card.locator(".items-edit").fill("Open the file\nRead it twice\nSave it again")  # a line added
    assert steps_said.input_value() == "Steps. Open the file. Read it twice. Save it again."
    assert "one sentence per line" in card.locator(".items-hint").text_content()
    steps_said.fill("Steps. Three things to do.")  # rewritten by hand: lines no longer rewrite it
    card.locator(".items-edit").fill("Open the file\nRead it twice\nSave it again\nClose it")
    card.locator(".items-edit").fill("Open the file\nRead it twice\nSave it again")
    assert steps_said.input_value() == "Steps. Three things to do."
    prices = card_index(page, ".table-edit input", "Apple")
    table = cards.nth(prices)
    table.get_by_label("Row 1, column 2").fill("11")
    said = table.locator(".narration-edit")
    assert said.input_value() == "Prices. Fruit: Apple; Price: 11. Fruit: Pear; Price: 20."
    table.locator(".add-row").click()  # the new row's first cell has the focus
    page.keyboard.type("Plum")
    table.get_by_label("Row 3, column 2").fill("30")
    table.get_by_label("Remove row 2").click()
    assert said.input_value() == "Prices. Fruit: Apple; Price: 11. Fruit: Plum; Price: 30."
    assert "one sentence per row" in table.locator(".hint").text_content()
    said.fill("Prices. Our fruit and what it costs.")  # rewritten by hand: rows no longer rewrite it
    table.locator(".add-row").click()
    page.keyboard.type("Fig")
    table.get_by_label("Remove row 3").click()
    assert said.input_value() == "Prices. Our fruit and what it costs."
    titled = card_index(page, ".subtitle-edit", "")
    cards.nth(titled).locator(".subtitle-edit").fill("A short test")
    ending = card_index(page, ".narration-edit", "all for today")
    cards.nth(ending).locator(".picture-file").set_input_files(str(picture))
    card = cards.nth(ending)  # rebuilt with the picture and its own controls
    page.wait_for_function(
        "(c => { const i = c.querySelector('img.picture');"
        " return i && i.complete && i.naturalWidth === 640; })"
        f"(document.querySelectorAll('#storyboard-cards .scene-card')[{ending}])"
    )
    # the picture chosen here shows once, in place of the slide's thumbnail (drawn without it)
    assert card.locator(".pictures img").count() == 1 and card.locator("img.thumb").count() == 0
    assert card.locator(".layout-edit").input_value() == "image_text"
    card.locator(".alt-edit").fill("a green field")
    card.locator(".voice-edit").fill(english)
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('#storyboard-cards input, #storyboard-cards textarea,"
        " #storyboard-cards select')].filter(e => !e.getAttribute('aria-label') &&"
        " !document.querySelector(`label[for='${e.id}']`)).length"
    )
    assert unlabelled == 0
    page.screenshot(path=str(OUTPUT / "studio_editor_en.png"), full_page=True)

    rerender(page, first_id)
    child_id = page.get_attribute("#current", "data-job-id")
    board = client.get(f"/v1/jobs/{child_id}/storyboard").json()["scenes"]
    assert board[steps]["title"] == "Steps, edited"
    assert [i["text"] for i in board[steps]["items"]] == ["Open the file", "Read it twice", "Save it again"]
    assert {i["marker"] for i in board[steps]["items"]} == {"•"}
    assert board[steps]["narration"] == "Steps. Three things to do."
    assert board[prices]["table"]["rows"] == [["Apple", "11"], ["Plum", "30"]]
    assert board[prices]["narration"] == "Prices. Our fruit and what it costs."
    assert board[titled]["subtitle"] == "A short test"
    image = board[ending]["image"]  # the upload is kept with the job, named by id
    assert image["path"].startswith("attachment:") and image["alt"] == "a green field"
    inline = client.get(f"/v1/jobs/{child_id}/storyboard", params={"pictures": "inline"}).json()
    assert inline["scenes"][ending]["image"]["path"].startswith("data:image/png;base64,")
    assert board[ending]["layout"] == "image_text" and board[ending]["voice"] == english
    child = client.get(f"/v1/jobs/{child_id}").json()
    first = client.get(f"/v1/jobs/{first_id}").json()
    ratio = child["result"]["render_seconds"] / first["result"]["render_seconds"]
    print(f"editor re-render / first render: {ratio:.2f}")

    # the child's storyboard shows the edited card's slide once: its thumbnail, the picture drawn in
    # (green), beside the picture's controls; no separate copy of the picture
    page.wait_for_function(
        f"(c => c && c.querySelector('img.thumb') && c.querySelector('img.thumb').naturalWidth > 0)"
        f"(document.querySelectorAll('#storyboard-cards .scene-card')[{ending}])",
        timeout=30_000,
    )
    card = cards.nth(ending)
    assert card.locator(".pictures img").count() == 1 and card.locator("img.picture").count() == 0
    assert card.locator(".remove-picture").count() == 1
    assert card.locator(".alt-edit").input_value() == "a green field"
    green = card.locator("img.thumb").evaluate(
        "img => { const c = document.createElement('canvas'); c.width = img.naturalWidth;"
        " c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0);"
        " const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 140 && d[i] < 90 && d[i + 2] < 90) n++;"
        " return n / (c.width * c.height); }"
    )
    assert green > 0.05, f"the thumbnail should show the green picture: {green:.3f} of it is green"
    card.screenshot(path=str(OUTPUT / "studio_card_thumbnail_en.png"))
    card.locator(".remove-picture").click()  # the thumbnail (with the picture) is stale: not shown
    assert cards.nth(ending).locator(".pictures img").count() == 0
    assert cards.nth(ending).locator(".layout-edit").input_value() == "statement"
    page.screenshot(path=str(OUTPUT / "studio_editor_rerendered_en.png"), full_page=True)

    # opened afresh from the list, the re-render still shows its time beside the first render's
    page.reload()
    page.click(f"#jobs tbody tr[data-job-id='{child_id}']")
    page.wait_for_function("document.querySelector('#rerender-time').textContent.includes('first render')")
    assert f"{first['result']['render_seconds']:.1f}" in page.text_content("#rerender-time")

    # delete the first job for good, from the list
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#jobs tbody tr[data-job-id='{first_id}'] button.purge")
    page.wait_for_function(
        f"!document.querySelector(\"#jobs tbody tr[data-job-id='{first_id}'] button.purge\")", timeout=15_000
    )
    assert client.get(f"/v1/jobs/{first_id}").json()["purged_at"] is not None
    assert client.get(f"/v1/jobs/{first_id}/storyboard").status_code == 410
    outside = [u for u in requests if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == [], outside
    assert errors == []
