"""What every `t2v` command shares: the typer app, one-line failures, settings, signals, options.

Expected failures (`T2VError`) print one line on stderr and exit non-zero: 2 for bad input, 1 for a
failed render, 130 when interrupted. Nothing prints a traceback unless T2V_DEBUG is set.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from app.cli.motion import bare_motion
from app.cli.sound import SoundFlags
from app.config import Settings, load_settings, setting_default
from app.core.jobstore.base import DuplicateJob, JobNotFound
from app.core.permissions import restrict_umask
from app.core.shutdown import Backstop
from app.errors import InputError, T2VError, first_error

T = TypeVar("T")

if TYPE_CHECKING:
    from app.services.documents import Document
    from app.services.images import ImagePolicy, ImageService, ResolvedImages
    from app.services.planning import Plan

app = typer.Typer(
    name="t2v",
    help="Turn text and Markdown into narrated videos, offline.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True)

EXIT_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@app.callback()
def private_files(ctx: typer.Context) -> None:
    """Turn text and Markdown into narrated videos, offline."""
    # What t2v writes into the data directory (job store, artifacts, cache, keys) is for this user
    # only. `render` keeps the user's umask for the video it writes where it is told; its files in
    # the data directory get their modes explicitly.
    if ctx.invoked_subcommand != "render":
        restrict_umask()


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    """One line per problem (a storyboard's problems are several lines), each marked as an error."""
    for line in message.splitlines() or [""]:
        print(f"t2v: error: {line}", file=sys.stderr)
    raise typer.Exit(code)


def read_input(
    source: str, settings: Settings, pages: str | None = None, pptx_picture: str = "auto"
) -> Document:
    """The document at `source` (a file, or - for stdin), under the settings' document limits,
    `pages` and `pptx_picture` saying how to read a packed one."""
    from app.cli.documents import fetch_input
    from app.services.documents import (
        DocumentLimits,
        ReadOptions,
        document_from_bytes,
        is_url,
        load_document,
    )

    limits = DocumentLimits.from_settings(settings)
    reading = ReadOptions.of(pages, pptx_picture)
    if is_url(source):
        if not settings.allow_fetch:
            raise InputError(f"{source}: reading a web address needs --allow-fetch (or T2V_ALLOW_FETCH=1)")
        return asyncio.run(fetch_input(source, settings, limits, reading))
    if source == "-":
        data = sys.stdin.buffer.read(limits.largest + 1)
        return document_from_bytes(data, None, None, limits=limits, reading=reading)
    return load_document(Path(source), limits=limits, reading=reading)


def read_source(
    source: str, settings: Settings, pages: str | None = None, pptx_picture: str = "auto"
) -> Document | Plan:
    """A document, or a storyboard (a .json, .yaml or .yml file: a Plan, rendered as written)."""
    from app.services.planning import read_storyboard, storyboard_format

    if source != "-" and storyboard_format(source):
        return read_storyboard(Path(source), settings.max_input_bytes)
    return read_input(source, settings, pages, pptx_picture)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_stop_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], object], backstop: Backstop) -> None:
    """SIGINT/SIGTERM: arm the backstop and ask the loop to stop. Plain signal handlers, not the
    loop's: they run even while the loop is blocked, so the backstop is armed whatever happens."""

    def handler(signum: int, frame: object) -> None:
        backstop.arm()
        loop.call_soon_threadsafe(stop)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


def run_cancellable(coro_factory: Callable[[], Awaitable[T]], backstop: Backstop) -> T:
    """Run a coroutine; SIGINT and SIGTERM cancel it so that its cleanup runs before we exit. If the
    cleanup takes longer than the backstop's time, or a second signal comes, the backstop exits."""

    async def main() -> T:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        signals = 0

        def stop() -> None:
            nonlocal signals
            signals += 1
            if signals > 1:  # a second signal: no more waiting
                backstop.fire()
            task.cancel()

        on_stop_signals(loop, stop, backstop)
        return await coro_factory()

    try:
        return asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(INTERRUPTED, file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL if sig == signal.SIGTERM else signal.default_int_handler)


INTERRUPTED = "t2v: interrupted; nothing was written"


