"""The server under pressure, over real HTTP against `t2v serve`: submit storms, slow clients, and
event streams open while it shuts down."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.service import Server, served

pytestmark = pytest.mark.slow


def test_a_submit_storm_queues_exactly_the_waiting_limit(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "0", T2V_API_KEYS="k-a,k-b", T2V_MAX_WAITING_PER_KEY="5") as server:
        ready = threading.Barrier(20)

        def submit(i: int) -> httpx.Response:
            with server.client("k-a") as client:
                assert client.get("/healthz").status_code == 200  # connected: all 20 now send at once
                ready.wait(timeout=60)
                return client.post("/v1/jobs", json={"text": f"Job number {i}."})

        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(submit, range(20)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [202] * 5 + [429] * 15, [r.text for r in responses]
        refused = next(r for r in responses if r.status_code == 429)
        assert refused.json()["detail"] == "5 jobs are already waiting for this key; wait for some to finish"
        assert len(server.client("k-a").get("/v1/jobs").json()["jobs"]) == 5
        assert server.client("k-b").post("/v1/jobs", json={"text": "B has its own limit."}).status_code == 202


def follow(server: Server, url: str, started: threading.Semaphore, out: list[object]) -> None:
    """Read one event stream to its end; append (event names, last data) or the exception."""
    names: list[str] = []
    last = ""
    try:
        with server.client("k").stream("GET", url, timeout=httpx.Timeout(60)) as response:
            for line in response.iter_lines():
                if line.startswith("event:"):
                    names.append(line.split(":", 1)[1].strip())
                    if len(names) == 1:
                        started.release()
                elif line.startswith("data:"):
                    last = line.split(":", 1)[1].strip()
        out.append((names, last))
    except httpx.HTTPError as exc:
        out.append(exc)
        started.release()


def test_event_streams_end_with_their_end_event_on_shutdown(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "0", T2V_API_KEYS="k") as server:
        client = server.client("k")
        jobs = [client.post("/v1/jobs", json={"text": f"Waiting {i}."}).json() for i in range(3)]
        started = threading.Semaphore(0)
        results: list[object] = []
        threads = [
            threading.Thread(target=follow, args=(server, jobs[i % 3]["links"]["events"], started, results))
            for i in range(50)
        ]
        for t in threads:
            t.start()
        for _ in threads:  # every stream is open and has sent its first event
            assert started.acquire(timeout=60)
        assert server.stop(signal.SIGTERM) == 0
        for t in threads:
            t.join(60)
        log = server.output()
    assert len(results) == 50
    for result in results:
        assert isinstance(result, tuple), f"the stream broke: {result!r}"
        names, last = result
        assert names == ["job", "end"], names
        assert '"status":"queued"' in last.replace(" ", ""), last
    assert "ERROR" not in log and "Traceback" not in log, log


async def trickle(port: int) -> None:
    """Send a request's headers one byte every 0.2 s until the server drops the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        while True:
            writer.write(b"a")
            await writer.drain()
            try:
                if not await asyncio.wait_for(reader.read(1024), 0.2):
                    break  # EOF: the server closed it
            except asyncio.TimeoutError:
                continue
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def test_clients_trickling_their_headers_are_dropped_and_others_are_served(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "0", T2V_API_KEYS="k", T2V_HEADER_TIMEOUT="2") as server:
        port = int(server.url.rsplit(":", 1)[1])

        async def storm() -> None:
            slow = [asyncio.create_task(trickle(port)) for _ in range(300)]
            deadline = time.monotonic() + 60
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as other:
                while not all(t.done() for t in slow):
                    held = sum(not t.done() for t in slow)
                    assert time.monotonic() < deadline, f"{held} trickling connections are still held"
                    assert (await other.get("/healthz")).status_code == 200  # served meanwhile
                    await asyncio.sleep(0.5)
            for t in slow:
                t.result()

        asyncio.run(storm())
        with server.client("k") as keep_alive:  # an ordinary client reusing its connection is served
            assert [keep_alive.get("/v1/jobs").status_code for _ in range(3)] == [200] * 3
