"""Two parsed lexicons as one: a theme file's `[lexicon]` under the `--lexicon` option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.services.planning.normalize.lexicon import TABLE_OPTIONS


def merge_lexicons(under: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Two parsed lexicons as one (a theme file's `[lexicon]` under `--lexicon`): per language, a word
    of `over` replaces the same word of `under` (in any case if the table ignores case), its
    patterns come first, and its `ignore_case` wins when given. Both are checked on their own first
    (`Lexicon.from_mapping`)."""
    merged: dict[str, Any] = {}
    for data in (under, over):
        for raw_key, value in data.items():
            key = str(raw_key).strip().lower().replace("_", "-")
            if not isinstance(value, Mapping):
                merged[key] = value
                continue
            table = dict(merged.get(key) or {})
            fold = value.get("ignore_case", table.get("ignore_case", False)) is True
            for word in (w for w in value if w not in TABLE_OPTIONS):
                same = [
                    w
                    for w in table
                    if w not in TABLE_OPTIONS and (w.lower() == word.lower() if fold else w == word)
                ]
                for old in same:
                    del table[old]
            patterns = [*value.get("regex", []), *table.get("regex", [])]
            table.update(value)
            if patterns:
                table["regex"] = patterns
            merged[key] = table
    return merged
