"""Planning: a document's sections -> a `Script` of scenes, each with its speakable narration.

`build_script` cuts sections into scenes of about `max_scene_seconds` of speech (default 20 s) and
checks the `ScriptLimits`; `speakable`, `speech_weight` and `estimate_seconds` say what the voice reads
and how long it takes; `split_sentences` and friends cut text without losing any of it.
The `Plan` (`plan`: scenes with their layout, items, beats, image, table, code, narration) is the
model between reading and rendering. `planning.normalize` (numbers, dates, units... as words) is its
own package. `storyboard`: the Plan as a JSON/YAML file (`dump_storyboard`, `parse_storyboard` with
one problem line per JSON path, `storyboard_schema`). `condense`: a plan fitted to a target duration
(`condense_plan`, `fit_duration`: ranked extractive condensation, key points on the slides).
"""

from app.services.planning.condense import (
    Condensed,
    DurationTarget,
    SentenceFate,
    condense_plan,
    fit_duration,
    plan_seconds,
)
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
from app.services.planning.storyboard import (
    STORYBOARD_CONTENT_TYPE,
    STORYBOARD_CONTENT_TYPES,
    StoryboardError,
    StoryboardFormat,
    dump_storyboard,
    parse_storyboard,
    read_storyboard,
    storyboard_format,
    storyboard_schema,
    validation_problems,
)

__all__ = [
    "DEFAULT_MAX_SCENE_SECONDS",
    "DEFAULT_WORDS_PER_MINUTE",
    "PLAN_VERSION",
    "STORYBOARD_CONTENT_TYPE",
    "STORYBOARD_CONTENT_TYPES",
    "Beat",
    "Code",
    "Condensed",
    "DurationTarget",
    "ImageRef",
    "Item",
    "Layout",
    "Plan",
    "Scene",
    "ScriptLimits",
    "SentenceFate",
    "StoryboardError",
    "StoryboardFormat",
    "Table",
    "balanced_groups",
    "build_script",
    "check_limits",
    "condense_plan",
    "dump_storyboard",
    "estimate_seconds",
    "fit_duration",
    "parse_storyboard",
    "plan_seconds",
    "read_storyboard",
    "speakable",
    "speech_weight",
    "split_clauses",
    "split_sentences",
    "split_words",
    "storyboard_format",
    "storyboard_schema",
    "validation_problems",
]
