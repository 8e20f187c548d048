"""Slides from plan scenes: every layout at every aspect stays in the 5% margin, overlaps nothing and
shows every item; `fits` says when a scene must be split; the spoken item is highlighted; themes,
theme files, tables, code and inline Markdown are drawn as such."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from app.config import load_settings
from app.core.queue_manager import Trust
from app.errors import InputError
from app.services.documents import document_from_bytes, read_document
from app.services.models import RenderOptions, VideoFormat
from app.services.options import parse_render_options
from app.services.plan_stage import make_plan
from app.services.planning.plan import Code, ImageRef, Item, Scene, Table
from app.services.visuals import (
    THEMES,
    SlideLayout,
    VisualService,
    compose_scene,
    fits,
    load_theme,
    render_scene,
)
from app.services.visuals.code import CONTINUATION
from app.services.visuals.fonts import default_fontset
from app.services.visuals.inline import CODE, REGULAR, Frag, plain
from app.services.visuals.rich import RichStyle, wrap
from app.services.visuals.text import measure

ASPECTS = [VideoFormat("16:9", 720), VideoFormat("9:16", 720), VideoFormat("1:1", 720)]
IDS = ["16x9", "9x16", "1x1"]


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("img") / "chart.png"
    image = Image.new("RGB", (800, 500), (250, 20, 200))  # a colour no theme uses
    image.save(path)
    return path


def slide(scene_id: str, layout: str, *texts: str, **fields: Any) -> Scene:
    """A scene to draw (what it says does not matter here), `texts` its items."""
    fields.setdefault("items", [Item(text=text) for text in texts])
    return Scene(id=scene_id, layout=layout, narration="x", **fields)


def scenes(picture: Path) -> list[Scene]:
    bullets = [Item(text=f"Point {n} with **bold** and *italic* words", marker="•") for n in range(4)]
    steps = [
        Item(text="Install", marker="1."),
        Item(text="Nested", marker="•", level=1),
        Item(text="Render", marker="2."),
    ]
    tools = Table(
        header=["Tool", "Speed", "Price"],
        rows=[["pip", "slow", "0"], ["uv", "fast", "0"], ["poetry", "medium", "12"]],
    )
    code = Code(text="def f(x):\n    return x + 1  # add", language="python")
    chart = ImageRef(path=str(picture), alt="A chart")
    return [
        slide("s1", "title", "Jane · 2026", title="Meet t2v", subtitle="Documents to video"),
        slide("s2", "statement", "Slides worth watching.", title="Why"),
        slide("s3", "prose", "First sentence here.", "The second one is read now.", "A third.", title="How"),
        slide("s4", "bullets", title="List", items=bullets),
        slide("s5", "bullets", title="Steps", items=steps),
        slide("s6", "image_text", "Sales went up.", title="Chart", image=chart),
        slide("s7", "full_image", image=ImageRef(path=str(picture), alt="The whole chart", fit="cover")),
        slide("s8", "quote", "Simple things should be simple.", subtitle="Alan Kay"),
        slide("s9", "table", title="Tools", table=tools),
        slide("s10", "code", "Run this:", title="Code", code=code),
        slide("s11", "picture", image=ImageRef(path=str(picture))),
    ]


def assert_in_margin(layout: SlideLayout, margin: float = 0.05) -> None:
    width, height = layout.size
    left, top, right, bottom = width * margin, height * margin, width * (1 - margin), height * (1 - margin)
    for what, box in layout.content_boxes():
        assert box[0] >= left and box[1] >= top and box[2] <= right and box[3] <= bottom, (what, box)


def assert_no_overlap(layout: SlideLayout) -> None:
    boxes = [line.box for line in layout.lines if line.box[2] > line.box[0]]
    boxes += [p.box for p in layout.pictures]
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def shown(layout: SlideLayout) -> str:
    return " ".join(" ".join(line.text for line in layout.lines).split())


@pytest.mark.parametrize("fmt", ASPECTS, ids=IDS)
def test_every_layout_stays_in_the_margin_overlaps_nothing_and_shows_every_item(
    fmt: VideoFormat, picture: Path
) -> None:
    for scene in scenes(picture):
        for focus in (None, 0):
            layout = compose_scene(scene, fmt, THEMES["dark"], focus)
            assert_in_margin(layout)
            assert_no_overlap(layout)
            assert layout.fits and not layout.truncated, scene.layout
            assert fits(scene, fmt, THEMES["dark"])
            text = shown(layout)
            if scene.layout != "prose" or focus is None:
                for item in scene.items:
                    assert " ".join(plain(item.text).split()) in text, (scene.layout, item.text)
            if scene.title and scene.layout not in ("picture",):
                assert scene.title in text


@pytest.mark.parametrize("fmt", ASPECTS, ids=IDS)
def test_a_long_list_does_not_fit_but_is_never_cut(fmt: VideoFormat) -> None:
    items = [
        Item(text=f"Item number {n} says something rather long about itself", marker=f"{n}.")
        for n in range(1, 31)
    ]
    scene = Scene(id="s2", layout="bullets", title="Thirty", items=items, narration="x")
    assert not fits(scene, fmt, THEMES["dark"])
    layout = compose_scene(scene, fmt, THEMES["dark"], 3)
    assert not layout.fits and not layout.truncated
    assert_in_margin(layout)
    text = shown(layout)
    for item in items:
        assert item.text in text and item.marker in text
    few = scene.model_copy(update={"items": items[:3], "part": (2, 10)})
    assert fits(few, fmt, THEMES["dark"])
    assert "(2/10)" in shown(compose_scene(few, fmt, THEMES["dark"], None))


def test_a_continuation_counter_never_wraps_onto_a_line_of_its_own() -> None:
    """Titles of growing length on 9:16 (up to where the title is cut at its line limit): the line
    with "(1/2)" always holds a word of the title too."""
    fmt = VideoFormat("9:16", 720)
    words = ["Choosing", "the", "right", "deployment"]
    for n in range(1, 5):
        scene = slide("s2", "bullets", "One", "Two", title=" ".join(words[:n]), part=(1, 2))
        layout = compose_scene(scene, fmt, THEMES["dark"], None)
        lines = [" ".join(line.text.split()) for line in layout.lines]
        counter = [line for line in lines if "(1/2)" in line]
        assert len(counter) == 1 and counter[0] != "(1/2)", lines


def test_a_hyphenated_word_breaks_after_a_hyphen_never_inside_a_piece() -> None:
    """Slides break a long hyphenated word after one of its hyphens (a narrow table column, a phone's
    line) rather than mid-word ("LLV|M"); never in a short piece ("e-mail"), before a number
    ("COVID-19") or inside inline code."""
    rich = RichStyle(default_fontset(), 40, (255, 255, 255), "paragraph")
    face = rich.face(REGULAR)

    def lines(frags: list[Frag], width: float) -> list[str]:
        return ["".join(p.text for p in line.pieces) for line in wrap(frags, rich, width, 9)]

    word = "Apache-2.0-with-LLVM-exceptions"
    assert lines([Frag(word)], measure("Apache-2.0-with-LLVM-", face) + 4) == [
        "Apache-2.0-with-LLVM-",
        "exceptions",
    ]
    narrow = measure("e-mail COVID-", face)
    assert lines([Frag("e-mail COVID-19 now")], narrow) == ["e-mail", "COVID-19 now"]
    code = lines([Frag("pip-tools-extra-long", CODE)], measure("pip-tools-ex", rich.face(CODE)) + 1)
    assert code[0] == "pip-tools-ex"  # code is broken only where it must be, not at its hyphens


LONG_TITLE = (
    "Installing, configuring and running every one of the tools in this comparison on the three"
    " operating systems we support, with and without a network, for beginners and for experts alike"
)


@pytest.mark.parametrize("fmt", ASPECTS, ids=IDS)
def test_a_cut_continuation_title_keeps_its_counter(fmt: VideoFormat, picture: Path) -> None:
    """A heading longer than any frame shows is cut with "…" at a word's end; on a continuation
    slide " (2/3)" follows the "…" on the title's last line (it was cut off with the title's end),
    whatever the layout and however long the title's one word."""
    for scene in scenes(picture):
        if scene.layout in ("title", "picture", "full_image", "statement", "prose"):
            continue
        for title in (LONG_TITLE, "Supercalifragilistic" * 12):
            for part in (None, (2, 3)):
                cut = scene.model_copy(update={"title": title, "part": part})
                layout = compose_scene(cut, fmt, THEMES["dark"], 0)
                assert_in_margin(layout)
                assert_no_overlap(layout)
                heading = [line.text for line in layout.lines if line.role == "title"]
                assert heading and len(heading) <= 5, (scene.layout, heading)
                last = " ".join(heading[-1].split())
                expected = "… (2/3)" if part else "…"
                assert last.endswith(expected), (scene.layout, fmt.aspect, heading)
                assert sum("(2/3)" in line for line in heading) == (1 if part else 0)
                kept = " ".join(" ".join(heading).split()).removesuffix(expected)
                if title == LONG_TITLE:  # cut after a whole word, not inside one, no comma before "…"
                    assert title.startswith(kept) and title[len(kept)] in " ," and not kept.endswith(","), (
                        kept
                    )
                else:  # one word: broken where the lines end, then cut
                    assert title.startswith(kept.replace(" ", "")) and len(kept) > 20, kept


