"""Vietnamese: numbers, dates, times, money, units and abbreviations as a Vietnamese reader says them.

Numbers use "." for thousands and "," for decimals ("1.500.000", "3,5"). The reading follows the
rules a native speaker applies: "mười" for ten but "hai mươi" for twenty; "mốt" for a final one after
"mươi" (hai mươi mốt) but "một" after "mười" and "linh"; "lăm" for a final five after "mười/mươi";
"tư" for a final four after "mươi" (hai mươi tư); "linh" for a zero tens digit (một trăm linh năm);
"không trăm" inside a larger number (hai nghìn không trăm hai mươi sáu). Northern forms are used
("nghìn", "linh"), which every Vietnamese listener understands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from app.services.planning.normalize.common import (
    NUMBER_END,
    TOKEN_START,
    Abbreviation,
    Clock,
    Quantity,
    Words,
    abbreviation_rule,
    split_number,
    valid_date,
)
from app.services.planning.normalize.language import Language
from app.services.planning.normalize.scanner import PatternRule, Rule

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_FINAL_AFTER_MUOI = {1: "mốt", 4: "tư", 5: "lăm"}

NUMBER = r"(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?|\d+(?:[.,]\d+)?)"

_SCALES = {"k": "nghìn", "K": "nghìn", "tr": "triệu", "M": "triệu", "B": "tỷ", "bn": "tỷ"}
_SCALE_WORDS = (" nghìn", " ngàn", " triệu", " tỷ", " tỉ")
_CURRENCIES = {
    "$": "đô la", "USD": "đô la Mỹ", "€": "ơ rô", "EUR": "ơ rô", "£": "bảng Anh", "GBP": "bảng Anh",
    "¥": "yên", "JPY": "yên", "₫": "đồng", "đ": "đồng", "VND": "đồng", "VNĐ": "đồng", "vnđ": "đồng",
}  # fmt: skip
_UNITS = {
    "%": "phần trăm", "‰": "phần nghìn",
    "°C": "độ xê", "℃": "độ xê", "°F": "độ ép", "°": "độ",
    "km/h": "ki lô mét trên giờ", "m/s": "mét trên giây", "Mbps": "mê ga bít trên giây",
    "m/s²": "mét trên giây bình phương", "m/s2": "mét trên giây bình phương",
    "Gbps": "ghi ga bít trên giây", "kbps": "ki lô bít trên giây", "Kbps": "ki lô bít trên giây",
    "Gbit": "ghi ga bít", "Mbit": "mê ga bít", "kbit": "ki lô bít", "req": "yêu cầu", "ops": "thao tác",
    "Tb": "tê ra bít", "Gb": "ghi ga bít", "Mb": "mê ga bít", "kb": "ki lô bít",
    "TiB": "tê bi bai", "GiB": "ghi bi bai", "MiB": "mê bi bai", "KiB": "ki bi bai",
    "km²": "ki lô mét vuông", "km2": "ki lô mét vuông", "m²": "mét vuông", "m2": "mét vuông",
    "cm²": "xen ti mét vuông", "cm2": "xen ti mét vuông", "m³": "mét khối", "m3": "mét khối",
    "cm³": "xen ti mét khối", "cm3": "xen ti mét khối",
    "km": "ki lô mét", "m": "mét", "cm": "xen ti mét", "mm": "mi li mét", "µm": "mi crô mét",
    "μm": "mi crô mét", "nm": "na nô mét", "ha": "héc ta",
    "kg": "ki lô gam", "g": "gam", "mg": "mi li gam", "l": "lít", "L": "lít", "ml": "mi li lít",
    "mL": "mi li lít", "h": "giờ", "min": "phút", "s": "giây", "ms": "mi li giây",
    "TB": "tê ra bai", "GB": "ghi ga bai", "MB": "mê ga bai", "KB": "ki lô bai", "kB": "ki lô bai",
    "GHz": "ghi ga héc", "MHz": "mê ga héc", "kHz": "ki lô héc", "Hz": "héc",
    "kWh": "ki lô oát giờ", "kW": "ki lô oát", "W": "oát", "V": "vôn", "mAh": "mi li am pe giờ",
    "kcal": "ki lô ca lo", "cal": "ca lo",
}  # fmt: skip
_SIGNS = {"-": "âm", "−": "âm", "+": "cộng", "±": "cộng trừ", "~": "khoảng", "≈": "xấp xỉ"}
# "... 50.000 đồng/kg": what may follow a slash and is then said "trên ..." (per).
_PER_UNITS = {
    "kg": "ki lô gam", "km": "ki lô mét", "m2": "mét vuông", "m²": "mét vuông", "l": "lít", "h": "giờ",
    "lượng": "lượng", "tháng": "tháng", "năm": "năm", "ngày": "ngày", "giờ": "giờ", "tuần": "tuần",
    "người": "người", "tấn": "tấn", "lít": "lít", "chiếc": "chiếc", "cái": "cái", "suất": "suất",
    "phút": "phút", "giây": "giây", "quý": "quý", "căn": "căn", "m": "mét", "cm": "xen ti mét",
    "s": "giây", "min": "phút", "ms": "mi li giây", "req": "yêu cầu",
}  # fmt: skip

# (pattern, spoken, may end a sentence): case-sensitive as written.
_ABBREVIATIONS: tuple[Abbreviation, ...] = (
    (r"TP\.?\s?HCM|Tp\.?\s?HCM|TPHCM", "Thành phố Hồ Chí Minh", False),
    (r"TP\.|Tp\.|TP(?=\s+[^\W\d_])", "thành phố", False),
    (r"HCM", "Hồ Chí Minh", False),
    (r"UBND", "Ủy ban nhân dân", False),
    (r"HĐND", "Hội đồng nhân dân", False),
    (r"MTTQ", "Mặt trận Tổ quốc", False),
    (r"CSGT", "cảnh sát giao thông", False),
    (r"BHXH", "bảo hiểm xã hội", False),
    (r"BHYT", "bảo hiểm y tế", False),
    (r"THPT", "trung học phổ thông", False),
    (r"THCS", "trung học cơ sở", False),
    (r"ĐHQG", "Đại học Quốc gia", False),
    (r"ĐH", "đại học", False),
    (r"NXB", "nhà xuất bản", False),
    (r"ĐBSCL", "Đồng bằng sông Cửu Long", False),
    (r"CHXHCN", "Cộng hòa Xã hội Chủ nghĩa", False),
    (r"VNĐ|VND", "đồng", False),
    (r"VN", "Việt Nam", False),
    (r"TW|T\.Ư|TƯ", "Trung ương", False),
    (r"SĐT|Sđt|sđt", "số điện thoại", False),
    (r"KCN", "khu công nghiệp", False),
    (r"GD&ĐT|GDĐT", "giáo dục và đào tạo", False),
    (r"PGS\.\s?TS\.?", "Phó giáo sư Tiến sĩ", False),
    (r"GS\.\s?TS\.?", "Giáo sư Tiến sĩ", False),
    (r"PGS\.?", "Phó giáo sư", False),
    (r"GS\.?", "Giáo sư", False),
    (r"TS\.?", "Tiến sĩ", False),
    (r"ThS\.?", "Thạc sĩ", False),
    (r"BS\.?", "Bác sĩ", False),
    (r"KS\.?", "Kỹ sư", False),
    (r"Q\.\s?\d{1,2}(?!\d)", lambda m, _: "quận " + cardinal(int(m.group()[2:])), False),
    (r"P\.\s?\d{1,2}(?!\d)", lambda m, _: "phường " + cardinal(int(m.group()[2:])), False),
    (r"[Tt]r\.\s?\d{1,5}(?!\d)", lambda m, _: "trang " + cardinal(int(m.group()[3:])), False),
    (r"v\.v\.(?:\.\.)?|v\.v", "vân vân", True),
    (r"vs\.?", "với", False),
)
_ROMAN_KEYWORDS = (
    r"(?i:thế\s+kỷ|thế\s+kỉ|thế\s+chiến|đại\s+hội|giai\s+đoạn|phụ\s+lục|chương|phần|quyển|tập|bài|mục"
    r"|khóa|khoá|kỳ|kì|quý|loại|hạng|cấp|hiệp|đợt|vòng)"
)
_DAY_BEFORE = re.compile(r"(?i:ngày|mồng|mùng|hôm)\s+$")


def cardinal(value: int) -> str:
    """A whole number in Vietnamese words: 2026 -> "hai nghìn không trăm hai mươi sáu"."""
    if value < 0:
        return "âm " + cardinal(-value)
    if value == 0:
        return DIGITS[0]
    return " ".join(_words(value, inside=False))


def _words(value: int, inside: bool) -> list[str]:
    """`inside`: a larger unit was said before, so an empty hundreds place is said ("không trăm")."""
    if value >= 10**9:
        high, low = divmod(value, 10**9)
        words = [*_words(high, inside), "tỷ"]
        return words + _below_billion(low, inside=True) if low else words
    return _below_billion(value, inside)


def _below_billion(value: int, inside: bool) -> list[str]:
    words: list[str] = []
    for group, name in ((value // 10**6, "triệu"), (value // 1000 % 1000, "nghìn"), (value % 1000, "")):
        if group:
            words += _below_thousand(group, inside)
            if name:
                words.append(name)
            inside = True
    return words


def _below_thousand(value: int, inside: bool) -> list[str]:
    hundreds, rest = divmod(value, 100)
    tens, unit = divmod(rest, 10)
    words: list[str] = []
    if hundreds or inside:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if unit:
            if words:
                words.append("linh")
            words.append(DIGITS[unit])
    elif tens == 1:
        words.append("mười")
        if unit:
            words.append("lăm" if unit == 5 else DIGITS[unit])
    else:
        words += [DIGITS[tens], "mươi"]
        if unit:
            words.append(_FINAL_AFTER_MUOI.get(unit, DIGITS[unit]))
    return words


def month_name(month: int) -> str:
    """ "tháng tư", not "tháng bốn"."""
    return "tư" if month == 4 else cardinal(month)


class Vietnamese(Language):
    code = "vi"
    words = Words(
        digits=DIGITS,
        dot="chấm",
        at="a còng",
        slash="gạch chéo",
        dash="gạch ngang",
        underscore="gạch dưới",
        plus="cộng",
        plus_minus="cộng trừ",
        times="nhân",
        by="nhân",
        divided_by="chia",
        equals="bằng",
        approximately="xấp xỉ",
        not_equal="khác",
        less_than="nhỏ hơn",
        greater_than="lớn hơn",
        at_most="nhỏ hơn hoặc bằng",
        at_least="lớn hơn hoặc bằng",
        and_="và",
        about="khoảng",
        number="số",
        point="chấm",
        version="phiên bản",
        to="đến",
        per="trên",
    )
    number_pattern = NUMBER
    scales = (*_SCALES, *_SCALE_WORDS)
    units = (*_UNITS, *_CURRENCIES)
    per_units = _PER_UNITS
    letter_names: ClassVar[Mapping[str, str] | None] = {
        "a": "a", "b": "bê", "c": "xê", "d": "dê", "đ": "đê", "e": "e", "f": "ép", "g": "giê", "h": "hát",
        "i": "i", "j": "gi", "k": "ca", "l": "lờ", "m": "mờ", "n": "nờ", "o": "o", "p": "pê", "q": "quy",
        "r": "rờ", "s": "ét", "t": "tê", "u": "u", "v": "vê", "w": "vê kép", "x": "ích", "y": "i",
        "z": "dét",
    }  # fmt: skip

    def cardinal(self, value: int) -> str:
        return cardinal(value)

    def unit_name(self, unit: str) -> str | None:
        return _UNITS.get(unit)

    def number(self, written: str, amount: bool = False) -> str:
        """A decimal comma is "phẩy"; so is a decimal point in an amount ("12.5 km", "$1.5M"), while in a
        bare figure it is read as written, "chấm" ("4.0", "điểm 8.5")."""
        integer, point, fraction = split_number(written, thousands=".")
        spoken = self.whole(integer)
        if fraction:
            decimals = (
                cardinal(int(fraction))
                if len(fraction) <= 2 and fraction[0] != "0"
                else self.digits(fraction)
            )
            spoken += (" phẩy " if point == "," or amount else " chấm ") + decimals
        return spoken

    def say_year_of(self, year: str) -> str:
        return "năm " + cardinal(int(year))

    def is_phone(self, phone: str, group_sizes: list[int], digit_count: int) -> bool:
        """Also the 1800 / 1900 service numbers ("1900 1234", "1800 588 888")."""
        if phone.startswith(("1800", "1900")) and digit_count in (8, 10):
            return True
        return super().is_phone(phone, group_sizes, digit_count)

    def specific_rules(self) -> list[Rule]:
        return [
            self._date_rule(),
            self._time_rule(),
            self.phone_rule(),
            self._ordinal_rule(),
            self._month_rule(),
            self.roman_rule(_ROMAN_KEYWORDS),
            abbreviation_rule(_ABBREVIATIONS),
            self._address_rule(),
            self.fraction_rule(lambda m, _: f"{self.number(m['a'])} trên {self.number(m['b'])}"),
        ]

    def say_quantity(self, quantity: Quantity) -> str | None:
        amount = bool(quantity.currency or quantity.unit or quantity.scale)
        spoken = self.number(quantity.first, amount)
        if quantity.second:
            spoken += " đến " + self.number(quantity.second, amount)
        if quantity.sign:
            spoken = _SIGNS[quantity.sign] + " " + spoken
        if quantity.scale:
            scale = quantity.scale.strip()
            spoken += " " + _SCALES.get(scale, scale)
        if quantity.unit:
            spoken += " " + (_UNITS.get(quantity.unit) or _CURRENCIES[quantity.unit])
        if quantity.currency:
            spoken += " " + _CURRENCIES[quantity.currency]
        return spoken

    def _date_rule(self) -> Rule:
        pattern = re.compile(
            TOKEN_START + r"(?:(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
            r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
            r"|(?P<dd>\d{1,2})/(?P<dm>\d{1,2}))" + NUMBER_END + r"(?!/\d)"
            r"|(?:(?<!\w)(?P<kw>[Tt]háng)\s+)?" + TOKEN_START + r"(?P<mm>\d{1,2})/(?P<my>\d{4})" + NUMBER_END
        )

        def say(match: re.Match[str], text: str) -> str | None:
            if match["my"]:
                month = int(match["mm"])
                if not 1 <= month <= 12:
                    return None
                return f"{match['kw'] or 'tháng'} {month_name(month)} năm {cardinal(int(match['my']))}"
            day, month, year = _date_parts(match)
            if not valid_date(day, month, year):
                return None
            spoken = f"{cardinal(day)} tháng {month_name(month)}"
            if year is not None:
                spoken += f" năm {cardinal(year)}"
            if _DAY_BEFORE.search(text, max(0, match.start() - 8), match.start()):
                return spoken
            return "ngày " + spoken

        return PatternRule("date", pattern, say)

    def _time_rule(self) -> Rule:
        """ "7h30", "14:05", "14:05:30", and a span of two ("10h-11h30" -> "... đến ...")."""

        def time(name: str) -> str:
            return (
                rf"(?P<{name}h>\d{{1,2}})(?::(?P<{name}m>\d{{2}})(?::(?P<{name}s>\d{{2}}))?"
                rf"|h(?P<{name}hm>\d{{2}})?(?:ph|p|')?)"
            )

        return self.time_rule(time, _say_clock, NUMBER_END)

    def _ordinal_rule(self) -> Rule:
        pattern = re.compile(r"(?<!\w)(?P<kw>[Tt]hứ)\s+(?P<n>\d{1,3})" + NUMBER_END)

        def say(match: re.Match[str], _: str) -> str:
            value = int(match["n"])
            return f"{match['kw']} " + {1: "nhất", 4: "tư"}.get(value, cardinal(value))

        return PatternRule("ordinal", pattern, say)

    def _month_rule(self) -> Rule:
        pattern = re.compile(r"(?<!\w)(?P<kw>[Tt]háng)\s+(?P<n>\d{1,2})(?![.,/-]?\d)(?!\w)")

        def say(match: re.Match[str], _: str) -> str | None:
            month = int(match["n"])
            return f"{match['kw']} {month_name(month)}" if 1 <= month <= 12 else None

        return PatternRule("month", pattern, say)

    def _address_rule(self) -> Rule:
        """ "số 12/3", "hẻm 45/2": a house number with a slash is said "xuyệt", not as a date."""
        pattern = re.compile(
            r"(?<!\w)(?P<kw>(?i:số\s+nhà|số|nhà|hẻm|ngõ|ngách|kiệt))\s+"
            r"(?P<parts>\d{1,5}[A-Za-z]?(?:/\d{1,5}[A-Za-z]?)+)(?![.,]?\d)(?!\w)"
        )

        def say(match: re.Match[str], _: str) -> str:
            parts = [self._house_number(part) for part in match["parts"].split("/")]
            return f"{match['kw']} " + " xuyệt ".join(parts)

        return PatternRule("address", pattern, say)

    def _house_number(self, written: str) -> str:
        digits = written.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        letter = written[len(digits) :]
        return cardinal(int(digits)) + (f" {self.spell(letter)}" if letter else "")


def _say_clock(clock: Clock) -> str:
    spoken = f"{cardinal(clock.hour)} giờ"
    if clock.minute:
        spoken += f" {cardinal(clock.minute)} phút"
    if clock.second:
        spoken += f" {cardinal(clock.second)} giây"
    return spoken


def _date_parts(match: re.Match[str]) -> tuple[int, int, int | None]:
    if match["iy"]:
        return int(match["id"]), int(match["im"]), int(match["iy"])
    if match["y"]:
        return int(match["d"]), int(match["m"]), int(match["y"])
    return int(match["dd"]), int(match["dm"]), None
