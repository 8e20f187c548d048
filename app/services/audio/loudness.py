"""Loudness as ITU-R BS.1770-4 / EBU R128 define it, in numpy, at 48 kHz: K-weighting, 400 ms blocks
every 100 ms, the absolute (-70 LUFS) and relative (-10 LU) gates; and a 4x-oversampled true peak.

A scene's speech is measured once (`measure`, cached by the pipeline as a `Measurement`): its K-weighted
mean square per 100 ms step. The whole narration's integrated loudness (`integrated`) is then computed
from the scenes' steps laid end to end with the silent pauses between them, without reading any audio
again, so an edited render measures only the scenes that changed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from app.core.threads import check_cancelled

RATE = 48_000  # every scene is resampled to this before it is measured, mixed and encoded
STEP = RATE // 10  # 100 ms: the hop of the 400 ms gating blocks
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
_FFT = 1 << 16  # the K-filter's FFT length for anything longer (bounded memory, linear time, and one
# response for every scene: the filter of a 7 s scene took ~4x longer in one ~350k FFT of its own length)
SPARSE_BELOW = 4.0  # dB: blocks whose samples stay this far under a limit get no oversampling
_TAIL = 1 << 13  # the K-filter's impulse response is kept this long (what follows is < 1e-15)

# BS.1770-4, table 1 and 2: the pre-filter (a high shelf, the head's effect) and the RLB high-pass, at 48 kHz
_SHELF = ((1.53512485958697, -2.69169618940638, 1.19839281085285), (1.0, -1.69065929318241, 0.73248077421585))
_HIGHPASS = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))

Samples = npt.NDArray[np.float32]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Measurement:
    """One scene's speech at 48 kHz: K-weighted mean square per 100 ms step, and its true peak (linear)."""

    steps: tuple[float, ...]
    peak: float

    def to_json(self) -> dict[str, object]:
        return {"steps": list(self.steps), "peak": self.peak}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Measurement:
        steps, peak = data["steps"], data["peak"]
        if not isinstance(steps, list) or not isinstance(peak, float | int):
            raise ValueError("not a loudness measurement")
        return cls(tuple(float(s) for s in steps), float(peak))


@cache
def _impulse() -> Floats:
    """The K-filter's impulse response, its first `_TAIL` samples: from its transfer function sampled
    at 4 * `_TAIL` points (the aliasing of what follows is < 1e-15)."""
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(4 * _TAIL))
    h: npt.NDArray[np.complex128] = np.ones_like(z)
    for b, a in (_SHELF, _HIGHPASS):
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    impulse: Floats = np.fft.irfft(h, 4 * _TAIL)[:_TAIL]
    return impulse


@lru_cache(maxsize=4)
def _response(length: int) -> npt.NDArray[np.complex128]:
    """The K-filter's frequency response at the bins of an rfft of `length` samples (one FFT of the
    impulse response). Kept for a few lengths only: `_FFT`'s, and a short scene's own (~1 MB each
    at most, they added up over a render's scenes when every length was kept)."""
    return np.fft.rfft(_impulse(), length)


def _fast_size(n: int) -> int:
    """The smallest 2^a * 3^b * 5^c >= n: a length pocketfft transforms quickly."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            size = p35 * (1 << max(0, (-(-n // p35) - 1).bit_length()))
            best = min(best, size)
            p35 *= 3
        p5 *= 5
    return best


def k_weight(x: Samples) -> Floats:
    """K-weighted samples, by overlap-add FFT filtering in float64 (the same as the IIR filters to
    ~1e-12)."""
    n = len(x)
    out = np.zeros(n + _TAIL, dtype=np.float64)
    size = min(_FFT, _fast_size(n + _TAIL))
    for start in range(0, n, size - _TAIL):
        check_cancelled()
        piece = np.fft.rfft(x[start : start + size - _TAIL].astype(np.float64), size)
        filtered = np.fft.irfft(piece * _response(size), size)
        end = min(start + size, len(out))
        out[start:end] += filtered[: end - start]
    return out[:n]


def step_powers(x: Samples) -> Floats:
    """Mean square of the K-weighted signal per 100 ms step (the last step padded with silence)."""
    if len(x) == 0:
        return np.zeros(0)
    weighted = k_weight(x)
    steps = -(-len(weighted) // STEP)
    padded = np.zeros(steps * STEP)
    padded[: len(weighted)] = weighted
    return np.asarray((padded.reshape(steps, STEP) ** 2).mean(axis=1), dtype=np.float64)


def measure(x: Samples) -> Measurement:
    """A scene's measurement: its steps and its true peak."""
    return Measurement(tuple(float(p) for p in step_powers(x)), true_peak(x))


