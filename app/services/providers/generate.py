"""`openai-images:MODEL[@BASE_URL]`: a picture generated per scene by any OpenAI-compatible server.

POST {BASE_URL}/images/generations {"model", "prompt", "n": 1, "size"}; the answer's `b64_json` is
decoded, or its `url` fetched (public-only unless on the server's own origin, image limits). The
key (T2V_OPENAI_API_KEY) goes as a bearer token to the server's origin only. The request runs under
a visual slot; answers are cached by server, model, prompt and size (never the key).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from app.core.diskcache import hash_key
from app.core.net import Endpoint, FetchLimits
from app.core.threads import run_in_thread
from app.errors import ImageError, RemoteError
from app.services.providers.context import ProviderContext
from app.services.providers.spec import VisualSpec
from app.services.providers.stock import orientation

GENERATE_DEADLINE = 180.0


def image_size(model: str, frame: tuple[int, int]) -> str:
    """The size asked for, matched to the frame's shape (DALL-E 3's sizes, else gpt-image's)."""
    shape = orientation(frame)
    if model.startswith("dall-e-2"):
        return "1024x1024"
    wide = "1792x1024" if model.startswith("dall-e-3") else "1536x1024"
    return {"landscape": wide, "portrait": "x".join(reversed(wide.split("x")))}.get(shape, "1024x1024")


class ImageGenerator:
    """One render's generations at one server."""

    def __init__(self, link: VisualSpec, context: ProviderContext) -> None:
        assert link.base_url is not None and link.arg is not None
        self.base, self.model = link.base_url, link.arg
        key = context.settings.openai_api_key
        secret = {"Authorization": f"Bearer {key.get_secret_value()}"} if key is not None else {}
        self.endpoint = Endpoint(self.base, secret)
        self.context = context
        self.limits = context.image_limits
        # the JSON answer carries the picture as base64 (4/3 of its bytes)
        self.json_limits = FetchLimits(
            self.limits.max_bytes * 4 // 3 + 65536, GENERATE_DEADLINE, content_types=("application/json",)
        )

    async def generate(self, prompt: str, frame: tuple[int, int], dest: Path) -> bytes:
        """The picture's bytes for `prompt` (cached); a failure raises `RemoteError`/`ImageError`."""
        size = image_size(self.model, frame)
        key = hash_key("generated-image-v1", self.base, self.model, prompt, size)
        if self.context.cache is not None and await run_in_thread(self.context.cache.fetch, key, dest):
            return await run_in_thread(dest.read_bytes)
        body = {"model": self.model, "prompt": prompt, "n": 1, "size": size}
        async with self.context.slot():
            answer = await self.context.http.fetch_json(
                "POST",
                f"{self.base}/images/generations",
                what="openai-images generation",
                limits=self.json_limits,
                endpoint=self.endpoint,
                json_body=body,
            )
            data = await self._picture(answer, dest)
        if self.context.cache is not None:
            await run_in_thread(self.context.cache.put_bytes, key, data)
        return data

    async def _picture(self, answer: Any, dest: Path) -> bytes:
        first = answer.get("data") if isinstance(answer, dict) else None
        item = first[0] if isinstance(first, list) and first and isinstance(first[0], dict) else None
        if item is None:
            raise RemoteError("openai-images generation: the answer has no 'data' picture")
        if isinstance(item.get("b64_json"), str):
            try:
                data = base64.b64decode(item["b64_json"], validate=True)
            except (binascii.Error, ValueError):
                raise ImageError("openai-images generation: 'b64_json' is not base64") from None
            if len(data) > self.limits.max_bytes:
                raise ImageError("openai-images generation: the picture is over the size limit")
            return data
        if isinstance(item.get("url"), str):
            await self.context.http.download(
                "GET",
                item["url"],
                dest,
                what="openai-images picture",
                limits=self.limits.fetch,
                endpoint=self.endpoint,
                headers={"Accept": "image/*"},
            )
            return await run_in_thread(dest.read_bytes)
        raise RemoteError("openai-images generation: the answer has neither 'b64_json' nor 'url'")
