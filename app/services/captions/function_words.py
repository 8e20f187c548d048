"""Words a caption line should not end on, and words a new line may well start with.

Subtitle style guides (Netflix, BBC, DCMP) ask that a line or a cue never separate an article from
its noun, a preposition from its object, a conjunction from its clause, an auxiliary from its verb.
`STRONG` words need the word after them in every use; `WEAK` ones usually do (an auxiliary that can
also be a main verb, a Vietnamese preposition that also ends set phrases: "ở trên", "sắp tới").
The lists are per language, and all are consulted whatever the language: a document may mix
languages, and the few words they share (English "to", Vietnamese "to" = big) cost little.
Vietnamese demonstratives ("này", "đó") follow their noun, so a line may end on them; a
Vietnamese word of two syllables (`COMPOUNDS`: "phụ đề", "truyền hình") is better not parted.
"""

from __future__ import annotations

import unicodedata

_ENGLISH_STRONG = """
a an the of to in on at by for with from into onto upon about under between through during
without within across against among toward towards via per than and or but nor if because
although though unless until whereas whether that which whom whose my your his her its our their
these those every I we they he she will would can could should shall must may might not
"""
_ENGLISH_WEAK = """
as over while since who where when this some any each no is are was were be been am has have had
do does did
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
