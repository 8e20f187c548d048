"""What `t2v submit` checks before a job is queued, so that a bad document fails the command (exit 2)
rather than the job, later."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.base import EXIT_FAILED, EXIT_INPUT, check_images, fail
from app.config import Settings
from app.core.queue_manager import Trust
from app.errors import InputError, T2VError

if TYPE_CHECKING:
    from app.services.documents import Document
    from app.services.models import RenderOptions


def check_images_now(document: Document, options: RenderOptions, settings: Settings) -> None:
    """A missing or broken image fails the submit (exit 2) rather than the job, later; what is read or
    fetched here is cached for the worker."""
    import tempfile

    from app.core.diskcache import DiskCache
    from app.services.images import ImagePolicy, ImageService

    policy = ImagePolicy.for_render(options, Trust.OPERATOR, settings)
    service = ImageService(cache=DiskCache(settings.cache_dir, settings.cache_max_bytes))

    async def check() -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="t2v-images-") as workdir:
                await check_images(service, document, policy, Path(workdir))
        finally:
            await service.http.aclose()

    try:
        asyncio.run(check())
    except T2VError as exc:
        fail(str(exc), EXIT_INPUT if isinstance(exc, InputError) else EXIT_FAILED)
