"""The narration track, built from one AAC piece per scene so that unchanged scenes are never encoded
again.

AAC works in frames of 1024 samples and an encoder starts with one "priming" frame. Each scene's
audio (the pause before it, its speech, silence to the next frame boundary) is therefore padded to
whole frames and encoded alone; the pieces are joined frame by frame, keeping only the first piece's
priming frame. The joins fall inside silence, so nothing is heard at them. The kept priming frame
becomes a 1024-sample lead-in at the start of the track, and every scene's start time accounts for it,
so pictures and captions stay on the samples they belong to.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.diskcache import DiskCache, hash_key
from app.core.fsutil import hash_file
from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.models import Speech
from app.services.video import run_ffmpeg

AAC_FRAME = 1024
CACHE_VERSION = "aac-unit-v1"
BATCH = 16  # pieces per ffmpeg run


@dataclass(frozen=True)
class AudioUnit:
    """One scene's share of the track: `lead` samples of silence, the speech, `pad` of silence."""

    speech: Speech
    samples: int
    lead: int
    pad: int

    @property
    def total(self) -> int:
        return self.lead + self.samples + self.pad


@dataclass(frozen=True)
class NarrationPlan:
    units: tuple[AudioUnit, ...]
    offsets: tuple[float, ...]  # when each scene's speech starts in the track, in seconds
    duration: float
    rate: int


def plan_narration(speeches: Sequence[Speech], pause: float | Sequence[float]) -> NarrationPlan:
    """Lay the scenes out on whole AAC frames, from the WAV headers alone. `pause`: the silence
    between scenes, or one per scene (the silence after it; a plan scene's `pause_after`)."""
    if not speeches:
        raise MediaError("nothing to narrate")
    rate = speeches[0].sample_rate
    after = [pause] * len(speeches) if isinstance(pause, (int, float)) else list(pause)
    units: list[AudioUnit] = []
    offsets: list[float] = []
    position = AAC_FRAME  # the priming frame of the first piece plays as a short lead-in
    for i, speech in enumerate(speeches):
        with wave.open(str(speech.audio_path), "rb") as w:
            if w.getframerate() != rate or w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise MediaError(f"scene {i + 1}: audio format differs from the first scene's")
            samples = w.getnframes()
        lead = round(after[i - 1] * rate) if i else 0
        pad = -(lead + samples) % AAC_FRAME
        units.append(AudioUnit(speech, samples, lead, pad))
        offsets.append((position + lead) / rate)
        position += lead + samples + pad
    return NarrationPlan(tuple(units), tuple(offsets), position / rate, rate)


async def encode_narration(
    plan: NarrationPlan, out: Path, workdir: Path, cache: DiskCache | None, cpu: asyncio.Semaphore
) -> int:
    """Write the whole track as ADTS AAC to `out`; returns how many pieces had to be encoded. Hashing,
    cache copies and the joining run in threads, off the event loop."""
    pieces, missing = await run_in_thread(_prepare_pieces, plan, workdir, cache)
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        async with cpu:
            await _encode_batch([(wav, aac) for wav, aac, _ in batch])
        if cache is not None:
            await run_in_thread(_store_pieces, cache, batch)
    await run_in_thread(_join_pieces, plan, pieces, out)
    return len(missing)


def _prepare_pieces(
    plan: NarrationPlan, workdir: Path, cache: DiskCache | None
) -> tuple[list[Path], list[tuple[Path, Path, str]]]:
    """Each scene's AAC piece from the cache where it is there; the others' padded WAVs to encode,
    as (wav to encode, aac to write, cache key)."""
    pieces: list[Path] = []
    missing: list[tuple[Path, Path, str]] = []
    for i, unit in enumerate(plan.units):
        path = workdir / f"narration-{i:04d}.aac"
        key = hash_key(CACHE_VERSION, hash_file(unit.speech.audio_path), unit.lead, unit.pad)
        if cache is None or not cache.fetch(key, path, ".aac"):
            wav = workdir / f"narration-{i:04d}.wav"
            _write_unit(unit, plan.rate, wav)
            missing.append((wav, path, key))
        pieces.append(path)
    return pieces, missing


def _store_pieces(cache: DiskCache, batch: Sequence[tuple[Path, Path, str]]) -> None:
    for _, aac, key in batch:
        cache.put_file(key, aac, ".aac")


def _join_pieces(plan: NarrationPlan, pieces: Sequence[Path], out: Path) -> None:
    with open(out, "wb") as sink:
        for i, (path, unit) in enumerate(zip(pieces, plan.units, strict=True)):
            check_cancelled()
            frames = _adts_frames(path.read_bytes())
            if len(frames) != unit.total // AAC_FRAME + 1:
                raise MediaError(f"scene {i + 1}: unexpected AAC frame count {len(frames)}")
            sink.writelines(frames if i == 0 else frames[1:])  # one priming frame for the whole track


async def _encode_batch(jobs: Sequence[tuple[Path, Path]]) -> None:
    """Several pieces in one ffmpeg run, each with its own encoder (and so its own priming frame):
    starting ffmpeg costs more than encoding a scene's speech."""
    args: list[str] = []
    for wav, _ in jobs:
        args += ["-i", str(wav)]
    for n, (_, aac) in enumerate(jobs):
        args += ["-map", f"{n}:a", "-c:a", "aac", "-aac_coder", "fast", "-b:a", "64k", "-f", "adts", str(aac)]
    await run_ffmpeg(args, what="encoding the narration")


def _write_unit(unit: AudioUnit, rate: int, path: Path) -> None:
    with wave.open(str(path), "wb") as out, wave.open(str(unit.speech.audio_path), "rb") as src:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * unit.lead)
        while chunk := src.readframes(65_536):
            out.writeframes(chunk)
        out.writeframes(b"\x00\x00" * unit.pad)


def _adts_frames(data: bytes) -> list[bytes]:
    """Split an ADTS stream into its frames (each starts with a 7- or 9-byte header)."""
    frames = []
    i = 0
    while i + 7 <= len(data):
        if data[i] != 0xFF or (data[i + 1] & 0xF0) != 0xF0:
            raise MediaError("damaged AAC stream")
        length = ((data[i + 3] & 0x03) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5)
        if length < 7:
            raise MediaError("damaged AAC stream")
        frames.append(data[i : i + length])
        i += length
    return frames
