"""Where an outbound request may go, and who may receive a secret.

A request belongs to at most one `Endpoint`: a service the operator configured (an engine's URL from
the settings or the command line). That endpoint's origin is trusted: it may be on loopback or a
private network, and only it receives the endpoint's secret headers. Every other origin (a redirect
elsewhere, an audio URL a vendor answers with, a document to fetch) must resolve to public addresses
only and gets no secret.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressFilter = Callable[[IPAddress], bool]
"""Decides whether an address that is not a trusted endpoint's may be connected to."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port: the unit of trust (another port on the same host is another service)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str | httpx.URL) -> Origin:
        u = url if isinstance(url, httpx.URL) else httpx.URL(url)
        host = u.raw_host.decode("ascii").lower().rstrip(".")
        return cls(u.scheme, host, u.port or _DEFAULT_PORTS.get(u.scheme, 0))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class OutboundPolicy:
    """The origins one request may reach even on non-public addresses; everything else is public-only."""

    trusted: frozenset[Origin] = frozenset()

    def trusts(self, url: str | httpx.URL) -> bool:
        return Origin.of(url) in self.trusted


PUBLIC_ONLY = OutboundPolicy()


@dataclass(frozen=True)
class Endpoint:
    """A service the operator configured: its origin is trusted and alone receives `secret_headers`."""

    url: str
    secret_headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def origin(self) -> Origin:
        return Origin.of(self.url)

    @property
    def policy(self) -> OutboundPolicy:
        return OutboundPolicy(frozenset({self.origin}))

    def headers_for(self, url: str | httpx.URL) -> dict[str, str]:
        """The secret headers if `url` is on this endpoint's origin, else none."""
        return dict(self.secret_headers) if Origin.of(url) == self.origin else {}


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), which is where it really goes."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: IPAddress) -> str:
    """'public', or why not: loopback, private, link-local, multicast, reserved, unspecified, ..."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return address_kind(inner)
        if ip.is_site_local:
            return "site-local"
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return kind
    return "public" if ip.is_global else "non-public"


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses (IPv4 inside IPv6 judged by the IPv4)."""
    return address_kind(ip) == "public"
