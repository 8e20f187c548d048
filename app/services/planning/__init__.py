"""Planning: a document's `Content` -> the `Plan` (`plan_document`), the model between reading and
rendering: scenes with their layout, items, image, table, code, narration (as written), `spoken`
(what the voice gets: `add_spoken`, with `normalize` and a `Lexicon`) and beats.

`plan_document` makes a title card, cuts sections into units and units into scenes by speech time and
by what `fits` the slide (continuation scenes "(2/3)"), and checks the `ScriptLimits`; `narrate` says
what is read (`md_sentences`, `row_sentence`); `speakable`, `speech_weight` and `estimate_seconds` say
what the voice reads and how long it takes; `split_sentences` and friends cut text without losing any
of it. `storyboard`: the Plan as a JSON/YAML file (`dump_storyboard`, `parse_storyboard` with one
problem line per JSON path, `storyboard_schema`). `condense`: a plan fitted to a target duration
(`condense_plan`, `fit_duration`: ranked extractive condensation, key points on the slides).
`planning.normalize` (numbers, dates, units... as words) is its own package.
"""

from app.services.planning.beats_of import derive_beats, usable_beats
from app.services.planning.captioned import for_burned_captions
from app.services.planning.condense import (
    Condensed,
    DurationTarget,
    SentenceFate,
    condense_plan,
    fit_duration,
)
from app.services.planning.condense_time import plan_seconds
from app.services.planning.groups import DEFAULT_MAX_SCENE_SECONDS, balanced_groups
from app.services.planning.limits import ScriptLimits, check_limits
from app.services.planning.narrate import md_sentences, row_sentence
from app.services.planning.normalize import MAX_LEXICON_BYTES, Lexicon, merge_lexicons
from app.services.planning.parts import Fits
from app.services.planning.plan import PLAN_VERSION, Beat, Code, ImageRef, Item, Layout, Plan, Scene, Table
from app.services.planning.planner import PlanLimits, add_spoken, plan_document
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
    "MAX_LEXICON_BYTES",
    "PLAN_VERSION",
    "STORYBOARD_CONTENT_TYPE",
    "STORYBOARD_CONTENT_TYPES",
    "Beat",
    "Code",
    "Condensed",
    "DurationTarget",
    "Fits",
    "ImageRef",
    "Item",
    "Layout",
    "Lexicon",
    "Plan",
    "PlanLimits",
    "Scene",
    "ScriptLimits",
    "SentenceFate",
    "StoryboardError",
    "StoryboardFormat",
    "Table",
    "add_spoken",
    "balanced_groups",
    "check_limits",
    "condense_plan",
    "derive_beats",
    "dump_storyboard",
    "estimate_seconds",
    "fit_duration",
    "for_burned_captions",
    "md_sentences",
    "merge_lexicons",
    "parse_storyboard",
    "plan_document",
    "plan_seconds",
    "read_storyboard",
    "row_sentence",
    "speakable",
    "speech_weight",
    "split_clauses",
    "split_sentences",
    "split_words",
    "storyboard_format",
    "storyboard_schema",
    "usable_beats",
    "validation_problems",
]
