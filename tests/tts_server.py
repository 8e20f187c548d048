"""A scriptable HTTP/1.1 server on 127.0.0.1 for the TTS tests: real sockets, no mocks of httpx.

It runs its own event loop in a thread, counts accepted connections and requests in flight, and
answers each route from a queue of scripted `Reply`s (then from the route's default).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import math
import struct
import threading
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "audio/wav"
    delay: float = 0.0  # seconds before answering
    drop_after: int | None = None  # send this many body bytes, then close the connection
    stall: bool = False  # never answer
    zeros: int = 0  # this many zero bytes after `body`, streamed 1 MB at a time
    chunked: bool = False  # Transfer-Encoding: chunked (no Content-Length)
    length: int | None = None  # the Content-Length to announce, if not the body's own
    trickle: float = 0.0  # seconds between the body's bytes, sent one at a time

    @classmethod
    def json(cls, obj: object, status: int = 200) -> Reply:
        return cls(status, json.dumps(obj).encode(), content_type="application/json")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""  # the target's query string (without '?')

    def json(self) -> dict:
        return json.loads(self.body)


Route = Callable[[Request], Reply]


class FakeServer:
    def __init__(self) -> None:
        self.scripted: dict[tuple[str, str], deque[Reply]] = {}
        self.defaults: dict[tuple[str, str], Reply | Route] = {}
        self.requests: list[Request] = []
        self.accepted = 0
        self.cut_off = 0  # replies whose body the client stopped reading (it closed the connection)
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    def on(self, method: str, path: str, *replies: Reply, default: Reply | Route | None = None) -> FakeServer:
        self.scripted.setdefault((method, path), deque()).extend(replies)
        if default is not None:
            self.defaults[(method, path)] = default
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if (r.method, r.path) == (method, path))

    def start(self) -> FakeServer:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop)
        self._server = fut.result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while request := await _read_request(reader):
                self.requests.append(request)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    keep = await self._answer(request, writer)
                finally:
                    self.in_flight -= 1
                if not keep:
                    break
        except _CutOff:
            self.cut_off += 1
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a client went away, or the server is stopping
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        key = (request.method, request.path)
        queue = self.scripted.get(key)
        if queue:
            reply = queue.popleft()
        elif key in self.defaults:
            d = self.defaults[key]
            reply = d if isinstance(d, Reply) else d(request)
        else:
            reply = Reply(404, b"no such route", content_type="text/plain")
        if reply.stall:
            await asyncio.sleep(3600)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        length = len(reply.body) + reply.zeros if reply.length is None else reply.length
        head = [f"HTTP/1.1 {reply.status} X", f"Content-Type: {reply.content_type}"]
        head.append("Transfer-Encoding: chunked" if reply.chunked else f"Content-Length: {length}")
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        if reply.drop_after is not None:
            writer.write(reply.body[: reply.drop_after])
            await writer.drain()
            return False
        try:
            await self._body(reply, writer)
        except ConnectionError as exc:
            raise _CutOff from exc
        return True

    async def _body(self, reply: Reply, writer: asyncio.StreamWriter) -> None:
        def send(data: bytes) -> None:
            if data:
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if reply.chunked else data)

        if reply.trickle:
            for i in range(len(reply.body)):
                await asyncio.sleep(reply.trickle)
                send(reply.body[i : i + 1])
                await writer.drain()
        else:
            send(reply.body)
        block = bytes(1 << 20)
        left = reply.zeros
        while left > 0:
            send(block[: min(left, len(block))])
            left -= min(left, len(block))
            await writer.drain()
        if reply.chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()


class _CutOff(Exception):
    """The client closed the connection while the body was being sent."""


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    path, _, query = target.partition("?")
    return Request(method, path, headers, body, query)


def sine_wav(seconds: float = 1.0, rate: int = 24_000, freq: float = 440.0) -> bytes:
    """A mono 16-bit WAV of a tone, at a rate other than the pipeline's so conversion is exercised."""
    frames = b"".join(
        struct.pack("<h", int(12_000 * math.sin(2 * math.pi * freq * i / rate)))
        for i in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def wav_header(data_bytes: int, rate: int = 22_050) -> bytes:
    """The 44-byte header of a mono 16-bit WAV whose samples follow (for streamed bodies)."""
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def bursts_wav(text: str, rate: int = 24_000) -> bytes:
    """A stand-in voice whose timing has nothing to do with the letters: each word of `text` is a
    noise burst of 0.1-0.7 s (drawn from the word itself, so the same text sounds the same), 40 ms
    apart, after 0.05-0.6 s of leading silence and before 0.05-0.6 s of trailing silence, as engines
    that pad their answers do. Mono 16-bit WAV at a rate other than the pipeline's."""
    import hashlib
    import random

    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    rng = random.Random(seed)
    out = bytearray(2 * int(rng.uniform(0.05, 0.6) * rate))
    for n, word in enumerate(text.split()):
        if n:
            out += bytes(2 * int(0.04 * rate))
        wrng = random.Random(f"{seed}:{n}:{word}")
        count = int(wrng.uniform(0.1, 0.7) * rate)
        fade = int(0.005 * rate)
        for i in range(count):
            envelope = min(1.0, i / fade, (count - i) / fade)
            out += struct.pack("<h", int(envelope * wrng.uniform(-9000, 9000)))
    out += bytes(2 * int(rng.uniform(0.05, 0.6) * rate))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(out))
    return buf.getvalue()