def test_a_table_too_long_and_code_too_long_do_not_fit() -> None:
    fmt = VideoFormat("9:16", 1080)
    table = Table(header=["a", "b"], rows=[[str(n), "x" * 10] for n in range(40)])
    assert not fits(Scene(id="s1", layout="table", table=table, narration="x"), fmt, THEMES["dark"])
    code = Code(text="\n".join(f"x{n} = {n}" for n in range(80)), language="python")
    assert not fits(Scene(id="s1", layout="code", code=code, narration="x"), fmt, THEMES["dark"])


def test_prose_sets_the_sentence_being_read_larger_than_its_neighbours() -> None:
    items = [
        Item(text="One sentence before."),
        Item(text="The sentence being read."),
        Item(text="One after."),
    ]
    scene = Scene(id="s3", layout="prose", title="Prose", items=items, narration="x")
    layout = compose_scene(scene, VideoFormat("9:16", 1080), THEMES["dark"], 1)
    sizes = {line.item: line.runs[0].size for line in layout.lines if line.runs and line.item is not None}
    assert sizes[1] > sizes[0] and sizes[1] > sizes[2]
    assert sizes[1] >= 0.035 * 1920  # the phone floor of a 9:16 frame


def test_prose_keeps_one_type_size_while_the_reading_moves_on() -> None:
    """A short sentence alone would be set larger than a long one: the scene takes the size at which
    every sentence fits, so the type does not jump from state to state."""
    items = [
        Item(text="Short."),
        Item(text=" ".join(["A much longer sentence that needs several lines at any size."] * 7)),
        Item(text="Short again."),
    ]
    scene = Scene(id="s4", layout="prose", title="Prose", items=items, narration="x")
    fmt = VideoFormat("16:9", 1080)
    sizes = {compose_scene(scene, fmt, THEMES["dark"], focus).body_size for focus in range(3)}
    assert len(sizes) == 1
    alone = Scene(id="s4", layout="prose", title="Prose", items=[items[0], items[2]], narration="x")
    assert compose_scene(alone, fmt, THEMES["dark"], 0).body_size > sizes.pop()


