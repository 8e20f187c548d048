"""The PostgreSQL store's worker registry (Solid Queue's processes table): who runs, where, doing what."""

from __future__ import annotations

from app.core.jobstore.base import WorkerInfo
from app.core.jobstore.common import dump_json, worker_from_row
from app.core.jobstore.postgres_connection import NOW, PostgresConnection


class PostgresWorkers:
    """The worker-registry part of `PostgresJobStore` (see `JobStore` for each method's contract)."""

    _db: PostgresConnection

    async def register_worker(self, worker_id: str, host: str, pid: int) -> None:
        await self._db.all(
            "INSERT INTO workers (id, host, pid, started_at, last_seen, running)"
            f" VALUES (%(id)s, %(host)s, %(pid)s, {NOW}, {NOW}, '[]') ON CONFLICT (id) DO UPDATE SET"
            " host = excluded.host, pid = excluded.pid, started_at = excluded.started_at,"
            " last_seen = excluded.last_seen, running = excluded.running RETURNING id",
            {"id": worker_id, "host": host, "pid": int(pid)},
        )

    async def worker_heartbeat(self, worker_id: str, running: tuple[str, ...]) -> bool:
        row = await self._db.one(
            f"UPDATE workers SET last_seen = {NOW}, running = %(running)s::jsonb WHERE id = %(id)s"
            " RETURNING id",
            {"id": worker_id, "running": dump_json(list(running), "running job ids")},
        )
        return row is not None

    async def deregister_worker(self, worker_id: str) -> None:
        await self._db.all("DELETE FROM workers WHERE id = %(id)s RETURNING id", {"id": worker_id})

    async def list_workers(self) -> list[WorkerInfo]:
        return [
            worker_from_row(r) for r in await self._db.all("SELECT * FROM workers ORDER BY started_at, id")
        ]

    async def prune_workers(self, older_than: float) -> list[str]:
        rows = await self._db.all(
            f"DELETE FROM workers WHERE last_seen < {NOW} - %(age)s RETURNING id", {"age": float(older_than)}
        )
        return sorted(r["id"] for r in rows)
