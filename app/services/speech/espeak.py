"""The offline voice: a ctypes binding to the libespeak-ng shipped in the `espeakng-loader` wheel.

libespeak-ng keeps global state (the current voice, the rate, the callback), so the process has one
native instance, created on first use, and every call into it holds the same lock.

Word timings come from espeak's WORD events. Their `text_position` is a 1-based offset in code points
(not UTF-8 bytes) into the text as given, so it indexes a Python `str` directly; it is not exact,
though (see `timing.word_timings`), so it is only used to find which of the text's words an event
belongs to.
"""

from __future__ import annotations

import array
import ctypes
import functools
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import RATE_MAX, RATE_MIN
from app.core.threads import cancel_event
from app.errors import InputError, RenderCancelled, TTSError, VoiceNotFound
from app.services.models import WordTiming
from app.services.speech.japanese import readable
from app.services.speech.runs import voice_segments
from app.services.speech.timing import word_timings

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report a missing data directory instead of calling exit()
_BUFFER_MS = 0  # 0 = espeak's default of 60 ms per callback, which bounds how late a cancel is seen
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000  # the sentence pause espeak-ng's own command line adds after the last word
_POS_CHARACTER = 1
_PARAM_RATE = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_RUN_GAP_MS = 80  # between runs spoken by different voices (espeak ends each text with a long pause)
_SILENCE = 64  # a sample this quiet or quieter is silence when finding where the voice stops
_LOCK_POLL = 0.05  # seconds between cancel checks while another thread holds the library

_WORD = re.compile(r"\S+")
_HELP = "run `t2v voices` to list the installed voices, e.g. espeak:vi or espeak:en-us"


