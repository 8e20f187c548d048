"""Runs of a text by the voice that should read them: each script by a voice of its language.

A Chinese line in an English document must not be read by the English voice (espeak spells each
character as "Chinese letter"), an emoji must not be read at all ("grinning face"). `speech_runs`
cuts a text into runs, each with the language that reads it: the document's own (the voice's)
language for its own scripts, the script's language for another script (Han -> cmn, or ja with kana
beside it, ko with Hangul; Arabic -> ar; Latin inside a non-Latin document -> en), None for what is
shown but never spoken (emoji and pictographic symbols). Spaces, digits and punctuation go with the
run before them. `voice_segments` turns the runs into what one synthesis each speaks, given which
voices exist: a run whose language has no voice is skipped in speech but kept in the text (so its
words are still timed and captioned), and unspoken characters are blanked in place (same length, so
the engine's character offsets still point into the shown text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from app.services.speech.language import language_scripts, script_language, script_of

SYMBOL = "symbol"
NEUTRAL = "neutral"
_CJK_SCRIPTS = frozenset({"han", "kana", "hangul"})
# emoji pieces that have no look of their own: variation selector, joiner, keycap, skin tones, tags
_EMOJI_PARTS = frozenset({0xFE0E, 0xFE0F, 0x200D, 0x20E3})


# Latin (Vietnamese included), digits, punctuation: nothing to cut out or hand to another voice
_PLAIN = re.compile("[\u0000-\u036f\u1e00-\u1eff\u2000-\u206f]*")


class Run(NamedTuple):
    text: str
    language: str | None  # None: shown, never spoken (a symbol, or a script no voice reads)


@dataclass(frozen=True)
class Segment:
    """One synthesis: `shown[start:end]` of the text, spoken as `spoken` (same length) by `voice`."""

    start: int
    end: int
    spoken: str
    voice: str | None  # None: nothing in it is spoken


def char_class(ch: str) -> str:
    """A letter's script, SYMBOL for an emoji or pictograph, NEUTRAL for the rest."""
    code = ord(ch)
    category = unicodedata.category(ch)
    if ch.isalpha():
        script = script_of(code)
        if script == "latin" and category == "Lo" and code >= 0x0370:  # a script not listed there
            return unicodedata.name(ch, "other").split()[0].lower()  # "KHMER LETTER BHO" -> khmer
        return script
    if category == "So" and code >= 0x2190:  # arrows, dingbats, emoji (not ° © ®)
        return SYMBOL
    if 0x1F1E6 <= code <= 0x1F1FF or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return SYMBOL  # regional indicators (flags), skin tones, tag characters
    return NEUTRAL


def _classes(text: str) -> list[str]:
    """Each character's class; marks, joiners and neutrals take the class before them (or after,
    at the start)."""
    out: list[str] = []
    for ch in text:
        kind = char_class(ch)
        attached = ord(ch) in _EMOJI_PARTS or unicodedata.category(ch) in ("Mn", "Mc", "Me")
        if (kind == NEUTRAL or attached) and out:
            kind = out[-1]
        out.append(kind)
    first = next((k for k in out if k != NEUTRAL), NEUTRAL)
    return [first if k == NEUTRAL else k for k in out]


def speech_runs(text: str, language: str) -> list[Run]:
    """The text cut into runs by reading language; joined, the runs give the text back."""
    if not text:
        return []
    if _PLAIN.fullmatch(text) and "latin" in language_scripts(language):
        return [Run(text, language)]  # the common case in one regex scan
    classes = _classes(text)
    spans: list[tuple[int, int, set[str]]] = []  # start, end, scripts (or {SYMBOL})
    for i, kind in enumerate(classes):
        if spans and (kind in spans[-1][2] or (kind in _CJK_SCRIPTS and spans[-1][2] <= _CJK_SCRIPTS)):
            spans[-1] = (spans[-1][0], i + 1, spans[-1][2] | {kind})
        else:
            spans.append((i, i + 1, {kind}))
    own = language_scripts(language)
    runs: list[Run] = []
    for start, end, scripts in spans:
        lang = _language(scripts, language, own)
        if runs and runs[-1].language == lang:
            runs[-1] = Run(runs[-1].text + text[start:end], lang)
        else:
            runs.append(Run(text[start:end], lang))
    return runs


def _language(scripts: set[str], language: str, own: frozenset[str]) -> str | None:
    if SYMBOL in scripts:
        return None
    if NEUTRAL in scripts or scripts <= own:
        return language
    if scripts <= _CJK_SCRIPTS:
        return "ja" if "kana" in scripts else "ko" if "hangul" in scripts else "cmn"
    (script,) = scripts
    return script_language(script)  # None: no voice reads it


def voice_segments(
    text: str, voice: str, language: str, voice_for: Callable[[str], str | None]
) -> list[Segment]:
    """What to synthesize, in order: runs of one voice joined (unspoken ones blanked inside them).

    `voice` speaks `language` (the document's); `voice_for(lang)` gives another language's voice,
    or None when there is none (that run is then shown, not spoken).
    """
    voices: dict[str, str | None] = {language: voice}
    segments: list[Segment] = []
    at = 0
    for run in speech_runs(text, language):
        if run.language is not None and run.language not in voices:
            voices[run.language] = voice_for(run.language)
        who = voices[run.language] if run.language is not None else None
        spoken = run.text if who is not None else _blank(run.text)
        end = at + len(run.text)
        last = segments[-1] if segments else None
        if last is not None and (who is None or last.voice is None or last.voice == who):
            segments[-1] = Segment(last.start, end, last.spoken + spoken, last.voice or who)
        else:
            segments.append(Segment(at, end, spoken, who))
        at = end
    return segments


def _blank(text: str) -> str:
    """Spaces for every character but line breaks: nothing said, every offset kept."""
    return "".join(ch if ch == "\n" else " " for ch in text)


def unspoken_blanked(text: str) -> str:
    """The text with emoji and pictographs blanked, for engines that get a text whole (piper, HTTP
    voices): they are shown, never read out as their names. Same length, so timings still fit."""
    if _PLAIN.fullmatch(text):
        return text
    classes = _classes(text)
    if SYMBOL not in classes:
        return text
    return "".join(
        " " if kind == SYMBOL and ch != "\n" else ch for ch, kind in zip(text, classes, strict=True)
    )
