"""Authentication fails closed, through a real `t2v serve` and the real `t2v keys` commands.

Keys made by `t2v keys create` live in `$T2V_DATA_DIR/api_keys.json`. Whatever happens to that file
while the server runs (moved, emptied, corrupted, deleted), the server never opens up: every caller
but the keys of T2V_API_KEYS gets 401, and the server says why in one log line.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.service import Server, free_port, served, service_env

pytestmark = pytest.mark.slow


def keys_cli(data_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", *args],
        env=service_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def create_key(data_dir: Path, name: str = "alice") -> str:
    made = keys_cli(data_dir, "create", "--name", name)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def statuses(server: Server, *keys: str | None) -> list[int]:
    """GET /v1/jobs (every user's jobs for an admin) as each caller; None is no key at all."""
    return [server.client(key).get("/v1/jobs").status_code for key in keys]


def move_away(path: Path) -> Callable[[], None]:
    aside = path.with_name("moved-away.json")
    path.rename(aside)
    return lambda: aside.rename(path)


def rewrite(path: Path, text: str) -> Callable[[], None]:
    good = path.read_bytes()
    path.write_text(text)
    return lambda: path.write_bytes(good)


def delete(path: Path) -> Callable[[], None]:
    good = path.read_bytes()
    path.unlink()
    return lambda: path.write_bytes(good)


BREAKAGES: dict[str, Callable[[Path], Callable[[], None]]] = {
    "moved": move_away,
    "emptied": lambda p: rewrite(p, ""),
    "corrupted": lambda p: rewrite(p, '{"keys": [{"id": "x", "sha256": '),
    "wrong shape": lambda p: rewrite(p, json.dumps({"keys": "everyone"})),
    "deleted": delete,
}


def test_a_key_file_that_breaks_under_a_running_server_never_opens_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = create_key(data)
    key_file = data / "api_keys.json"
    with served(tmp_path, "--workers", "0") as server:  # keys only in the file: no T2V_API_KEYS
        assert "WITHOUT API keys" not in server.output()
        assert statuses(server, key, None, "t2v_guess") == [200, 401, 401]
        for what, breaks in BREAKAGES.items():
            restore = breaks(key_file)
            lines_before = server.output().count(str(key_file))
            assert statuses(server, None, key, "t2v_guess") == [401, 401, 401], what
            anonymous = server.client().post("/v1/jobs", json={"text": "Hello."})
            assert anonymous.status_code == 401, (what, anonymous.text)
            assert server.client().get("/v1/status").status_code == 401, what
            assert server.output().count(str(key_file)) == lines_before + 1, (what, server.output())
            restore()
            assert statuses(server, key, None) == [200, 401], f"the key works again once {what} is undone"
        log = server.output()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log
    assert "malformed" in log and "empty" in log and "gone" in log, log


def test_keys_from_the_environment_keep_working_while_the_key_file_is_broken(tmp_path: Path) -> None:
    data = tmp_path / "data"
    file_key = create_key(data)
    with served(tmp_path, "--workers", "0", T2V_API_KEYS="admin:env-secret") as server:
        assert statuses(server, "env-secret", file_key, None) == [200, 200, 401]
        (data / "api_keys.json").write_text("not json at all")
        assert statuses(server, "env-secret", file_key, None) == [200, 401, 401]
        log = server.output()
    assert "Traceback" not in log and "malformed (not JSON)" in log, log


def test_a_malformed_key_file_at_start_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    key_file = data / "api_keys.json"
    key_file.write_text("{broken")
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=service_env(data),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(key_file) in lines[0] and "malformed" in lines[0], result.stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)

    # the key commands refuse it too, and never replace the keys it may still hold
    for args in (("create", "--name", "bob"), ("list",)):
        refused = keys_cli(data, *args)
        assert refused.returncode == 2 and refused.stdout == "", refused
        assert len(refused.stderr.strip().splitlines()) == 1 and "malformed" in refused.stderr
    assert key_file.read_text() == "{broken"


def test_concurrent_key_creates_all_persist(tmp_path: Path) -> None:
    data = tmp_path / "data"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "keys", "create", "--name", f"k{i}"],
            env=service_env(data),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(20)
    ]
    secrets = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        secrets.append(out.strip())
    stored = json.loads((data / "api_keys.json").read_text())["keys"]
    assert sorted(k["name"] for k in stored) == sorted(f"k{i}" for i in range(20))
    assert {k["sha256"] for k in stored} == {hashlib.sha256(s.encode()).hexdigest() for s in secrets}
    listed = keys_cli(data, "list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 20
    assert oct(os.stat(data / "api_keys.json").st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in data.iterdir() if p.name.startswith(".")) == [], "no temp files left"
