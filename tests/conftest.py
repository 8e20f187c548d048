from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.processes import UNLOADED, kill_all, spawn

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"  # screenshots and other things to look at after a run
OUTPUT.mkdir(exist_ok=True)  # any test may save there, in any order, on a fresh clone

# Parts a user's machine may lack (postgres, browser, piper). A test that needs one calls
# `missing_part(name, reason)`: it skips on a developer's machine, but fails when the part is named
# in T2V_TEST_REQUIRE (CI sets it), so CI can never pass by skipping.
REQUIRED_PARTS = {p.strip() for p in os.environ.get("T2V_TEST_REQUIRE", "").split(",") if p.strip()}


def missing_part(name: str, reason: str) -> None:
    if name in REQUIRED_PARTS:
        pytest.fail(f"{name} is required here (T2V_TEST_REQUIRE) but unavailable: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


@dataclass
class CLI:
    """Runs the real `t2v` command in a subprocess with its own data directory."""

    env: dict[str, str]
    cwd: Path

    @property
    def data_dir(self) -> Path:
        return Path(self.env["T2V_DATA_DIR"])

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "app.cli", *args]

    def run(
        self, *args: str, input: bytes | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.argv(*args), env=self.env, cwd=self.cwd, input=input, capture_output=True, timeout=timeout
        )

    def popen(self, *args: str) -> subprocess.Popen:
        return spawn(
            self.argv(*args), env=self.env, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def leftover_temp_files(self) -> list[Path]:
        tmp = self.data_dir / "tmp"
        return sorted(tmp.rglob("*")) if tmp.exists() else []


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CLI]:
    env = dict(os.environ)
    env["T2V_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = str(ROOT)
    env.update(UNLOADED)
    env.pop("T2V_DEBUG", None)
    work = tmp_path / "work"
    work.mkdir()
    yield CLI(env=env, cwd=work)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium (never downloaded) driven by Playwright, one per test module; each
    test opens its own context. Skips, or fails under T2V_TEST_REQUIRE=browser, when either is absent."""
    chromium = shutil.which("chromium")
    if chromium is None:
        missing_part("browser", "no `chromium` on PATH (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_part("browser", "the playwright package is not installed")
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--allow-file-access-from-files",  # a file:// page's canvas may read a local video
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(autouse=True)
def _no_leftover_processes() -> Iterator[None]:
    """Whatever a test started with `tests.processes.spawn` is killed when it ends."""
    yield
    kill_all()
