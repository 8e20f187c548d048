"""What the remote picture providers of one renderer share (`ImageGenerator`, `StockSearch`).

Why one object: every remote provider needs the same settings (keys, limits), the one pooled HTTP
client, the cache and the visual slots; `VisualProviders` builds this once, when the `Renderer` is made
(once a process: every render it runs shares it), and hands it to each provider it makes, so no
provider reads settings or takes five arguments of its own.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cached_property

from app.config import Settings
from app.core.diskcache import DiskCache
from app.core.net import HttpClient
from app.core.resource_manager import ResourceManager
from app.services.images import MediaLimits


@dataclass(frozen=True)
class ProviderContext:
    """The renderer's settings, HTTP client, cache (None: nothing cached) and resource manager (None:
    no visual slots, as in tests of a provider alone); the media limits are read from the settings once."""

    settings: Settings
    http: HttpClient
    cache: DiskCache | None = None
    resources: ResourceManager | None = None

    @cached_property
    def image_limits(self) -> MediaLimits:
        return MediaLimits.for_images(self.settings)

    @cached_property
    def clip_limits(self) -> MediaLimits:
        return MediaLimits.for_clips(self.settings)

    def slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        """A visual slot, so never more than `max_concurrent_visual` requests are in flight."""
        return self.resources.visual_slot() if self.resources else contextlib.nullcontext()
