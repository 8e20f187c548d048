"""The `Language` skeleton every language fills in: how it says numbers, its own rules (dates,
times, abbreviations...), and `rules()`, which puts those together with the shared rules of
`common` (quantities, versions, signs, Roman numerals, fractions, phones, e-mail and web addresses)
said with the language's own words."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from app.services.planning.normalize.common import (
    EMAIL,
    FRACTION,
    LETTER_OR_DIGIT_RUN,
    MAX_SPOKEN_DIGITS,
    PHONE,
    SHORT_PATH,
    TOKEN_START,
    URL,
    URL_PARTS,
    VERSION,
    Clock,
    Quantity,
    Words,
    clock_of,
    ends_sentence,
    group_of,
    quantity_rule,
    roman_value,
    unpronounceable,
)
from app.services.planning.normalize.scanner import PatternRule, Rule, Say


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
            self.rate_rule(),
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
            PatternRule("url", URL, lambda m, _: self.say_url(m.group())),
            PatternRule("email", EMAIL, lambda m, _: self.say_email(m["user"], m["host"])),
        ]

    def say_url(self, url: str) -> str | None:
        """A web address: its domain, and a short path ("/about"); a long path or a query is left out."""
        parts = URL_PARTS.match(url)
        if parts is None or "." not in parts["host"]:
            return None
        spoken = self.say_domain(parts["host"])
        rest = parts["rest"] or ""
        if rest not in ("", "/") and SHORT_PATH.fullmatch(rest):
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
            for run in LETTER_OR_DIGIT_RUN.findall(piece):
                if run.isdigit():
                    spoken.append(self.digits(run))
                elif unpronounceable(run) or (spell_short and len(run) == 2 and run != "co"):
                    spoken.append(self.spell(run))
                else:
                    spoken.append(run.lower())
        return " ".join(spoken)

    def phone_rule(self) -> Rule:
        return PatternRule("phone", PHONE, lambda m, _: self.say_phone(m["phone"]))

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

        return PatternRule("version", VERSION, say)

    def per_rule(self) -> Rule:
        """ "50.000 đồng/kg", "$5/month": the slash before a unit is said "per" (unless the language
        reads it otherwise after that word: `slash_word`)."""
        names = "|".join(re.escape(name) for name in sorted(self.per_units, key=len, reverse=True))
        pattern = re.compile(r"(?<=[\w$€£¥₫%])/(?P<unit>" + names + r")(?!\w)")

        def say(match: re.Match[str], text: str) -> str:
            other = self.slash_word(match["unit"], text, match.start())
            return other if other is not None else f"{self.words.per} {self.per_units[match['unit']]}"

        return PatternRule("per", pattern, say)

    def rate_rule(self) -> Rule:
        """ "speeds in MB/s", "a pace in min/km": a unit with no number before its slash is said by
        name too ("megabytes per second"), not left to be spelled out ("M B per second")."""
        named = [
            unit for unit in self.units if unit[0].isalpha() and "/" not in unit and self.unit_name(unit)
        ]
        names = "|".join(re.escape(unit) for unit in sorted(named, key=len, reverse=True))
        pers = "|".join(re.escape(name) for name in sorted(self.per_units, key=len, reverse=True))
        pattern = re.compile(r"(?<![\w.$€£¥₫%/])(?P<unit>" + names + r")/(?P<per>" + pers + r")(?!\w)")

        def say(match: re.Match[str], _: str) -> str:
            return f"{self.unit_name(match['unit'])} {self.words.per} {self.per_units[match['per']]}"

        return PatternRule("rate", pattern, say)

    def unit_name(self, unit: str) -> str | None:
        """A unit's name said with no number before it ("megabytes"); None: not a unit said so."""
        return None

    def slash_word(self, unit: str, text: str, at: int) -> str | None:
        """What "/unit" at `at` says when it is not "per unit" (English "file/s"); None: "per"."""
        return None

    def fraction_rule(self, say: Say) -> Rule:
        """Two numbers around a slash that were not a date."""
        return PatternRule("fraction", FRACTION, say)

    def time_rule(self, time: Callable[[str], str], say_clock: Callable[[Clock], str], end: str = "") -> Rule:
        """A time or a span of two ("10h-11h30", "9am-5pm"). `time(prefix)` is the pattern of one time,
        its groups named prefix + h/hour, m/hm, s, ampm/ampm2; `say_clock` says one."""
        pattern = re.compile(TOKEN_START + time("a") + r"(?:\s?[-–]\s?" + time("b") + r")?" + end)

        def say(match: re.Match[str], text: str) -> str | None:
            first = clock_of(match, "a")
            if first is None:
                return None
            spoken = say_clock(first)
            if group_of(match, "bh", "bhour") is not None:
                second = clock_of(match, "b")
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
