"""The seed's TTS service: speech for one scene, from whichever engine of a voice chain can speak.

`TTSService.speak(text, voice, rate, out_path)` is what the pipeline calls: the voice spec (see
`app.services.speech.voices`) is parsed and checked, each synthesis holds a TTS slot of the resource
manager, the same (engine, voice, server, rate, text) is synthesized once (a disk cache), HTTP engines
share one pooled client (`app.core.net.HttpClient`, streaming audio to disk), and an engine of a chain
that fails with a network error, a timeout or a 429/5xx is skipped for a while (failover).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
import wave
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from app.core.diskcache import DiskCache, hash_key
from app.core.net import HttpClient
from app.core.resource_manager import ResourceManager
from app.core.threads import run_in_thread
from app.errors import RemoteUnavailable, TTSError, VoiceNotFound
from app.services.models import Pauses, RenderOptions, Speech, WordTiming
from app.services.planning import Scene as PlanScene
from app.services.speech import wav as audio
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

__all__ = ["TTSService", "VoiceChain", "VoiceSpec", "parse_voice_chain", "parse_voice_spec"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class TTSService:
    """Turns narration into WAV files (mono 16-bit, at the engine's rate), from whichever engine can speak.

    Each synthesis holds a TTS slot of the resource manager. With a disk cache, the same (engine,
    voice, server, rate, text) is synthesized once: later requests link the cached WAV into place.
    An engine of a chain that fails with a network error, a timeout, a 429/5xx or is not reachable
    is skipped for `failover_cooldown` seconds, so later scenes go straight to the next engine.
    """

    CACHE_VERSION = "speech-v3"  # per sentence, with where its sound is; runs of other scripts
    SCENE_VERSION = "speech-scene-v1"  # a scene's sentences joined (`join_clips`) and its words

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
            if i < last and self.clock() < self._down_until.get(link, 0.0):
                continue
            try:
                return await self._speak_link(link, phrases, rate, Path(out_path), guide, cached=True)
            except RemoteUnavailable as exc:
                if i == last:
                    raise
                self._down_until[link] = self.clock() + self.config.failover_cooldown
                log.warning("voice %s failed, %s speaks instead: %s", link, chain.links[i + 1], exc)
        raise AssertionError("unreachable: the last voice of a chain always speaks or raises")

    async def speak_scene(
        self, scene: PlanScene, voice: str, options: RenderOptions, out_path: Path, language: str | None
    ) -> Speech:
        """A plan scene's speech: its `spoken` text once normalization computed it (else its
        narration), a sentence at a time with the pauses of `options` (heading and paragraph ends
        from `plan_breaks`), its words timed as written (`written.written_words`)."""
        text = scene.spoken if scene.spoken is not None else scene.narration
        breaks = plan_breaks(scene)
        if text != scene.narration:
            breaks = await run_in_thread(spoken_breaks, scene.narration, text, breaks)
        speech = await self.speak(
            text, voice, options.rate, out_path, pauses=options.pauses, breaks=breaks, language=language
        )
        if text == scene.narration:
            return speech
        # captions and beats follow the words as written: "29/11/2026" is on screen while it is said
        words = await run_in_thread(written_words, scene.narration, text, speech.words)
        return replace(speech, words=tuple(words))

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
        name = piper.voice_name(Path(link.voice)) if link.engine == PIPER else link.voice
        if not phrases:
            await run_in_thread(audio.write_empty_wav, out_path)
            return Speech(out_path, 0.0, audio.SAMPLE_RATE, (), link.engine, name)
        # each sentence's cache key, and the scene's, made of them and the pauses between them
        keys = [self._cache_key(link, rate, p.text.strip(), language) if cached else None for p in phrases]
        pauses = [p.pause_after for p in phrases[:-1]]
        scene_key = self._scene_key(keys, pauses) if cached and self.cache else None
        if scene_key is not None:  # the whole scene, joined, as an earlier render left it
            hit = await run_in_thread(self._scene_from_cache, scene_key, out_path)
            if hit is not None:
                return replace(hit, engine=link.engine, voice=name)
        tag = uuid.uuid4().hex[:8]
        paths = [out_path.with_name(f".{out_path.name}.{tag}.{n:04d}.wav") for n in range(len(phrases))]
        try:
            clips = []
            for phrase, path, key in zip(phrases, paths, keys, strict=True):
                clips.append(await self._clip(link, phrase.text.strip(), rate, path, language, key))
            # one engine speaks at one rate, but a server may answer in several formats: the first
            # sentence's rate is the scene's (the narration track resamples every scene once)
            rates = [await run_in_thread(_wav_shape, clip.path) for clip in clips]
            rate_hz = rates[0][0]
            for clip, (clip_rate, _) in zip(clips, rates, strict=True):
                if clip_rate != rate_hz:
                    await audio.to_pcm_wav(clip.path, clip.path, rate_hz)
            words = await run_in_thread(join_clips, clips, pauses, out_path, rate_hz)
        finally:
            await run_in_thread(_remove, paths)
        _, samples = await run_in_thread(_wav_shape, out_path)
        speech = Speech(out_path, samples / rate_hz, rate_hz, tuple(words), link.engine, name)
        if scene_key is not None:
            digest = await run_in_thread(self._scene_to_cache, scene_key, speech, samples)
            speech = replace(speech, digest=digest)
        return speech

    async def _clip(
        self, link: VoiceSpec, text: str, rate: int, path: Path, language: str | None, key: str | None
    ) -> Clip:
        """One sentence, from the cache or synthesized under a TTS slot (and then cached); `key`: its
        cache key (None: neither cache nor slot)."""
        if key is not None:
            hit = await run_in_thread(self._from_cache, key, path)
            if hit is not None:
                return hit
        slot = self.resources.tts_slot() if self.resources and key is not None else contextlib.nullcontext()
        async with slot:
            clip = await self._synthesize(link, text, rate, path, language)
        self.syntheses += 1
        if key is not None:
            await run_in_thread(self._to_cache, key, clip)
        return clip

    def _cache_key(self, link: VoiceSpec, rate: int, text: str, language: str | None = None) -> str:
        """What determines a sentence's audio and timings; never the API key."""
        if link.engine == ESPEAK:
            return hash_key(self.CACHE_VERSION, link.engine, link.voice, rate, text)
        if link.engine == PIPER:
            st = os.stat(link.voice)
            extra: tuple[object, ...] = (st.st_size, st.st_mtime_ns)
        elif link.engine == OPENAI:
            extra = (link.base_url, self.config.openai_model, self.config.openai_format)
        else:
            extra = (link.base_url,)
        # the words are spread by espeak's timing in `language`
        return hash_key(self.CACHE_VERSION, link.engine, link.voice, rate, text, language, *extra)

    def _scene_key(self, keys: Sequence[str | None], pauses: Sequence[float]) -> str:
        """What a scene's joined speech is made of: its sentences' `keys` and the `pauses` between them.
        A re-render of an edited document takes each unchanged scene whole (one WAV and its words)
        instead of its sentences and a join (a tenth of a second of a 20-scene re-render)."""
        return hash_key(self.SCENE_VERSION, list(keys), list(pauses))

    def _scene_from_cache(self, key: str, out_path: Path) -> Speech | None:
        """A scene's joined speech (engine and voice to be filled in), when it passes the cache's
        checks and its WAV is as long as recorded."""

        def parse(meta: Any) -> tuple[int, int, tuple[WordTiming, ...]]:
            return int(meta["rate"]), int(meta["samples"]), _words_from_json(meta["words"])

        found = self._entry(key, out_path, parse)
        if found is None or _wav_shape(out_path) != found[0][:2]:
            return None
        (rate, samples, words), digest = found
        return Speech(out_path, samples / rate, rate, words, digest=digest)

    def _scene_to_cache(self, key: str, speech: Speech, samples: int) -> str | None:
        """Store a scene's joined speech; its WAV's content digest (None without a cache)."""
        meta = {"rate": speech.sample_rate, "samples": samples, "words": _words_json(speech.words)}
        return self._store(key, speech.audio_path, meta)

    def _from_cache(self, key: str, out_path: Path) -> Clip | None:
        """The cached sentence, when both its timings and its audio pass the cache's checks."""

        def parse(meta: Any) -> Clip:
            return Clip(
                path=out_path,
                duration=float(meta["duration"]),
                onset=float(meta["onset"]),
                offset=float(meta["offset"]),
                words=_words_from_json(meta["words"]),
            )

        found = self._entry(key, out_path, parse)
        return None if found is None else found[0]

    def _to_cache(self, key: str, clip: Clip) -> None:
        meta = {
            "duration": clip.duration,
            "onset": clip.onset,
            "offset": clip.offset,
            "words": _words_json(clip.words),
        }
        self._store(key, clip.path, meta)

    def _entry(self, key: str, out_path: Path, parse: Callable[[Any], T]) -> tuple[T, str] | None:
        """A cache entry (a sentence's or a scene's): its metadata as `parse` reads it, and its WAV
        fetched into `out_path` (with the content digest it was verified against), when both pass
        the cache's checks."""
        if self.cache is None:
            return None
        meta = self.cache.load(key, ".json")
        if meta is None:
            return None
        try:
            found = parse(json.loads(meta))
        except (ValueError, KeyError, TypeError):
            return None  # written by another version: made again instead
        digest = self.cache.fetch_checked(key, out_path, ".wav")
        return None if digest is None else (found, digest)

    def _store(self, key: str, wav: Path, meta: dict[str, object]) -> str | None:
        """Store an entry's WAV and metadata; the WAV's content digest (None without a cache)."""
        if self.cache is None:
            return None
        digest = self.cache.put_file(key, wav, ".wav")
        self.cache.put_bytes(key, json.dumps(meta).encode("utf-8"), ".json")
        return digest

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


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _words_json(words: Sequence[WordTiming]) -> list[list[object]]:
    return [[w.text, w.start, w.end, *([True] if w.glued else [])] for w in words]


def _words_from_json(rows: Sequence[Sequence[object]]) -> tuple[WordTiming, ...]:
    """Words as `_words_json` wrote them (TypeError/ValueError for anything else)."""
    return tuple(
        WordTiming(str(w[0]), float(w[1]), float(w[2]), glued=len(w) > 3 and bool(w[3]))  # type: ignore[arg-type]
        for w in rows
    )


def _wav_shape(path: Path) -> tuple[int, int]:
    """A WAV's sample rate and length in samples."""
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnframes()
