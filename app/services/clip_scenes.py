"""Scenes over video clips (issue 18: stock video, clips in `local:DIR`): their stills become
transparent overlays (`visuals.matte`) laid over the clip in the scene's one encode
(`video.encode_over_clip`).

Why the stills are drawn twice more: over a black and over a white picture of the poster's size,
the difference gives each pixel's opacity, so the words, the scrim and the panels keep exactly the
look they have over a photo, and the box where the picture shows is where the clip plays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from app.core.threads import run_in_thread
from app.services.models import RenderOptions
from app.services.planning import Scene
from app.services.video import ClipBackdrop
from app.services.visuals import VisualService, load_theme, matte


@dataclass(frozen=True)
class ClipScene:
    """A scene's clip with the box it fills, and each of its stills' overlay."""

    backdrop: ClipBackdrop
    overlays: dict[Path, Path] = field(default_factory=dict)


def _plain(poster: Path, ws: Path) -> tuple[Path, Path]:
    """A black and a white picture of the poster's size (so a `contain` fit lands on the same box)."""
    with Image.open(poster) as im:
        size = im.size
    paths = []
    for name, colour in (("black", (0, 0, 0)), ("white", (255, 255, 255))):
        path = ws / f"plain-{name}-{size[0]}x{size[1]}.png"
        if not path.exists():
            Image.new("RGB", size, colour).save(path, compress_level=1)
        paths.append(path)
    return paths[0], paths[1]


async def draw_overlays(
    visuals: VisualService,
    scenes: Sequence[Scene],
    clips: Sequence[Path | None],
    stills: Sequence[dict[int | None, Path]],
    options: RenderOptions,
    ws: Path,
) -> list[ClipScene | None]:
    """Per scene: its clip and its stills' overlays, or None (no clip, or its picture not shown)."""
    theme = await run_in_thread(load_theme, options.theme)
    out: list[ClipScene | None] = []
    for i, scene in enumerate(scenes):
        clip = clips[i] if i < len(clips) else None
        if clip is None or scene.image is None or not stills[i]:
            out.append(None)
            continue
        plain = await run_in_thread(_plain, Path(scene.image.path), ws)
        overlays: dict[Path, Path] = {}
        box = None
        for focus, still in stills[i].items():
            drawn = []
            for picture in plain:
                image = scene.image.model_copy(update={"path": str(picture)})
                drawn.append(
                    await visuals.draw_scene(
                        scene.model_copy(update={"image": image}),
                        options.video_format,
                        theme,
                        focus,
                        ws / f"{still.stem}-on-{picture.stem}.png",
                        captions_burned=options.burn_captions,
                    )
                )
            overlays[still] = ws / f"{still.stem}-overlay.png"
            box = await run_in_thread(matte, drawn[0].path, drawn[1].path, overlays[still]) or box
        out.append(ClipScene(ClipBackdrop(clip, box), overlays) if box is not None else None)
    return out
