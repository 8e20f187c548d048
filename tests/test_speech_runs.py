"""Every script spoken right (issue 13 item 7): runs of another script are read by a voice of their
language, also under an explicit voice; emoji and scripts without a voice are shown, never spoken.
Real espeak-ng: its audio is compared with what the other voice says alone."""

from __future__ import annotations

import av
import pytest

from app.services.speech import EspeakEngine
from app.services.speech.japanese import kana_reading, readable
from app.services.speech.runs import Run, speech_runs, unspoken_blanked, voice_segments
from tests.conftest import CLI

RATE = 175


def test_runs_by_reading_language() -> None:
    assert speech_runs("Hello 你好世界, and 😀 world!", "en") == [
        Run("Hello ", "en"),
        Run("你好世界, ", "cmn"),
        Run("and ", "en"),
        Run("😀 ", None),
        Run("world!", "en"),
    ]
    assert speech_runs("日本語のテキストです。", "en") == [Run("日本語のテキストです。", "ja")]
    assert speech_runs("我用Python写代码", "cmn") == [
        Run("我用", "cmn"),
        Run("Python", "en"),
        Run("写代码", "cmn"),
    ]
    assert speech_runs("漢字とかな", "ja") == [Run("漢字とかな", "ja")]
    assert speech_runs("مرحبا 2024 hello", "en-us") == [Run("مرحبا 2024 ", "ar"), Run("hello", "en-us")]
    assert speech_runs("سلام دنیا", "fa") == [Run("سلام دنیا", "fa")], "Persian reads its Arabic script"
    assert speech_runs("שלום, नमस्ते, สวัสดี, 안녕", "en") == [
        Run("שלום, ", "he"),
        Run("नमस्ते, ", "hi"),
        Run("สวัสดี, ", "th"),
        Run("안녕", "ko"),
    ]
    assert speech_runs("👍🏽 flags 🇻🇳", "en") == [Run("👍🏽 ", None), Run("flags ", "en"), Run("🇻🇳", None)]
    assert speech_runs("25°C, © 2024", "en") == [Run("25°C, © 2024", "en")], "° and © are read"


def test_segments_blank_what_is_not_spoken_and_join_runs_of_one_voice() -> None:
    segments = voice_segments(
        "Hi 😀 ភាសា there 你好", "en-us", "en-us", lambda lang: None if lang == "km" else lang
    )
    blanked = "Hi " + " " * len("😀 ភាសា ") + "there "
    assert [(s.spoken, s.voice) for s in segments] == [(blanked, "en-us"), ("你好", "cmn")]
    assert all(s.end - s.start == len(s.spoken) for s in segments)


def _speak(text: str, voice: str) -> tuple[bytes, list[tuple[str, float, float]]]:
    pcm, rate, words = EspeakEngine().synthesize(text, voice, RATE)
    assert rate == 22050
    return pcm, [(w.text, w.start, w.end) for w in words]


def _seconds(pcm: bytes) -> float:
    return len(pcm) / 2 / 22050


def _said(text: str, voice: str) -> float:
    """How long a voice takes to say the text alone (its words' span: espeak's output varies a little
    from call to call, so audio is compared by duration, not by bytes)."""
    _, words = _speak(text, voice)
    return words[-1][2] - words[0][1]


@pytest.mark.parametrize("voice", ["en", "en-us+f3"])
def test_a_chinese_line_in_english_is_read_by_the_chinese_voice(voice: str) -> None:
    chinese = "今天天气很好我们一起去公园散步吧公园里有很多人在跑步"
    pcm, words = _speak(f"She said {chinese} and left.", voice)
    assert [w for w, _, _ in words] == ["She", "said", chinese, "and", "left."]
    starts = [s for _, s, _ in words]
    assert starts == sorted(starts) and words[-1][2] <= _seconds(pcm)
    span = words[3][1] - words[2][1]  # from the Chinese line's start to the next word's
    by_cmn = _said(chinese, "cmn")
    assert abs(span - by_cmn) < 0.25 * by_cmn, (span, by_cmn)
    # the English voice said "Chinese letter" for each character: over half a second each
    assert span < 0.35 * len(chinese)


