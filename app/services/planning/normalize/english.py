"""English: numbers with "," thousands and "." decimals, years ("twenty twenty-six"), dates, times, money,
units, ordinals, regnal and chapter numerals, and the common abbreviations.

`en` and `en-us` follow American habits (month first in 03/04/2026, "one hundred five"); other regions
(`en-gb`, `en-au`...) British ones (day first, "one hundred and five", "metre").
"""

from __future__ import annotations

import re

from app.services.planning.normalize.common import (
    NUMBER_END,
    TOKEN_START,
    Abbreviation,
    Clock,
    Quantity,
    Words,
    abbreviation_rule,
    ends_sentence,
    roman_value,
    split_number,
    valid_date,
)
from app.services.planning.normalize.english_words import (
    BRITISH_SPELLING,
    CURRENCIES,
    FRACTION_NAMES,
    KEYWORD_WORDS,
    MONTHS,
    ONES,
    PER_UNITS,
    SCALE_WORDS,
    SCALES,
    SIGNS,
    UNITS,
    below_hundred,
    cardinal,
    ordinal,
    plural,
    year,
)
from app.services.planning.normalize.language import Language
from app.services.planning.normalize.scanner import PatternRule, Rule, Say

_MONTH = (
    r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)

NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|\d+(?:\.\d+)?)"

_ROMAN_KEYWORDS = (
    r"(?i:chapter|part|volume|vol\.|book|section|act|scene|phase|stage|level|article|appendix|unit|lesson"
    r"|war|round|class|type|grade|tier|episode|season|title|step|annex|schedule|plate|figure|fig\.|table"
    r"|bowl)"
)
_THE_BEFORE = re.compile(r"(?i:\bthe\s+)$")
_WORD_BEFORE_SLASH = re.compile(r"(?:(?P<number>\d)\s*)?(?<![^\W\d_])(?P<word>[^\W\d_]+)$")  # "file/s"


