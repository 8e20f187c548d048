"""Platform-ready files (issue 14 item 6): presets, H.264 profile and level, BT.709, keyframe spacing,
subtitle disposition, chapters, audio only. Real renders, probed with PyAV."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.errors import InputError
from app.services.documents import document_from_bytes
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.video import Chapter, chapter_marks, chapters_text, h264_level, probe, scene_chapters
from tests.conftest import CLI

DOC = (
    "# Opening\n\nA first short scene.\n\n"
    "# The middle part\n\nThe second scene says a little more than the first.\n\n"
    "# Closing\n\nThe end."
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")  # speech and stills are shared by the renders below


def renderer(tmp_path: Path, cache_dir: Path) -> Renderer:
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"), ResourceManager(), DiskCache(cache_dir), settings=load_settings()
    )


async def render(tmp_path: Path, cache_dir: Path, name: str, **given: object) -> Path:
    options = parse_render_options(
        {"voice": "espeak:en-us", **given}, trust=Trust.OPERATOR, settings=load_settings()
    )
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    result = await renderer(tmp_path, cache_dir).render(doc, tmp_path / name, options)
    return result.video


def keyframe_times(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        return sorted(float(p.pts * p.time_base) for p in c.demux(video=0) if p.is_keyframe and p.size)


def frame_steps(path: Path) -> set[float]:
    with av.open(str(path)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    return {round(b - a, 4) for a, b in itertools.pairwise(times)}


def subtitle_default(path: Path) -> bool:
    with av.open(str(path)) as c:
        return bool(c.streams.subtitles[0].disposition & av.stream.Disposition.default)


def test_levels_follow_frame_size_and_rate() -> None:
    assert h264_level((1280, 720), None) == "3.1"  # variable rate: its nominal 30 fps, never 6.x
    assert h264_level((1280, 720), 60) == "3.2"
    assert h264_level((1920, 1080), 30) == "4.0"
    assert h264_level((1080, 1920), 30) == "4.0"
    assert h264_level((1920, 1080), 60) == "4.2"
    assert h264_level((720, 720), 30) == "3.1"
    assert h264_level((1080, 1080), 30) == "3.2"


def test_chapters_at_scene_titles() -> None:
    chapters = scene_chapters(
        ["Intro", None, "Intro", "Part = two; #1", "Part = two; #1"], [0, 5, 9, 61.9, 70], "Doc"
    )
    assert chapters == [Chapter(0.0, "Intro"), Chapter(61.9, "Part = two; #1")]
    assert chapters_text(chapters) == "0:00 Intro\n1:01 Part = two; #1\n"
    assert scene_chapters([None, "B"], [0.4, 3725], "Doc") == [Chapter(0.0, "Doc"), Chapter(3725, "B")]
    assert chapters_text([Chapter(3725, "B")]) == "1:02:05 B\n"
    assert chapter_marks(chapters, 80.0) == [(0, 61900, "Intro"), (61900, 80000, "Part = two; #1")]
    assert chapter_marks([Chapter(0.0, "A"), Chapter(2.0, "B")], 2.0)[-1] == (2000, 2001, "B")


def test_presets_fill_only_what_is_not_given() -> None:
    shorts = parse_render_options({"preset": "shorts"}, trust=Trust.CALLER, settings=load_settings())
    assert (shorts.aspect, shorts.resolution, shorts.fps, shorts.burn_captions) == ("9:16", 1080, 30, True)
    assert shorts.keyframe_interval == 2.0
    mine = parse_render_options(
        {"preset": "shorts", "burn_captions": False, "fps": 60}, trust=Trust.CALLER, settings=load_settings()
    )
    assert (mine.aspect, mine.fps, mine.burn_captions) == ("9:16", 60, False)
    archive = parse_render_options({"preset": "archive"}, trust=Trust.CALLER, settings=load_settings())
    assert (archive.aspect, archive.quality, archive.burn_captions) == ("16:9", "high", False)
    web = parse_render_options({"preset": "web"}, trust=Trust.CALLER, settings=load_settings())
    assert (web.aspect, web.resolution, web.fps, web.keyframe_interval) == ("16:9", 720, None, 2.0)
    with pytest.raises(InputError) as err:
        parse_render_options({"preset": "vimeo"}, trust=Trust.CALLER, settings=load_settings())
    assert "preset" in str(err.value) and "\n" not in str(err.value)


async def test_default_file_is_tagged_and_has_chapters(tmp_path: Path, cache_dir: Path) -> None:
    video = await render(tmp_path, cache_dir, "default.mp4")
    info = probe(video)
    assert (info.profile, info.level, info.colour) == ("High", "3.1", ("bt709", "bt709", "bt709"))
    assert [t for _, t in info.chapters] == ["Opening", "The middle part", "Closing"]
    assert info.chapters[0][0] == 0.0 and info.chapters[1][0] > 1.0
    listing = video.with_suffix(".chapters.txt").read_text(encoding="utf-8").splitlines()
    assert listing[0] == "0:00 Opening" and listing[1].endswith(" The middle part") and len(listing) == 3
    assert subtitle_default(video), "soft captions are on by default when none are burned"
    assert len(keyframe_times(video)) == 3, "the default keeps one keyframe per scene"


@pytest.mark.slow
async def test_vertical_preset_cfr_keyframes_and_burned_captions(tmp_path: Path, cache_dir: Path) -> None:
    video = await render(tmp_path, cache_dir, "short.mp4", preset="tiktok")
    info = probe(video)
    assert (info.width, info.height, info.profile, info.level) == (1080, 1920, "High", "4.0")
    assert info.colour == ("bt709", "bt709", "bt709")
    assert frame_steps(video) == {round(1 / 30, 4)}, "constant 30 fps"
    keys = keyframe_times(video)
    assert keys[0] == 0.0 and max(b - a for a, b in itertools.pairwise([*keys, info.duration])) <= 2.0 + 1e-3
    assert not subtitle_default(video), "captions are burned: the soft track must not show them twice"
    assert len(info.chapters) == 3


@pytest.mark.slow
async def test_web_preset_keyframes_every_two_seconds_at_variable_rate(
    tmp_path: Path, cache_dir: Path
) -> None:
    video = await render(tmp_path, cache_dir, "web.mp4", preset="web")
    info = probe(video)
    assert (info.width, info.height, info.level) == (1280, 720, "3.1")
    keys = keyframe_times(video)
    assert max(b - a for a, b in itertools.pairwise([*keys, info.duration])) <= 2.0 + 1e-3
    assert len(frame_steps(video)) > 1, "still variable frame rate"


@pytest.mark.slow
async def test_constant_rate_long_gops_youtube_and_archive(tmp_path: Path, cache_dir: Path) -> None:
    vfr = probe(await render(tmp_path, cache_dir, "vfr.mp4"))
    cfr_path = await render(tmp_path, cache_dir, "cfr.mp4", fps=30)
    cfr = probe(cfr_path)
    assert frame_steps(cfr_path) == {round(1 / 30, 4)}
    assert len(keyframe_times(cfr_path)) == 3, "a keyframe per scene (each shorter than the long GOP)"
    assert cfr.size_bytes <= 1.5 * vfr.size_bytes, (cfr.size_bytes, vfr.size_bytes)
    youtube = await render(tmp_path, cache_dir, "youtube.mp4", preset="youtube")
    info = probe(youtube)
    assert (info.width, info.height, info.profile, info.level) == (1920, 1080, "High", "4.0")
    assert info.colour == ("bt709", "bt709", "bt709") and frame_steps(youtube) == {round(1 / 30, 4)}
    keys = keyframe_times(youtube)
    assert max(b - a for a, b in itertools.pairwise([*keys, info.duration])) <= 2.0 + 1e-3
    assert subtitle_default(youtube), "youtube keeps captions soft (and on)"
    archive = await render(tmp_path, cache_dir, "archive.mp4", preset="archive")
    with av.open(str(archive)) as c:
        first = bytes(next(p for p in c.demux(video=0) if p.size))
    assert b"crf=16.0" in first, "the archive preset encodes at a higher quality"
    assert probe(archive).level == "4.0"


@pytest.mark.slow
def test_audio_only_writes_an_m4a_with_chapters(cli: CLI) -> None:
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")
    result = cli.run("render", "talk.md", "--audio-only", "--voice", "espeak:en-us", "-q")
    assert result.returncode == 0, result.stderr.decode()
    info = probe(cli.cwd / "talk.m4a")
    assert info.streams.count("video") == 0 and info.audio_codec == "aac"
    assert [t for _, t in info.chapters] == ["Opening", "The middle part", "Closing"]
    assert sorted(p.name for p in cli.cwd.iterdir()) == [
        "talk.chapters.txt", "talk.m4a", "talk.md", "talk.srt", "talk.vtt",
    ]  # fmt: skip


def test_unknown_preset_is_one_line(cli: CLI) -> None:
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")
    result = cli.run("render", "talk.md", "--preset", "vimeo")
    assert result.returncode == 2
    err = result.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "preset" in err and "Traceback" not in err
    assert not (cli.cwd / "talk.mp4").exists()
