"""The picture track of a render: a still per focus state of every scene, then one H.264 segment per
scene holding its stills in turn (content-addressed: an edited document re-encodes only what changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from app.core.diskcache import DiskCache, file_digest, hash_key
from app.core.fsutil import hash_file
from app.core.threads import all_or_nothing, run_in_thread
from app.services.beats import scene_foci
from app.services.captions import ass_change_points
from app.services.clip_scenes import ClipScene
from app.services.models import RenderOptions
from app.services.planning import Scene
from app.services.progress import Progress, ProgressSink, Stage
from app.services.video import (
    Burn,
    FrameSpec,
    KenBurns,
    Shot,
    Side,
    boundary_windows,
    encode_over_clip,
    encode_segment,
    encode_transition,
    frame_count,
    split_shots,
    trim_shots,
)
from app.services.visuals import VisualService, load_theme, release_drawing_caches


async def draw_stills(
    visuals: VisualService, scenes: Sequence[Scene], options: RenderOptions, ws: Path, report: ProgressSink
) -> tuple[list[dict[int | None, Path]], dict[Path, str]]:
    """Every still of every scene: one per focus state its beats may show (cached by content), and
    each still's content digest (`file_digest`, for `encode_scenes`)."""
    wanted = [(i, focus) for i, scene in enumerate(scenes) for focus in scene_foci(scene)]
    total = len(wanted)
    report(Progress(Stage.SLIDES, 0, total))
    fmt = options.video_format
    theme = await run_in_thread(load_theme, options.theme)  # a theme file is read once, here
    done = 0
    # the visual slots bound the whole process; within a render, more draws than cores add memory
    # (a full-HD still's buffers each) and no speed
    cores = asyncio.Semaphore(max(1, os.cpu_count() or 1))

    async def draw(i: int, focus: int | None) -> tuple[Path, str]:
        nonlocal done
        name = f"slide-{i:04d}" + ("" if focus is None else f"-{focus}")
        async with cores:
            drawn = await visuals.draw_scene(
                scenes[i], fmt, theme, focus, ws / f"{name}.png", captions_burned=options.burn_captions
            )
        done += 1
        report(Progress(Stage.SLIDES, done, total))
        return drawn

    # the visual slots bound how many are drawn at once
    drawn = await all_or_nothing(*(draw(i, focus) for i, focus in wanted))
    release_drawing_caches()  # the encoders that come next need the memory more
    stills: list[dict[int | None, Path]] = [{} for _ in scenes]
    for (i, focus), (path, _) in zip(wanted, drawn, strict=True):
        stills[i][focus] = path
    return stills, dict(drawn)


