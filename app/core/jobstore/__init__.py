"""Job stores: SQLite (default, one machine) and PostgreSQL (many machines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.jobstore.base import JobStore
from app.core.permissions import secure_data_dir

if TYPE_CHECKING:
    from app.config import Settings


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def create_store(settings: Settings) -> JobStore:
    """The store the settings name: T2V_DATABASE_URL if set, else SQLite in the data directory."""
    url = getattr(settings, "database_url", None)
    if url and url.startswith(POSTGRES_SCHEMES):
        from app.core.jobstore.postgres import PostgresJobStore

        return PostgresJobStore(url)
    if url and not url.startswith("sqlite"):
        raise ValueError(f"unsupported database URL {url!r}: use postgresql://... or sqlite:///PATH")
    from app.core.jobstore.sqlite import SQLiteJobStore

    if url and url.startswith("sqlite:///"):
        from pathlib import Path

        return SQLiteJobStore(Path(url.removeprefix("sqlite:///")))
    return SQLiteJobStore(secure_data_dir(settings.data_dir) / "jobs.db")


async def upgrade_schema(settings: Settings) -> tuple[JobStore, int]:
    """Create or migrate the schema of the store the settings name (`t2v db upgrade`); returns the
    store and its schema version. Opening a store migrates it, so this is open, read, close."""
    from app.core.jobstore import migrations

    store = create_store(settings)
    await store.open()
    try:
        from app.core.jobstore.postgres import PostgresJobStore

        if isinstance(store, PostgresJobStore):
            return store, await store.schema_version()
        import sqlite3

        from app.core.jobstore.sqlite import SQLiteJobStore

        assert isinstance(store, SQLiteJobStore)
        conn = sqlite3.connect(store.path)
        try:
            return store, migrations.current_version(conn)
        finally:
            conn.close()
    finally:
        await store.close()