def test_burned_captions_keep_their_room_free_on_a_tall_frame(picture: Path) -> None:
    fmt = VideoFormat("9:16", 1080)
    width, height = fmt.size
    for scene in scenes(picture):
        layout = compose_scene(scene, fmt, THEMES["dark"], None, captions_burned=True)
        for what, box in layout.content_boxes():
            assert box[3] <= height * 0.64 + 2 and box[2] <= width * 0.88 + 2, (scene.layout, what, box)


def test_inline_markdown_is_drawn_with_bold_italic_and_mono_faces() -> None:
    fonts = default_fontset()
    scene = Scene(
        id="s1",
        layout="statement",
        items=[Item(text="Plain **strong** *soft* `code` [link](http://x)")],
        narration="x",
    )
    runs = compose_scene(scene, VideoFormat(), THEMES["dark"], None).runs
    by_font = {(r.text.strip(), r.font) for r in runs}
    assert ("strong", fonts.bold) in by_font
    assert ("soft", fonts.italic) in by_font
    assert ("code", fonts.mono) in by_font
    assert "link" in " ".join(r.text for r in runs) and "http" not in " ".join(r.text for r in runs)


def test_table_has_a_header_zebra_rows_and_numbers_aligned_right() -> None:
    table = Table(
        header=["Tool", "Price"], rows=[["pip", "0"], ["uv", "1200"], ["poetry", "35"], ["pdm", "7"]]
    )
    layout = compose_scene(
        Scene(id="s1", layout="table", table=table, narration="x"), VideoFormat(), THEMES["dark"], 2
    )
    kinds = [s.kind for s in layout.shapes]
    assert "header" in kinds and "row" in kinds and "highlight" in kinds
    assert [s.item for s in layout.shapes if s.kind == "highlight"] == [2]
    prices = [line for line in layout.lines if line.role == "cell" and line.text.isdigit()]
    assert len({line.box[2] for line in prices}) == 1  # right edges line up
    assert len({line.box[0] for line in prices}) > 1


