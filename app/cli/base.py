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

from app.config import Settings, load_settings, setting_default
from app.core.fsutil import human_size
from app.core.jobstore.base import DuplicateJob, JobNotFound
from app.core.permissions import restrict_umask
from app.core.shutdown import Backstop
from app.errors import InputError, T2VError, first_error

T = TypeVar("T")

if TYPE_CHECKING:
    from app.services.documents import Document
    from app.services.images import ImagePolicy, ImageService, ResolvedImages

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


def read_input(source: str, settings: Settings) -> Document:
    """The document at `source` (a file, or - for stdin), under the settings' document limits."""
    from app.services.documents import DocumentLimits, document_from_bytes, load_document

    limits = DocumentLimits.from_settings(settings)
    if source == "-":
        data = sys.stdin.buffer.read(limits.largest + 1)
        return document_from_bytes(data, None, None, limits=limits)
    return load_document(Path(source), limits=limits)


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
BurnOption = Annotated[bool, typer.Option("--burn-captions", help="Draw captions into the picture.")]
FpsOption = Annotated[
    int | None, typer.Option(help="Constant frame rate (24, 25, 30, 50, 60); default: variable.")
]
MotionOption = Annotated[bool, typer.Option("--motion", help="A slow pan and zoom on every scene.")]
ThemeOption = Annotated[
    str | None,
    typer.Option(help="Slide theme: dark, light, paper, bold, or a theme file (.toml). Default dark."),
]
MAX_DOCUMENT = human_size(setting_default("max_document_bytes"))
# documents (issue 16): the limits of packed formats (text keeps --max-input-size)
MaxDocumentSizeOption = Annotated[
    int | None,
    typer.Option(
        "--max-document-size",
        metavar="BYTES",
        help=f"Largest PDF, DOCX, PPTX, EPUB or HTML document (default {MAX_DOCUMENT}).",
    ),
]
MaxPagesOption = Annotated[
    int | None,
    typer.Option(
        "--max-pages", help=f"Most PDF pages or slides read (default {setting_default('max_pages')})."
    ),
]
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


LexiconOption = Annotated[
    Path | None,
    typer.Option(
        "--lexicon",
        metavar="FILE",
        help="What the voice says for words and patterns: a TOML file ([vi], [en], [all] tables).",
    ),
]


def read_lexicon(path: Path | None) -> str | None:
    """The lexicon file's text, checked (an `InputError` naming the file and the entry); the text
    travels in the options, so a queued job needs no file."""
    if path is None:
        return None
    from app.services.planning import Lexicon

    Lexicon.load(path)
    return path.read_text(encoding="utf-8")


def render_options(
    settings: Settings,
    burn_captions: bool,
    fps: int | None = None,
    motion: bool = False,
    images: ImageFlags | None = None,
    lexicon: str | None = None,
) -> dict[str, object]:
    """Render options from settings (env + flags), in the shape every entry point validates."""
    return {
        "voice": settings.voice,
        "rate": settings.rate,
        "aspect": settings.aspect,
        "resolution": settings.resolution,
        "burn_captions": burn_captions,
        "fps": fps,
        "motion": motion,
        **(images or ImageFlags()).options(),
        "theme": settings.theme,
        "lexicon": lexicon,
    }


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
    """The folder of a document read from a file (its images' default root); None for stdin."""
    return None if source == "-" else Path(source).resolve().parent


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
    if os.environ.get("T2V_DEBUG"):
        app()
        return
    try:
        app()
    except T2VError as exc:  # a last net: expected errors never show a traceback
        print(f"t2v: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_INPUT if isinstance(exc, InputError) else EXIT_FAILED)