class English(Language):
    code = "en"
    words = Words(
        digits=ONES[:10],
        dot="dot",
        at="at",
        slash="slash",
        dash="dash",
        underscore="underscore",
        plus="plus",
        plus_minus="plus or minus",
        times="times",
        by="by",
        divided_by="divided by",
        equals="equals",
        approximately="approximately",
        not_equal="is not equal to",
        less_than="less than",
        greater_than="greater than",
        at_most="less than or equal to",
        at_least="greater than or equal to",
        and_="and",
        about="about",
        number="number",
        point="point",
        version="version",
        to="to",
        per="per",
    )
    number_pattern = NUMBER
    scales = (*SCALES, *SCALE_WORDS)
    units = (*UNITS, *CURRENCIES)
    per_units = PER_UNITS

    def __init__(self, region: str = "") -> None:
        self.british = region not in ("", "us")

    def cardinal(self, value: int) -> str:
        return cardinal(value, self.british)

    def ordinal(self, value: int) -> str:
        return ordinal(value, self.british)

    def number(self, written: str) -> str:
        integer, _, fraction = split_number(written, thousands=",")
        spoken = self.whole(integer)
        return spoken + " point " + self.digits(fraction) if fraction else spoken

    def say_year_of(self, written: str) -> str:
        return year(int(written))

    def is_phone(self, phone: str, group_sizes: list[int], digit_count: int) -> bool:
        return group_sizes == [3, 3, 4] or super().is_phone(phone, group_sizes, digit_count)

    def specific_rules(self) -> list[Rule]:
        return [
            *self._date_rules(),
            self._time_rule(),
            self.phone_rule(),
            self._decade_rule(),
            self._ordinal_rule(),
            self.roman_rule(_ROMAN_KEYWORDS, lambda keyword: KEYWORD_WORDS.get(keyword.lower(), keyword)),
            self._regnal_rule(),
            abbreviation_rule(_ABBREVIATIONS),
            self.fraction_rule(self._say_fraction),
        ]

    def unit_name(self, unit: str) -> str | None:
        return self._unit(unit, False) if unit in UNITS else None

    def slash_word(self, unit: str, text: str, at: int) -> str | None:
        """ "Select the file/s": a plural ending added by a slash to a singular word that counts
        nothing (no number before it, not a unit, not a plural like "requests/s"), said "file or
        files", not "file per second"."""
        if unit != "s":
            return None
        before = _WORD_BEFORE_SLASH.search(text, max(0, at - 80), at)
        if before is None or before["number"]:
            return None
        word = before["word"]
        counted = word in UNITS or word in PER_UNITS or (len(word) > 1 and word.isupper())
        return None if counted or word.endswith(("s", "S")) else f"or {word}s"

    # Quantities -------------------------------------------------------------------------------------

    def say_quantity(self, quantity: Quantity) -> str | None:
        currency = CURRENCIES.get(quantity.currency or quantity.unit or "")
        plain = not (quantity.sign or currency or quantity.unit or quantity.scale or quantity.dimension)
        if currency and not quantity.scale and not quantity.second:
            with_cents = self._money(quantity.first, currency)
            if with_cents:
                return self._signed(quantity, with_cents)
        spoken = self._amount(quantity.first, plain)
        if quantity.second:
            spoken += " to " + self._amount(quantity.second, plain)
        if quantity.scale:
            scale = quantity.scale.strip()
            spoken += " " + SCALES.get(scale, scale)
        # "a 10 km walk": a measure before a noun takes the unit's singular ("a ten kilometer walk")
        one = (quantity.first == "1" and not quantity.second and not quantity.scale) or quantity.modifier
        if currency:
            spoken += " " + currency[0 if one else 1]
        elif quantity.unit:
            spoken += " " + self._unit(quantity.unit, one)
        return self._signed(quantity, spoken)

    def _amount(self, written: str, plain: bool) -> str:
        if plain and len(written) == 4 and written.isdigit() and 1100 <= int(written) <= 2099:
            return year(int(written))
        return self.number(written)

    def _money(self, written: str, currency: tuple[str, str, str, str]) -> str | None:
        """ "$12.50" -> "twelve dollars and fifty cents"; None when not said in whole units and hundredths."""
        one, many, cent, cents = currency
        integer, point, fraction = split_number(written, thousands=",")
        if point != "." or not fraction.isdigit() or len(fraction) > 2 or not cent:
            return None
        units, hundredths = int(integer), int(fraction.ljust(2, "0"))
        spoken = []
        if units:
            spoken.append(f"{self.cardinal(units)} {one if units == 1 else many}")
        if hundredths or not units:
            spoken.append(f"{self.cardinal(hundredths)} {cent if hundredths == 1 else cents}")
        return " and ".join(spoken)

    def _unit(self, unit: str, one: bool) -> str:
        spoken = UNITS[unit][0 if one else 1]
        if self.british:
            for american, british in BRITISH_SPELLING:
                spoken = spoken.replace(american, british)
        return spoken

    @staticmethod
    def _signed(quantity: Quantity, spoken: str) -> str:
        return f"{SIGNS[quantity.sign]} {spoken}" if quantity.sign else spoken

    # Dates and times --------------------------------------------------------------------------------

    def _say_date(self, day: int, month: int, year_written: str | None, month_first: bool) -> str | None:
        if not valid_date(day, month, int(year_written) if year_written else None):
            return None
        name = MONTHS[month]
        spoken = f"{name} {self.ordinal(day)}" if month_first else f"the {self.ordinal(day)} of {name}"
        return spoken + f", {year(int(year_written))}" if year_written else spoken

    def _date_rules(self) -> list[Rule]:
        month_first = re.compile(
            r"(?<![\w.])"
            + _MONTH
            + r"\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?"
            + NUMBER_END
        )
        day_first = re.compile(
            TOKEN_START
            + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
            + _MONTH
            + r"(?:\.?,?\s+(?P<year>\d{4})"
            + NUMBER_END
            + r"|\.?(?!\w))"
        )
        numeric = re.compile(
            TOKEN_START + r"(?:(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
            r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))" + NUMBER_END
        )

        def named(first: bool) -> Say:
            def say(match: re.Match[str], text: str) -> str | None:
                month = _month_number(match["month"])
                spoken = self._say_date(int(match["day"]), month, match["year"], month_first=first)
                if (
                    spoken
                    and not first
                    and _THE_BEFORE.search(text, max(0, match.start() - 8), match.start())
                ):
                    return spoken.removeprefix("the ")  # "on the 3rd of May"
                return spoken

            return say

        def say_numeric(match: re.Match[str], _: str) -> str | None:
            if match["iy"]:
                day, month, written_year = int(match["id"]), int(match["im"]), match["iy"]
                return self._say_date(day, month, written_year, month_first=not self.british)
            a, b = int(match["a"]), int(match["b"])
            month_first = b > 12 or (a <= 12 and not self.british)
            day, month = (b, a) if month_first else (a, b)
            return self._say_date(day, month, match["y"], month_first)

        return [
            PatternRule("date", month_first, named(True)),
            PatternRule("date", day_first, named(False)),
            PatternRule("date", numeric, say_numeric),
        ]

    def _time_rule(self) -> Rule:
        """ "7:30 pm", "14:05", "9 am", and a span of two ("10:30-11:30" -> "... to ...")."""

        def time(name: str) -> str:
            meridiem = r"(?P<{}>[ap]\.m\.|[AP]\.M\.|[ap]m|[AP]M)(?!\w)"
            return (
                rf"(?:(?P<{name}h>\d{{1,2}}):(?P<{name}m>\d{{2}})(?::(?P<{name}s>\d{{2}}))?(?![.,]?\d)"
                rf"(?:\s?{meridiem.format(name + 'ampm')})?"
                rf"|(?P<{name}hour>\d{{1,2}})\s?{meridiem.format(name + 'ampm2')})"
            )

        return self.time_rule(time, self._say_clock)

    def _say_clock(self, clock: Clock) -> str:
        spoken = self.cardinal(clock.hour)
        minute = clock.minute
        if minute:
            spoken += f" oh {ONES[minute]}" if minute < 10 else f" {below_hundred(minute)}"
        elif not clock.meridiem:
            spoken += " o'clock" if clock.hour <= 12 else " hundred"
        if clock.second:
            spoken += f" and {self.cardinal(clock.second)} second" + ("" if clock.second == 1 else "s")
        return f"{spoken} {clock.meridiem}" if clock.meridiem else spoken

    # Numbers with a meaning -------------------------------------------------------------------------

    def _decade_rule(self) -> Rule:
        pattern = re.compile(r"(?<![\w.,'])(?P<apostrophe>')?(?P<d>\d{2}|\d{4})s(?!\w)")

        def say(match: re.Match[str], text: str) -> str | None:
            digits = match["d"]
            if not digits.endswith("0"):
                return None
            if len(digits) == 4:
                return plural(year(int(digits))) if 1100 <= int(digits) <= 2090 else None
            if digits == "00" or not (
                match["apostrophe"] or _THE_BEFORE.search(text, max(0, match.start() - 8), match.start())
            ):
                return None  # "30s" is thirty seconds
            return plural(below_hundred(int(digits)))

        return PatternRule("decade", pattern, say)

    def _ordinal_rule(self) -> Rule:
        pattern = re.compile(TOKEN_START + r"(?P<n>\d{1,15})(?:st|nd|rd|th|ST|ND|RD|TH)(?!\w)")
        return PatternRule("ordinal", pattern, lambda m, _: self.ordinal(int(m["n"])))

    def _regnal_rule(self) -> Rule:
        """ "Elizabeth II" -> "Elizabeth the second"; a lone I, V or X never (it is a pronoun or a letter)."""
        pattern = re.compile(
            r"(?<![\w.])(?P<name>[A-Z][a-z]+)\s+(?=[IVX]{2})(?P<roman>[IVX]{2,7})(?!\w|\.\w)"
        )

        def say(match: re.Match[str], _: str) -> str | None:
            value = roman_value(match["roman"])
            return f"{match['name']} the {self.ordinal(value)}" if value else None

        return PatternRule("regnal", pattern, say)

    def _say_fraction(self, match: re.Match[str], _: str) -> str:
        a, b = int(match["a"]), int(match["b"])
        if (a, b) == (24, 7):
            return "twenty-four seven"
        if b in FRACTION_NAMES and 0 < a < b:
            return f"{self.cardinal(a)} {FRACTION_NAMES[b][0 if a == 1 else 1]}"
        return f"{self.cardinal(a)} out of {self.cardinal(b)}"


