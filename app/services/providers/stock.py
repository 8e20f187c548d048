"""Stock photo and video search (Pexels, Pixabay): one search per scene's keywords, one photo (or
clip, `pexels-video`/`pixabay-video`) per scene.

Every request goes through the one pooled client under a visual slot (so never more than
`max_concurrent_visual` in flight), retried with Retry-After by the client. The key goes in a header
to the configured base URL's origin only (`Endpoint`; Pixabay's key is in the search URL's query,
which no message, log line or cache key holds); a photo's URL is fetched public-only unless it
is on that same origin, streamed with the images' size limit and `image/*` only. Searches are cached
by base URL, query and orientation; photos by URL (neither holds the key).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from app.core.diskcache import hash_key
from app.core.net import Endpoint, FetchLimits
from app.core.threads import run_in_thread
from app.errors import RemoteError
from app.services.providers.clips import StockHit, credit_line, pexels_clips, pixabay_clips
from app.services.providers.context import ProviderContext
from app.services.providers.spec import VisualSpec

log = logging.getLogger(__name__)
SEARCH_LIMITS = FetchLimits(2 * 1024 * 1024, 30.0, content_types=("application/json",))


def orientation(frame: tuple[int, int]) -> str:
    """The orientation asked of the search, matched to the video's aspect."""
    w, h = frame
    return "landscape" if w > h else "portrait" if h > w else "square"


class StockSearch:
    """One provider's searches and downloads for one render."""

    def __init__(self, link: VisualSpec, context: ProviderContext) -> None:
        self.name = link.engine  # pexels, pexels-video, pixabay, pixabay-video
        self.engine = link.engine.removesuffix("-video")
        self.video = link.engine.endswith("-video")  # clips as scene backgrounds, not photos
        settings = context.settings
        key = settings.pexels_api_key if self.engine == "pexels" else settings.pixabay_api_key
        self.key = key.get_secret_value() if key is not None else ""
        secret = {"Authorization": self.key} if self.engine == "pexels" else {}
        assert link.base_url is not None
        self.base = link.base_url
        self.endpoint = Endpoint(self.base, secret)
        self.results = settings.stock_results
        self.context = context

    async def search(self, query: str, frame: tuple[int, int]) -> list[StockHit]:
        """The hits for `query` (cached); a failed search raises `RemoteError`."""
        shape = orientation(frame)
        if self.engine == "pexels":
            params: dict[str, str | int] = {"query": query, "per_page": self.results, "orientation": shape}
            path, secret = "/videos/search" if self.video else "/v1/search", {}
        elif self.video:  # Pixabay's videos: no orientation (the clip is cropped to the frame)
            params = {"q": query, "video_type": "film", "per_page": max(3, self.results)}
            path, secret = "/api/videos/", {"key": self.key}
        else:  # Pixabay: the key is a query parameter; horizontal/vertical, no square
            slant = {"landscape": "horizontal", "portrait": "vertical"}.get(shape, "all")
            params = {"q": query, "image_type": "photo", "orientation": slant, "per_page": self.results}
            path, secret = "/api/", {"key": self.key}
        key = hash_key("stock-search-v1", self.name, self.base, params)  # never the key
        cached = await run_in_thread(self.context.cache.load, key, ".json") if self.context.cache else None
        if cached is not None:
            answer: Any = json.loads(cached)
        else:
            async with self.context.slot():
                answer = await self.context.http.fetch_json(
                    "GET",
                    f"{self.base}{path}?{urlencode({**secret, **params})}",
                    what=f"{self.name} search",
                    limits=SEARCH_LIMITS,
                    endpoint=self.endpoint,
                )
            if self.context.cache is not None:
                await run_in_thread(self.context.cache.put_bytes, key, json.dumps(answer).encode(), ".json")
        if self.video:
            return pexels_clips(answer, frame) if self.engine == "pexels" else pixabay_clips(answer, frame)
        return _photos(answer) if self.engine == "pexels" else _pixabay_photos(answer)

    async def download(self, photo: StockHit, dest: Path) -> bytes:
        """The photo's bytes (cached by URL), streamed under the images' limits."""
        await self.fetch(photo, dest)
        return await run_in_thread(dest.read_bytes)

    async def fetch(self, hit: StockHit, dest: Path) -> Path:
        """The photo or clip at `dest` (cached by URL), streamed under the images' or clips' limits."""
        kind = "clip" if self.video else "photo"
        key = hash_key(f"stock-{kind}-v1", hit.url)
        if self.context.cache is None or not await run_in_thread(self.context.cache.fetch, key, dest):
            async with self.context.slot():
                await self.context.http.download(
                    "GET",
                    hit.url,
                    dest,
                    what=f"{self.name} {kind} {hit.id}",
                    limits=(self.context.clip_limits if self.video else self.context.image_limits).fetch,
                    endpoint=self.endpoint,
                    headers={"Accept": "video/*" if self.video else "image/*"},
                )
            if self.context.cache is not None:
                await run_in_thread(self.context.cache.put_file, key, dest)
        return dest


def _photos(answer: Any) -> list[StockHit]:
    """Pexels' answer: {"photos": [{"id", "photographer", "url", "src": {"large2x", ...}}]}."""
    if not isinstance(answer, dict) or not isinstance(answer.get("photos"), list):
        raise RemoteError("pexels search: the answer has no 'photos' list")
    found = []
    for photo in answer["photos"]:
        if not isinstance(photo, dict) or not isinstance(photo.get("src"), dict):
            continue
        src = photo["src"]
        url = src.get("large2x") or src.get("large") or src.get("original")
        if not isinstance(url, str):
            continue
        who = str(photo.get("photographer") or "unknown")
        page = str(photo.get("url") or "")
        found.append(StockHit(str(photo.get("id")), url, credit_line("Photo", who, "Pexels", page)))
    return found


def _pixabay_photos(answer: Any) -> list[StockHit]:
    """Pixabay's answer: {"hits": [{"id", "user", "pageURL", "largeImageURL", "webformatURL"}]}."""
    if not isinstance(answer, dict) or not isinstance(answer.get("hits"), list):
        raise RemoteError("pixabay search: the answer has no 'hits' list")
    found = []
    for hit in answer["hits"]:
        if not isinstance(hit, dict):
            continue
        url = hit.get("largeImageURL") or hit.get("webformatURL")
        if not isinstance(url, str):
            continue
        who = str(hit.get("user") or "unknown")
        page = str(hit.get("pageURL") or "")
        found.append(StockHit(str(hit.get("id")), url, credit_line("Image", who, "Pixabay", page)))
    return found
