"""Render options as users give them (CLI flags, API JSON, job payloads), validated in one place.

Where options enter decides their `Trust`: the CLI and the operator's own code are the operator,
an API request is a caller. A caller's voices are limited to what the operator offers (no server
URLs, no model files); the worker validates a job's options again with the trust stored in its
payload, so a job written by the API never gains the operator's trust on its way through the store.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.config import RATE_MAX, RATE_MIN, setting_default
from app.core.queue_manager import Trust
from app.errors import InputError, first_error
from app.services.models import RenderOptions
from app.services.speech.engines.config import TTSConfig
from app.services.speech.voices import parse_voice_spec


class RenderOptionsInput(BaseModel):
    """The public shape of render options; unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    voice: str | None = Field(default=None, max_length=500, description="ENGINE:VOICE, e.g. espeak:vi")
    rate: int = Field(
        default=setting_default("rate"), ge=RATE_MIN, le=RATE_MAX, description="words per minute"
    )
    aspect: Literal["16:9", "9:16", "1:1"] = setting_default("aspect")
    resolution: Literal[720, 1080] = setting_default("resolution")
    burn_captions: bool = False
    fps: Literal[24, 25, 30, 50, 60] | None = Field(
        default=None, description="constant frame rate; default: variable (each picture once)"
    )
    motion: bool = Field(default=False, description="slow pan and zoom on every scene")
    # issue 13 (visuals): a built-in theme by name; a theme file (.toml) only from the operator
    theme: str = Field(
        default=setting_default("theme"), max_length=500, description="dark, light, paper, bold"
    )

    def to_options(self) -> RenderOptions:
        return RenderOptions(
            voice=self.voice or None,
            rate=self.rate,
            aspect=self.aspect,
            resolution=self.resolution,
            burn_captions=self.burn_captions,
            fps=self.fps,
            motion=self.motion,
            theme=self.theme,
        )


def parse_render_options(
    values: dict[str, Any] | None, *, trust: Trust, config: TTSConfig | None = None
) -> RenderOptions:
    """Validate options from any source; a bad value raises InputError naming the field.

    `trust` says who chose them (there is no default: every entry point decides); `config` holds
    what the operator offers to callers (default: from the environment).
    """
    given = {k: v for k, v in (values or {}).items() if v is not None}
    try:
        options = RenderOptionsInput.model_validate(given)
    except ValidationError as exc:
        raise InputError(
            first_error(
                exc.errors(), subject="options", noun="option", allowed=RenderOptionsInput.model_fields
            )
        ) from None
    if options.voice:
        parse_voice_spec(options.voice, config=config, trust=trust)  # VoiceNotFound is an InputError
    _check_theme(options.theme, trust)
    return options.to_options()


def _check_theme(theme: str, trust: Trust) -> None:
    """A theme file names files on this machine (fonts, a logo): only the operator chooses one."""
    from app.services.visuals.theme_file import load_theme
    from app.services.visuals.themes import THEMES

    if theme in THEMES:
        return
    if trust is not Trust.OPERATOR:
        raise InputError(f"invalid theme: choose one of {', '.join(THEMES)}")
    load_theme(theme)  # a bad theme file is an InputError of one line, before any work is done
