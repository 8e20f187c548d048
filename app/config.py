"""Settings from `T2V_*` environment variables (and CLI flags, which override them).

Every default is written here once: the dataclasses built from settings (`ResourceLimits`,
`WorkerConfig`, `HttpConfig`, `TTSConfig`, `RetryPolicy`, `RenderOptions`...) take theirs from
`setting_default`. One data directory holds the caches, the job store, the workspaces and the artifacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024
RATE_MIN, RATE_MAX = 80, 450  # words per minute: espeak's own limits, and so every engine's
PAUSE_MAX = 10.0  # seconds: the longest pause a flag or a plan scene's pause_after may ask for
DURATION_MIN, DURATION_MAX = 10, 4 * 3600  # seconds: a target duration (--duration, --max-duration)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("t2v", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="T2V_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    max_input_bytes: int = Field(default=2 * MB, gt=0, description="largest accepted document, in bytes")
    # documents other than text (issue 16): PDF, DOCX, PPTX, EPUB, HTML; fetching web pages
    max_document_bytes: int = Field(
        default=50 * MB, gt=0, description="largest PDF, DOCX, PPTX, EPUB or HTML document, in bytes"
    )
    max_unpacked_bytes: int = Field(
        default=200 * MB, gt=0, description="most bytes a DOCX, PPTX or EPUB may expand to (zip bombs)"
    )
    max_pages: int = Field(default=300, ge=1, description="most PDF pages (or slides) one render reads")
    allow_fetch: bool = Field(
        default=False, description="read web pages by URL (t2v render URL, POST /v1/jobs {url})"
    )
    allow_private_urls: bool = Field(
        default=False, description="let fetched pages be on loopback, private or link-local addresses"
    )
    fetch_max_bytes: int = Field(default=10 * MB, gt=0, description="largest web page fetched, in bytes")
    fetch_deadline: float = Field(default=20.0, gt=0, description="seconds one web page may take")
    # what one render accepts, checked before anything is spoken (a refusal is an input error)
    max_word_chars: int = Field(default=1000, ge=20, description="longest word read aloud, in characters")
    max_scenes: int = Field(default=2000, ge=1, description="most scenes one render makes")
    max_narration_minutes: float = Field(default=240.0, gt=0, description="longest estimated narration")
    stop_seconds: float = Field(
        default=5.0, gt=0, description="how long cancelled work may take to stop before it is abandoned"
    )
    voice: str | None = Field(default=None, description="default voice spec, e.g. espeak:vi")
    rate: int = Field(default=175, ge=RATE_MIN, le=RATE_MAX, description="words per minute")
    aspect: str = "16:9"
    resolution: int = 720
    motion: Literal["none", "photos", "all"] = Field(
        default="photos", description="slow sub-pixel pan and zoom: none, photos (full-frame pictures) or all"
    )
    transition: Literal["none", "fade", "crossfade", "slide", "wipe"] = Field(
        default="none", description="between scenes: none, fade (through black), crossfade, slide or wipe"
    )
    theme: str = Field(
        default="dark", max_length=500, description="slide theme: dark, light, paper, bold or a .toml file"
    )
    # silence the voice leaves, in seconds, from where one sound stops to where the next starts
    pause_sentence: float = Field(default=0.45, ge=0, le=PAUSE_MAX, description="after a sentence")
    pause_paragraph: float = Field(default=0.8, ge=0, le=PAUSE_MAX, description="after a paragraph or item")
    pause_heading: float = Field(default=0.7, ge=0, le=PAUSE_MAX, description="after a heading")
    pause_scene: float = Field(default=1.0, ge=0, le=PAUSE_MAX, description="between two scenes")
    silent_scene: float = Field(
        default=3.0,
        ge=0.5,
        le=PAUSE_MAX,
        description="seconds at least on screen for a scene with nothing to say (a picture alone)",
    )
    # sound (issue 14): the narration's loudness and delivery
    loudness: float = Field(
        default=-16.0, ge=-31.0, le=-9.0, description="integrated loudness of the output, LUFS"
    )
    true_peak: float = Field(default=-1.5, ge=-9.0, le=0.0, description="highest true peak, dBTP")
    audio_bitrate: int = Field(default=128, ge=64, le=320, description="AAC-LC bitrate, kb/s")
    music_dir: Path | None = Field(
        default=None, description="folder of music tracks API callers may choose (GET /v1/music)"
    )
    max_music_bytes: int = Field(default=100 * MB, gt=0, description="largest music file, refused by size")
    music_level: float = Field(default=18.0, ge=0.0, le=60.0, description="music bed, LU below the speech")
    music_duck: float = Field(default=15.0, ge=0.0, le=60.0, description="dB the music dips under words")
    music_attack: float = Field(default=0.15, ge=0.0, le=5.0, description="seconds: ducked when words start")
    music_release: float = Field(default=0.4, ge=0.0, le=5.0, description="seconds: back up after words")

    # resources (the seed's ResourceLimits): how much runs at once, and when the machine is too busy
    max_cpu_percent: float = Field(default=80.0, gt=0, le=100, description="claim no job above this CPU %")
    max_memory_percent: float = Field(
        default=85.0, gt=0, le=100, description="claim no job above this memory % (of the cgroup's limit)"
    )
    max_concurrent_jobs: int = Field(default=3, ge=1, description="jobs one worker process runs at once")
    max_concurrent_tts: int = Field(default=2, ge=1, description="speech syntheses at once")
    max_concurrent_visual: int = Field(default=4, ge=1, description="pictures drawn at once")
    cleanup_memory_percent: float = Field(
        default=70.0, gt=0, le=100, description="free caches and orphaned workspaces above this memory %"
    )
    monitor_interval: float = Field(default=30.0, gt=0, description="seconds between resource checks")
    hysteresis_percent: float = Field(
        default=5.0, ge=0, description="once over a limit, CPU and memory must fall this far below it"
    )
    cleanup_cooldown: float = Field(default=60.0, ge=0, description="seconds between two cleanups")

    # the job queue
    database_url: str | None = Field(
        default=None, description="postgresql://... ; SQLite in data_dir if unset"
    )
    max_attempts: int = Field(default=3, ge=1, le=100)
    lease_seconds: float = Field(default=30.0, gt=0)
    heartbeat_seconds: float = Field(default=1.0, gt=0)
    grace_seconds: float = Field(
        default=30.0, ge=0, description="how long running jobs may finish on SIGTERM"
    )
    retry_base_seconds: float = Field(default=10.0, ge=0)
    retry_max_seconds: float = Field(default=600.0, ge=0)
    poll_seconds: float = Field(default=1.0, gt=0)
    handlers: str | None = Field(
        default=None, description="extra job kinds for workers: kind=module:callable[,kind=...]"
    )
    cache_max_bytes: int = Field(default=2 * 1024 * MB, ge=0)

    # an optional LLM writes the script (issue 17): --llm openai:MODEL[@BASE_URL]; its key goes there only
    llm: str | None = Field(default=None, description="default --llm, e.g. openai:gpt-4o-mini[@URL]")
    llm_api_key: SecretStr | None = Field(default=None, description="bearer token for the LLM's base URL")
    llm_base_url: str = Field(default="https://api.openai.com/v1", description="when --llm has no @URL")
    llm_concurrency: int = Field(default=2, ge=1, le=32, description="LLM requests at once per process")
    llm_attempts: int = Field(
        default=3, ge=1, le=10, description="asks per chunk, the first included (re-asked with the errors)"
    )
    llm_deadline: float = Field(default=180.0, gt=0, description="seconds one LLM request may take in all")
    llm_max_answer_bytes: int = Field(default=1 * MB, gt=0, description="largest LLM answer")
    llm_chunk_chars: int = Field(
        default=12_000, ge=500, le=1_000_000, description="document characters sent in one request"
    )
    llm_prompts_dir: Path | None = Field(
        default=None, description="folder of prompt templates (system.txt, document.txt...) replacing ours"
    )

    # picture providers (--visuals pexels[@URL]); keys are secrets, sent only to their base URL
    pexels_api_key: SecretStr | None = Field(default=None, description="key for --visuals pexels")
    pexels_base_url: str = Field(default="https://api.pexels.com", description="when a spec has no @URL")
    pixabay_api_key: SecretStr | None = Field(default=None, description="key for --visuals pixabay")
    pixabay_base_url: str = Field(default="https://pixabay.com", description="when a spec has no @URL")
    stock_results: int = Field(default=15, ge=1, le=80, description="photos asked per stock search")
    credits: bool = Field(default=False, description="end with a card crediting the stock photos and clips")
    # video clips as scene backgrounds (pexels-video, pixabay-video, clips in local:DIR)
    max_clip_bytes: int = Field(
        default=100 * MB, gt=0, description="largest video clip file (or download), in bytes"
    )
    max_clip_pixels: int = Field(
        default=3840 * 2160, gt=0, description="largest video clip frame, in pixels (width x height)"
    )
    clip_fetch_deadline: float = Field(
        default=120.0, gt=0, description="seconds one clip download may take, retries and slow bodies in"
    )

    # speech engines over HTTP (voice specs openai:VOICE[@URL] and async:VOICE[@URL]); keys are secrets
    openai_api_key: SecretStr | None = Field(default=None, description="bearer token for openai: voices")
    openai_base_url: str = Field(default="https://api.openai.com/v1", description="when a spec has no @URL")
    openai_tts_model: str = Field(default="tts-1", description="the `model` of POST {base}/audio/speech")
    openai_response_format: str = Field(default="wav", description="audio format asked of the server")
    tts_api_key: SecretStr | None = Field(default=None, description="key for async: (request, then download)")
    tts_api_key_header: str = Field(default="Authorization", description="header carrying T2V_TTS_API_KEY")
    tts_api_url: str | None = Field(default=None, description="async: endpoint when a spec has no @URL")
    tts_http_connections: int = Field(default=4, ge=1, le=100, description="pooled connections per process")
    tts_connect_timeout: float = Field(default=10.0, gt=0)
    tts_read_timeout: float = Field(default=60.0, gt=0, description="longest silence from a TTS server")
    tts_retries: int = Field(default=3, ge=0, le=10, description="retries on network errors, 429 and 5xx")
    tts_backoff_seconds: float = Field(default=0.5, ge=0)
    tts_retry_after_max: float = Field(default=60.0, ge=0, description="cap on a server's Retry-After")
    # what one TTS request may cost (a scene's narration is ~20 s of speech, a few MB even as 48 kHz WAV)
    tts_max_audio_bytes: int = Field(default=100 * MB, gt=0, description="largest audio one request gets")
    tts_max_json_bytes: int = Field(default=1 * MB, gt=0, description="largest JSON answer (async: vendors)")
    tts_request_deadline: float = Field(
        default=120.0, gt=0, description="seconds one request may take, retries and slow bodies included"
    )
    tts_poll_seconds: float = Field(default=1.0, gt=0, description="async: wait between polls")
    tts_poll_timeout: float = Field(default=300.0, gt=0, description="async: give up on the audio after")
    tts_failover_cooldown: float = Field(
        default=60.0, ge=0, description="seconds a failed engine of a voice chain is skipped"
    )

    # images a document shows (issue 13): local files under the document's folder or --assets-root,
    # remote ones only when allowed; each checked before it is decoded
    allow_remote_images: bool = Field(
        default=False,
        description="fetch http(s) images (public addresses only); the CLI's --allow-remote-images",
    )
    max_image_bytes: int = Field(
        default=20 * MB, gt=0, description="largest image file (or download), in bytes"
    )
    max_image_pixels: int = Field(
        default=50_000_000,
        gt=0,
        description="largest image, in pixels (width x height), checked before decoding",
    )
    image_fetch_deadline: float = Field(
        default=30.0, gt=0, description="seconds one remote image may take, retries and slow bodies included"
    )

    # the HTTP service (`t2v serve`)
    api_keys: str | None = Field(
        default=None, description="API keys, comma-separated; prefix one with 'admin:' to see every job"
    )
    api_voices: str | None = Field(
        default=None,
        description="voices API callers may use, ENGINE:VOICE[@URL] comma-separated (VOICE may be *); "
        "default: espeak, piper packages and the configured HTTP engines",
    )
    max_waiting_per_key: int = Field(default=20, ge=1, description="queued jobs one API key may have")
    artifact_quota_bytes_per_key: int | None = Field(
        default=None, gt=0, description="bytes of stored videos one API key may hold; unset: no quota"
    )
    header_timeout: float = Field(
        default=10.0, gt=0, description="seconds a client has to send a request's headers, then dropped"
    )

    # the data lifecycle
    retention_days: float | None = Field(
        default=None, gt=0, description="delete finished jobs' documents and files after this; unset: keep"
    )
    retention_check_seconds: float = Field(
        default=300.0, gt=0, description="how often workers and the server look for what to delete"
    )

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def api_keys_file(self) -> Path:
        return self.data_dir / "api_keys.json"

    @property
    def retention_seconds(self) -> float | None:
        return None if self.retention_days is None else self.retention_days * 86400.0


def setting_default(name: str) -> Any:
    """A setting's default, for the dataclasses built from settings (so it is written once, here)."""
    return Settings.model_fields[name].default


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit values (CLI flags) taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
