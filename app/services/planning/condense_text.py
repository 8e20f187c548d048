"""The language side of condensation: words and stop words (English, Vietnamese), asides, key points.

Offline and small on purpose: sentence ranking needs content words (stop words out), the selection
needs to know which sentences are examples or asides (dropped first), and slides need short key
points: a few words taken from a kept sentence, the full sentence staying in the narration.
Vietnamese is written in syllables separated by spaces, so its key points allow more tokens.
"""

from __future__ import annotations

import re
import unicodedata

_EN_STOP = """a about above after again against all also am an and any are aren't as at be because been before
        being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
        down during each even ever every few for from further had hadn't has hasn't have haven't having he her
        here hers herself him himself his how however i if in into is isn't it it's its itself just let's
        like many may me might more most much must my myself no nor not now of off often on once one only or
        other our ours ourselves out over own quite rather really same she should shouldn't so some such than
        that that's the their theirs them themselves then there there's these they this those though through
        thus to too under until up upon us very was wasn't we were weren't what when where whether which while
        who whom why will with within without would wouldn't yet you your yours yourself yourselves
"""
_VI_STOP = """à ạ ai anh bị bởi các cái cần càng chỉ chiếc cho chứ chưa có cũng cùng của cứ dù đã đang đây để
        đến đều điều do đó được gì hay hơn hết khi không là lại lên lúc mà mỗi một này nên nếu ngay nhiều như
        nhưng những nơi nữa ở phải qua ra rằng rất rồi sau sẽ so sự tại theo thì trên trong trước từ từng và
        vào vẫn về vì việc với vừa thế nào đấy kia ấy hoặc hãy nó họ chúng ta tôi bạn mình luôn đi
"""
STOP_WORDS: dict[str, frozenset[str]] = {"en": frozenset(_EN_STOP.split()), "vi": frozenset(_VI_STOP.split())}

# Sentence openings that mark an example, an aside or a restatement: dropped first.
_ASIDE_OPENINGS: dict[str, tuple[str, ...]] = {
    "en": (
        "for example", "for instance", "e.g.", "as an example", "note that", "by the way", "incidentally",
        "in other words", "that is,", "i.e.", "as a side note", "fun fact", "to illustrate", "say,",
        "imagine", "consider",
    ),
    "vi": (
        "ví dụ", "chẳng hạn", "lưu ý", "nói cách khác", "nhân tiện", "thí dụ", "giả sử", "hãy tưởng tượng",
        "nói thêm",
    ),
}  # fmt: skip
# Connectives a key point does not need ("However, revenue grew" -> "Revenue grew").
_LEADING_CONNECTIVES: dict[str, tuple[str, ...]] = {
    "en": (
        "however", "in addition", "moreover", "furthermore", "also", "so", "therefore", "thus", "first",
        "second", "third", "finally", "in fact", "of course", "then", "and", "but", "today", "now",
        "as a result", "in short", "overall", "the", "a", "an",
    ),
    "vi": (
        "tuy nhiên", "ngoài ra", "vì vậy", "do đó", "thêm vào đó", "cuối cùng", "trước hết", "và",
        "nhưng", "hơn nữa", "bên cạnh đó", "nhìn chung", "tóm lại", "sau đó", "vì thế",
    ),
}  # fmt: skip
KEY_POINT_TOKENS = {"vi": 11}  # syllables
KEY_POINT_TOKENS_DEFAULT = 8  # words
KEY_POINT_WHOLE = 12  # tokens: a clause with no phrase end to cut at is shown whole up to this long
# Words that start a new phrase (prepositions, conjunctions): a key point cut short ends before one.
_EN_STARTS = """in on at for with from by to of into about over under after before during through and or
but that which who while because so as when where if than via"""
_VI_STARTS = """trong trên tại cho với từ bởi để của và hoặc nhưng mà khi nếu vì theo về đến vào như
rằng ở sau trước bằng"""
_PHRASE_STARTS = {"en": frozenset(_EN_STARTS.split()), "vi": frozenset(_VI_STARTS.split())}
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_WORDLESS = re.compile(r"[\W_]+")
_MARKUP = re.compile(r"[*`~_]+|\[([^\]]*)\]\([^)]*\)")
_VI_MARKS = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u0300\u0301\u0303\u0309\u0323]")


def guess_language(text: str) -> str | None:
    """'vi' when the text carries Vietnamese letters and tone marks, 'en' for plain ASCII-Latin text."""
    sample = unicodedata.normalize("NFD", text[:4000])
    letters = sum(ch.isalpha() for ch in sample) or 1
    if len(_VI_MARKS.findall(sample)) / letters > 0.03:
        return "vi"
    if sum(ch.isascii() for ch in sample if ch.isalpha()) / letters > 0.95:
        return "en"
    return None


