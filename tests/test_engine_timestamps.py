"""Engines that report when each word is spoken: their timings are used instead of espeak's guess.

A real OpenAI-compatible server on 127.0.0.1 answers JSON with base64 audio and `timestamps`
(Kokoro-FastAPI's captioned speech shape); an `async:` vendor puts `words` beside its audio URL. The
audio is noise bursts at the reported times, whose lengths espeak could never guess.
"""

from __future__ import annotations

import base64
import io
import struct
import wave
from pathlib import Path

import pytest

from app.core.net import HttpConfig
from app.services.models import WordTiming
from app.services.speech.engines.config import TTSConfig
from app.services.speech.engines.timestamps import parse_words
from app.services.tts_service import TTSService
from tests.tts_server import FakeServer, Reply

TEXT = "Words arrive exactly when the server says."
# (start, end) of each word in the audio, in seconds: lengths unrelated to the letters
TIMES = [(0.30, 0.40), (0.45, 1.35), (1.40, 1.50), (1.55, 2.45), (2.50, 2.60), (2.65, 3.40), (3.45, 3.55)]
RATE = 24_000


def bursts_at(times: list[tuple[float, float]], total: float = 4.0) -> bytes:
    frames = bytearray(2 * int(total * RATE))
    for start, end in times:
        for i in range(int(start * RATE), int(end * RATE)):
            struct.pack_into("<h", frames, 2 * i, 8000 if (i // 12) % 2 else -8000)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return out.getvalue()


def reported(words: list[str]) -> list[dict[str, object]]:
    return [
        {"word": w.strip(".,"), "start_time": a, "end_time": b}
        for w, (a, b) in zip(words, TIMES, strict=True)
    ]


def relative(words: tuple[WordTiming, ...]) -> list[float]:
    return [round(w.start - words[0].start, 3) for w in words]


def test_the_shapes_servers_use_are_read_and_nonsense_is_ignored() -> None:
    assert parse_words({"timestamps": [{"word": "Hi", "start_time": 0.1, "end_time": 0.4}]}) == [
        WordTiming("Hi", 0.1, 0.4)
    ]
    assert parse_words({"data": {"words": [{"text": "Hi", "start": 0, "end": 1}]}}) == [
        WordTiming("Hi", 0, 1)
    ]
    alignment = {
        "characters": list("Hi yo"),
        "character_start_times_seconds": [0.0, 0.1, 0.2, 0.3, 0.4],
        "character_end_times_seconds": [0.1, 0.2, 0.3, 0.4, 0.5],
    }
    assert parse_words({"alignment": alignment}) == [WordTiming("Hi", 0.0, 0.2), WordTiming("yo", 0.3, 0.5)]
    for bad in (
        {"words": [{"word": "x", "start": "soon", "end": 1}]},
        {"words": [{"word": "x", "start": 2, "end": 1}]},
        {"words": [{"word": "x", "start": float("nan"), "end": 1}]},
        {"words": "everything"},
        {"alignment": {"characters": ["a"], "character_start_times_seconds": []}},
        ["not", "an", "object"],
        {"audio_url": "/a.wav"},
    ):
        assert parse_words(bad) is None, bad


@pytest.fixture
def server():
    with FakeServer() as s:
        yield s


async def test_an_openai_server_answering_json_with_timestamps_times_every_word(
    server: FakeServer, tmp_path: Path
) -> None:
    body = {"audio": base64.b64encode(bursts_at(TIMES)).decode(), "timestamps": reported(TEXT.split())}
    server.on("POST", "/v1/audio/speech", default=Reply.json(body))
    tts = TTSService(config=TTSConfig(http=HttpConfig(retries=0), openai_api_key="sk-test"))
    speech = await tts.speak(TEXT, f"openai:alloy@{server.url}/v1", 175, tmp_path / "a.wav", language="en")
    await tts.aclose()
    assert [w.text for w in speech.words] == TEXT.split()
    assert relative(speech.words) == [round(a - TIMES[0][0], 3) for a, _ in TIMES]
    assert speech.words[-1].end - speech.words[0].start == pytest.approx(
        TIMES[-1][1] - TIMES[0][0], abs=0.002
    )


async def test_an_async_vendor_giving_words_beside_its_audio_url(server: FakeServer, tmp_path: Path) -> None:
    server.on(
        "POST", "/tts", default=Reply.json({"audio_url": "/files/a.wav", "words": reported(TEXT.split())})
    )
    server.on("GET", "/files/a.wav", default=Reply(body=bursts_at(TIMES)))
    tts = TTSService(config=TTSConfig(http=HttpConfig(retries=0), poll_seconds=0.1, poll_timeout=5))
    speech = await tts.speak(TEXT, f"async:banmai@{server.url}/tts", 175, tmp_path / "a.wav", language="en")
    await tts.aclose()
    assert relative(speech.words) == [round(a - TIMES[0][0], 3) for a, _ in TIMES]


async def test_without_timestamps_the_words_follow_espeak_not_the_server(
    server: FakeServer, tmp_path: Path
) -> None:
    server.on("POST", "/v1/audio/speech", default=Reply(body=bursts_at(TIMES)))
    tts = TTSService(config=TTSConfig(http=HttpConfig(retries=0), openai_api_key="sk-test"))
    speech = await tts.speak(TEXT, f"openai:alloy@{server.url}/v1", 175, tmp_path / "a.wav", language="en")
    await tts.aclose()
    # anchored at the sound (first word) and ending with it, but inside the sentence espeak's guess
    assert relative(speech.words) != [round(a - TIMES[0][0], 3) for a, _ in TIMES]
    assert speech.words[-1].end - speech.words[0].start == pytest.approx(TIMES[-1][1] - TIMES[0][0], abs=0.01)
