"""Language detection picks an espeak voice that exists, offline and deterministically."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import langdetect
import pytest

from app.services.speech.espeak import EspeakEngine
from app.services.speech.language import detect_language, from_langdetect, voice_for_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xin chào các bạn, hôm nay trời đẹp quá.", "vi"),
        ("Tôi đi học ở trường đại học bách khoa Hà Nội.", "vi"),
        ("Đà Nẵng", "vi"),
        ("Hello everyone, the weather is lovely today and we are going to the park.", "en"),
        ("Привет всем, сегодня прекрасная погода, и мы идём в парк.", "ru"),
        ("Bonjour à tous, il fait très beau aujourd'hui et nous allons au parc.", "fr"),
        ("Hallo zusammen, heute ist das Wetter schön und wir gehen in den Park.", "de"),
        ("Hola a todos, hoy hace muy buen tiempo y vamos al parque.", "es"),
        ("Добрий день усім, сьогодні чудова погода, і ми їдемо до парку.", "uk"),
        ("Γεια σας, σήμερα ο καιρός είναι υπέροχος.", "el"),
        ("今天天气很好，我们去公园吧。", "cmn"),
        ("今日はいい天気ですね。公園に行きましょう。", "ja"),
        ("안녕하세요, 오늘 날씨가 좋네요.", "ko"),
        ("สวัสดีครับ วันนี้อากาศดี", "th"),
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_decomposed_vietnamese_is_still_vietnamese() -> None:
    assert detect_language(unicodedata.normalize("NFD", "Xin chào các bạn, hôm nay trời đẹp quá.")) == "vi"


def test_a_vietnamese_name_does_not_make_english_vietnamese() -> None:
    text = (
        "Our guest today is Nguyễn Văn Đức, who will talk about building reliable software "
        "for small teams and how to test it well before every release."
    )
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "!!! ???"])
def test_no_letters_falls_back_to_english(text: str) -> None:
    assert detect_language(text) == "en"


def test_detection_is_deterministic() -> None:
    text = "Ciao a tutti, oggi il tempo è bello."
    assert len({detect_language(text) for _ in range(5)}) == 1


def test_voice_for_text_is_a_spec() -> None:
    assert voice_for_text("Xin chào các bạn, hôm nay trời đẹp quá.") == "espeak:vi"


def test_every_detectable_language_has_an_espeak_voice() -> None:
    engine = EspeakEngine()
    profiles = Path(langdetect.__file__).parent / "profiles"
    codes = sorted(p.name for p in profiles.iterdir())
    assert "vi" in codes
    for code in codes:
        voice = from_langdetect(code)
        if voice is not None:
            assert engine.resolve_voice(voice)


@pytest.mark.parametrize(
    "text",
    [
        "Xin chào các bạn, hôm nay trời đẹp quá.",
        "Привет всем, сегодня прекрасная погода.",
        "今天天气很好，我们去公园吧。",
        "สวัสดีครับ วันนี้อากาศดี",
    ],
)
def test_detected_languages_are_espeak_voices(text: str) -> None:
    assert EspeakEngine().resolve_voice(detect_language(text))


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("This is a test of the tool, and it reads the words that you write.", True),
        ("Le chat est sur la table et il dort avec le chien dans la maison.", False),
        ("Dit is de kat van de buren en het is een mooie dag in de stad.", False),
        ("Ini adalah kucing dari tetangga dan ini hari yang indah di kota.", False),
        ("Der Hund ist in dem Haus und die Katze ist auf dem Tisch.", False),
        ("Short text.", False),
    ],
)
def test_the_english_fast_path_only_takes_english(text: str, english: bool) -> None:
    from app.services.speech.language import _looks_english

    assert _looks_english(text) is english
    if not english and len(text.split()) >= 8:
        assert detect_language(text) != "en"
