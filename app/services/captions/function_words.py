"""Words a caption line should not end on, and words a new line may well start with.

Subtitle style guides (Netflix, BBC, DCMP) ask that a line or a cue never separate an article from
its noun, a preposition from its object, a conjunction from its clause, an auxiliary from its verb.
`STRONG` words need the word after them in every use; `WEAK` ones usually do (an auxiliary that can
also be a main verb; "than": "more than | one hundred" reads well, "more | than one" does not; a
Vietnamese preposition that also ends set phrases: "ở trên", "sắp tới").
The lists are per language, and all are consulted whatever the language: a document may mix
languages, and the few words they share (English "to", Vietnamese "to" = big) cost little.
Vietnamese demonstratives ("này", "đó") follow their noun, so a line may end on them; a
Vietnamese word of two syllables (`COMPOUNDS`: "phụ đề", "truyền hình") is better not parted, nor
an English fixed phrase ("more than", "such as") or a number from what it counts ("one hundred",
"10 km"): `parts_phrase`.
"""

from __future__ import annotations

import re
import unicodedata

_ENGLISH_STRONG = """
a an the of to in on at by for with from into onto upon about under between through during
without within across against among toward towards via per and or but nor if because
although though unless until whereas whether that which whom whose my your his her its our their
these those every I we they he she will would can could should shall must may might not
"""
_ENGLISH_WEAK = """
as over while since who where when this some any each no is are was were be been am has have had
do does did than
"""
_VIETNAMESE_STRONG = """
và của các những là cho với trong một mà thì để khi nếu vì nhưng hoặc rằng tại bởi do như sẽ đã
đang bị rất cũng mọi mỗi từng cái chiếc
"""
_VIETNAMESE_WEAK = """
từ theo về đến tới trên dưới vào được có không nên hay ở
"""

# Good places to start a new line: conjunctions, prepositions and relative words open a phrase.
_ENGLISH_OPENERS = """
and or but nor so because although though unless until while whereas whether since that which who
whom whose where when if of to in on at by for with from into about over under between through
during without within across against among than as like
"""
_VIETNAMESE_OPENERS = """
và nhưng hoặc hay vì nên mà thì để khi nếu rằng của cho với trong từ theo về tại bởi do như đến
tới trên dưới vào
"""

STRONG: frozenset[str] = frozenset((_ENGLISH_STRONG + _VIETNAMESE_STRONG).lower().split())
WEAK: frozenset[str] = frozenset((_ENGLISH_WEAK + _VIETNAMESE_WEAK).lower().split()) - STRONG
OPENERS: frozenset[str] = frozenset((_ENGLISH_OPENERS + _VIETNAMESE_OPENERS).lower().split())

# Vietnamese words of two syllables: written apart, read as one word ("phụ đề" = subtitle), so a
# line or a cue should not part them where a break elsewhere is as good. Common ones, a pair a comma.
_VIETNAMESE_COMPOUNDS = """
âm nhạc, âm thanh, âm lượng, an toàn, bài học, bài viết, bản đồ, bảo vệ, bắt đầu, bây giờ, bệnh viện,
bình thường, buổi sáng, buổi chiều, buổi tối, cảm ơn, cảm xúc, câu chuyện, câu hỏi, cha mẹ, chất lượng,
chính phủ, chính sách, chính xác, chuẩn bị, chúng ta, chúng tôi, chúng mình, chương trình, có thể,
con người, công nghệ, công ty, công việc, cơ hội, cơ thể, cuộc sống, cửa hàng, dân số, dịch vụ,
doanh nghiệp, duy nhất, dữ liệu, đặc biệt, đất nước, đêm khuya, điện ảnh, điện thoại, điều kiện,
đơn giản, đường phố, gia đình, giá trị, giải pháp, giao thông, giáo dục, giáo viên, giống nhau,
hà nội, hành động, hệ thống, hình ảnh, học sinh, hoạt động, hôm nay, hôm qua, hiện nay, hiện tại,
hướng dẫn, kết quả, kết thúc, khác nhau, khách hàng, khán giả, khoa học, không khí, kinh doanh,
kinh tế, kỹ thuật, lịch sử, lý do, máy chủ, máy tính, mật khẩu, môi trường, mục tiêu, ngày mai,
ngôn ngữ, người dùng, người xem, nhà nước, nhân viên, nhân tạo, nội dung, năm nay, nghiên cứu,
phát triển, phần lớn, phần mềm, phụ đề, phụ nữ, phương pháp, quan hệ, quan trọng, quốc gia, quốc tế,
quy tắc, sài gòn, sản phẩm, sáng tạo, sinh viên, sử dụng, sức khỏe, sức khoẻ, tài khoản, tài liệu,
tất cả, thành công, thành phố, thay đổi, thế giới, thị trường, thiết bị, thời gian, thông điệp,
thông tin, thực hiện, thực tế, tiếng anh, tiếng việt, tìm hiểu, tin tức, tổ chức, trang web,
trẻ em, trí tuệ, trình duyệt, trường học, truyền hình, tuân theo, tự động, tương lai, ứng dụng,
văn bản, văn hóa, văn hoá, văn phòng, vấn đề, việt nam, xã hội, xe buýt, xin chào, ý kiến, yêu cầu
"""
COMPOUNDS: frozenset[tuple[str, str]] = frozenset(
    (first, second)
    for pair in unicodedata.normalize("NFC", _VIETNAMESE_COMPOUNDS).lower().split(",")
    for first, second in [pair.split()]
)
_TRAILING = ".,;:!?…"


