"""`TTSService.speak_scenes`: a render's scenes spoken in order, the cached ones looked up ahead in
one thread while the others are spoken (real espeak, real disk cache, a real HTTP server for the
failover)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from app.core.diskcache import DiskCache
from app.core.resource_manager import ResourceManager
from app.core.threads import check_cancelled
from app.services.models import RenderOptions, Speech
from app.services.planning import Scene
from app.services.tts_service import SceneJob, TTSService
from tests.test_tts_failover import SPEECH, fast_config
from tests.tts_server import FakeServer, Reply, sine_wav

VOICE = "espeak:en-us"
OPTIONS = RenderOptions(voice=VOICE)


def scenes(edited: set[int] = frozenset(), count: int = 6) -> list[Scene]:  # type: ignore[assignment]
    return [
        Scene(
            id=f"s{i}",
            layout="statement",
            narration=f"Scene {i} {'was edited and ' if i in edited else ''}says one thing. Then it stops.",
        )
        for i in range(count)
    ]


def jobs(ws: Path, said: list[Scene], voice: str = VOICE) -> list[SceneJob]:
    ws.mkdir(parents=True, exist_ok=True)
    return [SceneJob(s, voice, "en-us", ws / f"speech-{i:04d}.wav") for i, s in enumerate(said)]


def service(tmp_path: Path, **kwargs: object) -> TTSService:
    return TTSService(resources=ResourceManager(), cache=DiskCache(tmp_path / "cache"), **kwargs)  # type: ignore[arg-type]


def words(speech: Speech) -> str:
    return " ".join(w.text for w in speech.words)


async def test_cached_and_edited_scenes_come_back_in_order_with_progress(tmp_path: Path) -> None:
    tts = service(tmp_path)
    first = await tts.speak_scenes(jobs(tmp_path / "a", scenes()), OPTIONS, lambda n: None)
    made = tts.syntheses
    assert made == 7, "six first sentences and one shared second one"

    said = scenes(edited={1, 4})
    todo = jobs(tmp_path / "b", said)
    reported: list[int] = []

    def done(n: int) -> None:
        # every scene reported is in place, in order
        assert all(job.out_path.is_file() for job in todo[:n])
        reported.append(n)

    again = await tts.speak_scenes(todo, OPTIONS, done)
    assert reported == [1, 2, 3, 4, 5, 6]
    assert tts.syntheses - made == 2, "only the edited sentences are spoken"
    assert [s.audio_path for s in again] == [job.out_path for job in todo]
    assert ["edited" in words(s) for s in again] == [i in {1, 4} for i in range(6)]
    for i in (0, 2, 3, 5):  # the cached scenes are the first render's, whole
        assert again[i].audio_path.read_bytes() == first[i].audio_path.read_bytes()
        assert (again[i].words, again[i].engine, again[i].voice) == (first[i].words, "espeak", "en-us")
    assert again[1].duration > first[1].duration and again[4].duration > first[4].duration


async def test_a_spoken_scene_does_not_wait_for_the_later_look_ups(tmp_path: Path) -> None:
    """The look-up of the last scene is held until the edited first scene has been spoken: were the
    edited scene behind every look-up, this would never finish."""
    tts = service(tmp_path)
    await tts.speak_scenes(jobs(tmp_path / "a", scenes()), OPTIONS, lambda n: None)
    todo = jobs(tmp_path / "b", scenes(edited={0}))
    spoken = threading.Event()
    real = tts._cached_scene

    def held(job: SceneJob, options: RenderOptions):  # type: ignore[no-untyped-def]
        if job is todo[-1]:
            while not spoken.wait(0.01):
                check_cancelled()
        return real(job, options)

    tts._cached_scene = held  # type: ignore[method-assign]
    reported: list[int] = []

    def done(n: int) -> None:
        reported.append(n)
        if n == 1:
            spoken.set()

    result = await asyncio.wait_for(tts.speak_scenes(todo, OPTIONS, done), timeout=60)
    assert reported == [1, 2, 3, 4, 5, 6] and len(result) == 6


async def test_cancelling_stops_the_look_ups_before_it_returns(tmp_path: Path) -> None:
    tts = service(tmp_path)
    await tts.speak_scenes(jobs(tmp_path / "a", scenes()), OPTIONS, lambda n: None)
    todo = jobs(tmp_path / "b", scenes(edited={0}))
    entered, left = threading.Event(), threading.Event()
    real = tts._cached_scene

    def held(job: SceneJob, options: RenderOptions):  # type: ignore[no-untyped-def]
        if job is todo[3]:
            entered.set()
            try:
                while True:  # until the render is cancelled
                    check_cancelled()
                    threading.Event().wait(0.01)
            finally:
                left.set()
        return real(job, options)

    tts._cached_scene = held  # type: ignore[method-assign]
    reported: list[int] = []
    task = asyncio.ensure_future(tts.speak_scenes(todo, OPTIONS, reported.append))
    await asyncio.to_thread(entered.wait, 60)
    assert entered.is_set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert left.is_set(), "the look-up thread had stopped before the cancellation went on"
    assert reported[-1:] != [6], "cancelled before the end"


async def test_a_look_up_is_not_taken_once_its_engine_has_failed(tmp_path: Path) -> None:
    """Scenes cached from an HTTP voice that is down now: the edited first scene finds it down and
    espeak speaks it; the later scenes, found in the cache for that voice meanwhile, are spoken by
    espeak too, as `speak` does scene by scene (one scene never mixes voices, a failed engine is
    skipped)."""
    with FakeServer() as server:
        server.on("POST", SPEECH, default=Reply(body=sine_wav(0.5)))
        voice = f"openai:alloy@{server.url}/v1,{VOICE}"
        tts = service(tmp_path, config=fast_config())
        first = await tts.speak_scenes(jobs(tmp_path / "a", scenes(count=3), voice), OPTIONS, lambda n: None)
        assert [s.engine for s in first] == ["openai"] * 3
        server.on("POST", SPEECH, default=Reply(503, b"down"))
        todo = jobs(tmp_path / "b", scenes(edited={0}, count=3), voice)
        again = await tts.speak_scenes(todo, OPTIONS, lambda n: None)
    assert [s.engine for s in again] == ["espeak"] * 3
    assert all(
        s.audio_path.read_bytes() != f.audio_path.read_bytes() for s, f in zip(again, first, strict=True)
    )
