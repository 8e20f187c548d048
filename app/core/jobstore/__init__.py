"""Job stores: SQLite (default, one machine) and PostgreSQL (many machines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.jobstore.base import JobStore

if TYPE_CHECKING:
    from app.config import Settings


def create_store(settings: Settings) -> JobStore:
    """The store the settings name: T2V_DATABASE_URL if set, else SQLite in the data directory."""
    url = getattr(settings, "database_url", None)
    if url and not url.startswith("sqlite"):
        raise ValueError(f"unsupported database URL {url!r}: PostgreSQL support comes with the cluster store")
    from app.core.jobstore.sqlite import SQLiteJobStore

    path = settings.data_dir / "jobs.db"
    if url and url.startswith("sqlite:///"):
        from pathlib import Path

        path = Path(url.removeprefix("sqlite:///"))
    return SQLiteJobStore(path)
