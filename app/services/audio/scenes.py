"""Each scene's speech at 48 kHz, resampled once, and its loudness, measured once; both cached by
the speech file's content.

Engines speak at their own rates (espeak and most piper voices 22.05 kHz, HTTP servers 24 kHz...).
`resample` brings a scene to 48 kHz in-process (a polyphase windowed sinc: ~5 ms of CPU for 7 s,
where starting ffmpeg's soxr cost ~60 ms), when a reader first asks for it (`SceneAudio.samples`):
the samples just made are handed on (a new scene is analysed without reading its copy back) and
kept as float32 in the workspace and the cache. The length is fixed arithmetically
(`samples_at_rate`), so the narration plan knows every scene's length from the WAV headers before
anything is resampled.
"""

from __future__ import annotations

import json
import threading
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.diskcache import DiskCache, file_digest, hash_key
from app.core.fsutil import atomic_path
from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.audio.dynamics import Analysis, analyse
from app.services.audio.loudness import RATE, Measurement, Samples
from app.services.audio.resample import resample

RESAMPLED_VERSION = "speech-48k-v2"  # float32, resampled in-process (v1: ffmpeg soxr, 16-bit)
MEASURE_VERSION = "loudness-v2"  # of the v2 samples


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
    resampled: Path  # raw float32


def scene_speech(source: Path, workdir: Path, index: int, digest: str | None = None) -> SceneSpeech:
    """Scene `index`'s speech; `digest`: `source`'s content digest when known (`Speech.digest`, as the
    speech cache verified or stored it), else `source` is hashed here."""
    with wave.open(str(source), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise MediaError(f"scene {index + 1}: expected mono 16-bit speech audio")
        rate, frames = w.getframerate(), w.getnframes()
    digest = digest or file_digest(source)
    return SceneSpeech(
        source, digest, rate, samples_at_rate(frames, rate), workdir / f"speech48-{index:04d}.f32"
    )


def read_wav(path: Path) -> Samples:
    """A mono 16-bit WAV's samples as float32."""
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise MediaError(f"{path.name}: not mono 16-bit audio")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    x: Samples = data.astype(np.float32) / np.float32(32768)
    return x


class SceneAudio:
    """The render's scenes at 48 kHz and their measurements, made on demand and cached. Its methods
    that read samples block: call them in threads (`run_in_thread`)."""

    def __init__(self, scenes: Sequence[SceneSpeech], cache: DiskCache | None) -> None:
        self.scenes = tuple(scenes)
        self.cache = cache
        self.analyses: dict[int, Analysis] = {}  # scenes analysed by this render (kept for levelling)
        self._making = [threading.Lock() for _ in self.scenes]  # two lanes may want one scene

    def samples(self, i: int) -> Samples:
        """Scene `i` at 48 kHz as float32, exactly `samples` long: its copy in the workspace, made
        first (from the cache, else resampled) if need be."""
        s = self.scenes[i]
        if s.samples == 0:
            return np.zeros(0, dtype=np.float32)
        if s.rate == RATE:
            x = read_wav(s.source)
        else:
            with self._making[i]:
                if not s.resampled.exists():
                    made = self.make_copy(i)
                    if made is not None:
                        return made
            x = np.fromfile(s.resampled, dtype="<f4")
        if len(x) != s.samples:
            raise MediaError(f"scene {i + 1}: {len(x)} samples at 48 kHz, {s.samples} expected")
        return x

    def make_copy(self, i: int) -> Samples | None:
        """Put scene `i`'s 48 kHz copy in the workspace: from the cache (None), else resampled (the
        samples, so that the caller need not read them back) and cached."""
        s = self.scenes[i]
        key = hash_key(RESAMPLED_VERSION, s.digest)
        if self.cache is not None and self.cache.fetch(key, s.resampled, ".f32"):
            return None
        x = resample(read_wav(s.source), s.rate, RATE)
        with atomic_path(s.resampled) as tmp:
            x.tofile(tmp)
        if self.cache is not None:
            self.cache.put_bytes(key, x.tobytes(), ".f32")
        return x

    async def measurements(self) -> list[Measurement]:
        """Every scene's measurement: from the cache, else measured (resampled first if need be)."""
        return await run_in_thread(self._measurements)

    def _measurements(self) -> list[Measurement]:
        out = []
        for i, s in enumerate(self.scenes):
            check_cancelled()
            key = hash_key(MEASURE_VERSION, s.digest)
            m = _parse(self.load_json(key))
            if m is None:
                m = self.analysis(i).measurement
                self.store_json(key, m.to_json())
            out.append(m)
        return out

    def analysis(self, i: int) -> Analysis:
        """Scene `i`'s 1 ms block analysis, made once per render."""
        found = self.analyses.get(i)
        if found is None:
            found = self.analyses[i] = analyse(self.samples(i))
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
