"""HTTP speech engines against real servers on 127.0.0.1: pooling, retries, streaming, timeouts."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from app.core.memory_optimizer import DiskCache
from app.core.net import HttpConfig
from app.core.resource_manager import ResourceLimits, ResourceManager
from app.errors import RemoteHTTPError, RemoteServerError, RemoteTimeout, RemoteTransportError
from app.services.speech.engines.config import TTSConfig
from app.services.tts_service import TTSService
from app.services.video import ffmpeg_exe
from tests.conftest import ROOT
from tests.tts_server import FakeServer, Reply, sine_wav, wav_header

SPEECH = "/v1/audio/speech"
KEY = "sk-test-secret-0123456789"
TONE = sine_wav(0.5)


def service(tmp_path: Path, *, slots: int = 2, cache: bool = False, **http: float) -> TTSService:
    settings = {"retries": 3, "backoff_seconds": 0.05, "read_timeout": 5.0, **http}
    config = TTSConfig(http=HttpConfig(**settings), openai_api_key=KEY, poll_seconds=0.1, poll_timeout=5)
    resources = ResourceManager(ResourceLimits(max_concurrent_tts=slots))
    disk = DiskCache(tmp_path / "cache") if cache else None
    return TTSService(resources=resources, cache=disk, config=config)


def voice(server: FakeServer) -> str:
    return f"openai:alloy@{server.url}/v1"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def server():
    with FakeServer() as s:
        yield s


async def test_openai_request_audio_conversion_and_estimated_timings(
    server: FakeServer, tmp_path: Path
) -> None:
    server.on("POST", SPEECH, default=Reply(body=sine_wav(1.0)))
    tts = service(tmp_path)
    speech = await tts.speak("Hello there, brave new world.", voice(server), 175, tmp_path / "a.wav")
    await tts.aclose()
    req = server.requests[0]
    assert req.json() == {
        "model": "tts-1",
        "input": "Hello there, brave new world.",
        "voice": "alloy",
        "response_format": "wav",
        "speed": 1.0,
    }
    assert req.headers["authorization"] == f"Bearer {KEY}"
    # the server's own rate is kept: the narration resamples to 48 kHz once
    assert (speech.engine, speech.voice, speech.sample_rate) == ("openai", "alloy", 24000)
    assert speech.duration == pytest.approx(1.0, abs=0.02)
    assert [w.text for w in speech.words] == ["Hello", "there,", "brave", "new", "world."]
    assert speech.words[0].start == pytest.approx(0.0, abs=0.01)
    assert speech.words[-1].end == pytest.approx(1.0, abs=0.02)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(speech.words, speech.words[1:], strict=False))
    assert leftovers(tmp_path) == []


async def test_twenty_concurrent_syntheses_share_the_pool_under_two_slots(
    server: FakeServer, tmp_path: Path
) -> None:
    server.on("POST", SPEECH, default=Reply(body=TONE, delay=0.05))
    tts = service(tmp_path, max_connections=4)
    speeches = await asyncio.gather(
        *(tts.speak(f"Sentence number {i}.", voice(server), 175, tmp_path / f"{i}.wav") for i in range(20))
    )
    await tts.aclose()
    assert len(speeches) == 20 and server.count("POST", SPEECH) == 20
    assert server.max_in_flight == 2, "the two TTS slots bound the requests in flight"
    assert server.accepted <= 4, f"{server.accepted} connections for a pool of 4"
    assert tts.resources is not None and tts.resources.tts.peak == 2


async def test_the_pool_bounds_connections_when_slots_are_wider(server: FakeServer, tmp_path: Path) -> None:
    server.on("POST", SPEECH, default=Reply(body=TONE, delay=0.05))
    tts = service(tmp_path, slots=10, max_connections=3)
    await asyncio.gather(
        *(tts.speak(f"Sentence number {i}.", voice(server), 175, tmp_path / f"{i}.wav") for i in range(20))
    )
    await tts.aclose()
    assert server.accepted <= 3 and server.max_in_flight <= 3
    assert server.max_in_flight == 3  # and the pool was used to the full


async def test_500_then_200_succeeds_after_one_retry(server: FakeServer, tmp_path: Path) -> None:
    server.on("POST", SPEECH, Reply(500, b"busy"), default=Reply(body=TONE))
    speech = await service(tmp_path).speak("Retry me.", voice(server), 175, tmp_path / "a.wav")
    assert server.count("POST", SPEECH) == 2 and speech.duration > 0.4


async def test_429_waits_for_retry_after(server: FakeServer, tmp_path: Path) -> None:
    server.on(
        "POST", SPEECH, Reply(429, b"slow down", headers={"Retry-After": "1"}), default=Reply(body=TONE)
    )
    started = time.monotonic()
    await service(tmp_path).speak("Patience.", voice(server), 175, tmp_path / "a.wav")
    assert time.monotonic() - started >= 1.0
    assert server.count("POST", SPEECH) == 2


async def test_400_is_not_retried_and_names_the_status_never_the_body(
    server: FakeServer, tmp_path: Path, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    server.on("POST", SPEECH, default=Reply.json({"error": "unknown voice alloy"}, 400))
    with pytest.raises(RemoteHTTPError) as info:
        await service(tmp_path).speak("No.", voice(server), 175, tmp_path / "a.wav")
    assert server.count("POST", SPEECH) == 1
    err = info.value
    assert err.status == 400 and not isinstance(err, RemoteServerError)
    assert "HTTP 400 Bad Request from http://127.0.0.1" in str(err)
    assert "unknown voice" not in str(err), "a remote body never reaches an error (API callers see them)"
    assert isinstance(err.__cause__, httpx.HTTPStatusError)
    assert KEY not in str(err) and KEY not in caplog.text
    assert not (tmp_path / "a.wav").exists() and leftovers(tmp_path) == []


async def test_5xx_to_the_end_is_a_server_error_with_its_cause(server: FakeServer, tmp_path: Path) -> None:
    server.on("POST", SPEECH, default=Reply(503, b"down for maintenance"))
    with pytest.raises(RemoteServerError) as info:
        await service(tmp_path, retries=2).speak("No.", voice(server), 175, tmp_path / "a.wav")
    assert server.count("POST", SPEECH) == 3
    assert "503" in str(info.value) and "3 attempts" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.HTTPStatusError)


async def test_a_connection_dropped_mid_stream_is_retried_without_partial_files(
    server: FakeServer, tmp_path: Path
) -> None:
    body = sine_wav(2.0)
    server.on("POST", SPEECH, Reply(body=body, drop_after=len(body) // 2), default=Reply(body=body))
    speech = await service(tmp_path).speak("Again.", voice(server), 175, tmp_path / "a.wav")
    assert server.count("POST", SPEECH) == 2
    assert speech.duration == pytest.approx(2.0, abs=0.02)
    assert leftovers(tmp_path) == []


async def test_a_connection_that_always_drops_fails_cleanly(server: FakeServer, tmp_path: Path) -> None:
    body = sine_wav(2.0)
    server.on("POST", SPEECH, default=Reply(body=body, drop_after=len(body) // 2))
    with pytest.raises(RemoteTransportError) as info:
        await service(tmp_path, retries=1).speak("Again.", voice(server), 175, tmp_path / "a.wav")
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


async def test_a_stalled_server_times_out(server: FakeServer, tmp_path: Path) -> None:
    server.on("POST", SPEECH, default=Reply(stall=True))
    started = time.monotonic()
    with pytest.raises(RemoteTimeout) as info:
        await service(tmp_path, retries=1, read_timeout=0.5).speak(
            "Hm.", voice(server), 175, tmp_path / "a.wav"
        )
    assert 1.0 <= time.monotonic() - started < 5
    assert server.count("POST", SPEECH) == 2
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_nothing_listening_is_a_transport_error(tmp_path: Path) -> None:
    with pytest.raises(RemoteTransportError) as info:
        await service(tmp_path, retries=1).speak(
            "Hi.", f"openai:alloy@http://127.0.0.1:{free_port()}/v1", 175, tmp_path / "a.wav"
        )
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_mp3_from_the_server_is_converted(server: FakeServer, tmp_path: Path) -> None:
    mp3 = tmp_path / "tone.mp3"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:duration=1.5",
            "-ac",
            "2",
            str(mp3),
        ],
        check=True,
    )
    server.on("POST", SPEECH, default=Reply(body=mp3.read_bytes(), content_type="audio/mpeg"))
    out = tmp_path / "out"
    out.mkdir()
    speech = await service(tmp_path).speak("An mp3 voice.", voice(server), 175, out / "a.wav")
    assert speech.sample_rate == 44100 and speech.duration == pytest.approx(1.5, abs=0.1)
    import wave

    with wave.open(str(out / "a.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 44100)


async def test_the_same_request_is_synthesized_once(server: FakeServer, tmp_path: Path) -> None:
    server.on("POST", SPEECH, default=Reply(body=TONE))
    tts = service(tmp_path, cache=True)
    first = await tts.speak("Cache me.", voice(server), 175, tmp_path / "a.wav")
    again = await tts.speak("Cache me.", voice(server), 175, tmp_path / "b.wav")
    other_rate = await tts.speak("Cache me.", voice(server), 200, tmp_path / "c.wav")
    assert server.count("POST", SPEECH) == 2 and tts.syntheses == 2
    assert again.engine == "openai" and again.words == first.words and other_rate.engine == "openai"
    # a different API key is the same voice; a different server is not
    tts.config = TTSConfig(http=tts.config.http, openai_api_key="another-key")
    await tts.speak("Cache me.", voice(server), 175, tmp_path / "d.wav")
    assert server.count("POST", SPEECH) == 2
    assert tts.entries.key(tts_link(f"{server.url}/v1"), 175, "x") != tts.entries.key(
        tts_link("http://127.0.0.1:1/v1"), 175, "x"
    )


def tts_link(base: str):
    from app.services.tts_service import VoiceSpec

    return VoiceSpec("openai", "alloy", base)


async def test_request_then_download_with_polling(server: FakeServer, tmp_path: Path) -> None:
    audio_path = "/files/job-1.wav"
    server.on("POST", "/tts", default=Reply.json({"error": 0, "async": f"{server.url}{audio_path}"}))
    server.on("GET", audio_path, Reply(404, b"not yet"), Reply(404, b"not yet"), default=Reply(body=TONE))
    config = TTSConfig(
        http=HttpConfig(retries=1, backoff_seconds=0.05),
        async_api_key=KEY,
        async_key_header="api-key",
        poll_seconds=0.1,
        poll_timeout=5,
    )
    tts = TTSService(config=config)
    speech = await tts.speak("Xin chào các bạn.", f"async:banmai@{server.url}/tts", 175, tmp_path / "a.wav")
    await tts.aclose()
    assert (speech.engine, speech.voice) == ("async", "banmai")
    assert server.count("GET", audio_path) == 3
    post = server.requests[0]
    assert post.headers["api-key"] == KEY and post.json()["text"] == "Xin chào các bạn."
    assert post.json()["voice"] == "banmai"


async def test_request_then_poll_a_status_url(server: FakeServer, tmp_path: Path) -> None:
    server.on("POST", "/v2/tts", default=Reply.json({"data": {"status_url": "/v2/status/7"}}))
    server.on(
        "GET",
        "/v2/status/7",
        Reply.json({"status": "processing"}, 202),
        default=Reply.json({"data": {"audio_url": "/v2/audio/7.wav"}}),
    )
    server.on("GET", "/v2/audio/7.wav", default=Reply(body=TONE))
    config = TTSConfig(http=HttpConfig(retries=0), poll_seconds=0.05, poll_timeout=5)
    speech = await TTSService(config=config).speak(
        "Hi.", f"async:v1@{server.url}/v2/tts", 175, tmp_path / "a.wav"
    )
    assert speech.duration == pytest.approx(0.5, abs=0.02)
    assert server.count("GET", "/v2/status/7") == 2


async def test_audio_that_never_comes_times_out(server: FakeServer, tmp_path: Path) -> None:
    server.on("POST", "/tts", default=Reply.json({"url": "/audio/x.wav"}))
    config = TTSConfig(http=HttpConfig(retries=0), poll_seconds=0.1, poll_timeout=0.5)
    with pytest.raises(RemoteTimeout):
        await TTSService(config=config).speak("Hi.", f"async:v@{server.url}/tts", 175, tmp_path / "a.wav")
    assert leftovers(tmp_path) == []


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MEMORY_PROBE = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from app.services.speech.engines.config import TTSConfig
    from app.core.net import FetchLimits, HttpConfig
    from app.services.tts_service import TTSService

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

    async def main(url, out):
        big = FetchLimits(max_bytes=300 << 20, deadline=240)  # over the 100 MB default, on purpose
        tts = TTSService(config=TTSConfig(http=HttpConfig(retries=0, read_timeout=60), audio_limits=big))
        await tts.speak("warm up", f"openai:alloy@{url}/small/v1", 175, Path(out) / "small.wav")
        before = status("VmRSS")
        speech = await tts.speak("big", f"openai:alloy@{url}/v1", 175, Path(out) / "big.wav")
        await tts.aclose()
        print(before, status("VmHWM"), speech.duration)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.slow
def test_a_200_mb_response_streams_to_disk_in_bounded_memory(server: FakeServer, tmp_path: Path) -> None:
    size = 200 * 1024 * 1024
    server.on("POST", "/small/v1/audio/speech", default=Reply(body=TONE))
    server.on("POST", SPEECH, default=Reply(body=wav_header(size), zeros=size))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, server.url, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    before, peak, duration = done.stdout.split()
    growth = int(peak) - int(before)
    assert growth < 30 * 1024 * 1024, f"RSS grew by {growth / 2**20:.1f} MB"
    assert float(duration) == pytest.approx(size / 2 / 22050, rel=0.001)
    assert (tmp_path / "big.wav").stat().st_size > size
