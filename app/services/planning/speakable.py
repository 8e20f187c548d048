"""What the voice reads, and how long it takes: markup-free speakable text and speech estimates.

`speakable` removes what must not be read aloud (markup characters, HTML tags, URLs, which are read as
their host) and runs of tokens with nothing to say; `as_sentence` closes a block with a full stop so the
voice pauses after headings and bullets; `speech_weight` counts English-word equivalents (a CJK
character is a fraction of a word, CJK text has no spaces to count), which `estimate_seconds` turns
into time at a speaking rate. The scene splitter and the limits use the same estimate.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.config import setting_default

DEFAULT_WORDS_PER_MINUTE: int = setting_default("rate")

# A Han character or kana is spoken in about the time of 0.6 English words; CJK text has no spaces to count.
CJK_WORDS_PER_CHAR = 0.6
CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
_WORD_UNIT = re.compile(f"[{CJK_RANGES}]|[^\\s{CJK_RANGES}]+")
_SPACE = re.compile(r"\s+")

_URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"]*[^\s<>\".,;:!?'\")\]]", re.I)
# Known HTML elements only: other angle brackets are text ("<name>", "a < b") and are read as such.
_HTML_NAMES = (
    "a|abbr|article|aside|b|big|blockquote|body|br|center|cite|code|dd|del|details|dfn|div|dl|dt|em|"
    "figcaption|figure|font|footer|h[1-6]|head|header|hr|html|i|img|ins|kbd|li|mark|nav|ol|p|pre|q|s|"
    "samp|section|small|span|strike|strong|sub|summary|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul|var"
)
_HTML_TAG = re.compile(rf"</?(?:{_HTML_NAMES})(?:\s[^<>]*)?/?>", re.I)
_BRACKETED_WORD = re.compile(r"<([^\s<>]+)>")
_HASH = re.compile(r"(?<![A-Za-z])#+")
# "word ," -> "word,", but " .venv" and " .5" start a word and keep their space
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?…。！？，；：])(?!\w)")
_REPEATED_COMMA = re.compile(r",(?:\s*,)+")
# Runs of tokens with nothing to say ("!? !? !?", "-- --"): espeak pauses at each, so 2 MB of them
# would be hours of silence. One is kept.
_MUTE_RUN = re.compile(r"(?<!\S)([^\w\s]+)(?:\s+[^\w\s]+)+(?!\S)")
CLOSERS = "\"'”’»)]}」』）"
CLOSER_CLASS = f"[{re.escape(CLOSERS)}]"
_SENTENCE_END_CHARS = ".!?…。！？:;,"


def _host(match: re.Match[str]) -> str:
    url = match.group(0)
    if "://" not in url:
        url = "http://" + url
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def speakable(text: str) -> str:
    """What the voice reads: no markup characters, tags or URLs (a URL is read as its host)."""
    text = _URL.sub(_host, text)
    text = _HTML_TAG.sub(" ", text)
    text = _BRACKETED_WORD.sub(r"\1", text)
    text = text.replace("`", "").replace("*", "").replace("~", "").replace("\\", " ")
    text = text.replace("_", " ")  # snake_case reads as words
    text = _HASH.sub("", text)  # C# and F# keep theirs
    text = re.sub(r"\s*\|\s*", ", ", text)  # table cells
    text = _SPACE.sub(" ", text)
    text = _MUTE_RUN.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_COMMA.sub(",", text)
    return text.lstrip(" ,;").rstrip()


def _is_symbol(word: str) -> bool:
    """An emoji, an arrow: nothing a voice says, and no punctuation."""
    return not any(c.isalnum() or c in _SENTENCE_END_CHARS or c in CLOSERS for c in word)


def as_sentence(text: str) -> str:
    """Close with a full stop unless already closed, so the voice pauses after headings and bullets.

    The stop goes before trailing symbols nobody says: "Thank you. 🎉", not "Thank you 🎉.".
    """
    head, tail = text, ""
    while True:  # peel the trailing symbols off, a word at a time (speakable text has single spaces)
        before, space, last = head.rpartition(" ")
        if not space or not before or not _is_symbol(last):
            break
        head, tail = before, space + last + tail
    if tail:
        return as_sentence(head) + tail
    core = text.rstrip(CLOSERS)
    if core.endswith(":") and core == text:  # it introduced a code block or list the voice skips
        return core[:-1] + "."
    if not core or core[-1] in _SENTENCE_END_CHARS:
        return text
    return text + ("。" if _CJK_CHAR.match(core[-1]) else ".")


def speech_weight(text: str) -> float:
    """How long `text` takes to say, in English-word equivalents; CJK characters count as a fraction."""
    total = 0.0
    for unit in _WORD_UNIT.findall(text):
        if _CJK_CHAR.match(unit):
            total += CJK_WORDS_PER_CHAR
        elif any(ch.isalnum() for ch in unit):
            total += 1
    return total


def estimate_seconds(text: str, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE) -> float:
    """Speech time estimated from the word count; the same estimate the scene splitter uses."""
    return speech_weight(text) * 60.0 / words_per_minute
