"""What is done to the samples before they are encoded: a gain, a true-peak limiter, room tone.

The limiter looks ahead: per 1 ms block it finds the gain that keeps the 4x-oversampled peak under
the ceiling, holds the lowest gain needed within the next 10 ms and the last 50 ms (a moving minimum),
and smooths it over 20 ms (a moving mean narrower than the minimum's reach, so the smoothed gain is
never above what a peak needs). Speech at -16 LUFS has peaks a few dB over -1.5 dBTP; they are
brought down without touching anything else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from app.services.audio.loudness import (
    RATE,
    SPARSE_BELOW,
    STEP,
    Floats,
    Measurement,
    Samples,
    gated_loudness,
    k_weight,
    linear,
    peak_envelope,
    sparse_envelope,
)

BLOCK = RATE // 1000  # 1 ms
LOOKAHEAD = 3  # blocks: the gain is down before the peak comes
HOLD = 10  # blocks: and stays down this long after it (about one pitch period), then recovers
ROOM_TONE_DB = -60.0  # RMS of the room tone, dBFS (pink noise, 80 Hz - 8 kHz)


def limit(
    x: Samples, ceiling_db: float, envelope: Floats | None = None, *, peaks: Floats | None = None
) -> Samples:
    """`x` with every true peak at or under `ceiling_db` dBTP; unchanged where it already is.

    `envelope` (default: `x`'s own true-peak envelope) says where the peaks are: the encoder's
    decoded output, when the encoder made a peak the samples did not have. `peaks`: `x`'s own
    envelope as `block_peaks` (known from its `Analysis`), saving one envelope pass.
    """
    if not len(x):
        return x
    ceiling = linear(ceiling_db)
    if peaks is None:
        peaks = block_peaks(peak_envelope(x) if envelope is None else envelope, len(x))
    if peaks.max() <= ceiling:
        return x
    limited: Samples = (x * _gain_curve(peaks, ceiling, len(x))).astype(np.float32)
    # what the interpolation between blocks may leave over (rare, tiny): a last safety clamp, looking
    # only where the limited samples come near the ceiling
    if (
        envelope is None
        and (over := sparse_envelope(limited, ceiling * linear(-SPARSE_BELOW)).max()) > ceiling
    ):
        limited *= np.float32(ceiling / over)
    return limited


def block_peaks(env: Floats, length: int) -> Floats:
    """The largest of `env` in each 1 ms block of a signal `length` samples long: all the limiter
    needs of an envelope (scaling the signal scales these)."""
    blocks = -(-length // BLOCK)
    padded = np.zeros(blocks * BLOCK)
    padded[: min(length, len(env))] = env[:length]
    peaks: Floats = padded.reshape(blocks, BLOCK).max(axis=1)
    return peaks


def block_gains(peaks: Floats, ceiling: float) -> Floats:
    """Per 1 ms block, the limiter's gain at the block's centre: the gain each block needs to keep
    `peaks` under `ceiling`, its minimum over the hold and look-ahead, smoothed over
    (2 * LOOKAHEAD - 1) blocks."""
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    reach = np.pad(need, (HOLD, LOOKAHEAD), mode="edge")
    lowest = np.lib.stride_tricks.sliding_window_view(reach, HOLD + LOOKAHEAD + 1).min(axis=1)
    # a mean over +/- (LOOKAHEAD - 1) blocks: every block it averages reaches the block in the middle
    # and its neighbours, so the gain between two block centres is under both blocks' needs
    half = LOOKAHEAD - 1
    window = np.pad(lowest, half, mode="edge")
    sums = np.concatenate([[0.0], np.cumsum(window)])
    gains: Floats = (sums[2 * half + 1 :] - sums[: -2 * half - 1]) / (2 * half + 1)
    return gains


def _gain_curve(peaks: Floats, ceiling: float, length: int) -> Floats:
    """Per sample, the gain that keeps the peaks under `ceiling`: `block_gains` between block centres."""
    gains = block_gains(peaks, ceiling)
    centres = np.arange(len(gains)) * BLOCK + (BLOCK - 1) / 2
    curve: Floats = np.interp(np.arange(length), centres, gains)
    return curve


def leveled(x: Samples, gain_db: float, ceiling_db: float, analysis: Analysis | None = None) -> Samples:
    """`x` amplified by `gain_db`, then limited to `ceiling_db` dBTP (`analysis`: `x`'s, if known)."""
    scale = linear(gain_db)
    peaks = analysis.peaks * scale if analysis is not None else None
    return limit((x * np.float32(scale)).astype(np.float32), ceiling_db, peaks=peaks)


@dataclass(frozen=True)
class Analysis:
    """A scene's 1 ms blocks: true peaks and K-weighted energies (padded to whole 100 ms steps), from
    one envelope pass and one K-filter pass. They give its loudness measurement, the limiter's gain
    at any level, and how loud it measures after gain and the limiter (`loudness`)."""

    peaks: Floats
    energy: Floats

    @property
    def measurement(self) -> Measurement:
        steps = self.energy.reshape(-1, STEP // BLOCK).sum(axis=1) / STEP
        return Measurement(
            tuple(float(p) for p in steps), float(self.peaks.max()) if len(self.peaks) else 0.0
        )

    def loudness(self, gain_db: float, ceiling_db: float) -> float | None:
        """Integrated loudness after `gain_db` and the limiter. The limiter's gain moves slowly against
        the K-filter, so a block's weighted energy after it is the block's energy times the square of
        its gain: within ~0.01 LU of filtering the limited samples, at a thousandth of the cost."""
        scale = linear(gain_db)
        gains = np.ones(len(self.energy))
        gains[: len(self.peaks)] = block_gains(self.peaks * scale, linear(ceiling_db))
        weighted = self.energy * (scale * gains) ** 2
        return gated_loudness(weighted.reshape(-1, STEP // BLOCK).sum(axis=1) / STEP)


def analyse(x: Samples) -> Analysis:
    if not len(x):
        return Analysis(np.zeros(0), np.zeros(0))
    peaks = block_peaks(peak_envelope(x), len(x))
    weighted = k_weight(x)
    per_step = STEP // BLOCK
    steps = -(-len(peaks) // per_step)
    energy = np.zeros(steps * per_step * BLOCK)
    energy[: len(weighted)] = weighted * weighted
    return Analysis(peaks, energy.reshape(steps * per_step, BLOCK).sum(axis=1))


def room_tone(length: int, seed: str) -> Samples:
    """Quiet pink noise, the same for the same seed: a room, instead of digital silence between words."""
    if length <= 0:
        return np.zeros(0, dtype=np.float32)
    rng = np.random.default_rng(int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big"))
    size = length + (length & 1)
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    shape: Floats = np.where((freqs >= 80) & (freqs <= 8000), 1 / np.sqrt(np.maximum(freqs, 1.0)), 0.0)
    spectrum = shape * np.exp(2j * np.pi * rng.random(len(freqs)))
    noise = np.fft.irfft(spectrum, size)[:length]
    rms = float(np.sqrt(np.mean(noise**2))) or 1.0
    return (noise * (linear(ROOM_TONE_DB) / rms)).astype(np.float32)
