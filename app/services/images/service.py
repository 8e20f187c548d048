"""ImageService: every image a document shows, as a validated local PNG (or a placeholder).

Per image: the policy first (is a local file, a remote URL allowed at all?), then its bytes (a local
file under the root, a `data:` URL, bytes a reader embedded, or a download through the one pooled
HTTP client, public addresses only, cached by URL), then the decoding (`decode`, `svg`) under a
visual slot in a thread, cached by content and frame. The result lives in the caller's work
directory. Images are resolved one at a time, in document order, so the first bad one is the one
reported, and memory holds one decoded image.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image

from app.core.diskcache import DiskCache, hash_key
from app.core.fsutil import atomic_path
from app.core.net import HttpClient
from app.core.resource_manager import ResourceManager
from app.core.threads import run_in_thread
from app.errors import ImageError, RemoteError, RemoteUnavailable, RenderError
from app.services.documents import Content, Document
from app.services.images.decode import Size, decode_raster, sniff
from app.services.images.found import document_images
from app.services.images.limits import MediaLimits
from app.services.images.placeholder import draw_placeholder
from app.services.images.policy import ImagePolicy
from app.services.images.sources import (
    ImageLike,
    Reference,
    SourceKind,
    classify,
    decode_data_url,
    locate,
    read_local,
    refusal,
)
from app.services.images.svg import render_svg
from app.services.planning import Plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedImage:
    """An image ready to draw: `path` is an RGB/RGBA PNG of `size`, no larger than the frame needs.
    `problem` says why a placeholder stands in for it (None: it is the image itself)."""

    src: str
    path: Path
    size: Size
    problem: str | None = None

    @property
    def is_placeholder(self) -> bool:
        return self.problem is not None


class ResolvedImages(Mapping[str, ResolvedImage]):
    """The resolved images of one render, by `src` as written in the document."""

    def __init__(self, images: Mapping[str, ResolvedImage]) -> None:
        self._images = dict(images)

    def __getitem__(self, src: str) -> ResolvedImage:
        return self._images[src]

    def __iter__(self) -> Iterator[str]:
        return iter(self._images)

    def __len__(self) -> int:
        return len(self._images)

    @property
    def warnings(self) -> list[str]:
        """One line per image shown as a placeholder."""
        return [f"{i.problem}; showing a placeholder" for i in self._images.values() if i.problem]

    def apply(self, plan: Plan) -> Plan:
        """The plan with every scene's `image.path` replaced by its local file, for drawing."""
        scenes = []
        for scene in plan.scenes:
            if scene.image is not None and scene.image.path in self._images:
                image = scene.image.model_copy(update={"path": str(self._images[scene.image.path].path)})
                scene = scene.model_copy(update={"image": image})
            scenes.append(scene)
        return plan.model_copy(update={"scenes": scenes})


