"""The SQLite store's job attachments: named documents kept with a job, written by compare-and-set."""

from __future__ import annotations

import json
import sqlite3

from app.core.jobstore.base import Attachment, AttachmentEdit, JobNotFound, StaleAttachment
from app.core.jobstore.common import attachment_from_row, text_bytes
from app.core.jobstore.sqlite_connection import NOW, SQLiteConnection, transaction

_INSERT = (
    "INSERT INTO job_attachments (job_id, name, revision, body, bytes, updated_at)"
    f" VALUES (?, ?, 1, ?, ?, {NOW}) ON CONFLICT (job_id, name) DO NOTHING"
)
_UPDATE = (
    f"UPDATE job_attachments SET body = ?, bytes = ?, revision = revision + 1, updated_at = {NOW}"
    " WHERE job_id = ? AND name = ? AND revision = ?"
)


def write_edit(conn: sqlite3.Connection, edit: AttachmentEdit) -> None:
    """Make `edit` inside the caller's write transaction; StaleAttachment (the caller rolls back) when
    the attachment is not at `edit.expected` (a purged job has none)."""
    params = (edit.body, text_bytes(edit.body), edit.job_id, edit.name, edit.expected)
    if conn.execute(_UPDATE, params).rowcount != 1:
        raise StaleAttachment(f"{edit.name!r} of job {edit.job_id!r} is not at revision {edit.expected}")
    for name, body in edit.parts.items():
        if body is not None:
            conn.execute(_INSERT, (edit.job_id, name, body, text_bytes(body)))
    conn.execute(
        "DELETE FROM job_attachments WHERE job_id = ? AND substr(name, 1, ?) = ?"
        " AND name NOT IN (SELECT value FROM json_each(?))",
        (edit.job_id, len(edit.prefix), edit.prefix, json.dumps(list(edit.parts))),
    )


class SQLiteAttachments:
    """The attachments part of `SQLiteJobStore` (see `JobStore` for each method's contract)."""

    _db: SQLiteConnection

    async def get_attachment(self, job_id: str, name: str) -> Attachment | None:
        def get(conn: sqlite3.Connection) -> Attachment | None:
            sql = "SELECT * FROM job_attachments WHERE job_id = ? AND name = ?"
            row = conn.execute(sql, (job_id, name)).fetchone()
            return None if row is None else attachment_from_row(row)

        return await self._db.run(get)

    async def attachment_revision(self, job_id: str, name: str) -> int | None:
        def revision(conn: sqlite3.Connection) -> int | None:
            sql = "SELECT revision FROM job_attachments WHERE job_id = ? AND name = ?"
            row = conn.execute(sql, (job_id, name)).fetchone()
            return None if row is None else int(row[0])

        return await self._db.run(revision)

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
                    written = conn.execute(_INSERT, (job_id, name, body, text_bytes(body))).rowcount == 1
                    return 1 if written else None
                params = (body, text_bytes(body), job_id, name, expected)
                return expected + 1 if conn.execute(_UPDATE, params).rowcount == 1 else None

        return await self._db.run(put)
