"""Short-lived signed tokens for one job's read-only URLs.

A `<video src>`, an `<a download>` or an `EventSource` cannot send an `Authorization` header, so the
API hands out links carrying `?token=`: an HMAC over the job id and an expiry time. A token opens only
that job's progress stream and files, only until it expires, and never reveals the key that asked for
it. The secret lives in the data directory (mode 0600), so every API node sharing it accepts the same
links and they survive a restart.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from app.core.permissions import private_dir

TOKEN_SECONDS = 3600


def load_secret(path: Path) -> bytes:
    """The signing secret, created on first use."""
    with contextlib.suppress(FileNotFoundError):
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)  # the first process to create it wins; the others read its secret
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


class MediaTokens:
    def __init__(self, secret: bytes, ttl_seconds: float = TOKEN_SECONDS) -> None:
        self.secret = secret
        self.ttl_seconds = ttl_seconds

    def _sign(self, job_id: str, expires: int) -> str:
        mac = hmac.new(self.secret, f"{job_id}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:24]).decode("ascii").rstrip("=")

    def issue(self, job_id: str, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        return f"{expires}.{self._sign(job_id, expires)}"

    def valid(self, token: str, job_id: str, now: float | None = None) -> bool:
        expires_text, _, signature = token.partition(".")
        if not expires_text.isdigit() or not signature:
            return False
        expires = int(expires_text)
        if expires < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(signature, self._sign(job_id, expires))
