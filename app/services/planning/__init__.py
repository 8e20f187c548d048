"""Planning: a document's sections -> a `Script` of scenes, each with its speakable narration.

`build_script` cuts sections into scenes of about `max_scene_seconds` of speech (default 20 s) and
checks the `ScriptLimits`; `speakable`, `speech_weight` and `estimate_seconds` say what the voice reads
and how long it takes; `split_sentences` and friends cut text without losing any of it.
`planning.normalize` (numbers, dates, units... as words) is its own package.
"""

from app.services.planning.limits import ScriptLimits, check_limits
from app.services.planning.plan import ImageRef, Plan
from app.services.planning.scenes import DEFAULT_MAX_SCENE_SECONDS, balanced_groups, build_script
from app.services.planning.sentences import split_clauses, split_sentences, split_words
from app.services.planning.speakable import (
    DEFAULT_WORDS_PER_MINUTE,
    estimate_seconds,
    speakable,
    speech_weight,
)

__all__ = [
    "DEFAULT_MAX_SCENE_SECONDS",
    "DEFAULT_WORDS_PER_MINUTE",
    "ImageRef",
    "Plan",
    "ScriptLimits",
    "balanced_groups",
    "build_script",
    "check_limits",
    "estimate_seconds",
    "speakable",
    "speech_weight",
    "split_clauses",
    "split_sentences",
    "split_words",
]
