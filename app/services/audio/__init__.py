"""Audio: the narration track at 48 kHz and a set loudness, from one cached AAC piece per scene.

`plan_narration` lays the scenes out on whole AAC frames from the WAV headers (each scene's start is
an exact sample count at 48 kHz); `encode_narration` resamples each new scene once (soxr), measures
its loudness once (BS.1770, cached), picks one gain for the whole narration (`Sound`: target LUFS and
true-peak limit), limits the peaks, and encodes only the pieces the cache lacks, joined frame by frame.
"""

from app.services.audio.level import Level, Sound
from app.services.audio.loudness import RATE, Measurement, integrated, loudness_of, measure, true_peak
from app.services.audio.narration import (
    AudioUnit,
    NarrationPlan,
    NarrationTrack,
    encode_narration,
    plan_narration,
)

__all__ = [
    "RATE",
    "AudioUnit",
    "Level",
    "Measurement",
    "NarrationPlan",
    "NarrationTrack",
    "Sound",
    "encode_narration",
    "integrated",
    "loudness_of",
    "measure",
    "plan_narration",
    "true_peak",
]
