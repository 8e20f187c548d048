"""How long a plan takes to say, estimated the way the renderer speaks it (for `--duration`).

A sentence at a time: its words after normalization (numbers as words; a `CamelCase` identifier or
`.venv` counted as the voice says them) at the rate, times the voice's pace per language plus a
constant per sentence (`SPEECH_PACE`, fitted on espeak-ng renders of tests/data); inside a scene,
the sentence, paragraph (where a beat starts) and heading pauses; between scenes, the scene pause
or the scene's `pause_after` (`Pauses`).
"""

from __future__ import annotations

import re

from app.core.threads import check_cancelled
from app.services.models import Pauses
from app.services.planning.condense_text import base_language, guess_language, same_words
from app.services.planning.normalize import normalize_for_speech
from app.services.planning.plan import Plan, Scene
from app.services.planning.sentences import split_sentences
from app.services.planning.speakable import DEFAULT_WORDS_PER_MINUTE, estimate_seconds, speakable

# The offline voice's real time for one sentence (espeak-ng a sentence at a time, as the renderer
# speaks): seconds per estimated second, and seconds per sentence (fitted on tests/data renders; a
# Vietnamese syllable is shorter than an English word). Other languages: the estimate as it is.
SPEECH_PACE: dict[str, tuple[float, float]] = {"en": (0.745, 0.55), "vi": (0.65, 0.08)}
DEFAULT_PACE = (1.0, 0.3)


def speech_seconds(text: str, language: str, rate: int) -> float:
    """Estimated seconds of speech for one sentence as written (numbers read as words) at `rate`:
    words counted as the voice says them (`CamelCase` is several, `.venv` says "dot")."""
    if not text.strip():
        return 0.0
    said = normalize_for_speech(speakable(text), language) if language in SPEECH_PACE else speakable(text)
    extra = sum(_extra_words(token) for token in _LONG_TOKEN.findall(said))
    per_second, per_sentence = SPEECH_PACE.get(language, DEFAULT_PACE)
    return (estimate_seconds(said, rate) + extra * 60.0 / rate) * per_second + per_sentence


_LONG_TOKEN = re.compile(r"[^\s]{6,}")
_HUMP = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_SAID_SYMBOL = re.compile(r"(?<=\w)[./\\_@#-](?=\w)|^[./-](?=\w)")


def _extra_words(token: str) -> float:
    """Words a token says beyond one: its humps (identifiers) and the symbols read inside it."""
    return max(0, len(_HUMP.findall(token)) - 1) + len(_SAID_SYMBOL.findall(token))


def scene_seconds(scene: Scene, language: str, rate: int, pauses: Pauses) -> float:
    """A scene's estimated sound, the way the renderer speaks it: a sentence at a time, with a
    paragraph's pause where a beat starts (an item), a heading's after a title read first, a
    sentence's elsewhere."""
    sentences = split_sentences(scene.narration)
    total, at = 0.0, 0
    starts = {b.at for b in scene.beats}
    for i, sentence in enumerate(sentences):
        total += speech_seconds(sentence, language, rate)
        at += len(sentence)
        if i < len(sentences) - 1 and sentence.strip():
            heading = i == 0 and bool(scene.title) and same_words(sentence, scene.title or "")
            next_start = at + len(sentences[i + 1]) - len(sentences[i + 1].lstrip())
            total += (
                pauses.heading if heading else pauses.paragraph if next_start in starts else pauses.sentence
            )
    return total


def plan_seconds(plan: Plan, rate: int = DEFAULT_WORDS_PER_MINUTE, pauses: Pauses | None = None) -> float:
    """The plan's estimated duration: each scene's sound, and the pauses between scenes."""
    pauses = pauses or Pauses()
    language = plan_language(plan)
    total = 0.0
    for i, scene in enumerate(plan.scenes):
        check_cancelled()
        total += scene_seconds(scene, language, rate, pauses)
        if i < len(plan.scenes) - 1:
            total += pauses.scene if scene.pause_after is None else scene.pause_after
    return total


def plan_language(plan: Plan) -> str:
    text = " ".join(s.narration for s in plan.scenes[:40])
    return base_language(plan.language) or guess_language(text) or ""
