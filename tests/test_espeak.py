"""The offline voice, against the real libespeak-ng: audio, word timings, voices, cancellation, WAV."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import unicodedata
import wave
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.errors import InputError, RenderCancelled, VoiceNotFound
from app.services.models import WordTiming
from app.services.speech import EspeakEngine, list_voices, word_timings
from app.services.tts_service import TTSService, VoiceSpec, parse_voice_spec
from tests.waiting import eventually

ENGLISH = "Hello world, this is a short test of the offline voice."
VIETNAMESE = "Xin chào các bạn, hôm nay trời đẹp quá."
# Long enough that espeak needs about a second to synthesize it (it runs ~1000x faster than real time).
LONG = "Hello there my good friend, how are you today? " * 600
CANCEL_AFTER = 0.1  # seconds
PROMPT = 0.5  # a cancel must take effect within this many seconds


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


def check_words(words: Sequence[WordTiming], text: str, duration: float) -> None:
    """Words are the text's words, in order, timed monotonically inside the audio."""
    assert [w.text for w in words] == text.split()
    for word in words:
        assert 0.0 <= word.start <= word.end <= duration + 1e-9
    for prev, nxt in itertools.pairwise(words):
        assert prev.start <= nxt.start
        assert prev.end == pytest.approx(nxt.start)


@pytest.mark.parametrize(("text", "voice"), [(ENGLISH, "en-us"), (VIETNAMESE, "vi")])
def test_sentence_has_plausible_audio_and_word_timings(engine: EspeakEngine, text: str, voice: str) -> None:
    pcm, rate, words = engine.synthesize(text, voice, 175)
    duration = len(pcm) / 2 / rate
    assert rate == 22050
    assert 1.0 < duration < 6.0
    check_words(words, text, duration)
    assert all(w.end > w.start for w in words)  # every word here is spoken
    assert words[0].start < 0.1
    # The last word ends where the voice stops, before espeak's end-of-text pause.
    assert duration - 0.6 < words[-1].end < duration


def test_vietnamese_word_texts_are_exact(engine: EspeakEngine) -> None:
    _, _, words = engine.synthesize(VIETNAMESE, "vi", 175)
    assert [w.text for w in words] == ["Xin", "chào", "các", "bạn,", "hôm", "nay", "trời", "đẹp", "quá."]


def test_decomposed_vietnamese_keeps_its_words(engine: EspeakEngine) -> None:
    """espeak counts code points, so combining marks (NFD input) must not shift the words."""
    text = unicodedata.normalize("NFD", VIETNAMESE)
    pcm, rate, words = engine.synthesize(text, "vi", 175)
    check_words(words, text, len(pcm) / 2 / rate)
    nfc = engine.synthesize(VIETNAMESE, "vi", 175)[2]
    assert [w.start for w in words] == pytest.approx([w.start for w in nfc], abs=0.05)


def test_punctuation_numbers_and_sentences_map_to_words(engine: EspeakEngine) -> None:
    text = "Dr. Smith paid $5 — on 2024-01-05.  Really?\nYes! «Quoted» words (here) end."
    pcm, rate, words = engine.synthesize(text, "en-us", 175)
    check_words(words, text, len(pcm) / 2 / rate)
    spoken = {w.text: w.end - w.start for w in words}
    assert spoken["Really?"] > 0.2  # a sentence's first word is not left without a mark
    assert spoken["Yes!"] > 0.1
    assert spoken["2024-01-05."] > 1.0  # several marks inside one token: it starts at the first


def test_slower_rate_gives_longer_audio(engine: EspeakEngine) -> None:
    slow, rate, _ = engine.synthesize(ENGLISH, "en-us", 100)
    fast, _, _ = engine.synthesize(ENGLISH, "en-us", 300)
    assert len(slow) > 1.8 * len(fast)
    assert len(slow) / 2 / rate > 3.0


def test_rate_outside_espeak_limits_is_an_input_error(engine: EspeakEngine) -> None:
    with pytest.raises(InputError):
        engine.synthesize(ENGLISH, "en-us", 20)


def test_blank_text_gives_no_audio(engine: EspeakEngine) -> None:
    assert engine.synthesize("  \n ", "vi", 175) == (b"", 22050, [])


def test_cancel_from_another_thread_stops_quickly(engine: EspeakEngine) -> None:
    cancel = threading.Event()
    timer = threading.Timer(CANCEL_AFTER, cancel.set)
    started = time.perf_counter()
    timer.start()
    with pytest.raises(RenderCancelled):
        engine.synthesize(LONG, "en-us", 175, cancel)
    elapsed = time.perf_counter() - started
    timer.join()
    assert elapsed < CANCEL_AFTER + PROMPT
    # The library is usable again afterwards.
    pcm, rate, words = engine.synthesize(ENGLISH, "en-us", 175)
    check_words(words, ENGLISH, len(pcm) / 2 / rate)


def test_cancel_while_waiting_for_the_library(engine: EspeakEngine) -> None:
    """A second synthesis queued behind a long one gives up as soon as it is cancelled."""
    first, second = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run(cancel: threading.Event) -> None:
        try:
            engine.synthesize(LONG, "en-us", 175, cancel)
        except BaseException as exc:
            errors.append(exc)

    busy = threading.Thread(target=run, args=(first,))
    busy.start()
    time.sleep(0.02)
    waiting = threading.Thread(target=run, args=(second,))
    waiting.start()
    time.sleep(CANCEL_AFTER)
    started = time.perf_counter()
    second.set()
    waiting.join(PROMPT)
    assert not waiting.is_alive()
    assert time.perf_counter() - started < PROMPT
    first.set()
    busy.join(5)
    assert len(errors) == 2 and all(isinstance(e, RenderCancelled) for e in errors)


