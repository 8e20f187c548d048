"""Slides drawn with the real fonts and real Pillow: glyph coverage, fitting, sizes, files."""

from __future__ import annotations

import itertools
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from app.errors import InputError, RenderError
from app.services.documents import escape
from app.services.models import VideoFormat
from app.services.planning import Code, Item, Layout, Scene
from app.services.visuals import (
    ELLIPSIS,
    THEMES,
    SlideLayout,
    Theme,
    compose_scene,
    get_theme,
    render_scene,
)
from app.services.visuals import fonts as fontlib
from app.services.visuals.fontfiles import load_font
from app.services.visuals.fonts import clean_text, default_fontset, fonts_dir, link_fonts, segment

VI_TITLE = "Giới thiệu về Việt Nam"
VI_BODY = (
    "Đây là một đoạn văn bản tiếng Việt có dấu: "
    "ă â đ ê ô ơ ư ạ ả ấ ầ ẩ ẫ ậ ắ ằ ẳ ẵ ặ ẹ ẻ ẽ ế ề ể ễ ệ ỉ ị ọ ỏ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ụ ủ ứ ừ ử ữ ự ỳ ỵ ỷ ỹ"
)
VI_BULLETS = ("Thủ đô: Hà Nội", "Dân số: khoảng 100 triệu người", "ĂÂĐÊÔƠƯ ẤẦẨẪẬ ỆỄ Ỗ ỰỮ")
CYRILLIC = "Привет, мир! Съешь же ещё этих мягких французских булок"
GREEK = "Γειά σου Κόσμε — ξεσκεπάζω την ψυχοφθόρα βδελυγμία"

FORMATS = [VideoFormat(a, r) for a, r in itertools.product(("16:9", "9:16", "1:1"), (720, 1080))]
FORMAT_IDS = [f"{f.aspect}@{f.resolution}" for f in FORMATS]


