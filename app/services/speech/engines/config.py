"""What the speech engines need from settings, gathered once; keys are kept out of reprs."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.config import Settings, setting_default
from app.core.net import Endpoint, FetchLimits, HttpConfig
from app.services.speech.engines.access import CallerVoices

_DEADLINE = setting_default("tts_request_deadline")
AUDIO_LIMITS = FetchLimits(setting_default("tts_max_audio_bytes"), _DEADLINE)
JSON_LIMITS = FetchLimits(setting_default("tts_max_json_bytes"), _DEADLINE)


@dataclass(frozen=True)
class TTSConfig:
    http: HttpConfig = field(default_factory=HttpConfig)
    audio_limits: FetchLimits = AUDIO_LIMITS  # one audio file per request
    json_limits: FetchLimits = JSON_LIMITS  # an async: vendor's answers
    openai_base_url: str = setting_default("openai_base_url")
    openai_model: str = setting_default("openai_tts_model")
    openai_format: str = setting_default("openai_response_format")
    openai_api_key: str | None = field(default=None, repr=False)
    async_url: str | None = None
    async_api_key: str | None = field(default=None, repr=False)
    async_key_header: str = setting_default("tts_api_key_header")
    poll_seconds: float = setting_default("tts_poll_seconds")
    poll_timeout: float = setting_default("tts_poll_timeout")
    failover_cooldown: float = setting_default("tts_failover_cooldown")
    caller_voices: CallerVoices = field(default_factory=lambda: CallerVoices.parse("espeak:*,piper:*"))

    @classmethod
    def from_settings(cls, s: Settings) -> TTSConfig:
        return cls(
            http=HttpConfig(
                max_connections=s.tts_http_connections,
                connect_timeout=s.tts_connect_timeout,
                read_timeout=s.tts_read_timeout,
                retries=s.tts_retries,
                backoff_seconds=s.tts_backoff_seconds,
                retry_after_max=s.tts_retry_after_max,
            ),
            audio_limits=FetchLimits(s.tts_max_audio_bytes, s.tts_request_deadline),
            json_limits=FetchLimits(s.tts_max_json_bytes, s.tts_request_deadline),
            openai_base_url=s.openai_base_url,
            openai_model=s.openai_tts_model,
            openai_format=s.openai_response_format,
            openai_api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
            async_url=s.tts_api_url,
            async_api_key=s.tts_api_key.get_secret_value() if s.tts_api_key else None,
            async_key_header=s.tts_api_key_header,
            poll_seconds=s.tts_poll_seconds,
            poll_timeout=s.tts_poll_timeout,
            failover_cooldown=s.tts_failover_cooldown,
            caller_voices=CallerVoices.from_settings(s),
        )

    def openai_endpoint(self, base_url: str) -> Endpoint:
        """An openai: server; T2V_OPENAI_API_KEY goes to its origin and nowhere else."""
        return Endpoint(base_url, auth_header(self.openai_api_key))

    def async_endpoint(self, url: str) -> Endpoint:
        """An async: vendor; T2V_TTS_API_KEY goes to its origin, never to a host serving the audio."""
        return Endpoint(url, auth_header(self.async_api_key, self.async_key_header))


def auth_header(key: str | None, header: str = "Authorization") -> dict[str, str]:
    """`Authorization: Bearer KEY`, or the bare key in a vendor's own header (e.g. `api-key`)."""
    if not key:
        return {}
    if header.lower() == "authorization":
        return {"Authorization": f"Bearer {key}"}
    return {header: key}
