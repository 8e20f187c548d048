"""Each scene's speech at 48 kHz, resampled once, and its loudness, measured once; both cached by
the speech file's content.

Engines speak at their own rates (espeak and most piper voices 22.05 kHz, HTTP servers 24 kHz...).
ffmpeg's soxr resampler (very high quality) brings each scene to 48 kHz in one step, several scenes
per ffmpeg run; the length is then fixed arithmetically (`samples_at_rate`), so the narration plan
knows every scene's length from the WAV headers before anything is resampled.
"""

from __future__ import annotations

import json
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.diskcache import DiskCache, file_digest, hash_key
from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.audio.dynamics import Analysis, analyse
from app.services.audio.loudness import RATE, Measurement, Samples
from app.services.video import run_ffmpeg

RESAMPLED_VERSION = "speech-48k-v1"
MEASURE_VERSION = "loudness-v1"
BATCH = 16  # scenes per ffmpeg run: starting ffmpeg costs more than resampling a scene


def samples_at_rate(samples: int, rate: int) -> int:
    """How many 48 kHz samples a scene of `samples` at `rate` becomes (what the plan lays out)."""
    return samples * RATE // rate


@dataclass(frozen=True)
class SceneSpeech:
    """One scene's speech: its WAV (any rate), content hash, and where its 48 kHz copy is kept."""

    source: Path
    digest: str
    rate: int
    samples: int  # at 48 kHz
    resampled: Path

    def read(self) -> Samples:
        """The 48 kHz samples as float32, exactly `samples` long."""
        if self.samples == 0:
            return np.zeros(0, dtype=np.float32)
        path = self.source if self.rate == RATE else self.resampled
        with wave.open(str(path), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != RATE:
                raise MediaError(f"{path.name}: not 48 kHz mono 16-bit audio")
            data = np.frombuffer(w.readframes(self.samples), dtype="<i2")
        x: Samples = data.astype(np.float32) / np.float32(32768)
        if len(x) < self.samples:  # the resampler's last few samples (silence)
            x = np.concatenate([x, np.zeros(self.samples - len(x), dtype=np.float32)])
        return x


def scene_speech(source: Path, workdir: Path, index: int, digest: str | None = None) -> SceneSpeech:
    """Scene `index`'s speech; `digest`: `source`'s content digest when known (`Speech.digest`, as the
    speech cache verified or stored it), else `source` is hashed here."""
    with wave.open(str(source), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise MediaError(f"scene {index + 1}: expected mono 16-bit speech audio")
        rate, frames = w.getframerate(), w.getnframes()
    digest = digest or file_digest(source)
    return SceneSpeech(
        source, digest, rate, samples_at_rate(frames, rate), workdir / f"speech48-{index:04d}.wav"
    )


class SceneAudio:
    """The render's scenes at 48 kHz and their measurements, made on demand and cached."""

    def __init__(self, scenes: Sequence[SceneSpeech], cache: DiskCache | None) -> None:
        self.scenes = tuple(scenes)
        self.cache = cache
        self.resampled = 0  # scenes resampled by this render (cache misses)
        self.analyses: dict[int, Analysis] = {}  # scenes analysed by this render (kept for levelling)

    async def ensure_resampled(self, indexes: Sequence[int]) -> None:
        """Make the 48 kHz copies of these scenes exist in the workspace: from the cache, else by ffmpeg."""
        todo = await run_in_thread(self._fetch, indexes)
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            args: list[str] = []
            for s in batch:
                args += ["-i", str(s.source)]
            for n, s in enumerate(batch):
                args += ["-map", f"{n}:a", "-af", f"aresample={RATE}:resampler=soxr:precision=28"]
                args += ["-c:a", "pcm_s16le", "-fflags", "+bitexact", "-f", "wav", str(s.resampled)]
            await run_ffmpeg(args, what="resampling speech to 48 kHz")
            self.resampled += len(batch)
            if self.cache is not None:
                await run_in_thread(self._store, batch)

    def _fetch(self, indexes: Sequence[int]) -> list[SceneSpeech]:
        todo = []
        for i in indexes:
            s = self.scenes[i]
            if s.rate == RATE or s.samples == 0 or s.resampled.exists():
                continue
            key = hash_key(RESAMPLED_VERSION, s.digest)
            if self.cache is None or not self.cache.fetch(key, s.resampled, ".wav"):
                todo.append(s)
        return todo

    def _store(self, batch: Sequence[SceneSpeech]) -> None:
        assert self.cache is not None
        for s in batch:
            self.cache.put_file(hash_key(RESAMPLED_VERSION, s.digest), s.resampled, ".wav")

    async def measurements(self) -> list[Measurement]:
        """Every scene's measurement: from the cache, else resampled (if need be) and measured."""
        found = await run_in_thread(self._load_measurements)
        missing = [i for i, m in enumerate(found) if m is None]
        if missing:
            await self.ensure_resampled(missing)
            made = await run_in_thread(self._measure, missing)
            for i, m in zip(missing, made, strict=True):
                found[i] = m
        return [m for m in found if m is not None]

    def _load_measurements(self) -> list[Measurement | None]:
        found: list[Measurement | None] = []
        for s in self.scenes:
            data = self.load_json(hash_key(MEASURE_VERSION, s.digest))
            found.append(_parse(data))
        return found

    def _measure(self, indexes: Sequence[int]) -> list[Measurement]:
        out = []
        for i in indexes:
            check_cancelled()
            m = self.analysis(i).measurement
            self.store_json(hash_key(MEASURE_VERSION, self.scenes[i].digest), m.to_json())
            out.append(m)
        return out

    def analysis(self, i: int) -> Analysis:
        """Scene `i`'s 1 ms block analysis (its 48 kHz copy must exist), made once per render."""
        found = self.analyses.get(i)
        if found is None:
            found = self.analyses[i] = analyse(self.scenes[i].read())
        return found

    def load_json(self, key: str) -> dict[str, object] | None:
        """A small cached JSON entry; a damaged one is a miss."""
        data = self.cache.load(key, ".json") if self.cache is not None else None
        if data is None:
            return None
        try:
            value = json.loads(data)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def store_json(self, key: str, value: dict[str, object]) -> None:
        if self.cache is not None:
            self.cache.put_bytes(key, json.dumps(value).encode("utf-8"), ".json")


def _parse(data: dict[str, object] | None) -> Measurement | None:
    if data is None:
        return None
    try:
        return Measurement.from_json(data)
    except (KeyError, ValueError):
        return None