def parts_compound(before: str, after: str) -> bool:
    """True when a break between these two words (as written: punctuation, quotes) parts a compound;
    never after a word that ends a clause ("phụ." then "đề")."""
    first = bare(before)
    return first[-1:] not in _TRAILING and (first, bare(after).rstrip(_TRAILING)) in COMPOUNDS


# Titles and abbreviations that always precede a name or a number: "Dr." + name stay on one line.
_TITLES = """
mr mrs ms dr prof sr jr st mt gen col lt sgt capt rev hon vol fig pp tp ts ths pgs gs bs ks
"""
TITLES: frozenset[str] = frozenset(_TITLES.split())

_EDGES = "\"'“”‘’«»()[]{}<>「」『』（）*_"


def bare(word: str) -> str:
    """The word without surrounding quotes or brackets, in lower case."""
    return word.strip(_EDGES).lower()


# Fixed phrases a line or a cue should not part ("more | than one hundred" reads as a new clause);
# a pair a comma. The second word is often an opener ("than", "as", "to"), which must not earn its
# bonus here.
_ENGLISH_PHRASES = """
more than, less than, fewer than, rather than, other than, greater than, larger than, smaller than,
better than, worse than, higher than, lower than, faster than, slower than, longer than, such as,
as well, well as, so that, in order, order to, at least, at most, at all, up to, due to, according to,
thanks to, next to, close to, because of, instead of, out of, a lot, lot of, lots of, kind of,
sort of, as soon, soon as, even though, even if, as if, each other, one another, per cent, no longer,
as long, long as, as much, much as, as many, many as, as far, far as, and so, so on, a few, a little
"""
PHRASES: frozenset[tuple[str, str]] = frozenset(
    (first, second) for pair in _ENGLISH_PHRASES.lower().split(",") for first, second in [pair.split()]
)

# Numbers said as words: "one | hundred" or "ten | kilometres" parted reads as two things.
_NUMBER_WORDS = """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
million billion trillion dozen hundreds thousands millions billions
"""
NUMBER_WORDS: frozenset[str] = frozenset(_NUMBER_WORDS.split())
_NUMERAL = re.compile(r"^[$€£¥]?[0-9][0-9.,]*(?:%|[a-zA-Z]{0,3})$")


def is_number(word: str) -> bool:
    """A numeral ("10", "1,000", "$5", "3.5x") or a number said as a word ("hundred")."""
    return word in NUMBER_WORDS or bool(_NUMERAL.match(word))


# Units a number is read with: parted from it, "10 | km" reads as two things. Short symbols (km, MB,
# ms) are told by their length.
_UNITS = """
percent per cent metres meters metre meter kilometres kilometers kilometre kilometer miles mile feet
foot inches inch grams gram kilograms kilogram pounds pound litres liters litre liter seconds second
minutes minute hours hour days day weeks week months month years year dollars dollar euros euro
degrees degree bytes byte kilobytes megabytes gigabytes terabytes bits times
"""
UNITS: frozenset[str] = frozenset(_UNITS.split())
_NOT_COUNTED = STRONG | WEAK | OPENERS  # after a number, a word that starts a phrase counts nothing
NUMBER, PHRASE, COUNTED = 3, 2, 1  # how badly a break parts them (`parts_phrase`)


def parts_phrase(before: str, after: str) -> int:
    """How badly a break between these two words (as written) parts what reads as one: `NUMBER`
    inside a number ("one | hundred"), `PHRASE` inside a fixed phrase ("more | than") or between a
    number and its unit ("10 | km"), `COUNTED` between a number and what it counts ("forty |
    characters": less than a line ending on "about"), else 0; never after a word that ends a clause
    ("more," then "than")."""
    first = bare(before)
    if not first or first[-1:] in _TRAILING:
        return 0
    second = bare(after).rstrip(_TRAILING)
    if is_number(first) and is_number(second):
        return NUMBER
    if (first, second) in PHRASES:
        return PHRASE
    if not is_number(first) or not second[:1].isalpha() or second in _NOT_COUNTED:
        return 0
    return PHRASE if second in UNITS or len(second) <= 3 else COUNTED
