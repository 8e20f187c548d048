"""The queue's "render" handler: a job payload in, a directory of artifacts out.

The queue knows only "a job with a payload and a handler"; this module is where the two meet. A
job's artifacts (video.mp4, video.srt, video.vtt, video.jpg) go to `artifacts/<job id>/`, published
only after the worker confirms it still holds the job's lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from pathlib import Path
from typing import Any

from app.config import Settings
from app.core.fsutil import tree_size
from app.core.queue_manager import FileContext, Trust
from app.core.threads import run_in_thread
from app.core.worker import JobContext
from app.errors import InputError, T2VError
from app.services.documents import (
    REGISTRY,
    Document,
    DocumentLimits,
    ReadOptions,
    document_from_bytes,
    format_from_label,
    load_document,
    read_document,
)
from app.services.images import ImagePolicy, document_images, embed_images, plan_image_problems
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.pipeline import Progress, Renderer, Stage
from app.services.planning import (
    STORYBOARD_CONTENT_TYPE,
    Plan,
    PlanLimits,
    ScriptLimits,
    StoryboardError,
    check_limits,
    dump_storyboard,
    fit_duration,
    parse_storyboard,
    plan_document,
)
from app.services.speech import TTSConfig
from app.services.tts_service import parse_voice_chain

log = logging.getLogger(__name__)

UPLOADED_MUSIC = re.compile(r"music-[0-9a-f]{16}\.[a-z0-9]{2,4}")  # what the API names a music upload

# Share of the whole render each stage takes, for one overall percentage.
STAGE_WEIGHTS = {Stage.SCRIPT: 2, Stage.SPEECH: 35, Stage.SLIDES: 20, Stage.CAPTIONS: 3, Stage.VIDEO: 40}


class OverallProgress:
    """Folds per-stage progress into one percentage and pushes it to the store in the background."""

    def __init__(self) -> None:
        self.fractions: dict[Stage, float] = {}
        self.stage: Stage = Stage.SCRIPT
        self.changed = asyncio.Event()

    def __call__(self, event: Progress) -> None:
        self.stage = event.stage
        self.fractions[event.stage] = event.done / event.total if event.total else 1.0
        self.changed.set()

    @property
    def percent(self) -> float:
        total = sum(STAGE_WEIGHTS.values())
        done = sum(STAGE_WEIGHTS[s] * f for s, f in self.fractions.items())
        return round(min(100.0, 100.0 * done / total), 1)

    async def pump(self, ctx: JobContext) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            with contextlib.suppress(Exception):  # lease loss is the heartbeat's business
                await ctx.progress(self.stage.value, self.percent)
            await asyncio.sleep(0.3)


def job_context(
    document: Document, options: dict[str, Any], trust: Trust, name: str | None = None
) -> FileContext:
    """What a job carries: the validated document's text (UTF-8) or, for a packed format, its bytes,
    its format as a content type (so the worker reads it as it was read here), the options as given,
    and who chose them."""
    return FileContext(
        content=document.data if document.data is not None else document.text.encode("utf-8"),
        filename=name,
        content_type=REGISTRY[document.format].content_type,
        options=options,
        trust=trust,
    )


def storyboard_context(
    plan: Plan, options: dict[str, Any], trust: Trust, name: str | None = None
) -> FileContext:
    """What a storyboard's job carries: the validated Plan as storyboard JSON (read back and checked
    again by the worker, then rendered as written), the options as given, and who chose them."""
    return FileContext(
        content=dump_storyboard(plan, "json").encode("utf-8"),
        filename=name,
        content_type=STORYBOARD_CONTENT_TYPE,
        options=options,
        trust=trust,
    )


def check_storyboard(
    plan: Plan,
    options: RenderOptions,
    policy: ImagePolicy,
    name: str,
    *,
    trust: Trust,
    config: TTSConfig | None = None,
    limits: ScriptLimits | None = None,
) -> None:
    """What a storyboard must pass before it is rendered or queued: no target duration (it is
    rendered as written), its scenes' voices among what `trust` may choose, its images where the
    policy allows (one line each, with its JSON path), its narration within the `limits` (as the
    render checks it)."""
    if options.duration is not None or options.max_duration is not None:
        raise StoryboardError(
            name,
            [
                "a storyboard is rendered as written; condense while planning: "
                "t2v plan DOC --duration TIME -o FILE"
            ],
        )
    problems = [*voice_problems(plan, trust, config), *plan_image_problems(plan, policy)]
    if limits is not None:
        try:
            check_limits(STORYBOARD_SCRIPT, plan.scenes, options.rate, limits)
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        raise StoryboardError(name, problems)


STORYBOARD_SCRIPT = "the storyboard"  # what a storyboard's limits name (after its file's name)


def check_script(document: Document, options: RenderOptions, limits: ScriptLimits) -> None:
    """What the render refuses once the document's script exists (a word too long to say, too many
    scenes, too long a narration at the options' rate, nothing to say), refused before the job is
    queued rather than after it waited: the planner without layouts, in time linear in the text. The
    document is read as its worker will read it, but a slide's picture is not made (LibreOffice is
    not run): the script is the same. A script an LLM writes is checked when it is written."""
    if options.llm:
        return
    reading = dataclasses.replace(document.reading, pptx_picture="redraw")
    plan_document(
        read_document(dataclasses.replace(document, reading=reading)), PlanLimits(options.rate, script=limits)
    )


def voice_problems(plan: Plan, trust: Trust, config: TTSConfig | None = None) -> list[str]:
    """A line per scene whose own `voice` cannot be used: unknown, or, from an API caller, not one
    the operator offers (`config.caller_voices`; no server URL, no model file). Blocking."""
    problems = []
    for n, scene in enumerate(plan.scenes):
        if scene.voice is None:
            continue
        try:
            parse_voice_chain(scene.voice, config=config, trust=trust)
        except InputError as exc:
            problems.append(f"scenes[{n}].voice: {exc}")
    return problems


def job_input(
    context: FileContext, limits: DocumentLimits, options: RenderOptions | None = None
) -> Document | Plan:
    """A job's document, or its storyboard (by the content type it was queued with)."""
    if context.content is not None and context.content_type == STORYBOARD_CONTENT_TYPE:
        return parse_storyboard(context.content, "json", context.filename or "storyboard")
    return job_document(context, limits, options)