def base_language(language: str | None) -> str:
    return (language or "").lower().replace("_", "-").split("-")[0]


def content_words(text: str, language: str | None) -> list[str]:
    """Lower-case words without stop words and one-letter tokens (numbers kept: they carry facts)."""
    stop = STOP_WORDS.get(base_language(language), frozenset())
    words = (w.lower() for w in _TOKEN.findall(text))
    return [w for w in words if w not in stop and (len(w) > 1 or w.isdigit())]


def plain(text: str) -> str:
    """Inline Markdown as plain words: emphasis marks dropped, links as their text."""
    return _MARKUP.sub(lambda m: m.group(1) or "", text)


def same_words(a: str, b: str) -> bool:
    """The same words, whatever the markup, punctuation and case (a heading read as a sentence)."""
    return _WORDLESS.sub(" ", plain(a)).strip().lower() == _WORDLESS.sub(" ", plain(b)).strip().lower()


def short_sentence(text: str, language: str | None) -> bool:
    """A sentence no longer than a key point: it is its own key point, whole."""
    limit = KEY_POINT_TOKENS.get(base_language(language), KEY_POINT_TOKENS_DEFAULT)
    return len(plain(text).split()) <= limit


def is_aside(sentence: str, language: str | None) -> bool:
    """An example, a side note or a restatement: the first thing to drop when time is short."""
    s = plain(sentence).strip().lower()
    if s.startswith("(") and s.rstrip(" .!?").endswith(")"):
        return True
    return s.startswith(_ASIDE_OPENINGS.get(base_language(language), ()))


def _drop_leading(words: list[str], language: str) -> list[str]:
    connectives = _LEADING_CONNECTIVES.get(language, ())
    changed = True
    while changed and words:
        changed = False
        lowered = " ".join(words).lower()
        for c in connectives:
            if lowered.startswith(c) and (len(lowered) == len(c) or not lowered[len(c)].isalnum()):
                n = len(c.split())
                if len(words) > n + 1:
                    words = words[n:]
                    words[0] = words[0].lstrip(",;:")
                    if not words[0]:
                        words = words[1:]
                    changed = True
                break
    return words


def key_point(sentence: str, language: str | None, max_tokens: int | None = None) -> str:
    """A few words from a sentence for a slide: its main clause, connectives and trailing stop words
    dropped, cut at a content word. "However, revenue grew by ten percent in the third quarter,
    driven by Asia." -> "Revenue grew by ten percent"."""
    lang = base_language(language)
    limit = max_tokens or KEY_POINT_TOKENS.get(lang, KEY_POINT_TOKENS_DEFAULT)
    stop = STOP_WORDS.get(lang, frozenset())
    text = plain(sentence).strip()
    words = _drop_leading(text.split(), lang)
    clause: list[str] = []
    for word in words:  # the first clause with something to say
        clause.append(word)
        if word[-1:] in ",;:–—" and len(content_words(" ".join(clause), lang)) >= 2:
            break
    if len(clause) > limit:  # cut mid-clause only at a phrase's end (before a preposition...)
        starts = _PHRASE_STARTS.get(lang, stop)
        least = limit // 2 + 1
        head = clause[:limit]
        cut = max((k for k, w in enumerate(head) if k >= least and w.lower() in starts), default=0)
        if not cut and len(clause) > KEY_POINT_WHOLE:  # too long to show whole: the first
            later = (k for k, w in enumerate(clause) if limit <= k <= KEY_POINT_WHOLE and w.lower() in starts)
            cut = next(later, limit)  # phrase end after the limit (else, at worst, the limit)
        if cut:
            clause = clause[:cut]
        # else the whole clause: "read the way" or "languages work" (out of the box) say less
        # than nothing; a slide shows a whole phrase
    cut_short = len(clause) < len(words)  # a cut clause ends at a content word; a sentence whole,
    while cut_short and len(clause) > 1 and clause[-1].lower().strip(",;:.!?…\"'”’)") in stop:
        clause.pop()  # with its last word ("say them")
    point = " ".join(clause).strip().rstrip(",;:.!?…–—-").strip()
    if not point:
        return text[:60]
    first = point.split(" ", 1)[0]
    if first.isalpha() and first.islower():  # "revenue grew" -> "Revenue grew"; "t2v", "iOS" stay
        point = point[0].upper() + point[1:]
    return point
