"""Runs the real `t2v serve` in a subprocess on a free loopback port, for the API and browser tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT
from tests.handlers import TEST_HANDLERS
from tests.processes import UNLOADED, spawn
from tests.waiting import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("T2V_") or k == "T2V_TEST_REQUIRE"}
    env.update(
        PYTHONPATH=str(ROOT),
        T2V_DATA_DIR=str(data_dir),
        T2V_HANDLERS=TEST_HANDLERS,
        T2V_POLL_SECONDS="0.1",
        T2V_HEARTBEAT_SECONDS="0.2",
        **UNLOADED,
    )
    env.update(overrides)
    return env


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    data_dir: Path
    log: Path

    def client(self, key: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=httpx.Timeout(30.0), **kw)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def leftover_temp_files(self) -> list[Path]:
        tmp = self.data_dir / "tmp"
        return sorted(tmp.rglob("*")) if tmp.exists() else []


def start_server(tmp_path: Path, *args: str, **env: str) -> Server:
    data_dir = tmp_path / "data"
    log = tmp_path / f"serve-{time.monotonic_ns()}.log"
    port = free_port()
    with open(log, "wb") as out:
        proc = spawn(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=service_env(data_dir, **env),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(proc, f"http://127.0.0.1:{port}", data_dir, log)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"t2v serve exited {proc.returncode}:\n{server.output()}")
        try:
            return httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout=60, interval=0.1, what=lambda: f"t2v serve to be ready:\n{server.output()}")
    return server


@contextmanager
def served(tmp_path: Path, *args: str, **env: str) -> Iterator[Server]:
    server = start_server(tmp_path, *args, **env)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGTERM, timeout=60)


def read_events(client: httpx.Client, url: str, timeout: float = 180) -> list[tuple[str, dict[str, Any]]]:
    """Follow a server-sent event stream to its end; returns (event, data) pairs."""
    events: list[tuple[str, dict[str, Any]]] = []
    name = "message"
    with client.stream("GET", url, timeout=httpx.Timeout(timeout)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1].strip())))
            elif not line:
                name = "message"
    return events