def test_code_is_highlighted_and_long_lines_wrap_with_a_mark(tmp_path: Path) -> None:
    long = "result = compute(" + ", ".join(f"argument_{n}" for n in range(30)) + ")"
    code = Code(text=f"def f():\n    {long}\n    return result", language="python")
    scene = Scene(id="s1", layout="code", code=code, narration="x")
    layout = compose_scene(scene, VideoFormat("9:16", 720), THEMES["dark"], None)
    assert any(line.role == "gutter" and line.text == CONTINUATION for line in layout.lines)
    fills = {r.fill for r in layout.runs if r.text.strip() == "def"}
    assert fills == {THEMES["dark"].syntax.keyword}
    assert_in_margin(layout)
    text = "".join(line.text for line in layout.lines if line.role == "code").replace(" ", "")
    assert long.replace(" ", "") in text


def mean_luma(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    return float(np.asarray(image.convert("L").crop(box), dtype=np.float32).mean())


def test_the_spoken_item_is_brighter_than_the_others(tmp_path: Path) -> None:
    items = [Item(text=f"Bullet number {n}", marker="•") for n in range(3)]
    scene = Scene(id="s4", layout="bullets", title="Focus", items=items, narration="x")
    fmt = VideoFormat("16:9", 720)
    for focus in (0, 2):
        layout = compose_scene(scene, fmt, THEMES["dark"], focus)
        out = render_scene(scene, fmt, THEMES["dark"], focus, tmp_path / f"f{focus}.png")
        with Image.open(out) as image:
            luma = {line.item: mean_luma(image, line.box) for line in layout.lines if line.role == "bullet"}
        others = [v for k, v in luma.items() if k != focus]
        assert luma[focus] > max(others) + 5, luma


def test_themes_differ_and_consecutive_scenes_differ(tmp_path: Path) -> None:
    scene = Scene(id="s1", layout="statement", title="Theme", items=[Item(text="Same words.")], narration="x")
    fmt = VideoFormat("16:9", 720)
    arrays = {}
    for name in THEMES:
        path = render_scene(scene, fmt, load_theme(name), None, tmp_path / f"{name}.png")
        arrays[name] = np.asarray(Image.open(path), dtype=np.int16)
    for a, b in itertools.combinations(arrays, 2):
        assert np.abs(arrays[a] - arrays[b]).mean() > 8, (a, b)
    # the same layout in consecutive scenes: the backdrop alone makes them differ
    stills = [
        np.asarray(
            Image.open(
                render_scene(
                    scene.model_copy(update={"id": f"s{n}"}),
                    fmt,
                    THEMES["dark"],
                    None,
                    tmp_path / f"n{n}.png",
                )
            ),
            dtype=np.int16,
        )
        for n in range(1, 5)
    ]
    for a, b in itertools.pairwise(stills):
        assert np.abs(a - b).mean() > 2.0


def test_the_dark_gradient_is_dithered_not_banded(tmp_path: Path) -> None:
    scene = Scene(id="s1", layout="statement", items=[Item(text="x")], narration="x")
    plain_dark = dataclasses.replace(THEMES["dark"], variety=False)  # the gradient alone
    path = render_scene(scene, VideoFormat("16:9", 1080), plain_dark, None, tmp_path / "g.png")
    column = np.asarray(Image.open(path).convert("L"), dtype=np.float32)[:, 20:60]
    rows = column.mean(axis=1)
    steps = np.abs(np.diff(rows))
    assert steps.max() < 0.6  # a banded gradient jumps a whole level at each band's edge
    assert len(np.unique(column[500])) > 1  # neighbouring pixels of one row differ: noise


async def test_draw_scene_is_deterministic_and_cached(tmp_path: Path) -> None:
    from app.core.diskcache import DiskCache

    service = VisualService(cache=DiskCache(tmp_path / "cache"))
    scene = Scene(
        id="s2",
        layout="bullets",
        title="Cache",
        items=[Item(text="a", marker="•"), Item(text="b", marker="•")],
        narration="x",
    )
    fmt = VideoFormat()
    one = (await service.draw_scene(scene, fmt, "dark", 0, tmp_path / "one.png")).path
    again = (
        await service.draw_scene(
            scene.model_copy(update={"narration": "other words"}), fmt, "dark", 0, tmp_path / "two.png"
        )
    ).path
    assert service.drawn == 1 and one.read_bytes() == again.read_bytes()
    await service.draw_scene(scene, fmt, "dark", 1, tmp_path / "three.png")
    assert service.drawn == 2
    assert render_scene(scene, fmt, THEMES["dark"], 0, tmp_path / "four.png").read_bytes() == one.read_bytes()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[colors]\naccen = "#fff"\n', "unknown key 'colors.accen'"),
        ('[colors]\naccent = "blue-ish"\n', "colors.accent"),
        ('colour = "#fff"\n', "unknown key 'colour'"),
        ('[fonts]\nheading = "No Such Family"\n', "not installed"),
        ('[fonts]\nbody = "missing.ttf"\n', "missing.ttf not found"),
        ('[logo]\npath = "nope.png"\n', "nope.png not found"),
        ("[layout]\nmargin = 0.01\n", "layout.margin"),
        ("not toml = = =", "not valid TOML"),
    ],
)
def test_theme_file_errors_are_one_line(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path / "bad.toml", body)
    with pytest.raises(InputError) as error:
        load_theme(str(path))
    text = str(error.value)
    assert message in text and "\n" not in text and "bad.toml" in text


