"""The text normalizer for speech: what the voice says for Vietnamese and English narration, the user's
lexicon, the alignment between written and spoken text, and inputs that must not hang it.

The expected outputs are written by hand, as a native speaker reads the text aloud.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.errors import InputError
from app.services.planning.normalize import (
    MAX_LEXICON_BYTES,
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    Lexicon,
    SpokenText,
    normalize_for_speech,
    normalize_with_alignment,
)

VIETNAMESE = [
    # numbers: "." thousands, "," decimals, and the reading rules (mốt, lăm, tư, linh, mười/mươi)
    ("1.500.000", "một triệu năm trăm nghìn"),
    ("3,5", "ba phẩy năm"),
    ("0,05", "không phẩy không năm"),
    ("11", "mười một"),
    ("14", "mười bốn"),
    ("15", "mười lăm"),
    ("21 người", "hai mươi mốt người"),
    ("24", "hai mươi tư"),
    ("25", "hai mươi lăm"),
    ("101", "một trăm linh một"),
    ("105", "một trăm linh năm"),
    ("110", "một trăm mười"),
    ("1001", "một nghìn không trăm linh một"),
    ("2026", "hai nghìn không trăm hai mươi sáu"),
    ("10.000", "mười nghìn"),
    ("1.000.005", "một triệu không trăm linh năm"),
    ("1.250.000.000", "một tỷ hai trăm năm mươi triệu"),
    ("1.000.000.000.000", "một nghìn tỷ"),
    ("năm 1975", "năm một nghìn chín trăm bảy mươi lăm"),
    ("phiên bản 4.0", "phiên bản bốn chấm không"),
    # dates
    ("29/11/2026", "ngày hai mươi chín tháng mười một năm hai nghìn không trăm hai mươi sáu"),
    ("Ngày 29/11/2026", "Ngày hai mươi chín tháng mười một năm hai nghìn không trăm hai mươi sáu"),
    ("Sáng 2/9, trời mưa", "Sáng ngày hai tháng chín, trời mưa"),
    ("tháng 4/2026", "tháng tư năm hai nghìn không trăm hai mươi sáu"),
    ("từ tháng 4 đến tháng 12", "từ tháng tư đến tháng mười hai"),
    ("2026-11-29", "ngày hai mươi chín tháng mười một năm hai nghìn không trăm hai mươi sáu"),
    # times
    ("7h30", "bảy giờ ba mươi phút"),
    ("lúc 9h sáng", "lúc chín giờ sáng"),
    ("14:05", "mười bốn giờ năm phút"),
    ("10h-11h30", "mười giờ đến mười một giờ ba mươi phút"),
    # percentages, money, units
    ("50%", "năm mươi phần trăm"),
    ("tăng 2,5%", "tăng hai phẩy năm phần trăm"),
    ("1.500.000 đ", "một triệu năm trăm nghìn đồng"),
    ("20.000₫", "hai mươi nghìn đồng"),
    ("500 VND", "năm trăm đồng"),
    ("$12.5M", "mười hai phẩy năm triệu đô la"),
    ("2 tỷ USD", "hai tỷ đô la Mỹ"),
    ("€20", "hai mươi ơ rô"),
    ("50k", "năm mươi nghìn"),
    ("25°C", "hai mươi lăm độ xê"),
    ("-5°C", "âm năm độ xê"),
    ("60 km/h", "sáu mươi ki lô mét trên giờ"),
    ("12 MB/s", "mười hai mê ga bai trên giây"),
    ("100 Mbit/s", "một trăm mê ga bít trên giây"),
    ("500 req/s", "năm trăm yêu cầu trên giây"),
    ("10 MB/s tải xuống", "mười mê ga bai trên giây tải xuống"),
    ("10 Mb/s tải xuống", "mười mê ga bít trên giây tải xuống"),
    ("64 Kbps âm thanh", "sáu mươi tư ki lô bít trên giây âm thanh"),
    ("2 GiB/s khi đọc", "hai ghi bi bai trên giây khi đọc"),
    ("9,8 m/s² xuống", "chín phẩy tám mét trên giây bình phương xuống"),
    ("tính bằng MB/s khi tải", "tính bằng mê ga bai trên giây khi tải"),
    ("dưới 50 ms/req", "dưới năm mươi mi li giây trên yêu cầu"),
    ("60 khung hình/s", "sáu mươi khung hình trên giây"),
    ("2kg", "hai ki lô gam"),
    ("100 m2", "một trăm mét vuông"),
    ("50m²", "năm mươi mét vuông"),
    ("15 cm", "mười lăm xen ti mét"),
    ("64GB", "sáu mươi tư ghi ga bai"),
    ("1.500 đồng/kg", "một nghìn năm trăm đồng trên ki lô gam"),
    # ordinals and Roman numerals
    ("thứ 2", "thứ hai"),
    ("thứ 4", "thứ tư"),
    ("lần thứ 1", "lần thứ nhất"),
    ("Thế chiến II", "Thế chiến hai"),
    ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
    ("Chương IV", "Chương bốn"),
    ("quý IV/2026", "quý bốn năm hai nghìn không trăm hai mươi sáu"),
    # abbreviations
    ("TP.HCM", "Thành phố Hồ Chí Minh"),
    ("UBND TP. Đà Nẵng", "Ủy ban nhân dân thành phố Đà Nẵng"),
    ("sách, vở, v.v. và bút", "sách, vở, vân vân và bút"),
    ("123 Nguyễn Huệ, Q.1, TP.HCM", "một trăm hai mươi ba Nguyễn Huệ, quận một, Thành phố Hồ Chí Minh"),
    ("PGS.TS Nguyễn Văn A", "Phó giáo sư Tiến sĩ Nguyễn Văn A"),
    ("ThS. Lê Thị B", "Thạc sĩ Lê Thị B"),
    ("số 12/3 Lê Lợi", "số mười hai xuyệt ba Lê Lợi"),
    # addresses, phones
    ("Xem https://vnexpress.net/thoi-su/abc-123.html nhé", "Xem vnexpress chấm net nhé"),
    ("lien.he@t2v.vn", "lien chấm he a còng tê hai vê chấm vê nờ"),
    ("Gọi 0912 345 678.", "Gọi không chín một hai, ba bốn năm, sáu bảy tám."),
    ("+84 912 345 678", "cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám"),
    ("Hotline 1900 1234", "Hotline một chín không không, một hai ba bốn"),
    ("IP 192.168.1.1", "IP một trăm chín mươi hai chấm một trăm sáu mươi tám chấm một chấm một"),
    # ranges and signs
    ("10-20 người", "mười đến hai mươi người"),
    ("3 + 4 = 7", "ba cộng bốn bằng bảy"),
    ("±0,5", "cộng trừ không phẩy năm"),
    ("Nguyễn & Cộng sự", "Nguyễn và Cộng sự"),
    ("màn hình 1920x1080", "màn hình một nghìn chín trăm hai mươi nhân một nghìn không trăm tám mươi"),
]

ENGLISH = [
    ("1,500,000", "one million five hundred thousand"),
    ("3.5", "three point five"),
    ("0.25", "zero point two five"),
    ("1,000 people", "one thousand people"),
    ("101", "one hundred one"),
    ("007", "zero zero seven"),
    # years and dates
    ("in 2026", "in twenty twenty-six"),
    ("1999", "nineteen ninety-nine"),
    ("2005", "two thousand five"),
    ("1905", "nineteen oh five"),
    ("the 1990s", "the nineteen nineties"),
    ("the '80s", "the eighties"),
    ("November 29, 2026", "November twenty-ninth, twenty twenty-six"),
    ("29/11/2026", "the twenty-ninth of November, twenty twenty-six"),
    ("on 4 July 1776", "on the fourth of July, seventeen seventy-six"),
    ("on the 3rd of May", "on the third of May"),
    ("2026-11-29", "November twenty-ninth, twenty twenty-six"),
    ("03/04/2026", "March fourth, twenty twenty-six"),
    # times
    ("7:30 pm", "seven thirty PM"),
    ("14:05", "fourteen oh five"),
    ("at 9 am", "at nine AM"),
    ("6:00", "six o'clock"),
    ("9am-5pm", "nine AM to five PM"),
    ("at 7 a.m. Then", "at seven AM. Then"),
    # percentages, money, units
    ("50%", "fifty percent"),
    ("$12.5M", "twelve point five million dollars"),
    ("$12.50", "twelve dollars and fifty cents"),
    ("$1", "one dollar"),
    ("€3.5 billion", "three point five billion euros"),
    ("£20", "twenty pounds"),
    ("25°C", "twenty-five degrees Celsius"),
    ("-5°C", "minus five degrees Celsius"),
    ("1 kg", "one kilogram"),
    ("60 km/h", "sixty kilometers per hour"),
    ("12 MB/s", "twelve megabytes per second"),
    ("1 MB/s.", "one megabyte per second."),
    ("100 Mbit/s", "one hundred megabits per second"),
    ("500 req/s", "five hundred requests per second"),
    ("3 GB/h", "three gigabytes per hour"),
    # a rate followed by a word; a unit written without a number; "/s" as a plural ending
    ("10 MB/s download", "ten megabytes per second download"),
    ("10 Mb/s download", "ten megabits per second download"),
    ("1 Gb/s link", "one gigabit per second link"),
    ("64 Kbps audio", "sixty-four kilobits per second audio"),
    ("2 GiB/s reads", "two gibibytes per second reads"),
    ("9.8 m/s² down", "nine point eight meters per second squared down"),
    ("speeds in MB/s today", "speeds in megabytes per second today"),
    ("a pace in min/km", "a pace in minutes per kilometer"),
    ("under 50 ms/req here", "under fifty milliseconds per request here"),
    ("10 tokens/s output", "ten tokens per second output"),
    ("the requests/s graph", "the requests per second graph"),
    ("Select the file/s you want", "Select the file or files you want"),
    ("I/O and TCP/IP", "I/O and TCP/IP"),
    # a measure before a noun, after "a": the unit's singular, as said ("a ten-kilometer walk")
    ("a 100 Mbit/s link", "a one hundred megabit per second link"),
    ("an 8 GB card", "an eight gigabyte card"),
    ("a 30 s timeout", "a thirty second timeout"),
    ("a $5 bill", "a five dollar bill"),
    ("we walked 10 km today", "we walked ten kilometers today"),  # no article: a count, plural
    # ... after any determiner, or "a" and an adjective; never before "of", a verb or "long"
    ("the 10 km walk", "the ten kilometer walk"),
    ("The 10 km walk", "The ten kilometer walk"),
    ("our 5 GB plan", "our five gigabyte plan"),
    ("every 30 s check", "every thirty second check"),
    ("a scenic 10 km walk", "a scenic ten kilometer walk"),
    ("the $5 bill", "the five dollar bill"),
    ("the 10 km of road", "the ten kilometers of road"),
    ("the 10 km are flat", "the ten kilometers are flat"),
    ("a tunnel 10 km long", "a tunnel ten kilometers long"),
    ("the 10 km we walked", "the ten kilometers we walked"),
    ("in 10 km turn left", "in ten kilometers turn left"),
    ("100 m²", "one hundred square meters"),
    ("16GB", "sixteen gigabytes"),
    ("5 ft", "five feet"),
    ("$5/month", "five dollars per month"),
    ("wait 30s", "wait thirty seconds"),
    # ordinals and Roman numerals
    ("1st", "first"),
    ("2nd", "second"),
    ("23rd", "twenty-third"),
    ("11th", "eleventh"),
    ("112th", "one hundred twelfth"),
    ("Chapter IV", "Chapter four"),
    ("World War II", "World War two"),
    ("Part I", "Part one"),
    ("Elizabeth II", "Elizabeth the second"),
    ("Henry VIII", "Henry the eighth"),
    ("I think I can", "I think I can"),
    ("Then I went, and I stayed.", "Then I went, and I stayed."),
    # abbreviations
    ("e.g. apples", "for example apples"),
    ("i.e. pears", "that is pears"),
    ("apples, etc. Then", "apples, et cetera. Then"),
    ("cats vs. dogs", "cats versus dogs"),
    ("Dr. Smith", "Doctor Smith"),
    ("Mr. and Mrs. Jones", "Mister and Missus Jones"),
    ("St. Louis", "Saint Louis"),
    ("on Main St. Then", "on Main Street. Then"),
    ("approx. 20", "approximately twenty"),
    ("No. 5", "number five"),
    # addresses, phones
    ("https://www.example.com/a/b?c=1", "example dot com"),
    ("example.com/about", "example dot com slash about"),
    ("jane.doe@example.org", "jane dot doe at example dot org"),
    ("john@mail.co.uk", "john at mail dot co dot U K"),
    ("(555) 123-4567", "five five five, one two three, four five six seven"),
    ("555-123-4567", "five five five, one two three, four five six seven"),
    # ranges, fractions, signs, versions
    ("10-20", "ten to twenty"),
    ("2020–2026", "twenty twenty to twenty twenty-six"),
    ("3 + 4 = 7", "three plus four equals seven"),
    ("R&D", "R and D"),
    ("1/2", "one half"),
    ("24/7", "twenty-four seven"),
    ("8/10", "eight out of ten"),
    ("v2.1.0", "version two point one point zero"),
    ("1920x1080", "one thousand nine hundred twenty by one thousand eighty"),
]


@pytest.mark.parametrize(("written", "spoken"), VIETNAMESE)
def test_vietnamese(written: str, spoken: str) -> None:
    assert normalize_for_speech(written, "vi") == spoken


@pytest.mark.parametrize(("written", "spoken"), ENGLISH)
def test_english(written: str, spoken: str) -> None:
    assert normalize_for_speech(written, "en") == spoken


def test_the_table_is_large_enough() -> None:
    assert len(VIETNAMESE) >= 60 and len(ENGLISH) >= 60


@pytest.mark.parametrize(
    ("written", "language", "spoken"),
    [
        ("101", "en-gb", "one hundred and one"),
        ("1,005", "en-GB", "one thousand and five"),
        ("03/04/2026", "en-gb", "the third of April, twenty twenty-six"),
        ("2026-11-29", "en_GB", "the twenty-ninth of November, twenty twenty-six"),
        ("60 km/h", "en-gb", "sixty kilometres per hour"),
        ("03/04/2026", "en-us", "March fourth, twenty twenty-six"),
        ("29/11/2026", "en-us", "the twenty-ninth of November, twenty twenty-six"),  # as written
        ("Giá 1.500.000 đ", "vi-VN", "Giá một triệu năm trăm nghìn đồng"),
    ],
)
def test_language_variants(written: str, language: str, spoken: str) -> None:
    assert normalize_for_speech(written, language) == spoken


def test_other_languages_only_shorten_web_addresses() -> None:
    written = "Prix 1.500.000 € le 29/11/2026, voir https://www.example.fr/a/b?c=1 ou ecrire a@b.fr"
    assert normalize_for_speech(written, "fr") == (
        "Prix 1.500.000 € le 29/11/2026, voir example.fr ou ecrire a@b.fr"
    )


def test_text_without_anything_to_normalize_is_unchanged() -> None:
    text = "Xin chào các bạn.\n\nHôm nay trời đẹp, chúng ta đi dạo nhé!  "
    assert normalize_for_speech(text, "vi") == text
    assert normalize_for_speech("", "en") == ""


def test_replacements_are_spaced_from_neighbouring_words() -> None:
    assert normalize_for_speech("Dung lượng 64GB, giá 5tr.", "vi") == (
        "Dung lượng sáu mươi tư ghi ga bai, giá năm triệu."
    )
    assert normalize_for_speech("(50%)", "en") == "(fifty percent)"


# Alignment -------------------------------------------------------------------------------------------


def _check_segments(result: SpokenText) -> None:
    """Contiguous, covering both texts, and verbatim segments really are verbatim."""
    written_pos = spoken_pos = 0
    for segment in result.segments:
        assert (segment.written_start, segment.spoken_start) == (written_pos, spoken_pos)
        written = result.written[segment.written_start : segment.written_end]
        spoken = result.spoken[segment.spoken_start : segment.spoken_end]
        if segment.verbatim:
            assert written == spoken
        written_pos, spoken_pos = segment.written_end, segment.spoken_end
    assert (written_pos, spoken_pos) == (len(result.written), len(result.spoken))


def _written_words_of_spoken_words(result: SpokenText) -> list[tuple[str, str]]:
    """What a caption builder does with word timings: each spoken word -> the written text it comes from."""
    pairs = []
    for word in re.finditer(r"\S+", result.spoken):
        start, end = result.written_span(word.start(), word.end())
        pairs.append((word.group(), result.written[start:end]))
    return pairs


def test_alignment_maps_spoken_words_back_to_written_words() -> None:
    result = normalize_with_alignment("Giá 1.500.000 đ hôm nay, lúc 7h30.", "vi")
    assert result.spoken == "Giá một triệu năm trăm nghìn đồng hôm nay, lúc bảy giờ ba mươi phút."
    _check_segments(result)
    assert _written_words_of_spoken_words(result) == [
        ("Giá", "Giá"),
        ("một", "1.500.000 đ"),
        ("triệu", "1.500.000 đ"),
        ("năm", "1.500.000 đ"),
        ("trăm", "1.500.000 đ"),
        ("nghìn", "1.500.000 đ"),
        ("đồng", "1.500.000 đ"),
        ("hôm", "hôm"),
        ("nay,", "nay,"),
        ("lúc", "lúc"),
        ("bảy", "7h30"),
        ("giờ", "7h30"),
        ("ba", "7h30"),
        ("mươi", "7h30"),
        ("phút.", "7h30."),
    ]


def test_alignment_of_unchanged_text_is_one_to_one() -> None:
    text = "Nothing to change here."
    result = normalize_with_alignment(text, "en")
    assert result.spoken == text
    assert len(result.segments) == 1 and result.segments[0].verbatim
    assert result.written_span(8, 10) == (8, 10)
    assert result.written_offset(len(text)) == len(text)


def test_alignment_covers_padding_and_lexicon_replacements(tmp_path: Path) -> None:
    lexicon = _lexicon(tmp_path, '[en]\n"t2v" = "tee two vee"\n')
    result = normalize_with_alignment("Use t2v on 5kg.", "en", lexicon)
    assert result.spoken == "Use tee two vee on five kilograms."
    _check_segments(result)
    words = dict(_written_words_of_spoken_words(result))
    assert words["two"] == "t2v"
    assert words["kilograms."] == "5kg."
    # an offset inside a replacement widens to the whole written span
    inside = result.spoken.index("two")
    assert result.written_span(inside, inside + 1) == (4, 7)
    assert result.written_offset(inside) == 4


def test_alignment_rejects_offsets_outside_the_spoken_text() -> None:
    result = normalize_with_alignment("5", "en")
    with pytest.raises(ValueError):
        result.written_span(0, len(result.spoken) + 1)


# Lexicon ---------------------------------------------------------------------------------------------


def _lexicon(tmp_path: Path, text: str, name: str = "words.toml") -> Lexicon:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Lexicon.load(path)


LEXICON = r"""
[all]
"t2v" = "tê hai vê"

