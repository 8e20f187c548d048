"""Delivery presets: a named set of render options per platform (`--preset`, `"preset"` in the API).

A preset only fills options the user did not give: flags (or JSON keys) beside it win. The table is
the README's; every preset has a keyframe at least every 2 s (platforms cut and seek there).
"""

from __future__ import annotations

from typing import Any, Literal

PresetName = Literal["youtube", "shorts", "tiktok", "reels", "web", "archive"]

_WIDE: dict[str, Any] = {
    "aspect": "16:9", "resolution": 1080, "fps": 30, "burn_captions": False, "keyframe_interval": 2.0,
}  # fmt: skip
_VERTICAL: dict[str, Any] = {**_WIDE, "aspect": "9:16", "burn_captions": True}

PRESETS: dict[str, dict[str, Any]] = {
    "youtube": _WIDE,
    "shorts": _VERTICAL,
    "tiktok": _VERTICAL,
    "reels": _VERTICAL,
    "web": {"keyframe_interval": 2.0},  # today's default: 16:9 720p, variable frame rate, soft captions
    "archive": {**_WIDE, "quality": "high"},
}


def with_preset(given: dict[str, Any]) -> dict[str, Any]:
    """The options with their preset's values filled in where none was given. An unknown preset is
    left for the validator to refuse."""
    preset = PRESETS.get(str(given.get("preset")), {})
    return {**preset, **given}
