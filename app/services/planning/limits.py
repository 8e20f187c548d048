"""What one render accepts beyond the input size, checked as soon as the script exists.

A word longer than `max_word_chars` is not a word a voice can say (espeak spells it letter by letter: a
60,000-character blob is hours of spelling), so the document is refused with the word's start;
scripts written without spaces (CJK, Thai, ...) are exempt, and code blocks and URLs are never read.
A script over `max_scenes` scenes or `max_narration_minutes` of estimated speech is refused too:
rendering it would take a long time, and it was most likely not meant. Checked in time linear in the
text, before any speech is made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.planning.speakable import CJK_RANGES, estimate_seconds

if TYPE_CHECKING:
    from app.config import Settings


class Narrated(Protocol):
    """A scene of a Script or of a Plan: what the limits look at is its narration."""

    @property
    def narration(self) -> str: ...


@dataclass(frozen=True)
class ScriptLimits:
    """What a render accepts beyond the input size; the defaults live in `app.config.Settings`."""

    max_word_chars: int
    max_scenes: int
    max_narration_minutes: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ScriptLimits:
        return cls(settings.max_word_chars, settings.max_scenes, settings.max_narration_minutes)


# Scripts written without spaces between words: a long run of them is ordinary prose.
_NO_SPACE_SCRIPTS = CJK_RANGES + "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff"


@lru_cache(maxsize=8)
def _long_word(max_chars: int) -> re.Pattern[str]:
    word = f"[^\\s{_NO_SPACE_SCRIPTS}]"
    # anchored at a word's start, so each word is scanned once (linear, whatever the limit)
    return re.compile(f"(?<!{word}){word}{{{max_chars + 1},}}")


def check_limits(name: str, scenes: Sequence[Narrated], words_per_minute: int, limits: ScriptLimits) -> None:
    """Refuse what would read absurdly or render for hours: checked in time linear in the text."""
    if len(scenes) > limits.max_scenes:
        raise InputError(
            f"{name} makes {len(scenes):,} scenes, over the limit of {limits.max_scenes:,} "
            "(T2V_MAX_SCENES); split it into several documents"
        )
    too_long = _long_word(limits.max_word_chars)
    seconds = 0.0
    for scene in scenes:
        check_cancelled()
        word = too_long.search(scene.narration)
        if word is not None:
            n = word.end() - word.start()
            raise InputError(
                f"{name} has a {n:,}-character word ({word.group()[:24]}...) that cannot be read "
                f"aloud (limit {limits.max_word_chars:,}, T2V_MAX_WORD_CHARS); break it up or put it "
                "in a code block"
            )
        seconds += estimate_seconds(scene.narration, words_per_minute)
    if seconds > limits.max_narration_minutes * 60:
        raise InputError(
            f"{name} would be about {_duration(seconds)} of narration, over the limit of "
            f"{_duration(limits.max_narration_minutes * 60)} (T2V_MAX_NARRATION_MINUTES); "
            "split it into several documents"
        )


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
