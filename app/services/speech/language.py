"""Which espeak voice should read a text, when the user did not say.

Vietnamese is recognised by its own letters (langdetect is unreliable on short Vietnamese), other
scripts by their code points, and the remaining Latin-script languages by the offline `langdetect`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

FALLBACK = "en"

# Letters only Vietnamese uses among the Latin-script languages: ă đ ơ ư, and the tone marks that
# other languages lack (dot below, hook above, tilde on e/i/u/y, tones on â ê ô ă ơ ư).
_VIETNAMESE = frozenset("ăđơưạặậẹệịọộợụựỵảẳẩẻểỉỏổởủửỷẵẫẽễĩỗỡũữỹằắầấềếồốờớừứỳ")
# Vietnamese marks a third or more of its words with these letters; below this share (a quoted name
# in an English text) langdetect decides.
_VIETNAMESE_SHARE = 0.25

# (first, last code point, script); scripts not listed count as Latin or are ignored.
_SCRIPTS = (
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0A00, 0x0A7F, "gurmukhi"),
    (0x0A80, 0x0AFF, "gujarati"),
    (0x0B00, 0x0B7F, "oriya"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0C00, 0x0C7F, "telugu"),
    (0x0C80, 0x0CFF, "kannada"),
    (0x0D00, 0x0D7F, "malayalam"),
    (0x0D80, 0x0DFF, "sinhala"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1000, 0x109F, "myanmar"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1100, 0x11FF, "hangul"),
    (0x1200, 0x137F, "ethiopic"),
    (0x3040, 0x30FF, "kana"),
    (0x3130, 0x318F, "hangul"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xAC00, 0xD7AF, "hangul"),
)
_SCRIPT_VOICE = {
    "greek": "el",
    "cyrillic": "ru",
    "armenian": "hy",
    "hebrew": "he",
    "arabic": "ar",
    "devanagari": "hi",
    "bengali": "bn",
    "gurmukhi": "pa",
    "gujarati": "gu",
    "oriya": "or",
    "tamil": "ta",
    "telugu": "te",
    "kannada": "kn",
    "malayalam": "ml",
    "sinhala": "si",
    "thai": "th",
    "myanmar": "my",
    "georgian": "ka",
    "hangul": "ko",
    "ethiopic": "am",
    "kana": "ja",
    "han": "cmn",
}
# Scripts shared by several languages: langdetect picks among these, the script's default otherwise.
_SHARED_SCRIPTS = {
    "cyrillic": {"ru", "uk", "bg", "mk"},
    "arabic": {"ar", "fa", "ur"},
    "devanagari": {"hi", "mr", "ne"},
}
# langdetect codes whose espeak voice has another name; codes espeak lacks (so, tl) are left out.
_LANGDETECT_VOICE = {"zh-cn": "cmn", "zh-tw": "cmn", "no": "nb"}
_LANGDETECT_UNSUPPORTED = frozenset({"so", "tl"})
_SAMPLE_CHARS = 4000  # langdetect needs a few sentences, not a whole book


def detect_language(text: str) -> str:
    """An espeak language code for `text`; "en" when nothing says otherwise."""
    text = unicodedata.normalize("NFC", text)
    script = _main_script(text)
    if script is None:
        return FALLBACK
    if script == "latin":
        if _looks_vietnamese(text):
            return "vi"
        if _looks_english(text):
            return "en"  # the common case, without loading langdetect's profiles (~0.2 s)
        return _langdetect(text, None) or FALLBACK
    default = _SCRIPT_VOICE[script]
    if script in _SHARED_SCRIPTS:
        return _langdetect(text, _SHARED_SCRIPTS[script]) or default
    return default


# Words that make up a large share of any English text and are rare as words in other Latin-script
# languages' running text.
_ENGLISH_MARKERS = frozenset(
    ["the", "and", "of", "to", "that", "this", "with", "which", "from", "are", "were", "have", "they", "you"]
)


def _looks_english(text: str) -> bool:
    """Plain ASCII with English function words at English frequency (over 8% of the words)."""
    if not text.isascii():
        return False
    words = [w.strip(".,;:!?()\"'").lower() for w in text.split()]
    words = [w for w in words if w]
    if len(words) < 8:
        return False
    return sum(w in _ENGLISH_MARKERS for w in words) / len(words) > 0.08


def voice_for_text(text: str) -> str:
    """The voice spec a render uses when none is given."""
    return f"espeak:{detect_language(text)}"


def _main_script(text: str) -> str | None:
    counts: Counter[str] = Counter()
    for char in text:
        if char.isalpha():
            counts[script_of(ord(char))] += 1
    if not counts:
        return None
    if counts["kana"] and counts["han"]:  # Japanese writes most words in kanji
        counts["kana"] += counts.pop("han")
    return counts.most_common(1)[0][0]


def script_of(code: int) -> str:
    """The script of a letter's code point: "latin" for the scripts not listed (Latin among them)."""
    for first, last, name in _SCRIPTS:
        if first <= code <= last:
            return name
    return "latin"


def script_language(script: str) -> str | None:
    """The espeak language that reads a script by default ("han" -> "cmn"; "latin" -> "en"),
    None for a script espeak has no voice for (Khmer, Lao, Tibetan...)."""
    return FALLBACK if script == "latin" else _SCRIPT_VOICE.get(script)


def language_scripts(language: str) -> frozenset[str]:
    """The scripts a language's voice reads itself: its own, and the scripts it shares (Persian
    reads Arabic script); Japanese and Korean read Han characters too. Others read Latin."""
    base = language.split("+", 1)[0].split("-", 1)[0].lower()
    base = {"zh": "cmn"}.get(base, base)
    own = {s for s, v in _SCRIPT_VOICE.items() if v == base}
    own |= {s for s, shared in _SHARED_SCRIPTS.items() if base in shared}
    if base in ("ja", "ko", "yue"):
        own.add("han")
    return frozenset(own or {"latin"})


def _looks_vietnamese(text: str) -> bool:
    words = [w for w in text.lower().split() if any(c.isalpha() for c in w)]
    marked = sum(1 for w in words if not _VIETNAMESE.isdisjoint(w))
    return marked > 0 and marked >= _VIETNAMESE_SHARE * len(words)


def _langdetect(text: str, allowed: set[str] | None) -> str | None:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect samples at random; a fixed seed makes renders repeatable
    try:
        guesses = detect_langs(text[:_SAMPLE_CHARS])
    except LangDetectException:
        return None
    for guess in guesses:
        if allowed is None or guess.lang in allowed:
            return from_langdetect(guess.lang)
    return None


def from_langdetect(code: str) -> str | None:
    """The espeak code for a langdetect code, or None when espeak cannot speak that language."""
    if code in _LANGDETECT_UNSUPPORTED:
        return None
    return _LANGDETECT_VOICE.get(code, code)
