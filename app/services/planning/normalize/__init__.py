"""Text normalization for speech: what the voice says for numbers, dates, money, units, abbreviations
and addresses, per language (Vietnamese and English built in), with a user lexicon applied first.

    spoken = normalize_for_speech("Giá 1.500.000 đ", "vi")   # "Giá một triệu năm trăm nghìn đồng"
    aligned = normalize_with_alignment(text, "en", Lexicon.load("words.toml"))
    aligned.written_span(start, end)   # spoken offsets (a word's timing) -> the written words
"""

from app.services.planning.normalize.lexicon import (
    MAX_LEXICON_BYTES,
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    MAX_WORDS,
    Lexicon,
    LexiconTable,
    RegexEntry,
)
from app.services.planning.normalize.merge import merge_lexicons
from app.services.planning.normalize.normalizer import normalize_for_speech, normalize_with_alignment
from app.services.planning.normalize.spans import Segment, SpokenText

__all__ = [
    "MAX_LEXICON_BYTES",
    "MAX_PATTERNS",
    "MAX_PATTERN_LENGTH",
    "MAX_WORDS",
    "Lexicon",
    "LexiconTable",
    "RegexEntry",
    "Segment",
    "SpokenText",
    "merge_lexicons",
    "normalize_for_speech",
    "normalize_with_alignment",
]
