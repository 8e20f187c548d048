"""Speech for one scene: the engine named by a voice spec (`ENGINE:VOICE`) speaks into a WAV file.

Only the offline espeak engine exists for now; a bare `VOICE` means espeak, so `vi` is `espeak:vi`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path

from app.errors import VoiceNotFound
from app.services.espeak import EspeakEngine
from app.services.models import Speech

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
    """Turns narration into WAV files; the engine runs in a worker thread, off the event loop."""

    def __init__(self, espeak: EspeakEngine | None = None) -> None:
        self.espeak = espeak or EspeakEngine()

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