@cache
def cmap(path: Path) -> frozenset[int]:
    """The font's cmap read directly with fontTools, independently of the code under test."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


PARAGRAPH, BULLET, CODE_BLOCK = "paragraph", "bullet", "code"
STATEMENT_CHARS = 160


def slide(title: str | None, blocks: list[tuple[str, str]], narration: str = "x") -> Scene:
    """A plan scene from a title and (kind, plain text) blocks: code makes a code scene (the rest its
    lead), an untitled short paragraph a statement, anything else a list."""
    code = [text for kind, text in blocks if kind == CODE_BLOCK]
    items = [
        Item(text=escape(text), marker="•" if kind == BULLET else None)
        for kind, text in blocks
        if kind != CODE_BLOCK
    ]
    if code:
        return Scene(
            id="s1",
            layout="code",
            title=title,
            items=items,
            code=Code(text="\n\n".join(code)),
            narration=narration,
        )
    layout: Layout = "bullets"
    if not title and len(items) == 1 and len(narration) <= STATEMENT_CHARS:
        layout = "statement"
    return Scene(id="s1", layout=layout, title=title, items=items, narration=narration)


def layout_slide(scene: Scene, fmt: VideoFormat, theme: Theme | None = None) -> SlideLayout:
    return compose_scene(scene, fmt, theme or THEMES["dark"], None, index=0)


def render_slide(scene: Scene, fmt: VideoFormat, out: Path, theme: Theme | None = None) -> Path:
    return render_scene(scene, fmt, theme or THEMES["dark"], None, out, index=0)


def vietnamese_scene() -> Scene:
    blocks = [(PARAGRAPH, VI_BODY), *((BULLET, b) for b in VI_BULLETS)]
    return slide(VI_TITLE, blocks, "xin chào")


def long_scene() -> Scene:
    sentence = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. "
    blocks = [(PARAGRAPH, sentence * 12)]
    blocks += [(BULLET, f"Point {i}: " + sentence * 2) for i in range(20)]
    blocks += [(CODE_BLOCK, "\n".join(f"line_{i} = {i}" for i in range(40)))]
    return slide("A slide with far too much to say on it", blocks, "long")


def assert_all_glyphs_covered(layout: SlideLayout) -> None:
    glyphs = layout.glyphs()
    assert glyphs
    for ch, font in glyphs:
        assert ord(ch) in cmap(font), f"{ch!r} (U+{ord(ch):04X}) drawn with {font.name}, which lacks it"


def assert_inside_frame(layout: SlideLayout) -> None:
    width, height = layout.size
    for run in layout.runs:
        left, top, right, bottom = run.box
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, run
    for shape in layout.shapes:
        left, top, right, bottom = shape.box
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, shape


def assert_no_overlap(layout: SlideLayout) -> None:
    """No line's ink reaches into another's."""
    for a, b in itertools.combinations([line.box for line in layout.lines], 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


# ---------------------------------------------------------------------------------------------
# fonts


def test_fonts_come_from_the_font_packages() -> None:
    import fontpkg_be_vietnam_pro
    import fontpkg_jetbrains_mono
    import fontpkg_noto_sans

    fonts = default_fontset()
    assert fonts.regular.parent == Path(fontpkg_be_vietnam_pro.__file__).resolve().parent / "files"
    assert fonts.regular.name == "BeVietnamPro-Regular.ttf"
    assert fonts.bold.name == "BeVietnamPro-Bold.ttf"
    assert fonts.mono.parent == Path(fontpkg_jetbrains_mono.__file__).resolve().parent / "files"
    assert fonts.fallbacks[0].parent == Path(fontpkg_noto_sans.__file__).resolve().parent / "files"
    assert fonts.fallbacks[0].name == "NotoSans[wdth,wght].ttf"
    assert all(f.is_file() for f in fonts.files)


def test_family_names_as_libass_sees_them(tmp_path: Path) -> None:
    fonts = default_fontset()
    assert fonts.caption_family == "Be Vietnam Pro"
    assert {"Be Vietnam Pro", "Noto Sans", "JetBrains Mono", "Noto Sans CJK SC", "Noto Emoji"} <= set(
        fonts.families.values()
    )
    assert (fonts_dir() / fonts.bold.name).is_file()
    linked = link_fonts(tmp_path / "fonts")
    assert sorted(p.name for p in linked.iterdir()) == sorted(f.name for f in fonts.files)
    assert link_fonts(tmp_path / "fonts") == linked  # a second call is harmless


def test_covers_agrees_with_the_cmap() -> None:
    fonts = default_fontset()
    assert fontlib.covers(fonts.regular, "ệ")
    assert not fontlib.covers(fonts.regular, "Ж")
    assert fontlib.covers(fonts.fallbacks[0], "Ж")
    assert fontlib.codepoints(fonts.fallbacks[0]) == cmap(fonts.fallbacks[0])


def test_segment_picks_the_first_font_that_covers_each_run() -> None:
    fonts = default_fontset()
    noto = fonts.fallbacks[0]
    runs = segment("Xin chào Привет Γειά bạn", fonts.chain(fonts.regular))
    assert [(r.text, r.font) for r in runs] == [
        ("Xin chào ", fonts.regular),
        ("Привет Γειά ", noto),
        ("bạn", fonts.regular),
    ]
    leading = segment("  Жук", fonts.chain(fonts.regular))
    assert [(r.text, r.font) for r in leading] == [("  Жук", noto)]


def test_uncovered_characters_are_replaced_not_drawn_as_tofu() -> None:
    fonts = default_fontset()
    chain = fonts.chain(fonts.regular)
    # Egyptian hieroglyphs: no shipped font has them; zero-width and variation selectors are invisible
    assert clean_text("a\U00013000\U00013001\ufe0f\u200bb", chain) == "a\ufffd\ufffdb"
    runs = segment("a\U00013000b", chain)
    assert [(r.text, r.font) for r in runs] == [
        ("a", fonts.regular),
        ("\ufffd", fonts.fallbacks[0]),
        ("b", fonts.regular),
    ]
    # a chain without U+FFFD falls back to "?"
    assert clean_text("x\U00013000", (fonts.regular,)) == "x?"


def test_decomposed_vietnamese_is_normalised_to_precomposed_glyphs() -> None:
    fonts = default_fontset()
    decomposed = unicodedata.normalize("NFD", "Việt Nam")
    assert decomposed != "Việt Nam"
    runs = segment(decomposed, fonts.chain(fonts.regular))
    assert [(r.text, r.font) for r in runs] == [("Việt Nam", fonts.regular)]


def test_variable_font_weight_is_applied() -> None:
    noto = default_fontset().fallbacks[0]
    regular = load_font(noto, 40, 400).getlength("Привет мир")
    bold = load_font(noto, 40, 700).getlength("Привет мир")
    assert bold > regular


# ---------------------------------------------------------------------------------------------
# slides


def test_vietnamese_slide_every_glyph_is_covered_by_its_font() -> None:
    fonts = default_fontset()
    layout = layout_slide(vietnamese_scene(), VideoFormat())
    assert_all_glyphs_covered(layout)
    drawn = {ch for ch, _ in layout.glyphs()}
    wanted = {ch for text in (VI_TITLE, VI_BODY, *VI_BULLETS) for ch in text if not ch.isspace()}
    assert wanted <= drawn  # nothing was replaced or dropped
    assert {font for ch, font in layout.glyphs() if ch in wanted} <= {fonts.regular, fonts.bold}
    assert not layout.truncated
    assert " ".join(line.text for line in layout.lines if line.role == "title") == VI_TITLE
    assert {r.font for line in layout.lines if line.role == "title" for r in line.runs} == {fonts.bold}


def test_cyrillic_and_greek_fall_back_to_noto_sans() -> None:
    fonts = default_fontset()
    noto = fonts.fallbacks[0]
    scene = slide("Привет Γειά", [(PARAGRAPH, CYRILLIC), (BULLET, GREEK)])
    layout = layout_slide(scene, VideoFormat())
    assert_all_glyphs_covered(layout)
    foreign = [(ch, f) for ch, f in layout.glyphs() if unicodedata.name(ch).startswith(("CYRILLIC", "GREEK"))]
    assert len(foreign) > 60
    assert {f for _, f in foreign} == {noto}


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_png_has_the_frame_size(fmt: VideoFormat, tmp_path: Path) -> None:
    out = render_slide(vietnamese_scene(), fmt, tmp_path / "slide.png")
    assert out == tmp_path / "slide.png"
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == fmt.size
        assert image.mode == "RGB"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slide.png"]  # no temp file left


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_vietnamese_slide_fits_every_format(fmt: VideoFormat) -> None:
    layout = layout_slide(vietnamese_scene(), fmt)
    assert not layout.truncated
    assert_inside_frame(layout)
    assert_no_overlap(layout)


def test_long_title_wraps_and_stays_in_the_frame() -> None:
    title = "An unusually long slide title that certainly cannot fit on one line of any frame " * 3
    scene = slide(title, [(PARAGRAPH, "Short body.")])
    for fmt in FORMATS:
        layout = layout_slide(scene, fmt)
        titles = [line for line in layout.lines if line.role == "title"]
        assert 2 <= len(titles) <= 5  # a wide frame sets a list's title in a column beside it
        assert titles[-1].text.endswith(ELLIPSIS)
        assert any(line.text == "Short body." for line in layout.lines)
        assert_inside_frame(layout)
        assert_no_overlap(layout)


def test_unbreakable_word_is_split_to_fit() -> None:
    url = "https://example.com/" + "a-very-long-path-segment/" * 20
    scene = slide("Links", [(PARAGRAPH, url)])
    layout = layout_slide(scene, VideoFormat("9:16", 720))
    body = [line for line in layout.lines if line.role == "paragraph"]
    assert len(body) > 1
    assert "".join(line.text for line in body) == url
    assert_inside_frame(layout)


CODE = "def total(items):\n    s = 0\n    for x in items:\n\t\tif x:\n            s += x\n    return s"


def first_inked_column(image: Image.Image, box: tuple[int, int, int, int], background: tuple) -> int:
    """The leftmost column in `box` whose pixels differ visibly from the background."""
    band = image.crop(box).convert("RGB")
    for x in range(band.width):
        for y in range(band.height):
            pixel = band.getpixel((x, y))
            assert isinstance(pixel, tuple)
            if sum(abs(a - b) for a, b in zip(pixel, background, strict=True)) > 90:
                return box[0] + x
    raise AssertionError(f"nothing drawn in {box}")


def test_code_block_keeps_its_indentation(tmp_path: Path) -> None:
    fonts = default_fontset()
    scene = slide("Code", [(CODE_BLOCK, CODE)])
    layout = layout_slide(scene, VideoFormat())
    code = [line for line in layout.lines if line.role == "code"]
    assert [line.text for line in code] == [
        "def total(items):",
        "    s = 0",
        "    for x in items:",
        "        if x:",  # a tab is 4 columns
        "            s += x",
        "    return s",
    ]
    assert {run.font for line in code for run in line.runs} == {fonts.mono}
    (panel,) = [s for s in layout.shapes if s.kind == "panel"]
    left, top, right, bottom = panel.box
    for line in code:
        assert left < line.box[0] and line.box[2] < right and top < line.box[1] and line.box[3] < bottom
    # the pixels: each indented line starts 4 or 12 character cells right of the first
    with Image.open(render_slide(scene, VideoFormat(), tmp_path / "code.png")) as image:
        bands = [(left + 4, ln.box[1], right - 4, ln.box[3]) for ln in code]
        starts = [first_inked_column(image, band, panel.fill) for band in bands]
    advance = load_font(fonts.mono, code[0].runs[0].size).getlength(" ")
    indents = [round((x - starts[0]) / advance) for x in starts]
    assert indents == [0, 4, 4, 8, 12, 4]


def test_long_code_line_wraps_inside_its_panel() -> None:
    line = "    result = compute(" + ", ".join(f"argument_{i}" for i in range(30)) + ")"
    scene = slide("Code", [(CODE_BLOCK, line)])
    layout = layout_slide(scene, VideoFormat("9:16", 720))
    code = [ln for ln in layout.lines if ln.role == "code"]
    assert len(code) > 1
    assert all(ln.text.startswith("    ") for ln in code)
    (panel,) = [s for s in layout.shapes if s.kind == "panel"]
    assert all(panel.box[0] < ln.box[0] and ln.box[2] < panel.box[2] for ln in code)
    assert_inside_frame(layout)


def test_empty_scene_still_renders(tmp_path: Path) -> None:
    out = render_slide(slide(None, [], ""), VideoFormat("1:1", 720), tmp_path / "empty.png")
    with Image.open(out) as image:
        assert image.size == (720, 720)


def test_light_theme_and_unknown_theme(tmp_path: Path) -> None:
    out = render_slide(vietnamese_scene(), VideoFormat(), tmp_path / "light.png", theme=get_theme("light"))
    with Image.open(out) as image:
        corner = image.getpixel((2, 2))
    assert isinstance(corner, tuple) and sum(corner) > 600  # a light background
    assert THEMES["dark"].background[0] != THEMES["light"].background[0]
    with pytest.raises(InputError):
        get_theme("neon")


def test_rendering_overwrites_atomically_and_reports_bad_paths(tmp_path: Path) -> None:
    out = tmp_path / "slide.png"
    out.write_bytes(b"old")
    render_slide(vietnamese_scene(), VideoFormat(), out)
    with Image.open(out) as image:
        assert image.size == (1280, 720)
    with pytest.raises(RenderError):
        render_slide(vietnamese_scene(), VideoFormat(), tmp_path / "missing-dir" / "slide.png")


@pytest.mark.parametrize("kind", [PARAGRAPH, BULLET, CODE_BLOCK])
def test_a_huge_word_is_hard_wrapped_in_work_bounded_by_the_slide(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Breaking a long word measured the whole rest of it for every line (quadratic): a word ten
    times longer must cost about the same, since only what fits on the slide is ever measured."""
    from app.services.visuals import text as visual_text

    measured: list[int] = []
    real = visual_text._measure_cached.__wrapped__
    monkeypatch.setattr(
        visual_text, "_measure_cached", lambda text, *a: measured.append(len(text)) or real(text, *a)
    )

    def cost(n: int) -> int:
        measured.clear()
        scene = slide("Long word", [(kind, "Before " + "w" * n + " after")], "Narration.")
        layout = layout_slide(scene, VideoFormat("16:9", 720))
        assert layout.truncated and any(line.text.endswith(ELLIPSIS) for line in layout.lines)
        assert_inside_frame(layout)
        body = [line.text for line in layout.lines if line.role not in ("title", "marker", "gutter")]
        assert body[0].startswith("Before")
        assert set("".join(body[1:])) <= {"w", " ", ELLIPSIS}  # code goes on indented
        return sum(measured)

    assert cost(60_000) < 2 * cost(6_000)