def test_a_theme_file_changes_colours_fonts_logo_and_margin(tmp_path: Path, picture: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 100), (0, 255, 0)).save(logo)
    path = write(
        tmp_path / "brand.toml",
        'base = "light"\n[colors]\naccent = "#ff0000"\nbackground = "#101010"\n[fonts]\nheading = "Lora"\n'
        '[logo]\npath = "logo.png"\nposition = "top-left"\n[layout]\nmargin = 0.08\n',
    )
    theme = load_theme(str(path))
    assert theme.accent == (255, 0, 0) and theme.background == ((16, 16, 16), (16, 16, 16))
    scene = Scene(id="s1", layout="bullets", title="Brand", items=[Item(text="x", marker="•")], narration="x")
    layout = compose_scene(scene, VideoFormat(), theme, None)
    assert layout.logo is not None and layout.logo.box[0] == round(1280 * 0.08)
    assert all(line.box[1] >= layout.logo.box[3] for line in layout.lines)
    assert {r.font.name for line in layout.lines if line.role == "title" for r in line.runs} == {
        "Lora[wght].ttf"
    }
    assert_in_margin(layout, 0.079)
    with Image.open(render_scene(scene, VideoFormat(), theme, None, tmp_path / "b.png")) as image:
        x0, y0, x1, y1 = layout.logo.box
        assert image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) == (0, 255, 0)


