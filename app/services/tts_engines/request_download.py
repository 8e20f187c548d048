"""The "request, then download" pattern of several Vietnamese and Asian TTS vendors (voice `async:`).

1. `POST URL` with JSON `{"text", "voice", "speed"}` (the key in `T2V_TTS_API_KEY_HEADER`).
2. The JSON answer names the audio: `audio_url`, `url` or `async` (FPT.AI's name), at the top level
   or under `data`. Or it names a status to poll, `status_url` / `poll_url`, whose JSON answers the
   same way once the audio exists. `error` (non-zero) or `status: failed` is a refusal.
3. `GET` the audio. While it is not ready the server may answer 404, 202 or 425: we poll again every
   `T2V_TTS_POLL_SECONDS` until `T2V_TTS_POLL_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import httpx

from app.errors import TTSError, TTSTimeout
from app.services.tts_engines.config import TTSConfig, auth_header
from app.services.tts_engines.http import HttpClient, Pending, safe_url
from app.services.tts_engines.openai import speed

AUDIO_KEYS = ("audio_url", "url", "async", "audioUrl", "file")
STATUS_KEYS = ("status_url", "poll_url", "statusUrl")
NOT_READY = frozenset({202, 404, 425})


def _find(answer: Any, keys: tuple[str, ...]) -> str | None:
    for scope in (answer, answer.get("data") if isinstance(answer, dict) else None):
        if isinstance(scope, dict):
            for key in keys:
                value = scope.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
    return None


def _refused(answer: Any) -> str | None:
    if not isinstance(answer, dict):
        return "the answer is not a JSON object"
    error = answer.get("error")
    if error not in (None, 0, "0", False, ""):
        return str(answer.get("message") or error)[:200]
    if str(answer.get("status", "")).lower() in ("failed", "error"):
        return str(answer.get("message") or "status failed")[:200]
    return None


async def fetch(
    http: HttpClient, config: TTSConfig, text: str, voice: str, url: str, rate: int, dest: Path
) -> None:
    what = f"async voice {voice!r}"
    headers = auth_header(config.async_api_key, config.async_key_header)
    deadline = time.monotonic() + config.poll_timeout
    answer = await http.fetch_json(
        "POST",
        url,
        what=what,
        json_body={"text": text, "voice": voice, "speed": speed(rate)},
        headers=headers,
    )
    status_url: httpx.URL | None = None
    while (audio := _find(answer, AUDIO_KEYS)) is None:
        reason = _refused(answer)
        status = _find(answer, STATUS_KEYS)
        if status is not None:
            status_url = httpx.URL(url).join(status)
        if reason is not None or status_url is None:
            raise TTSError(f"{what}: {safe_url(url)} gave no audio URL ({reason or 'no url field'})")
        await _wait(deadline, config.poll_seconds, what)
        with contextlib.suppress(Pending):  # keep the last answer, and poll again
            answer = await http.fetch_json(
                "GET",
                str(status_url),
                what=what,
                headers=_same_origin(headers, url, status_url),
                pending=NOT_READY,
            )
    audio_url = httpx.URL(url).join(audio)
    while True:
        try:
            await http.download(
                "GET",
                str(audio_url),
                dest,
                what=what,
                headers=_same_origin(headers, url, audio_url),
                pending=NOT_READY,
            )
            return
        except Pending:
            await _wait(deadline, config.poll_seconds, what)


def _same_origin(headers: dict[str, str], origin: str, target: httpx.URL) -> dict[str, str]:
    """The key goes only back to the vendor's own host, never to a CDN that serves the audio."""
    o = httpx.URL(origin)
    return headers if (o.scheme, o.host, o.port) == (target.scheme, target.host, target.port) else {}


async def _wait(deadline: float, seconds: float, what: str) -> None:
    if time.monotonic() + seconds > deadline:
        raise TTSTimeout(f"{what}: the audio was not ready in time")
    await asyncio.sleep(seconds)
