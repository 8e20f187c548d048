"""Voice chains fall through to the next engine, and the real CLI renders with an HTTP voice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.memory_optimizer import WorkspaceManager
from app.core.net import HttpConfig
from app.errors import RemoteHTTPError, VoiceNotFound
from app.services.documents import document_from_bytes
from app.services.pipeline import Renderer
from app.services.speech.engines.config import TTSConfig
from app.services.tts_service import TTSService, parse_voice_chain, parse_voice_spec
from app.services.video import ffmpeg_exe, probe
from tests.conftest import CLI
from tests.test_tts_http import free_port
from tests.tts_server import FakeServer, Reply, sine_wav

SPEECH = "/v1/audio/speech"
DOC = b"# One\n\nThe first scene is short.\n\n# Two\n\nThe second scene is short too.\n"


def fast_config() -> TTSConfig:
    return TTSConfig(http=HttpConfig(retries=1, backoff_seconds=0.05, read_timeout=5))


def test_voice_spec_forms() -> None:
    cfg = TTSConfig(async_url=None)
    chain = parse_voice_chain("openai:alloy@http://127.0.0.1:8880/v1/, espeak:EN-us", config=cfg)
    assert [str(link) for link in chain.links] == ["openai:alloy@http://127.0.0.1:8880/v1", "espeak:en-us"]
    assert chain.language == "en-us" and parse_voice_chain("openai:nova", config=cfg).language is None
    assert parse_voice_spec("openai:nova", config=cfg).base_url == "https://api.openai.com/v1"
    assert parse_voice_spec("async:banmai@https://tts.example.vn/api", config=cfg).base_url == (
        "https://tts.example.vn/api"
    )
    for bad, words in {
        "nope:vi": "unknown speech engine",
        "openai:alloy@ftp://x": "http",
        "openai:@http://127.0.0.1/v1": "no voice name",
        "async:banmai": "@URL",
        "espeak:en@http://x": "no @URL",
        "espeak:xx-nope": "no espeak voice",
        "piper:/nowhere/voice.onnx": "piper",
        "openai:alloy@http://h/v1,,espeak:en": "empty",
    }.items():
        with pytest.raises(VoiceNotFound, match=words):
            parse_voice_chain(bad, config=cfg)


async def test_http_engine_down_espeak_speaks_and_the_render_says_so(tmp_path: Path) -> None:
    voice = f"openai:alloy@http://127.0.0.1:{free_port()}/v1,espeak:en-us"
    tts = TTSService(config=fast_config())
    renderer = Renderer(WorkspaceManager(tmp_path / "ws"), tts=tts, settings=load_settings())
    doc = document_from_bytes(DOC, "talk.md", None, 10_000)
    from app.services.models import RenderOptions

    result = await renderer.render(doc, tmp_path / "out.mp4", RenderOptions(voice=voice))
    assert result.engines == ("espeak", "espeak")
    assert probe(result.video).duration > 1
    assert tts.syntheses == 4  # a title and a sentence per scene


async def test_exhausted_429_falls_through_but_400_does_not(tmp_path: Path) -> None:
    with FakeServer() as server:
        server.on("POST", SPEECH, default=Reply(429, b"quota", headers={"Retry-After": "0"}))
        voice = f"openai:alloy@{server.url}/v1,espeak:en-us"
        tts = TTSService(config=fast_config())
        speech = await tts.speak("Hello.", voice, 175, tmp_path / "a.wav")
        assert speech.engine == "espeak" and server.count("POST", SPEECH) == 2
        # the failed engine is skipped for a while: the next scene goes straight to espeak
        await tts.speak("Again.", voice, 175, tmp_path / "b.wav")
        assert server.count("POST", SPEECH) == 2

        server.on("POST", "/bad/v1/audio/speech", default=Reply(400, b"bad voice"))
        with pytest.raises(RemoteHTTPError, match="HTTP 400"):
            await tts.speak(
                "Hello.", f"openai:alloy@{server.url}/bad/v1,espeak:en-us", 175, tmp_path / "c.wav"
            )


async def test_the_first_engine_that_answers_speaks(tmp_path: Path) -> None:
    with FakeServer() as server:
        server.on("POST", SPEECH, default=Reply(body=sine_wav(0.5)))
        voice = f"openai:x@http://127.0.0.1:{free_port()}/v1,openai:alloy@{server.url}/v1,espeak:en-us"
        speech = await TTSService(config=fast_config()).speak("Hello.", voice, 175, tmp_path / "a.wav")
        assert (speech.engine, speech.voice) == ("openai", "alloy")


@pytest.mark.slow
def test_cli_renders_with_an_openai_compatible_server(cli: CLI, tmp_path: Path) -> None:
    mp3 = tmp_path / "voice.mp3"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=2", str(mp3)],
        check=True,
    )
    src = cli.cwd / "talk.md"
    src.write_bytes(DOC)
    with FakeServer() as server:
        server.on("POST", SPEECH, default=Reply(body=mp3.read_bytes(), content_type="audio/mpeg"))
        cli.env["T2V_OPENAI_API_KEY"] = "sk-cli-secret"
        result = cli.run("render", str(src), "-o", "out.mp4", "--voice", f"openai:alloy@{server.url}/v1")
        assert result.returncode == 0, result.stderr.decode()
        assert server.count("POST", SPEECH) == 4  # one request per sentence (the titles too)
        assert all(r.headers["authorization"] == "Bearer sk-cli-secret" for r in server.requests)
    info = probe(cli.cwd / "out.mp4")
    assert info.streams.count("audio") == 1 and info.streams.count("video") == 1
    # four 2 s sentences, a pause after each title and one between the scenes
    assert info.duration == pytest.approx(8.0 + 2 * 0.7 + 1.0, abs=1.0)
    assert (cli.cwd / "out.srt").read_text().count("-->") >= 2
    assert b"sk-cli-secret" not in result.stderr + result.stdout
    assert cli.leftover_temp_files() == []


@pytest.mark.slow
def test_cli_falls_back_to_espeak_when_the_server_is_down(cli: CLI) -> None:
    src = cli.cwd / "talk.md"
    src.write_bytes(DOC)
    cli.env["T2V_TTS_RETRIES"] = "0"
    voice = f"openai:alloy@http://127.0.0.1:{free_port()}/v1,espeak:en-us"
    result = cli.run("render", str(src), "-o", "out.mp4", "--voice", voice)
    assert result.returncode == 0, result.stderr.decode()
    assert probe(cli.cwd / "out.mp4").duration > 1
