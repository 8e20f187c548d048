"""The entry point: a text and its language in, what the voice says (and how it lines up) out.

Two passes, left to right: the user's lexicon first, then the language's built-in rules over the text
the lexicon left alone. Both are linear in the text's length and deterministic.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from app.services.planning.normalize.common import address_shortening_rule
from app.services.planning.normalize.english import English
from app.services.planning.normalize.language import Language
from app.services.planning.normalize.lexicon import Lexicon
from app.services.planning.normalize.scanner import Rule, scan
from app.services.planning.normalize.spans import SpokenBuilder, SpokenText
from app.services.planning.normalize.vietnamese import Vietnamese


def normalize_for_speech(text: str, language: str, lexicon: Lexicon | None = None) -> str:
    """What the voice should say for `text` (narration as written) in `language` ("vi", "en-us"...)."""
    return normalize_with_alignment(text, language, lexicon).spoken


def normalize_with_alignment(text: str, language: str, lexicon: Lexicon | None = None) -> SpokenText:
    """The spoken text and the segments mapping it back to `text`, for captions timed to spoken words."""
    builder = SpokenBuilder(text)
    rules = _builtin_rules(_language_tag(language))
    position = 0
    if lexicon is not None:
        lexicon_rules = lexicon.rules(language, lambda group: normalize_for_speech(group, language))
        for start, end, spoken in scan(text, 0, len(text), lexicon_rules):
            _apply(text, position, start, rules, builder)
            builder.replace(start, end, spoken)
            position = end
    _apply(text, position, len(text), rules, builder)
    return builder.build()


def _apply(text: str, start: int, end: int, rules: Sequence[Rule], builder: SpokenBuilder) -> None:
    for found_start, found_end, spoken in scan(text, start, end, rules):
        builder.replace(found_start, found_end, spoken)
    builder.keep(end)


def _language_tag(language: str) -> str:
    return language.strip().lower().replace("_", "-")


@functools.lru_cache(maxsize=16)
def _builtin_rules(tag: str) -> tuple[Rule, ...]:
    """The compiled rules of a language tag; a language without rules of its own only has long web
    addresses shortened to their domain (its voice reads "example.com" in its own way)."""
    base, _, rest = tag.partition("-")
    language: Language | None = None
    if base == "vi":
        language = Vietnamese()
    elif base == "en":
        language = English(region=rest.split("-")[0])
    return tuple(language.rules()) if language is not None else (address_shortening_rule(),)
