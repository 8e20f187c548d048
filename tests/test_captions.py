"""Caption segmentation by the subtitling rules: unit tests on word lists, then real renders.

The rules (README, "Captions"): at most 2 lines of at most 42 characters (16 full-width ones), 0.833
to 7 s a cue, at most 20 characters a second where the speech allows it, never across a sentence end
or a scene, no line ending on a function word, cues apart by a gap and never overlapping.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from app.services.captions import build_cues, to_ass, to_srt, to_vtt
from app.services.captions.function_words import STRONG, bare, parts_compound
from app.services.captions.linebreak import break_lines, text_width
from app.services.captions.timing import CaptionRules
from app.services.documents import document_from_bytes
from app.services.models import Cue, WordTiming
from app.services.planning import plan_document, split_sentences

ROOT = Path(__file__).resolve().parent.parent
RULES = CaptionRules()
SENTENCE_END_INSIDE = re.compile(r"[.!?]\s+\w")


def timed(text: str, start: float = 0.0, cps: float = 15.0, pause: float = 0.35) -> list[WordTiming]:
    """Words as espeak times them: back to back, each as long as its letters at `cps`, with the pause
    after a comma or a full stop counted in the word before it."""
    words = []
    t = start
    for word in text.split():
        length = (len(word) + 1) / cps
        if word.endswith((",", ";", ":")):
            length += pause / 2
        elif word.endswith((".", "!", "?", "。", "！", "？")):
            length += pause
        words.append(WordTiming(word, t, t + length))
        t += length
    return words


@dataclass(frozen=True)
class Shown:
    """A cue as a viewer (or an SRT file) sees it."""

    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def duration(self) -> float:
        return self.end - self.start


def shown(cues: list[Cue]) -> list[Shown]:
    return [Shown(c.start, c.end, c.lines) for c in cues]


def crosses_a_sentence_end(text: str) -> bool:
    """`[.!?] word` inside a cue, unless it is no sentence end ("e.g. the", "Dr. Ada", "3.5")."""
    return bool(SENTENCE_END_INSIDE.search(text)) and len(split_sentences(text)) > 1


def line_limit(line: str) -> bool:
    return text_width(line, RULES.wide) <= RULES.max_line_chars


def assert_caption_rules(cues: list[Shown], *, fast_share: float = 0.05, dangling_share: float = 0.0) -> None:
    """The hard rules for every cue; the reading speed and function-word ends for all but a share."""
    assert cues, "no captions"
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2, cue
        assert all(line and line_limit(line) for line in cue.lines), cue
        assert RULES.min_seconds <= cue.duration + 1e-9 <= RULES.max_seconds + 1e-9, cue
        assert not crosses_a_sentence_end(cue.text), cue
    for a, b in itertools.pairwise(cues):
        assert a.end <= b.start, (a, b)
    fast = [c for c in cues if len(c.text) / c.duration > RULES.max_chars_per_second]
    assert len(fast) <= fast_share * len(cues), fast
    lines = [line for c in cues for line in c.lines]
    dangling = [line for line in lines if bare(line.split()[-1]) in STRONG]
    assert len(dangling) <= dangling_share * len(lines), dangling


def words_of(cues: list[Cue]) -> list[str]:
    return [w.text for c in cues for w in c.words]


# --------------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------------

ENGLISH = (
    "Most people watch short videos with the sound off. On a train, in an office or late at night, the "
    "captions are the only way the message gets through. A caption holds at most two lines of about "
    "forty characters, it stays on screen long enough to be read, and it never runs across the end of "
    "a sentence. Good captions also break their lines in natural places, so that an article stays with "
    "its noun and a preposition stays with its object."
)

VIETNAMESE = (
    "Phần lớn mọi người xem video ngắn mà không bật âm thanh. Trên xe buýt, trong văn phòng hay lúc "
    "đêm khuya, phụ đề là cách duy nhất để thông điệp đến được với người xem. Vì vậy, các quy tắc về "
    "phụ đề rất chặt chẽ, và các đài truyền hình đều tuân theo những quy tắc gần giống nhau của các "
    "tổ chức quốc tế cho những người xem trên điện thoại."
)


def test_english_cues_follow_the_rules() -> None:
    words = timed(ENGLISH)
    cues = build_cues([words], words[-1].end + 1)
    assert words_of(cues) == ENGLISH.split(), "every word, in order, once"
    assert_caption_rules(shown(cues), fast_share=0)
    assert any(len(c.lines) == 2 for c in cues)
    # breaks at punctuation and before conjunctions, lines of similar length
    assert ("so that an article stays with its noun", "and a preposition stays with its object.") in [
        c.lines for c in cues
    ]
    # the same lines in every format
    two_lines = "so that an article stays with its noun\nand a preposition stays with its object.\n"
    assert two_lines in to_srt(cues) and two_lines in to_vtt(cues)


def test_cues_start_on_their_first_word_and_keep_a_gap() -> None:
    words = timed(ENGLISH)
    cues = build_cues([words], words[-1].end + 1)
    for cue in cues:
        assert abs(cue.start - cue.words[0].start) < 0.001
    gaps = [b.start - a.end for a, b in itertools.pairwise(cues)]
    # 2 frames between cues, or none where the speech runs on and the cue needs the time
    assert all(g >= RULES.gap_seconds - 0.001 or g == 0 for g in gaps), gaps
    assert sum(g >= RULES.gap_seconds - 0.001 for g in gaps) > len(gaps) / 2


def test_vietnamese_lines_never_end_on_a_function_word() -> None:
    words = timed(VIETNAMESE)
    cues = build_cues([words], words[-1].end + 1)
    assert words_of(cues) == VIETNAMESE.split()
    assert_caption_rules(shown(cues))
    for line in (line for c in cues for line in c.lines):
        assert line.split()[-1] not in ("của", "các", "những", "là", "cho", "với", "trong", "và"), line


def test_vietnamese_compounds_stay_on_one_line_where_a_break_elsewhere_is_as_good() -> None:
    """ "phụ đề", "truyền hình", "quốc tế": two syllables, one word; neither a line nor a cue parts
    them, in the SRT's 42-character lines nor in burned captions' 20-character ones."""
    words = timed(VIETNAMESE)
    cues = build_cues([words], words[-1].end + 1)
    assert words_of(cues) == VIETNAMESE.split()
    assert_caption_rules(shown(cues))

    def parted(lines: list[str]) -> list[tuple[str, str]]:
        pairs = [(a.split()[-1], b.split()[0]) for a, b in itertools.pairwise(lines)]
        return [pair for pair in pairs if parts_compound(*pair)]

    srt = [line for c in cues for line in c.lines]
    assert parted(srt) == [], srt
    # 20 characters: "và các đài truyền hình đều tuân theo những quy tắc gần giống nhau" cannot
    # keep every pair in four lines; a fifth costs more than parting "tuân theo"
    burned = [line for c in cues for line in break_lines(c.words, 20, RULES.wide)]
    assert parted(burned) == [("tuân", "theo")], burned
    assert (
        parts_compound("phụ", "đề,") and parts_compound("Truyền", "hình") and not parts_compound("đề", "là")
    )


def test_chinese_breaks_between_characters_and_at_full_stops() -> None:
    text = "今天天气很好，我们一起去公园散步吧。公园里有很多人在跑步，还有人在湖边钓鱼和看书。"
    text += "然后我们去吃午饭，好吗？"
    # an engine reports a run of Chinese as one "word"
    cues = build_cues([[WordTiming(text, 0.0, 9.0)]], 10.0)
    assert "".join("".join(c.lines) for c in cues) == text, "nothing lost, no spaces added"
    for cue in cues:
        assert all(len(line) <= RULES.max_wide_chars for line in cue.lines), cue.lines
        assert not any(line[0] in "，。？" for line in cue.lines), "punctuation stays with its character"
        assert not any(ch in "。？" for ch in cue.text.replace("\n", "")[:-1]), "never across a full stop"
    assert [c.text.replace("\n", "")[-1] for c in cues].count("。") == 2, "a cue ends at each full stop"


def test_a_word_longer_than_a_line_is_shown_whole_across_lines() -> None:
    long = "AnExtremelyLongConfigurationIdentifierThatNobodyCouldEverHopeToReadInOneBreaths"
    assert len(long) == 79
    words = timed(f"Some files contain {long} in their settings.")
    cues = build_cues([words], words[-1].end + 1)
    holder = next(c for c in cues if long[:20] in c.text)
    assert holder.lines == (long[:42], long[42:]) or long in holder.lines[-1], "whole, in one cue"
    assert all(len(line) <= 42 for c in cues for line in c.lines)
    shown_text = "".join("".join(c.lines) for c in cues).replace(" ", "")
    assert shown_text == f"Somefilescontain{long}intheirsettings."


def test_a_url_breaks_where_a_reader_expects() -> None:
    url = "https://example.com/documentation/getting-started/installation/linux/debian"
    cues = build_cues([timed(f"See {url} for details.")], 20)
    lines = [line for c in cues for line in c.lines]
    assert all(len(line) <= 42 for line in lines)
    piece = next(line for line in lines if "https://" in line)
    assert piece.endswith(("/", "-")) and len(piece) > 28, "cut after a / or a - late in the line"
    assert url in "".join(lines)


def test_a_huge_sentence_and_a_huge_word_stay_linear_and_lose_nothing() -> None:
    sentence = " ".join(itertools.islice(itertools.cycle(ENGLISH.replace(".", "").split()), 12_000))
    assert len(sentence) >= 60_000
    cues = build_cues([timed(sentence)], 10_000)
    assert words_of(cues) == sentence.split()
    assert all(len(line) <= 42 for c in cues for line in c.lines)
    assert all(len(c.lines) <= 2 and c.end - c.start <= 7 for c in cues)
    blob = "x" * 60_000
    cues = build_cues([[WordTiming(blob, 0.0, 3000.0)]], 3001)
    assert "".join("".join(c.lines) for c in cues) == blob
    assert all(len(line) == 42 for c in cues for line in c.lines[:-1])


def test_unspoken_symbols_join_a_cue_or_are_left_out() -> None:
    scene = [*timed("Thank you for watching, and see you in the next video."), WordTiming("🎉", 4.0, 4.0)]
    cues = build_cues([scene, [WordTiming("🎉", 6.0, 6.0), WordTiming("✨", 6.0, 6.0)]], 8.0, [5.5, 8.0])
    assert cues[-1].lines[-1].endswith("video. 🎉")
    assert cues[-1].end <= 5.5, "the emoji-only scene has no caption"
    middle = timed("We ship today 🚀 and then we rest for a while.")
    cues = build_cues([middle], 10)
    assert all(is_spoken_start(c) for c in cues)
    assert "today 🚀" in " ".join(c.text for c in cues)


def is_spoken_start(cue: Cue) -> bool:
    return any(ch.isalnum() for ch in cue.words[0].text)


def test_short_sentences_get_their_own_cue_and_enough_time() -> None:
    words = timed("Short sentences need care too. Yes. No. Maybe. Each of them is a sentence of its own.")
    cues = build_cues([words], words[-1].end + 1)
    assert [c.text for c in cues if len(c.text) <= 6] == ["Yes.", "No.", "Maybe."]
    assert_caption_rules(shown(cues), fast_share=0.5)


def test_a_scene_shorter_than_a_cue_is_spanned_whole() -> None:
    scenes = [[WordTiming("Hi.", 0.1, 0.4)], timed("Then a longer scene follows here.", start=0.7)]
    cues = build_cues(scenes, 4.0, [0.6, 4.0])
    assert cues[0].lines == ("Hi.",)
    assert cues[0].start == pytest.approx(0.0, abs=0.001) and cues[0].end <= 0.6
    assert cues[1].start >= 0.7, "a cue never crosses into another scene"


def test_fast_speech_keeps_the_hard_rules_when_reading_speed_cannot_be_met() -> None:
    words = timed(ENGLISH, cps=30, pause=0.0)  # 30 characters a second, no pause at all
    cues = build_cues([words], words[-1].end)
    assert words_of(cues) == ENGLISH.split()
    assert_caption_rules(shown(cues), fast_share=1.0)
    assert any(len(c.text) / (c.end - c.start) > 20 for c in cues), "no time to take from anywhere"
    gaps = [b.start - a.end for a, b in itertools.pairwise(cues)]
    assert min(gaps) >= 0


def test_cues_never_cross_scenes_or_the_video_end() -> None:
    first = timed("One two three four five six seven eight nine ten eleven twelve.")
    second = timed("Thirteen fourteen fifteen.", start=first[-1].end + 0.5)
    end_first = first[-1].end + 0.4
    cues = build_cues([first, second], second[-1].end - 0.2, [end_first, second[-1].end])
    assert words_of(cues) == [w.text for w in first + second]
    assert all(c.end <= end_first for c in cues if c.words[0] in first)
    assert cues[-1].end <= second[-1].end - 0.2


def test_burned_captions_break_lines_shorter_with_the_same_timing() -> None:
    words = timed(ENGLISH)
    cues = build_cues([words], words[-1].end + 1)
    tagged = ass_lines(to_ass(cues, (720, 1280), "Be Vietnam Pro", max_line_chars=22))
    events = [[re.sub(r"\{[^}]*\}", "", line) for line in lines] for lines in tagged]
    # a cue broken into more than two lines shows them two at a time, in order, within its time
    assert len(events) >= len(cues)
    assert " ".join(line for lines in events for line in lines).split() == [w.text for w in words]
    for lines in events:
        assert len(lines) <= 2
        assert all(len(line) <= 22 for line in lines), lines
        assert not any(bare(line.split()[-1]) in STRONG for line in lines), lines
    last = break_lines(cues[-1].words, 22, RULES.wide)
    assert [" ".join(lines) for lines in events[-((len(last) + 1) // 2) :]] == [
        " ".join(last[k : k + 2]) for k in range(0, len(last), 2)
    ]
    # without a limit, the frame's width sets it: a 9:16 frame takes shorter lines than 16:9
    narrow = ass_lines(to_ass(cues, (720, 1280), "X"))
    wide = ass_lines(to_ass(cues, (1280, 720), "X"))
    assert max(len(x) for lines in narrow for x in lines) < max(len(x) for lines in wide for x in lines)
    assert wide == [list(c.lines) for c in cues]


def ass_lines(ass: str) -> list[list[str]]:
    """Each Dialogue event's lines."""
    return [e.split(",", 9)[9].split("\\N") for e in ass.splitlines() if e.startswith("Dialogue:")]