class _EventId(ctypes.Union):
    _fields_ = (("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8))


class _Event(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    )


class _Voice(ctypes.Structure):
    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated code)*, then a 0 byte
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


if TYPE_CHECKING:  # "_Pointer" is how typeshed names a ctypes pointer type
    ShortPointer = ctypes._Pointer[ctypes.c_short]
    EventPointer = ctypes._Pointer[_Event]

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class EspeakVoice:
    """An installed voice. `languages` is in espeak's order, the voice's own code first."""

    name: str
    languages: tuple[str, ...]
    identifier: str  # its file under espeak-ng-data/lang, e.g. "aav/vi"
    priorities: tuple[int, ...] = field(default=(), repr=False)  # lower = better match, per language

    @property
    def key(self) -> str:
        """The file name, lower-cased: always accepted by espeak_SetVoiceByName, and a language code."""
        return self.identifier.rsplit("/", 1)[-1].lower()

    def priority(self, language: str) -> int | None:
        for code, prio in zip(self.languages, self.priorities, strict=False):
            if code == language:
                return prio
        return None


class _Collector:
    """What one espeak_Synth call hands to the callback: audio chunks and word marks."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self.cancel = cancel
        self.chunks: list[bytes] = []
        self.marks: list[tuple[int, int]] = []  # (0-based code-point offset, audio ms)
        self.cancelled = False
        self.error: BaseException | None = None

    def feed(self, wav: ShortPointer, count: int, events: EventPointer) -> int:
        if self.cancel is not None and self.cancel.is_set():
            self.cancelled = True
            return 1
        if wav and count > 0:
            self.chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while events and events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_WORD:
                self.marks.append((events[i].text_position - 1, events[i].audio_position))
            i += 1
        return 0


class _Native:
    """The loaded library. Only `_native()` creates one; callers hold `lock` around every call."""

    def __init__(self) -> None:
        import espeakng_loader

        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            self.data_path = Path(espeakng_loader.get_data_path())
        except (OSError, RuntimeError) as exc:
            raise TTSError(f"cannot load espeak-ng: {exc}") from exc
        _declare(self.lib)
        self.lock = threading.Lock()
        self.collector: _Collector | None = None
        rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, os.fsencode(self.data_path), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise TTSError(f"espeak-ng failed to initialize with data from {self.data_path}")
        self.sample_rate: int = rate
        self.callback = _SynthCallback(self._on_synth)  # kept referenced: the library holds a raw pointer
        self.lib.espeak_SetSynthCallback(self.callback)
        self.voices = self._list_voices()
        self.variants = _variants(self.data_path)

    def _on_synth(self, wav: ShortPointer, count: int, events: EventPointer) -> int:
        """Never raise into C: ctypes would print the traceback and carry on."""
        collector = self.collector
        if collector is None:
            return 1
        try:
            return collector.feed(wav, count, events)
        except BaseException as exc:
            collector.error = exc
            return 1

    def _list_voices(self) -> tuple[EspeakVoice, ...]:
        table = self.lib.espeak_ListVoices(None)
        voices = []
        i = 0
        while table and table[i]:
            v = table[i].contents
            codes, prios = _languages(v.languages)
            voices.append(
                EspeakVoice(
                    name=(v.name or b"").decode("utf-8", "replace").strip(),
                    languages=codes,
                    identifier=(v.identifier or b"").decode("utf-8", "replace"),
                    priorities=prios,
                )
            )
            i += 1
        return tuple(voices)

    def speak(self, text: str, voice: str, rate: int, collector: _Collector) -> None:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise VoiceNotFound(f"espeak-ng cannot load voice {voice!r}; {_HELP}")
        self.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        data = text.encode("utf-8", "replace")
        self.collector = collector
        try:
            status = self.lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
            )
        finally:
            self.collector = None
        if status != 0:
            raise TTSError(f"espeak-ng failed to synthesize (error {status})")


def _declare(lib: ctypes.CDLL) -> None:
    lib.espeak_Initialize.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = (_SynthCallback,)
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_ListVoices.argtypes = (ctypes.c_void_p,)
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
    lib.espeak_Synth.argtypes = (
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    )
    lib.espeak_Synth.restype = ctypes.c_int


def _languages(address: int | None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    codes: list[str] = []
    prios: list[int] = []
    while address:
        prio = ctypes.string_at(address, 1)[0]
        if prio == 0:
            break
        code = ctypes.string_at(address + 1)
        codes.append(code.decode("ascii", "replace").lower())
        prios.append(prio)
        address += 2 + len(code)
    return tuple(codes), tuple(prios)


def _variants(data_path: Path) -> dict[str, str]:
    """Variant files ("f3", "klatt"...) by lower-cased name: espeak silently ignores unknown ones."""
    folder = data_path / "voices" / "!v"
    if not folder.is_dir():
        return {}
    return {p.name.lower(): p.name for p in folder.iterdir() if p.is_file()}


_NATIVE: _Native | None = None
_NATIVE_LOCK = threading.Lock()


def _native() -> _Native:
    global _NATIVE
    with _NATIVE_LOCK:
        if _NATIVE is None:
            _NATIVE = _Native()
        return _NATIVE


@contextmanager
def _holding(lock: threading.Lock, cancel: threading.Event | None) -> Iterator[None]:
    """Wait for the library, but give up as soon as the caller cancels."""
    while not lock.acquire(timeout=_LOCK_POLL):
        if cancel is not None and cancel.is_set():
            raise RenderCancelled("speech synthesis was cancelled")
    try:
        yield
    finally:
        lock.release()


class EspeakEngine:
    """The offline speech engine. Cheap to create: every instance shares the one native library."""

    name = "espeak"

    @property
    def sample_rate(self) -> int:
        return _native().sample_rate

    def voices(self) -> list[EspeakVoice]:
        return list(_native().voices)

    def resolve_voice(self, voice: str) -> str:
        """Turn "vi", "en-US", "zh", "English (America)" or "en-us+f3" into what espeak loads.

        The result is the voice's file name (plus a variant), which is also a language code.
        """
        native = _native()
        base, plus, variant = voice.strip().partition("+")
        found = _voice_named(base)
        if found is None:
            raise VoiceNotFound(f"no espeak voice {voice.strip()!r}; {_HELP}")
        if not plus:
            return found.key
        real = native.variants.get(variant.strip().lower())
        if real is None:
            raise VoiceNotFound(f"no espeak voice variant {variant.strip()!r} in {voice.strip()!r}; {_HELP}")
        return f"{found.key}+{real}"

    def synthesize(
        self, text: str, voice: str, rate: int, cancel: threading.Event | None = None
    ) -> tuple[bytes, int, list[WordTiming]]:
        """Speak `text`: little-endian 16-bit mono PCM, its sample rate, and one timing per word.

        Runs of another script are spoken by a voice of their language, emoji and scripts without
        a voice not at all (`runs.voice_segments`); every word of the text is timed all the same.
        Raises RenderCancelled within about 60 ms of `cancel` being set; without `cancel`, of the
        cancellation of the `run_in_thread` call this runs in.
        """
        cancel = cancel or cancel_event()
        check_rate(rate)
        key = self.resolve_voice(voice)
        native = _native()
        if cancel is not None and cancel.is_set():
            raise RenderCancelled("speech synthesis was cancelled")
        if not text.strip():
            return b"", native.sample_rate, []
        variant = key.partition("+")[2]
        segments = voice_segments(text, key, key.partition("+")[0], lambda lang: self._other(lang, variant))
        pcm: list[bytes] = []
        words: list[WordTiming] = []
        offset = 0  # samples so far
        for n, segment in enumerate(segments):
            shown = text[segment.start : segment.end]
            spoken, origin = readable(segment.spoken, segment.voice)  # kanji as kana for the ja voice
            samples, marks = self._speak(spoken, segment.voice, rate, cancel)
            if origin is not None:
                marks = [(origin[min(pos, len(origin) - 1)], ms) for pos, ms in marks]
            voiced = _voiced_samples(samples)
            if n + 1 < len(segments):  # the pause espeak ends a text with is too long inside a sentence
                del samples[min(len(samples), voiced + native.sample_rate * _RUN_GAP_MS // 1000) :]
            glued = segment.start > 0 and not text[segment.start - 1].isspace()
            for i, word in enumerate(word_timings(shown, marks, voiced / native.sample_rate)):
                start, end = offset / native.sample_rate + word.start, offset / native.sample_rate + word.end
                words.append(
                    WordTiming(word.text, start, end, glued=glued and i == 0 and not shown[0].isspace())
                )
            offset += len(samples)
            if sys.byteorder == "big":
                samples.byteswap()
            pcm.append(samples.tobytes())
        return b"".join(pcm), native.sample_rate, words

    def _other(self, language: str, variant: str) -> str | None:
        """The voice for a run in another language (with the main voice's variant), None if none."""
        try:
            key = self.resolve_voice(language)
        except VoiceNotFound:
            return None
        return f"{key}+{variant}" if variant and "+" not in key else key

    def _speak(
        self, text: str, key: str | None, rate: int, cancel: threading.Event | None
    ) -> tuple[array.array[int], list[tuple[int, int]]]:
        """One espeak_Synth call: its samples and word marks (nothing for text nobody speaks)."""
        if key is None or not text.strip():
            return array.array("h"), []
        native = _native()
        collector = _Collector(cancel)
        with _holding(native.lock, cancel):
            native.speak(text.replace("\0", " "), key, rate, collector)
        if collector.error is not None:
            raise TTSError(f"espeak-ng callback failed: {collector.error}") from collector.error
        if collector.cancelled:
            raise RenderCancelled("speech synthesis was cancelled")
        return array.array("h", b"".join(collector.chunks)), collector.marks


def list_voices() -> list[EspeakVoice]:
    return EspeakEngine().voices()


def check_rate(rate: int) -> None:
    if not RATE_MIN <= rate <= RATE_MAX:
        raise InputError(f"speaking rate must be {RATE_MIN}-{RATE_MAX} words per minute, not {rate}")


@functools.lru_cache(maxsize=64)
def _voice_named(wanted: str) -> EspeakVoice | None:
    """`_find_voice` among the library's voices (fixed once loaded), remembered: every voice spec is
    resolved again for each scene of a render (~0.3 ms each, on the GIL beside the drawing)."""
    return _find_voice(_native().voices, wanted)


def _find_voice(voices: Sequence[EspeakVoice], wanted: str) -> EspeakVoice | None:
    """Match a file name, then a voice name, then a language; "vi-VN" falls back to "vi"."""
    key = wanted.strip().lower().replace("_", "-")
    if not key:
        return None
    for voice in voices:
        if voice.name.lower() == key:
            return voice
    while key:
        for voice in voices:
            if key in (voice.key, voice.identifier.lower()):
                return voice
        ranked = [(v.priority(key), i) for i, v in enumerate(voices) if v.priority(key) is not None]
        if ranked:
            return voices[min(ranked)[1]]
        key = key.rpartition("-")[0]
    return None


def _voiced_samples(samples: array.array[int]) -> int:
    """Where the voice stops: the end-of-text pause is silence and should not stretch the last word."""
    for i in range(len(samples) - 1, -1, -1):
        if abs(samples[i]) > _SILENCE:
            return i + 1
    return 0