def _month_number(name: str) -> int:
    prefix = name[:3].lower()
    return next(index for index in range(1, 13) if MONTHS[index][:3].lower() == prefix)


def _doctor_or_drive(match: re.Match[str], text: str) -> str:
    """ "Dr. Smith" is a doctor, "Sunset Dr." a drive."""
    if _after_number_or_name(text, match.start()) or not _next_word_capitalized(text, match.end()):
        return "Drive." if ends_sentence(text, match.end()) else "Drive"
    return "Doctor"


def _saint_or_street(match: re.Match[str], text: str) -> str:
    """ "St. Louis" is a saint, "Main St." and "5th St." are streets."""
    if _after_number_or_name(text, match.start()) or not _next_word_capitalized(text, match.end()):
        return "Street." if ends_sentence(text, match.end()) else "Street"
    return "Saint"


_NEXT_WORD = re.compile(r"\s+(?P<first>[^\W\d_])")
# "5th St.", "42 St.", "Sunset Dr.": a number or a capitalized word (not the first of a sentence) before.
_NUMBER_OR_NAME_BEFORE = re.compile(r"(?:\d(?:st|nd|rd|th)?|[^.!?\s]\s+[A-Z][a-z]+)\s+$")


def _after_number_or_name(text: str, start: int) -> bool:
    return _NUMBER_OR_NAME_BEFORE.search(text, max(0, start - 40), start) is not None


