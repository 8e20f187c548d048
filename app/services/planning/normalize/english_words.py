"""English words the rules say: numbers (cardinals, ordinals, years, decades, American or British),
months, currencies, units, signs and scales."""

from __future__ import annotations

ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_GROUPS = ("", "thousand", "million", "billion", "trillion", "quadrillion")
_IRREGULAR_ORDINALS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
    "twelve": "twelfth",
}  # fmt: skip
MONTHS = (
    "", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip
SCALES = {"k": "thousand", "K": "thousand", "M": "million", "B": "billion", "bn": "billion"}
SCALE_WORDS = (" thousand", " million", " billion", " trillion")
# symbol or code -> (one, many, one hundredth, many hundredths or "" when not said in hundredths)
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "USD": ("US dollar", "US dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "JPY": ("yen", "yen", "", ""),
    "₫": ("dong", "dong", "", ""),
    "đ": ("dong", "dong", "", ""),
    "VND": ("dong", "dong", "", ""),
    "VNĐ": ("dong", "dong", "", ""),
}
UNITS = {
    "%": ("percent", "percent"), "‰": ("per mille", "per mille"),
    "°C": ("degree Celsius", "degrees Celsius"), "℃": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "°": ("degree", "degrees"),
    "km/h": ("kilometer per hour", "kilometers per hour"), "mph": ("mile per hour", "miles per hour"),
    "m/s": ("meter per second", "meters per second"),
    "m/s²": ("meter per second squared", "meters per second squared"),
    "m/s2": ("meter per second squared", "meters per second squared"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "Gbit": ("gigabit", "gigabits"), "Mbit": ("megabit", "megabits"), "kbit": ("kilobit", "kilobits"),
    "Tb": ("terabit", "terabits"), "Gb": ("gigabit", "gigabits"), "Mb": ("megabit", "megabits"),
    "kb": ("kilobit", "kilobits"),
    "TiB": ("tebibyte", "tebibytes"), "GiB": ("gibibyte", "gibibytes"), "MiB": ("mebibyte", "mebibytes"),
    "KiB": ("kibibyte", "kibibytes"),
    "req": ("request", "requests"), "ops": ("operation", "operations"),
    "km²": ("square kilometer", "square kilometers"), "km2": ("square kilometer", "square kilometers"),
    "m²": ("square meter", "square meters"), "m2": ("square meter", "square meters"),
    "cm²": ("square centimeter", "square centimeters"), "cm2": ("square centimeter", "square centimeters"),
    "m³": ("cubic meter", "cubic meters"), "m3": ("cubic meter", "cubic meters"),
    "km": ("kilometer", "kilometers"), "m": ("meter", "meters"), "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"), "µm": ("micrometer", "micrometers"),
    "nm": ("nanometer", "nanometers"),
    "mi": ("mile", "miles"), "ft": ("foot", "feet"), "ha": ("hectare", "hectares"),
    "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "l": ("liter", "liters"), "L": ("liter", "liters"), "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"), "min": ("minute", "minutes"),
    "s": ("second", "seconds"), "sec": ("second", "seconds"), "ms": ("millisecond", "milliseconds"),
    "TB": ("terabyte", "terabytes"), "GB": ("gigabyte", "gigabytes"), "MB": ("megabyte", "megabytes"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"),
    "GHz": ("gigahertz", "gigahertz"), "MHz": ("megahertz", "megahertz"), "kHz": ("kilohertz", "kilohertz"),
    "Hz": ("hertz", "hertz"), "kWh": ("kilowatt hour", "kilowatt hours"), "kW": ("kilowatt", "kilowatts"),
    "W": ("watt", "watts"), "V": ("volt", "volts"), "mAh": ("milliamp hour", "milliamp hours"),
    "kcal": ("kilocalorie", "kilocalories"), "cal": ("calorie", "calories"),
}  # fmt: skip
SIGNS = {"-": "minus", "−": "minus", "+": "plus", "±": "plus or minus", "~": "about", "≈": "approximately"}
PER_UNITS = {
    "month": "month", "year": "year", "day": "day", "hour": "hour", "week": "week", "person": "person",
    "kg": "kilogram", "km": "kilometer", "h": "hour", "hr": "hour", "mo": "month", "yr": "year",
    "lb": "pound", "m2": "square meter", "m²": "square meter", "night": "night", "unit": "unit",
    "s": "second", "sec": "second", "min": "minute", "ms": "millisecond", "req": "request",
}  # fmt: skip
FRACTION_NAMES = {2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters")}
KEYWORD_WORDS = {"vol.": "Volume", "fig.": "Figure"}
BRITISH_SPELLING = (("meter", "metre"), ("liter", "litre"))


def below_hundred(value: int) -> str:
    if value < 20:
        return ONES[value]
    tens, unit = divmod(value, 10)
    return _TENS[tens] + (f"-{ONES[unit]}" if unit else "")


def _below_thousand(value: int, british: bool) -> list[str]:
    hundreds, rest = divmod(value, 100)
    words = [ONES[hundreds], "hundred"] if hundreds else []
    if rest:
        if hundreds and british:
            words.append("and")
        words.append(below_hundred(rest))
    return words


def cardinal(value: int, british: bool = False) -> str:
    """A whole number in English words: 1500000 -> "one million five hundred thousand"."""
    if value < 0:
        return "minus " + cardinal(-value, british)
    if value == 0:
        return "zero"
    groups: list[int] = []
    while value:
        value, group = divmod(value, 1000)
        groups.append(group)
    if len(groups) > len(_GROUPS):
        raise ValueError("number too large to say")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            continue
        if index == 0 and british and words and group < 100:
            words.append("and")  # "one thousand and five"
        words += _below_thousand(group, british)
        if _GROUPS[index]:
            words.append(_GROUPS[index])
    return " ".join(words)


def ordinal(value: int, british: bool = False) -> str:
    """21 -> "twenty-first", 100 -> "one hundredth"."""
    words = cardinal(value, british)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last in _IRREGULAR_ORDINALS:
        return head + _IRREGULAR_ORDINALS[last]
    return head + (last[:-1] + "ieth" if last.endswith("y") else last + "th")


def year(value: int) -> str:
    """How a year is said: 2026 -> "twenty twenty-six", 1905 -> "nineteen oh five", 2005 -> "two thousand
    five"."""
    if 2000 <= value <= 2009 or not 1000 <= value <= 9999:
        return cardinal(value)
    high, low = divmod(value, 100)
    if low == 0:
        return f"{cardinal(high)} hundred"
    return f"{cardinal(high)} " + (f"oh {ONES[low]}" if low < 10 else below_hundred(low))


def plural(words: str) -> str:
    """ "nineteen ninety" -> "nineteen nineties" (decades)."""
    head, _, last = words.rpartition(" ")
    plural = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last.endswith("x") else "s")
    return f"{head} {plural}" if head else plural