def job_document(
    context: FileContext, limits: DocumentLimits, options: RenderOptions | None = None
) -> Document:
    """The document a job carries (its bytes, or a file every worker can read), validated again and
    read as its options say (`pages`, `pptx_picture`)."""
    options = options or RenderOptions()
    reading = ReadOptions.of(options.pages, options.pptx_picture)
    if context.content is not None:
        # the content type is what was decided when the job was made; the name is only a label now
        fmt = format_from_label(context.content_type) if context.content_type else None
        return document_from_bytes(
            context.content, None, fmt, limits=limits, label=context.filename, reading=reading
        )
    return load_document(Path(context.path or ""), limits=limits, reading=reading)


def job_limits(settings: Settings) -> DocumentLimits:
    """The document limits a worker reads a job's input with."""
    return dataclasses.replace(DocumentLimits.from_settings(settings), text_bytes=settings.max_input_bytes)


def plan_of_job(renderer: Renderer, context: FileContext, settings: Settings) -> Plan:
    """The Plan a job renders (blocking): its storyboard as written, or its document planned and
    condensed as `Renderer.render` does, so an editor sees the scenes the video has; the pictures
    taken out of the document file are written into it (`embed_images`), so it can be sent back."""
    options = parse_render_options(
        context.options, trust=context.trust, settings=settings, config=renderer.tts.config
    )
    source = job_input(context, job_limits(settings), options)
    if isinstance(source, Plan):
        return source
    if options.llm:
        raise InputError("this job's script is written by an LLM at render time; it has no storyboard yet")
    content = read_document(source)
    plan = renderer.plan_document(content, options)
    fitted = fit_duration(plan, options.duration, options.max_duration, options.rate, options.pauses)
    return embed_images(fitted.plan if fitted is not None else plan, document_images(content))


