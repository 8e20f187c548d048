"""The PostgreSQL store's per-owner limits: the counts an `Admission` checks, and the lock that keeps
them from changing between the check and the insert."""

from __future__ import annotations

from app.core.jobstore.base import Admission
from app.core.jobstore.postgres_connection import Conn, PostgresConnection

WAITING = "status IN ('queued', 'retrying')"  # the partial index jobs_claim's predicate
# Admission takes a transaction-scoped advisory lock per owner: (this class, hashtext(owner)). The
# two-int4 key space never overlaps the bigint migration lock (postgres_connection). The value is
# "t2v" and 1 as bytes.
_OWNER_LOCK_CLASS = 0x74327601


def _owner_is(owner: str | None, column: str = "owner") -> str:
    """`column = owner`, or IS NULL for none: `IS NOT DISTINCT FROM` would say the same, but
    PostgreSQL cannot use the owner index for it (a scan of every job, tombstones too, per submit)."""
    return f"{column} = %(owner)s" if owner is not None else f"{column} IS NULL"


def _waiting_sql(owner: str | None) -> str:
    return f"SELECT COUNT(*) AS n FROM jobs WHERE {_owner_is(owner)} AND {WAITING}"


def _stored_bytes_sql(owner: str | None) -> str:
    # a purged job has no attachments left (its purge deleted them)
    return (
        "SELECT (SELECT COALESCE(SUM(artifacts_bytes), 0) FROM jobs"
        f" WHERE {_owner_is(owner)} AND artifacts_bytes IS NOT NULL)"
        " + (SELECT COALESCE(SUM(a.bytes), 0) FROM jobs AS j JOIN job_attachments AS a ON a.job_id = j.id"
        f" WHERE {_owner_is(owner, 'j.owner')}) AS n"
    )


async def _count(conn: Conn, sql: str, owner: str | None) -> int:
    row = await (await conn.execute(sql, {"owner": owner})).fetchone()
    return int(row["n"]) if row else 0


async def lock_owner(conn: Conn, owner: str | None) -> None:
    """Hold the owner's admission lock until the caller's transaction ends: concurrent submits of one
    owner (from any process or host) queue behind it."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(%(class)s, hashtext(COALESCE(%(owner)s, '')))",
        {"class": _OWNER_LOCK_CLASS, "owner": owner},
    )


async def admit(conn: Conn, owner: str | None, admission: Admission) -> None:
    """Raise if the owner is over a limit; called inside the enqueue's transaction, under its lock."""
    if admission.max_waiting is not None:
        admission.check_waiting(await _count(conn, _waiting_sql(owner), owner))
    if admission.max_artifact_bytes is not None:
        admission.check_artifacts(await _count(conn, _stored_bytes_sql(owner), owner))


class PostgresAdmission:
    """The per-owner counts of `PostgresJobStore` (see `JobStore` for each method's contract)."""

    _db: PostgresConnection

    async def count_waiting(self, owner: str | None) -> int:
        return await self._db.run(lambda conn: _count(conn, _waiting_sql(owner), owner))

    async def artifact_bytes(self, owner: str | None) -> int:
        return await self._db.run(lambda conn: _count(conn, _stored_bytes_sql(owner), owner))
