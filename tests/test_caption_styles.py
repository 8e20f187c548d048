"""Burned caption styles (issue 15 item 3): size relative to the frame, placement in the platforms'
safe areas, karaoke highlighting from the word timings, long words never clipped. Measured in frames
of real renders (libass through ffmpeg), and in the ASS scripts."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.errors import InputError
from app.services.captions import (
    STYLES,
    CaptionBox,
    CaptionRules,
    ascent_ratio,
    build_cues,
    caption_look,
    to_ass,
    write_captions,
)
from app.services.documents import document_from_bytes
from app.services.models import WordTiming
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.visuals import family_name, load_theme
from tests.conftest import CLI, OUTPUT

# every cue has letters reaching the cap height and below the baseline: its ink is about one em
DOC = "# Happy jumping dogs\n\nHappy dogs jump high. Big gray dogs play fetch by the pond."
ZH_DOC = "# 今天的天气\n\n今天天气很好，我们一起去公园散步吧。公园里有很多花，大家都很开心。"


def timed(text: str, start: float = 0.0, step: float = 0.4) -> list[WordTiming]:
    return [
        WordTiming(w, start + i * step, start + i * step + step * 0.8) for i, w in enumerate(text.split())
    ]


def test_caption_box_sizes_and_safe_areas() -> None:
    tall = CaptionBox.of((1080, 1920), STYLES["clean"], ascent_ratio=1.526)
    assert tall.em >= 0.045 * 1920 and tall.font_size == round(tall.em * 1.526)
    assert tall.margin_v >= 0.2 * 1920, "above the app's bottom 20%"
    assert tall.margin_r >= 0.12 * 1080, "clear of the buttons' column"
    wide = CaptionBox.of((1280, 720), STYLES["clean"])
    assert wide.em >= 0.04 * 720 and wide.margin_v >= 0.05 * 720
    assert CaptionBox.of((1080, 1920), STYLES["bold"]).em > tall.em
    assert 18 <= tall.line_chars(CaptionRules()) <= 25


def test_karaoke_lights_each_word_in_turn() -> None:
    words = timed("Happy dogs jump high.")
    cues = build_cues([words], 3.0)
    ass = to_ass(cues, (720, 1280), "Be Vietnam Pro", style="karaoke")
    events = [e.split(",", 9) for e in ass.splitlines() if e.startswith("Dialogue:")]
    assert len(events) == 4, "one event per word"
    lit = [re.search(r"\{\\1c&H0000E5FF&\}([^{]*)", e[9]).group(1) for e in events]  # type: ignore[union-attr]
    assert lit == ["Happy", "dogs", "jump", "high."]
    assert [e[1] for e in events] == ["0:00:00.00", "0:00:00.40", "0:00:00.80", "0:00:01.20"]
    end_cs = int(cues[-1].end * 100 + 1e-6)
    assert events[-1][2] == f"0:00:{end_cs // 100:02d}.{end_cs % 100:02d}", "the last word lit to the end"


@pytest.mark.parametrize("style", ["clean", "boxed", "bold"])
def test_styles_write_their_look(style: str) -> None:
    ass = to_ass(build_cues([timed("One two three.")], 3.0), (1080, 1920), "X", style=style)
    fields = next(x for x in ass.splitlines() if x.startswith("Style:")).split(",")
    assert fields[15] == ("3" if style == "boxed" else "1")  # BorderStyle: an opaque box, or outline
    assert int(fields[16]) >= 4  # the outline (or box padding) keeps text readable on any picture
    assert "\\1c" not in ass


def test_a_word_wider_than_the_frame_is_shrunk_not_clipped() -> None:
    word = "x" * 40 + "y" * 39  # 79 characters, no break opportunity
    cues = build_cues([[WordTiming(word, 0.0, 2.0)]], 3.0)
    ass = to_ass(cues, (720, 1280), "X", measure=lambda line, em: len(line) * em * 0.6)
    texts = [e.split(",", 9)[9] for e in ass.splitlines() if e.startswith("Dialogue:")]
    shown = "".join(re.sub(r"\{[^}]*\}", "", t).replace("\\N", "") for t in texts)
    assert shown == word, "every character drawn"
    box = CaptionBox.of((720, 1280), STYLES["clean"])
    for text in texts:
        size = re.match(r"\{\\fs(\d+)\}", text)
        lines = re.sub(r"\{[^}]*\}", "", text).split("\\N")
        scale = int(size.group(1)) / box.font_size if size else 1.0
        assert max(len(x) for x in lines) * box.em * scale * 0.6 <= box.room + 1


def test_unknown_caption_style_is_refused() -> None:
    with pytest.raises(InputError) as err:
        parse_render_options({"caption_style": "neon"}, trust=Trust.CALLER, settings=load_settings())
    assert "caption_style" in str(err.value) and "\n" not in str(err.value)


def test_cli_unknown_caption_style_is_one_line(cli: CLI) -> None:
    (cli.cwd / "a.md").write_text(DOC, encoding="utf-8")
    result = cli.run("render", "a.md", "--caption-style", "neon")
    assert result.returncode == 2 and len(result.stderr.decode().strip().splitlines()) == 1


async def render_frames(
    tmp_path: Path, text: str = DOC, voice: str = "espeak:en-us", **given: object
) -> tuple[list[tuple[float, Image.Image]], Path]:
    options = parse_render_options({"voice": voice, **given}, trust=Trust.OPERATOR, settings=load_settings())
    renderer = Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "c"),
        settings=load_settings(),
    )
    doc = document_from_bytes(text.encode(), "doc.md", None)
    result = await renderer.render(doc, tmp_path / "out.mp4", options)
    with av.open(str(result.video)) as c:
        frames = [(float(f.pts * f.time_base), f.to_image()) for f in c.decode(video=0)]
    return frames, result.srt


def caption_ink(frame: Image.Image, top: float) -> tuple[int, int, int, int] | None:
    """The bounding box of near-white caption text below `top` (a share of the height)."""
    w, h = frame.size
    band = frame.convert("L").crop((0, int(h * top), w, h)).point(lambda v: 255 if v > 235 else 0)
    box = band.getbbox()
    return None if box is None else (box[0], box[1] + int(h * top), box[2], box[3] + int(h * top))


def highlighted(frame: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of the karaoke colour (gold: red and green high, blue low)."""
    r, g, b = frame.convert("RGB").split()
    mask = Image.eval(r, lambda v: 255 if v > 200 else 0)
    mask = Image.composite(mask, Image.new("L", frame.size), Image.eval(g, lambda v: 255 if v > 170 else 0))
    mask = Image.composite(mask, Image.new("L", frame.size), Image.eval(b, lambda v: 255 if v < 90 else 0))
    return mask.getbbox()


