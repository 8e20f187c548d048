"""Render options as users give them (CLI flags, API JSON, job payloads), validated in one place.

Where options enter decides their `Trust`: the CLI and the operator's own code are the operator,
an API request is a caller. A caller's voices are limited to what the operator offers (no server
URLs, no model files); the worker validates a job's options again with the trust stored in its
payload, so a job written by the API never gains the operator's trust on its way through the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.config import RATE_MAX, RATE_MIN, setting_default
from app.core.queue_manager import Trust
from app.errors import InputError, first_error
from app.services.models import RenderOptions
from app.services.planning import MAX_LEXICON_BYTES, Lexicon
from app.services.speech import TTSConfig, parse_voice_spec


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
    # images (issue 13): the folder and the remote switch are the operator's; anyone may ask for placeholders
    assets_root: str | None = Field(
        default=None, max_length=4096, description="absolute folder local images come from (operator only)"
    )
    allow_remote_images: bool = Field(
        default=False,
        description="fetch http(s) images (operator only; the service has T2V_ALLOW_REMOTE_IMAGES)",
    )
    skip_missing_images: bool = Field(
        default=False, description="an image that cannot be used becomes a placeholder and a warning"
    )
    # issue 13 (visuals): a built-in theme by name; a theme file (.toml) only from the operator
    theme: str = Field(
        default=setting_default("theme"), max_length=500, description="dark, light, paper, bold"
    )
    # issue 14.4: what the voice says for names and jargon (TOML text, checked here: a bad regex is a 422)
    lexicon: str | None = Field(
        default=None,
        max_length=MAX_LEXICON_BYTES,
        description='a lexicon as TOML text: [vi]/[en]/[all] tables of "word" = "spoken form", '
        "[[en.regex]] pattern/say entries",
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
            assets_root=self.assets_root,
            allow_remote_images=self.allow_remote_images,
            skip_missing_images=self.skip_missing_images,
            theme=self.theme,
            lexicon=self.lexicon or None,
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
    _check_image_options(options, trust)
    _check_theme(options.theme, trust)
    if options.lexicon:
        Lexicon.from_toml(options.lexicon, source="option 'lexicon'")  # an InputError of one line
    return options.to_options()


def _check_image_options(options: RenderOptionsInput, trust: Trust) -> None:
    """A caller names no server folder and cannot turn on remote images: both are the operator's."""
    if trust is not Trust.OPERATOR:
        if options.assets_root:
            raise InputError(
                "option 'assets_root' is the operator's: documents sent here show no server files"
            )
        if options.allow_remote_images:
            raise InputError(
                "option 'allow_remote_images' is the operator's (T2V_ALLOW_REMOTE_IMAGES on this server)"
            )
    elif options.assets_root and not Path(options.assets_root).is_absolute():
        raise InputError(f"option 'assets_root' must be an absolute path, not {options.assets_root!r}")


def _check_theme(theme: str, trust: Trust) -> None:
    """A theme file names files on this machine (fonts, a logo): only the operator chooses one."""
    from app.services.visuals import THEMES, load_theme

    if theme in THEMES:
        return
    if trust is not Trust.OPERATOR:
        raise InputError(f"invalid theme: choose one of {', '.join(THEMES)}")
    load_theme(theme)  # a bad theme file is an InputError of one line, before any work is done
