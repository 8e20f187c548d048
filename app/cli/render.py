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
    AllowRemoteImagesOption,
    AspectOption,
    AssetsRootOption,
    AudioOnlyOption,
    BurnOption,
    CaptionStyleOption,
    DeliveryFlags,
    DurationOption,
    FpsOption,
    ImageFlags,
    KeyframeOption,
    MaxDurationOption,
    PauseHeadingOption,
    PauseParagraphOption,
    PauseSceneOption,
    PauseSentenceOption,
    PresetOption,
    QualityOption,
    RateOption,
    ResolutionOption,
    SkipMissingImagesOption,
    ThemeOption,
    VoiceOption,
    app,
    describe,
    document_dir,
    fail,
    read_source,
    render_options,
    run_cancellable,
    stderr,
)
from app.cli.documents import (
    AllowFetchOption,
    AllowPrivateUrlsOption,
    MaxDocumentSizeOption,
    MaxInputSizeOption,
    MaxPagesOption,
    PagesOption,
    PptxPictureOption,
    read_flags,
)
from app.cli.motion import MotionOption, TransitionOption
from app.cli.plan import LexiconOption, read_lexicon
from app.cli.sound import (
    LoudnessOption,
    MaxMusicSizeOption,
    MusicLevelOption,
    MusicOption,
    MusicPlaylistOption,
    MusicSeedOption,
    RoomToneOption,
    SoundFlags,
)
from app.cli.story import LanguageOption, LLMOption, TopicOption, llm_flags, topic_source
from app.cli.visuals import VisualsOption, visuals_flags
from app.config import load_settings
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
def render(
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
    voice: VoiceOption = None,
    rate: RateOption = None,
    aspect: AspectOption = None,
    resolution: ResolutionOption = None,
    burn_captions: BurnOption = None,
    fps: FpsOption = None,
    motion: MotionOption = None,
    transition: TransitionOption = None,
    preset: PresetOption = None,
    quality: QualityOption = None,
    keyframe_interval: KeyframeOption = None,
    audio_only: AudioOnlyOption = False,
    caption_style: CaptionStyleOption = None,
    theme: ThemeOption = None,
    pause_sentence: PauseSentenceOption = None,
    pause_paragraph: PauseParagraphOption = None,
    pause_heading: PauseHeadingOption = None,
    pause_scene: PauseSceneOption = None,
    loudness: LoudnessOption = None,
    room_tone: RoomToneOption = False,
    music: MusicOption = None,
    music_level: MusicLevelOption = None,
    music_playlist: MusicPlaylistOption = False,
    music_seed: MusicSeedOption = None,
    max_music_size: MaxMusicSizeOption = None,
    pages: PagesOption = None,
    pptx_picture: PptxPictureOption = "auto",
    visuals: VisualsOption = None,
    allow_fetch: AllowFetchOption = False,
    allow_private_urls: AllowPrivateUrlsOption = False,
    max_input_size: MaxInputSizeOption = None,
    max_document_size: MaxDocumentSizeOption = None,
    max_pages: MaxPagesOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no summary.")] = False,
    assets_root: AssetsRootOption = None,
    allow_remote_images: AllowRemoteImagesOption = False,
    skip_missing_images: SkipMissingImagesOption = False,
    lexicon: LexiconOption = None,
    llm: LLMOption = None,
    topic: TopicOption = None,
    language: LanguageOption = None,
    duration: DurationOption = None,
    max_duration: MaxDurationOption = None,
) -> None:
    """Render one document to a narrated MP4 with captions (OUT.srt and OUT.vtt beside it)."""
    from app.runtime import build_runtime
    from app.services.documents import Document
    from app.services.images import ImagePolicy
    from app.services.options import parse_render_options
    from app.services.render_job import check_storyboard

    try:
        settings = load_settings(
            voice=voice,
            rate=rate,
            aspect=aspect,
            resolution=resolution,
            theme=theme,
            pause_sentence=pause_sentence,
            pause_paragraph=pause_paragraph,
            pause_heading=pause_heading,
            pause_scene=pause_scene,
            loudness=loudness,
            max_input_bytes=max_input_size,
            max_document_bytes=max_document_size,
            max_pages=max_pages,
            allow_remote_images=allow_remote_images or None,
            allow_fetch=allow_fetch or None,
            allow_private_urls=allow_private_urls or None,
        )
        delivery = DeliveryFlags.of(
            preset,
            quality,
            keyframe_interval,
            audio_only,
            caption_style,
            aspect=aspect,
            resolution=resolution,
        )
        images = ImageFlags(assets_root, allow_remote_images, skip_missing_images)
        options = parse_render_options(
            {
                **render_options(
                    settings,
                    burn_captions,
                    fps,
                    motion,
                    images,
                    duration,
                    max_duration,
                    sound=SoundFlags(
                        room_tone, music, music_level, music_playlist, music_seed, max_music_size
                    ),
                    delivery=delivery,
                    lexicon=read_lexicon(lexicon),
                    transition=transition,
                ),
                **read_flags(pages, pptx_picture),
                **llm_flags(llm),
                **visuals_flags(visuals),
            },
            trust=Trust.OPERATOR,
        )
    except ValueError as exc:
        fail(describe(exc))
    except InputError as exc:
        fail(str(exc))
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
            document: Document | Plan | Topic = topic_source(topic or "", language, settings, options)
            policy = ImagePolicy.for_render(options, Trust.OPERATOR, settings, None)
        else:
            document = read_source(source, settings, pages, pptx_picture)
            policy = ImagePolicy.for_render(options, Trust.OPERATOR, settings, document_dir(source))
            if not isinstance(document, Document):
                check_storyboard(document, options, policy, Path(source).name, trust=Trust.OPERATOR)
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