def test_a_theme_files_logo_edited_in_place_is_a_new_theme(tmp_path: Path) -> None:
    """The loaded theme is kept while the .toml and the files it names keep their stamps: a logo
    (or background picture) overwritten in place, the .toml untouched, is read again, so the
    slides and the render cache (keyed by the logo's digest) see the new picture."""
    logo, texture = tmp_path / "logo.png", tmp_path / "texture.png"
    Image.new("RGB", (200, 100), (0, 255, 0)).save(logo)
    Image.new("RGB", (64, 64), (0, 0, 255)).save(texture)
    path = write(tmp_path / "brand.toml", '[logo]\npath = "logo.png"\n[background]\nimage = "texture.png"\n')
    first = load_theme(str(path))
    assert load_theme(str(path)) is first  # unchanged: not read again
    before = path.stat().st_mtime_ns
    Image.new("RGB", (200, 100), (255, 0, 0)).save(logo)
    assert path.stat().st_mtime_ns == before
    second = load_theme(str(path))
    assert second.logo is not None and first.logo is not None and second.logo.digest != first.logo.digest
    scene = Scene(id="s1", layout="statement", items=[Item(text="Brand")], narration="x")
    layout = compose_scene(scene, VideoFormat(), second, None)
    assert layout.logo is not None
    with Image.open(render_scene(scene, VideoFormat(), second, None, tmp_path / "b.png")) as image:
        x0, y0, x1, y1 = layout.logo.box
        assert image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) == (255, 0, 0)
    Image.new("RGB", (64, 64), (255, 255, 0)).save(texture)
    third = load_theme(str(path))
    assert third.background_image is not None and second.background_image is not None
    assert third.background_image.digest != second.background_image.digest and third.logo == second.logo
    logo.unlink()
    with pytest.raises(InputError, match=r"logo.path: file logo.png not found"):
        load_theme(str(path))


def test_theme_option_names_a_theme_and_only_the_operator_a_file(tmp_path: Path) -> None:
    path = write(tmp_path / "ok.toml", 'base = "paper"\n')
    assert (
        parse_render_options({"theme": "bold"}, trust=Trust.CALLER, settings=load_settings()).theme == "bold"
    )
    assert parse_render_options(
        {"theme": str(path)}, trust=Trust.OPERATOR, settings=load_settings()
    ).theme == str(path)
    with pytest.raises(InputError, match="choose one of"):
        parse_render_options({"theme": str(path)}, trust=Trust.CALLER, settings=load_settings())
    with pytest.raises(InputError, match="unknown theme"):
        parse_render_options({"theme": "neon"}, trust=Trust.OPERATOR, settings=load_settings())


