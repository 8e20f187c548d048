"""Which LLM writes the script, and how far it may be trusted: `--llm openai:MODEL[@BASE_URL]`.

Any OpenAI-compatible chat-completions server works (OpenAI, vLLM, Ollama, llama.cpp's server, LM
Studio). The key (`T2V_LLM_API_KEY`) is sent as a Bearer token to the spec's base URL only: the
`Endpoint` carries it, and the pooled client sends it to no other origin (a redirect elsewhere loses it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.config import Settings, setting_default
from app.core.net import Endpoint, FetchLimits
from app.errors import InputError

PROVIDERS = ("openai",)


@dataclass(frozen=True)
class LLMSpec:
    """`openai:MODEL[@BASE_URL]`: the provider, the model's name, and the server (None: the default)."""

    provider: str
    model: str
    base_url: str | None = None

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}" + (f"@{self.base_url}" if self.base_url else "")


def parse_llm_spec(text: str) -> LLMSpec:
    """A spec as the user wrote it, or an `InputError` of one line."""
    provider, colon, rest = text.strip().partition(":")
    if not colon or provider not in PROVIDERS:
        raise InputError(f"invalid --llm {text!r}: use openai:MODEL[@BASE_URL], e.g. openai:gpt-4o-mini")
    model, at, url = rest.partition("@")
    if not model.strip():
        raise InputError(f"invalid --llm {text!r}: the model's name is missing")
    if at:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"invalid --llm {text!r}: the base URL must be http(s)://HOST[:PORT][/PATH]")
        if parts.username or parts.password or parts.query:
            raise InputError(f"invalid --llm {text!r}: no credentials or query in the base URL")
    return LLMSpec(provider, model.strip(), url.rstrip("/") if at else None)


@dataclass(frozen=True)
class LLMConfig:
    """The LLM settings of one process (every default in `app.config.Settings`)."""

    default: str | None = None
    api_key: str | None = None
    base_url: str = setting_default("llm_base_url")
    concurrency: int = setting_default("llm_concurrency")
    attempts: int = setting_default("llm_attempts")
    deadline: float = setting_default("llm_deadline")
    max_answer_bytes: int = setting_default("llm_max_answer_bytes")
    chunk_chars: int = setting_default("llm_chunk_chars")
    prompts_dir: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(
            settings.llm,
            key,
            settings.llm_base_url,
            settings.llm_concurrency,
            settings.llm_attempts,
            settings.llm_deadline,
            settings.llm_max_answer_bytes,
            settings.llm_chunk_chars,
            settings.llm_prompts_dir,
        )

    def __repr__(self) -> str:  # the key never shows in a log or a traceback
        key = "set" if self.api_key else None
        return f"LLMConfig(default={self.default!r}, base_url={self.base_url!r}, key={key})"

    def spec(self, asked: str | None) -> LLMSpec:
        """The spec asked for, else the configured default; an `InputError` when there is neither."""
        text = asked or self.default
        if not text:
            raise InputError("no LLM is configured: give --llm openai:MODEL[@BASE_URL] (or set T2V_LLM)")
        return parse_llm_spec(text)

    def endpoint(self, spec: LLMSpec) -> Endpoint:
        """The server of `spec`, holding the key (sent to its origin only)."""
        url = spec.base_url or self.base_url
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return Endpoint(url, headers)

    @property
    def limits(self) -> FetchLimits:
        return FetchLimits(self.max_answer_bytes, self.deadline)
