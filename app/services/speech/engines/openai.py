"""The OpenAI speech API, `POST {base}/audio/speech`, which OpenAI itself and self-hosted servers
(Kokoro-FastAPI, openedai-speech, Piper HTTP servers) speak."""

from __future__ import annotations

from pathlib import Path

from app.config import setting_default
from app.core.net import HttpClient
from app.services.speech.engines.config import TTSConfig

BASE_RATE: int = setting_default("rate")  # OpenAI's speed 1.0 is about the default rate


def speed(rate: int) -> float:
    return round(min(4.0, max(0.25, rate / BASE_RATE)), 3)


async def fetch(
    http: HttpClient, config: TTSConfig, text: str, voice: str, base_url: str, rate: int, dest: Path
) -> None:
    """Stream the spoken `text` into `dest`, in whatever format the server sends."""
    await http.download(
        "POST",
        f"{base_url.rstrip('/')}/audio/speech",
        dest,
        what=f"openai voice {voice!r}",
        limits=config.audio_limits,
        endpoint=config.openai_endpoint(base_url),
        json_body={
            "model": config.openai_model,
            "input": text,
            "voice": voice,
            "response_format": config.openai_format,
            "speed": speed(rate),
        },
    )