def test_cli_refuses_a_bad_theme_file_with_one_line_and_no_output(tmp_path: Path) -> None:
    doc = write(tmp_path / "doc.md", "# Hi\n\nHello there.\n")
    theme = write(tmp_path / "bad.toml", '[colors]\naccen = "#fff"\n')
    out = tmp_path / "doc.mp4"
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "render", str(doc), "-o", str(out), "--theme", str(theme)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "colors.accen" in lines[0], proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("fmt", ASPECTS, ids=IDS)
def test_a_title_is_the_same_size_in_every_layout(fmt: VideoFormat) -> None:
    """A code slide's title was set from code's denser scale: a third smaller than a list's."""
    short = [Item(text="One."), Item(text="Two.")]
    shown = [
        Scene(id="s1", layout="statement", items=short[:1], narration="x"),
        Scene(id="s2", layout="prose", items=short, narration="x"),
        Scene(
            id="s3",
            layout="bullets",
            items=[i.model_copy(update={"marker": "•"}) for i in short],
            narration="x",
        ),
        Scene(id="s4", layout="table", table=Table(header=["a", "b"], rows=[["1", "2"]]), narration="x"),
        Scene(id="s5", layout="code", items=short[:1], code=Code(text="x = 1"), narration="x"),
    ]
    sizes = {
        s.layout: compose_scene(
            s.model_copy(update={"title": "Same title"}), fmt, THEMES["dark"], None
        ).title_size
        for s in shown
    }
    assert len(set(sizes.values())) == 1, sizes


@pytest.mark.parametrize("fmt", ASPECTS, ids=IDS)
def test_prose_neighbours_are_never_below_the_body_floor(fmt: VideoFormat) -> None:
    """The sentences around the one being read are context a phone viewer must still read."""
    items = [Item(text=f"Sentence number {n} says a few words about the topic.") for n in range(4)]
    scene = Scene(id="s3", layout="prose", title="Prose", items=items, narration="x")
    floor = {"16:9": 0.034, "9:16": 0.035, "1:1": 0.042}[fmt.aspect] * fmt.size[1]
    shown = 0
    for focus in range(4):
        layout = compose_scene(scene, fmt, THEMES["dark"], focus)
        sizes = {line.item: line.runs[0].size for line in layout.lines if line.runs and line.item is not None}
        assert min(sizes.values()) >= floor - 1, (focus, sizes)
        assert min(sizes.values()) >= 0.7 * sizes[focus], (focus, sizes)  # context, not footnotes
        shown += len(sizes) - 1
    # neighbours are shown where they fit whole at a readable size (a square frame has no room)
    assert shown >= (0 if fmt.aspect == "1:1" else 3)


WIDE_TABLE = Table(
    header=["Tool", "Language", "Speed", "Licence", "Platform"],
    rows=[
        ["pip", "Python", "slow", "MIT", "everywhere"],
        ["uv", "Rust", "fast", "Apache", "Linux, macOS and Windows"],
    ],
)


def test_a_wide_table_on_a_phone_is_a_card_per_row_and_no_word_is_broken(tmp_path: Path) -> None:
    """Five columns on 9:16 broke words at the type floor ("Lang|uage", "Pytho|n"): each row is a
    card there (its first cell the heading, every other cell beside its column's name), the spoken
    card lit; on 16:9 the same table stays a grid."""
    scene = Scene(id="s1", layout="table", title="Tools compared", table=WIDE_TABLE, narration="x")
    tall = VideoFormat("9:16", 720)
    assert fits(scene, tall, THEMES["dark"])
    for focus in (0, 1):
        layout = compose_scene(scene, tall, THEMES["dark"], focus)
        assert layout.fits and not layout.truncated
        assert_in_margin(layout)
        assert_no_overlap(layout)
        assert "header" not in {s.kind for s in layout.shapes}  # no grid header row: cards
        for row in range(2):
            words = " ".join(line.text for line in layout.lines if line.item == row).split()
            for cell in [*WIDE_TABLE.header[1:], *WIDE_TABLE.rows[row]]:
                for word in cell.split():
                    assert word in words, (row, word, words)  # whole: never "Pytho" + "n"
        assert [s.item for s in layout.shapes if s.kind == "highlight"] == [focus]
        path = render_scene(scene, tall, THEMES["dark"], focus, tmp_path / f"card{focus}.png")
        with Image.open(path) as image:
            luma = {
                row: np.mean(
                    [
                        mean_luma(image, line.box)
                        for line in layout.lines
                        if line.item == row and line.role == "cell"
                    ]
                )
                for row in range(2)
            }
        assert luma[focus] > luma[1 - focus] + 5, luma
    wide = compose_scene(scene, VideoFormat("16:9", 720), THEMES["dark"], 0)
    assert "header" in {s.kind for s in wide.shapes}
    one = scene.model_copy(update={"table": WIDE_TABLE.model_copy(update={"rows": WIDE_TABLE.rows[1:]})})
    burned = compose_scene(one, tall, THEMES["dark"], None, captions_burned=True)  # the captions' room kept
    assert burned.fits and all(box[3] <= 1280 * 0.64 + 2 for _, box in burned.content_boxes())


