"""One render, stage by stage: plan -> images -> speech and stills -> captions -> video.

The pipeline knows nothing about queues: it is given a document (or a Plan), options, the images'
policy, somewhere to work and a place to report progress, and it either publishes every output file
or none of them. Cancelling the awaiting task stops espeak and ffmpeg and removes the workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.config import Settings
from app.core.diskcache import DiskCache, hash_key
from app.core.memory_optimizer import WorkspaceManager, release_free_memory
from app.core.resource_manager import ResourceManager
from app.core.threads import both, run_in_thread
from app.errors import InputError
from app.services.audio import NarrationPlan, NarrationTrack, encode_narration, plan_narration, render_sound
from app.services.beats import held_gaps, scene_shots
from app.services.captions import burnable_fonts, caption_look, write_captions
from app.services.clip_scenes import draw_overlays
from app.services.documents import Content, Document, read_document
from app.services.images import ImageLike, ImagePolicy, ImageService, document_images, plan_images
from app.services.llm import LLMConfig, ScriptWriter
from app.services.models import RenderOptions, Speech, WordTiming
from app.services.picture import draw_stills, encode_scenes, scene_motion
from app.services.plan_stage import LANGUAGE_SAMPLE_CHARS, lexicon_of, make_plan
from app.services.planning import Plan, ScriptLimits, add_spoken, check_limits, fit_duration
from app.services.progress import Progress, ProgressSink, Stage
from app.services.providers import VisualProviders, credit_cards
from app.services.speech import TTSConfig, detect_language, scene_gaps
from app.services.tts_service import SceneJob, TTSService, parse_voice_chain, parse_voice_spec
from app.services.video import (
    Burn,
    FrameSpec,
    Shot,
    chapters_path,
    iso639_2,
    mux,
    publish_all,
    write_chapters,
)
from app.services.visuals import VisualService, link_fonts, load_theme, make_thumbnail

__all__ = ["Progress", "ProgressSink", "RenderResult", "Renderer", "Stage", "caption_paths"]
NO_IMAGE_FOLDER = "this render was given no folder for local images"
Stills = dict[int | None, Path]  # a scene's stills by focus state (`draw_stills`)
Spoken = tuple[list[Speech], NarrationPlan]  # the scenes' words and where they fall in the track


@dataclass(frozen=True)
class RenderResult:
    video: Path
    srt: Path
    vtt: Path
    duration: float
    size_bytes: int
    scenes: int
    voice: str
    engines: tuple[str, ...]  # the engine that spoke each scene
    elapsed: float
    thumbnail: Path | None = None
    warnings: tuple[str, ...] = ()  # e.g. an image shown as a placeholder
    chapters: Path | None = None  # the `0:00 Title` list beside the video
    visuals: tuple[str, ...] = ()  # the provider that made each scene's picture ('slides', 'local')
    credits: tuple[str, ...] = ()  # stock pictures' photographers and licences, per scene


def caption_paths(video: Path) -> tuple[Path, Path]:
    return video.with_suffix(".srt"), video.with_suffix(".vtt")


class Renderer:
    """Renders documents and plans to MP4; holds the long-lived parts (voices, stills, images, caches,
    workspaces)."""

    def __init__(
        self,
        workspaces: WorkspaceManager,
        resources: ResourceManager | None = None,
        cache: DiskCache | None = None,
        tts: TTSService | None = None,
        visuals: VisualService | None = None,
        limits: ScriptLimits | None = None,
        images: ImageService | None = None,
        *,
        settings: Settings,
    ) -> None:
        """`settings`: the runtime's (or a test's); the renderer and its parts never read the environment."""
        self.workspaces = workspaces
        self.settings = settings
        self.limits = limits or ScriptLimits.from_settings(settings)
        self.silent_scene = settings.silent_scene  # seconds a scene with nothing to say stays
        self.resources = resources or ResourceManager()
        config = TTSConfig.from_settings(settings)
        self.tts = tts or TTSService(resources=self.resources, cache=cache, config=config)
        self.visuals = visuals or VisualService(resources=self.resources, cache=cache)
        # the document's images, through the same pooled HTTP client as the speech engines
        self.images = images or ImageService(http=self.tts.http, cache=cache, resources=self.resources)
        # an optional LLM writes the script (--llm, --topic), through the same pooled client
        # --visuals: pictures from elsewhere (issue 18)
        self.providers = VisualProviders(self.images, settings, self.resources)
        self.llm = ScriptWriter(self.tts.http, LLMConfig.from_settings(settings))
        self.cache = cache
        self.segments_encoded = 0  # scene segments actually encoded (cache hits excluded)
        self.audio_pieces_encoded = 0  # scenes' AAC pieces actually encoded
        self.music_mixes = 0  # narration + music mixes actually made (cache hits excluded)

    def plan_document(self, document: Document | Content, options: RenderOptions | None = None) -> Plan:
        """The Plan of a document, to render or edit: `spoken` is added by the render (blocking)."""
        chosen, config = options or RenderOptions(), self.tts.config
        return make_plan(document, chosen, self.limits, self._language, spoken=False, config=config)

    async def render(
        self,
        document: Document,
        out_path: Path,
        options: RenderOptions | None = None,
        progress: ProgressSink | None = None,
        *,
        images: ImagePolicy | None = None,
        thumbnail: bool = False,
        before_publish: Callable[[], Awaitable[None]] | None = None,
    ) -> RenderResult:
        """Render `document` to `out_path`: its Plan (`plan_document`), then `render_plan`."""
        options = options or RenderOptions()
        report = progress or (lambda _p: None)
        started = time.perf_counter()
        content = await run_in_thread(read_document, document)  # read once: kept for the document
        if options.llm:  # an LLM writes the script (issue 17)
            plan = await self.llm.write_plan(document, options)
        else:
            plan = await run_in_thread(self.plan_document, content, options)
        fitted = await run_in_thread(
            fit_duration, plan, options.duration, options.max_duration, options.rate, options.pauses
        )
        notes: tuple[str, ...] = ()
        if fitted is not None:  # --duration / --max-duration: condensed to the target (issue 17)
            plan, notes = fitted.plan, ((fitted.note,) if fitted.note else ())
        report(Progress(Stage.SCRIPT, 1, 1))
        # the plan shows the document's images (condensing may drop scenes: all are checked still)
        shown = await run_in_thread(document_images, content)
        result = await self._render(
            plan, out_path, options, report, images, thumbnail, before_publish, started, shown
        )
        # what the reader could not do as asked (slides without speaker notes) and condensing notes
        warnings = (*content.warnings, *notes, *result.warnings)
        return dataclasses.replace(result, warnings=warnings) if warnings else result

    async def render_plan(
        self,
        plan: Plan,
        out_path: Path,
        options: RenderOptions | None = None,
        progress: ProgressSink | None = None,
        *,
        images: ImagePolicy | None = None,
        thumbnail: bool = False,
        before_publish: Callable[[], Awaitable[None]] | None = None,
    ) -> RenderResult:
        """Render `plan` to `out_path` (+ .srt, .vtt and, if asked, a .jpg thumbnail).

        `images` says where the plan's images may come from (default: no local files, no remote
        ones); they are resolved first, so a bad image fails the render before any speech, naming it
        (`ImageError`), and nothing is left behind. `before_publish` runs right before the outputs
        are moved into place; a queue worker uses it to confirm it still holds the job, so that a
        worker that lost its lease publishes nothing.
        """
        options = options or RenderOptions()
        # a storyboard or an LLM's script, within the limits a document's script is held to
        check_limits("the script", plan.scenes, options.rate, self.limits)
        report = progress or (lambda _p: None)
        report(Progress(Stage.SCRIPT, 1, 1))
        return await self._render(
            plan, out_path, options, report, images, thumbnail, before_publish, time.perf_counter(), []
        )

    async def _render(
        self,
        plan: Plan,
        out_path: Path,
        options: RenderOptions,
        report: ProgressSink,
        policy: ImagePolicy | None,
        thumbnail: bool,
        before_publish: Callable[[], Awaitable[None]] | None,
        started: float,
        also_shown: Sequence[ImageLike],
    ) -> RenderResult:
        if not plan.scenes:
            raise InputError("the plan has no scenes: nothing to render")
        # Nothing blocks the event loop (`t2v serve` shares it with HTTP and heartbeats): CPU-bound
        # steps and file work (hashing, cache copies, probing, publishing) run in threads that check
        # for cancellation, so a signal is always seen.
        voice, language = await run_in_thread(self._voice, plan, options.voice)
        voices = await run_in_thread(scene_voices, plan, voice, language, self.tts.config)
        languages = [said for _, said in voices]
        # storyboards too; a scene with its own voice is normalized in its language
        plan = await run_in_thread(add_spoken, plan, language, lexicon_of(options), languages)
        # music files are found and size-checked before any work (a bad one is exit 2 / HTTP 422)
        texts = [s.narration for s in plan.scenes]
        sound_options = await run_in_thread(render_sound, options, texts, self.settings)
        policy = policy or ImagePolicy(frame=options.video_format.size, no_root=NO_IMAGE_FOLDER)

        async with self.workspaces.async_workspace("render") as ws:
            resolved = await self.images.resolve([*plan_images(plan), *also_shown], policy, ws)
            plan = resolved.apply(plan)
            provided = await self.providers.apply(plan, options.visuals, options.video_format.size, ws)
            if options.credits and provided.credits:  # the end card(s): silent slides after the last scene
                cards = credit_cards(provided.credits)
                provided = dataclasses.replace(
                    provided,
                    plan=provided.plan.model_copy(update={"scenes": [*provided.plan.scenes, *cards]}),
                    made_by=(*provided.made_by, *("slides" for _ in cards)),
                    clips=(*provided.clips, *(None for _ in cards)),
                )
                voices = [*voices, *((voice, language) for _ in cards)]  # nothing said: held silent
            plan = provided.plan
            drawn = [] if options.audio_only else plan.scenes
            sound, srt, vtt = ws / "narration.aac", ws / "captions.srt", ws / "captions.vtt"
            # the narration's AAC encodes (single-threaded, short) run beside the video's, one at a
            # time, not behind them: a cold 20-scene render ~5% sooner (benchmarks/results/sound-beside.md)
            beside = asyncio.Semaphore(1)
            spoken: asyncio.Future[Spoken] = asyncio.get_running_loop().create_future()

            async def narrate() -> NarrationTrack:
                """The words, then the narration track at once: the audio needs no picture, so it is
                made while the stills are drawn (an edited scene's audio is not behind its still)."""
                speeches = await self._speak(plan, voices, options, ws, report)
                gaps, trailing = scene_gaps(plan.scenes, options.pause_scene), 0.0
                if not options.audio_only:  # a picture with nothing said is held, not flashed
                    gaps, trailing = held_gaps(speeches, gaps, self.silent_scene)
                narration = await run_in_thread(plan_narration, speeches, gaps, sound_options, trailing)
                spoken.set_result((speeches, narration))
                return await encode_narration(narration, sound, ws, self.cache, beside, sound_options)

            async def picture() -> tuple[list[Stills], list[list[Shot]], Burn | None, list[Path], int]:
                """The stills, then (once the words are timed) the captions and the picture track."""
                slides, digests = await draw_stills(self.visuals, drawn, options, ws, report)
                backdrops = []  # scenes over video clips: their stills as overlays
                if slides and any(provided.clips):
                    backdrops = await draw_overlays(self.visuals, drawn, provided.clips, slides, options, ws)
                await run_in_thread(release_free_memory)  # the drawing threads' buffers, before encoding
                speeches, narration = await spoken  # (a failed narration cancels this branch)
                offsets, duration = narration.offsets, narration.duration
                shots = []  # an audio-only render draws and encodes no pictures
                if not options.audio_only:
                    shots = await run_in_thread(scene_shots, plan.scenes, slides, speeches, offsets, duration)
                burn = await self._captions(speeches, narration, options, language, ws, (srt, vtt))
                report(Progress(Stage.CAPTIONS, 1, 1))
                o = options
                moving = scene_motion(plan.scenes, o.motion)
                if backdrops:  # a clip moves by itself: no pan and zoom over it
                    moving = [None if b is not None else m for m, b in zip(moving, backdrops, strict=True)]
                spec = FrameSpec(o.video_format.size, o.fps, any(moving), o.keyframe_interval, o.quality)
                # a moving scene is every frame; the still ones stay a frame per picture (variable rate)
                # unless every scene moves, or a scene plays a video clip (`encode_over_clip` works at a
                # constant rate): then the whole video has one constant rate
                if (moving and all(moving)) or any(backdrops):
                    spec = replace(spec, fps=spec.rate)
                cpu = asyncio.Semaphore(max(1, os.cpu_count() or 1))  # encoders are CPU-bound
                segments, encoded = await encode_scenes(
                    shots, spec, burn, ws, report, cpu, self.cache, moving, o.transition, backdrops, digests
                )
                return slides, shots, burn, segments, encoded

            track, (slides, shots, burn, scene_segments, encoded) = await both(narrate(), picture())
            speeches, narration = spoken.result()
            offsets, duration = narration.offsets, narration.duration
            video = ws / "video.mp4"
            self.segments_encoded += encoded
            self.audio_pieces_encoded += track.encoded
            self.music_mixes += track.mixed is False
            titles, starts = [s.title for s in plan.scenes], [0.0, *offsets[1:]]
            chapters, listing = await run_in_thread(write_chapters, titles, starts, plan.title or "Start", ws)
            subs = None if options.audio_only else srt  # an M4A (podcast apps): captions beside it
            segs, lang, burned = scene_segments, iso639_2(language), bool(burn)
            length = await mux(segs, sound, video, subs, lang, chapters, duration, captions_burned=burned)
            out_srt, out_vtt = caption_paths(out_path)
            moves = [(srt, out_srt), (vtt, out_vtt), (listing, chapters_path(out_path))]
            out_thumb = None
            if thumbnail and slides:
                out_thumb = out_path.with_suffix(".jpg")
                moves.append(
                    (await run_in_thread(make_thumbnail, shots[0][0].image, ws / "thumbnail.jpg"), out_thumb)
                )
            if before_publish is not None:
                await before_publish()
            await run_in_thread(publish_all, [*moves, (video, out_path)])
            report(Progress(Stage.VIDEO, 1, 1))

        return RenderResult(
            video=out_path,
            srt=out_srt,
            vtt=out_vtt,
            duration=length,
            size_bytes=out_path.stat().st_size,
            scenes=len(plan.scenes),
            voice=voice,
            engines=tuple(s.engine for s in speeches),
            elapsed=time.perf_counter() - started,
            thumbnail=out_thumb,
            warnings=(*resolved.warnings, *provided.warnings),
            chapters=chapters_path(out_path),
            visuals=provided.made_by,
            credits=provided.credits,
        )

    async def _captions(
        self,
        speeches: Sequence[Speech],
        narration: NarrationPlan,
        options: RenderOptions,
        language: str,
        ws: Path,
        captions: tuple[Path, Path],
    ) -> Burn | None:
        """The `captions` (.srt, .vtt) written (and, burning, the .ass and its fonts in `ws`: the Burn)."""
        offsets, duration = narration.offsets, narration.duration
        srt, vtt = captions
        burn_ass = ws / "captions.ass" if options.burn_captions and not options.audio_only else None
        theme = await run_in_thread(load_theme, options.theme)  # cached: read once per file change
        fonts, scale = caption_look(theme, language)  # the theme's caption font for the language
        words = _absolute_words(speeches, offsets)
        if burn_ass is not None:  # libass draws a variable font at its default weight: pin it
            said = "".join(w.text for scene in words for w in scene)
            fonts = await run_in_thread(burnable_fonts, fonts, said, ws / "caption-fonts", self.cache)
        await run_in_thread(
            write_captions,
            words,
            duration,
            srt,
            vtt,
            burn_ass,
            options.video_format.size,
            scene_ends=[*offsets[1:], duration],  # a scene lasts until the next one starts
            style=options.caption_style,
            fonts=fonts,
            scale=scale,
        )
        if burn_ass is None:
            return None
        return Burn(burn_ass, await run_in_thread(link_fonts, ws / "fonts", fonts))

    def _voice(self, plan: Plan, asked: str | None) -> tuple[str, str]:
        """The voice spec to speak with (checked: a bad voice fails before any work is done) and the
        captions' language (the voice's, else the plan's, else detected)."""
        narration = " ".join(scene.narration for scene in plan.scenes)
        language = plan.language or self._language(narration)
        voice = asked or f"espeak:{language}"
        parse_voice_spec(voice, config=self.tts.config)
        return voice, parse_voice_chain(voice, config=self.tts.config).language or language

    def _language(self, narration: str) -> str:
        """Detect from the opening of the text (enough, and bounded), remembered in the cache: loading
        the detector's profiles costs more than an edited re-render's whole speech stage."""
        sample = narration[:LANGUAGE_SAMPLE_CHARS]
        key = hash_key("language-v1", sample)
        hit = self.cache.load(key, ".txt") if self.cache is not None else None
        if hit is not None:
            with contextlib.suppress(UnicodeDecodeError):
                return hit.decode("utf-8")
        language = detect_language(sample)
        if self.cache is not None:
            self.cache.put_bytes(key, language.encode("utf-8"), ".txt")
        return language

    async def _speak(
        self,
        plan: Plan,
        voices: Sequence[tuple[str, str]],
        options: RenderOptions,
        ws: Path,
        report: ProgressSink,
    ) -> list[Speech]:
        """Each scene's words, in order (`TTSService.speak_scene`: a sentence at a time, with pauses),
        each in its own voice and language (`scene_voices`)."""
        total = len(plan.scenes)
        report(Progress(Stage.SPEECH, 0, total))
        jobs = [
            SceneJob(scene, voice, language, ws / f"speech-{i:04d}.wav")
            for i, (scene, (voice, language)) in enumerate(zip(plan.scenes, voices, strict=True))
        ]
        return await self.tts.speak_scenes(jobs, options, lambda n: report(Progress(Stage.SPEECH, n, total)))


def scene_voices(plan: Plan, voice: str, language: str, config: TTSConfig) -> list[tuple[str, str]]:
    """Each scene's voice spec and language: its own `voice` (a storyboard's choice, checked here
    so a bad one fails before any work; an API caller's was checked against what the operator offers
    when the storyboard came in, `render_job.voice_problems`) in that voice's language, else the
    render's. `config`: the operator's speech servers (a voice without @URL uses theirs). Blocking:
    piper voices are looked up."""
    out = []
    for scene in plan.scenes:
        if scene.voice is None or not scene.voice.strip():
            out.append((voice, language))
            continue
        try:
            chain = parse_voice_chain(scene.voice, config=config)
        except InputError as exc:
            raise InputError(f"scene {scene.id}: {exc}") from None
        out.append((scene.voice, chain.language or language))
    return out


def _absolute_words(speeches: Sequence[Speech], offsets: Sequence[float]) -> list[list[WordTiming]]:
    return [
        [WordTiming(w.text, w.start + off, w.end + off) for w in speech.words]
        for speech, off in zip(speeches, offsets, strict=True)
    ]
