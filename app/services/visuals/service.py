"""VisualService: slides under a visual slot, drawn in a worker thread, cached by content."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import NamedTuple

from app.core.diskcache import DiskCache, file_digest, hash_key
from app.core.fsutil import hash_file
from app.core.resource_manager import ResourceManager
from app.core.threads import run_in_thread
from app.services.models import VideoFormat
from app.services.planning import Scene
from app.services.visuals.drawing import draw_layout, save_png
from app.services.visuals.scene import compose_scene, scene_index
from app.services.visuals.theme_file import load_theme
from app.services.visuals.themes import Theme

# what a still depends on: the scene's shown fields (not what is said, nor how)
SHOWN_FIELDS = {"id", "layout", "title", "subtitle", "part", "items", "image", "table", "code"}


class DrawnStill(NamedTuple):
    path: Path
    digest: str  # the PNG's content digest (`file_digest`)


def render_scene(
    scene: Scene,
    fmt: VideoFormat,
    theme: Theme,
    focus: int | None,
    out: Path,
    *,
    captions_burned: bool = False,
    index: int | None = None,
) -> Path:
    """Lay out and draw one still of the scene, written as a PNG at `out` (atomically)."""
    layout = compose_scene(scene, fmt, theme, focus, captions_burned=captions_burned, index=index)
    save_png(draw_layout(layout, seed=scene_index(scene) if index is None else index), out)
    return out


class VisualService:
    """Stills under a visual slot, drawn in a worker thread, cached by content.

    The cache key covers everything that changes the picture (the scene's shown fields and its
    image's bytes, the frame, the theme with its files' digests, the focus, the captions' room, this
    module's version), so each distinct still is drawn once and an edited document redraws only
    what changed.
    """

    # v9: cards shrink to the floor before splitting, two abreast on wide frames, tables stay put
    # while the highlight moves; v8: a cut title keeps its "(2/3)", hyphenated words break after a
    # hyphen; v7: full-bleed pictures whole on a blur when a crop would lose much; v6: prose
    # neighbours larger
    CACHE_VERSION = "still-v9"

    def __init__(
        self,
        resources: ResourceManager | None = None,
        cache: DiskCache | None = None,
        theme: Theme | str | None = None,
    ) -> None:
        self.resources = resources
        self.cache = cache
        self.theme = load_theme(theme)
        self.drawn = 0  # stills actually drawn (cache hits excluded)

    async def draw_scene(
        self,
        scene: Scene,
        fmt: VideoFormat,
        theme: Theme | str | None,
        focus: int | None,
        out: Path,
        *,
        captions_burned: bool = False,
        index: int | None = None,
    ) -> DrawnStill:
        """One still of `scene` with item `focus` highlighted (None: nothing highlighted), and its
        content digest: the cache's check of it, so a segment's key need not hash the still again."""
        if focus is not None and not 0 <= focus < max(
            len(scene.items), len(scene.table.rows) if scene.table else 0
        ):
            focus = None
        # a theme file is read, the image hashed and the cache looked up off the event loop, in one go
        chosen, key, digest = await run_in_thread(
            self._cached, scene, fmt, theme, focus, captions_burned, index, out
        )
        if digest is not None:
            return DrawnStill(out, digest)
        slot = self.resources.visual_slot() if self.resources else contextlib.nullcontext()
        async with slot:
            await run_in_thread(
                render_scene, scene, fmt, chosen, focus, out, captions_burned=captions_burned, index=index
            )
        self.drawn += 1
        if self.cache is not None:
            return DrawnStill(out, await run_in_thread(self.cache.put_file, key, out, ".png"))
        return DrawnStill(out, await run_in_thread(file_digest, out))

    def _cached(
        self,
        scene: Scene,
        fmt: VideoFormat,
        theme: Theme | str | None,
        focus: int | None,
        captions_burned: bool,
        index: int | None,
        out: Path,
    ) -> tuple[Theme, str, str | None]:
        """The theme to draw with, the still's cache key and, when the cache has it (now at `out`),
        its digest (blocking: runs in a thread)."""
        chosen = load_theme(theme) if theme is not None else self.theme
        image = None
        if scene.image is not None and Path(scene.image.path).is_file():
            image = hash_file(Path(scene.image.path))
            # the picture counts by its bytes, not by where this render's workspace put it
            scene = scene.model_copy(update={"image": scene.image.model_copy(update={"path": ""})})
        shown = scene.model_dump_json(include=SHOWN_FIELDS)
        key = hash_key(self.CACHE_VERSION, shown, image, fmt, chosen, focus, captions_burned, index)
        digest = self.cache.fetch_checked(key, out, ".png") if self.cache is not None else None
        return chosen, key, digest
