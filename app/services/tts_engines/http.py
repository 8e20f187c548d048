"""One pooled HTTP client per process, and requests that retry with care and stream to disk.

Retried: network errors (refused, reset, dropped mid-stream, timeouts), 429 (after its Retry-After)
and 5xx, with exponential backoff. Never retried: other 4xx, which will not get better. Audio goes to
a temp file in chunks and is renamed into place only when complete, so a failure leaves no partial file.
API keys travel only in request headers: they are never logged and never put in an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.core.backoff import RetryPolicy
from app.errors import TTSError, TTSHTTPError, TTSServerError, TTSTimeout, TTSTransportError

log = logging.getLogger(__name__)

T = TypeVar("T")
CHUNK_SIZE = 64 * 1024
_ERROR_BODY_BYTES = 300  # enough of an error body to show the server's reason
_JSON_MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class HttpConfig:
    max_connections: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff_seconds: float = 0.5
    backoff_max: float = 10.0
    retry_after_max: float = 60.0


class Pending(Exception):
    """The server says the resource is not ready yet (a status the caller listed as `pending`)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def safe_url(url: str | httpx.URL) -> str:
    """The URL without credentials or query string, fit for messages."""
    u = httpx.URL(str(url))
    return str(u.copy_with(userinfo=b"", query=None, fragment=None))


class HttpClient:
    """The process's `httpx.AsyncClient`, created on first use and closed by `aclose`.

    A client belongs to the event loop it was made on; when a later `asyncio.run` asks for one, a
    new client is made (the old loop, and its connections, are gone).
    """

    def __init__(self, config: HttpConfig | None = None) -> None:
        self.config = config or HttpConfig()
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.is_closed or self._loop is not loop:
            c = self.config
            self._client = httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=c.max_connections, max_keepalive_connections=c.max_connections
                ),
                timeout=httpx.Timeout(c.read_timeout, connect=c.connect_timeout, pool=None),
                follow_redirects=True,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()
        self._loop = None

    async def download(
        self,
        method: str,
        url: str,
        dest: Path,
        *,
        what: str,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pending: Collection[int] = (),
    ) -> int:
        """Stream the response body into `dest` (atomically); return its size in bytes.

        Raises `Pending` if the server answers with one of the `pending` statuses.
        """

        async def attempt() -> int:
            tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
            try:
                async with self.client().stream(method, url, json=json_body, headers=headers) as resp:
                    await _check(resp, what, pending)
                    size = 0
                    with open(tmp, "wb") as fh:
                        async for chunk in resp.aiter_bytes(CHUNK_SIZE):
                            fh.write(chunk)
                            size += len(chunk)
                os.replace(tmp, dest)
                return size
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()

        return await self._retrying(url, what, attempt)

    async def fetch_json(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pending: Collection[int] = (),
    ) -> Any:
        """A small JSON answer (at most 1 MB), with the same retries."""

        async def attempt() -> Any:
            async with self.client().stream(method, url, json=json_body, headers=headers) as resp:
                await _check(resp, what, pending)
                body = bytearray()
                async for chunk in resp.aiter_bytes(CHUNK_SIZE):
                    body += chunk
                    if len(body) > _JSON_MAX_BYTES:
                        raise TTSError(f"{what}: the answer from {safe_url(url)} is too large for JSON")
            try:
                return json.loads(body)
            except ValueError as exc:
                raise TTSError(f"{what}: {safe_url(url)} did not answer with JSON") from exc

        return await self._retrying(url, what, attempt)

    async def _retrying(self, url: str, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        c = self.config
        tries = 0
        while True:
            tries += 1
            try:
                return await attempt()
            except _RetryableStatus as exc:
                failure: TTSError = TTSServerError(str(exc), exc.status)
                cause: BaseException = exc.__cause__ or exc
                delay = exc.retry_after
            except httpx.TimeoutException as exc:
                failure = TTSTimeout(f"{what}: {safe_url(url)} timed out ({type(exc).__name__})")
                cause, delay = exc, None
            except httpx.TransportError as exc:
                failure = TTSTransportError(f"{what}: {safe_url(url)}: {type(exc).__name__}: {exc}")
                cause, delay = exc, None
            if tries > c.retries:
                if tries > 1:
                    failure.args = (f"{failure.args[0]} (after {tries} attempts)",)
                raise failure from cause
            if delay is None:
                delay = RetryPolicy(c.backoff_seconds, c.backoff_max).delay(tries)
            delay = min(delay, c.retry_after_max)
            log.warning("%s; retry %d of %d in %.1f s", failure, tries, c.retries, delay)
            await asyncio.sleep(delay)


async def _check(resp: httpx.Response, what: str, pending: Collection[int]) -> None:
    """Turn an error status into the right exception, with the start of the body as the reason."""
    if resp.status_code in pending:
        raise Pending(resp.status_code)
    if resp.status_code < 400:
        return
    reason = await _error_text(resp)
    message = f"{what}: HTTP {resp.status_code} from {safe_url(resp.request.url)}" + (
        f": {reason}" if reason else ""
    )
    try:
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _RetryableStatus(resp.status_code, retry_after(resp), message) from exc
        raise TTSHTTPError(message, resp.status_code) from exc


async def _error_text(resp: httpx.Response) -> str:
    body = bytearray()
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in resp.aiter_bytes(_ERROR_BODY_BYTES):
            body += chunk
            if len(body) >= _ERROR_BODY_BYTES:
                break
    return " ".join(body[:_ERROR_BODY_BYTES].decode("utf-8", "replace").split())


def retry_after(resp: httpx.Response) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    value = resp.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