def integrated(scenes: Sequence[Measurement], pauses: Sequence[float] = ()) -> float | None:
    """Integrated loudness (LUFS) of the scenes played in order with `pauses[i]` seconds of silence
    before scene i; None when nothing passes the gates (silence)."""
    parts: list[Floats] = []
    for i, scene in enumerate(scenes):
        silence = round((pauses[i] if i < len(pauses) else 0.0) * 10)
        if silence:
            parts.append(np.zeros(silence))
        parts.append(np.asarray(scene.steps, dtype=np.float64))
    return gated_loudness(np.concatenate(parts) if parts else np.zeros(0))


def loudness_of(channels: Sequence[Samples]) -> float | None:
    """Integrated loudness of a whole signal (one array per channel, each weighted 1.0: mono or stereo)."""
    total = np.zeros(0)
    for x in channels:
        power = step_powers(x)
        total = power if not len(total) else total + power
    return gated_loudness(total)


def gated_loudness(steps: Floats) -> float | None:
    """BS.1770's two gates over the 400 ms blocks (four steps each, overlapping by three)."""
    if len(steps) < 4:
        steps = np.concatenate([steps, np.zeros(4 - len(steps))])
    blocks = np.lib.stride_tricks.sliding_window_view(steps, 4).mean(axis=1)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(blocks)
    kept = blocks[loud > ABSOLUTE_GATE]
    if not len(kept):
        return None
    relative = -0.691 + 10 * math.log10(float(kept.mean())) + RELATIVE_GATE
    kept = blocks[(loud > ABSOLUTE_GATE) & (loud > relative)]
    return -0.691 + 10 * math.log10(float(kept.mean()))


_TAPS = np.arange(-5, 7)  # the 12 input samples around each in-between point


@cache
def _phases() -> tuple[Samples, ...]:
    """A 4x interpolator (Kaiser-windowed sinc, 12 taps a phase): the points 1/4, 2/4, 3/4 after each
    sample, each phase reversed for np.convolve; in float32 like the samples (a third faster)."""
    out = []
    for p in (1, 2, 3):
        h = np.sinc(p / 4 - _TAPS) * np.kaiser(len(_TAPS), 6.0)
        out.append((h / h.sum())[::-1].astype(np.float32))
    return tuple(out)


def peak_envelope(x: Samples) -> Floats:
    """Per sample, the largest |value| among the sample and the three interpolated points after it:
    the true peak as 4x oversampling sees it."""
    env = np.abs(x).astype(np.float32)
    n, lead = len(x), int(_TAPS[-1])
    for phase in _phases():
        check_cancelled()
        between = np.convolve(x, phase)[lead : lead + n]
        np.maximum(env, np.abs(between), out=env, casting="same_kind")
    return env.astype(np.float64)


def sparse_envelope(x: Samples, floor: float) -> Floats:
    """`peak_envelope` where a 4096-sample block's samples reach `floor` (linear), |x| elsewhere: a
    true peak exceeds its samples' peak by a few dB at most, so quiet blocks cannot pass a limit
    `floor` is well under. Much faster on a whole track, where most blocks are quiet."""
    env = np.abs(x).astype(np.float64)
    n, block, margin = len(x), 4096, len(_TAPS)
    if not n:
        return env
    starts = np.arange(0, n, block)
    for b in np.flatnonzero(np.maximum.reduceat(env, starts) >= floor):
        check_cancelled()
        lo, hi = int(starts[b]), min(n, int(starts[b]) + block)
        a, e = max(0, lo - margin), min(n, hi + margin)
        np.maximum(env[lo:hi], peak_envelope(x[a:e])[lo - a : hi - a], out=env[lo:hi])
    return env


def true_peak(x: Samples) -> float:
    return float(peak_envelope(x).max()) if len(x) else 0.0


def db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf


def linear(decibels: float) -> float:
    return float(10 ** (decibels / 20))
