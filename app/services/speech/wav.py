"""Any engine's audio -> the one format scenes are joined in, plus estimated word timings.

Audio from HTTP servers and piper is converted to mono 16-bit PCM WAV by ffmpeg (which reads and writes
files in bounded memory and is killed if the render is cancelled), keeping the engine's own sample
rate: the narration track resamples every scene to 48 kHz once (`app.services.audio`), so converting
the rate here too would resample twice.

Only espeak reports when each word is spoken; for other engines `speech_from_wav` estimates the
timings over the voiced part of the audio (`timing.estimate_word_timings`).
"""

from __future__ import annotations

import array
import sys
import wave
from pathlib import Path

from app.core.fsutil import atomic_path
from app.errors import MediaError
from app.services.models import Speech
from app.services.speech.timing import estimate_word_timings
from app.services.video import run_ffmpeg

SAMPLE_RATE = 22_050  # espeak-ng's native rate (and an empty scene's)
_SILENCE = 64  # a sample this quiet or quieter is silence
_FRAMES = 65_536


async def to_pcm_wav(src: Path, dest: Path, sample_rate: int | None = None) -> None:
    """Decode whatever `src` holds (WAV, MP3, Opus, FLAC...) into `dest`, atomically, at its own rate
    unless `sample_rate` is given."""
    rate = ["-ar", str(sample_rate)] if sample_rate else []
    with atomic_path(dest, ".wav") as tmp:
        await run_ffmpeg(
            [
                *("-i", str(src), "-vn", "-map_metadata", "-1", "-ac", "1", *rate),
                *("-c:a", "pcm_s16le", "-fflags", "+bitexact", "-f", "wav", str(tmp)),
            ],
            what="converting speech audio",
        )


def write_empty_wav(path: Path, sample_rate: int = SAMPLE_RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)


def voiced_span(path: Path) -> tuple[float, float, float]:
    """(start of the voice, end of the voice, duration) in seconds, reading one block at a time."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise MediaError(f"{path.name}: expected mono 16-bit audio")
            rate, total = w.getframerate(), w.getnframes()
            first = _first_loud(w, 0, total)
            if first is None:
                return 0.0, total / rate, total / rate  # silence: spread the words over all of it
            last = _last_loud(w, total)
            return first / rate, (last + 1) / rate, total / rate
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"{path.name}: unreadable WAV: {exc}") from exc


def _block(w: wave.Wave_read, start: int, count: int) -> array.array[int]:
    w.setpos(start)
    samples = array.array("h", w.readframes(count))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _loud(samples: array.array[int]) -> bool:
    return bool(samples) and (max(samples) > _SILENCE or min(samples) < -_SILENCE)


def _first_loud(w: wave.Wave_read, start: int, total: int) -> int | None:
    for pos in range(start, total, _FRAMES):
        block = _block(w, pos, _FRAMES)
        if _loud(block):
            return pos + next(i for i, s in enumerate(block) if abs(s) > _SILENCE)
    return None


def _last_loud(w: wave.Wave_read, total: int) -> int:
    pos = total
    while pos > 0:
        start = max(0, pos - _FRAMES)
        block = _block(w, start, pos - start)
        if _loud(block):
            return start + next(i for i in range(len(block) - 1, -1, -1) if abs(block[i]) > _SILENCE)
        pos = start
    return 0


def speech_from_wav(path: Path, text: str, engine: str, voice: str) -> Speech:
    """A Speech for a converted WAV, with estimated word timings."""
    start, end, duration = voiced_span(path)
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
    return Speech(
        audio_path=path,
        duration=duration,
        sample_rate=rate,
        words=tuple(estimate_word_timings(text, start, end)),
        engine=engine,
        voice=voice,
    )


def write_wav(path: Path, pcm: bytes, sample_rate: int) -> None:
    """Write mono 16-bit PCM so that `path` is either the old file or the complete new one."""
    with atomic_path(path) as tmp, open(tmp, "xb") as fh, wave.open(fh, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
