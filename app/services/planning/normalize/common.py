"""What every language's rules share: the patterns and rule builders for URLs, e-mail addresses,
phone numbers, versions, signs, quantities and Roman numerals, said with each language's own words
(`Words`); `language.Language` puts them together.

Patterns here must stay linear: every one starts with a lookbehind that lets a match begin only at
the start of a token, and no quantifier is nested inside another unless the inner one is delimited
(`(?:\\.\\d{3})+`), so a failed attempt costs at most the length of one token.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.services.planning.normalize.scanner import PatternRule, Rule

# A number ends here: not followed by another digit (also across a separator, "1,5" or "1.500"), nor by a
# letter, except the "x" of "1920x1080".
NUMBER_END = r"(?![.,]?\d)(?!(?!x\d)\w)"
# Where a token may start: not inside a word or a number, except after the "x" of "1920x1080".
TOKEN_START = r"(?:(?<![\w.,])|(?<=\dx))"

# Top-level domains that make "word.tld" a web address rather than a file name ("notes.txt").
_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|io|ai|app|dev|co|me|tv|ly|gg|xyz|online|site|tech|store|blog|"
    "vn|uk|us|de|fr|jp|cn|kr|au|ca|in|ru|it|es|nl|se|no|fi|dk|ch|at|be|pl|br|sg|th|id|my|ph|tw|hk|eu"
)
URL = re.compile(
    r"(?<![\w@/.:-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'`]+(?<![.,;:!?)\]}>'\"])"
    r"|(?<![\w@/.:-])(?i:(?:[a-z0-9-]{1,63}\.)+(?:" + _TLDS + r"))(?![\w-]|\.\w)"
    r"(?:/[^\s<>\"'`]*(?<![.,;:!?)\]}>'\"]))?"
)
URL_PARTS = re.compile(r"(?i)^(?:(?:https?|ftp)://)?(?P<host>[^/?#:]+)(?::\d+)?(?P<rest>[/?#].*)?$")
SHORT_PATH = re.compile(r"/[A-Za-z0-9_-]{1,20}/?")
EMAIL = re.compile(
    r"(?<![\w.+-])(?P<user>[\w.+-]{1,64})@(?P<host>(?i:(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}))(?![\w-]|\.\w)"
)
PHONE = re.compile(
    r"(?<![\w+.,/-])(?P<phone>(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,12}(?:[ .-]\d{2,5}){0,4})"
    r"(?![.,-]?\d)(?!\w)"
)
VERSION = re.compile(
    TOKEN_START + r"(?P<v>v(?=\d+(?:\.\d+)+))?(?P<number>\d+(?:\.\d+){1,6})(?![.,]?\d)(?!\w)"
)
MAX_SPOKEN_DIGITS = 15
# "1.500.000,5" and "1,500,000.5": thousands separated, then maybe decimals after the other separator.
_GROUPED = {
    (separator, minimum): re.compile(rf"\d{{1,3}}(?:\{separator}\d{{3}}){{{minimum},}}(?:[.,]\d+)?")
    for separator in ".,"
    for minimum in (1, 2)
}


def split_number(written: str, thousands: str) -> tuple[str, str, str]:
    """(integer digits, decimal separator, decimals) of a written number. `thousands` is the language's
    own thousands separator ("." in Vietnamese, "," in English); the other one separates thousands only
    in two groups or more ("1,500,000" in a Vietnamese text), else it is the decimal separator."""
    other = "," if thousands == "." else "."
    for separator, minimum in ((thousands, 1), (other, 2)):
        if _GROUPED[separator, minimum].fullmatch(written):
            decimal = "," if separator == "." else "."
            integer, point, fraction = written.partition(decimal)
            return integer.replace(separator, ""), point, fraction
    return written.partition(other if other in written else thousands)


FRACTION = re.compile(TOKEN_START + r"(?P<a>\d{1,4})/(?P<b>\d{1,4})" + NUMBER_END + r"(?!/\d)")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_VOWELS = frozenset("aeiouy")
LETTER_OR_DIGIT_RUN = re.compile(r"\d+|[^\W\d_]+")


@dataclass(frozen=True)
class Words:
    """A language's words for digits said one by one and for the signs in addresses and formulas."""

    digits: tuple[str, ...]
    dot: str
    at: str
    slash: str
    dash: str
    underscore: str
    plus: str
    plus_minus: str
    times: str
    by: str
    divided_by: str
    equals: str
    approximately: str
    not_equal: str
    less_than: str
    greater_than: str
    at_most: str
    at_least: str
    and_: str
    about: str
    number: str
    point: str  # between the parts of a version number
    version: str
    to: str  # a range: "10-20"
    per: str  # "$5/month"


