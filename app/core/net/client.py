"""The process's one pooled outbound HTTP client: requests that retry with care, stream to disk, stay
within their limits, and go only where the policy lets them.

Retried: network errors (refused, reset, dropped mid-stream, timeouts), 429 (after its Retry-After)
and 5xx, with exponential backoff. Never retried: other 4xx, which will not get better, and refused
targets. Downloads go to a temp file in chunks and are renamed into place only when complete.

Limits (`FetchLimits`, given by each caller): an answer larger than `max_bytes` is refused from its
Content-Length before a byte is read, or as soon as the streamed body passes the limit (the
connection is then closed); a request that takes longer than `deadline` in all (every attempt,
redirect, backoff and the slowest body) fails with `RemoteDeadline`, however steadily the server
trickles. Answers are asked for uncompressed (`Accept-Encoding: identity`) and counted as stored.

Safety (see `policy` and `transport`): redirects are followed here, hop by hop, so that an endpoint's
secret headers go only to its own origin; every hop is checked at connect time; the client keeps no
cookies and ignores proxy variables. Errors name the status and the URL without credentials or
query, never the remote response body; their `public` message leaves the URL out too (errors reach
API callers' job records, and the operator's internal addresses are not theirs to learn).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import http
import http.cookiejar
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx

from app.config import setting_default
from app.core.backoff import RetryPolicy
from app.core.fsutil import atomic_path, human_size
from app.core.net.policy import PUBLIC_ONLY, AddressFilter, Endpoint, is_public_address
from app.core.net.transport import POLICY_EXTENSION, GuardedTransport
from app.errors import (
    OutboundRefused,
    RemoteDeadline,
    RemoteError,
    RemoteHTTPError,
    RemoteServerError,
    RemoteTimeout,
    RemoteTooLarge,
    RemoteTransportError,
    RemoteWrongType,
)

log = logging.getLogger(__name__)
# httpx logs every request at INFO with its full URL, query included (a signed audio URL's token):
# only warnings from it reach the service's log.
logging.getLogger("httpx").setLevel(logging.WARNING)

T = TypeVar("T")
E = TypeVar("E", bound=RemoteError)
CHUNK_SIZE = 64 * 1024
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchLimits:
    """What one request may cost: at most `max_bytes` of answer, and `deadline` seconds in all (every
    attempt, redirect and backoff, and the slowest body, included). Every caller passes its own:
    the speech engines theirs from settings (`TTSConfig.audio_limits`, `json_limits`), images theirs
    (`MediaLimits.fetch`); LLMs and document fetching will have theirs.

    `content_types`, when given, are the media types the answer may have (`image/*` for any image);
    another one is refused from its headers, before the body is read (`RemoteWrongType`)."""

    max_bytes: int
    deadline: float
    content_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class HttpConfig:
    max_connections: int = setting_default("tts_http_connections")
    connect_timeout: float = setting_default("tts_connect_timeout")
    read_timeout: float = setting_default("tts_read_timeout")
    retries: int = setting_default("tts_retries")
    backoff_seconds: float = setting_default("tts_backoff_seconds")
    backoff_max: float = 10.0
    retry_after_max: float = setting_default("tts_retry_after_max")


class Pending(Exception):
    """The server says the resource is not ready yet (a status the caller listed as `pending`)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _RetryableStatus(Exception):
    """429 or 5xx: retried; `failure` is what is raised when the retries run out."""

    def __init__(self, failure: RemoteServerError, retry_after: float | None) -> None:
        super().__init__(str(failure))
        self.failure = failure
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
        limits: FetchLimits,
        endpoint: Endpoint | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pending: Collection[int] = (),
    ) -> int:
        """Stream the response body into `dest` (atomically); return its size in bytes.

        `limits`: the largest body and the whole request's deadline. `endpoint`: the configured
        service this request belongs to (trusted, and the only origin that gets its secret
        headers); None for a public-only request. Raises `Pending` if the server answers with one
        of the `pending` statuses.
        """

        async def attempt() -> int:
            with atomic_path(dest, ".part") as tmp:
                async with self._open(method, url, what, endpoint, json_body, headers, pending) as resp:
                    _check_type(resp, limits.content_types, what)
                    size = 0
                    with open(tmp, "wb") as fh:
                        async for chunk in _bounded_body(resp, limits.max_bytes, what):
                            fh.write(chunk)
                            size += len(chunk)
            return size

        return await self._retrying(url, what, limits.deadline, attempt)

    async def fetch_json(
        self,
        method: str,
        url: str,
        *,
        what: str,
        limits: FetchLimits,
        endpoint: Endpoint | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        pending: Collection[int] = (),
    ) -> Any:
        """A JSON answer held in memory (so keep `limits.max_bytes` small), with the same retries
        and rules as `download`."""

        async def attempt() -> Any:
            async with self._open(method, url, what, endpoint, json_body, headers, pending) as resp:
                _check_type(resp, limits.content_types, what)
                body = bytearray()
                async for chunk in _bounded_body(resp, limits.max_bytes, what):
                    body += chunk
            try:
                return json.loads(body)
            except ValueError as exc:
                raise _failure(RemoteError, what, "the answer is not JSON", safe_url(url)) from exc

        return await self._retrying(url, what, limits.deadline, attempt)

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
            headers={
                "Accept-Encoding": "identity",  # counted as stored: no decompression in between
                **(headers or {}),
                **(endpoint.headers_for(url) if endpoint else {}),
            },
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
            raise _failure(RemoteError, what, f"more than {MAX_REDIRECTS} redirects", safe_url(url))
        try:
            _check(resp, what, pending)
            yield resp
        finally:
            await resp.aclose()

    async def _retrying(self, url: str, what: str, deadline: float, attempt: Callable[[], Awaitable[T]]) -> T:
        """`attempt` with retries, all of it within `deadline` seconds."""
        with anyio.move_on_after(deadline) as scope:
            return await self._attempts(url, what, scope.deadline, attempt)
        # only reached when the deadline cancelled the attempts
        problem = f"no complete answer within {deadline:g} s"
        raise _failure(RemoteDeadline, what, problem, safe_url(url))

    async def _attempts(self, url: str, what: str, deadline: float, attempt: Callable[[], Awaitable[T]]) -> T:
        """Retry `attempt` while it fails in a way that may pass, and while `deadline` (an
        `anyio.current_time()`) leaves room for the wait before the next try."""
        c = self.config
        tries = 0
        while True:
            tries += 1
            try:
                return await attempt()
            except OutboundRefused as exc:
                raise OutboundRefused(f"{what}: {exc}", public=f"{what}: {exc.public or exc}") from None
            except _RetryableStatus as exc:
                failure: RemoteError = exc.failure
                cause: BaseException = exc.__cause__ or exc
                delay = exc.retry_after
            except httpx.TimeoutException as exc:
                problem = f"no answer in time ({type(exc).__name__})"
                failure = _failure(RemoteTimeout, what, problem, safe_url(url))
                cause, delay = exc, None
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
                failure = _failure(RemoteTransportError, what, problem, f"{safe_url(url)}: {exc}")
                cause, delay = exc, None
            if delay is None:
                delay = RetryPolicy(c.backoff_seconds, c.backoff_max).delay(tries)
            delay = min(delay, c.retry_after_max)
            if tries > c.retries or anyio.current_time() + delay >= deadline:
                if tries > 1:
                    failure.args = (f"{failure.args[0]} (after {tries} attempts)",)
                    failure.public = f"{failure.public} (after {tries} attempts)"
                raise failure from cause
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
    status = resp.status_code
    problem, where = f"HTTP {status}{_phrase(status)}", safe_url(resp.request.url)
    try:
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        if status == 429 or status >= 500:
            failure = _failure(RemoteServerError, what, problem, where, status=status)
            raise _RetryableStatus(failure, retry_after(resp)) from exc
        raise _failure(RemoteHTTPError, what, problem, where, status=status) from exc


