"""Speech for one scene: the engine named by a voice spec (`ENGINE:VOICE`) speaks into a WAV file.

Only the offline espeak engine exists for now; a bare `VOICE` means espeak, so `vi` is `espeak:vi`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path

from app.core.memory_optimizer import DiskCache, hash_key, link_or_copy
from app.core.resource_manager import ResourceManager
from app.errors import VoiceNotFound
from app.services.espeak import EspeakEngine
from app.services.models import Speech, WordTiming

ESPEAK = "espeak"
ENGINES = (ESPEAK,)


@dataclass(frozen=True)
class VoiceSpec:
    engine: str
    voice: str

    def __str__(self) -> str:
        return f"{self.engine}:{self.voice}"


def parse_voice_spec(spec: str, espeak: EspeakEngine | None = None) -> VoiceSpec:
    """Split and check a voice spec up front, so a typo fails before any rendering starts.

    The voice comes back resolved ("EN_us" -> "en-us", "zh" -> "cmn"), which is also a language code.
    """
    engine, sep, voice = spec.strip().partition(":")
    if not sep:
        engine, voice = ESPEAK, engine
    engine = engine.strip().lower()
    if engine not in ENGINES:
        raise VoiceNotFound(
            f"unknown speech engine {engine!r} in voice {spec!r}; available: {', '.join(ENGINES)} "
            "(e.g. espeak:vi, espeak:en-us)"
        )
    return VoiceSpec(engine, (espeak or EspeakEngine()).resolve_voice(voice))


class TTSService:
    """Turns narration into WAV files; the engine runs in a worker thread, off the event loop.

    Each synthesis holds a TTS slot of the resource manager. With a disk cache, the same (engine,
    voice, rate, text) is synthesized once: later requests link the cached WAV into place.
    """

    CACHE_VERSION = "speech-v1"

    def __init__(
        self,
        espeak: EspeakEngine | None = None,
        resources: ResourceManager | None = None,
        cache: DiskCache | None = None,
    ) -> None:
        self.espeak = espeak or EspeakEngine()
        self.resources = resources
        self.cache = cache
        self.syntheses = 0  # real engine calls (cache hits excluded), for tests and metrics

    async def speak(self, text: str, voice: str, rate: int, out_path: Path) -> Speech:
        """Cached synthesis under a TTS slot: what the pipeline calls."""
        spec = parse_voice_spec(voice, self.espeak)
        key = hash_key(self.CACHE_VERSION, spec.engine, spec.voice, rate, text)
        cached = self._from_cache(key, out_path)
        if cached is not None:
            return cached
        slot = self.resources.tts_slot() if self.resources else contextlib.nullcontext()
        async with slot:
            speech = await self.synthesize(text, str(spec), rate, out_path)
        self.syntheses += 1
        self._to_cache(key, speech)
        return speech

    def _from_cache(self, key: str, out_path: Path) -> Speech | None:
        if self.cache is None:
            return None
        meta_path = self.cache.get(key, ".json")
        wav_path = self.cache.get(key, ".wav") if meta_path else None
        if meta_path is None or wav_path is None:
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            link_or_copy(wav_path, out_path)
        except (OSError, ValueError):
            return None  # evicted or damaged between lookup and use: synthesize instead
        return Speech(
            audio_path=out_path,
            duration=meta["duration"],
            sample_rate=meta["sample_rate"],
            words=tuple(WordTiming(w, s, e) for w, s, e in meta["words"]),
            engine=meta["engine"],
            voice=meta["voice"],
        )

    def _to_cache(self, key: str, speech: Speech) -> None:
        if self.cache is None:
            return
        meta = {
            "duration": speech.duration,
            "sample_rate": speech.sample_rate,
            "words": [[w.text, w.start, w.end] for w in speech.words],
            "engine": speech.engine,
            "voice": speech.voice,
        }
        self.cache.put_file(key, speech.audio_path, ".wav")
        self.cache.put_bytes(key, json.dumps(meta).encode("utf-8"), ".json")

    async def synthesize(
        self,
        text: str,
        voice: str,
        rate: int,
        out_path: Path,
        cancel: threading.Event | None = None,
    ) -> Speech:
        """Speak `text` into `out_path` (mono 16-bit WAV, written atomically).

        Cancelling the awaiting task stops espeak, and returns only once the worker thread is done,
        so nothing writes into a workspace the caller is about to remove.
        """
        stop = cancel or threading.Event()
        job = asyncio.ensure_future(asyncio.to_thread(self._speak, text, voice, rate, Path(out_path), stop))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            stop.set()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await job
            raise

    def _speak(self, text: str, voice: str, rate: int, out_path: Path, cancel: threading.Event) -> Speech:
        spec = parse_voice_spec(voice, self.espeak)
        pcm, sample_rate, words = self.espeak.synthesize(text, spec.voice, rate, cancel)
        write_wav(out_path, pcm, sample_rate)
        return Speech(
            audio_path=out_path,
            duration=len(pcm) // 2 / sample_rate,
            sample_rate=sample_rate,
            words=tuple(words),
            engine=spec.engine,
            voice=spec.voice,
        )


def write_wav(path: Path, pcm: bytes, sample_rate: int) -> None:
    """Write mono 16-bit PCM so that `path` is either the old file or the complete new one."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as fh, wave.open(fh, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(pcm)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