@dataclass(frozen=True)
class Clock:
    """A time of day as written: 14:05:30, or 2:05 PM."""

    hour: int
    minute: int
    second: int
    meridiem: str | None  # "AM", "PM"


def group_of(match: re.Match[str], *names: str) -> str | None:
    """The first of these groups that the pattern has and that matched."""
    for name in names:
        if name in match.re.groupindex and match[name]:
            return match[name]
    return None


def clock_of(match: re.Match[str], prefix: str) -> Clock | None:
    hour = int(group_of(match, f"{prefix}h", f"{prefix}hour") or 0)
    minute = int(group_of(match, f"{prefix}m", f"{prefix}hm") or 0)
    second = int(group_of(match, f"{prefix}s") or 0)
    meridiem = group_of(match, f"{prefix}ampm", f"{prefix}ampm2")
    if hour > 24 or minute > 59 or second > 59 or (meridiem and not 1 <= hour <= 12):
        return None
    return Clock(hour, minute, second, None if not meridiem else "AM" if meridiem[0] in "aA" else "PM")


def valid_date(day: int, month: int, year: int | None) -> bool:
    """A day that exists (29/2 only in a leap year; any leap year when the year is not given)."""
    if not 1 <= month <= 12 or day < 1:
        return False
    return day <= calendar.monthrange(year if year is not None else 2024, month)[1]


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed Roman numeral ("IV" -> 4), None for anything else ("IIII", "VX")."""
    if not numeral or not _ROMAN.fullmatch(numeral):
        return None
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for index, char in enumerate(numeral):
        value = values[char]
        following = values[numeral[index + 1]] if index + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


def unpronounceable(run: str) -> bool:
    lowered = run.lower()
    return lowered in ("www", "edu") or (len(lowered) <= 4 and not _VOWELS.intersection(lowered))


@dataclass(frozen=True)
class Quantity:
    """A number with what surrounds it: a sign, a currency, a second number (a range), a scale, a unit."""

    sign: str | None
    currency: str | None  # a prefix: "$", "USD"
    first: str
    second: str | None
    scale: str | None  # "M", "k", " million", " triệu"
    unit: str | None  # a suffix: "%", "kg", "đ", "VND"
    dimension: bool = False  # a side of "1920x1080"
    modifier: bool = False  # describes the noun after it: "the 10 km walk", "a 5 MB/s link"


_DIMENSION_BEFORE = re.compile(r"\dx$")
_DIMENSION_AFTER = re.compile(r"\s?x\s?\d")
# "a 10 km walk", "the 10 km walk", "our 5 GB plan": a determiner (or "a" and one adjective: "a
# scenic 10 km walk") before the measure, a noun after it; not "those 10 km" (the distance itself)
_DETERMINER_BEFORE = re.compile(
    r"(?<!\w)(?:(?:[Aa]n?|[Tt]he|[Tt]his|[Tt]hat|[Ee]ach|[Ee]very|[Aa]ny|[Oo]ur|[Mm]y|[Yy]our|[Hh]is|[Hh]er"
    r"|[Ii]ts|[Tt]heir)|[Aa]n?\s+[^\W\d_]+)\s+$"
)
_WORD_AFTER = re.compile(r"(?:/[^\W\d_]+)?\s+(?P<word>[^\W\d_][\w-]*)")
# words after a measure that show it is no attribute: "10 km of road", "the 10 km are", "10 km long"
_NOT_A_NOUN = frozenset(
    """
    of to in on at by for from with and or but than as per is are was were be been being has have had
    do does did will would can could should may might must it we you they he she i that which who
    long wide high tall deep thick old away ago apart later earlier more less too total each apiece
    """.split()
)


def _attributive(text: str, start: int, end: int) -> bool:
    """A measure used as an attribute of the noun after it ("the 10 km walk"), told reliably:
    a determiner before it and a word after it that can be a noun."""
    if _DETERMINER_BEFORE.search(text, max(0, start - 24), start) is None:
        return False
    after = _WORD_AFTER.match(text, end)
    return after is not None and after["word"].lower() not in _NOT_A_NOUN


def quantity_rule(
    number: str, scales: Sequence[str], units: Sequence[str], say: Callable[[Quantity], str | None]
) -> Rule:
    """One rule for numbers and all they carry, so "-5°C", "$12.5M", "10-20%", "1.500.000 đ" are each one
    match. `say(Quantity) -> str | None` is the language's reading."""
    prefixes = r"[$€£¥₫]|(?:USD|EUR|GBP|JPY|VND)\s?"
    scale_letters = [re.escape(s) for s in scales if not s.startswith(" ")]
    scale_words = [re.escape(s.strip()) for s in scales if s.startswith(" ")]
    unit_alternatives = "|".join(re.escape(unit) for unit in sorted(units, key=len, reverse=True))
    pattern = re.compile(
        TOKEN_START
        + r"(?P<sign>(?<![^\s(\[{\"'])[-−+±~≈])?"
        + r"(?P<currency>"
        + prefixes
        + r")?"
        + r"(?P<first>"
        + number
        + r")"
        + r"(?:(?:[-–]|\s[–—]\s)(?:"
        + prefixes
        + r")?(?P<second>"
        + number
        + r"))?"
        + r"(?P<scale>(?:"
        + "|".join(scale_letters)
        + r")(?!\w)|\s(?:"
        + "|".join(scale_words)
        + r")(?!\w))?"
        + r"(?:\s?(?P<unit>"
        + unit_alternatives
        + r")(?!\w))?"
        + NUMBER_END
    )

    def say_match(match: re.Match[str], text: str) -> str | None:
        currency = match["currency"]
        start, end = match.span()
        quantity = Quantity(
            sign=match["sign"],
            currency=currency.strip() if currency else None,
            first=match["first"],
            second=match["second"],
            scale=match["scale"],
            unit=match["unit"],
            dimension=_DIMENSION_BEFORE.match(text, max(0, start - 2), start) is not None
            or _DIMENSION_AFTER.match(text, end) is not None,
            modifier=_attributive(text, start, end),
        )
        return say(quantity)

    return PatternRule("quantity", pattern, say_match)