# Render options shared by `render` and `submit`.
VoiceOption = Annotated[
    str | None, typer.Option(help="ENGINE:VOICE, e.g. espeak:vi or espeak:en-us (default: detected).")
]
RateOption = Annotated[
    int | None, typer.Option(help=f"Speaking rate in words per minute (default {setting_default('rate')}).")
]
AspectOption = Annotated[str | None, typer.Option(help="16:9, 9:16 or 1:1.")]
ResolutionOption = Annotated[int | None, typer.Option(help="720 or 1080 (the short side).")]
BurnOption = Annotated[
    bool | None,
    typer.Option("--burn-captions/--no-burn-captions", help="Draw captions into the picture (default: no)."),
]
FpsOption = Annotated[
    int | None, typer.Option(help="Constant frame rate (24, 25, 30, 50, 60); default: variable.")
]
ThemeOption = Annotated[
    str | None,
    typer.Option(help="Slide theme: dark, light, paper, bold, or a theme file (.toml). Default dark."),
]


def _pause_option(flag: str, setting: str, what: str) -> Any:
    return typer.Option(
        flag, metavar="SECONDS", help=f"Silence {what} (default {setting_default(setting)} s; 0-10)."
    )


# pauses (issue 14): from where one sound stops to where the next starts
PauseSentenceOption = Annotated[
    float | None, _pause_option("--pause-sentence", "pause_sentence", "after a sentence")
]
PauseParagraphOption = Annotated[
    float | None, _pause_option("--pause-paragraph", "pause_paragraph", "after a paragraph or list item")
]
PauseHeadingOption = Annotated[
    float | None, _pause_option("--pause-heading", "pause_heading", "after a heading read aloud")
]
PauseSceneOption = Annotated[float | None, _pause_option("--pause-scene", "pause_scene", "between scenes")]
# delivery (issue 14.6)
PresetOption = Annotated[
    str | None,
    typer.Option(help="youtube, shorts, tiktok, reels, web or archive: a set of options (flags given win)."),
]
QualityOption = Annotated[str | None, typer.Option(help="standard or high (a higher bitrate).")]
KeyframeOption = Annotated[
    float | None,
    typer.Option(
        "--keyframe-interval",
        metavar="SECONDS",
        help="Longest time between keyframes (default: 10 s and every scene; presets: 2 s).",
    ),
]
CaptionStyleOption = Annotated[
    str | None,
    typer.Option(help="Burned captions: clean, boxed, bold or karaoke (the spoken word lit). Default clean."),
]
AudioOnlyOption = Annotated[
    bool, typer.Option("--audio-only", help="Write the narration alone: an M4A with chapters.")
]


@dataclass(frozen=True)
class DeliveryFlags:
    """The delivery flags of `render` and `submit`, and which frame flags were given (with a preset,
    the settings' aspect and resolution give way to the preset's; flags given still win)."""

    preset: str | None = None
    quality: str | None = None
    keyframe_interval: float | None = None
    audio_only: bool = False
    given: frozenset[str] = frozenset()
    caption_style: str | None = None

    @classmethod
    def of(
        cls,
        preset: str | None,
        quality: str | None,
        keyframe_interval: float | None,
        audio_only: bool,
        caption_style: str | None = None,
        **frame_flags: object,
    ) -> DeliveryFlags:
        given = frozenset(k for k, v in frame_flags.items() if v is not None)
        return cls(preset, quality, keyframe_interval, audio_only, given, caption_style)

    def apply(self, options: dict[str, object]) -> dict[str, object]:
        if self.preset:
            for key in ("aspect", "resolution"):
                if key not in self.given:
                    options[key] = None
        options.update(
            preset=self.preset,
            quality=self.quality,
            keyframe_interval=self.keyframe_interval,
            audio_only=self.audio_only,
            caption_style=self.caption_style,
        )
        return options


# images (issue 13)
AssetsRootOption = Annotated[
    Path | None,
    typer.Option(
        "--assets-root",
        metavar="DIR",
        help="Folder local images come from (default: the document's folder; needed for stdin).",
    ),
]
AllowRemoteImagesOption = Annotated[
    bool,
    typer.Option("--allow-remote-images", help="Fetch http(s) images (public addresses only)."),
]
SkipMissingImagesOption = Annotated[
    bool,
    typer.Option(
        "--skip-missing-images", help="Show a placeholder (and warn) for an image that cannot be used."
    ),
]


