"""A plan scene's own `voice` speaks that scene: through the voice chain and the speech cache, in
that voice's language; a storyboard keeps it; an API caller's scene voices are limited to what the
operator offers (at intake and again in the worker)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import FileContext, Trust
from app.services.images import ImagePolicy
from app.services.models import RenderOptions
from app.services.pipeline import Renderer, scene_voices
from app.services.planning import Plan, StoryboardError, add_spoken, dump_storyboard, parse_storyboard
from app.services.render_job import RenderJobHandler, check_storyboard, storyboard_context
from app.services.speech import TTSConfig
from app.services.speech.engines.access import CallerVoices
from app.services.video import probe
from tests.sound_support import decoded

SAID = "Good morning, this sentence is read the same way twice."


def plan(*voices: str | None) -> Plan:
    return Plan.model_validate(
        {
            "version": 1,
            "title": "Voices",
            "language": "en",
            "scenes": [
                {
                    "id": f"s{n + 1}",
                    "layout": "statement",
                    "title": f"Scene {n + 1}",
                    "items": [{"text": SAID}],
                    "narration": SAID,
                    **({"voice": voice} if voice else {}),
                }
                for n, voice in enumerate(voices)
            ],
        }
    )


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_storyboard_keeps_each_scenes_voice(fmt: str) -> None:
    board = plan(None, "espeak:vi")
    back = parse_storyboard(dump_storyboard(board, fmt).encode("utf-8"), fmt)
    assert [s.voice for s in back.scenes] == [None, "espeak:vi"]


def test_a_scene_voice_speaks_in_its_language() -> None:
    board = plan(None, "espeak:vi", "espeak:en-us")
    voices = scene_voices(board, "espeak:en", "en", TTSConfig())
    assert voices == [("espeak:en", "en"), ("espeak:vi", "vi"), ("espeak:en-us", "en-us")]
    numbers = board.model_copy(
        update={"scenes": [s.model_copy(update={"narration": "It costs 21 dollars."}) for s in board.scenes]}
    )
    spoken = add_spoken(numbers, "en", None, [language for _, language in voices])
    assert "twenty-one" in (spoken.scenes[0].spoken or "")
    assert "hai mươi mốt" in (spoken.scenes[1].spoken or "")  # read as a Vietnamese speaker says 21


async def test_two_scenes_with_different_voices_sound_different(tmp_path: Path) -> None:
    """Three scenes say the same sentence: the two in the render's voice are one cached synthesis and
    sound the same in the video; the one with its own voice (Vietnamese espeak) sounds different."""
    renderer = Renderer(
        WorkspaceManager(tmp_path / "tmp"), cache=DiskCache(tmp_path / "cache"), settings=load_settings()
    )
    options = RenderOptions(voice="espeak:en-us", aspect="16:9", resolution=360)
    result = await renderer.render_plan(plan(None, "espeak:vi", None), tmp_path / "v.mp4", options)
    assert renderer.tts.syntheses == 2  # the en-us sentence once (cached for scene 3), the vi one once
    assert result.voice == "espeak:en-us"
    samples, rate = decoded(result.video)
    mono = samples.mean(axis=0)
    starts = [start for start, _ in probe(result.video).chapters]
    assert len(starts) == 3
    window = round(2.5 * rate)
    heard = [mono[round(t * rate) : round(t * rate) + window] for t in starts]

    def envelope(x: np.ndarray) -> np.ndarray:  # loudness every 10 ms: the rhythm of the speech
        blocks = x[: len(x) // (rate // 100) * (rate // 100)].reshape(-1, rate // 100)
        level = np.sqrt((blocks**2).mean(axis=1))
        return level / level.max()

    def apart(a: np.ndarray, b: np.ndarray) -> float:
        """How unlike two sounds are, at the best shift within 60 ms (scenes start on AAC frames)."""
        ea, eb = envelope(a), envelope(b)
        return min(float(np.abs(ea[6:-6] - np.roll(eb, k)[6:-6]).mean()) for k in range(-6, 7))

    same, other = apart(heard[0], heard[2]), apart(heard[0], heard[1])
    assert same < 0.08 and other > 2.5 * same, (same, other)  # measured: 0.05 and 0.18


def test_an_api_callers_scene_voice_is_limited_to_what_the_operator_offers(tmp_path: Path) -> None:
    config = TTSConfig(caller_voices=CallerVoices.parse("espeak:*"))
    options = RenderOptions()
    policy = ImagePolicy()
    check_storyboard(plan(None, "espeak:vi"), options, policy, "story", trust=Trust.CALLER, config=config)
    bad = plan(None, "openai:alloy@http://127.0.0.1:9/v1", "espeak:nosuchvoice")
    with pytest.raises(StoryboardError) as caught:
        check_storyboard(bad, options, policy, "story", trust=Trust.CALLER, config=config)
    lines = str(caught.value).splitlines()
    assert any("scenes[1].voice" in line and "cannot name a server" in line for line in lines), lines
    assert any("scenes[2].voice" in line for line in lines), lines
    # the operator may name a server; an unknown voice is refused for everyone
    with pytest.raises(StoryboardError, match=r"scenes\[2\]\.voice"):
        check_storyboard(bad, options, policy, "story", trust=Trust.OPERATOR)

    # a caller's job that reaches a worker with such a voice is refused there too
    renderer = Renderer(WorkspaceManager(tmp_path / "tmp"), tts=None, settings=load_settings())
    renderer.tts.config = config
    handler = RenderJobHandler(renderer, tmp_path / "artifacts", 1_000_000, load_settings())
    context = storyboard_context(bad, {}, Trust.CALLER, "story.json")
    with pytest.raises(StoryboardError, match=r"scenes\[1\]\.voice"):
        handler._inputs(FileContext.from_payload(context.to_payload()))
