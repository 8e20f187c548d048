"""Planning: a document's sections -> a `Script` of scenes, each with its speakable narration.

`build_script` cuts sections into scenes of about `max_scene_seconds` of speech (default 20 s) and
checks the `ScriptLimits`; `speakable`, `speech_weight` and `estimate_seconds` say what the voice reads
and how long it takes; `split_sentences` and friends cut text without losing any of it.
The `Plan` (`plan`: scenes with their layout, items, beats, image, table, code, narration) is the
model between reading and rendering. `planning.normalize` (numbers, dates, units... as words) is its
own package.
"""

from app.services.planning.limits import ScriptLimits, check_limits
from app.services.planning.plan import PLAN_VERSION, Beat, Code, ImageRef, Item, Layout, Plan, Scene, Table
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
    "PLAN_VERSION",
    "Beat",
    "Code",
    "ImageRef",
    "Item",
    "Layout",
    "Plan",
    "Scene",
    "ScriptLimits",
    "Table",
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
