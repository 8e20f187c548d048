"""A damaged cache heals: `t2v render` through a cache whose every file was cut in half (issue 11.5)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import CLI

DOC = """# The weather

The first scene speaks about the weather and the sea, and then it goes on a little longer.

# The harbour

The second scene speaks too, with more words to say about the boats in the harbour.
"""


def cache_files(data_dir: Path) -> dict[str, int]:
    root = data_dir / "cache"
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_render_through_a_cache_with_every_file_halved_equals_the_first(cli: CLI) -> None:
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")
    first = cli.run("render", "talk.md", "-o", "first.mp4", "-q")
    assert first.returncode == 0, first.stderr.decode()
    healthy = cache_files(cli.data_dir)
    # speech + timings, slides, segments, AAC pieces, the detected language, and their checks
    suffixes = {name.split(".", 1)[1] for name in healthy}
    assert {"wav", "json", "png", "mp4", "aac", "txt"} <= {s.removesuffix(".check") for s in suffixes}

    for name, size in healthy.items():
        os.truncate(cli.data_dir / "cache" / name, size // 2)

    second = cli.run("render", "talk.md", "-o", "second.mp4", "-q")
    assert second.returncode == 0, second.stderr.decode()  # it was exit 2, "no espeak voice 'e'"
    assert (cli.cwd / "second.mp4").read_bytes() == (cli.cwd / "first.mp4").read_bytes()
    for captions in ("srt", "vtt"):
        assert (cli.cwd / f"second.{captions}").read_text() == (cli.cwd / f"first.{captions}").read_text()
    assert cache_files(cli.data_dir) == healthy, "every damaged entry was made again"
    assert cli.leftover_temp_files() == []
