"""How a resampler is judged, for the tests and the benchmark: passband flatness, a sine against the
ideal one, what is left of a tone near the Nyquist besides the tone, a sweep's images; and ffmpeg's
soxr (the resampler the renders used before) to compare with."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.services.video import ffmpeg_exe

Resampler = Callable[[np.ndarray, int, int], np.ndarray]  # (float32 samples, rate, to) -> samples


@dataclass(frozen=True)
class Quality:
    flatness: float  # dB: the largest gain error of a tone up to 0.9 of the lower Nyquist
    snr: float  # dB: the worst of a sine at 997 Hz and at 0.8 of the Nyquist against the ideal sine
    spurious: float  # dB under the tone: the worst of what else comes out of a tone at 0.97, 0.995 Nyquist
    images: float | None  # dB: a sweep over the source's band, its output above that band (upsampling)


def tone(f: float, rate: int, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * f * np.arange(round(rate * seconds)) / rate)).astype(np.float32)


def middle(n: int) -> slice:
    """Away from the ends, where the input starts and stops abruptly."""
    return slice(n // 10, n - n // 10)


def fitted(y: np.ndarray, f: float, to: int) -> tuple[float, np.ndarray]:
    """The amplitude of the sine at `f` that best fits the middle of `y`, and what is left over."""
    span = middle(len(y))
    n = np.arange(len(y))[span]
    basis = np.stack([np.cos(2 * np.pi * f * n / to), np.sin(2 * np.pi * f * n / to)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, y[span].astype(np.float64), rcond=None)
    return float(np.hypot(*coef)), y[span] - basis @ coef


def db(ratio: float) -> float:
    return float(10 * np.log10(ratio))


def quality(resample: Resampler, rate: int, to: int) -> Quality:
    nyquist = min(rate, to) / 2
    gains = [
        fitted(resample(tone(f, rate), rate, to), f, to)[0] / 0.5 for f in np.linspace(20, 0.9 * nyquist, 30)
    ]
    snrs = []
    for f in (997.0, 0.8 * nyquist):
        y = resample(tone(f, rate), rate, to)
        ideal = tone(f, to)[: len(y)]  # output sample n is the input at n / to seconds: no delay
        span = middle(len(y))
        snrs.append(db(np.sum(ideal[span] ** 2.0) / np.sum((y - ideal)[span] ** 2.0)))
    spurs = []
    for f in (0.97 * nyquist, 0.995 * nyquist):
        _, rest = fitted(resample(tone(f, rate), rate, to), f, to)
        spurs.append(db(np.mean(rest**2) / 0.125))  # 0.125: the tone's power
    images = None
    if rate < to:
        seconds = 2.0
        t = np.arange(int(rate * seconds)) / rate
        sweep = (0.5 * np.sin(np.pi * nyquist * t**2 / seconds)).astype(np.float32)
        y = resample(sweep, rate, to).astype(np.float64)
        y = y[middle(len(y))]
        power = np.abs(np.fft.rfft(y * np.kaiser(len(y), 30))) ** 2
        above = np.fft.rfftfreq(len(y), 1 / to) > nyquist + 50
        images = db(power[above].sum() / power.sum())
    return Quality(max(abs(20 * np.log10(g)) for g in gains), min(snrs), max(spurs), images)


def soxr(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    """`x` resampled by ffmpeg's soxr at the precision the renders used (28 bits), as float32."""
    with tempfile.TemporaryDirectory() as d:
        raw, out = Path(d) / "in.f32", Path(d) / "out.f32"
        x.astype("<f4").tofile(raw)
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", str(raw),
             "-af", f"aresample={to}:resampler=soxr:precision=28", "-f", "f32le", str(out)],
            check=True,
        )  # fmt: skip
        return np.fromfile(out, dtype="<f4")
