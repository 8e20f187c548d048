"""The "request, then download" pattern of several Vietnamese and Asian TTS vendors (voice `async:`).

1. `POST URL` with JSON `{"text", "voice", "speed"}` (the key in `T2V_TTS_API_KEY_HEADER`).
2. The JSON answer names the audio: `audio_url`, `url` or `async` (FPT.AI's name), at the top level
   or under `data`. Or it names a status to poll, `status_url` / `poll_url`, whose JSON answers the
   same way once the audio exists. `error` (non-zero) or `status: failed` is a refusal.
3. `GET` the audio. While it is not ready the server may answer 404, 202 or 425: we poll again every
   `T2V_TTS_POLL_SECONDS` until `T2V_TTS_POLL_TIMEOUT`.

The key goes only to the vendor's own origin (scheme, host, port). Status and audio URLs elsewhere
(a CDN) are fetched without it, and only from public addresses: the vendor's answer cannot point
the server at an internal service.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import httpx

from app.core.net import Endpoint, HttpClient, Pending, safe_url
from app.errors import RemoteTimeout, TTSError
from app.services.models import WordTiming
from app.services.speech.engines.config import TTSConfig
from app.services.speech.engines.openai import speed
from app.services.speech.engines.timestamps import parse_words

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
    """Why the vendor refused, in our words: its own message may hold anything, and errors reach
    API callers."""
    if not isinstance(answer, dict):
        return "the answer is not a JSON object"
    error = answer.get("error")
    if error not in (None, 0, "0", False, ""):
        return "the vendor answered with an error"
    if str(answer.get("status", "")).lower() in ("failed", "error"):
        return "the vendor reports the synthesis failed"
    return None


def _follow(endpoint: Endpoint, link: str, what: str) -> httpx.URL:
    """A URL from the vendor's answer, resolved against its endpoint. Where it may go is the HTTP
    client's business: the endpoint's own origin, or public addresses only."""
    try:
        url = httpx.URL(endpoint.url).join(link)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        problem = "the vendor answered with a URL that is not http(s)"
        raise TTSError(f"{what}: {problem} ({safe_url(endpoint.url)})", public=f"{what}: {problem}")
    return url


async def fetch(
    http: HttpClient, config: TTSConfig, text: str, voice: str, url: str, rate: int, dest: Path
) -> list[WordTiming] | None:
    """Download the spoken `text` into `dest`; the word timings the vendor's answer gives, if any."""
    what = f"async voice {voice!r}"
    endpoint = config.async_endpoint(url)
    deadline = time.monotonic() + config.poll_timeout
    answer = await http.fetch_json(
        "POST",
        url,
        what=what,
        limits=config.json_limits,
        endpoint=endpoint,
        json_body={"text": text, "voice": voice, "speed": speed(rate)},
    )
    status_url: httpx.URL | None = None
    while (audio := _find(answer, AUDIO_KEYS)) is None:
        reason = _refused(answer)
        status = _find(answer, STATUS_KEYS)
        if status is not None:
            status_url = _follow(endpoint, status, what)
        if reason is not None or status_url is None:
            problem = f"the vendor gave no audio URL ({reason or 'no url field'})"
            raise TTSError(f"{what}: {problem} ({safe_url(url)})", public=f"{what}: {problem}")
        await _wait(deadline, config.poll_seconds, what)
        with contextlib.suppress(Pending):  # keep the last answer, and poll again
            answer = await http.fetch_json(
                "GET",
                str(status_url),
                what=what,
                limits=config.json_limits,
                endpoint=endpoint,
                pending=NOT_READY,
            )
    audio_url = _follow(endpoint, audio, what)
    while True:
        try:
            await http.download(
                "GET",
                str(audio_url),
                dest,
                what=what,
                limits=config.audio_limits,
                endpoint=endpoint,
                pending=NOT_READY,
            )
            return parse_words(answer)
        except Pending:
            await _wait(deadline, config.poll_seconds, what)


async def _wait(deadline: float, seconds: float, what: str) -> None:
    if time.monotonic() + seconds > deadline:
        raise RemoteTimeout(f"{what}: the audio was not ready in time")
    await asyncio.sleep(seconds)
