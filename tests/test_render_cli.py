"""`t2v render` end to end: real espeak-ng, real ffmpeg, real files."""

from __future__ import annotations

import itertools
import re
import signal
from pathlib import Path

import av
import pytest
from PIL import Image

from app.services.documents import load_document
from app.services.models import RenderOptions
from app.services.plan_stage import make_plan
from app.services.video import probe
from tests.conftest import CLI
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

EN_DOC = """---
title: ignored front matter
---
# Welcome to *t2v*

This tool turns **Markdown** into a narrated video. See [the docs](https://example.com/docs) for more.

- It speaks every scene.
- It draws a slide per scene.

# How it works

Run the `render` command:

```bash
t2v render talk.md -o talk.mp4
```

Captions follow the words <b>exactly</b>.
"""

VI_DOC = """# Giới thiệu

Xin chào các bạn. Hôm nay chúng ta sẽ tìm hiểu cách biến văn bản thành video.

# Cách hoạt động

- Mỗi cảnh có một giọng đọc.
- Phụ đề được căn theo từng từ.
"""

SRT_TIME = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)")


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    cues = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        m = SRT_TIME.fullmatch(lines[1])
        assert m, lines
        g = [int(x) for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append((start, end, " ".join(lines[2:])))
    return cues


def stream_durations(path: Path) -> dict[str, float]:
    with av.open(str(path)) as c:
        return {s.type: float(s.duration * s.time_base) for s in c.streams if s.duration}


def normalize_words(text: str) -> list[str]:
    return [w.strip(".,;:!?…\"'()").lower() for w in text.split() if w.strip(".,;:!?…\"'()")]


@pytest.mark.parametrize(("name", "doc"), [("en", EN_DOC), ("vi", VI_DOC)])
def test_markdown_renders_to_mp4_with_captions(cli: CLI, name: str, doc: str) -> None:
    src = cli.cwd / f"{name}.md"
    src.write_text(doc, encoding="utf-8")
    result = cli.run("render", str(src), "-o", "out.mp4")
    assert result.returncode == 0, result.stderr.decode()
    out = cli.cwd / "out.mp4"
    info = probe(out)
    assert info.streams.count("video") == 1 and info.video_codec == "h264"
    assert info.streams.count("audio") == 1 and info.audio_codec == "aac"
    assert info.subtitle_codecs == ("mov_text",)
    assert (info.width, info.height) == (1280, 720)

    durations = stream_durations(out)
    assert abs(durations["video"] - durations["audio"]) < 0.1
    assert abs(info.duration - durations["audio"]) < 0.1

    cues = parse_srt((cli.cwd / "out.srt").read_text(encoding="utf-8"))
    assert cues, "no captions"
    for (s1, e1, _), (s2, _, _) in itertools.pairwise(cues):
        assert s1 < e1 <= s2
    assert cues[0][0] >= 0 and cues[-1][1] <= info.duration + 0.001
    caption_text = " ".join(c[2] for c in cues)
    for bad in ("*", "#", "`", "<b>", "](", "https://", "example.com", "```"):
        assert bad not in caption_text
    narration = " ".join(s.narration for s in make_plan(load_document(src), RenderOptions()).scenes)
    assert normalize_words(caption_text) == normalize_words(narration)
    vtt = (cli.cwd / "out.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert sorted(p.name for p in cli.cwd.iterdir()) == sorted(
        [f"{name}.md", "out.mp4", "out.srt", "out.vtt", "out.chapters.txt"]
    )
    assert cli.leftover_temp_files() == []
    assert b"Wrote" in result.stdout


def test_stdin_vertical_1080_and_burned_captions(cli: CLI) -> None:
    text = "First paragraph of plain text.\n\nSecond paragraph, a little longer than the first one.\n"
    result = cli.run(
        "render",
        "-",
        "-o",
        "v.mp4",
        "--aspect",
        "9:16",
        "--resolution",
        "1080",
        "--burn-captions",
        "--voice",
        "espeak:en-us",
        "--quiet",
        input=text.encode(),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    info = probe(cli.cwd / "v.mp4")
    assert (info.width, info.height) == (1080, 1920)
    cues = parse_srt((cli.cwd / "v.srt").read_text())
    with av.open(str(cli.cwd / "v.mp4")) as c:
        frames = [(f.time, f.to_image().convert("L")) for f in c.decode(video=0)]
    # burned captions change the picture at every cue: more distinct frames than scenes
    assert len(frames) >= len(cues) + 2
    # white caption text in the captions band while a cue is on screen, none in the pause between scenes
    for start, end, _ in cues:
        mid = (start + end) / 2
        picture = [img for t, img in frames if t <= mid][-1]
        assert bottom_brightest(picture) > 200, f"no caption drawn at {mid:.2f} s"
    gaps = [(a[1], b[0]) for a, b in itertools.pairwise(cues) if b[0] - a[1] > 0.2]
    assert gaps, "the scene pause should leave a moment without captions"
    picture = [img for t, img in frames if t <= (gaps[0][0] + gaps[0][1]) / 2][-1]
    assert bottom_brightest(picture) < 120


def bottom_brightest(picture: Image.Image) -> int:
    """The brightest pixel of the band where burned captions go on 9:16: above the bottom 20% (the
    phone app's), below the slide's content."""
    w, h = picture.size
    return picture.crop((0, int(h * 0.65), w, int(h * 0.8))).getextrema()[1]


BAD_INPUTS = {
    "missing": (None, "no such file"),
    "empty.md": (b"", "empty"),
    "blank.txt": (b"  \n\t\n  ", "whitespace"),
    "binary.txt": (b"\x00\x01\x02PNG\x00\x00" * 50, "binary"),
    "latin1.txt": ("Café crème, déjà vu".encode("latin-1"), "UTF-8"),
    "notes.rst": (b"Hello.", "unsupported file type"),
    "report.pdf": (b"Hello.", "the name says .pdf, but the content is text"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line(cli: CLI, name: str) -> None:
    content, expected = BAD_INPUTS[name]
    src = cli.cwd / name
    if content is not None:
        src.write_bytes(content)
    result = cli.run("render", str(src), "-o", "out.mp4")
    assert result.returncode == 2
    err = result.stderr.decode()
    assert len(err.strip().splitlines()) == 1, err
    assert expected.lower() in err.lower()
    assert "Traceback" not in err
    assert not (cli.cwd / "out.mp4").exists()
    assert cli.leftover_temp_files() == []


def test_input_over_the_size_limit(cli: CLI) -> None:
    src = cli.cwd / "big.txt"
    src.write_text("word " * 1000)
    result = cli.run("render", str(src), "-o", "out.mp4", "--max-input-size", "1000")
    assert result.returncode == 2
    assert "1000 B" in result.stderr.decode() or "limit" in result.stderr.decode()
    big = cli.cwd / "huge.md"
    big.write_text("word " * (2 * 1024 * 1024 // 5 + 10))
    result = cli.run("render", str(big), "-o", "out.mp4")
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "2 MB" in err and len(err.strip().splitlines()) == 1
    assert not (cli.cwd / "out.mp4").exists()


def test_unknown_voice_and_bad_options(cli: CLI) -> None:
    src = cli.cwd / "a.txt"
    src.write_text("Hello world.")
    for args in (["--voice", "espeak:xx-nope"], ["--aspect", "4:3"], ["--resolution", "480"]):
        result = cli.run("render", str(src), "-o", "out.mp4", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.decode().strip().splitlines()) == 1
        assert not (cli.cwd / "out.mp4").exists()


def test_sigint_mid_render_leaves_nothing(cli: CLI) -> None:
    src = cli.cwd / "long.md"
    src.write_text("\n\n".join(f"# Part {i}\n\n" + "This sentence is spoken aloud. " * 12 for i in range(40)))
    proc = cli.popen("render", str(src), "-o", "out.mp4")
    wait_until(  # the render has real work in flight
        lambda: proc.poll() is not None or any(p.suffix == ".wav" for p in cli.leftover_temp_files()),
        timeout=60,
    )
    assert proc.poll() is None, proc.communicate()[1].decode()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err.decode()
    assert not (cli.cwd / "out.mp4").exists()
    assert not (cli.cwd / "out.srt").exists()
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["long.md"]
    assert cli.leftover_temp_files() == []
