"""API keys: who is calling, and which jobs they may see.

Keys come from `T2V_API_KEYS` (comma-separated, `admin:KEY` for an admin key) and from the key file
that `t2v keys create` writes (`$T2V_DATA_DIR/api_keys.json`). The file holds only SHA-256 hashes, so
reading it never reveals a key; it is re-read when it changes, so new keys work without a restart.
A job's `owner` is the key's *id*, never the secret. With no keys at all the service runs open (one
anonymous admin), which `t2v serve` allows only on a loopback address.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

KEY_PREFIX = "t2v_"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `id` becomes the owner of the jobs it submits."""

    id: str | None
    name: str
    admin: bool

    def can_see(self, owner: str | None) -> bool:
        return self.admin or owner == self.id

    @property
    def owner_filter(self) -> str | None:
        """The owner to filter listings by; None (no filter) for admins."""
        return None if self.admin else self.id


ANONYMOUS = Principal(id=None, name="anonymous", admin=True)


@dataclass(frozen=True)
class StoredKey:
    id: str
    name: str
    admin: bool
    sha256: str
    created_at: float


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_env_keys(spec: str | None) -> dict[str, Principal]:
    """`KEY1,admin:KEY2` -> {sha256: principal}. The id is derived from the hash, not the secret."""
    keys: dict[str, Principal] = {}
    for item in filter(None, (part.strip() for part in (spec or "").split(","))):
        admin = item.startswith("admin:")
        key = item.removeprefix("admin:").strip()
        if not key:
            continue
        digest = hash_key(key)
        keys[digest] = Principal(id=f"env-{digest[:16]}", name="env", admin=admin)
    return keys


class KeyFile:
    """The hashed key file; safe to read while another process writes it (atomic replace)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, Principal] = {}

    def load(self) -> list[StoredKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [StoredKey(**item) for item in data.get("keys", [])]

    def principals(self) -> dict[str, Principal]:
        """{sha256: principal}, re-read only when the file changed."""
        try:
            st = self.path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._keys = {k.sha256: Principal(id=k.id, name=k.name, admin=k.admin) for k in self.load()}
                self._stamp = stamp
            return self._keys

    def create(self, name: str, admin: bool) -> tuple[str, StoredKey]:
        """Make a new key; returns the secret (shown once) and what was stored."""
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        stored = StoredKey(
            id=f"key-{secrets.token_hex(8)}",
            name=name,
            admin=admin,
            sha256=hash_key(secret),
            created_at=time.time(),
        )
        keys = [*self.load(), stored]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"keys": [asdict(k) for k in keys]}, f, indent=2)
        os.replace(tmp, self.path)
        return secret, stored


class KeyRing:
    """All keys the service accepts: the environment's and the key file's."""

    def __init__(self, env_keys: dict[str, Principal], key_file: KeyFile | None) -> None:
        self.env_keys = env_keys
        self.key_file = key_file

    def _all(self) -> dict[str, Principal]:
        file_keys = self.key_file.principals() if self.key_file is not None else {}
        return {**file_keys, **self.env_keys}

    @property
    def open(self) -> bool:
        """No keys configured: every caller is the anonymous admin."""
        return not self._all()

    def authenticate(self, presented: str) -> Principal | None:
        return self._all().get(hash_key(presented))
