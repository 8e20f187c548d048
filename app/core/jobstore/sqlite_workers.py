"""The SQLite store's worker registry (Solid Queue's processes table): who runs, where, doing what."""

from __future__ import annotations

import json
import sqlite3

from app.core.jobstore.base import WorkerInfo
from app.core.jobstore.common import dump_json, worker_from_row
from app.core.jobstore.sqlite_connection import NOW, SQLiteConnection, transaction


class SQLiteWorkers:
    """The worker-registry part of `SQLiteJobStore` (see `JobStore` for each method's contract)."""

    _db: SQLiteConnection

    async def register_worker(self, worker_id: str, host: str, pid: int) -> None:
        def register(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO workers (id, host, pid, started_at, last_seen, running)"
                    f" VALUES (?, ?, ?, {NOW}, {NOW}, '[]') ON CONFLICT (id) DO UPDATE SET"
                    " host = excluded.host, pid = excluded.pid, started_at = excluded.started_at,"
                    " last_seen = excluded.last_seen, running = excluded.running",
                    (worker_id, host, int(pid)),
                )

        await self._db.run(register)

    async def worker_heartbeat(self, worker_id: str, running: tuple[str, ...]) -> bool:
        running_json = dump_json(list(running), "running job ids")

        def beat(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                sql = f"UPDATE workers SET last_seen = {NOW}, running = ? WHERE id = ?"
                return conn.execute(sql, (running_json, worker_id)).rowcount == 1

        return await self._db.run(beat)

    async def deregister_worker(self, worker_id: str) -> None:
        def deregister(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute("DELETE FROM workers WHERE id = ?", (worker_id,))

        await self._db.run(deregister)

    async def list_workers(self) -> list[WorkerInfo]:
        def list_workers(conn: sqlite3.Connection) -> list[WorkerInfo]:
            return [
                worker_from_row(r, json.loads)
                for r in conn.execute("SELECT * FROM workers ORDER BY started_at, id")
            ]

        return await self._db.run(list_workers)

    async def prune_workers(self, older_than: float) -> list[str]:
        def prune(conn: sqlite3.Connection) -> list[str]:
            with transaction(conn):
                sql = f"DELETE FROM workers WHERE last_seen < {NOW} - ? RETURNING id"
                return sorted(r[0] for r in conn.execute(sql, (float(older_than),)).fetchall())

        return await self._db.run(prune)
