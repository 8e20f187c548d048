"""One sentence's audio and where its words are heard; a scene's sentences joined with pauses.

Every engine's sentence is measured the same way (`voiced_bounds`: 5 ms windows, the first and last
louder than 40 dB under the sentence's loudest, and above a floor), so each sentence is anchored
where its sound starts, whatever silence the engine put around it. Inside a sentence, words come
from the engine when it reports them (espeak's marks), else from espeak's own timing of the same
text, stretched from espeak's sound onto the engine's (`fit_timings`): espeak knows which words are
long and where the commas are, which letter counts do not.

`join_clips` keeps `LEAD` before each sentence's onset and `TAIL` after its end (a soft consonant or
a decay under the threshold is not cut) and puts silence between them so that the gap from one
sentence's sound to the next is the pause asked for.
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.core.fsutil import atomic_path
from app.core.threads import check_cancelled
from app.errors import MediaError
from app.services.models import WordTiming
from app.services.planning import Scene

LEAD = 0.02  # seconds kept before a sentence's onset
TAIL = 0.06  # seconds kept after its sound ends
EDGES = LEAD + TAIL  # what a scene's audio holds around its sound (see `scene_gap`)
WINDOW = 0.005  # seconds per loudness window
RELATIVE_DB = 40.0  # a window this far under the loudest one is silence
FLOOR = 40.0  # RMS (of 32767) under which a window is silence, whatever the sentence's level
BLOCK_WINDOWS = 1000  # windows read at a time from a file
FADE = 0.005  # seconds of fade at each end of a sentence's kept audio


@dataclass(frozen=True)
class Clip:
    """A sentence's audio (mono 16-bit WAV), where its sound starts and ends, and its words, all in
    seconds from the start of the file."""

    path: Path
    duration: float
    onset: float
    offset: float
    words: tuple[WordTiming, ...]


def _open(path: Path) -> wave.Wave_read:
    try:
        w = wave.open(str(path), "rb")  # noqa: SIM115 (the callers close it)
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"{path.name}: unreadable WAV: {exc}") from exc
    if w.getnchannels() != 1 or w.getsampwidth() != 2:
        w.close()
        raise MediaError(f"{path.name}: expected mono 16-bit audio")
    return w


def _samples(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def _window_rms(samples: np.ndarray, size: int) -> np.ndarray:
    count = len(samples) // size
    frames = samples[: count * size].astype(np.float64).reshape(count, size)
    return np.asarray(np.sqrt((frames * frames).mean(axis=1)))


def _bounds(rms: np.ndarray, size: int, total: int, rate: int) -> tuple[float, float] | None:
    if rms.size == 0:
        return None
    threshold = max(FLOOR, float(rms.max()) * 10 ** (-RELATIVE_DB / 20))
    loud = np.flatnonzero(rms > threshold)
    if loud.size == 0:
        return None
    return float(loud[0] * size / rate), float(min(total, (loud[-1] + 1) * size) / rate)


def voiced_bounds(samples: np.ndarray, rate: int) -> tuple[float, float] | None:
    """Seconds where the sound of `samples` starts and ends; None for silence."""
    size = max(1, round(rate * WINDOW))
    return _bounds(_window_rms(samples, size), size, len(samples), rate)


def measure_wav(path: Path) -> tuple[float, tuple[float, float] | None]:
    """A WAV's duration and where its sound is, read a block at a time (bounded memory, whatever
    an engine sent)."""
    with _open(path) as w:
        rate, total = w.getframerate(), w.getnframes()
        size = max(1, round(rate * WINDOW))
        parts = []
        while data := w.readframes(size * BLOCK_WINDOWS):
            check_cancelled()
            parts.append(_window_rms(_samples(data), size))
    rms = np.concatenate(parts) if parts else np.zeros(0)
    return total / rate, _bounds(rms, size, total, rate)


def fit_timings(
    guide: Sequence[WordTiming], guide_span: tuple[float, float], onset: float, offset: float
) -> list[WordTiming]:
    """`guide` (espeak's words of the same text, and where espeak's sound starts and ends) mapped
    linearly onto [onset, offset]; the first word starts exactly at the onset."""
    g_on, g_off = guide_span
    scale = (offset - onset) / (g_off - g_on) if g_off > g_on else 0.0

    def place(t: float) -> float:
        return min(offset, max(onset, onset + (t - g_on) * scale))

    words = [replace(w, start=place(w.start), end=place(w.end)) for w in guide]
    if words:
        words[0] = replace(words[0], start=onset, end=max(onset, words[0].end))
        words[-1] = replace(words[-1], end=offset)
    return words


def join_clips(clips: Sequence[Clip], pauses: Sequence[float], out: Path, rate: int) -> list[WordTiming]:
    """Write the sentences one after another into `out` (atomically), `pauses[i]` seconds from the
    end of clip i's sound to the start of clip i+1's; return every word timed in `out`."""
    words: list[WordTiming] = []
    position = 0  # samples written
    previous_tail = 0  # samples of the last clip written after its sound's end
    with atomic_path(out) as tmp, open(tmp, "xb") as fh, wave.open(fh, "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(rate)
        for i, clip in enumerate(clips):
            check_cancelled()
            with _open(clip.path) as src:
                if src.getframerate() != rate:
                    raise MediaError(f"{clip.path.name}: {src.getframerate()} Hz, not {rate} Hz")
                length = src.getnframes()
            before = pauses[i - 1] if i else 0.0
            lead = min(LEAD, before * LEAD / EDGES) if i else LEAD
            tail = min(TAIL, pauses[i] * TAIL / EDGES) if i < len(pauses) else TAIL
            onset, offset = round(clip.onset * rate), round(clip.offset * rate)
            first = max(0, onset - round(lead * rate))
            last = min(length, offset + round(tail * rate))
            if i:
                gap = round(before * rate) - (onset - first) - previous_tail
                sink.writeframes(bytes(2 * max(0, gap)))
                position += max(0, gap)
            shift = position / rate - first / rate
            for w in clip.words:
                start = max(w.start + shift, position / rate)
                words.append(replace(w, start=start, end=max(start, w.end + shift)))
            _copy(clip.path, first, last, sink)
            position += max(0, last - first)
            previous_tail = max(0, last - offset)
    return words


def _copy(path: Path, first: int, last: int, sink: wave.Wave_write) -> None:
    """Frames [first, last) of a WAV into `sink`, a block at a time (both little-endian PCM), faded in
    and out over `FADE` so that a cut through quiet sound makes no click."""
    with _open(path) as src:
        rate = src.getframerate()
        src.setpos(first)
        fade = max(1, round(FADE * rate))
        total = last - first
        done = 0
        while done < total:
            data = src.readframes(min(total - done, 65_536))
            if not data:
                break
            block = _samples(data).astype(np.float64)
            index = np.arange(done, done + len(block))
            gain = np.minimum(1.0, np.minimum((index + 1) / fade, (total - index) / fade))
            sink.writeframes((block * gain).round().astype("<i2").tobytes())
            done += len(block)


def scene_gap(pause: float) -> float:
    """The silence to put between two scenes' audio so that `pause` seconds pass from the end of one
    scene's sound to the start of the next's (each scene keeps `LEAD` and `TAIL` around its sound)."""
    return max(0.0, pause - EDGES)


def scene_gaps(scenes: Sequence[Scene], pause: float) -> list[float]:
    """The silence after each plan scene's audio: its `pause_after`, else `pause` (see `scene_gap`)."""
    return [scene_gap(pause if s.pause_after is None else s.pause_after) for s in scenes]