class ImageService:
    """Resolves images under the process's HTTP client, cache and visual slots."""

    CACHE_VERSION = "image-v1"
    DOWNLOAD_VERSION = "remote-image-v1"

    def __init__(
        self,
        http: HttpClient | None = None,
        cache: DiskCache | None = None,
        resources: ResourceManager | None = None,
    ) -> None:
        self.http = http or HttpClient()
        self.cache = cache
        self.resources = resources
        self.decoded = 0  # images actually decoded (cache hits excluded)
        self.downloaded = 0  # remote images actually fetched

    async def resolve_document_images(
        self, document: Document | Content, policy: ImagePolicy, workdir: Path
    ) -> ResolvedImages:
        """Every image `document` shows (see `document_images`), resolved."""
        return await self.resolve(document_images(document), policy, workdir)

    async def resolve(
        self, images: Iterable[ImageLike], policy: ImagePolicy, workdir: Path
    ) -> ResolvedImages:
        """Each distinct `src` once, in order. Raises the first image's `ImageError` (or a
        `RemoteUnavailable` when its server is down) unless the policy skips missing images, in which
        case a placeholder stands in and a warning is logged."""
        chosen: dict[str, ImageLike] = {}
        for image in images:  # a reader's embedded bytes win over the same name without them (a plan's)
            if image.src not in chosen or (_embedded(image) and not _embedded(chosen[image.src])):
                chosen[image.src] = image
        resolved: dict[str, ResolvedImage] = {}
        for src, image in chosen.items():
            resolved[src] = await self._resolve_one(image, policy, workdir)
        return ResolvedImages(resolved)

    async def _resolve_one(self, image: ImageLike, policy: ImagePolicy, workdir: Path) -> ResolvedImage:
        try:
            return await self._load(image, policy, workdir)
        except (ImageError, RemoteError) as exc:
            if not policy.skip_missing:
                raise
            log.info("%s; showing a placeholder", exc)
            return await self._placeholder(image, str(exc), policy, workdir)

    async def _load(self, image: ImageLike, policy: ImagePolicy, workdir: Path) -> ResolvedImage:
        ref = classify(image.src)
        why = None if _embedded(image) else refusal(ref, policy)  # bytes from the document itself
        if why:
            raise ImageError(f"image {ref.shown}: {why}")
        data = await self._bytes(ref, image, policy, workdir)
        key = hash_key(self.CACHE_VERSION, hashlib.sha256(data).digest(), policy.frame, policy.limits)
        out = workdir / f"image-{key[:24]}.png"
        cached = await run_in_thread(_cached_size, self.cache, key, out) if self.cache else None
        if cached is not None:
            return ResolvedImage(image.src, out, cached)
        slot = self.resources.visual_slot() if self.resources else contextlib.nullcontext()
        async with slot:
            size = await run_in_thread(_normalize, ref, data, policy, out)
        self.decoded += 1
        if self.cache is not None:
            await run_in_thread(self.cache.put_file, key, out, ".png")
        return ResolvedImage(image.src, out, size)

    async def _bytes(self, ref: Reference, image: ImageLike, policy: ImagePolicy, workdir: Path) -> bytes:
        embedded = getattr(image, "data", None)
        if isinstance(embedded, bytes):  # a reader took it out of the document file itself
            if len(embedded) > policy.limits.max_bytes:
                raise ImageError(f"image {ref.shown} is over the size limit")
            return embedded
        if ref.kind is SourceKind.DATA:
            return await run_in_thread(decode_data_url, ref, policy.limits)
        if ref.kind is SourceKind.REMOTE:
            return await self._download(ref, policy, workdir)
        assert policy.root is not None  # refusal() said so
        return await run_in_thread(_local_bytes, ref, policy.root, policy.limits)

    async def _download(self, ref: Reference, policy: ImagePolicy, workdir: Path) -> bytes:
        """A remote image's bytes: from the cache by URL, else through the guarded client."""
        try:
            url = httpx.URL(ref.src)
        except httpx.InvalidURL:
            raise ImageError(f"image {ref.shown} is not a valid URL") from None
        if not url.host:
            raise ImageError(f"image {ref.shown} is not a valid URL (no host)")
        key = hash_key(self.DOWNLOAD_VERSION, ref.src)
        dest = workdir / f"download-{key[:24]}"
        if self.cache is None or not await run_in_thread(self.cache.fetch, key, dest):
            try:
                await self.http.download(
                    "GET",
                    ref.src,
                    dest,
                    what=f"image {ref.shown}",
                    limits=policy.limits.fetch,
                    headers={"Accept": "image/*"},
                )
            except RemoteUnavailable:
                raise  # the server is down or slow: not the document's fault (a job retries)
            except RemoteError as exc:  # refused address, 404, too large, an HTML page...
                raise ImageError(str(exc), public=exc.public) from None
            self.downloaded += 1
            if self.cache is not None:
                await run_in_thread(self.cache.put_file, key, dest)
        return await run_in_thread(_take_bytes, dest)

    async def _placeholder(
        self, image: ImageLike, problem: str, policy: ImagePolicy, workdir: Path
    ) -> ResolvedImage:
        name = _shown_anyway(image.src)
        key = hash_key("placeholder-v1", image.alt, name, policy.frame)
        out = workdir / f"placeholder-{key[:24]}.png"
        size = await run_in_thread(_draw_placeholder, image.alt, name, policy.frame, out)
        return ResolvedImage(image.src, out, size, problem=problem)


def _shown_anyway(src: str) -> str:
    """The reference as messages show it, even when it is not a valid one."""
    try:
        return classify(src).shown
    except ImageError:
        return repr(src[:60])


def _local_bytes(ref: Reference, root: Path, limits: MediaLimits) -> bytes:
    return read_local(ref, locate(ref, root), limits)


def _cached_size(cache: DiskCache, key: str, out: Path) -> Size | None:
    """The size of a cached normalized image linked to `out`, or None on a miss."""
    if not cache.fetch(key, out, ".png"):
        return None
    with Image.open(out) as cached:
        size: Size = cached.size
    return size


def _take_bytes(path: Path) -> bytes:
    """A download's bytes; the file goes (the cache keeps its own copy)."""
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _embedded(image: ImageLike) -> bool:
    """Bytes a reader took out of the document file (DOCX, PPTX, PDF...): no file or URL is read."""
    return isinstance(getattr(image, "data", None), bytes)


def _normalize(ref: Reference, data: bytes, policy: ImagePolicy, out: Path) -> Size:
    """Decode, check and normalize in a worker thread; every refusal names the image."""
    try:
        kind = sniff(data)
        if kind == "svg":
            picture = render_svg(data, policy.frame, policy.limits)
        else:
            picture = decode_raster(data, kind, policy.frame, policy.limits)
    except ImageError as exc:
        raise ImageError(f"image {ref.shown} {exc}") from None
    _save(picture, out)
    return picture.size


def _draw_placeholder(alt: str, name: str, frame: Size, out: Path) -> Size:
    picture = draw_placeholder(alt, name, frame)
    _save(picture, out)
    return picture.size


def _save(picture: Image.Image, out: Path) -> None:
    """A fast PNG (compress_level=1), renamed into place only when whole."""
    try:
        with atomic_path(out) as tmp:
            picture.save(tmp, format="PNG", compress_level=1)
    except OSError as exc:
        raise RenderError(f"cannot write image {out}: {exc}") from exc
