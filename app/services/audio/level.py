"""One gain for the whole narration, so that it measures the target loudness; and, per scene, the
make-up gain that gives back what the true-peak limiter takes.

Speech at -16 LUFS peaks a few dB over -1.5 dBTP (espeak's by 4-6 dB), so each scene goes through the
limiter, which takes loudness away, more the louder the scene is driven. The narration's gain comes from
the scenes' cached measurements alone (their loudness as if unlimited, laid end to end with the pauses),
rounded to `GAIN_STEP` so that an edit seldom moves it. Each scene then gets the gain that makes it,
after the limiter, as loud as the narration's gain makes it unlimited: found by a few secant steps on
that scene alone and cached by (scene, narration gain). So the scenes keep their loudness relative to
each other, and an edited scene never changes another scene's piece.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.config import setting_default
from app.core.diskcache import hash_key
from app.core.threads import check_cancelled, run_in_thread
from app.services.audio.dynamics import Analysis
from app.services.audio.loudness import Measurement, integrated, linear
from app.services.audio.music import Music
from app.services.audio.scenes import SceneAudio

GAIN_STEP = 0.5  # dB: the narration's gain
MAKE_UP_STEP = 0.1  # dB: a scene's make-up
MAX_MAKE_UP = 15.0  # dB: beyond this the limiter is only making distortion
TOLERANCE = 0.1  # LU: close enough for a scene (ffmpeg reports loudness to 0.1 LU)
MAX_STEPS = 6
AAC_HEADROOM = 1.5  # dB kept under the true-peak limit for the encoder's overshoot
MAKE_UP_VERSION = "make-up-v4"  # v4: scenes resampled in-process (float32)


@dataclass(frozen=True)
class Sound:
    """What the narration should measure, and how it is delivered."""

    loudness: float = setting_default("loudness")  # LUFS, integrated
    true_peak: float = setting_default("true_peak")  # dBTP, the most any peak may reach
    room_tone: bool = False
    bitrate: int = setting_default("audio_bitrate")  # kb/s, AAC-LC
    music: Music | None = None  # what plays under the voice (the track is then stereo)

    @property
    def ceiling(self) -> float:
        """The limiter's ceiling, dBTP: under the limit by what AAC encoding may add to a peak."""
        return self.true_peak - AAC_HEADROOM


@dataclass(frozen=True)
class Level:
    gain: float  # dB the narration needs, from the unlimited measurements
    scenes: tuple[float, ...]  # dB applied to each scene before the limiter (the gain + its make-up)
    loudness: float | None  # LUFS the narration measures (None: silence)


def rounded(gain: float, step: float = GAIN_STEP) -> float:
    return round(round(gain / step) * step, 3)


async def choose_level(audio: SceneAudio, pauses: Sequence[float], sound: Sound) -> Level:
    """The narration's gain and each scene's (scenes in order, `pauses[i]` seconds before scene i)."""
    plain = await audio.measurements()
    natural = integrated(plain, pauses)
    if natural is None:
        return Level(0.0, tuple(0.0 for _ in plain), None)
    gain = rounded(sound.loudness - natural)
    over = [i for i, m in enumerate(plain) if m.peak * linear(gain) > linear(sound.ceiling)]
    made = await run_in_thread(_cached_make_ups, audio, over, gain, sound.ceiling)
    todo = [i for i in over if i not in made]
    if todo:  # only these need their 48 kHz copies (a re-render's unchanged scenes are not fetched)
        made |= await run_in_thread(_make_up_all, audio, plain, todo, gain, sound.ceiling)
    return Level(gain, tuple(made.get(i, gain) for i in range(len(plain))), natural + gain)


def _make_up_key(audio: SceneAudio, i: int, gain: float, ceiling: float) -> str:
    return hash_key(MAKE_UP_VERSION, audio.scenes[i].digest, gain, ceiling)


def _cached_make_ups(audio: SceneAudio, over: Sequence[int], gain: float, ceiling: float) -> dict[int, float]:
    """The make-up gains the cache holds for these scenes at this narration gain."""
    out = {}
    for i in over:
        check_cancelled()
        data = audio.load_json(_make_up_key(audio, i, gain, ceiling))
        found = data.get("gain") if data is not None else None
        if isinstance(found, float | int):
            out[i] = float(found)
    return out


def _make_up_all(
    audio: SceneAudio, plain: Sequence[Measurement], todo: Sequence[int], gain: float, ceiling: float
) -> dict[int, float]:
    """Each scene's make-up gain, found on its samples, then cached."""
    out = {}
    for i in todo:
        check_cancelled()
        found = _make_up(audio.analysis(i), integrated([plain[i]]), gain, ceiling)
        audio.store_json(_make_up_key(audio, i, gain, ceiling), {"gain": found})
        out[i] = found
    return out


def _make_up(analysis: Analysis, natural: float | None, gain: float, ceiling: float) -> float:
    """The gain that makes the scene, limited, measure `natural + gain`: each try costs microseconds
    (`Analysis.loudness`), not a limiter and a K-filter pass over the samples."""
    if natural is None or not len(analysis.peaks):
        return gain
    target = natural + gain
    tried: dict[float, float] = {}  # gain -> loudness after limiting
    slope = 0.35  # d(loudness)/d(gain): 1 unlimited; espeak loses most of each dB to the limiter
    g = gain
    while len(tried) < MAX_STEPS and g not in tried:
        loud = analysis.loudness(g, ceiling)
        if loud is None:
            return gain
        tried[g] = loud
        if abs(target - loud) <= TOLERANCE:
            break
        nearest = sorted(tried.items(), key=lambda kv: abs(target - kv[1]))
        if len(nearest) >= 2:
            (g1, l1), (g2, l2) = nearest[:2]
            slope = min(1.0, max(0.1, (l1 - l2) / (g1 - g2)))
        best_gain, best_loud = nearest[0]
        g = min(gain + MAX_MAKE_UP, rounded(best_gain + (target - best_loud) / slope, MAKE_UP_STEP))
    return min(tried.items(), key=lambda kv: abs(target - kv[1]))[0]
