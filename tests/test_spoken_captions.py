"""The voice reads a scene's `spoken` text; captions show its `narration` as written, timed to the
words that say it ("29/11/2026" on screen while "the twenty-ninth of November..." is heard)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.services.documents import document_from_bytes
from app.services.models import RenderOptions, WordTiming
from app.services.pipeline import Renderer
from app.services.planning import Item, Plan, Scene
from app.services.speech import Break, BreakKind, spoken_breaks, written_words
from app.services.tts_service import TTSService
from tests.test_caption_timing import SPEECH, bursts, tts_service
from tests.tts_server import FakeServer

NARRATION = "The meeting is on 29/11/2026 at noon. It costs 1.500.000 đ for each guest."
SPOKEN = (
    "The meeting is on the twenty-ninth of November twenty twenty-six at noon. "
    "It costs một triệu năm trăm nghìn đồng for each guest."
)


def timed(text: str, seconds: float = 0.3) -> list[WordTiming]:
    return [WordTiming(w, i * seconds, (i + 1) * seconds) for i, w in enumerate(text.split())]


def test_written_words_take_the_time_of_the_words_that_say_them() -> None:
    spoken = timed(SPOKEN)
    words = written_words(NARRATION, SPOKEN, spoken)
    assert [w.text for w in words] == NARRATION.split()
    date = words[4]
    assert date.text == "29/11/2026"
    said = SPOKEN.split()
    assert (date.start, date.end) == (spoken[4].start, spoken[said.index("twenty-six")].end)
    at = words[5]
    assert at.text == "at" and at.start == spoken[said.index("at")].start
    money = [w for w in words if w.text in ("1.500.000", "đ")]
    assert money[0].start == spoken[said.index("một")].start
    assert money[-1].end == spoken[said.index("đồng")].end
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(words)), "in order"


def test_glued_pieces_and_missing_words_do_not_shift_the_rest() -> None:
    spoken = [
        WordTiming("Hello", 0.0, 0.4),
        WordTiming("wor", 0.5, 0.7),
        WordTiming("ld.", 0.7, 0.9, glued=True),
    ]
    words = written_words("Hello world.", "Hello world.", spoken)
    assert [(w.text, w.start, w.end) for w in words] == [("Hello", 0.0, 0.4), ("world.", 0.5, 0.9)]
    # a voice that reported fewer words than it was given still times every written word
    short = written_words(NARRATION, SPOKEN, timed(SPOKEN)[:5])
    assert [w.text for w in short] == NARRATION.split()


def test_breaks_move_to_the_same_words_in_the_spoken_text() -> None:
    narration = "Prices 2026. 1.500.000 đ is the price."
    spoken = "Prices twenty twenty-six. một triệu năm trăm nghìn đồng is the price."
    moved = spoken_breaks(narration, spoken, [Break(len("Prices 2026."), BreakKind.HEADING)])
    assert moved == [Break(spoken.index("một"), BreakKind.HEADING)]


async def test_espeak_reads_the_spoken_text_and_times_the_written_words(tmp_path: Path) -> None:
    tts = TTSService(cache=DiskCache(tmp_path / "cache"))
    scene = Scene(
        id="s1", layout="statement", items=[Item(text=NARRATION)], narration=NARRATION, spoken=SPOKEN
    )
    speech = await tts.speak_scene(scene, "espeak:en-us", RenderOptions(), tmp_path / "a.wav", "en")
    assert [w.text for w in speech.words] == NARRATION.split()
    date, at = speech.words[4], speech.words[5]
    # "29/11/2026" is on screen while its seven spoken words are heard, and "at" comes after them
    assert date.end - date.start > 1.5 and at.start >= date.end - 1e-6
    assert speech.words[0].start < 0.1 and speech.words[-1].end <= speech.duration


@pytest.mark.slow
async def test_a_rendered_plan_captions_the_written_form(tmp_path: Path) -> None:
    with FakeServer() as server:
        server.on("POST", SPEECH, default=bursts)
        tts = tts_service(tmp_path)
        renderer = Renderer(
            WorkspaceManager(tmp_path / "ws"),
            tts=tts,
            cache=DiskCache(tmp_path / "cache"),
            settings=load_settings(),
        )
        plan = Plan(
            language="en",
            scenes=[
                Scene(
                    id="s1",
                    layout="statement",
                    items=[Item(text=NARRATION)],
                    narration=NARRATION,
                    spoken=SPOKEN,
                )
            ],
        )
        options = RenderOptions(voice=f"openai:alloy@{server.url}/v1")
        result = await renderer.render_plan(plan, tmp_path / "p.mp4", options)
        await tts.aclose()
        asked = " ".join(r.json()["input"] for r in server.requests)
    assert asked == SPOKEN, "the voice gets the spoken text, sentence by sentence"
    srt = result.srt.read_text(encoding="utf-8")
    assert "29/11/2026" in srt and "1.500.000 đ" in srt
    assert "twenty" not in srt and "triệu" not in srt


@pytest.mark.slow
async def test_a_rendered_document_is_heard_normalized_and_captioned_as_written(tmp_path: Path) -> None:
    doc = "# Dates\n\nThe meeting is on 29/11/2026 at noon.\n\nIt runs until 14:05 on that day.\n"
    with FakeServer() as server:
        server.on("POST", SPEECH, default=bursts)
        tts = tts_service(tmp_path)
        renderer = Renderer(
            WorkspaceManager(tmp_path / "ws"),
            tts=tts,
            cache=DiskCache(tmp_path / "cache"),
            settings=load_settings(),
        )
        options = RenderOptions(voice=f"openai:alloy@{server.url}/v1")
        result = await renderer.render(
            document_from_bytes(doc.encode(), "d.md", None), tmp_path / "d.mp4", options
        )
        await tts.aclose()
        asked = " ".join(r.json()["input"] for r in server.requests)
    assert "twenty-ninth of November" in asked and "29/11/2026" not in asked
    assert "fourteen oh five" in asked
    srt = result.srt.read_text(encoding="utf-8")
    assert "29/11/2026" in srt and "14:05" in srt and "November" not in srt
