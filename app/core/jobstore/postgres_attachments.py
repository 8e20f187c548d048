"""The PostgreSQL store's job attachments: named documents kept with a job, written by compare-and-set."""

from __future__ import annotations

import psycopg

from app.core.jobstore.base import Attachment, JobNotFound
from app.core.jobstore.common import attachment_from_row
from app.core.jobstore.postgres_connection import NOW, Conn, PostgresConnection


class PostgresAttachments:
    """The attachments part of `PostgresJobStore` (see `JobStore` for each method's contract)."""

    _db: PostgresConnection

    async def get_attachment(self, job_id: str, name: str) -> Attachment | None:
        row = await self._db.one(
            "SELECT * FROM job_attachments WHERE job_id = %(id)s AND name = %(name)s",
            {"id": job_id, "name": name},
        )
        return None if row is None else attachment_from_row(row)

    async def put_attachment(self, job_id: str, name: str, body: str, expected: int | None) -> int | None:
        # One statement each: a concurrent UPDATE of the same row waits for the first and then sees
        # its new revision, so only one of two writes from the same old revision matches. Run again
        # after a reconnect (the first run may have committed unseen), finding the row already at
        # the revision this write makes, holding this body, counts as written.
        revision = 1 if expected is None else expected + 1
        params = {"id": job_id, "name": name, "body": body, "rev": revision, "expected": expected}
        if expected is None:
            sql = (
                "INSERT INTO job_attachments (job_id, name, revision, body, updated_at)"
                f" SELECT id, %(name)s, 1, %(body)s, {NOW} FROM jobs"
                " WHERE id = %(id)s AND purged_at IS NULL"
                " ON CONFLICT (job_id, name) DO NOTHING RETURNING revision"
            )
        else:
            sql = (
                "UPDATE job_attachments SET body = %(body)s, revision = revision + 1,"
                f" updated_at = {NOW} WHERE job_id = %(id)s AND name = %(name)s"
                " AND revision = %(expected)s RETURNING revision"
            )
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
