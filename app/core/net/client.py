"""The process's one pooled outbound HTTP client: requests that retry with care, stream to disk, and
go only where the policy lets them.

Retried: network errors (refused, reset, dropped mid-stream, timeouts), 429 (after its Retry-After)
and 5xx, with exponential backoff. Never retried: other 4xx, which will not get better, and refused
targets. Downloads go to a temp file in chunks and are renamed into place only when complete.

Safety (see `policy` and `transport`): redirects are followed here, hop by hop, so that an endpoint's
secret headers go only to its own origin; every hop is checked at connect time; the client keeps no
cookies and ignores proxy variables. Errors name the status and the URL without credentials or
query, never the remote response body (errors reach API callers' job records).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import http
import http.cookiejar
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.core.backoff import RetryPolicy
from app.core.net.policy import PUBLIC_ONLY, AddressFilter, Endpoint, is_public_address
from app.core.net.transport import POLICY_EXTENSION, GuardedTransport
from app.errors import (
    OutboundRefused,
    RemoteError,
    RemoteHTTPError,
    RemoteServerError,
    RemoteTimeout,
    RemoteTransportError,
)

log = logging.getLogger(__name__)
# httpx logs every request at INFO with its full URL, query included (a signed audio URL's token):
# only warnings from it reach the service's log.
logging.getLogger("httpx").setLevel(logging.WARNING)

T = TypeVar("T")
CHUNK_SIZE = 64 * 1024
MAX_REDIRECTS = 5
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

    `allow` decides which addresses outside a request's trusted endpoint may be connected to
    (public ones by default; tests inject a stand-in to exercise the allowed path on 127.0.0.1).
    A client belongs to the event loop it was made on; when a later `asyncio.run` asks for one, a
    new client is made (the old loop, and its connections, are gone).
    """

    def __init__(self, config: HttpConfig | None = None, *, allow: AddressFilter = is_public_address) -> None:
        self.config = config or HttpConfig()
        self.allow = allow
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.is_closed or self._loop is not loop:
            c = self.config
            n = c.max_connections
            limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
            self._client = httpx.AsyncClient(
                transport=GuardedTransport(limits, self.allow),
                timeout=httpx.Timeout(c.read_timeout, connect=c.connect_timeout, pool=None),
                follow_redirects=False,  # followed in `_open`, hop by hop
                trust_env=False,  # no proxy from the environment: the guard must see the real target
                cookies=_NO_COOKIES,
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
        endpoint: Endpoint | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pending: Collection[int] = (),
    ) -> int:
        """Stream the response body into `dest` (atomically); return its size in bytes.

        `endpoint`: the configured service this request belongs to (trusted, and the only origin
        that gets its secret headers); None for a public-only request. Raises `Pending` if the
        server answers with one of the `pending` statuses.
        """

        async def attempt() -> int:
            tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
            try:
                async with self._open(method, url, what, endpoint, json_body, headers, pending) as resp:
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
        endpoint: Endpoint | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pending: Collection[int] = (),
    ) -> Any:
        """A small JSON answer (at most 1 MB), with the same retries and rules as `download`."""

        async def attempt() -> Any:
            async with self._open(method, url, what, endpoint, json_body, headers, pending) as resp:
                body = bytearray()
                async for chunk in resp.aiter_bytes(CHUNK_SIZE):
                    body += chunk
                    if len(body) > _JSON_MAX_BYTES:
                        raise RemoteError(f"{what}: the answer from {safe_url(url)} is too large for JSON")
            try:
                return json.loads(body)
            except ValueError as exc:
                raise RemoteError(f"{what}: {safe_url(url)} did not answer with JSON") from exc

        return await self._retrying(url, what, attempt)

    @contextlib.asynccontextmanager
    async def _open(
        self,
        method: str,
        url: str,
        what: str,
        endpoint: Endpoint | None,
        json_body: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        pending: Collection[int],
    ) -> AsyncIterator[httpx.Response]:
        """The final response of `url` after redirects, its status checked, its body still unread.

        Every hop carries the request's policy (checked at connect time by the transport) and the
        endpoint's secret headers only if the hop is on the endpoint's origin.
        """
        client = self.client()
        policy = endpoint.policy if endpoint else PUBLIC_ONLY
        secret_names = {name.lower() for name in (endpoint.secret_headers if endpoint else {})}
        request = client.build_request(
            method,
            url,
            json=json_body,
            headers={**(headers or {}), **(endpoint.headers_for(url) if endpoint else {})},
            extensions={POLICY_EXTENSION: policy},
        )
        for _ in range(MAX_REDIRECTS + 1):
            resp = await client.send(request, stream=True)
            if resp.next_request is None:
                break
            request = resp.next_request
            await resp.aclose()
            for name in secret_names:
                request.headers.pop(name, None)
            request.headers.update(endpoint.headers_for(request.url) if endpoint else {})
            request.extensions = {**request.extensions, POLICY_EXTENSION: policy}
        else:
            await resp.aclose()
            raise RemoteError(f"{what}: more than {MAX_REDIRECTS} redirects from {safe_url(url)}")
        try:
            _check(resp, what, pending)
            yield resp
        finally:
            await resp.aclose()

    async def _retrying(self, url: str, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        c = self.config
        tries = 0
        while True:
            tries += 1
            try:
                return await attempt()
            except OutboundRefused as exc:
                raise OutboundRefused(f"{what}: {exc}") from None
            except _RetryableStatus as exc:
                failure: RemoteError = RemoteServerError(str(exc), exc.status)
                cause: BaseException = exc.__cause__ or exc
                delay = exc.retry_after
            except httpx.TimeoutException as exc:
                failure = RemoteTimeout(f"{what}: {safe_url(url)} timed out ({type(exc).__name__})")
                cause, delay = exc, None
            except httpx.TransportError as exc:
                failure = RemoteTransportError(f"{what}: {safe_url(url)}: {type(exc).__name__}: {exc}")
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


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Requests of different jobs (and API callers) share the client, so nothing is remembered."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


_NO_COOKIES = http.cookiejar.CookieJar(policy=_NoCookies())


def _check(resp: httpx.Response, what: str, pending: Collection[int]) -> None:
    """Turn an error status into the right exception. The message names the status and the URL,
    never the body: it may hold anything, and errors reach API callers."""
    if resp.status_code in pending:
        raise Pending(resp.status_code)
    if resp.status_code < 400:
        return
    message = f"{what}: HTTP {resp.status_code}{_phrase(resp.status_code)} from {safe_url(resp.request.url)}"
    try:
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _RetryableStatus(resp.status_code, retry_after(resp), message) from exc
        raise RemoteHTTPError(message, resp.status_code) from exc


def _phrase(status: int) -> str:
    """The standard reason phrase (ours, not the one the server sent)."""
    try:
        return f" {http.HTTPStatus(status).phrase}"
    except ValueError:
        return ""


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
