"""Render options as users give them (CLI flags, API JSON, job payloads), validated in one place.

Where options enter decides their `Trust`: the CLI and the operator's own code are the operator,
an API request is a caller. A caller's voices are limited to what the operator offers (no server
URLs, no model files); the worker validates a job's options again with the trust stored in its
payload, so a job written by the API never gains the operator's trust on its way through the store.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.config import (
    DURATION_MAX,
    DURATION_MIN,
    PAUSE_MAX,
    RATE_MAX,
    RATE_MIN,
    Settings,
    setting_default,
)
from app.core.queue_manager import Trust
from app.errors import InputError, first_error
from app.services.documents import parse_pages
from app.services.models import RenderOptions
from app.services.planning import MAX_LEXICON_BYTES, Lexicon
from app.services.providers import parse_visuals
from app.services.speech import TTSConfig, parse_voice_spec
from app.services.video import PresetName, with_preset


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
    motion: Literal["none", "photos", "all"] = Field(
        default=setting_default("motion"),
        description="slow sub-pixel pan and zoom: none, photos (full-frame pictures) or all (true: all)",
    )
    credits: bool = Field(
        default=setting_default("credits"), description="end with a card crediting stock photos and clips"
    )
    transition: Literal["none", "fade", "crossfade", "slide", "wipe"] = Field(
        default=setting_default("transition"),
        description="between scenes: none, fade (through black), crossfade, slide or wipe",
    )
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
    # sound (issue 14)
    loudness: float = Field(
        default=setting_default("loudness"), ge=-31.0, le=-9.0, description="integrated loudness, LUFS"
    )
    room_tone: bool = Field(default=False, description="quiet room tone instead of digital silence")
    music: str | None = Field(
        default=None, max_length=4096, description="a track listed by GET /v1/music, or * for any of them"
    )
    music_level: float = Field(
        default=setting_default("music_level"), ge=0.0, le=60.0, description="music, LU below the speech"
    )
    music_playlist: bool = Field(default=False, description="play the folder's tracks in turn")
    music_seed: int | None = Field(default=None, ge=0, le=2**31, description="which track(s), reproducibly")
    max_music_bytes: int | None = Field(default=None, gt=0, description="largest music file (operator only)")
    # issue 14.6 (delivery): a preset fills the options not given; the rest shape the file
    preset: PresetName | None = Field(
        default=None, description="youtube, shorts, tiktok, reels, web or archive (options given win)"
    )
    keyframe_interval: float | None = Field(
        default=None,
        ge=0.5,
        le=10,
        description="longest time between keyframes, s (default: 10 s and each scene)",
    )
    quality: Literal["standard", "high"] = Field(default="standard", description="high: a higher bitrate")
    audio_only: bool = Field(default=False, description="write the narration alone (an M4A with chapters)")
    # issue 15.3: how burned captions look
    caption_style: Literal["clean", "boxed", "bold", "karaoke"] = Field(
        default="clean", description="burned captions: clean, boxed, bold or karaoke (the spoken word lit)"
    )

    # issue 14: silence, in seconds, from where one sound stops to where the next starts
    pause_sentence: float = Field(
        default=setting_default("pause_sentence"), ge=0, le=PAUSE_MAX, description="after a sentence"
    )
    pause_paragraph: float = Field(
        default=setting_default("pause_paragraph"),
        ge=0,
        le=PAUSE_MAX,
        description="after a paragraph or item",
    )
    pause_heading: float = Field(
        default=setting_default("pause_heading"), ge=0, le=PAUSE_MAX, description="after a heading"
    )
    pause_scene: float = Field(
        default=setting_default("pause_scene"), ge=0, le=PAUSE_MAX, description="between scenes"
    )
    # issue 17: a target duration ("90s", "1m30s", "1:30", 90); the narration is condensed to fit
    duration: float | None = Field(
        default=None, description='about this long: "90s", "1m30s", "1:30" or seconds (condensed to fit)'
    )
    max_duration: float | None = Field(
        default=None, description="at most this long (condensed only if longer); same forms as duration"
    )

    llm: str | None = Field(
        default=None,
        max_length=500,
        description="openai:MODEL[@BASE_URL]: an LLM writes the script (operator only)",
    )

    @field_validator("motion", mode="before")
    @classmethod
    def _motion(cls, value: object) -> object:
        """The first `motion` was a switch: true still means every scene, false none."""
        return ("all" if value else "none") if isinstance(value, bool) else value

    @field_validator("duration", "max_duration", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_target(self) -> RenderOptionsInput:
        for name in ("duration", "max_duration"):
            value = getattr(self, name)
            if value is not None and not DURATION_MIN <= value <= DURATION_MAX:
                raise ValueError(
                    f"{name} must be between {DURATION_MIN} s and {DURATION_MAX // 3600} h, not {value:g} s"
                )
        if self.duration is not None and self.max_duration is not None:
            raise ValueError("give a duration or a max_duration, not both")
        return self

    # packed documents (issue 16)
    pages: str | None = Field(
        default=None, max_length=40, description="pages or slides to read: N, N-M or N- (default: all)"
    )
    pptx_picture: Literal["auto", "libreoffice", "redraw"] = Field(
        default="auto", description="a PPTX slide's picture: rendered by LibreOffice, or redrawn"
    )
    # issue 18: picture providers, in failover order (the operator's folders and servers only)
    visuals: str | None = Field(
        default=None, max_length=500, description="SPEC[,SPEC...]: slides, local:DIR (operator only)"
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
            transition=self.transition,
            credits=self.credits,
            assets_root=self.assets_root,
            allow_remote_images=self.allow_remote_images,
            skip_missing_images=self.skip_missing_images,
            theme=self.theme,
            lexicon=self.lexicon or None,
            pause_sentence=self.pause_sentence,
            pause_paragraph=self.pause_paragraph,
            pause_heading=self.pause_heading,
            pause_scene=self.pause_scene,
            loudness=self.loudness,
            room_tone=self.room_tone,
            music=self.music,
            music_level=self.music_level,
            music_playlist=self.music_playlist,
            music_seed=self.music_seed,
            max_music_bytes=self.max_music_bytes,
            duration=self.duration,
            max_duration=self.max_duration,
            llm=self.llm or None,
            preset=self.preset,
            keyframe_interval=self.keyframe_interval,
            quality=self.quality,
            audio_only=self.audio_only,
            caption_style=self.caption_style,
            pages=self.pages,
            pptx_picture=self.pptx_picture,
            visuals=self.visuals or None,
        )


_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m(?:in)?)?(?:(?P<s>\d+(?:\.\d+)?)s?)?"
)


def parse_duration(text: str) -> float:
    """Seconds from "90", "90s", "1m30s", "2m", "1h", "1:30" or "1:02:03"; a ValueError otherwise."""
    raw = text.strip().lower().replace(" ", "")
    if ":" in raw:
        parts = raw.split(":")
        if len(parts) <= 3 and all(p.isdigit() for p in parts):
            seconds = 0.0
            for part in parts:
                seconds = seconds * 60 + int(part)
            return seconds
    else:
        m = _DURATION.fullmatch(raw)
        if raw and m and any(m.groups()):
            h, mins, s = (float(g) if g else 0.0 for g in m.group("h", "m", "s"))
            return h * 3600 + mins * 60 + s
    raise ValueError(f'not a duration: {text!r} (e.g. "90s", "1m30s", "1:30")')


def parse_render_options(
    values: dict[str, Any] | None, *, trust: Trust, settings: Settings, config: TTSConfig | None = None
) -> RenderOptions:
    """Validate options from any source; a bad value raises InputError naming the field.

    `trust` says who chose them (there is no default: every entry point decides); `settings` are the
    operator's (providers' keys and servers, the music folder), handed down by the entry point;
    `config` holds the voices the operator offers to callers (default: made from `settings`).
    """
    given = with_preset({k: v for k, v in (values or {}).items() if v is not None})
    try:
        options = RenderOptionsInput.model_validate(given)
    except ValidationError as exc:
        raise InputError(
            first_error(
                exc.errors(), subject="options", noun="option", allowed=RenderOptionsInput.model_fields
            )
        ) from None
    if options.voice:
        config = config or TTSConfig.from_settings(settings)
        parse_voice_spec(options.voice, config=config, trust=trust)  # VoiceNotFound is an InputError
    _check_image_options(options, trust)
    parse_visuals(options.visuals, trust, settings)  # a caller names no folder or server (one line)
    _check_llm(options.llm, trust)
    _check_theme(options.theme, trust)
    _check_music(options, trust, settings)
    if options.lexicon:
        Lexicon.from_toml(options.lexicon, source="option 'lexicon'")  # an InputError of one line
    parse_pages(options.pages)  # a bad range is an InputError of one line
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


def _check_llm(spec: str | None, trust: Trust) -> None:
    """An LLM spec names a server and spends the operator's key: only the operator chooses one."""
    if not spec:
        return
    if trust is not Trust.OPERATOR:
        raise InputError(
            "option 'llm' is the operator's: this server writes no scripts with an LLM for callers"
        )
    from app.services.llm import parse_llm_spec

    parse_llm_spec(spec)  # one line for a bad spec, before any work is done