def test_an_already_set_cancel_raises_at_once(engine: EspeakEngine) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RenderCancelled):
        engine.synthesize(ENGLISH, "en-us", 175, cancel)


def test_threads_share_the_library_safely(engine: EspeakEngine) -> None:
    results: dict[str, list[str]] = {}

    def run(text: str, voice: str) -> None:
        results[voice] = [w.text for w in engine.synthesize(text, voice, 175)[2]]

    threads = [threading.Thread(target=run, args=pair) for pair in [(ENGLISH, "en-us"), (VIETNAMESE, "vi")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {"en-us": ENGLISH.split(), "vi": VIETNAMESE.split()}


def test_voices_are_listed(engine: EspeakEngine) -> None:
    voices = list_voices()
    assert voices == engine.voices()
    codes = {code for v in voices for code in v.languages}
    assert {"vi", "en-us", "en", "fr", "ru"} <= codes
    vietnamese = next(v for v in voices if v.languages[0] == "vi")
    assert vietnamese.name.startswith("Vietnamese")
    # Every listed language code is something the engine accepts.
    for voice in voices:
        engine.resolve_voice(voice.languages[0])


@pytest.mark.parametrize(
    ("asked", "resolved"),
    [
        ("vi", "vi"),
        ("en-us", "en-us"),
        ("EN_US", "en-us"),
        ("en", "en"),
        ("fr", "fr"),
        ("fr-fr", "fr"),
        ("ru", "ru"),
        ("zh", "cmn"),
        ("vi-VN", "vi"),
        ("English (America)", "en-us"),
        ("en-us+f3", "en-us+f3"),
    ],
)
def test_voice_names_resolve(engine: EspeakEngine, asked: str, resolved: str) -> None:
    assert engine.resolve_voice(asked) == resolved


@pytest.mark.parametrize("voice", ["xx", "klingon-ish", "", "en-us+nosuchvariant"])
def test_unknown_voice_is_reported(engine: EspeakEngine, voice: str) -> None:
    with pytest.raises(VoiceNotFound, match="t2v voices"):
        engine.synthesize(ENGLISH, voice, 175)


def test_word_timings_tolerate_espeak_positions() -> None:
    """Synthetic marks with espeak's quirks: a sentence start marked at the space before it, several
    marks in one token, words said together with the one before ("of the"), a dash not said at all."""
    text = "One of the days. Then — 3.14 end"
    marks = [(0, 0), (4, 300), (11, 800), (16, 1200), (24, 1500), (26, 1700), (29, 2000), (50, 2100)]
    words = word_timings(text, marks, voiced_end=2.4)
    assert [w.text for w in words] == text.split()
    assert [w.start for w in words] == pytest.approx([0.0, 0.3, 0.5, 0.8, 1.2, 1.5, 1.5, 2.0])
    assert [w.end for w in words] == pytest.approx([0.3, 0.5, 0.8, 1.2, 1.5, 1.5, 2.0, 2.4])
    assert word_timings("", [], 0.0) == []
    unmarked = word_timings("a bb", [], 0.6)
    assert [(w.start, w.end) for w in unmarked] == [(0.0, pytest.approx(0.2)), (pytest.approx(0.2), 0.6)]


def test_voice_spec_parsing() -> None:
    assert parse_voice_spec("espeak:vi") == VoiceSpec("espeak", "vi")
    assert parse_voice_spec("vi") == VoiceSpec("espeak", "vi")
    assert parse_voice_spec(" ESPEAK:en-US ") == VoiceSpec("espeak", "en-us")
    assert str(parse_voice_spec("espeak:zh")) == "espeak:cmn"
    with pytest.raises(VoiceNotFound, match="unknown speech engine"):
        parse_voice_spec("nope:vi")
    with pytest.raises(InputError):
        parse_voice_spec("espeak:xx")


async def test_tts_service_writes_a_readable_wav(tmp_path: Path) -> None:
    out = tmp_path / "speech.wav"
    speech = await TTSService().synthesize(VIETNAMESE, "espeak:vi", 175, out)
    with wave.open(str(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        frames = wav.getnframes()
    assert speech.audio_path == out
    assert speech.sample_rate == 22050
    assert speech.duration == pytest.approx(frames / 22050)
    assert 1.0 < speech.duration < 6.0
    assert (speech.engine, speech.voice) == ("espeak", "vi")
    check_words(speech.words, VIETNAMESE, speech.duration)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["speech.wav"]


async def test_tts_service_replaces_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "speech.wav"
    out.write_bytes(b"old")
    speech = await TTSService().synthesize(ENGLISH, "en-us", 175, out)
    with wave.open(str(out), "rb") as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(speech.duration)


async def test_cancelling_the_task_stops_espeak_and_waits_for_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled twice (a parent cancelling its children while it is itself being cancelled), the
    caller still returns only once the espeak thread has ended: nothing writes into a workspace its
    caller is about to remove."""
    service = TTSService()
    started, ended = threading.Event(), threading.Event()
    speak = service._espeak

    def observed(*args: object) -> object:
        started.set()
        try:
            return speak(*args)  # type: ignore[arg-type]
        finally:
            ended.set()

    monkeypatch.setattr(service, "_espeak", observed)
    out = tmp_path / "long.wav"
    task = asyncio.create_task(service.synthesize(LONG, "en-us", 175, out))
    await eventually(started.is_set)
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended.is_set(), "the cancelled caller returned while espeak was still speaking"
    assert list(tmp_path.iterdir()) == []