def test_narration_keeps_the_space_before_inline_code() -> None:
    doc = document_from_bytes(b"# Setup\n\nCreate the `.venv` folder , then `activate` it .\n", "a.md", None)
    narration = " ".join(s.narration for s in plan_document(doc).scenes)
    assert narration == "Setup. Create the .venv folder, then activate it."
    words = timed(narration)
    assert "the .venv folder" in " ".join(c.text.replace("\n", " ") for c in build_cues([words], 20))


# --------------------------------------------------------------------------------------------------
# Real renders: long English and Vietnamese documents, rendered once each
# --------------------------------------------------------------------------------------------------

SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d\d\d) --> (\d+):(\d\d):(\d\d)[,.](\d\d\d)")


def parse_captions(text: str) -> list[Shown]:
    cues = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        at = next(i for i, line in enumerate(lines) if SRT_TIME.fullmatch(line))
        g = [int(x) for x in SRT_TIME.fullmatch(lines[at]).groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append(Shown(start, end, tuple(lines[at + 1 :])))
    return cues


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`t2v render` of the two long documents (about 3 minutes of speech each), shared by the tests."""
    work = tmp_path_factory.mktemp("captions")
    env = dict(os.environ, T2V_DATA_DIR=str(work / "data"), PYTHONPATH=str(ROOT))
    out = {}
    for lang in ("en", "vi"):
        video = work / f"{lang}.mp4"
        argv = [sys.executable, "-m", "app.cli", "render", str(ROOT / f"tests/data/captions_{lang}.md")]
        result = subprocess.run([*argv, "-o", str(video), "-q"], env=env, capture_output=True, timeout=600)
        assert result.returncode == 0, result.stderr.decode()
        out[lang] = video
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_rendered_captions_follow_the_rules(renders: dict[str, Path], lang: str) -> None:
    video = renders[lang]
    cues = parse_captions(video.with_suffix(".srt").read_text(encoding="utf-8"))
    assert cues[-1].end > 150, "minutes of speech"
    assert_caption_rules(cues, fast_share=0.05, dangling_share=0.01)
    vtt = parse_captions(video.with_suffix(".vtt").read_text(encoding="utf-8").removeprefix("WEBVTT"))
    assert vtt == cues, "the VTT says what the SRT says"
    with av.open(str(video)) as container:
        track = container.streams.subtitles[0]
        packets = [p for p in container.demux(track) if p.size > 2]
    assert len(packets) == len(cues), "the soft track has the same cues"
    text = " ".join(c.text for c in cues)
    if lang == "en":
        assert "the .venv folder" in text and "python -m venv .venv," in text
        long = "AnExtremelyLongConfigurationIdentifierThatNobodyCouldEverHopeToReadInOneBreaths"
        assert any(long in "".join(c.lines) for c in cues), "the 79-character word, whole, in one cue"
        assert text.endswith("video. 🎉")
        assert [c.text for c in cues if c.text in ("Yes.", "No.", "Maybe.")] == ["Yes.", "No.", "Maybe."]
    else:
        assert "thư mục .venv" in text and text.endswith("theo. 🎉")
