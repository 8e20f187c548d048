"""What one picture or video clip may cost, from settings.

Why one type for both: an image and a clip are checked the same way (file or download size, frame
pixels before decoding, a download's deadline, the media types a server may answer with); only the
settings they come from and the types differ, so each has a named constructor and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from app.config import Settings, setting_default
from app.core.net import FetchLimits

IMAGE_TYPES = ("image/*",)
# servers label video files loosely: octet-stream is let through, PyAV checks what it really is
CLIP_TYPES = ("video/mp4", "video/webm", "video/quicktime", "application/octet-stream")


@dataclass(frozen=True)
class MediaLimits:
    """What one image or clip may cost: its file (or download) size, its frame's pixels, a download's
    time, and the media types its download may have."""

    max_bytes: int
    max_pixels: int
    fetch_deadline: float
    content_types: tuple[str, ...]

    @classmethod
    def for_images(cls, settings: Settings | None = None) -> MediaLimits:
        """An image's limits (T2V_MAX_IMAGE_*): the settings', or their defaults when None."""
        get = partial(_setting, settings)
        return cls(get("max_image_bytes"), get("max_image_pixels"), get("image_fetch_deadline"), IMAGE_TYPES)

    @classmethod
    def for_clips(cls, settings: Settings | None = None) -> MediaLimits:
        """A video clip's limits (T2V_MAX_CLIP_*): the settings', or their defaults when None."""
        get = partial(_setting, settings)
        return cls(get("max_clip_bytes"), get("max_clip_pixels"), get("clip_fetch_deadline"), CLIP_TYPES)

    @property
    def fetch(self) -> FetchLimits:
        """The outbound client's limits for one download: its size, its deadline, its media types."""
        return FetchLimits(self.max_bytes, self.fetch_deadline, content_types=self.content_types)


def _setting(settings: Settings | None, name: str) -> Any:
    return setting_default(name) if settings is None else getattr(settings, name)
