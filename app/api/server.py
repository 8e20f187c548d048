"""Running the app under uvicorn: the bind-address rule and a graceful stop on SIGTERM and SIGINT.

Without API keys anyone who can connect may submit and read jobs, so an open server is allowed only on
a loopback address. On a signal, intake stops at once (the workers stop claiming while uvicorn closes
connections), then the lifespan drains the running jobs; the process exits 0 instead of re-raising the
signal as uvicorn otherwise would. A job whose handler did not stop when cancelled is abandoned by its
worker (attempt spent) and the process exits without waiting for its thread (`app.core.shutdown`);
a backstop armed by the signal does the same if the orderly stop itself gets stuck.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import sys
from types import FrameType

import uvicorn

from app.api.app import create_app
from app.api.auth import KeyFile, KeyRing, parse_env_keys
from app.api.service import Service
from app.core.shutdown import BACKSTOP_MARGIN_SECONDS, Backstop, hard_exit
from app.runtime import Runtime


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

    async def serve(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
        await super().serve(sockets=sockets)
        abandoned = [job for w in self.service.optimizer.parts.workers for job in w.abandoned]
        if abandoned:  # their threads would keep the process alive: leave without them
            hard_exit(
                0,
                self.service.runtime.workspaces,
                f"t2v: stopped; abandoned {len(abandoned)} job(s) that did not stop (attempt spent): "
                + ", ".join(abandoned),
            )

    async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
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
    keys = KeyRing(parse_env_keys(settings.api_keys), KeyFile(settings.api_keys_file))
    refusal = bind_refusal(host, keys)
    if refusal:
        print(f"t2v: error: {refusal}", file=sys.stderr)
        return 2
    app = create_app(runtime, workers=workers)
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
    )
    server = GracefulServer(config, service)
    server.run()
    return 0 if server.started else 1
