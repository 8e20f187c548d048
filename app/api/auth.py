"""API keys: who is calling, and which jobs they may see.

Keys come from `T2V_API_KEYS` (comma-separated, `admin:KEY` for an admin key) and from the key file
that `t2v keys create` writes (`$T2V_DATA_DIR/api_keys.json`). The file holds only SHA-256 hashes, so
reading it never reveals a key; it is re-read when it changes, so new keys work without a restart.
A job's `owner` is the key's *id*, never the secret.

Authentication fails closed. Whether the service runs open (no keys at all: one anonymous admin, which
`t2v serve` allows only on a loopback address) is decided once, at start; a key file that is later
emptied, corrupted, moved or deleted only takes its own keys away (one log line says so), it never opens
the service. A malformed key file at start is a configuration error. Writers (`t2v keys create`) take
an exclusive lock on a lock file beside it and replace it atomically, so concurrent creates all persist.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.fsutil import atomic_write
from app.errors import InputError, first_error

KEY_PREFIX = "t2v_"
log = logging.getLogger(__name__)


class KeyFileError(InputError):
    """The key file exists but cannot be used (not JSON, wrong shape, unreadable)."""


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


class _StoredKeyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1)
    name: str
    admin: bool
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: float


class _KeyFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    keys: list[_StoredKeyModel]


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


def _parse(path: Path, text: str) -> list[StoredKey]:
    if not text.strip():
        raise KeyFileError(f"the API key file {path} is empty")
    try:
        data = _KeyFileModel.model_validate_json(text)
    except ValidationError as exc:
        json_invalid = exc.errors()[0].get("type") == "json_invalid"
        problem = "not JSON" if json_invalid else first_error(exc.errors(), subject="the top level")
        raise KeyFileError(f"the API key file {path} is malformed ({problem})") from None
    return [StoredKey(**item.model_dump()) for item in data.keys]


class KeyFile:
    """The hashed key file; safe to read while another process writes it (atomic replace)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: dict[str, Principal] = {}

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def load(self) -> list[StoredKey]:
        """The stored keys; [] when there is no file. Raises KeyFileError when it cannot be used."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
            raise KeyFileError(f"cannot read the API key file {self.path}: {reason}") from None
        return _parse(self.path, text)

    def principals(self) -> dict[str, Principal]:
        """{sha256: principal}, re-read only when the file changed. A file that cannot be used gives
        no keys (fail closed) and one log line per change, never an exception."""
        try:
            st = self.path.stat()
            stamp: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                had_keys = bool(self._keys)
                try:
                    keys = self.load()
                except KeyFileError as exc:
                    log.error("%s; its keys are refused until it is fixed", exc)
                    keys = []
                else:
                    if stamp is None and had_keys:
                        log.warning("the API key file %s is gone; its keys are refused", self.path)
                    elif stamp is not None:
                        log.info("API key file %s: %d key(s)", self.path, len(keys))
                self._keys = {k.sha256: Principal(id=k.id, name=k.name, admin=k.admin) for k in keys}
                self._stamp = stamp
            return self._keys

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the writers' lock (a lock file beside the key file, so readers never wait)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _write(self, keys: list[StoredKey]) -> None:
        """Replace the file atomically: readers see the old or the new file, never a part of one."""
        data = json.dumps({"keys": [asdict(k) for k in keys]}, indent=2).encode("utf-8")
        atomic_write(self.path, data, file_mode=0o600, fsync=True)

    def create(self, name: str, admin: bool) -> tuple[str, StoredKey]:
        """Make a new key; returns the secret (shown once) and what was stored. Refuses to touch a
        malformed file (KeyFileError) rather than replace the keys it holds."""
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        stored = StoredKey(
            id=f"key-{secrets.token_hex(8)}",
            name=name,
            admin=admin,
            sha256=hash_key(secret),
            created_at=time.time(),
        )
        with self._exclusive():
            self._write([*self.load(), stored])
        return secret, stored


class KeyRing:
    """All keys the service accepts: the environment's and the key file's.

    `open` (no keys: every caller is the anonymous admin) is decided when the ring is made. It can
    only close later (a key is created while it runs), never open again while the process lives."""

    def __init__(self, env_keys: dict[str, Principal], key_file: KeyFile | None) -> None:
        self.env_keys = env_keys
        self.key_file = key_file
        file_keys = key_file.load() if key_file is not None else []  # strict: KeyFileError at start
        self._open = not env_keys and not file_keys

    @classmethod
    def from_settings(cls, api_keys: str | None, key_file_path: Path) -> KeyRing:
        return cls(parse_env_keys(api_keys), KeyFile(key_file_path))

    def _all(self) -> dict[str, Principal]:
        file_keys = self.key_file.principals() if self.key_file is not None else {}
        return {**file_keys, **self.env_keys}

    @property
    def open(self) -> bool:
        """No keys were configured at start, and none has been created since."""
        if self._open and self._all():
            self._open = False
            log.warning("API keys exist now: every request needs one from here on")
        return self._open

    def authenticate(self, presented: str) -> Principal | None:
        return self._all().get(hash_key(presented))
