"""Running the app under uvicorn: the bind-address rule, slow clients, and a graceful stop.

Without API keys anyone who can connect may submit and read jobs, so an open server is allowed only on
a loopback address; whether it is open is decided here, once, from the configuration at start (a
malformed key file stops the start with one line). On a signal, intake stops at once (the workers stop
claiming while uvicorn closes connections; event streams send their `end`), then the lifespan drains
the running jobs; the process exits 0 instead of re-raising the signal as uvicorn otherwise would.
A job whose handler did not stop when cancelled is abandoned by its worker (attempt spent) and the
process exits without waiting for its thread (`app.core.shutdown`); a backstop armed by the signal
does the same if the orderly stop itself gets stuck.

uvicorn has no deadline for reading a request's headers (its keep-alive timeout covers only an idle
connection, and any byte resets it), so a client trickling its headers holds a connection forever.
`HeaderDeadlineProtocol` gives every request `T2V_HEADER_TIMEOUT` seconds, from the moment the
connection is ready for it, to deliver its whole header block, then drops the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import sys
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.api.app import create_app
from app.api.auth import KeyFileError, KeyRing
from app.api.service import Service
from app.core.shutdown import BACKSTOP_MARGIN_SECONDS, Backstop, hard_exit
from app.runtime import Runtime

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_refusal(host: str, keys: KeyRing) -> str | None:
    """Why this bind is refused, or None when it is allowed."""
    if keys.open and not is_loopback(host):
        return (
            f"refusing to serve on {host} without API keys: set T2V_API_KEYS or run "
            "`t2v keys create`, or bind a loopback address such as 127.0.0.1"
        )
    return None


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers (against slowloris clients).

    The timer starts when the connection opens and again when a response completes on a kept-alive
    connection; it stops when the request's headers have been parsed (uvicorn then starts a new
    request cycle). If it fires first, the connection is closed; the server's other connections never
    notice. Bodies are not covered (the body limit and the route's own reads bound them)."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._cycle_before: object = None

    def _await_headers(self) -> None:
        self._stop_header_timer()
        self._cycle_before = self.cycle
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            log.debug("dropping %s: no complete request headers in %.0f s", self.client, self.header_timeout)
            self.transport.close()

    # uvicorn's H11Protocol narrows BaseProtocol's argument the same way; we keep its signature
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def handle_events(self) -> None:
        super().handle_events()
        if self._header_timer is not None and (
            self.cycle is not self._cycle_before or self.transport.get_protocol() is not self
        ):
            self._stop_header_timer()  # the headers arrived (or another protocol took the connection)

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._await_headers()  # before uvicorn parses a pipelined request, which stops the timer
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)


def header_deadline_protocol(seconds: float) -> type[HeaderDeadlineProtocol]:
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout": seconds})


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, service: Service) -> None:
        super().__init__(config)
        self.service = service
        self.loop: asyncio.AbstractEventLoop | None = None
        settings = service.settings
        # connections get the grace period, then the workers get it, then handlers get stop_seconds
        self.backstop = Backstop(
            2 * settings.grace_seconds + settings.stop_seconds + BACKSTOP_MARGIN_SECONDS,
            0,
            service.runtime.workspaces,
            "t2v: the server did not stop in time; exited forcefully",
        )

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        await super().serve(sockets=sockets)
        abandoned = [job for w in self.service.optimizer.parts.workers for job in w.abandoned]
        if abandoned:  # their threads would keep the process alive: leave without them
            hard_exit(
                0,
                self.service.runtime.workspaces,
                f"t2v: stopped; abandoned {len(abandoned)} job(s) that did not stop (attempt spent): "
                + ", ".join(abandoned),
            )

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.backstop.arm()
        super().handle_exit(sig, frame)
        self._captured_signals.clear()  # a graceful stop exits 0; do not re-raise the signal
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.service.stop_intake)


def serve(runtime: Runtime, host: str, port: int, workers: int) -> int:
    settings = runtime.settings
    try:
        keys = KeyRing.from_settings(settings.api_keys, settings.api_keys_file)
    except KeyFileError as exc:
        print(f"t2v: error: {exc}; fix it or move it away", file=sys.stderr)
        return 2
    refusal = bind_refusal(host, keys)
    if refusal:
        print(f"t2v: error: {refusal}", file=sys.stderr)
        return 2
    app = create_app(runtime, workers=workers, keys=keys)
    service: Service = app.state.service
    if keys.open:
        print(
            f"t2v: serving WITHOUT API keys on {host} (loopback only; anyone on this machine may use it)",
            file=sys.stderr,
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=max(1, int(settings.grace_seconds)),
        http=header_deadline_protocol(settings.header_timeout),
    )
    server = GracefulServer(config, service)
    server.run()
    return 0 if server.started else 1