async def encode_scenes(
    scenes: Sequence[Sequence[Shot]],
    spec: FrameSpec,
    burn: Burn | None,
    ws: Path,
    report: ProgressSink,
    cpu: asyncio.Semaphore,
    cache: DiskCache | None,
    moving: Sequence[str | None] = (),
    transition: str = "none",
    backdrops: Sequence[ClipScene | None] = (),
    digests: Mapping[Path, str] | None = None,
) -> tuple[list[Path], int]:
    """Encode (or take from the cache) one segment per scene (its stills in turn); the mux joins
    them by copy, with a transition window (`video.transitions`) between scenes unless `transition` is
    "none". `moving[i]`: scene i pans and zooms (`spec.motion` is for the render: any scene);
    `backdrops[i]`: scene i's stills are laid over a video clip (`clip_scenes`, a constant rate).
    `digests`: the stills' content digests known already (`draw_stills`); the others are hashed.
    Returns the segments and how many were encoded (cache hits excluded)."""
    total = len(scenes)
    report(Progress(Stage.VIDEO, 0, total + 1))
    cuts = ass_change_points(await run_in_thread(burn.ass.read_text, "utf-8")) if burn else []
    burn_key = await run_in_thread(hash_file, burn.ass) if burn else None
    done = encoded = 0

    def cached(key_parts: tuple[object, ...], parts: Sequence[Shot], path: Path) -> tuple[str, str, bool]:
        known = digests or {}
        images = {p.image: known.get(p.image) or file_digest(p.image) for p in parts}
        key = hash_key("segment-v5", [images[p.image] for p in parts], *key_parts)
        return key, images[parts[0].image], cache is not None and cache.fetch(key, path, ".mp4")

    extents = [(s[0].start, s[-1].start + s[-1].duration) for s in scenes]
    windows = boundary_windows(extents) if transition != "none" else []
    first_digest: dict[int, str] = {}

    def kind(j: int) -> str | None:
        """How scene j moves (None: it stands still)."""
        return moving[j] if moving else "photo"

    every_frame = [i for i in range(total) if (backdrops and backdrops[i]) or (spec.motion and kind(i))]
    turns = LongestFirst(cpu, every_frame)
    one_window = asyncio.Semaphore(1)  # windows one at a time (each uses two threads): bounded memory

    def span(j: int, inner: bool) -> tuple[float, float]:
        """Scene j's time without the windows (inner) or with them (the time its pan spans)."""
        a, b = extents[j]
        if j:
            a = windows[j - 1][1 if inner else 0]
        if j < len(windows):
            b = windows[j][0 if inner else 1]
        return a, b

    async def segment(i: int, shots: Sequence[Shot]) -> Path:
        nonlocal done, encoded
        path_span = extents[i]
        if windows:  # the scene gives its ends to the windows; its pan spans them too
            path_span, shots = span(i, False), trim_shots(shots, *span(i, True))
        start = shots[0].start
        parts = split_shots(shots, cuts) if burn else list(shots)
        timing = [(round(p.start - start, 3), round(p.duration, 3)) for p in parts]
        path = ws / f"segment-{i:04d}.mp4"
        scene_spec = replace(
            spec, motion=spec.motion and kind(i) is not None, slide_motion=kind(i) == "slide"
        )
        pan = (round(path_span[0] - start, 3), round(path_span[1] - start, 3)) if windows else None
        clip = backdrops[i] if backdrops else None
        clip_key = None
        if clip is not None:  # the clip and where it plays make the segment too
            parts = list(shots)
            timing = [(round(p.start - start, 3), round(p.duration, 3)) for p in parts]
            clip_key = (await run_in_thread(hash_file, clip.backdrop.clip), clip.backdrop.box)
        key_parts = (timing, scene_spec, burn_key, start if burn else None, pan)
        key, first, hit = await run_in_thread(
            cached, (*key_parts, clip_key) if clip else key_parts, parts, path
        )
        first_digest[i] = first
        if not hit:
            async with turns.slot(i):
                if clip is not None:
                    over = [Shot(clip.overlays[p.image], p.start, p.duration) for p in parts]
                    await encode_over_clip(over, clip.backdrop, spec, path, ws, burn)
                else:
                    await encode_segment(parts, scene_spec, path, ws, burn, motion_key=first, path=path_span)
            encoded += 1
            if cache is not None:
                await run_in_thread(cache.put_file, key, path, ".mp4")
        done += 1
        report(Progress(Stage.VIDEO, done, total + 1))
        return path

    async def window(i: int) -> Path:
        """The transition from scene i to scene i + 1 (after both segments: their digests)."""
        path = ws / f"transition-{i:04d}.mp4"
        sides = []
        for j, image in ((i, scenes[i][-1].image), (i + 1, scenes[i + 1][0].image)):
            motion = None
            if spec.motion and kind(j) is not None:
                fps, (p0, p1) = spec.rate, span(j, False)
                frame0 = round(windows[i][0] * fps) - round(p0 * fps)
                motion = KenBurns.for_key(first_digest[j], kind(j) == "slide").filter(
                    spec.size, frame0, frame_count(p0, p1, fps)
                )
            sides.append(Side(image, motion))
        async with one_window, cpu:  # a window holds two decoded pictures: ~200 MB at 1080p
            await encode_transition(transition, sides[0], sides[1], windows[i], spec, path, ws, burn)
        return path

    async def segment_in_turn(i: int, shots: Sequence[Shot]) -> Path:
        try:
            return await segment(i, shots)
        finally:
            turns.passed(i)  # found in the cache, or failed: the short ones need not wait for it

    paths = await all_or_nothing(*(segment_in_turn(i, shots) for i, shots in enumerate(scenes)))
    if windows:
        joins = await all_or_nothing(*(window(i) for i in range(len(windows))))
        paths = [p for pair in itertools.zip_longest(paths, joins) for p in pair if p is not None]
    return paths, encoded


class LongestFirst:
    """Encoder slots for a render's segments, given to the ones that encode every frame (a moving
    photo, a clip backdrop: seconds of work each) before the still ones (a tenth of a second a
    picture). Handed out in the order the segments ask, a moving scene late in the document started
    last and was the render's tail, one core busy and the other idle."""

    def __init__(self, slots: asyncio.Semaphore, long: Iterable[int]) -> None:
        self.slots = slots
        self.long = frozenset(long)
        self.pending = set(self.long)  # long ones that have not yet taken a slot
        self.clear = asyncio.Event()
        if not self.pending:
            self.clear.set()

    def passed(self, i: int) -> None:
        """Segment i no longer holds the short ones back (it has a slot, was cached, or failed)."""
        self.pending.discard(i)
        if not self.pending:
            self.clear.set()

    @contextlib.asynccontextmanager
    async def slot(self, i: int) -> AsyncIterator[None]:
        if i not in self.long:
            await self.clear.wait()
        async with self.slots:
            self.passed(i)
            yield


PHOTO_LAYOUTS = frozenset({"full_image"})  # a picture filling the frame: what `--motion photos` moves


def scene_motion(scenes: Sequence[Scene], mode: str) -> list[str | None]:
    """How each scene moves: "photo" (a full-frame picture without words: the full pan and zoom),
    "slide" (words on it: a smaller one, inside the margins) or None. `mode` "photos" moves the
    full-frame pictures only, "all" every scene, "none" none."""
    out: list[str | None] = []
    for s in scenes:
        photo = s.layout in PHOTO_LAYOUTS
        kind = "photo" if photo and not (s.image and s.image.alt) and not s.title else "slide"
        out.append(kind if mode == "all" or (mode == "photos" and photo) else None)
    return out
