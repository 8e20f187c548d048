"""The render through the resource manager and the disk cache (in-process, real espeak and ffmpeg)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.resource_manager import ResourceLimits, ResourceManager
from app.errors import MediaError
from app.services import picture, pipeline
from app.services.documents import document_from_bytes
from app.services.models import RenderOptions
from app.services.pipeline import Renderer

DOC = (
    b"# One\n\nThe first scene speaks.\n\n# Two\n\nThe second scene speaks too.\n\n# Three\n\nAnd a third.\n"
)


def renderer(tmp_path: Path, limits: ResourceLimits | None = None) -> Renderer:
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        resources=ResourceManager(limits or ResourceLimits()),
        cache=DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )


async def test_a_second_render_of_the_same_document_synthesizes_nothing(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC, "talk.md", None)
    first = await r.render(doc, tmp_path / "a.mp4", RenderOptions(voice="espeak:en-us"))
    assert r.tts.syntheses == 6 and r.visuals.drawn == 3  # a title and a sentence per scene
    second = await r.render(doc, tmp_path / "b.mp4", RenderOptions(voice="espeak:en-us"))
    assert r.tts.syntheses == 6, "the second render must take every sentence's speech from the cache"
    assert r.visuals.drawn == 3, "and every slide"
    assert abs(first.duration - second.duration) < 0.01
    assert (tmp_path / "a.srt").read_text() == (tmp_path / "b.srt").read_text()
    # a new process (a new Renderer on the same cache directory) hits the cache too
    r2 = renderer(tmp_path)
    await r2.render(doc, tmp_path / "c.mp4", RenderOptions(voice="espeak:en-us"))
    assert r2.tts.syntheses == 0 and r2.visuals.drawn == 0
    # an edited scene is the only one synthesized again
    edited = document_from_bytes(DOC.replace(b"And a third.", b"And a changed third."), "talk.md", None)
    await r2.render(edited, tmp_path / "d.mp4", RenderOptions(voice="espeak:en-us"))
    assert r2.tts.syntheses == 1 and r2.visuals.drawn == 1, "only the edited sentence is spoken again"


async def test_a_segments_key_takes_its_stills_digests_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stills' digests come from the cache's checks (made on store, verified on fetch): the
    segments' keys read no still again, and a re-render still finds every segment."""
    hashed: list[Path] = []
    real = picture.file_digest
    monkeypatch.setattr(picture, "file_digest", lambda path: hashed.append(path) or real(path))
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC, "talk.md", None)
    for name in ("a.mp4", "b.mp4"):
        await r.render(doc, tmp_path / name, RenderOptions(voice="espeak:en-us"))
    assert r.segments_encoded == 3, "the second render found every segment under the same key"
    assert hashed == []


async def test_tts_and_visual_work_stay_inside_their_slots(tmp_path: Path) -> None:
    r = renderer(tmp_path, ResourceLimits(max_concurrent_tts=1, max_concurrent_visual=2))
    many = "\n\n".join(f"# Scene {i}\n\nScene number {i} is here." for i in range(12)).encode()
    await r.render(document_from_bytes(many, "many.md", None), tmp_path / "m.mp4", RenderOptions(voice="en"))
    counts = r.resources.slot_counts()
    assert counts["tts"]["peak"] == 1 and counts["visual"]["peak"] == 2
    assert all(c["in_use"] == 0 for c in counts.values())


async def test_the_workspace_is_gone_after_success_and_after_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC, "talk.md", None)
    await r.render(doc, tmp_path / "ok.mp4")
    assert list((tmp_path / "tmp").iterdir()) == []

    async def broken_mux(*args: object, **kwargs: object) -> None:
        await asyncio.sleep(0)
        raise MediaError("ffmpeg failed while encoding the video: simulated")

    monkeypatch.setattr(pipeline, "mux", broken_mux)
    with pytest.raises(MediaError):
        await r.render(doc, tmp_path / "bad.mp4")
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "bad.mp4").exists() and not (tmp_path / "bad.srt").exists()
