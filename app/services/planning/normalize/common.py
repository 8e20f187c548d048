"""What every language's rules share: the rule base class, and URLs, e-mail addresses, phone numbers,
versions, signs, quantities and Roman numerals, said with each language's own words.

Patterns here must stay linear: every one starts with a lookbehind that lets a match begin only at
the start of a token, and no quantifier is nested inside another unless the inner one is delimited
(`(?:\\.\\d{3})+`), so a failed attempt costs at most the length of one token.
"""

from __future__ import annotations

import calendar
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from app.services.planning.normalize.scanner import PatternRule, Rule, Say

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
_URL = re.compile(
    r"(?<![\w@/.:-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'`]+(?<![.,;:!?)\]}>'\"])"
    r"|(?<![\w@/.:-])(?i:(?:[a-z0-9-]{1,63}\.)+(?:" + _TLDS + r"))(?![\w-]|\.\w)"
    r"(?:/[^\s<>\"'`]*(?<![.,;:!?)\]}>'\"]))?"
)
_URL_PARTS = re.compile(r"(?i)^(?:(?:https?|ftp)://)?(?P<host>[^/?#:]+)(?::\d+)?(?P<rest>[/?#].*)?$")
_SHORT_PATH = re.compile(r"/[A-Za-z0-9_-]{1,20}/?")
_EMAIL = re.compile(
    r"(?<![\w.+-])(?P<user>[\w.+-]{1,64})@(?P<host>(?i:(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}))(?![\w-]|\.\w)"
)
_PHONE = re.compile(
    r"(?<![\w+.,/-])(?P<phone>(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,12}(?:[ .-]\d{2,5}){0,4})"
    r"(?![.,-]?\d)(?!\w)"
)
_VERSION = re.compile(
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


_FRACTION = re.compile(TOKEN_START + r"(?P<a>\d{1,4})/(?P<b>\d{1,4})" + NUMBER_END + r"(?!/\d)")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_VOWELS = frozenset("aeiouy")
_LETTER_OR_DIGIT_RUN = re.compile(r"\d+|[^\W\d_]+")


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


class Language(ABC):
    """The rules of one language. Subclasses say numbers; the shared rules use their words."""

    code: str
    words: Words
    letter_names: ClassVar[Mapping[str, str] | None] = None  # None: spell with capital letters ("V N")
    number_pattern: ClassVar[str]  # a written number, in this language's convention
    scales: ClassVar[Sequence[str]]  # "k", "M" after a number; " million" with a space before
    units: ClassVar[Sequence[str]]  # what may follow a number: "%", "kg", "đ", "USD"
    per_units: ClassVar[Mapping[str, str]]  # what may follow a slash ("/kg", "/month") -> its name

    @abstractmethod
    def cardinal(self, value: int) -> str:
        """A whole number in words."""

    @abstractmethod
    def number(self, written: str) -> str:
        """A number written in this language's convention ("1.500.000,5" in Vietnamese)."""

    @abstractmethod
    def specific_rules(self) -> list[Rule]:
        """The language's own rules (dates, times, abbreviations...), the most specific first."""

    @abstractmethod
    def say_quantity(self, quantity: Quantity) -> str | None:
        """A number with its sign, currency, range, scale and unit."""

    def rules(self) -> list[Rule]:
        """Every built-in rule; at the same position the one listed first wins."""
        return [
            *self.address_rules(),
            *self.specific_rules(),
            quantity_rule(self.number_pattern, self.scales, self.units, self.say_quantity),
            self.version_rule(),
            self.per_rule(),
            self.symbol_rule(),
        ]

    def whole(self, digits: str) -> str:
        """The integer part of a number; with a leading zero ("007") or too long for words (an ID, a
        hash) it is read digit by digit."""
        if (len(digits) > 1 and digits[0] == "0") or len(digits) > MAX_SPOKEN_DIGITS:
            return self.digits(digits)
        return self.cardinal(int(digits))

    def digits(self, written: str) -> str:
        return " ".join(self.words.digits[int(char)] for char in written if char.isdigit())

    def spell(self, letters: str) -> str:
        if self.letter_names is None:
            return " ".join(letters.upper())
        return " ".join(self.letter_names.get(char, char) for char in letters.lower())

    # Rules every language has, said with its words -------------------------------------------------

    def address_rules(self) -> list[Rule]:
        return [
            PatternRule("url", _URL, lambda m, _: self.say_url(m.group())),
            PatternRule("email", _EMAIL, lambda m, _: self.say_email(m["user"], m["host"])),
        ]

    def say_url(self, url: str) -> str | None:
        """A web address: its domain, and a short path ("/about"); a long path or a query is left out."""
        parts = _URL_PARTS.match(url)
        if parts is None or "." not in parts["host"]:
            return None
        spoken = self.say_domain(parts["host"])
        rest = parts["rest"] or ""
        if rest not in ("", "/") and _SHORT_PATH.fullmatch(rest):
            spoken += f" {self.words.slash} " + self._say_name(rest.strip("/"))
        return spoken

    def say_email(self, user: str, host: str) -> str:
        return f"{self._say_name(user)} {self.words.at} {self.say_domain(host)}"

    def say_domain(self, host: str) -> str:
        labels = [label for label in host.lower().split(".") if label]
        if len(labels) > 2 and labels[0] == "www":
            labels = labels[1:]
        last = len(labels) - 1
        return f" {self.words.dot} ".join(
            self._say_name(label, spell_short=index == last) for index, label in enumerate(labels)
        )

    def _say_name(self, name: str, spell_short: bool = False) -> str:
        """A part of an address: separators said, digits one by one, letter runs read as words unless
        they cannot be ("vn", "www"), two-letter top-level domains spelled ("io", "uk")."""
        separators = {".": self.words.dot, "-": self.words.dash, "_": self.words.underscore}
        separators["+"] = self.words.plus
        spoken: list[str] = []
        for piece in re.split(r"([._+-])", name):
            if piece in separators:
                spoken.append(separators[piece])
                continue
            for run in _LETTER_OR_DIGIT_RUN.findall(piece):
                if run.isdigit():
                    spoken.append(self.digits(run))
                elif _unpronounceable(run) or (spell_short and len(run) == 2 and run != "co"):
                    spoken.append(self.spell(run))
                else:
                    spoken.append(run.lower())
        return " ".join(spoken)

    def phone_rule(self) -> Rule:
        return PatternRule("phone", _PHONE, lambda m, _: self.say_phone(m["phone"]))

    def say_phone(self, phone: str) -> str | None:
        """Digit by digit, a pause between the groups as written; None if it does not look like a phone."""
        groups = re.findall(r"\+?\d+", phone)
        count = sum(len(group.lstrip("+")) for group in groups)
        if not self.is_phone(phone, [len(group.lstrip("+")) for group in groups], count):
            return None
        spoken = []
        for group in groups:
            words = self.digits(group)
            spoken.append(f"{self.words.plus} {words}" if group.startswith("+") else words)
        return ", ".join(spoken)

    def is_phone(self, phone: str, group_sizes: list[int], digit_count: int) -> bool:
        if phone.startswith(("+", "(")):
            return 8 <= digit_count <= 15
        return phone.startswith("0") and 9 <= digit_count <= 12

    def version_rule(self) -> Rule:
        def say(match: re.Match[str], _: str) -> str | None:
            parts = match["number"].split(".")
            if not match["v"] and len(parts) < 3:
                return None  # "1.5" is a number
            if any(len(part) > 1 and part.startswith("0") for part in parts[1:]):
                said = [self.cardinal(int(parts[0]))] + [self.digits(part) for part in parts[1:]]
            else:
                said = [self.cardinal(int(part)) for part in parts]
            prefix = f"{self.words.version} " if match["v"] else ""
            return prefix + f" {self.words.point} ".join(said)

        return PatternRule("version", _VERSION, say)

    def per_rule(self) -> Rule:
        """ "50.000 đồng/kg", "$5/month": the slash before a unit is said "per"."""
        names = "|".join(re.escape(name) for name in sorted(self.per_units, key=len, reverse=True))
        pattern = re.compile(r"(?<=[\w$€£¥₫%])/(?P<unit>" + names + r")(?!\w)")
        return PatternRule("per", pattern, lambda m, _: f"{self.words.per} {self.per_units[m['unit']]}")

    def fraction_rule(self, say: Say) -> Rule:
        """Two numbers around a slash that were not a date."""
        return PatternRule("fraction", _FRACTION, say)

    def time_rule(self, time: Callable[[str], str], say_clock: Callable[[Clock], str], end: str = "") -> Rule:
        """A time or a span of two ("10h-11h30", "9am-5pm"). `time(prefix)` is the pattern of one time,
        its groups named prefix + h/hour, m/hm, s, ampm/ampm2; `say_clock` says one."""
        pattern = re.compile(TOKEN_START + time("a") + r"(?:\s?[-–]\s?" + time("b") + r")?" + end)

        def say(match: re.Match[str], text: str) -> str | None:
            first = _clock(match, "a")
            if first is None:
                return None
            spoken = say_clock(first)
            if _group(match, "bh", "bhour") is not None:
                second = _clock(match, "b")
                if second is None:
                    return None
                spoken += f" {self.words.to} {say_clock(second)}"
            if match.group().endswith(".") and ends_sentence(text, match.end()):
                spoken += "."  # "at 7 a.m. Then"
            return spoken

        return PatternRule("time", pattern, say)

    def symbol_rule(self) -> Rule:
        w = self.words
        table = {
            "±": w.plus_minus, "×": w.times, "÷": w.divided_by, "=": w.equals, "≈": w.approximately,
            "≠": w.not_equal, "≤": w.at_most, "≥": w.at_least, "<": w.less_than, ">": w.greater_than,
            "&": w.and_, "@": w.at, "~": w.about, "#": w.number, "+": w.plus, "x": w.by,
        }  # fmt: skip
        pattern = re.compile(
            r"[±×÷≈≠≤≥]"
            r"|(?<![=<>!])=(?![=>])"
            r"|(?<=\s)[<>](?=\s)"  # a comparison, not an arrow or a tag
            r"|&(?!#?\w{1,10};)"
            r"|(?<![\w.])@(?=\w)"  # a handle; an e-mail address is read by its own rule
            r"|~(?=\s?\d)|(?<![\w&])#(?=\d)"
            r"|(?<=[\d\s])\+(?=\s?\d|\s)"  # "3 + 4", "3+4"; not "C++"
            r"|(?<=\d)x(?=\d)|(?<=\d )x(?= \d)"  # "1920x1080", "3 x 4"
        )
        return PatternRule("symbol", pattern, lambda m, _: table[m.group()])

    def roman_rule(self, keywords: str, say_keyword: Callable[[str], str] | None = None) -> Rule:
        """A Roman numeral after a keyword ("Chapter IV", "Thế chiến II", "quý IV/2026"), or numbering a
        heading ("IV. Results"). A lone "I", "V" or "X" counts only after a capitalized keyword."""
        pattern = re.compile(
            r"(?<![\w.])(?P<keyword>" + keywords + r")\s+(?P<roman>[IVXLCDM]{1,12})(?!\w|\.\w)"
            r"(?:/(?P<year>\d{4})(?!\d))?"
            r"|(?m:^)(?P<lead>[ \t]*(?:#{1,6}[ \t]+)?)(?P<heading>[IVXLCDM]{1,12})(?P<mark>[.)])(?=[ \t])"
        )

        def say(match: re.Match[str], _: str) -> str | None:
            roman = match["roman"] or match["heading"]
            value = roman_value(roman)
            if value is None:
                return None
            if match["heading"]:
                return match["lead"] + self.cardinal(value) + match["mark"]
            keyword = match["keyword"]
            if len(roman) == 1 and not keyword[0].isupper():
                return None
            spoken = (say_keyword(keyword) if say_keyword else keyword) + " " + self.cardinal(value)
            if match["year"]:
                spoken += " " + self.say_year_of(match["year"])
            return spoken

        return PatternRule("roman", pattern, say)

    def say_year_of(self, year: str) -> str:
        """ "/2026" after a month or a quarter."""
        return self.number(year)


@dataclass(frozen=True)
class Clock:
    """A time of day as written: 14:05:30, or 2:05 PM."""

    hour: int
    minute: int
    second: int
    meridiem: str | None  # "AM", "PM"


def _group(match: re.Match[str], *names: str) -> str | None:
    """The first of these groups that the pattern has and that matched."""
    for name in names:
        if name in match.re.groupindex and match[name]:
            return match[name]
    return None


def _clock(match: re.Match[str], prefix: str) -> Clock | None:
    hour = int(_group(match, f"{prefix}h", f"{prefix}hour") or 0)
    minute = int(_group(match, f"{prefix}m", f"{prefix}hm") or 0)
    second = int(_group(match, f"{prefix}s") or 0)
    meridiem = _group(match, f"{prefix}ampm", f"{prefix}ampm2")
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


def _unpronounceable(run: str) -> bool:
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


_DIMENSION_BEFORE = re.compile(r"\dx$")
_DIMENSION_AFTER = re.compile(r"\s?x\s?\d")


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
        parts = _URL_PARTS.match(match.group())
        if parts is None or "." not in parts["host"]:
            return None
        host = parts["host"].lower()
        return host[4:] if host.startswith("www.") and host.count(".") > 1 else host

    return PatternRule("url", _URL, say)
