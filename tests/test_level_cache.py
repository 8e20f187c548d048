"""A re-render levels the narration from the cache: the scenes whose make-up gain is cached are not
fetched at 48 kHz again (only an edited scene is), and the track is what a cold render makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.resource_manager import ResourceManager
from app.services.audio import narration, scenes
from app.services.audio.level import Level
from app.services.audio.loudness import Samples
from app.services.audio.scenes import SceneAudio
from app.services.documents import document_from_bytes
from app.services.models import RenderOptions
from app.services.pipeline import Renderer
from tests.sound_support import ebur128

DOC = "\n\n".join(
    f"# Part {i}\n\nPart number {i} says a sentence, loudly and clearly. Then it stops." for i in range(1, 5)
)


async def test_only_the_edited_scene_is_fetched_at_48_khz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    real = SceneAudio.make_copy

    def recorded(self: SceneAudio, i: int) -> Samples | None:
        asked.append(i)
        return real(self, i)

    monkeypatch.setattr(SceneAudio, "make_copy", recorded)
    gains: list[float] = []
    real_level = narration.choose_level

    async def level(*args: Any, **kwargs: Any) -> Level:
        chosen = await real_level(*args, **kwargs)
        gains.append(chosen.gain)
        return chosen

    monkeypatch.setattr(narration, "choose_level", level)
    hashed: list[Path] = []  # WAVs the narration hashes itself (the speech cache's digests spare it)
    real_digest = scenes.file_digest
    monkeypatch.setattr(scenes, "file_digest", lambda path: hashed.append(path) or real_digest(path))
    r = Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )
    options = RenderOptions(voice="espeak:en-us")
    first = await r.render(document_from_bytes(DOC.encode(), "t.md", None), tmp_path / "a.mp4", options)
    assert sorted(asked) == [0, 1, 2, 3], "a cold render resamples every scene once"
    asked.clear()
    again = await r.render(document_from_bytes(DOC.encode(), "t.md", None), tmp_path / "b.mp4", options)
    assert asked == [], "a cached render fetches no scene at 48 kHz"
    assert hashed == [], "every scene's digest came with its speech"
    assert abs(again.duration - first.duration) < 0.001
    asked.clear()
    edited = DOC.replace("Part number 3 says", "Part number 3, edited, says")
    await r.render(document_from_bytes(edited.encode(), "t.md", None), tmp_path / "c.mp4", options)
    # the narration's gain is rounded so that an edit seldom moves it; when this one does (espeak's
    # output varies a little run to run), every scene is levelled again, as it must be
    expected = {2} if gains[-1] == gains[0] else {0, 1, 2, 3}
    assert set(asked) == expected, f"only the edited scene (gains {gains})"
    a, c = ebur128(tmp_path / "a.mp4"), ebur128(tmp_path / "c.mp4")
    assert abs(a.integrated - c.integrated) < 0.5 and c.true_peak <= -1.5