def test_what_a_scenes_stills_share_is_let_go_after_them(tmp_path: Path) -> None:
    """Between a scene's stills the backdrop and the deflated rows are kept (each focus state changes
    only the words); `release_drawing_caches`, called once a render's stills are drawn, lets them go:
    the encoders that come next do not run on top of them, nor does a long-lived worker keep them."""
    from app.services.visuals import drawing, release_drawing_caches

    items = [Item(text="Apples keep well."), Item(text="Pears ripen fast.")]
    scene = Scene(id="s1", layout="bullets", title="Fruit", items=items, narration="Apples. Pears.")
    fmt = VideoFormat("16:9", 720)
    for focus in (0, 1):
        render_scene(scene, fmt, THEMES["dark"], focus, tmp_path / f"still-{focus}.png", index=0)
    assert drawing._BANDS and drawing._painted.cache_info().currsize  # kept for the next still
    release_drawing_caches()
    assert not drawing._BANDS and drawing._painted.cache_info().currsize == 0


def test_a_picture_edited_in_place_is_measured_again(tmp_path: Path) -> None:
    """A picture's measures are kept by its file's stamp (size and mtime in ns): one rewritten in
    place is read again, even when the clock left its mtime as it was; a missing one is a clear error."""
    import os

    from app.services.visuals.media import image_size

    path = tmp_path / "picture.png"
    Image.new("RGB", (40, 20), "red").save(path)
    assert image_size(path) == (40, 20)
    mtime = path.stat().st_mtime_ns
    Image.new("RGB", (30, 60), "blue").save(path)  # another size, another byte count
    os.utime(path, ns=(mtime, mtime))  # a coarse clock: the same mtime
    assert image_size(path) == (30, 60)
    path.unlink()
    with pytest.raises(RenderError, match=r"image picture\.png is missing"):
        image_size(path)