def srt_cues(path: Path) -> list[tuple[float, float]]:
    out = []
    for m in re.finditer(r"(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)", path.read_text()):
        g = [int(x) for x in m.groups()]
        out.append(
            (g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000)
        )
    return out


def frame_at(frames: list[tuple[float, Image.Image]], t: float) -> Image.Image:
    return [im for at, im in frames if at <= t + 1e-6][-1]


@pytest.mark.slow
async def test_upright_karaoke_captions_measured_in_frames(tmp_path: Path) -> None:
    frames, srt = await render_frames(tmp_path, preset="shorts", resolution=720, caption_style="karaoke")
    w, h = frames[0][1].size
    assert (w, h) == (720, 1280)
    cues = srt_cues(srt)
    one_line = 0
    for start, end in cues:
        picture = frame_at(frames, (start + end) / 2)
        ink = caption_ink(picture, 0.62)
        assert ink is not None, f"no caption at {(start + end) / 2:.2f} s"
        left, top, right, bottom = ink
        assert bottom <= 0.8 * h, "above the bottom 20% the app covers"
        assert right <= 0.88 * w and left >= 0.04 * w, "clear of the edges and the buttons' column"
        if bottom - top < 0.1 * h:  # one line: its ink is about the em
            one_line += 1
            assert bottom - top >= 0.9 * 0.045 * h, f"caption {bottom - top} px tall in a {h} px frame"
    assert one_line, "a one-line cue to measure"
    # karaoke: within one cue, two frames light different words
    start, end = max(cues, key=lambda c: c[1] - c[0])
    inside = [im for at, im in frames if start <= at < end]
    boxes = {highlighted(im) for im in inside} - {None}
    assert len(boxes) >= 2, "the highlight moves from word to word"


