"""The connect-time guard: a request reaches a non-public address only on an origin its policy trusts.

Checking a URL's host before the request would be undone by DNS rebinding (the name resolves to a
public address for the check and to 127.0.0.1 for the connection). So the check is in the network
backend: it resolves the host itself, keeps only the addresses the filter allows, and connects to one
of those very addresses. It runs for every new connection, so for every redirect hop too.

Two pools keep trust from leaking through keep-alive: origins the request's policy trusts use one
pool (connected as configured), everything else the guarded one. A connection opened for an
operator's endpoint on 127.0.0.1 is therefore never reused by a request that does not trust it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from app.core.net.policy import PUBLIC_ONLY, AddressFilter, IPAddress, OutboundPolicy, address_kind
from app.errors import OutboundRefused

POLICY_EXTENSION = "t2v.outbound_policy"
"""The request extension that carries its `OutboundPolicy` (absent: public addresses only)."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, filter, then connect to a checked address (never to a second resolution's answer)."""

    def __init__(self, allow: AddressFilter) -> None:
        self.allow = allow
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port, timeout)
        allowed = [a for a in addresses if self.allow(a)]
        if not allowed:
            kinds = "/".join(sorted({address_kind(a) for a in addresses}))
            why = "only the configured endpoint may be on a loopback or private network"
            raise OutboundRefused(
                f"refused to connect to {host}:{port}: it resolves to a {kinds} address, and {why}",
                public=f"refused to connect to a {kinds} address: {why}",
            )
        failure: Exception | None = None
        for address in allowed:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("outbound requests do not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    try:
        with anyio.fail_after(timeout):
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise httpcore.ConnectError(f"cannot resolve {host}")
    return found


class _PoolTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over an httpcore pool with our network backend (httpx has no public hook
    for one; the pool it wraps takes it)."""

    def __init__(self, limits: httpx.Limits, backend: httpcore.AsyncNetworkBackend) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class GuardedTransport(httpx.AsyncBaseTransport):
    """Routes each request (each redirect hop) by its policy: trusted origins to the plain pool,
    everything else to the pool whose backend refuses non-public addresses."""

    def __init__(self, limits: httpx.Limits, allow: AddressFilter) -> None:
        self._trusted = httpx.AsyncHTTPTransport(limits=limits)
        self._guarded = _PoolTransport(limits, GuardedBackend(allow))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy = request.extensions.get(POLICY_EXTENSION, PUBLIC_ONLY)
        if not isinstance(policy, OutboundPolicy):
            policy = PUBLIC_ONLY
        pool = self._trusted if policy.trusts(request.url) else self._guarded
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        try:
            await self._guarded.aclose()
        finally:
            await self._trusted.aclose()
