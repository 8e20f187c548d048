"""Any engine's audio -> the one format scenes are joined in (mono 16-bit PCM WAV).

Audio from HTTP servers and piper is converted to mono 16-bit PCM WAV by ffmpeg (which reads and writes
files in bounded memory and is killed if the render is cancelled), keeping the engine's own sample
rate: the narration track resamples every scene to 48 kHz once (`app.services.audio`), so converting
the rate here too would resample twice.

Where the sound of each sentence is, and when its words are heard, is `clips`' business.
"""

from __future__ import annotations

import wave
from pathlib import Path

from app.core.fsutil import atomic_path
from app.services.video import run_ffmpeg

SAMPLE_RATE = 22_050  # espeak-ng's native rate (and an empty scene's)


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


def write_wav(path: Path, pcm: bytes, sample_rate: int) -> None:
    """Write mono 16-bit PCM so that `path` is either the old file or the complete new one."""
    with atomic_path(path) as tmp, open(tmp, "xb") as fh, wave.open(fh, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
