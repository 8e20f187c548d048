"""`t2v render` (one document to a narrated MP4, offline) and `t2v voices`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from app.cli.base import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    INTERRUPTED,
    app,
    cli_settings,
    describe,
    document_dir,
    fail,
    read_source,
    run_cancellable,
    stderr,
)
from app.cli.documents import DocumentFlags, DocumentLimitFlags
from app.cli.flags import flag_groups, group_settings
from app.cli.render_flags import DeliveryFlags, FrameFlags, ImageFlags, VoiceFlags, render_options
from app.cli.sound import SoundFlags
from app.cli.story import StoryFlags, TopicFlags, topic_source
from app.cli.visuals import PictureFlags
from app.core.fsutil import human_size
from app.core.queue_manager import Trust
from app.core.shutdown import Backstop
from app.errors import InputError, T2VError

if TYPE_CHECKING:
    from app.services.documents import Document
    from app.services.images import ImagePolicy
    from app.services.llm import Topic
    from app.services.models import RenderOptions
    from app.services.pipeline import Renderer, RenderResult
    from app.services.planning import Plan

STAGE_LABELS = {
    "script": "Reading the document",
    "speech": "Synthesizing speech",
    "slides": "Drawing slides",
    "captions": "Timing captions",
    "video": "Encoding the video",
}


class StageBars:
    """One rich progress bar per pipeline stage, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.progress = (
            Progress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=False,
            )
            if enabled
            else None
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> StageBars:
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress:
            self.progress.stop()

    def __call__(self, event: object) -> None:
        from app.services.pipeline import Progress as StageProgress

        assert isinstance(event, StageProgress)
        if not self.progress:
            return
        key = event.stage.value
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(STAGE_LABELS.get(key, key), total=event.total)
        self.progress.update(self.tasks[key], completed=event.done, total=event.total)


def _clock(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:04.1f}"


@app.command()
@flag_groups
def render(
    *,
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="[INPUT]",
            help="A document (see the README's formats), - for stdin, or a storyboard (.json, .yaml).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The MP4 to write (default: INPUT with .mp4).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no summary.")] = False,
    speech: VoiceFlags,
    frame: FrameFlags,
    delivery: DeliveryFlags,
    pictures: PictureFlags,
    sound: SoundFlags,
    reading: DocumentFlags,
    limits: DocumentLimitFlags,
    images: ImageFlags,
    story: StoryFlags,
    subject: TopicFlags,
) -> None:
    """Render one document to a narrated MP4 with captions (OUT.srt and OUT.vtt beside it)."""
    from app.runtime import build_runtime
    from app.services.documents import Document
    from app.services.images import ImagePolicy
    from app.services.options import parse_render_options
    from app.services.planning import ScriptLimits
    from app.services.render_job import check_storyboard

    groups = (speech, frame, delivery, pictures, sound, reading, limits, images, story)
    settings = cli_settings(**group_settings(*groups))
    try:
        options = parse_render_options(
            render_options(settings, *groups), trust=Trust.OPERATOR, settings=settings
        )
    except ValueError as exc:
        fail(describe(exc))
    except InputError as exc:
        fail(str(exc))
    topic = subject.topic
    if (source is None) == (topic is None):
        fail('give a document (INPUT) or --topic "...", not both' if topic else "missing INPUT (or --topic)")
    if output is None:
        if source in ("-", None) or source.lower().startswith(("http://", "https://")):
            what = "--topic" if source is None else "reading from stdin" if source == "-" else "a web address"
            fail(f"{what} needs --output/-o")
        output = Path(source).with_suffix(".m4a" if options.audio_only else ".mp4")
    allowed = (".m4a", ".mp4") if options.audio_only else (".mp4",)
    if output.suffix.lower() not in allowed:
        fail(f"the output must be an {' or '.join(allowed)} file, not {output.name!r}")
    if output.is_dir():
        fail(f"the output {str(output)!r} is a directory")

    try:
        if source is None:  # an LLM writes the script about the topic
            document: Document | Plan | Topic = topic_source(topic or "", subject.language, settings, options)
            policy = ImagePolicy.for_render(options, Trust.OPERATOR, settings, None)
        else:
            document = read_source(source, settings, reading.pages, reading.pptx_picture)
            policy = ImagePolicy.for_render(options, Trust.OPERATOR, settings, document_dir(source))
            if not isinstance(document, Document):
                script_limits = ScriptLimits.from_settings(settings)
                name = Path(source).name
                check_storyboard(document, options, policy, name, trust=Trust.OPERATOR, limits=script_limits)
    except InputError as exc:
        fail(str(exc))

    runtime = build_runtime(settings)
    renderer = runtime.renderer
    backstop = Backstop(settings.stop_seconds, EXIT_INTERRUPTED, runtime.workspaces, INTERRUPTED)
    show_bars = not quiet and stderr.is_terminal
    try:
        with StageBars(show_bars) as bars:
            result = run_cancellable(
                lambda: _render_and_close(renderer, document, output, options, policy, bars), backstop
            )
    except InputError as exc:
        fail(str(exc))
    except T2VError as exc:
        fail(str(exc), EXIT_FAILED)
    for warning in result.warnings:
        stderr.print(f"t2v: warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if not quiet:
        print(
            f"Wrote {result.video} ({_clock(result.duration)} video, {result.scenes} scenes, "
            f"{human_size(result.size_bytes)}) in {result.elapsed:.1f} s; "
            f"captions: {result.srt.name}, {result.vtt.name}; "
            f"chapters: {result.chapters.name if result.chapters else '-'}"
        )
        if any(v != "slides" for v in result.visuals):  # which provider made each scene's picture
            print("Pictures: " + " ".join(f"{i + 1}:{v}" for i, v in enumerate(result.visuals)))
        for credit in result.credits:  # stock photos: whom to credit (licence notes in the README)
            print(f"Credit: {credit}")


async def _render_and_close(
    renderer: Renderer,
    document: Document | Plan | Topic,
    output: Path,
    options: RenderOptions,
    policy: ImagePolicy,
    bars: StageBars,
) -> RenderResult:
    """One render (its images checked first, by the policy), then close the pooled HTTP client."""
    from app.services.documents import Document
    from app.services.llm import Topic
    from app.services.planning import fit_duration

    try:
        if isinstance(document, Document):
            return await renderer.render(document, output, options, progress=bars, images=policy)
        if isinstance(document, Topic):  # the LLM's script, fitted to the target if one is given
            document = await renderer.llm.write_plan(document, options)
            fitted = fit_duration(
                document, options.duration, options.max_duration, options.rate, options.pauses
            )
            document = fitted.plan if fitted else document
        return await renderer.render_plan(document, output, options, progress=bars, images=policy)
    finally:
        await renderer.tts.aclose()


@app.command()
def voices(
    language: Annotated[str | None, typer.Argument(help="Only voices for this language, e.g. vi.")] = None,
) -> None:
    """List the offline espeak-ng voices (use them as --voice espeak:LANG)."""
    from app.services.speech import list_voices

    for v in list_voices():
        if language and not any(code.startswith(language) for code in v.languages):
            continue
        print(f"espeak:{v.languages[0]:<12} {v.name}")