# What an abbreviation is said as: words, or words chosen from the context (match, whole text).
Expansion = str | Callable[[re.Match[str], str], str]
# (pattern, expansion, whether its final period may also end the sentence)
Abbreviation = tuple[str, Expansion, bool]


def abbreviation_rule(table: Sequence[Abbreviation]) -> Rule:
    """One regex for a table of abbreviations (the first entry that fits wins, so longer ones go first).

    An abbreviation starts a token and ends with its period or at the end of a word. When its period
    also ends the sentence ("..., etc. Then"), the spoken form keeps a period for the pause.
    """
    alternatives = "|".join(f"(?P<a{index}>{pattern})" for index, (pattern, _, _) in enumerate(table))
    pattern = re.compile(r"(?<![\w.])(?:" + alternatives + r")(?:(?<=\.)|(?!\w))")

    def say(match: re.Match[str], text: str) -> str:
        _, expansion, may_end_sentence = table[int((match.lastgroup or "a0")[1:])]
        spoken = expansion if isinstance(expansion, str) else expansion(match, text)
        if may_end_sentence and match.group().endswith(".") and ends_sentence(text, match.end()):
            return spoken + "."
        return spoken

    return PatternRule("abbreviation", pattern, say)


_SENTENCE_FOLLOWS = re.compile(r"[ \t]*(?:\n|$)|\s+(?P<next>[^\W\d_])")


def ends_sentence(text: str, end: int) -> bool:
    """Whether the sentence ends at `end`: the text or the line ends, or a capital letter follows."""
    follows = _SENTENCE_FOLLOWS.match(text, end)
    if follows is None:
        return False
    return follows["next"] is None or follows["next"].isupper()


def address_shortening_rule() -> Rule:
    """For languages without their own words: a web address becomes its domain, as written."""

    def say(match: re.Match[str], _: str) -> str | None:
        parts = URL_PARTS.match(match.group())
        if parts is None or "." not in parts["host"]:
            return None
        host = parts["host"].lower()
        return host[4:] if host.startswith("www.") and host.count(".") > 1 else host

    return PatternRule("url", URL, say)
