"""Speech is resampled to 48 kHz in-process: measured against the numbers a resampler is judged by
(flat passband, images and aliases far down, a sine as the ideal one, exact length), and against
ffmpeg's soxr on real speech."""

from __future__ import annotations

import asyncio
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from app.core import threads
from app.core.diskcache import DiskCache
from app.errors import MediaError
from app.services.audio import resample as resample_module
from app.services.audio import scenes
from app.services.audio.resample import resample
from app.services.audio.scenes import SceneAudio, samples_at_rate, scene_speech
from app.services.speech.espeak import EspeakEngine
from tests.resample_support import db, middle, quality, soxr, tone

TO = 48_000
SOURCES = [22_050, 24_000, 16_000, 44_100]


@pytest.mark.parametrize("rate", SOURCES)
def test_flat_passband_far_down_images_and_a_sine_as_the_ideal_one(rate: int) -> None:
    q = quality(resample, rate, TO)
    assert q.flatness <= 0.1  # dB, up to 0.9 of the Nyquist
    assert q.snr >= 90  # dB, a sine against the ideal one
    assert q.spurious <= -90  # dB under a tone near the Nyquist: its image and anything else
    assert q.images is not None and q.images <= -90  # dB, a sweep over the band: its images


def test_a_higher_rate_comes_down_without_aliases() -> None:
    rate = 96_000
    q = quality(resample, rate, TO)
    assert q.flatness <= 0.1 and q.snr >= 90 and q.spurious <= -90
    for f in (24_500.0, 30_000.0, 47_000.0):  # above 48 kHz's Nyquist: nothing may fold back
        y = resample(tone(f, rate), rate, TO)
        assert db(np.mean(y[middle(len(y))].astype(np.float64) ** 2) / 0.125) <= -90, f"{f:.0f} Hz"


@pytest.mark.parametrize("rate", [*SOURCES, 8_000, 11_025, 32_000, 48_000, 96_000])
def test_the_length_is_exact(rate: int) -> None:
    for n in (0, 1, 2, 147, 1000, rate + 3):
        y = resample(np.ones(n, dtype=np.float32), rate, TO)
        assert len(y) == n * TO // rate and y.dtype == np.float32
    # DC stays DC: the phases' taps each sum to one
    y = resample(np.full(rate, 0.25, dtype=np.float32), rate, TO)
    assert np.abs(y[middle(len(y))] - 0.25).max() < 1e-5


def test_an_unusual_rate_is_refused_with_a_message() -> None:
    with pytest.raises(MediaError, match="22051 Hz"):
        resample(np.ones(100, dtype=np.float32), 22_051, TO)


def test_real_speech_matches_ffmpeg_soxr() -> None:
    """The same speech through ffmpeg's soxr (very high quality), which the renders used before:
    up to 0.9 of the Nyquist the two differ > 90 dB down (above it each filter rolls off its own way:
    soxr's passband reaches a little further); a sample's shift would show as a difference ~15 dB down."""
    pcm, rate, _ = EspeakEngine().synthesize("Resampled here, and by soxr: one, two, three.", "en", 175)
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768
    theirs = soxr(x, rate, TO).astype(np.float64)
    ours = resample(x, rate, TO)
    assert len(ours) == len(pcm) // 2 * TO // rate and abs(len(theirs) - len(ours)) <= 1
    n = min(len(ours), len(theirs))
    difference = np.abs(np.fft.rfft(ours[:n] - theirs[:n])) ** 2
    passband = np.fft.rfftfreq(n, 1 / TO) <= 0.9 * rate / 2
    assert db(difference[passband].sum() / np.sum(np.abs(np.fft.rfft(theirs[:n])) ** 2)) <= -90


async def test_it_stops_between_stretches_when_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled, it stops at its next check (the test holds its second check until the
    cancellation has reached the thread)."""
    checks = 0
    started = threading.Event()

    def check() -> None:
        nonlocal checks
        checks += 1
        if checks == 1:
            started.set()
            return
        if checks == 2:
            event = threads.cancel_event()
            assert event is not None and event.wait(30)
        threads.check_cancelled()

    monkeypatch.setattr(resample_module, "check_cancelled", check)
    rate = 22_050
    task = asyncio.ensure_future(threads.run_in_thread(resample, tone(440, rate, seconds=60), rate, TO))
    assert await asyncio.to_thread(started.wait, 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert checks == 2  # of 60


def test_a_scene_is_resampled_once_then_read_from_the_cache_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rate = 22_050
    source = tmp_path / "speech.wav"
    with wave.open(str(source), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((tone(440, rate, seconds=0.5) * 32767).astype("<i2").tobytes())
    cache = DiskCache(tmp_path / "cache")
    made: list[int] = []
    real = scenes.resample

    def counted(x: np.ndarray, rate: int, to: int) -> np.ndarray:
        made.append(len(x))
        return real(x, rate, to)

    monkeypatch.setattr(scenes, "resample", counted)
    first = [SceneAudio([scene_speech(source, tmp_path / d, 0)], cache) for d in ("a", "b")]
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    x = first[0].samples(0)
    assert len(x) == samples_at_rate(rate // 2, rate) == 24_000 and made == [rate // 2]
    assert np.array_equal(first[0].samples(0), x)  # read back from the workspace
    assert np.array_equal(first[1].samples(0), x) and len(made) == 1  # from the cache
    (tmp_path / "a" / "speech48-0000.f32").write_bytes(b"\0" * 16)
    with pytest.raises(MediaError, match="4 samples at 48 kHz"):
        first[0].samples(0)
