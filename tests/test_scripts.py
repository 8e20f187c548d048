"""Every script drawn (issue 13 item 7): Chinese, Japanese, Korean, Arabic, Hebrew, Devanagari, Thai and
emoji get glyphs from the packaged fonts on slides and in burned captions, Arabic and Hebrew are shaped
and set right to left. Real fonts, real Pillow with raqm, real libass in the real ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from app.services.captions import caption_font_runs, write_captions
from app.services.models import VideoFormat, WordTiming
from app.services.planning import Item, Scene
from app.services.visuals import compose_scene, default_fontset, draw_layout, family_name, link_fonts
from app.services.visuals.bidi import levels, paragraph_rtl, split_levels, visual_order
from app.services.visuals.fontfiles import covers, face_index, load_font
from app.services.visuals.fonts import clean_text, segment
from tests.conftest import CLI, missing_part

# per script, two lines of the same shape that share no character of that script
LINES = {
    "chinese": ("你好世界，这是中文。", "他们喜欢学习新汉字。"),
    "japanese": ("こんにちは、せかい。", "ありがとうございます"),
    "korean": ("안녕하세요 세계", "감사합니다 여러분"),
    "arabic": ("مرحبا بالعالم", "شكرا لكم جميعا"),
    "hebrew": ("שלום עולם", "תודה רבה לכם"),
    "devanagari": ("नमस्ते दुनिया", "धन्यवाद मित्रों"),
    "thai": ("สวัสดีชาวโลก", "ขอบคุณมากครับ"),
    "emoji": ("😀🎉👍", "🚀🌍🍕"),
}
FAMILY = {
    "chinese": "Noto Sans CJK SC",
    "japanese": "Noto Sans CJK SC",
    "korean": "Noto Sans CJK SC",
    "arabic": "Noto Sans Arabic",
    "hebrew": "Noto Sans Hebrew",
    "thai": "Noto Sans Thai",
    "emoji": "Noto Emoji",
}
FMT = VideoFormat("16:9", 720)


def _chain() -> tuple[Path, ...]:
    fonts = default_fontset()
    return fonts.chain(fonts.regular)


@pytest.mark.parametrize("script", list(LINES))
def test_every_character_has_a_glyph(script: str) -> None:
    chain = _chain()
    for line in LINES[script]:
        assert clean_text(line, chain) == line, "no character replaced by U+FFFD"
        runs = segment(line, chain)
        for run in runs:
            assert all(covers(run.font, ch) for ch in run.text if not ch.isspace()), run
        if script in FAMILY:
            drawn = {family_name(r.font) for r in runs if not r.text.isspace()}
            assert any(f.startswith(FAMILY[script]) for f in drawn), drawn


def test_the_cjk_collection_is_used_through_its_simplified_chinese_face() -> None:
    cjk = next(f for f in default_fontset().fallbacks if f.name.endswith(".ttc"))
    assert face_index(cjk) == 2
    assert family_name(cjk) == "Noto Sans CJK SC"
    # Pillow opens the same face at the asked weight: bold ink is heavier than regular ink
    regular, bold = (_ink(load_font(cjk, 64, w), "永") for w in (400, 700))
    assert bold > regular * 1.2


def _ink(font: ImageFont.FreeTypeFont, text: str, **kw: object) -> int:
    image = Image.new("L", (400, 120))
    ImageDraw.Draw(image).text((10, 90), text, font=font, fill=255, anchor="ls", **kw)  # type: ignore[arg-type]
    return int(np.asarray(image).sum() // 255)


def _scene(line: str) -> Scene:
    return Scene(
        id="s1", layout="bullets", title="Scripts", items=[Item(text=line, marker="•")], narration="x"
    )


@pytest.mark.parametrize("script", list(LINES))
def test_slides_that_differ_only_in_one_scripts_characters_differ(script: str) -> None:
    """Tofu boxes would draw both lines alike; glyphs do not."""
    first, second = (compose_scene(_scene(line), FMT, "dark") for line in LINES[script])
    for layout in (first, second):
        assert all(covers(font, ch) for ch, font in layout.glyphs()), "every glyph from a font that has it"
        assert "\ufffd" not in "".join(line.text for line in layout.lines)
    a, b = draw_layout(first), draw_layout(second)
    bullet = next(line for line in first.lines if line.role == "bullet")
    assert ImageChops.difference(a, b).getbbox() is not None
    region = ImageChops.difference(a.crop(bullet.box), b.crop(bullet.box))
    assert np.asarray(region.convert("L")).astype(int).sum() > 255 * 50, "the lines' ink differs"


def test_arabic_is_set_right_to_left_and_numbers_and_latin_left_to_right() -> None:
    layout = compose_scene(_scene("مرحبا بالعالم 2024"), FMT, "dark")
    runs = {r.text.strip(): r for line in layout.lines if line.role == "bullet" for r in line.runs}
    # read from the right: the first word rightmost, then the second, the number at the left end
    assert runs["مرحبا"].origin[0] > runs["بالعالم"].origin[0] > runs["2024"].origin[0]
    assert runs["مرحبا"].rtl and runs["بالعالم"].rtl and not runs["2024"].rtl
    mixed = compose_scene(_scene("Hello שלום עולם world"), FMT, "dark")
    runs = {r.text.strip(): r for line in mixed.lines if line.role == "bullet" for r in line.runs}
    x = {text: run.origin[0] for text, run in runs.items()}
    assert x["Hello"] < x["עולם"] < x["שלום"] < x["world"]


def test_arabic_is_shaped_by_raqm() -> None:
    if not features.check("raqm"):
        missing_part("raqm", "Pillow has no raqm layout (libfribidi missing?)")
    arabic = next(f for f in default_fontset().fallbacks if family_name(f) == "Noto Sans Arabic")
    shaped = ImageFont.truetype(str(arabic), 48, layout_engine=ImageFont.Layout.RAQM)
    basic = ImageFont.truetype(str(arabic), 48, layout_engine=ImageFont.Layout.BASIC)

    def picture(font: ImageFont.FreeTypeFont) -> Image.Image:
        image = Image.new("L", (400, 100))
        ImageDraw.Draw(image).text((10, 70), "بالعالم", font=font, fill=255, anchor="ls")
        return image

    # joined letters (initial, medial, final forms) are not the isolated letters side by side
    assert ImageChops.difference(picture(shaped), picture(basic)).getbbox() is not None


def test_bidi_levels_and_visual_order() -> None:
    assert paragraph_rtl("  «مرحبا» hello") and not paragraph_rtl("123 hello مرحبا")
    text = "abc שלום 12 עולם def"
    lv = levels(text, rtl=False)
    parts = split_levels(text, lv)
    drawn = [parts[i][0] for i in visual_order([level for _, level in parts])]
    # the Hebrew run reversed as a whole (each piece then drawn right to left), the number inside it
    # kept left to right
    assert drawn == ["abc ", " עולם", "12", "שלום ", " def"]
    assert levels("hello world", rtl=False) == [0] * 11
    rtl_text = "שלום abc."
    assert split_levels(rtl_text, levels(rtl_text, rtl=True)) == [("שלום ", 1), ("abc", 2), (".", 1)]


def test_caption_runs_name_the_families_libass_gets(tmp_path: Path) -> None:
    runs = caption_font_runs(default_fontset())("Hi 你好 مرحبا 😀 there")
    families = [family for piece, family, _ in runs if piece.strip()]
    assert families == [
        "Be Vietnam Pro",
        "Noto Sans CJK SC",
        "Noto Sans Arabic",
        "Noto Emoji",
        "Be Vietnam Pro",
    ]
    scale = {family: s for _, family, s in runs}
    # libass sizes a font by its ascent + descent: Arabic's are tall (its glyphs would look 70% as
    # large), the emoji font's short; each is scaled to the caption font's em
    assert scale["Be Vietnam Pro"] == 1.0 and scale["Noto Sans Arabic"] > 1.3 and scale["Noto Emoji"] < 0.85
    assert [p for p, f, _ in runs if f == "Noto Emoji"] == ["😀"], "the emoji font's 1.27-em space unused"
    linked = link_fonts(tmp_path / "fonts", default_fontset())
    assert (linked / "NotoSansCJK-VF.otf.ttc").is_file() and (linked / "NotoEmoji[wght].ttf").is_file()


def _burn(tmp_path: Path, name: str, words: list[str], red: str = "") -> Image.Image:
    """Captions burned by libass onto a black frame; the bottom band, where they go (`red`: that
    word drawn in red)."""
    timed = [WordTiming(w, i * 0.4, i * 0.4 + 0.3) for i, w in enumerate(words)]
    ass = tmp_path / f"{name}.ass"
    write_captions([timed], 3.0, tmp_path / f"{name}.srt", tmp_path / f"{name}.vtt", ass, (640, 360))
    if red:
        text = ass.read_text(encoding="utf-8")
        ass.write_text(text.replace(red, f"{{\\1c&H0000FF&}}{red}{{\\1c&HFFFFFF&}}"), encoding="utf-8")
    fonts = link_fonts(tmp_path / "fonts", default_fontset())
    out = tmp_path / f"{name}.png"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=black:s=640x360:d=2",
            "-vf", f"subtitles=filename={ass}:fontsdir={fonts}", "-ss", "1", "-frames:v", "1",
            "-update", "1", "-y", str(out),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    with Image.open(out) as image:
        return image.convert("L").crop((0, 250, 640, 360))


def _burn_rgb(tmp_path: Path, words: list[str], red: str) -> Image.Image:
    _burn(tmp_path, "rgb", words, red)
    return Image.open(tmp_path / "rgb.png").convert("RGB")


def test_burned_captions_draw_cjk_arabic_and_emoji(tmp_path: Path) -> None:
    one = _burn(tmp_path, "one", ["你好世界", "مرحبا", "😀🎉"])
    two = _burn(tmp_path, "two", ["他们学习", "شكرا", "🚀🌍"])
    assert np.asarray(one).max() > 200, "caption text drawn"
    diff = np.asarray(ImageChops.difference(one, two)).astype(int)
    assert (diff > 100).sum() > 200, "different characters draw different glyphs"


def test_rendered_videos_that_differ_only_in_other_scripts_differ(cli: CLI) -> None:
    """Two real renders whose documents differ only in their CJK, Arabic and emoji characters."""
    docs = {
        "a.md": "# Scripts\n\nThree: 你好世界 and مرحبا and 😀.\n",
        "b.md": "# Scripts\n\nThree: 他们学习 and شكرا and 🚀.\n",
    }
    frames = {}
    for name, text in docs.items():
        (cli.cwd / name).write_text(text, encoding="utf-8")
        result = cli.run("render", name, "-o", f"{name}.mp4", "--voice", "espeak:en-us", "--quiet")
        assert result.returncode == 0, result.stderr.decode()
        with av.open(str(cli.cwd / f"{name}.mp4")) as container:
            frames[name] = next(container.decode(video=0)).to_image().convert("L")
    diff = np.asarray(ImageChops.difference(frames["a.md"], frames["b.md"]))
    assert (diff > 60).sum() > 500


def test_emoji_sequences_stay_whole() -> None:
    if not features.check("raqm"):
        missing_part("raqm", "Pillow has no raqm layout (libfribidi missing?)")
    family, flag = "👨\u200d👩\u200d👧", "🇻🇳"
    text = f"a {family} {flag} ❤\ufe0f b"
    assert clean_text(text, _chain()) == text, "joiners and the emoji selector kept inside emoji"
    assert clean_text("a\u200db\ufe0fc", _chain()) == "abc", "and dropped elsewhere"
    runs = segment(text, _chain())
    run = next(r for r in runs if family in r.text)
    assert family_name(run.font) == "Noto Emoji"
    assert family_name(next(r for r in runs if flag in r.text).font) == "Noto Emoji"
    font = load_font(run.font, 64)
    # the family is one glyph (a ligature), not three people side by side; the flag one, not two letters
    assert font.getlength(family) < 0.6 * font.getlength("👨👩👧")
    assert font.getlength(flag) < 0.8 * font.getlength("🇻 🇳")


def test_a_right_to_left_item_is_mirrored_its_marker_on_the_right() -> None:
    items = [Item(text="مرحبا بالعالم", marker="•"), Item(text="Hello world", marker="•")]
    scene = Scene(id="s1", layout="bullets", title="T", items=items, narration="x")
    layout = compose_scene(scene, FMT, "dark")
    for item, rtl in ((0, True), (1, False)):
        marker = next(line for line in layout.lines if line.role == "marker" and line.item == item)
        text = next(line for line in layout.lines if line.role == "bullet" and line.item == item)
        assert (marker.box[0] > text.box[2]) is rtl and (marker.box[2] < text.box[0]) is not rtl
    arabic = next(line for line in layout.lines if line.role == "bullet" and line.item == 0)
    english = next(line for line in layout.lines if line.role == "bullet" and line.item == 1)
    assert arabic.box[2] > english.box[2], "set against the right edge"


def test_han_characters_take_the_glyph_forms_of_the_scenes_language(tmp_path: Path) -> None:
    def statement(title: str) -> tuple[str, Image.Image]:
        scene = Scene(id="s1", layout="statement", title=title, narration="x")
        layout = compose_scene(scene, FMT, "dark")
        (han,) = [r for line in layout.lines for r in line.runs if r.text.startswith("直骨")]
        return family_name(han.font), draw_layout(layout).crop(han.box)

    (sc, chinese), (jp, japanese), (kr, _) = (statement(t) for t in ("直骨 中文", "直骨 かな", "直骨 한글"))
    assert (sc, jp, kr) == ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR")
    assert chinese.size == japanese.size and ImageChops.difference(chinese, japanese).getbbox() is not None
    # libass gets the collection file itself, once, and finds every face in it by family
    fonts = default_fontset().for_text("かな")
    linked = link_fonts(tmp_path / "fonts", fonts)
    assert not [p.name for p in linked.iterdir() if "#" in p.name]
    assert len(fonts.files) == len(default_fontset().files)


def test_a_burned_hebrew_caption_reads_from_the_right(tmp_path: Path) -> None:
    """libass takes each line's direction from its first letter (Encoding -1): a Latin word at the
    end of a Hebrew line is drawn at its left."""
    with _burn_rgb(tmp_path, ["שלום", "עולם", "abc"], "abc") as image:
        pixels = np.asarray(image).astype(int)
    red = (pixels[:, :, 0] > 150) & (pixels[:, :, 1] < 90)
    white = (pixels[:, :, 0] > 150) & (pixels[:, :, 1] > 150)
    assert red.any() and white.any()
    assert np.nonzero(red)[1].max() < np.nonzero(white)[1].min() + 5, "the last word at the left end"


def test_a_right_to_left_title_and_its_rule_are_at_the_right() -> None:
    scene = Scene(
        id="s1", layout="bullets", title="العربية", items=[Item(text="x", marker="•")], narration="x"
    )
    layout = compose_scene(scene, VideoFormat("9:16", 720), "dark")
    title = next(line for line in layout.lines if line.role == "title")
    bar = next(shape for shape in layout.shapes if shape.kind == "bar")
    assert abs(bar.box[2] - title.box[2]) <= 0.02 * layout.size[0] and bar.box[0] > title.box[0]
