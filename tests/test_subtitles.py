from __future__ import annotations

import itertools
import re

from app.services.captions import build_cues, change_points, to_ass, to_srt, to_vtt
from app.services.models import WordTiming


def words(text: str, start: float = 0.0, step: float = 0.3) -> list[WordTiming]:
    out = []
    for i, w in enumerate(text.split()):
        out.append(WordTiming(w, start + i * step, start + (i + 1) * step))
    return out


def test_cues_keep_words_in_order_and_never_overlap() -> None:
    scene1 = words("One two three four five six seven eight nine ten. Eleven twelve.")
    scene2 = words("Thirteen fourteen fifteen", start=5.0)
    cues = build_cues([scene1, scene2], video_duration=6.0)
    assert " ".join(c.text for c in cues).split() == [w.text for w in scene1 + scene2]
    for a, b in itertools.pairwise(cues):
        assert a.start < a.end <= b.start
    assert all(len(c.lines) <= 2 and all(len(line) <= 42 for line in c.lines) for c in cues)


def test_a_cue_never_spans_two_scenes() -> None:
    cues = build_cues([words("a b"), words("c d", start=1.0)], video_duration=2.0)
    assert [c.text for c in cues] == ["a b", "c d"]


def test_sentence_end_closes_a_cue() -> None:
    cues = build_cues([words("Hello there. How are you?")], video_duration=3.0)
    assert [c.text for c in cues] == ["Hello there.", "How are you?"]


def test_cues_never_outlive_the_video() -> None:
    cues = build_cues([words("a b c d e f g h", step=1.0)], video_duration=5.5)
    assert cues[-1].end <= 5.5
    assert all(c.end <= 5.5 for c in cues)


def test_overlapping_word_times_are_clipped() -> None:
    w = [WordTiming("a", 0.0, 2.0), WordTiming("b.", 1.0, 2.5), WordTiming("C", 1.5, 3.0)]
    cues = build_cues([w], video_duration=3.0)
    assert [c.text for c in cues] == ["a b.", "C"]
    for a, b in itertools.pairwise(cues):
        assert a.end <= b.start


def test_srt_vtt_and_ass_formats() -> None:
    cues = build_cues([words("Xin chào các bạn. Hôm nay {trời} <đẹp>", step=0.5)], video_duration=10)
    srt = to_srt(cues)
    # the first cue ends 80 ms (2 frames) before the next one starts
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,920\nXin chào các bạn.\n")
    assert re.findall(r"^\d+$", srt, flags=re.M) == [str(i) for i in range(1, len(cues) + 1)]
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.920\n")
    assert "&lt;đẹp&gt;" in vtt
    ass = to_ass(cues, (1280, 720), "Be Vietnam Pro")
    assert "PlayResX: 1280" in ass and "Style: Default,Be Vietnam Pro," in ass
    assert "Dialogue: 0,0:00:00.00,0:00:01.92,Default,,0,0,0,,Xin chào các bạn." in ass
    assert "\\{trời\\}" in ass
    assert change_points(cues) == sorted({int(t * 100) / 100 for c in cues for t in (c.start, c.end)})
    # ASS times are floored to centiseconds, the same instants change_points gives
    odd = build_cues([[WordTiming("a.", 8.448, 9.3)], [WordTiming("b", 9.4, 10.247)]], 11)
    assert "Dialogue: 0,0:00:08.44,0:00:09.32,Default,,0,0,0,,a." in to_ass(odd, (1280, 720), "X")
    assert change_points(odd) == [8.44, 9.32, 9.4, 10.24]


def test_a_word_longer_than_a_caption_line_is_split_across_cues_by_time() -> None:
    long = WordTiming("x" * 100, 1.0, 2.0)
    cues = build_cues([[WordTiming("Before", 0.0, 1.0), long, WordTiming("after.", 2.0, 2.5)]], 3.0)
    assert max(len(line) for c in cues for line in c.lines) <= 42
    assert "".join(c.text for c in cues).replace(" ", "").replace("\n", "") == "Before" + "x" * 100 + "after."
    # the pieces share the word's time by their letters: the second starts 42% of the way in
    pieces = [w for c in cues for w in c.words if w.text.startswith("x")]
    assert pieces[0].start == 1.0 and abs(pieces[1].start - 1.42) < 0.002
    assert abs(cues[1].start - 1.42) < 0.002
    for a, b in itertools.pairwise(cues):
        assert a.start < a.end <= b.start