[vi]
"TP.HCM" = "Sài Gòn"
"Hồ Chí Minh" = "Bác Hồ"
"C++" = "xê cộng cộng"

[[vi.regex]]
pattern = '(\d+) ?mAh'
say = '\1 mi li am pe giờ'

[[vi.regex]]
pattern = 'v(?P<major>\d+)\.(?P<minor>\d+)'
say = 'bản \g<major> chấm \g<minor>'

[en]
ignore_case = true
"Nguyen" = "Nwin"

[en-us]
"t2v" = "tee two vee"
"""


def test_lexicon_words_win_over_the_built_in_rules(tmp_path: Path) -> None:
    lexicon = _lexicon(tmp_path, LEXICON)
    assert normalize_for_speech("Đến TP.HCM, gặp Hồ   Chí Minh.", "vi", lexicon) == "Đến Sài Gòn, gặp Bác Hồ."
    assert normalize_for_speech("Học C++ với t2v", "vi", lexicon) == "Học xê cộng cộng với tê hai vê"


def test_lexicon_words_match_whole_words_and_case_as_asked(tmp_path: Path) -> None:
    lexicon = _lexicon(tmp_path, LEXICON)
    # case-sensitive by default: "tp.hcm" is not the entry "TP.HCM"; "t2vx" is another word
    assert normalize_for_speech("t2vx và T2V", "vi", lexicon) == "t2vx và T2V"
    # ignore_case = true in [en]
    assert normalize_for_speech("NGUYEN and nguyen", "en", lexicon) == "Nwin and Nwin"


def test_lexicon_regex_groups_are_said_as_numbers(tmp_path: Path) -> None:
    lexicon = _lexicon(tmp_path, LEXICON)
    assert normalize_for_speech("Pin 5000mAh, bản v2.10", "vi", lexicon) == (
        "Pin năm nghìn mi li am pe giờ, bản bản hai chấm mười"
    )


def test_lexicon_regex_matches_whole_words_unless_told(tmp_path: Path) -> None:
    whole = _lexicon(tmp_path, "[[vi.regex]]\npattern = 'ab'\nsay = 'X'\n")
    assert normalize_for_speech("ab xab abc ab", "vi", whole) == "X xab abc X"
    anywhere = _lexicon(tmp_path, "[[vi.regex]]\npattern = 'ab'\nsay = 'X'\nwhole_words = false\n")
    assert normalize_for_speech("ab xab", "vi", anywhere) == "X x X"  # a replacement is spaced from letters


def test_lexicon_tables_by_language(tmp_path: Path) -> None:
    lexicon = _lexicon(tmp_path, LEXICON)
    assert normalize_for_speech("t2v", "en-us", lexicon) == "tee two vee"  # [en-us] before [all]
    assert normalize_for_speech("t2v", "en-gb", lexicon) == "tê hai vê"  # only [all] has it
    assert normalize_for_speech("TP.HCM", "en", lexicon) == "TP.HCM"  # [vi] is not for English


def test_lexicon_from_mapping_for_config_files() -> None:
    lexicon = Lexicon.from_mapping({"vi": {"AI": "trí tuệ nhân tạo"}}, source="theme.toml")
    assert normalize_for_speech("AI và 5 người", "vi", lexicon) == "trí tuệ nhân tạo và năm người"


def test_a_hostile_pattern_cannot_hang(tmp_path: Path) -> None:
    """(a+)+b backtracks exponentially in Python's re; RE2 runs it in linear time."""
    lexicon = _lexicon(tmp_path, "[[vi.regex]]\npattern = '(a+)+b'\nsay = 'X'\nwhole_words = false\n")
    text = "a" * 60_000 + "c"
    assert normalize_for_speech(text, "vi", lexicon) == text


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[vi\n", "words.toml: invalid TOML: "),
        ('[vi]\n"a" = 1\n', 'words.toml: [vi] "a": expected a string'),
        (
            "[[vi.regex]]\npattern = '(a'\nsay = 'x'\n",
            'words.toml: [[vi.regex]] #1: invalid regex "(a": missing )',
        ),
        (
            "[[en.regex]]\npattern = 'a'\nsay = 'x'\n[[en.regex]]\npattern = '(?<=a)b'\nsay = 'x'\n",
            'words.toml: [[en.regex]] #2: invalid regex "(?<=a)b"',
        ),
        (
            "[[vi.regex]]\npattern = 'a*'\nsay = 'x'\n",
            'words.toml: [[vi.regex]] #1: the pattern "a*" matches empty',
        ),
        ("[[vi.regex]]\npattern = 'a'\nsay = '\\2'\n", "words.toml: [[vi.regex]] #1: say refers to group 2"),
        (
            "[[vi.regex]]\npattern = 'a'\nsay = '\\q'\n",
            "words.toml: [[vi.regex]] #1: say has an unknown escape",
        ),
        (
            "[[vi.regex]]\npattern = 'a'\nsay = 'x'\ncase = true\n",
            "words.toml: [[vi.regex]] #1: unknown key 'case'",
        ),
        ("[[vi.regex]]\nsay = 'x'\n", "words.toml: [[vi.regex]] #1: pattern is missing"),
        ("[vi]\nignore_case = 'yes'\n", "words.toml: [vi] ignore_case must be true or false"),
        ('["klingon!"]\n"a" = "b"\n', "words.toml: unknown section [klingon!]"),
        ('[vi]\n"" = "b"\n', 'words.toml: [vi] "": the word is empty'),
    ],
)
def test_a_bad_lexicon_is_one_clear_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    with pytest.raises(InputError) as raised:
        _lexicon(tmp_path, toml)
    text = str(raised.value)
    assert text.startswith(message), text
    assert "\n" not in text
    assert capfd.readouterr().err == ""  # RE2 logs nothing of its own