def _check_theme(theme: str, trust: Trust) -> None:
    """A theme file names files on this machine (fonts, a logo): only the operator chooses one."""
    from app.services.visuals import THEMES, load_theme

    if theme in THEMES:
        return
    if trust is not Trust.OPERATOR:
        raise InputError(f"invalid theme: choose one of {', '.join(THEMES)}")
    load_theme(theme)  # a bad theme file is an InputError of one line, before any work is done


def _check_music(options: RenderOptionsInput, trust: Trust, settings: Settings) -> None:
    """A caller names a track of the operator's music folder (or * for any); the operator may name
    any file or folder. Sizes are checked here, before any work (a 2 GB file is never read)."""
    from app.services.audio import ALL_TRACKS, music_files, track_names

    if trust is not Trust.OPERATOR and options.max_music_bytes is not None:
        raise InputError("option 'max_music_bytes' is the operator's (T2V_MAX_MUSIC_BYTES on this server)")
    if not options.music:
        return
    limit = options.max_music_bytes or settings.max_music_bytes
    if trust is not Trust.OPERATOR:
        names = track_names(settings.music_dir)
        if options.music != ALL_TRACKS and options.music not in names:
            offered = ", ".join(names[:10]) if names else "none: this server has no music"
            raise InputError(
                f"invalid music {options.music[:100]!r}: choose one of GET /v1/music ({offered})"
            )
    music_files(options.music, settings.music_dir, limit)


def option_choices() -> dict[str, dict[str, Any]]:
    """Every render option a caller picks from a fixed set (`GET /v1/options`): its values and its
    default, read from the model that validates them, so a page's selects can never offer what the
    API refuses, nor miss what it accepts. Themes are the built-in ones (a theme file is the operator's)."""
    from app.services.visuals import THEMES

    out: dict[str, dict[str, Any]] = {}
    for name, field in RenderOptionsInput.model_fields.items():
        values = [v for arg in (field.annotation, *get_args(field.annotation)) for v in _literals(arg)]
        if values:
            out[name] = {"values": values, "default": field.default}
    out["theme"] = {"values": list(THEMES), "default": setting_default("theme")}
    return out


def _literals(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) is Literal else ()
