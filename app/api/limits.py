"""A cap on request bodies, enforced while they arrive, before anything parses or spools them.

The exact document limits (`T2V_MAX_INPUT_BYTES` for text, `T2V_MAX_DOCUMENT_BYTES` for uploaded PDF,
DOCX, PPTX, EPUB, HTML) are checked after decoding; this is the coarse guard
that keeps a huge upload from ever being read into memory or a temp file. It answers 413 at once when
Content-Length is too large, and stops reading a body that grows past the cap without one.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """`max_bytes` for every body but file uploads (multipart/form-data), which may carry a packed
    document (PDF, DOCX...) up to `max_upload_bytes`, and edited storyboards (`PUT .../storyboard`),
    which carry such a document's pictures as data: URLs."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max(max_bytes, max_upload_bytes or 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data") or (
            scope.get("method") == "PUT" and str(scope.get("path", "")).endswith("/storyboard")
        )
        cap = self.max_upload_bytes if upload else self.max_bytes
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > cap:
            await self.reject(send, cap)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self.reject(send, cap)

    async def reject(self, send: Send, cap: int) -> None:
        body = json.dumps({"detail": f"request body over the {cap}-byte limit"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
