"""Audio: the narration track, from one cached AAC piece per scene, joined frame by frame.

`plan_narration` lays the scenes out on whole AAC frames from the WAV headers (each scene's start is
an exact sample count); `encode_narration` encodes only the pieces the cache lacks and joins them.
"""

from app.services.audio.narration import AudioUnit, NarrationPlan, encode_narration, plan_narration

__all__ = ["AudioUnit", "NarrationPlan", "encode_narration", "plan_narration"]
