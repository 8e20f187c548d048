"""A scene's speech is cached whole (its sentences joined, and its words) as well as sentence by
sentence: a re-render takes an unchanged scene in one piece, identical to the join it replaces, and
an edited scene still re-synthesizes only its edited sentences (real espeak, real disk cache)."""

from __future__ import annotations

from pathlib import Path

from app.core.diskcache import DiskCache, file_digest
from app.core.resource_manager import ResourceManager
from app.services.models import Pauses
from app.services.tts_service import TTSService

TEXT = "The first sentence is here. A second one follows it. And a third one ends the scene."
VOICE, RATE = "espeak:en-us", 175


def service(tmp_path: Path) -> TTSService:
    return TTSService(resources=ResourceManager(), cache=DiskCache(tmp_path / "cache"))


async def test_an_unchanged_scene_comes_whole_from_the_cache(tmp_path: Path) -> None:
    tts = service(tmp_path)
    first = await tts.speak(TEXT, VOICE, RATE, tmp_path / "a.wav", language="en-us")
    assert tts.syntheses == 3
    assert tts.cache is not None
    hits = tts.cache.stats.hits
    again = await tts.speak(TEXT, VOICE, RATE, tmp_path / "b.wav", language="en-us")
    assert tts.syntheses == 3
    assert tts.cache.stats.hits - hits == 2, "one scene (its words and its WAV), not three sentences"
    assert (tmp_path / "b.wav").read_bytes() == (tmp_path / "a.wav").read_bytes()
    assert (again.words, again.duration, again.sample_rate) == (
        first.words,
        first.duration,
        first.sample_rate,
    )
    assert (again.engine, again.voice) == (first.engine, first.voice)

    # a new process on the same cache, too
    other = service(tmp_path)
    third = await other.speak(TEXT, VOICE, RATE, tmp_path / "c.wav", language="en-us")
    assert other.syntheses == 0 and third.words == first.words


async def test_an_edited_sentence_or_other_pauses_make_the_scene_again(tmp_path: Path) -> None:
    tts = service(tmp_path)
    base = await tts.speak(TEXT, VOICE, RATE, tmp_path / "a.wav", language="en-us")
    edited = await tts.speak(
        TEXT.replace("A second one", "A changed second one"),
        VOICE,
        RATE,
        tmp_path / "e.wav",
        language="en-us",
    )
    assert tts.syntheses == 4, "only the edited sentence is spoken again"
    assert edited.duration > base.duration
    assert [w.text for w in edited.words][:4] == [w.text for w in base.words][:4]

    longer = Pauses(sentence=Pauses().sentence + 0.5)
    paused = await tts.speak(TEXT, VOICE, RATE, tmp_path / "p.wav", pauses=longer, language="en-us")
    assert tts.syntheses == 4, "the sentences come from the cache, joined with the new pauses"
    assert abs(paused.duration - base.duration - 2 * 0.5) < 0.01


async def test_a_damaged_scene_entry_falls_back_to_the_sentences(tmp_path: Path) -> None:
    tts = service(tmp_path)
    await tts.speak(TEXT, VOICE, RATE, tmp_path / "a.wav", language="en-us")
    assert tts.cache is not None
    joined = (tmp_path / "a.wav").read_bytes()
    for entry in (tmp_path / "cache").rglob("*.wav"):
        if entry.read_bytes() == joined:  # the scene's entry (a sentence's is shorter)
            entry.write_bytes(joined[: len(joined) // 2])
    again = await tts.speak(TEXT, VOICE, RATE, tmp_path / "b.wav", language="en-us")
    assert tts.syntheses == 3 and tts.cache.stats.corrupt >= 1
    assert (tmp_path / "b.wav").read_bytes() == joined and again.duration > 0


async def test_a_scene_carries_the_digest_of_its_audio(tmp_path: Path) -> None:
    """The narration keys a scene's 48 kHz copy and loudness by this digest instead of hashing the
    WAV again: it must be the content's, whether the scene was stored or fetched."""
    tts = service(tmp_path)
    made = await tts.speak(TEXT, VOICE, RATE, tmp_path / "a.wav", language="en-us")
    fetched = await service(tmp_path).speak(TEXT, VOICE, RATE, tmp_path / "b.wav", language="en-us")
    assert made.digest == file_digest(tmp_path / "a.wav") == fetched.digest
    other = await tts.speak(TEXT + " One more.", VOICE, RATE, tmp_path / "c.wav", language="en-us")
    assert other.digest == file_digest(tmp_path / "c.wav") != made.digest
    uncached = await TTSService().speak(TEXT, VOICE, RATE, tmp_path / "d.wav", language="en-us")
    assert uncached.digest is None, "nothing verified it: the narration hashes it"
