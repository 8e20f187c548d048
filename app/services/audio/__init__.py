"""Audio: the narration track at 48 kHz and a set loudness, from one cached AAC piece per scene.

`plan_narration` lays the scenes out on whole AAC frames from the WAV headers (each scene's start is
an exact sample count at 48 kHz); `encode_narration` resamples each new scene once (in-process), measures
its loudness once (BS.1770, cached), picks one gain for the whole narration (`Sound`: target LUFS and
true-peak limit), limits the peaks, and encodes only the pieces the cache lacks, joined frame by frame.
With `Sound.music`, the narration is mixed (numpy) with a music bed ducked under the words and encoded
as one stereo piece per scene, each cached by what its samples are made of (`mix`).
"""

from app.services.audio.level import Level, Sound
from app.services.audio.loudness import RATE, Measurement, integrated, loudness_of, measure, true_peak
from app.services.audio.music import (
    ALL_TRACKS,
    Music,
    MusicError,
    check_music_name,
    check_uploaded_music,
    listed_tracks,
    music_files,
    track_names,
)
from app.services.audio.narration import (
    AudioUnit,
    NarrationPlan,
    NarrationTrack,
    encode_narration,
    plan_narration,
    render_sound,
)

__all__ = [
    "ALL_TRACKS",
    "RATE",
    "AudioUnit",
    "Level",
    "Measurement",
    "Music",
    "MusicError",
    "NarrationPlan",
    "NarrationTrack",
    "Sound",
    "check_music_name",
    "check_uploaded_music",
    "encode_narration",
    "integrated",
    "listed_tracks",
    "loudness_of",
    "measure",
    "music_files",
    "plan_narration",
    "render_sound",
    "track_names",
    "true_peak",
]