# target duration (issue 17)
DurationOption = Annotated[
    str | None,
    typer.Option(
        "--duration",
        metavar="TIME",
        help='Condense the narration to about this long: "90s", "1m30s", "1:30" (offline ranking).',
    ),
]
MaxDurationOption = Annotated[
    str | None,
    typer.Option("--max-duration", metavar="TIME", help="Condense only if longer than this (same forms)."),
]


@dataclass(frozen=True)
class ImageFlags:
    """The image flags of `render`, `plan` and `submit`, as given."""

    assets_root: Path | None = None
    allow_remote: bool = False
    skip_missing: bool = False

    def options(self) -> dict[str, object]:
        """As render options: the folder made absolute (a job may run in another directory)."""
        return {
            "assets_root": str(self.assets_root.expanduser().resolve()) if self.assets_root else None,
            "allow_remote_images": self.allow_remote,
            "skip_missing_images": self.skip_missing,
        }


def render_options(
    settings: Settings,
    burn_captions: bool | None,
    fps: int | None = None,
    motion: str | None = None,
    images: ImageFlags | None = None,
    duration: str | None = None,
    max_duration: str | None = None,
    sound: SoundFlags | None = None,
    delivery: DeliveryFlags | None = None,
    lexicon: str | None = None,
    transition: str | None = None,
) -> dict[str, object]:
    """Render options from settings (env + flags), in the shape every entry point validates."""
    return (delivery or DeliveryFlags()).apply(
        {
            "duration": duration,
            "max_duration": max_duration,
            "voice": settings.voice,
            "rate": settings.rate,
            "aspect": settings.aspect,
            "resolution": settings.resolution,
            "burn_captions": burn_captions,
            "fps": fps,
            "motion": motion or settings.motion,
            "transition": transition or settings.transition,
            **(images or ImageFlags()).options(),
            "theme": settings.theme,
            "pause_sentence": settings.pause_sentence,
            "pause_paragraph": settings.pause_paragraph,
            "pause_heading": settings.pause_heading,
            "pause_scene": settings.pause_scene,
            "loudness": settings.loudness,
            **(sound or SoundFlags()).options(),
            "lexicon": lexicon,
        }
    )


async def check_images(
    images: ImageService, document: Document, policy: ImagePolicy, workdir: Path
) -> ResolvedImages:
    """Resolve the document's images before anything is rendered or queued (an `ImageError` is exit 2,
    one line); a placeholder's warning is printed."""
    resolved = await images.resolve_document_images(document, policy, workdir)
    for warning in resolved.warnings:
        stderr.print(f"t2v: warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    return resolved


def document_dir(source: str) -> Path | None:
    """The folder of a document read from a file (its images' default root); None for stdin or a URL."""
    from app.services.documents import is_url

    return None if source == "-" or is_url(source) else Path(source).resolve().parent


def describe(exc: Exception) -> str:
    """One line for a failed validation (settings from T2V_* variables and flags) or any other error."""
    errors = getattr(exc, "errors", None)
    return first_error(errors()) if callable(errors) else str(exc)


# The job queue (the local SQLite store, or PostgreSQL with T2V_DATABASE_URL)


def run_store_call(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(coro_factory())
    except JobNotFound as exc:
        fail(f"no job {exc}")
    except (ValueError, DuplicateJob) as exc:
        fail(str(exc))


def cli_settings(**overrides: object) -> Settings:
    """Settings from the environment and the command's flags (`overrides`); a bad value is one line."""
    try:
        return load_settings(**overrides)
    except ValueError as exc:
        fail(describe(exc))


def main() -> None:
    sys.argv = bare_motion(sys.argv)
    if os.environ.get("T2V_DEBUG"):
        app()
        return
    try:
        app()
    except T2VError as exc:  # a last net: expected errors never show a traceback
        print(f"t2v: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_INPUT if isinstance(exc, InputError) else EXIT_FAILED)
