"""The PostgreSQL store's job attachments: named documents kept with a job, written by compare-and-set."""

from __future__ import annotations

import psycopg

from app.core.jobstore.base import Attachment, AttachmentEdit, JobNotFound, StaleAttachment
from app.core.jobstore.common import attachment_from_row, text_bytes
from app.core.jobstore.postgres_connection import NOW, Conn, PostgresConnection

_UPDATE = (
    "UPDATE job_attachments SET body = %(body)s, bytes = %(bytes)s, revision = revision + 1,"
    f" updated_at = {NOW} WHERE job_id = %(id)s AND name = %(name)s"
    " AND revision = %(expected)s RETURNING revision"
)


async def write_edit(conn: Conn, edit: AttachmentEdit) -> None:
    """Make `edit` inside the caller's transaction; StaleAttachment (the caller's transaction rolls
    back) when the attachment is not at `edit.expected`. The job's row is share-locked first: a purge
    waits for this transaction and then deletes what it added, or came first and the edit is stale."""
    params = {
        "id": edit.job_id,
        "name": edit.name,
        "body": edit.body,
        "bytes": text_bytes(edit.body),
        "expected": edit.expected,
        "prefix": edit.prefix,
        "keep": list(edit.parts),
    }
    live = "SELECT 1 AS one FROM jobs WHERE id = %(id)s AND purged_at IS NULL FOR SHARE"
    if await (await conn.execute(live, params)).fetchone() is None:
        raise StaleAttachment(f"job {edit.job_id!r} is purged")
    if await (await conn.execute(_UPDATE, params)).fetchone() is None:
        raise StaleAttachment(f"{edit.name!r} of job {edit.job_id!r} is not at revision {edit.expected}")
    insert = (
        "INSERT INTO job_attachments (job_id, name, revision, body, bytes, updated_at)"
        f" VALUES (%(id)s, %(name)s, 1, %(body)s, %(bytes)s, {NOW}) ON CONFLICT (job_id, name) DO NOTHING"
    )
    for name, body in edit.parts.items():
        if body is not None:
            await conn.execute(
                insert, {"id": edit.job_id, "name": name, "body": body, "bytes": text_bytes(body)}
            )
    await conn.execute(
        "DELETE FROM job_attachments WHERE job_id = %(id)s AND starts_with(name, %(prefix)s)"
        " AND NOT name = ANY(%(keep)s::text[])",
        params,
    )


class PostgresAttachments:
    """The attachments part of `PostgresJobStore` (see `JobStore` for each method's contract)."""

    _db: PostgresConnection

    async def get_attachment(self, job_id: str, name: str) -> Attachment | None:
        row = await self._db.one(
            "SELECT * FROM job_attachments WHERE job_id = %(id)s AND name = %(name)s",
            {"id": job_id, "name": name},
        )
        return None if row is None else attachment_from_row(row)

    async def attachment_revision(self, job_id: str, name: str) -> int | None:
        row = await self._db.one(
            "SELECT revision FROM job_attachments WHERE job_id = %(id)s AND name = %(name)s",
            {"id": job_id, "name": name},
        )
        return None if row is None else int(row["revision"])

    async def put_attachment(self, job_id: str, name: str, body: str, expected: int | None) -> int | None:
        # One statement each: a concurrent UPDATE of the same row waits for the first and then sees
        # its new revision, so only one of two writes from the same old revision matches. Run again
        # after a reconnect (the first run may have committed unseen), finding the row already at
        # the revision this write makes, holding this body, counts as written.
        revision = 1 if expected is None else expected + 1
        params = {
            "id": job_id,
            "name": name,
            "body": body,
            "bytes": text_bytes(body),
            "rev": revision,
            "expected": expected,
        }
        if expected is None:
            sql = (
                "INSERT INTO job_attachments (job_id, name, revision, body, bytes, updated_at)"
                f" SELECT id, %(name)s, 1, %(body)s, %(bytes)s, {NOW} FROM jobs"
                " WHERE id = %(id)s AND purged_at IS NULL"
                " ON CONFLICT (job_id, name) DO NOTHING RETURNING revision"
            )
        else:
            sql = _UPDATE
        held = (
            "SELECT 1 AS one FROM job_attachments WHERE job_id = %(id)s AND name = %(name)s"
            " AND revision = %(rev)s AND body = %(body)s"
        )

        async def first(conn: Conn) -> bool:
            return await (await conn.execute(sql, params)).fetchone() is not None

        async def again(conn: Conn) -> bool:
            return await (await conn.execute(held, params)).fetchone() is not None or await first(conn)

        try:
            if await self._db.run(first, again):
                return revision
        except psycopg.DataError as exc:  # e.g. NUL characters, which PostgreSQL text cannot hold
            raise ValueError(f"the attachment cannot be stored: {exc}") from None
        if await self._db.one("SELECT 1 AS one FROM jobs WHERE id = %(id)s", params) is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return None
