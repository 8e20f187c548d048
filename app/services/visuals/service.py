"""VisualService: slides under a visual slot, drawn in a worker thread, cached by content."""

from __future__ import annotations

import contextlib
from pathlib import Path

from app.core.diskcache import DiskCache, hash_key
from app.core.resource_manager import ResourceManager
from app.core.threads import run_in_thread
from app.services.models import Scene, VideoFormat
from app.services.visuals.drawing import render_slide
from app.services.visuals.themes import Theme, get_theme


class VisualService:
    """Slides under a visual slot, drawn in a worker thread, cached by content.

    The cache key covers everything that changes the picture (the scene, the frame, the theme and
    this module's version), so an edited document redraws only the slides that changed.
    """

    CACHE_VERSION = "slide-v1"

    def __init__(
        self,
        resources: ResourceManager | None = None,
        cache: DiskCache | None = None,
        theme: Theme | None = None,
    ) -> None:
        self.resources = resources
        self.cache = cache
        self.theme = theme or get_theme("dark")
        self.drawn = 0  # slides actually drawn (cache hits excluded)

    async def slide(self, scene: Scene, fmt: VideoFormat, out_path: Path) -> Path:
        key = hash_key(self.CACHE_VERSION, scene, fmt, self.theme)
        cache = self.cache
        if cache is not None and await run_in_thread(cache.fetch, key, out_path, ".png"):
            return out_path
        slot = self.resources.visual_slot() if self.resources else contextlib.nullcontext()
        async with slot:
            await run_in_thread(render_slide, scene, fmt, out_path, None, self.theme)
        self.drawn += 1
        if cache is not None:
            await run_in_thread(cache.put_file, key, out_path, ".png")
        return out_path
