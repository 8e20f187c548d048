"""Pictures from the visual providers, put into the plan before drawing.

Each scene that may take a picture (not code or table scenes, not scenes that already show one) walks
the chain (`--visuals`, or the scene's own `visual`) until a provider gives a picture; `slides` ends
every chain and keeps the scene as drawn text. The picture goes through the images service (size and
decode checks, normalized PNG, cached) and the scene becomes `image_text` (it has items) or
`full_image` (a title card or statement: the picture fills the frame, the text on a shaded band).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from app.config import Settings
from app.core.diskcache import hash_key
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.core.threads import run_in_thread
from app.errors import ImageError, RemoteError
from app.services.images import ImagePolicy, ImageService
from app.services.planning import ImageRef, Plan, Scene
from app.services.providers.clips import CLIP_SUFFIXES, StockHit, check_clip
from app.services.providers.context import ProviderContext
from app.services.providers.generate import ImageGenerator
from app.services.providers.keywords import scene_keywords
from app.services.providers.local import LocalPictures
from app.services.providers.spec import STOCK, VisualSpec, parse_visuals
from app.services.providers.stock import StockSearch

log = logging.getLogger(__name__)
KEEP_LAYOUTS = ("code", "table", "picture", "image_text", "full_image")


@dataclass(frozen=True)
class _Found:
    src: str
    alt: str = ""
    data: bytes | None = None


@dataclass(frozen=True)
class ProvidedPlan:
    """The plan with provider pictures in, which provider made each scene, and what fell over."""

    plan: Plan
    made_by: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()  # "scene 2: Photo by NAME on Pexels (page)" for stock pictures
    clips: tuple[Path | None, ...] = ()  # per scene: the video clip behind it (its poster is the image)


def takes_picture(scene: Scene) -> bool:
    """Code and tables stay slides; a scene that already shows a picture keeps it."""
    return scene.layout not in KEEP_LAYOUTS and scene.image is None


class VisualProviders:
    """Walks each scene's chain; pictures are checked and normalized by the images service. The
    settings (keys, base URLs, limits) are the runtime's, handed in, never read here."""

    def __init__(
        self, images: ImageService, settings: Settings, resources: ResourceManager | None = None
    ) -> None:
        self.images = images
        # what every remote provider shares (the settings too): made once, handed to each provider made
        self.context = ProviderContext(settings, images.http, images.cache, resources)

    async def apply(
        self, plan: Plan, spec: str | None, frame: tuple[int, int], workdir: Path
    ) -> ProvidedPlan:
        # checked with the caller's trust where the options entered
        chain = parse_visuals(spec, Trust.OPERATOR, self.context.settings)
        chains = [_scene_chain(chain, scene.visual) for scene in plan.scenes]
        made_by = ["slides"] * len(plan.scenes)
        scenes = list(plan.scenes)
        warnings: list[str] = []
        pending = [takes_picture(s) for s in scenes]
        depth = max(len(c) for c in chains)
        folders: dict[str, LocalPictures] = {}
        credits: dict[int, str] = {}
        clips: dict[int, Path] = {}  # scenes whose picture is a video clip's poster
        used: set[tuple[str, str]] = set()  # stock photos already shown: never the same one twice in a video
        for step in range(depth):  # every scene's first choice, then the second for those left...
            links = [c[step] if pending[i] and step < len(c) else None for i, c in enumerate(chains)]
            for link in dict.fromkeys(x for x in links if x is not None and x.engine == "local"):
                assert link.arg is not None
                pictures = folders.setdefault(link.arg, LocalPictures(Path(link.arg)))
                wanted = [scene_keywords(s) if links[i] == link else None for i, s in enumerate(scenes)]
                for i, path in enumerate(pictures.assign(wanted)):
                    if path is None:
                        continue
                    if path.suffix.lower() in CLIP_SUFFIXES:
                        ref, clip = await self._clip(path, path.name, link, frame, workdir, warnings)
                    else:
                        ref, clip = await self._picture(path, link, frame, workdir, warnings), None
                    if ref is not None:
                        scenes[i], made_by[i], pending[i] = _with_picture(scenes[i], ref), link.name, False
                        if clip is not None:
                            clips[i] = clip
            for link in dict.fromkeys(x for x in links if x is not None and x.engine == "openai-images"):
                todo = [i for i, x in enumerate(links) if x == link]
                gen = ImageGenerator(link, self.context)
                made = await asyncio.gather(
                    *(
                        self._generated(gen, scenes[i], link, frame, workdir, warnings, n)
                        for n, i in enumerate(todo)
                    )
                )
                for i, ref in zip(todo, made, strict=True):
                    if ref is not None:
                        scenes[i], made_by[i], pending[i] = _with_picture(scenes[i], ref), link.name, False
            stocks = (x for x in links if x is not None and x.engine in STOCK)
            for link in dict.fromkeys(stocks):
                todo = [i for i, x in enumerate(links) if x == link]
                stock = StockSearch(link, self.context)
                # searches in parallel, photos picked in scene order (deterministic), then fetched
                queries = [" ".join(scene_keywords(scenes[i], 3)) for i in todo]
                hits = await asyncio.gather(*(self._search(stock, q, link, frame, warnings) for q in queries))
                picks: dict[int, StockHit] = {}
                for i, photos in zip(todo, hits, strict=True):
                    photo = next((p for p in photos if (link.name, p.id) not in used), None)
                    if photo is not None:
                        used.add((link.name, photo.id))
                        picks[i] = photo
                refs = await asyncio.gather(
                    *(self._fetch(stock, p, link, frame, workdir, warnings) for p in picks.values())
                )
                for (i, photo), (ref, clip) in zip(picks.items(), refs, strict=True):
                    if ref is not None:
                        scenes[i], made_by[i], pending[i] = _with_picture(scenes[i], ref), link.name, False
                        credits[i] = f"scene {i + 1}: {photo.credit}"
                        if clip is not None:
                            clips[i] = clip
            for i, entry in enumerate(links):
                if entry is not None and entry.engine == "slides":
                    pending[i] = False
        shown = tuple(credits[i] for i in sorted(credits))
        return ProvidedPlan(
            plan.model_copy(update={"scenes": scenes}),
            tuple(made_by),
            tuple(warnings),
            shown,
            tuple(clips.get(i) for i in range(len(scenes))),
        )

    async def _generated(
        self,
        gen: ImageGenerator,
        scene: Scene,
        link: VisualSpec,
        frame: tuple[int, int],
        workdir: Path,
        warnings: list[str],
        n: int,
    ) -> ImageRef | None:
        """A generated picture for the scene (prompt: its title and keywords), checked like any image."""
        words = ", ".join(scene_keywords(scene, 4))
        if not (scene.title or words):
            return None
        prompt = f"A photograph for a video scene about {scene.title or words}. Themes: {words}. No text."
        src = f"{link.name} picture {n + 1}"
        try:
            data = await gen.generate(f"{prompt} (picture {n + 1})", frame, workdir / f"gen-{n}")
            resolved = await self.images.resolve([_Found(src, data=data)], ImagePolicy(frame=frame), workdir)
        except (ImageError, RemoteError) as exc:
            _fell_over(warnings, link, exc)
            return None
        return ImageRef(path=str(resolved[src].path), fit="cover")

    async def _search(
        self, stock: StockSearch, query: str, link: VisualSpec, frame: tuple[int, int], warnings: list[str]
    ) -> list[StockHit]:
        """The hits for a scene's keywords; none (and a warning) when the search fails."""
        if not query:
            return []
        try:
            return await stock.search(query, frame)
        except RemoteError as exc:
            _fell_over(warnings, link, exc)
            return []

    async def _fetch(
        self,
        stock: StockSearch,
        photo: StockHit,
        link: VisualSpec,
        frame: tuple[int, int],
        workdir: Path,
        warnings: list[str],
    ) -> tuple[ImageRef | None, Path | None]:
        """The photo as a checked local PNG (the images service's limits and decoding); for a video
        provider the clip, checked, and its poster as the picture."""
        dest = workdir / f"stock-{hash_key(photo.url)[:24]}"
        if stock.video:
            try:
                await stock.fetch(photo, dest)
            except RemoteError as exc:
                _fell_over(warnings, link, exc)
                return None, None
            name = f"{link.name} clip {photo.id}"
            return await self._clip(dest, name, link, frame, workdir, warnings)
        src = f"{link.name} photo {photo.id}"
        try:
            data = await stock.download(photo, dest)
            resolved = await self.images.resolve([_Found(src, data=data)], ImagePolicy(frame=frame), workdir)
        except (ImageError, RemoteError) as exc:
            _fell_over(warnings, link, exc)
            return None, None
        return ImageRef(path=str(resolved[src].path), fit="cover"), None

    async def _clip(
        self,
        clip: Path,
        name: str,
        link: VisualSpec,
        frame: tuple[int, int],
        workdir: Path,
        warnings: list[str],
    ) -> tuple[ImageRef | None, Path | None]:
        """A video clip checked (size, pixels, its first frame decodes), its first frame the picture
        (through the images service like any picture); or None (a warning) so the scene falls over."""
        try:
            poster = await run_in_thread(check_clip, clip, self.context.clip_limits, name)
            resolved = await self.images.resolve(
                [_Found(name, data=poster)], ImagePolicy(frame=frame), workdir
            )
        except (ImageError, RemoteError) as exc:
            _fell_over(warnings, link, exc)
            return None, None
        return ImageRef(path=str(resolved[name].path), fit="cover"), clip

    async def _picture(
        self, path: Path, link: VisualSpec, frame: tuple[int, int], workdir: Path, warnings: list[str]
    ) -> ImageRef | None:
        """The picture as a checked local PNG, or None (a warning) so the scene falls over."""
        policy = ImagePolicy(root=Path(link.arg or "."), frame=frame)
        try:
            resolved = await self.images.resolve([_Found(path.name)], policy, workdir)
        except (ImageError, RemoteError) as exc:
            _fell_over(warnings, link, exc)
            return None
        return ImageRef(path=str(resolved[path.name].path), fit="cover")


def _fell_over(warnings: list[str], link: VisualSpec, exc: Exception) -> None:
    warnings.append(f"visuals {link.name}: {exc}; the scene falls over to the next provider")
    log.info("%s", warnings[-1])


def _scene_chain(chain: tuple[VisualSpec, ...], asked: str | None) -> tuple[VisualSpec, ...]:
    """A scene's own `visual` ('slides', 'local', 'local,slides') picks among the render's providers
    by name: a storyboard never names a folder or a server the render was not given."""
    if not asked:
        return chain
    names = [n.strip().lower() for n in asked.split(",") if n.strip()]
    picked = [link for name in names for link in chain if link.name == name and link.engine != "slides"]
    return (*picked, VisualSpec("slides"))


def _with_picture(scene: Scene, ref: ImageRef) -> Scene:
    if scene.items and scene.layout != "title":
        return scene.model_copy(update={"layout": "image_text", "image": ref})
    return scene.model_copy(update={"layout": "full_image", "image": ref})