def test_lexicon_limits(tmp_path: Path) -> None:
    too_long = "[[vi.regex]]\npattern = '" + "a" * (MAX_PATTERN_LENGTH + 1) + "'\nsay = 'x'\n"
    with pytest.raises(InputError, match="longer than"):
        _lexicon(tmp_path, too_long)
    too_many = "".join(f"[[vi.regex]]\npattern = 'a{n}'\nsay = 'x'\n" for n in range(MAX_PATTERNS + 1))
    with pytest.raises(InputError, match=f"more than {MAX_PATTERNS}"):
        _lexicon(tmp_path, too_many)
    big = tmp_path / "big.toml"
    with big.open("wb") as file:
        file.truncate(MAX_LEXICON_BYTES + 1)
    with pytest.raises(InputError, match=r"big\.toml: the lexicon is"):
        Lexicon.load(big)


def test_lexicon_file_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.toml: cannot read the lexicon"):
        Lexicon.load(tmp_path / "missing.toml")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[vi]\n"a" = "é"\n'.encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.toml: the lexicon is not valid UTF-8"):
        Lexicon.load(latin1)


# Inputs that must not hang -----------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_megabyte_of_narration() -> None:
    """Every rule fires thousands of times; near-linear time is measured in benchmarks/normalize_bench.py."""
    sentence = (
        "Ngày 29/11/2026, UBND TP.HCM chi 1.500.000 đ (khoảng 3,5%) cho 120 km đường; "
        "gọi 0912 345 678 hoặc xem https://vnexpress.net/a-b-c.html lúc 7h30. "
    )
    count = 1_000_000 // len(sentence)
    result = normalize_with_alignment(sentence * count, "vi")
    assert result.spoken.count("Thành phố Hồ Chí Minh") == count
    assert result.spoken.count("một triệu năm trăm nghìn đồng") == count
    _check_segments(result)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("language", ["vi", "en", "fr"])
@pytest.mark.parametrize(
    "text",
    [
        "a" * 60_000,
        "1" * 60_000,
        "1." * 30_000,
        "1," * 30_000,
        "1-" * 30_000,
        "a." * 30_000,
        "https://" + "a" * 60_000,
        "a" * 60_000 + "@b.com",
        "Chapter " + "I" * 60_000,
        "Henry " + "X" * 60_000,
        "1x" * 30_000,
        "+1 " * 20_000,
        "(" * 30_000 + "1",
    ],
    ids=lambda text: f"{text[:10]!r}x{len(text)}",
)
def test_pathological_inputs_finish(text: str, language: str) -> None:
    result = normalize_with_alignment(text, language)
    _check_segments(result)


def test_long_digit_runs_are_read_digit_by_digit() -> None:
    assert normalize_for_speech("1234567890123456", "en") == (
        "one two three four five six seven eight nine zero one two three four five six"
    )
    assert normalize_for_speech("0123", "vi") == "không một hai ba"
