"""Word timings an HTTP engine reports itself, used instead of espeak's guess when present.

Servers that know when each word is spoken say so in JSON, in one of these shapes (at the top level
or under `data`):
- `words` or `timestamps`: `[{"word" | "text", "start" | "start_time", "end" | "end_time"}]` in
  seconds (Kokoro-FastAPI's captioned speech, many vendors' "word boundaries");
- `alignment` or `normalized_alignment`: `{"characters", "character_start_times_seconds",
  "character_end_times_seconds"}` (ElevenLabs' "with timestamps"), grouped into words at whitespace.
An `openai:` server may answer such JSON instead of audio, the audio then base64 in `audio` or
`audio_base64` (`unpack_json_audio`); an `async:` vendor may put the timings beside its audio URL
(`parse_words` on its answer). Anything malformed is ignored: the words are then timed as for any
engine (espeak's timing stretched onto the sound).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from pathlib import Path
from typing import Any

from app.core.fsutil import atomic_path
from app.services.models import WordTiming

MAX_WORDS = 20_000  # far more than one sentence has: a longer list is not trusted
_LISTS = ("words", "timestamps")
_ALIGNMENTS = ("alignment", "normalized_alignment")
_AUDIO = ("audio", "audio_base64")


def _scopes(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, dict):
        return []
    data = answer.get("data")
    return [answer, data] if isinstance(data, dict) else [answer]


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _from_list(items: Any) -> list[WordTiming] | None:
    if not isinstance(items, list) or not items or len(items) > MAX_WORDS:
        return None
    words = []
    for item in items:
        if not isinstance(item, dict):
            return None
        text = item.get("word", item.get("text"))
        start = _seconds(item.get("start", item.get("start_time")))
        end = _seconds(item.get("end", item.get("end_time")))
        if not isinstance(text, str) or start is None or end is None or end < start:
            return None
        if text.strip():
            words.append(WordTiming(text.strip(), start, end))
    return words or None


def _from_alignment(alignment: Any) -> list[WordTiming] | None:
    if not isinstance(alignment, dict):
        return None
    chars = alignment.get("characters")
    starts = alignment.get("character_start_times_seconds")
    ends = alignment.get("character_end_times_seconds")
    if not (isinstance(chars, list) and isinstance(starts, list) and isinstance(ends, list)):
        return None
    if not chars or len(chars) > 50 * MAX_WORDS or not len(chars) == len(starts) == len(ends):
        return None
    words: list[WordTiming] = []
    current: list[str] = []
    first = last = 0.0
    for char, start, end in zip(chars, starts, ends, strict=True):
        s, e = _seconds(start), _seconds(end)
        if not isinstance(char, str) or s is None or e is None:
            return None
        if char.isspace():
            if current:
                words.append(WordTiming("".join(current), first, last))
                current = []
            continue
        if not current:
            first = s
        current.append(char)
        last = max(e, first)
    if current:
        words.append(WordTiming("".join(current), first, last))
    return words or None


def parse_words(answer: Any) -> list[WordTiming] | None:
    """The word timings in an engine's JSON answer, or None."""
    for scope in _scopes(answer):
        for key in _LISTS:
            if key in scope:
                return _from_list(scope[key])
        for key in _ALIGNMENTS:
            if key in scope:
                return _from_alignment(scope[key])
    return None


def unpack_json_audio(path: Path) -> list[WordTiming] | None:
    """If `path` holds a JSON answer with base64 audio, write the audio in its place and return the
    answer's word timings (None when it has none); if it holds audio, leave it and return None."""
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip()
    if not head.startswith(b"{"):
        return None
    try:
        answer = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return None  # not JSON after all: ffmpeg says what it is
    encoded = next((s[k] for s in _scopes(answer) for k in _AUDIO if isinstance(s.get(k), str)), None)
    if encoded is None:
        return None
    try:
        audio = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    with atomic_path(path) as tmp:
        tmp.write_bytes(audio)
    return parse_words(answer)
