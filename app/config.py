"""Settings from `T2V_*` environment variables (and CLI flags, which override them).

One data directory holds the caches, the job store, the workspaces and the artifacts.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("t2v", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="T2V_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    max_input_bytes: int = Field(default=2 * MB, gt=0, description="largest accepted document, in bytes")
    voice: str | None = Field(default=None, description="default voice spec, e.g. espeak:vi")
    rate: int = Field(default=175, ge=80, le=450, description="words per minute")
    aspect: str = "16:9"
    resolution: int = 720

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

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit values (CLI flags) taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
