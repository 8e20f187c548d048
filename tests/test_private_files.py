"""Only the user t2v runs as can read its data directory (issue 11.6): stat the real files after a real
`t2v render`, `t2v submit` + `t2v worker`, `t2v keys create` and `t2v serve`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.service import served
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

DOC = "# Private\n\nThis narration is nobody else's business.\n"


def modes(data_dir: Path) -> dict[str, int]:
    """Permission bits of the data directory and of everything under it."""
    found = {".": stat.S_IMODE(data_dir.stat().st_mode)}
    for path in data_dir.rglob("*"):
        found[str(path.relative_to(data_dir))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def loose(data_dir: Path) -> dict[str, str]:
    """What is not 0700 (directories) or 0600 (files)."""
    bad = {}
    for name, mode in modes(data_dir).items():
        wanted = 0o700 if (data_dir / name).is_dir() else 0o600
        if mode != wanted:
            bad[name] = oct(mode)
    return bad


@pytest.fixture
def user_umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_render_keeps_the_data_directory_private_and_the_video_the_users(cli: CLI, user_umask: int) -> None:
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")
    result = cli.run("render", "talk.md", "-o", "out/talk.mp4", "-q")
    assert result.returncode == 0, result.stderr.decode()
    names = set(modes(cli.data_dir))
    assert any(n.startswith("cache/") and n.endswith(".mp4") for n in names), names
    assert loose(cli.data_dir) == {}
    # the video goes where the user asked, with the user's own umask
    for name in ("out", "out/talk.mp4", "out/talk.srt", "out/talk.vtt"):
        path = cli.cwd / name
        default = 0o777 if path.is_dir() else 0o666
        assert stat.S_IMODE(path.stat().st_mode) == default & ~user_umask, name


def test_queue_worker_keys_and_serve_write_only_private_files(cli: CLI, tmp_path: Path) -> None:
    # a data directory made by an older t2v: world-readable, with a world-readable job store
    cli.data_dir.mkdir(mode=0o755)
    os.chmod(cli.data_dir, 0o755)
    (cli.data_dir / "jobs.db").touch(mode=0o644)
    os.chmod(cli.data_dir / "jobs.db", 0o644)
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")

    key = cli.run("keys", "create", "--name", "tester")
    assert key.returncode == 0, key.stderr.decode()
    submitted = cli.run("submit", "talk.md")
    assert submitted.returncode == 0, submitted.stderr.decode()
    worked = cli.run("worker", "--burst")
    assert worked.returncode == 0, worked.stderr.decode()
    assert b"1 job(s) completed" in worked.stdout

    with served(tmp_path, "--workers", "1") as server:
        assert server.data_dir == cli.data_dir
        client = server.client(key.stdout.decode().strip())
        created = client.post("/v1/jobs", json={"text": DOC, "format": "md"})
        assert created.status_code == 202, created.text
        url = created.json()["links"]["self"]
        status = wait_until(
            lambda: (s := client.get(url).json()["status"]) in ("completed", "failed") and s,
            timeout=180,
            interval=0.2,
            what="the job to finish",
        )
        assert status == "completed"
        names = set(modes(cli.data_dir))
        expected = {"jobs.db", "jobs.db-wal", "jobs.db-shm", "api_keys.json", "api_secret", "artifacts"}
        assert expected <= names, names
        assert sum(n.startswith("artifacts/") and n.endswith("video.mp4") for n in names) == 2
        assert loose(cli.data_dir) == {}
