"""The seed's TTS service: speech for one scene, from whichever engine of a voice chain can speak.

`TTSService.speak(text, voice, rate, out_path)` is what the pipeline calls: the voice spec (see
`app.services.speech.voices`) is parsed and checked, each synthesis holds a TTS slot of the resource
manager, the same (engine, voice, server, rate, text) is synthesized once (a disk cache), HTTP engines
share one pooled client (`app.core.net.HttpClient`, streaming audio to disk), and an engine of a chain
that fails with a network error, a timeout or a 429/5xx is skipped for a while (failover).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from app.core.diskcache import DiskCache
from app.core.net import HttpClient
from app.core.resource_manager import ResourceManager
from app.core.threads import check_cancelled, run_in_thread, wait_until_done
from app.errors import RemoteUnavailable, RenderCancelled, TTSError, VoiceNotFound
from app.services.models import Pauses, RenderOptions, Speech, WordTiming
from app.services.planning import Scene as PlanScene
from app.services.speech import wav as audio
from app.services.speech.cache import SpeechCache, wav_shape
from app.services.speech.clips import Clip, fit_timings, join_clips, measure_wav, voiced_bounds
from app.services.speech.engines import ESPEAK, OPENAI, PIPER, openai, piper, request_download, timestamps
from app.services.speech.engines.config import TTSConfig
from app.services.speech.espeak import EspeakEngine, check_rate
from app.services.speech.phrases import Break, Phrase, plan_breaks, split_phrases
from app.services.speech.runs import unspoken_blanked
from app.services.speech.timing import estimate_word_timings
from app.services.speech.voices import VoiceChain, VoiceSpec, parse_voice_chain, parse_voice_spec
from app.services.speech.wav import write_wav
from app.services.speech.written import spoken_breaks, written_words

__all__ = ["SceneJob", "TTSService", "VoiceChain", "VoiceSpec", "parse_voice_chain", "parse_voice_spec"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class TTSService:
    """Turns narration into WAV files (mono 16-bit, at the engine's rate), from whichever engine can speak.

    Each synthesis holds a TTS slot of the resource manager. With a disk cache, the same (engine,
    voice, server, rate, text) is synthesized once: later requests link the cached WAV into place.
    An engine of a chain that fails with a network error, a timeout, a 429/5xx or is not reachable
    is skipped for `failover_cooldown` seconds, so later scenes go straight to the next engine.
    """

    def __init__(
        self,
        espeak: EspeakEngine | None = None,
        resources: ResourceManager | None = None,
        cache: DiskCache | None = None,
        config: TTSConfig | None = None,
        http: HttpClient | None = None,
    ) -> None:
        self.espeak = espeak or EspeakEngine()
        self.resources = resources
        self.cache = cache
        # the runtime's (TTSConfig.from_settings); without one, the defaults: no keys, no servers
        self.config = config or TTSConfig()
        self.http = http or HttpClient(self.config.http)
        self.syntheses = 0  # real engine calls (cache hits excluded), for tests and metrics
        self.clock: Callable[[], float] = time.monotonic
        self._down_until: dict[VoiceSpec, float] = {}

    @property
    def entries(self) -> SpeechCache:
        """Sentences and whole scenes in `cache`, keyed under the current `config`."""
        return SpeechCache(self.cache, self.config)

    async def aclose(self) -> None:
        """Close the pooled HTTP connections (the owner of the service calls this at shutdown)."""
        await self.http.aclose()

    async def speak(
        self,
        text: str,
        voice: str,
        rate: int,
        out_path: Path,
        *,
        pauses: Pauses | None = None,
        breaks: Sequence[Break] = (),
        language: str | None = None,
    ) -> Speech:
        """Cached synthesis under a TTS slot, with failover along the chain: what the pipeline calls.

        The narration is spoken a sentence at a time (`speech.phrases`: each cached on its own, so an
        edited scene re-synthesizes only its edited sentences), each sentence anchored where its sound
        starts, joined with `pauses` (sentence; paragraph and heading at `breaks`). `language` picks
        the espeak voice whose timing spreads the words of engines that report none (default: the
        chain's espeak language, else English). A chain fails over scene by scene, so one scene never
        mixes voices. Parsing and the cache's copies run in threads."""
        chain = await run_in_thread(parse_voice_chain, voice, self.espeak, self.config)
        phrases = split_phrases(text, pauses or Pauses(), breaks)
        guide = language or chain.language
        last = len(chain.links) - 1
        for i, link in enumerate(chain.links):
            if self._skipped(chain, i):
                continue
            try:
                return await self._speak_link(link, phrases, rate, Path(out_path), guide, cached=True)
            except RemoteUnavailable as exc:
                if i == last:
                    raise
                self._down_until[link] = self.clock() + self.config.failover_cooldown
                log.warning("voice %s failed, %s speaks instead: %s", link, chain.links[i + 1], exc)
        raise AssertionError("unreachable: the last voice of a chain always speaks or raises")

    def _skipped(self, chain: VoiceChain, i: int) -> bool:
        """Whether link `i` of `chain` is skipped for a failure a while ago (the last one always speaks)."""
        return i < len(chain.links) - 1 and self.clock() < self._down_until.get(chain.links[i], 0.0)

    def _first_up(self, chain: VoiceChain) -> int:
        """The link of `chain` that `speak` tries first."""
        return next(i for i in range(len(chain.links)) if not self._skipped(chain, i))

    async def speak_scene(
        self, scene: PlanScene, voice: str, options: RenderOptions, out_path: Path, language: str | None
    ) -> Speech:
        """A plan scene's speech: its `spoken` text once normalization computed it (else its
        narration), a sentence at a time with the pauses of `options` (heading and paragraph ends
        from `plan_breaks`), its words timed as written (`written.written_words`)."""
        text, breaks = await run_in_thread(_said, scene)
        speech = await self.speak(
            text, voice, options.rate, out_path, pauses=options.pauses, breaks=breaks, language=language
        )
        return speech if text == scene.narration else await run_in_thread(_as_written, scene, text, speech)

    async def speak_scenes(
        self, scenes: Sequence[SceneJob], options: RenderOptions, done: Callable[[int], None]
    ) -> list[Speech]:
        """Every scene's speech (`speak_scene`), in order; `done(n)` once the first n are spoken.

        The scenes an earlier render left whole in the cache are looked up ahead, all in one thread
        (a thread hop each cost a 20-scene re-render ~0.2 s), while the scenes the cache lacks are
        spoken in order as before: one waits on no later scene's look-up. A look-up is taken only if
        its voice is still the one `speak` would try now (an engine that failed meanwhile is skipped).
        """
        loop = asyncio.get_running_loop()
        found: list[asyncio.Future[_Found | None]] = [loop.create_future() for _ in scenes]

        def settle(future: asyncio.Future[_Found | None], hit: _Found | None) -> None:
            if not future.done():
                future.set_result(hit)

        def look_up() -> None:
            try:
                for job, future in zip(scenes, found, strict=True):
                    check_cancelled()
                    loop.call_soon_threadsafe(settle, future, self._cached_scene(job, options))
            finally:  # stopped early: the rest are spoken (or fail) the ordinary way
                for future in found:
                    loop.call_soon_threadsafe(settle, future, None)

        ahead = asyncio.ensure_future(run_in_thread(look_up)) if self.cache is not None else None
        speeches = []
        try:
            for n, (job, future) in enumerate(zip(scenes, found, strict=True)):
                hit = await future if ahead is not None else None
                if hit is not None and self._first_up(hit.chain) == hit.link:
                    speech = hit.speech
                else:
                    if hit is not None:  # a link to the cache's entry: never written into
                        await run_in_thread(_remove, [job.out_path])
                    speech = await self.speak_scene(job.scene, job.voice, options, job.out_path, job.language)
                speeches.append(speech)
                done(n + 1)
        finally:
            if ahead is not None:
                ahead.cancel()
                await wait_until_done([ahead])
        return speeches

    def _cached_scene(self, job: SceneJob, options: RenderOptions) -> _Found | None:
        """`speak_scene` when the cache holds the whole scene for the link `speak` would try first;
        None otherwise (and for any error, which speaking the scene then meets in its turn)."""
        try:
            text, breaks = _said(job.scene)
            chain = parse_voice_chain(job.voice, self.espeak, self.config)
            first = self._first_up(chain)
            link, guide = chain.links[first], job.language or chain.language
            phrases = split_phrases(text, options.pauses or Pauses(), breaks)
            scene_key = self._keys(link, phrases, options.rate, guide, cached=True)[2] if phrases else None
            hit = self._scene_hit(link, scene_key, job.out_path) if scene_key is not None else None
            if hit is None:
                return None
            return _Found(
                chain, first, hit if text == job.scene.narration else _as_written(job.scene, text, hit)
            )
        except RenderCancelled:
            raise
        except Exception:  # met again, and reported, when the scene is spoken in its turn
            return None

    async def _speak_link(
        self,
        link: VoiceSpec,
        phrases: Sequence[Phrase],
        rate: int,
        out_path: Path,
        language: str | None,
        *,
        cached: bool,
    ) -> Speech:
        """Every phrase with one voice, then the phrases joined into `out_path`."""
        if not phrases:
            await run_in_thread(audio.write_empty_wav, out_path)
            return Speech(out_path, 0.0, audio.SAMPLE_RATE, (), link.engine, _voice_name(link))
        keys, pauses, scene_key = self._keys(link, phrases, rate, language, cached=cached)
        if scene_key is not None:  # the whole scene, joined, as an earlier render left it
            hit = await run_in_thread(self._scene_hit, link, scene_key, out_path)
            if hit is not None:
                return hit
        tag = uuid.uuid4().hex[:8]
        paths = [out_path.with_name(f".{out_path.name}.{tag}.{n:04d}.wav") for n in range(len(phrases))]
        try:
            clips = []
            for phrase, path, key in zip(phrases, paths, keys, strict=True):
                clips.append(await self._clip(link, phrase.text.strip(), rate, path, language, key))
            # one engine speaks at one rate, but a server may answer in several formats: the first
            # sentence's rate is the scene's (the narration track resamples every scene once)
            rates = [await run_in_thread(wav_shape, clip.path) for clip in clips]
            rate_hz = rates[0][0]
            for clip, (clip_rate, _) in zip(clips, rates, strict=True):
                if clip_rate != rate_hz:
                    await audio.to_pcm_wav(clip.path, clip.path, rate_hz)
            words = await run_in_thread(join_clips, clips, pauses, out_path, rate_hz)
        finally:
            await run_in_thread(_remove, paths)
        _, samples = await run_in_thread(wav_shape, out_path)
        speech = Speech(out_path, samples / rate_hz, rate_hz, tuple(words), link.engine, _voice_name(link))
        if scene_key is not None:
            digest = await run_in_thread(self.entries.store_scene, scene_key, speech, samples)
            speech = replace(speech, digest=digest)
        return speech

    async def _clip(
        self, link: VoiceSpec, text: str, rate: int, path: Path, language: str | None, key: str | None
    ) -> Clip:
        """One sentence, from the cache or synthesized under a TTS slot (and then cached); `key`: its
        cache key (None: neither cache nor slot)."""
        if key is not None:
            hit = await run_in_thread(self.entries.clip, key, path)
            if hit is not None:
                return hit
        slot = self.resources.tts_slot() if self.resources and key is not None else contextlib.nullcontext()
        async with slot:
            clip = await self._synthesize(link, text, rate, path, language)
        self.syntheses += 1
        if key is not None:
            await run_in_thread(self.entries.store_clip, key, clip)
        return clip

    def _keys(
        self, link: VoiceSpec, phrases: Sequence[Phrase], rate: int, language: str | None, *, cached: bool
    ) -> tuple[list[str | None], list[float], str | None]:
        """Each sentence's cache key, the pauses between them, and the scene's key, made of both
        (keys None: uncached)."""
        keys = [self.entries.key(link, rate, p.text.strip(), language) if cached else None for p in phrases]
        pauses = [p.pause_after for p in phrases[:-1]]
        return keys, pauses, self.entries.scene_key(keys, pauses) if cached and self.cache else None

    def _scene_hit(self, link: VoiceSpec, key: str, out_path: Path) -> Speech | None:
        """The whole scene from the cache (`SpeechCache.scene`), as `link` spoke it."""
        hit = self.entries.scene(key, out_path)
        return None if hit is None else replace(hit, engine=link.engine, voice=_voice_name(link))

    async def synthesize(
        self, text: str, voice: str, rate: int, out_path: Path, *, pauses: Pauses | None = None
    ) -> Speech:
        """Speak `text` with the first voice of `voice` into `out_path`, written atomically; no cache,
        no slot, no failover.

        Cancelling the awaiting task stops espeak or piper, and returns only once their worker thread
        is done (HTTP transfers and ffmpeg stop at once), so nothing writes into a workspace the
        caller is about to remove.
        """
        link = await run_in_thread(parse_voice_spec, voice, self.espeak, self.config)
        phrases = split_phrases(text, pauses or Pauses())
        language = link.voice if link.engine == ESPEAK else None
        return await self._speak_link(link, phrases, rate, Path(out_path), language, cached=False)

    async def _synthesize(
        self, link: VoiceSpec, text: str, rate: int, out_path: Path, language: str | None
    ) -> Clip:
        """One sentence from its engine, measured: where its sound is, when its words are heard."""
        # espeak and piper run in threads that stop when the awaiting task is cancelled, and a
        # cancelled caller waits for them (however often it is cancelled) before it goes on
        if link.engine == ESPEAK:
            return await run_in_thread(self._espeak, text, link.voice, rate, out_path)
        check_rate(rate)
        raw = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:8]}.source")
        try:
            reported = None  # word timings the engine gave itself
            said = unspoken_blanked(text)  # emoji shown, not read out as their names
            if link.engine == PIPER:
                await run_in_thread(piper.speak_to_wav, Path(link.voice), said, rate, raw)
                os.replace(raw, out_path)  # already mono 16-bit PCM, at the model's own rate
            else:
                assert link.base_url is not None
                if link.engine == OPENAI:
                    await openai.fetch(self.http, self.config, said, link.voice, link.base_url, rate, raw)
                    reported = await run_in_thread(timestamps.unpack_json_audio, raw)
                else:
                    reported = await request_download.fetch(
                        self.http, self.config, said, link.voice, link.base_url, rate, raw
                    )
                await audio.to_pcm_wav(raw, out_path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()
        return await run_in_thread(self._measured, out_path, text, rate, language, reported)

    def _espeak(self, text: str, voice: str, rate: int, out_path: Path) -> Clip:
        pcm, sample_rate, words = self.espeak.synthesize(text, voice, rate)
        write_wav(out_path, pcm, sample_rate)
        samples = np.frombuffer(pcm, dtype="<i2")
        duration = len(samples) / sample_rate
        onset, offset = voiced_bounds(samples, sample_rate) or (0.0, duration)
        if words:  # espeak marks its first word at its own start of text, a few ms before the sound
            words[0] = replace(words[0], start=max(words[0].start, onset))
        return Clip(out_path, duration, onset, offset, tuple(words))

    def _measured(
        self,
        path: Path,
        text: str,
        rate: int,
        language: str | None,
        reported: Sequence[WordTiming] | None = None,
    ) -> Clip:
        """An engine's sentence: its sound found in the audio, its words timed as the engine
        `reported` (matched to the text's words), else spread by espeak's timing of the same text
        (letter counts if espeak cannot say it)."""
        duration, bounds = measure_wav(path)
        onset, offset = bounds or (0.0, duration)
        if reported:
            said = " ".join(w.text for w in reported)
            return Clip(path, duration, onset, offset, tuple(written_words(text, said, reported)))
        guide = self._guide(text, rate, language)
        if guide is None:
            words = estimate_word_timings(text, onset, offset)
        else:
            words = fit_timings(guide[0], guide[1], onset, offset)
        return Clip(path, duration, onset, offset, tuple(words))

    def _guide(
        self, text: str, rate: int, language: str | None
    ) -> tuple[list[WordTiming], tuple[float, float]] | None:
        """espeak's timing of `text` (its words and where its sound is), or None."""
        try:
            voice = self.espeak.resolve_voice(language or "en")
        except VoiceNotFound:
            voice = "en"
        try:
            pcm, sample_rate, words = self.espeak.synthesize(text, voice, rate)
        except (VoiceNotFound, TTSError):
            return None
        span = voiced_bounds(np.frombuffer(pcm, dtype="<i2"), sample_rate)
        if span is None or not words:
            return None
        return words, span


@dataclass(frozen=True)
class SceneJob:
    """A scene to speak (`TTSService.speak_scenes`): in `voice` (a chain), its words timed in
    `language`, into `out_path`."""

    scene: PlanScene
    voice: str
    language: str | None
    out_path: Path


@dataclass(frozen=True)
class _Found:
    """A scene found whole in the cache, as `chain.links[link]` spoke it."""

    chain: VoiceChain
    link: int
    speech: Speech


def _said(scene: PlanScene) -> tuple[str, list[Break]]:
    """What a scene says (its `spoken` text once normalization computed it, else its narration) and
    where its heading and paragraph ends fall in that text."""
    text = scene.spoken if scene.spoken is not None else scene.narration
    breaks = plan_breaks(scene)
    if text != scene.narration:
        breaks = spoken_breaks(scene.narration, text, breaks)
    return text, list(breaks)


def _as_written(scene: PlanScene, text: str, speech: Speech) -> Speech:
    """Captions and beats follow the words as written: "29/11/2026" is on screen while it is said."""
    return replace(speech, words=tuple(written_words(scene.narration, text, speech.words)))


def _voice_name(link: VoiceSpec) -> str:
    return piper.voice_name(Path(link.voice)) if link.engine == PIPER else link.voice


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