def test_arabic_and_hebrew_runs_are_read_by_their_voices() -> None:
    for word, voice in (("مرحبا بالعالم", "ar"), ("שלום עולם", "he")):
        _, words = _speak(f"The words {word} are a greeting.", "en")
        span = words[4][1] - words[2][1]
        by_voice = _said(word, voice)
        assert abs(span - by_voice) < 0.3 * by_voice + 0.1, (voice, span, by_voice)
        assert span < 0.3 * len(word), "not spelled letter by letter"


def test_emoji_and_voiceless_scripts_are_shown_not_spoken() -> None:
    plain, _ = _speak("Hello world", "en")
    with_emoji, words = _speak("Hello 😀🎉 world", "en")
    assert abs(_seconds(with_emoji) - _seconds(plain)) < 0.05, "no 'grinning face'"
    emoji = next(w for w in words if w[0] == "😀🎉")
    assert emoji[1] == emoji[2], "timed (for the captions) but silent"
    khmer, words = _speak("Hello ភាសាខ្មែរ world", "en")  # espeak-ng has no Khmer voice
    assert abs(_seconds(khmer) - _seconds(plain)) < 0.05
    assert [w for w, _, _ in words] == ["Hello", "ភាសាខ្មែរ", "world"]
    silent, words = _speak("🎉", "en")
    assert silent == b"" and words == [("🎉", 0.0, 0.0)]


def test_kanji_get_their_readings_for_the_japanese_voice() -> None:
    reading, origin = kana_reading("  日本語の文章は、abc 東京。")
    assert reading == "  ニホンゴのブンショウワ、abc トウキョウ。"  # kana as written, kanji as read
    assert len(origin) == len(reading) and origin == sorted(origin)
    assert readable("日本語", "en") == ("日本語", None) and readable("にほんご", "ja") == ("にほんご", None)
    # espeak's ja voice spells a kanji out; with readings the line takes as long as written in kana
    kana = _said("にほんごのぶんしょうです", "ja")
    assert abs(_said("日本語の文章です", "ja") - kana) < 0.2 * kana
    _, words = _speak("The phrase 日本語の文章です is Japanese.", "en")
    span = words[3][1] - words[2][1]
    assert abs(span - kana) < 0.3 * kana, (span, kana)


def test_engines_given_a_whole_text_get_no_emoji() -> None:
    text = "Ship it 🚀👨\u200d👩\u200d👧 today ❤\ufe0f 你好"
    blanked = unspoken_blanked(text)
    assert len(blanked) == len(text) and blanked.split() == ["Ship", "it", "today", "你好"]
    assert unspoken_blanked("plain text, 25°C") == "plain text, 25°C"


def test_an_explicit_voice_still_leaves_chinese_to_the_chinese_voice(cli: CLI) -> None:
    chinese = "今天天气很好我们一起去公园散步吧"
    (cli.cwd / "doc.md").write_text(f"# T\n\nShe said {chinese} and left. 🎉\n", encoding="utf-8")
    result = cli.run("render", "doc.md", "-o", "doc.mp4", "--voice", "espeak:en-us", "--quiet")
    assert result.returncode == 0, result.stderr.decode()
    captions = (cli.cwd / "doc.srt").read_text(encoding="utf-8")
    assert chinese[:6] in captions.replace("\n", "") and "🎉" in captions
    by_cmn = _said(chinese, "cmn")
    spelled = 0.6 * len(chinese)  # the English voice: "Chinese letter" for each character
    with av.open(str(cli.cwd / "doc.mp4")) as container:
        seconds = float(container.duration or 0) / av.time_base
    rest = _said("T. She said and left.", "en-us")
    assert seconds < rest + by_cmn + 2.0 < rest + spelled, (seconds, rest, by_cmn)