@pytest.mark.slow
async def test_wide_captions_measured_in_frames(tmp_path: Path) -> None:
    frames, srt = await render_frames(tmp_path, burn_captions=True, caption_style="clean")
    w, h = frames[0][1].size
    start, end = srt_cues(srt)[0]
    ink = caption_ink(frame_at(frames, (start + end) / 2), 0.75)
    assert ink is not None
    left, top, right, bottom = ink
    assert bottom <= 0.95 * h and bottom - top >= 0.9 * 0.04 * h
    assert abs((left + right) / 2 - w / 2) < 0.05 * w, "centred"


def stroke_width(frame: Image.Image, top: float) -> float:
    """The median length of the horizontal runs of near-white caption ink below `top` (a share of
    the height): about the width of the glyphs' vertical strokes, in pixels."""
    w, h = frame.size
    ink = np.asarray(frame.convert("L").crop((0, int(h * top), w, h))) > 200
    edges = np.diff(ink.astype(np.int8), axis=1, prepend=0, append=0)
    runs = np.flatnonzero(edges.ravel() == -1) - np.flatnonzero(edges.ravel() == 1)
    assert runs.size > 20, "caption ink to measure"
    return float(np.median(runs))


@pytest.mark.slow
async def test_burned_cjk_captions_are_as_bold_as_latin_ones(tmp_path: Path) -> None:
    """Noto Sans CJK is a variable font whose default instance is Thin, the one libass drew: the
    captions now use a static bold instance of the characters they show, so a Chinese caption's
    strokes are about as wide as an English one's."""
    widths = {}
    for name, text, voice in (("latin", DOC, "espeak:en-us"), ("cjk", ZH_DOC, "espeak:cmn")):
        frames, srt = await render_frames(
            tmp_path / name, text, voice, burn_captions=True, caption_style="clean"
        )
        start, end = srt_cues(srt)[0]
        picture = frame_at(frames, (start + end) / 2)
        picture.save(OUTPUT / f"burned_caption_{name}.png")
        widths[name] = stroke_width(picture, 0.75)
    print(f"caption stroke widths, px: {widths}")
    assert widths["cjk"] >= 0.75 * widths["latin"], widths


def test_theme_file_sets_caption_font_and_size_per_language(tmp_path: Path) -> None:
    theme_file = tmp_path / "brand.toml"
    theme_file.write_text(
        '[captions]\nsize = 1.25\n[captions.languages.vi]\nfont = "Noto Sans"\nsize = 1.1\n', encoding="utf-8"
    )
    theme = load_theme(str(theme_file))
    assert theme.caption_font("vi-vn").font == "Noto Sans" and theme.caption_font("vi").size == 1.1
    assert theme.caption_font("en-us").font is None and theme.caption_font("en").size == 1.25
    fonts, scale = caption_look(theme, "vi")
    assert family_name(fonts.bold) == "Noto Sans" and scale == 1.1
    cues = build_cues([timed("Xin chào các bạn.")], 3.0)
    srt, vtt, ass = tmp_path / "a.srt", tmp_path / "a.vtt", tmp_path / "a.ass"
    write_captions([cues[0].words], 3.0, srt, vtt, ass, (1080, 1920), fonts=fonts, scale=scale)
    style = next(x for x in ass.read_text().splitlines() if x.startswith("Style:")).split(",")
    default = CaptionBox.of((1080, 1920), STYLES["clean"], ascent_ratio(fonts.bold))
    assert style[1] == "Noto Sans" and int(style[2]) == round(default.em * 1.1 * ascent_ratio(fonts.bold))
    theme_file.write_text('[captions.languages."Viet nam"]\nsize = 1.1\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_theme(str(theme_file))
    assert "captions.languages" in str(err.value) and "\n" not in str(err.value)