def _next_word_capitalized(text: str, end: int) -> bool:
    following = _NEXT_WORD.match(text, end)
    return following is not None and following["first"].isupper()


_ABBREVIATIONS: tuple[Abbreviation, ...] = (
    (r"(?i:e\.g\.)|(?i:e\.g)(?=,)", "for example", False),
    (r"(?i:i\.e\.)|(?i:i\.e)(?=,)", "that is", False),
    (r"(?i:etc\.)", "et cetera", True),
    (r"(?i:et al\.)", "and others", True),
    (r"(?i:a\.k\.a\.|aka)", "also known as", False),
    (r"(?i:vs\.?)", "versus", False),
    (r"(?i:approx\.)", "approximately", False),
    (r"(?i:cf\.)", "compare", False),
    (r"Mrs\.", "Missus", False),
    (r"Mr\.", "Mister", False),
    (r"Ms\.", "Miz", False),
    (r"Dr\.", _doctor_or_drive, False),
    (r"St\.", _saint_or_street, False),
    (r"Prof\.", "Professor", False),
    (r"Jr\.", "Junior", True),
    (r"Sr\.", "Senior", True),
    (r"Mt\.", "Mount", False),
    (r"Ave\.", "Avenue", True),
    (r"Rd\.", "Road", True),
    (r"Blvd\.", "Boulevard", True),
    (r"Inc\.", "Incorporated", True),
    (r"Ltd\.", "Limited", True),
    (r"Corp\.", "Corporation", True),
    (r"Dept\.", "Department", False),
    (r"Univ\.", "University", False),
    (r"Gov\.", "Governor", False),
    (r"Sen\.", "Senator", False),
    (r"Rep\.", "Representative", False),
    (r"Gen\.", "General", False),
    (r"Capt\.", "Captain", False),
    (r"Lt\.", "Lieutenant", False),
    (r"Sgt\.", "Sergeant", False),
    (r"[Nn]o\.\s?\d{1,6}(?!\d)", lambda m, _: "number " + cardinal(int(m.group()[3:])), False),
    (r"[Ff]ig\.\s?\d{1,6}(?!\d)", lambda m, _: "figure " + cardinal(int(m.group()[4:])), False),
    (r"w/(?=\s)", "with", False),
)
