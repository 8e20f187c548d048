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
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from app.config import load_settings
from app.core.diskcache import DiskCache, hash_key
from app.core.net import HttpClient
from app.core.resource_manager import ResourceManager
from app.core.threads import run_in_thread
from app.errors import RemoteUnavailable
from app.services.models import Speech, WordTiming
from app.services.speech import wav as audio
from app.services.speech.engines import ESPEAK, OPENAI, PIPER, openai, piper, request_download
from app.services.speech.engines.config import TTSConfig
from app.services.speech.espeak import EspeakEngine, check_rate
from app.services.speech.voices import VoiceChain, VoiceSpec, parse_voice_chain, parse_voice_spec
from app.services.speech.wav import write_wav

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

    CACHE_VERSION = "speech-v2"  # v2: runs of other scripts by their own voices

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
        self.config = config or TTSConfig.from_settings(load_settings())
        self.http = http or HttpClient(self.config.http)
        self.syntheses = 0  # real engine calls (cache hits excluded), for tests and metrics
        self.clock: Callable[[], float] = time.monotonic
        self._down_until: dict[VoiceSpec, float] = {}

    async def aclose(self) -> None:
        """Close the pooled HTTP connections (the owner of the service calls this at shutdown)."""
        await self.http.aclose()

    async def speak(self, text: str, voice: str, rate: int, out_path: Path) -> Speech:
        """Cached synthesis under a TTS slot, with failover along the chain: what the pipeline calls.
        Parsing (espeak's voice list, piper's model files) and the cache's copies run in threads."""
        chain = await run_in_thread(parse_voice_chain, voice, self.espeak, self.config)
        last = len(chain.links) - 1
        for i, link in enumerate(chain.links):
            if i < last and self.clock() < self._down_until.get(link, 0.0):
                continue
            key, cached = await run_in_thread(self._cached, link, rate, text, Path(out_path))
            if cached is not None:
                return cached
            slot = self.resources.tts_slot() if self.resources else contextlib.nullcontext()
            try:
                async with slot:
                    speech = await self._synthesize(link, text, rate, Path(out_path))
            except RemoteUnavailable as exc:
                if i == last:
                    raise
                self._down_until[link] = self.clock() + self.config.failover_cooldown
                log.warning("voice %s failed, %s speaks instead: %s", link, chain.links[i + 1], exc)
                continue
            self.syntheses += 1
            await run_in_thread(self._to_cache, key, speech)
            return speech
        raise AssertionError("unreachable: the last voice of a chain always speaks or raises")

    def _cached(self, link: VoiceSpec, rate: int, text: str, out_path: Path) -> tuple[str, Speech | None]:
        """The cache key of this synthesis, and the speech if the cache holds it."""
        key = self._cache_key(link, rate, text)
        return key, self._from_cache(key, out_path)

    def _cache_key(self, link: VoiceSpec, rate: int, text: str) -> str:
        """What determines the audio; never the API key."""
        if link.engine == ESPEAK:
            return hash_key(self.CACHE_VERSION, link.engine, link.voice, rate, text)
        if link.engine == PIPER:
            st = os.stat(link.voice)
            extra: tuple[object, ...] = (st.st_size, st.st_mtime_ns)
        elif link.engine == OPENAI:
            extra = (link.base_url, self.config.openai_model, self.config.openai_format)
        else:
            extra = (link.base_url,)
        return hash_key(self.CACHE_VERSION, link.engine, link.voice, rate, text, *extra)

    def _from_cache(self, key: str, out_path: Path) -> Speech | None:
        """The cached speech, when both its timings and its audio pass the cache's checks."""
        if self.cache is None:
            return None
        meta_bytes = self.cache.load(key, ".json")
        if meta_bytes is None:
            return None
        try:
            meta = json.loads(meta_bytes)
            speech = Speech(
                audio_path=out_path,
                duration=meta["duration"],
                sample_rate=meta["sample_rate"],
                words=tuple(WordTiming(w[0], w[1], w[2], glued=len(w) > 3 and w[3]) for w in meta["words"]),
                engine=meta["engine"],
                voice=meta["voice"],
            )
        except (ValueError, KeyError, TypeError):
            return None  # written by another version: synthesize instead
        return speech if self.cache.fetch(key, out_path, ".wav") else None

    def _to_cache(self, key: str, speech: Speech) -> None:
        if self.cache is None:
            return
        meta = {
            "duration": speech.duration,
            "sample_rate": speech.sample_rate,
            "words": [[w.text, w.start, w.end, *([True] if w.glued else [])] for w in speech.words],
            "engine": speech.engine,
            "voice": speech.voice,
        }
        self.cache.put_file(key, speech.audio_path, ".wav")
        self.cache.put_bytes(key, json.dumps(meta).encode("utf-8"), ".json")

    async def synthesize(self, text: str, voice: str, rate: int, out_path: Path) -> Speech:
        """Speak `text` with the first voice of `voice` into `out_path`, written atomically; no cache,
        no slot, no failover.

        Cancelling the awaiting task stops espeak or piper, and returns only once their worker thread
        is done (HTTP transfers and ffmpeg stop at once), so nothing writes into a workspace the
        caller is about to remove.
        """
        link = await run_in_thread(parse_voice_spec, voice, self.espeak, self.config)
        return await self._synthesize(link, text, rate, Path(out_path))

    async def _synthesize(self, link: VoiceSpec, text: str, rate: int, out_path: Path) -> Speech:
        # espeak and piper run in threads that stop when the awaiting task is cancelled, and a
        # cancelled caller waits for them (however often it is cancelled) before it goes on
        if link.engine == ESPEAK:
            return await run_in_thread(self._espeak, text, link.voice, rate, out_path)
        check_rate(rate)
        if not text.strip():
            await run_in_thread(audio.write_empty_wav, out_path)
            return Speech(out_path, 0.0, audio.SAMPLE_RATE, (), link.engine, link.voice)
        raw = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:8]}.source")
        try:
            if link.engine == PIPER:
                model = Path(link.voice)
                native = await run_in_thread(piper.speak_to_wav, model, text, rate, raw)
                if native == audio.SAMPLE_RATE:
                    os.replace(raw, out_path)
                else:
                    await audio.to_pcm_wav(raw, out_path)
                return await run_in_thread(
                    audio.speech_from_wav, out_path, text, PIPER, piper.voice_name(model)
                )
            fetch = openai.fetch if link.engine == OPENAI else request_download.fetch
            assert link.base_url is not None
            await fetch(self.http, self.config, text, link.voice, link.base_url, rate, raw)
            await audio.to_pcm_wav(raw, out_path)
            return await run_in_thread(audio.speech_from_wav, out_path, text, link.engine, link.voice)
        finally:
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()

    def _espeak(self, text: str, voice: str, rate: int, out_path: Path) -> Speech:
        pcm, sample_rate, words = self.espeak.synthesize(text, voice, rate)
        write_wav(out_path, pcm, sample_rate)
        return Speech(
            audio_path=out_path,
            duration=len(pcm) // 2 / sample_rate,
            sample_rate=sample_rate,
            words=tuple(words),
            engine=ESPEAK,
            voice=voice,
        )
