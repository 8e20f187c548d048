"""Line breaks in scripts written without spaces (issue 13 item 7): Chinese and Japanese between
characters with the kinsoku basics, Thai at dictionary words, on slides and in captions alike."""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from app.services.captions import build_cues
from app.services.captions.linebreak import break_lines, text_width
from app.services.captions.timing import CaptionRules
from app.services.models import VideoFormat, WordTiming
from app.services.planning import Item, Scene
from app.services.visuals import ELLIPSIS, break_units, compose_scene
from app.services.visuals.breaks import NO_END, NO_START, thai_words

CHINESE = "今天天气很好，我们一起去公园散步吧。公园里有很多人在跑步，还有人在湖边钓鱼和看书。"
CHINESE += "然后我们去吃午饭，好吗？"
JAPANESE = "「日本語の文章は、スペースなしで書かれます。」と先生は言った。行頭に句読点が来てはいけません。"
THAI = "ภาษาไทยเขียนติดกันโดยไม่มีช่องว่างระหว่างคำการตัดบรรทัดจึงต้องใช้พจนานุกรมเพื่อหาขอบเขตของคำที่ถูกต้อง"
RULES = CaptionRules()


def test_units_rejoin_to_the_text_and_keep_punctuation_with_its_character() -> None:
    for text in (CHINESE, JAPANESE, THAI, "我用Python写代码。", "plain", "「」"):
        units = break_units(text)
        assert "".join(units) == text
    units = break_units(JAPANESE)
    assert units[0] == "「日", "an opening bracket goes with the character after it"
    assert "言っ" in units, "a small kana never starts a line"
    assert all(u[0] not in NO_START for u in units[1:]) and all(u[-1] not in NO_END for u in units)
    assert break_units("我用Python写") == ["我", "用", "Python", "写"]


def test_thai_breaks_at_dictionary_words() -> None:
    assert thai_words("ฉันรักภาษาไทย") == ["ฉัน", "รัก", "ภาษา", "ไทย"]
    assert break_units("สวัสดีชาวโลก") == ["สวัสดี", "ชาว", "โลก"]


def _bullet_lines(text: str, fmt: VideoFormat) -> list[str]:
    scene = Scene(id="s1", layout="bullets", title="T", items=[Item(text=text, marker="•")], narration="x")
    layout = compose_scene(scene, fmt, "dark")
    return [line.text for line in layout.lines if line.role == "bullet"]


@pytest.mark.parametrize("text", [CHINESE, JAPANESE], ids=["chinese", "japanese"])
def test_slides_break_cjk_between_characters_never_before_closing_marks(text: str) -> None:
    lines = _bullet_lines(text, VideoFormat("9:16", 720))
    assert len(lines) >= 3, "a long line of CJK wraps (it has no spaces)"
    assert "".join(lines) == text, "nothing lost, no spaces added"
    for upper, lower in itertools.pairwise(lines):
        assert lower[0] not in NO_START, (upper, lower)
        assert upper[-1] not in NO_END, (upper, lower)


def test_slides_break_thai_between_words() -> None:
    lines = _bullet_lines(THAI, VideoFormat("9:16", 720))
    assert len(lines) >= 3
    assert "".join(lines) == THAI
    bounds = set(itertools.accumulate(len(w) for w in thai_words(THAI)))
    ends = list(itertools.accumulate(len(line) for line in lines))
    assert all(end in bounds for end in ends), "every line ends at a word boundary"


def test_a_huge_unspaced_paragraph_is_read_only_as_far_as_the_slide_shows() -> None:
    huge = CHINESE * 4000  # 200,000 characters, no space
    lines = _bullet_lines(huge, VideoFormat("16:9", 720))
    shown = "".join(lines).removesuffix(ELLIPSIS)
    assert len(lines) > 3 and huge.startswith(shown), "cut at the end only (it is beyond any frame)"


def test_captions_break_thai_at_words_and_lose_nothing() -> None:
    # an engine reports a run of Thai as one "word"
    cues = build_cues([[WordTiming(THAI, 0.0, 8.0)]], 9.0)
    assert "".join("".join(c.lines) for c in cues) == THAI
    bounds = set(itertools.accumulate(len(w) for w in thai_words(THAI)))
    ends = list(itertools.accumulate(len(line) for c in cues for line in c.lines))
    assert all(end in bounds for end in ends)
    assert all(text_width(line, 42 / 16) <= RULES.max_line_chars for c in cues for line in c.lines)


def test_burned_caption_lines_keep_kinsoku() -> None:
    pieces = [WordTiming(JAPANESE, 0.0, 6.0)]
    lines = break_lines(pieces, 20, 42 / 16)
    assert "".join(lines) == JAPANESE
    for upper, lower in itertools.pairwise(lines):
        assert lower[0] not in NO_START and upper[-1] not in NO_END, (upper, lower)


def test_lao_myanmar_and_khmer_break_between_clusters() -> None:
    assert break_units("ភាសាខ្មែរ") == ["ភា", "សា", "ខ្មែ", "រ"], "a stacked consonant stays with its cluster"
    assert break_units("မြန်မာ") == ["မြ", "န်", "မာ"]
    assert break_units("ເມືອງລາວ")[0] == "ເມື", "a vowel written first stays with its consonant"
    lines = _bullet_lines("ភាសាខ្មែរ" * 40, VideoFormat("9:16", 720))
    assert len(lines) > 1 and "".join(lines) == "ភាសាខ្មែរ" * 40
    assert all(not unicodedata.category(line[0]).startswith("M") for line in lines), (
        "no line starts with a mark"
    )