class RenderJobHandler:
    def __init__(
        self, renderer: Renderer, artifacts_root: Path, max_input_bytes: int, settings: Settings
    ) -> None:
        self.renderer = renderer
        self.artifacts_root = artifacts_root
        self.max_input_bytes = max_input_bytes
        self.settings = settings  # this worker's (the runtime's): remote images, image limits

    def artifacts_dir(self, job_id: str) -> Path:
        return self.artifacts_root / job_id

    def _uploaded_music(self, job_id: str, name: str) -> Path:
        if not UPLOADED_MUSIC.fullmatch(name):
            raise InputError("this job's uploaded music has an unexpected name")
        return self.artifacts_dir(job_id) / name

    def _inputs(self, context: FileContext) -> tuple[RenderOptions, Document | Plan]:
        """The job's options and document, validated again (in a thread: voices are looked up)."""
        # the trust the payload was written with: a job from the API is checked as a caller's again
        options = parse_render_options(
            context.options, trust=context.trust, settings=self.settings, config=self.renderer.tts.config
        )
        limits = DocumentLimits.from_settings(self.settings)
        limits = dataclasses.replace(limits, text_bytes=self.max_input_bytes)
        source = job_input(context, limits, options)
        if isinstance(source, Plan):  # its scenes' voices, as a caller's again if it came from one
            problems = voice_problems(source, context.trust, self.renderer.tts.config)
            if problems:
                raise StoryboardError(context.filename or "storyboard", problems)
        return options, source

    async def __call__(self, ctx: JobContext) -> dict[str, Any]:
        context = FileContext.from_payload(ctx.job.payload)
        options, document = await run_in_thread(self._inputs, context)
        if context.music is not None:  # uploaded with the job: among its own files, named by the server
            options = dataclasses.replace(options, music=str(self._uploaded_music(ctx.job.id, context.music)))
        # a caller's job has no folder whatever its payload says; the operator's has its file's
        folder = Path(context.path).parent if context.path else None
        images = ImagePolicy.for_render(options, context.trust, self.settings, folder)
        out = self.artifacts_dir(ctx.job.id) / "video.mp4"
        progress = OverallProgress()
        pump = asyncio.create_task(progress.pump(ctx))
        try:
            # the renderer resolves the images again (files change, URLs too), before any speech
            if isinstance(document, Document):
                result = await self.renderer.render(
                    document,
                    out,
                    options,
                    progress,
                    images=images,
                    thumbnail=True,
                    before_publish=ctx.ensure_lease,
                )
            else:  # a storyboard, rendered as written
                result = await self.renderer.render_plan(
                    document,
                    out,
                    options,
                    progress,
                    images=images,
                    thumbnail=True,
                    before_publish=ctx.ensure_lease,
                )
        except T2VError as exc:
            if context.trust is not Trust.OPERATOR and exc.public is not None:
                # the job record is the caller's to read; the operator's internal addresses are not
                log.warning("job %s: %s", ctx.job.id, exc)
                exc.conceal()
            raise
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        for warning in result.warnings:
            log.warning("job %s: %s", ctx.job.id, warning)
        await ctx.progress(Stage.VIDEO.value, 100.0)
        return {
            "artifacts_bytes": await run_in_thread(tree_size, out.parent),
            "video": str(result.video),
            "srt": str(result.srt),
            "vtt": str(result.vtt),
            "thumbnail": str(result.thumbnail) if result.thumbnail else None,
            "chapters": str(result.chapters) if result.chapters else None,
            "captions_burned": options.burn_captions and not options.audio_only,
            "duration": result.duration,
            "size_bytes": result.size_bytes,
            "scenes": result.scenes,
            "voice": result.voice,
            "engines": list(result.engines),
            "visuals": list(result.visuals),
            "credits": list(result.credits),
            "render_seconds": result.elapsed,
        }
