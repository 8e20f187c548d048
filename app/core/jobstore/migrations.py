"""Versioned schema migrations for the job stores.

Each migration has a version, a name and, per dialect, either a sequence of SQL statements or a
callable that receives the connection. `upgrade` applies the missing ones in order, each in its own
transaction that also records it in `schema_version`, so a crash leaves the schema at a known version.
Several processes may open one database at once: each migration's transaction takes the write lock
first (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock) and re-reads the version inside it, so a
migration is applied exactly once.

The connection is a DB-API connection in autocommit mode with an `execute(sql, params)` method that
returns a cursor (`sqlite3.Connection` with isolation_level=None, psycopg 3's `Connection` with
autocommit=True): transactions are begun explicitly here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Step = Sequence[str] | Callable[[Any], None]


class MigrationError(Exception):
    """The schema cannot be brought to the version this code expects."""


@dataclass(frozen=True)
class Dialect:
    """What differs between engines for running migrations."""

    name: str
    begin: tuple[str, ...]  # statements that open a transaction holding the migration lock
    placeholder: str  # DB-API parameter marker


SQLITE = Dialect("sqlite", ("BEGIN IMMEDIATE",), "?")
# A transaction-scoped advisory lock serialises concurrent upgrades (CREATE TABLE IF NOT EXISTS alone
# races in PostgreSQL). The key is arbitrary but fixed: the bytes "t2v_sche" as a big-endian integer.
POSTGRES = Dialect("postgresql", ("BEGIN", "SELECT pg_advisory_xact_lock(8372884809565038693)"), "%s")
DIALECTS = {d.name: d for d in (SQLITE, POSTGRES)}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    steps: Mapping[str, Step]  # dialect name -> statements or callable(conn)


# --- the job store's schema ---------------------------------------------------------------------

_SQLITE_V1 = (
    """
    CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        priority INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        queued_at REAL NOT NULL,
        run_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        lease_token TEXT,
        lease_until REAL,
        worker_id TEXT,
        stage TEXT,
        percent REAL NOT NULL DEFAULT 0,
        errors TEXT NOT NULL DEFAULT '[]',
        result TEXT,
        owner TEXT,
        file_size INTEGER
    )
    """,
    # claim: a partial index over waiting jobs in claim order, so the claim is an ordered index scan
    # that stops at the first eligible row (an index led by status would need a sort for the IN).
    "CREATE INDEX jobs_claim ON jobs (priority DESC, seq) WHERE status IN ('queued', 'retrying')",
    # reap (status = 'processing'), stats, and listing by status newest first
    "CREATE INDEX jobs_status ON jobs (status, seq)",
    # per-owner listing and waiting counts
    "CREATE INDEX jobs_owner ON jobs (owner, status, seq)",
    """
    CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at REAL NOT NULL,
        last_seen REAL NOT NULL,
        running TEXT NOT NULL DEFAULT '[]'
    )
    """,
)

# PostgreSQL: the same columns; times stay epoch seconds (double precision) so records look the same on
# both engines, JSON columns are jsonb. A trigger NOTIFYs `t2v_jobs` whenever a job becomes waiting
# (enqueue, release, retry, reap, a scheduled retry), whoever wrote it, so idle workers wake at once.
_POSTGRES_V1 = (
    """
    CREATE TABLE jobs (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        payload JSONB NOT NULL,
        priority SMALLINT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        queued_at DOUBLE PRECISION NOT NULL,
        run_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION,
        finished_at DOUBLE PRECISION,
        lease_token TEXT,
        lease_until DOUBLE PRECISION,
        worker_id TEXT,
        stage TEXT,
        percent DOUBLE PRECISION NOT NULL DEFAULT 0,
        errors JSONB NOT NULL DEFAULT '[]',
        result JSONB,
        owner TEXT,
        file_size BIGINT
    )
    """,
    "CREATE INDEX jobs_claim ON jobs (priority DESC, seq) WHERE status IN ('queued', 'retrying')",
    "CREATE INDEX jobs_status ON jobs (status, seq)",
    "CREATE INDEX jobs_owner ON jobs (owner, status, seq)",
    """
    CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        last_seen DOUBLE PRECISION NOT NULL,
        running JSONB NOT NULL DEFAULT '[]'
    )
    """,
    """
    CREATE FUNCTION t2v_notify_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('t2v_jobs', NEW.status);
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER jobs_enqueued AFTER INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION t2v_notify_waiting()
    """,
    """
    CREATE TRIGGER jobs_waiting AFTER UPDATE OF status ON jobs FOR EACH ROW
    WHEN (NEW.status IN ('queued', 'retrying') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION t2v_notify_waiting()
    """,
)

# Data lifecycle: artifacts' size per job (per-key quotas) and tombstones of purged jobs (retention,
# deletion by the owner). Partial indexes keep the retention sweep, the purge look-back and the quota
# sum cheap however many tombstones accumulate (a purge clears artifacts_bytes).
_LIFECYCLE_INDEXES = (
    "CREATE INDEX jobs_unpurged ON jobs (finished_at) WHERE purged_at IS NULL AND finished_at IS NOT NULL",
    "CREATE INDEX jobs_purged ON jobs (purged_at) WHERE purged_at IS NOT NULL",
    "CREATE INDEX jobs_artifacts ON jobs (owner, artifacts_bytes) WHERE artifacts_bytes IS NOT NULL",
)
_SQLITE_V2 = (
    "ALTER TABLE jobs ADD COLUMN artifacts_bytes INTEGER",
    "ALTER TABLE jobs ADD COLUMN purged_at REAL",
    *_LIFECYCLE_INDEXES,
)
_POSTGRES_V2 = (
    "ALTER TABLE jobs ADD COLUMN artifacts_bytes BIGINT",
    "ALTER TABLE jobs ADD COLUMN purged_at DOUBLE PRECISION",
    *_LIFECYCLE_INDEXES,
)

# Attachments: named documents kept with a job (an editor's storyboard), written by compare-and-set
# on `revision` (a digest until version 4, a counter since). Purging a job deletes them (a trigger,
# so every way of purging does).
_ATTACHMENTS = (
    "CREATE TABLE {table} (job_id TEXT NOT NULL, name TEXT NOT NULL, revision {revision} NOT NULL,"
    " body TEXT NOT NULL, updated_at {time} NOT NULL, PRIMARY KEY (job_id, name))"
)
_SQLITE_V3 = (
    _ATTACHMENTS.format(table="job_attachments", revision="TEXT", time="REAL"),
    """
    CREATE TRIGGER jobs_purged_attachments AFTER UPDATE OF purged_at ON jobs
    WHEN NEW.purged_at IS NOT NULL
    BEGIN
        DELETE FROM job_attachments WHERE job_id = NEW.id;
    END
    """,
)
_POSTGRES_V3 = (
    _ATTACHMENTS.format(table="job_attachments", revision="TEXT", time="DOUBLE PRECISION"),
    """
    CREATE FUNCTION t2v_drop_attachments() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM job_attachments WHERE job_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER jobs_purged_attachments AFTER UPDATE OF purged_at ON jobs FOR EACH ROW
    WHEN (NEW.purged_at IS NOT NULL)
    EXECUTE FUNCTION t2v_drop_attachments()
    """,
)

# Attachment revisions become a counter the store bumps on each write: a digest of the content let a
# reader of an old A write over A->B->A (a lost update). Revisions kept before this count as 1.
# SQLite cannot change a column's type: the table is made again (its purge trigger with it).
_SQLITE_V4 = (
    "DROP TRIGGER jobs_purged_attachments",
    _ATTACHMENTS.format(table="job_attachments_v4", revision="INTEGER", time="REAL"),
    "INSERT INTO job_attachments_v4 (job_id, name, revision, body, updated_at)"
    " SELECT job_id, name, 1, body, updated_at FROM job_attachments",
    "DROP TABLE job_attachments",
    "ALTER TABLE job_attachments_v4 RENAME TO job_attachments",
    _SQLITE_V3[1],
)
_POSTGRES_V4 = ("ALTER TABLE job_attachments ALTER COLUMN revision TYPE BIGINT USING 1",)

# Attachments count towards their owner's quota: each keeps its body's size in bytes, written with the
# body, so the quota's sum never reads the bodies (a storyboard's pictures are megabytes).
_SQLITE_V5 = (
    "ALTER TABLE job_attachments ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0",
    "UPDATE job_attachments SET bytes = length(CAST(body AS BLOB))",
)
_POSTGRES_V5 = (
    "ALTER TABLE job_attachments ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0",
    "UPDATE job_attachments SET bytes = octet_length(body)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "jobs and workers", {"sqlite": _SQLITE_V1, "postgresql": _POSTGRES_V1}),
    Migration(2, "artifact sizes and purged jobs", {"sqlite": _SQLITE_V2, "postgresql": _POSTGRES_V2}),
    Migration(3, "job attachments", {"sqlite": _SQLITE_V3, "postgresql": _POSTGRES_V3}),
    Migration(4, "attachment revisions count writes", {"sqlite": _SQLITE_V4, "postgresql": _POSTGRES_V4}),
    Migration(5, "attachment sizes", {"sqlite": _SQLITE_V5, "postgresql": _POSTGRES_V5}),
)


# --- the mechanism ------------------------------------------------------------------------------


def dialect_of(conn: Any) -> Dialect:
    """The dialect of a connection; only SQLite is recognised by type, others must be named."""
    if isinstance(conn, sqlite3.Connection):
        return SQLITE
    raise MigrationError(f"cannot tell the SQL dialect of {type(conn).__name__}: pass dialect=")


def _ensure_version_table(conn: Any) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )


def _read_version(conn: Any) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def current_version(conn: Any) -> int:
    """The highest applied version; 0 for an empty database."""
    _ensure_version_table(conn)
    return _read_version(conn)


def _check_order(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] < 1):
        raise MigrationError(f"migration versions must be unique, positive and ascending: {versions}")


def upgrade(
    conn: Any, migrations: Sequence[Migration] = MIGRATIONS, dialect: Dialect | str | None = None
) -> int:
    """Apply every missing migration in order; returns the resulting version.

    Refuses a database whose version is newer than the newest migration known here, rather than run
    old code against a schema it does not understand."""
    _check_order(migrations)
    d = DIALECTS[dialect] if isinstance(dialect, str) else dialect or dialect_of(conn)
    _ensure_version_table(conn)
    latest = migrations[-1].version if migrations else 0
    if (found := _read_version(conn)) > latest:
        raise MigrationError(
            f"the database schema is at version {found}, newer than this t2v knows ({latest}): upgrade t2v"
        )
    for migration in migrations:
        step = migration.steps.get(d.name)
        if step is None or isinstance(step, str):
            raise MigrationError(
                f"migration {migration.version} ({migration.name}) needs a {d.name} statement list"
                " or callable"
            )
        for statement in d.begin:
            conn.execute(statement)
        try:
            if _read_version(conn) >= migration.version:  # another process got here first
                conn.execute("COMMIT")
                continue
            if callable(step):
                step(conn)
            else:
                for statement in step:
                    conn.execute(statement)
            p = d.placeholder
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at)"
                f" VALUES ({p}, {p}, CURRENT_TIMESTAMP)",
                (migration.version, migration.name),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return _read_version(conn)
