"""The SQLite store's job attachments: named documents kept with a job, written by compare-and-set."""

from __future__ import annotations

import sqlite3

from app.core.jobstore.base import Attachment, JobNotFound
from app.core.jobstore.common import attachment_from_row
from app.core.jobstore.sqlite_connection import NOW, SQLiteConnection, transaction


class SQLiteAttachments:
    """The attachments part of `SQLiteJobStore` (see `JobStore` for each method's contract)."""

    _db: SQLiteConnection

    async def get_attachment(self, job_id: str, name: str) -> Attachment | None:
        def get(conn: sqlite3.Connection) -> Attachment | None:
            sql = "SELECT * FROM job_attachments WHERE job_id = ? AND name = ?"
            row = conn.execute(sql, (job_id, name)).fetchone()
            return None if row is None else attachment_from_row(row)

        return await self._db.run(get)

    async def put_attachment(self, job_id: str, name: str, body: str, expected: int | None) -> int | None:
        def put(conn: sqlite3.Connection) -> int | None:
            # one write transaction: the check of the revision and the write cannot be split by
            # another process's write
            with transaction(conn):
                job = conn.execute("SELECT purged_at FROM jobs WHERE id = ?", (job_id,)).fetchone()
                if job is None:
                    raise JobNotFound(f"no job with id {job_id!r}")
                if job["purged_at"] is not None:
                    return None
                if expected is None:
                    sql = (
                        "INSERT INTO job_attachments (job_id, name, revision, body, updated_at)"
                        f" VALUES (?, ?, 1, ?, {NOW}) ON CONFLICT (job_id, name) DO NOTHING"
                    )
                    return 1 if conn.execute(sql, (job_id, name, body)).rowcount == 1 else None
                sql = (
                    f"UPDATE job_attachments SET body = ?, revision = revision + 1, updated_at = {NOW}"
                    " WHERE job_id = ? AND name = ? AND revision = ?"
                )
                written = conn.execute(sql, (body, job_id, name, expected)).rowcount == 1
                return expected + 1 if written else None

        return await self._db.run(put)
