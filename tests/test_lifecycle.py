"""DataLifecycle on a real SQLite store: files that outlive their job's purge are swept."""

from __future__ import annotations

from pathlib import Path

from app.core.jobstore.base import NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from app.core.lifecycle import DataLifecycle


async def test_a_sweep_removes_files_published_after_the_purge(tmp_path: Path) -> None:
    """A worker that checked its lease just before the purge may still move its files into place; so
    may a crash between the store write and the removal leave them. The next sweep removes them."""
    root = tmp_path / "artifacts"
    async with SQLiteJobStore(tmp_path / "jobs.db") as store:
        lifecycle = DataLifecycle(store, root, retention_seconds=None, interval=3600)
        for job_id in ("late", "kept", "../escape"):
            await store.enqueue(NewJob(job_id, {"document": job_id}))
        await lifecycle.purge("late")
        await store.purge("../escape")  # a store id that cannot name a directory is never a path
        for name in ("late", "kept"):
            (root / name).mkdir(parents=True)
            (root / name / "video.mp4").write_bytes(b"\0" * 10)
        (tmp_path / "escape").mkdir()
        assert await lifecycle.sweep() == []
        assert not (root / "late").exists()
        assert (root / "kept" / "video.mp4").exists() and (tmp_path / "escape").exists()
        await lifecycle.maybe_sweep()  # paced: within the interval it does nothing
        (root / "late").mkdir()
        await lifecycle.maybe_sweep()
        assert (root / "late").exists()