def _check_type(resp: httpx.Response, accepted: Collection[str], what: str) -> None:
    """Refuse an answer whose media type is not accepted (`type/*` accepts the whole type)."""
    if not accepted:
        return
    media = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    major = media.split("/", 1)[0]
    if media in accepted or f"{major}/*" in accepted:
        return
    problem = f"the answer is {media or 'of no stated type'}, not {' or '.join(accepted)}"
    raise _failure(RemoteWrongType, what, problem, safe_url(resp.request.url))


async def _bounded_body(resp: httpx.Response, max_bytes: int, what: str) -> AsyncIterator[bytes]:
    """The body in chunks, refused as soon as it is known to pass `max_bytes`: from its
    Content-Length before anything is read, else once the bytes streamed so far pass it."""
    where = safe_url(resp.request.url)
    announced = resp.headers.get("content-length", "").strip()
    if announced.isdigit() and int(announced) > max_bytes:
        problem = (
            f"the answer ({human_size(int(announced))}) is larger than the {human_size(max_bytes)} limit"
        )
        raise _failure(RemoteTooLarge, what, problem, where)
    size = 0
    async for chunk in resp.aiter_bytes(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            problem = f"the answer is larger than the {human_size(max_bytes)} limit; stopped reading"
            raise _failure(RemoteTooLarge, what, problem, where)
        yield chunk


def _failure(cls: type[E], what: str, problem: str, where: str, **extra: Any) -> E:
    """An error naming `where` (the URL, an address) for the operator; its `public` message, which
    API callers see, says what went wrong without it."""
    return cls(f"{what}: {problem} from {where}", public=f"{what}: {problem}", **extra)


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