def test_a_wide_table_planned_for_a_phone_says_one_sentence_per_row() -> None:
    rows = [[f"tool{n}", "Python", "moderate", "Apache", "Linux, macOS and Windows"] for n in range(6)]
    doc = "## Tools\n\n| " + " | ".join(WIDE_TABLE.header) + " |\n|---|---|---|---|---|\n"
    doc += "".join("| " + " | ".join(r) + " |\n" for r in rows)
    options = RenderOptions(aspect="9:16", resolution=720)
    plan = make_plan(read_document(document_from_bytes(doc.encode(), "t.md", None)), options, spoken=False)
    tables = [s for s in plan.scenes if s.layout == "table"]
    assert len(tables) > 1 and all(s.table is not None for s in tables)  # continued on more slides
    shown = [row for s in tables for row in (s.table.rows if s.table else [])]
    assert shown == rows
    said = " ".join(s.narration for s in tables)
    for row in rows:
        assert said.count(f"Tool: {row[0]};") == 1
    for scene in tables:
        assert fits(scene, options.video_format, THEMES["dark"])
        layout = compose_scene(scene, options.video_format, THEMES["dark"], 0)
        assert layout.fits and "header" not in {s.kind for s in layout.shapes}


def test_a_wide_diagram_is_shown_whole_on_a_tall_frame_and_a_photo_fills_a_wide_one(tmp_path: Path) -> None:
    """A document's wide diagram alone in its scene: cropping it to fill 9:16 would keep its middle
    sixth, so it is shown whole (both coloured ends in the frame) on a blurred copy of itself; a 16:9
    photograph on a 16:9 frame still fills it to the corners."""
    diagram = Image.new("RGB", (1200, 400), (240, 240, 240))
    diagram.paste((230, 20, 20), (0, 0, 200, 400))  # red at the left end
    diagram.paste((20, 40, 230), (1000, 0, 1200, 400))  # blue at the right end
    diagram.save(tmp_path / "diagram.png")
    noise = np.random.default_rng(1).integers(0, 60, (360, 640, 3), dtype=np.uint8)
    Image.fromarray(noise + np.uint8(150), "RGB").save(tmp_path / "photo.png")  # many colours: a photo

    def drawn(name: str, fmt: VideoFormat) -> np.ndarray:
        scene = slide("s1", "full_image", image=ImageRef(path=str(tmp_path / name)))
        out = render_scene(scene, fmt, THEMES["dark"], None, tmp_path / f"{name}-{fmt.aspect}.png")
        return np.asarray(Image.open(out).convert("RGB"), dtype=np.int16)

    tall = drawn("diagram.png", VideoFormat("9:16", 720))
    row = tall[tall.shape[0] // 2]
    red = (row[:, 0] > 180) & (row[:, 1] < 80)
    blue = (row[:, 2] > 180) & (row[:, 0] < 80)
    assert red.any() and blue.any() and np.flatnonzero(red).max() < np.flatnonzero(blue).min()
    assert tall[20, tall.shape[1] // 2].max() < 200  # above the diagram: the darkened blur, not white
    wide = drawn("photo.png", VideoFormat("16:9", 720))
    for y, x in ((2, 2), (2, -3), (-3, 2), (-150, -3)):  # corners (above the text band): the photo
        assert wide[y, x].min() >= 140, (y, x, wide[y, x])
