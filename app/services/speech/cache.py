"""The speech's entries in the disk cache: each sentence's WAV with where its sound and words are,
and each scene's sentences joined with its words, so that a re-render speaks only what changed and
takes an unchanged scene whole."""

from __future__ import annotations

import json
import os
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from app.core.diskcache import DiskCache, hash_key
from app.services.models import Speech, WordTiming
from app.services.speech.clips import Clip
from app.services.speech.engines import ESPEAK, OPENAI, PIPER
from app.services.speech.engines.config import TTSConfig
from app.services.speech.voices import VoiceSpec

T = TypeVar("T")


class SpeechCache:
    """Sentences and whole scenes in a `DiskCache` (None: nothing is kept), keyed by what made them."""

    VERSION = "speech-v3"  # per sentence, with where its sound is; runs of other scripts
    SCENE_VERSION = "speech-scene-v1"  # a scene's sentences joined (`join_clips`) and its words

    def __init__(self, cache: DiskCache | None, config: TTSConfig) -> None:
        self.cache = cache
        self.config = config

    def key(self, link: VoiceSpec, rate: int, text: str, language: str | None = None) -> str:
        """What determines a sentence's audio and timings; never the API key."""
        if link.engine == ESPEAK:
            return hash_key(self.VERSION, link.engine, link.voice, rate, text)
        if link.engine == PIPER:
            st = os.stat(link.voice)
            extra: tuple[object, ...] = (st.st_size, st.st_mtime_ns)
        elif link.engine == OPENAI:
            extra = (link.base_url, self.config.openai_model, self.config.openai_format)
        else:
            extra = (link.base_url,)
        # the words are spread by espeak's timing in `language`
        return hash_key(self.VERSION, link.engine, link.voice, rate, text, language, *extra)

    def scene_key(self, keys: Sequence[str | None], pauses: Sequence[float]) -> str:
        """What a scene's joined speech is made of: its sentences' `keys` and the `pauses` between them.
        A re-render of an edited document takes each unchanged scene whole (one WAV and its words)
        instead of its sentences and a join (a tenth of a second of a 20-scene re-render)."""
        return hash_key(self.SCENE_VERSION, list(keys), list(pauses))

    def scene(self, key: str, out_path: Path) -> Speech | None:
        """A scene's joined speech (engine and voice to be filled in), when it passes the cache's
        checks and its WAV is as long as recorded; with the digest its WAV was verified against."""

        def parse(meta: Any) -> tuple[int, int, tuple[WordTiming, ...]]:
            return int(meta["rate"]), int(meta["samples"]), _words_from_json(meta["words"])

        found = self._entry(key, out_path, parse)
        if found is None or wav_shape(out_path) != found[0][:2]:
            return None
        (rate, samples, words), digest = found
        return Speech(out_path, samples / rate, rate, words, digest=digest)

    def store_scene(self, key: str, speech: Speech, samples: int) -> str | None:
        """Store a scene's joined speech; its WAV's content digest (None without a cache)."""
        meta = {"rate": speech.sample_rate, "samples": samples, "words": _words_json(speech.words)}
        return self._store(key, speech.audio_path, meta)

    def clip(self, key: str, out_path: Path) -> Clip | None:
        """The cached sentence, when both its timings and its audio pass the cache's checks."""

        def parse(meta: Any) -> Clip:
            return Clip(
                path=out_path,
                duration=float(meta["duration"]),
                onset=float(meta["onset"]),
                offset=float(meta["offset"]),
                words=_words_from_json(meta["words"]),
            )

        found = self._entry(key, out_path, parse)
        return None if found is None else found[0]

    def store_clip(self, key: str, clip: Clip) -> None:
        meta = {
            "duration": clip.duration,
            "onset": clip.onset,
            "offset": clip.offset,
            "words": _words_json(clip.words),
        }
        self._store(key, clip.path, meta)

    def _entry(self, key: str, out_path: Path, parse: Callable[[Any], T]) -> tuple[T, str] | None:
        """A cache entry (a sentence's or a scene's): its metadata as `parse` reads it, and its WAV
        fetched into `out_path` (with the content digest it was verified against), when both pass
        the cache's checks."""
        if self.cache is None:
            return None
        meta = self.cache.load(key, ".json")
        if meta is None:
            return None
        try:
            found = parse(json.loads(meta))
        except (ValueError, KeyError, TypeError):
            return None  # written by another version: made again instead
        digest = self.cache.fetch_checked(key, out_path, ".wav")
        return None if digest is None else (found, digest)

    def _store(self, key: str, wav: Path, meta: dict[str, object]) -> str | None:
        """Store an entry's WAV and metadata; the WAV's content digest (None without a cache)."""
        if self.cache is None:
            return None
        digest = self.cache.put_file(key, wav, ".wav")
        self.cache.put_bytes(key, json.dumps(meta).encode("utf-8"), ".json")
        return digest


def wav_shape(path: Path) -> tuple[int, int]:
    """A WAV's sample rate and length in samples."""
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnframes()


def _words_json(words: Sequence[WordTiming]) -> list[list[object]]:
    return [[w.text, w.start, w.end, *([True] if w.glued else [])] for w in words]


def _words_from_json(rows: Sequence[Sequence[object]]) -> tuple[WordTiming, ...]:
    """Words as `_words_json` wrote them (TypeError/ValueError for anything else)."""
    return tuple(
        WordTiming(str(w[0]), float(w[1]), float(w[2]), glued=len(w) > 3 and bool(w[3]))  # type: ignore[arg-type]
        for w in rows
    )
