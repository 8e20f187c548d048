"""PostgreSQL for tests: a private schema per test on the server named by T2V_TEST_POSTGRES_URL.

Each test gets a fresh schema (`search_path` set in the URL's connection options), so tests never see
each other's jobs, and the schema is dropped afterwards. Without a reachable server the test skips,
or fails when T2V_TEST_REQUIRE names postgres (CI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest

from tests.conftest import missing_part
from tests.waiting import wait_until

SERVER_URL = os.environ.get("T2V_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def schema_url(schema: str, base: str = SERVER_URL) -> str:
    """`base` with its search_path set to `schema` (the store creates its tables there)."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


def server_error() -> str | None:
    try:
        with psycopg.connect(SERVER_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__


def create_schema(prefix: str = "t2v_test") -> str:
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema


def drop_schema(schema: str) -> None:
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh, private schema; dropped after the test. A server that is restarting (a test
    restarts it) or stopped is waited for, or started, before the test is skipped."""
    if server_error() is not None:
        with contextlib.suppress(AssertionError):
            wait_until_ready(timeout=30)
    if (error := server_error()) is not None:
        missing_part("postgres", f"no server at {SERVER_URL}: {error}")
    schema = create_schema()
    try:
        yield schema_url(schema)
    finally:
        wait_until_ready()
        drop_schema(schema)


def cluster_command(action: str) -> list[str]:
    """pg_ctlcluster for the one local cluster (needs root, like CI)."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        pytest.skip("no local PostgreSQL cluster to control")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", action]


def wait_until_ready(timeout: float = 60.0) -> None:
    """Wait for the server to accept connections; start it if it is down (a test restarted it)."""
    started = False

    def ready() -> bool:
        nonlocal started
        if server_error() is None:
            return True
        if not started and os.path.isdir("/etc/postgresql") and shutil.which("pg_ctlcluster"):
            subprocess.run(cluster_command("start"), capture_output=True, timeout=60)
            started = True
        return False

    wait_until(ready, timeout=timeout, interval=0.2, what=f"PostgreSQL at {SERVER_URL} to come back")
