"""Images through the real `t2v` command: each bad image of issue 13 exits 2 with one line naming it
and leaves nothing behind; `--assets-root`, `--skip-missing-images` and `t2v submit`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.images_support import huge_png, png

BAD_IMAGES = {
    "missing": ("missing.png", "image 'missing.png': no such file in"),
    "corrupt": ("cut.png", "image 'cut.png' cannot be decoded: it is corrupt or truncated"),
    "bomb": ("bomb.png", "image 'bomb.png' is 400 megapixels, over the 50-megapixel limit"),
    "outside": ("../elsewhere/x.png", "image '../elsewhere/x.png' is outside"),
    "symlink": ("link.png", "image 'link.png' is outside"),
    "remote": (
        "https://example.com/chart.png",
        "image 'https://example.com/chart.png': remote images are off",
    ),
}


def document(cli: CLI, image: str) -> Path:
    """work/doc/talk.md showing `image`, with the bad files of BAD_IMAGES beside it."""
    folder = cli.cwd / "doc"
    folder.mkdir(exist_ok=True)
    elsewhere = cli.cwd / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    png(elsewhere / "x.png")
    if not (folder / "link.png").is_symlink():
        (folder / "link.png").symlink_to(elsewhere / "x.png")
    huge_png(folder / "bomb.png")
    (folder / "cut.png").write_bytes(png(folder / "whole.png", (300, 300)).read_bytes()[:300])
    talk = folder / "talk.md"
    talk.write_text(f"# Results\n\nThe chart shows the quarter.\n\n![The chart]({image})\n", encoding="utf-8")
    return talk


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_each_bad_image_exits_2_with_one_line_and_nothing_behind(cli: CLI, case: str) -> None:
    image, expected = BAD_IMAGES[case]
    talk = document(cli, image)
    out = cli.cwd / "out"
    out.mkdir()
    result = cli.run("render", str(talk), "-o", str(out / "talk.mp4"))
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("t2v: error: ") and expected in stderr, stderr
    assert "Traceback" not in stderr and result.stdout == b""
    assert list(out.iterdir()) == [] and cli.leftover_temp_files() == []


def test_stdin_needs_an_assets_root(cli: CLI) -> None:
    talk = document(cli, "whole.png")
    result = cli.run("render", "-", "-o", "out.mp4", input=talk.read_bytes())
    assert result.returncode == 2
    assert "a document read from stdin has no folder: pass --assets-root DIR" in result.stderr.decode()
    missing = cli.run("render", str(talk), "--assets-root", str(cli.cwd / "nope"))
    assert missing.returncode == 2 and "no such directory" in missing.stderr.decode()


def test_the_assets_root_replaces_the_document_folder(cli: CLI) -> None:
    """`../elsewhere/x.png` is outside the document's folder but inside an --assets-root above it;
    `--assets-root` also moves where relative paths start."""
    talk = document(cli, "elsewhere/x.png")
    result = cli.run("submit", str(talk), "--assets-root", str(cli.cwd))
    assert result.returncode == 0, result.stderr.decode()
    job = json.loads(cli.run("job", result.stdout.decode().strip()).stdout)
    assert job["status"] == "queued"


def test_submit_checks_images_before_queueing(cli: CLI) -> None:
    talk = document(cli, "missing.png")
    result = cli.run("submit", str(talk))
    assert result.returncode == 2 and "image 'missing.png': no such file" in result.stderr.decode()
    assert json.loads(cli.run("jobs", "--json").stdout) == []


@pytest.mark.slow
def test_skip_missing_images_renders_with_a_warning(cli: CLI) -> None:
    talk = document(cli, "missing.png")
    result = cli.run("render", str(talk), "-q", "--skip-missing-images")
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert stderr == (
        f"t2v: warning: image 'missing.png': no such file in {talk.parent.resolve()}; showing a placeholder\n"
    )
    assert talk.with_suffix(".mp4").stat().st_size > 0


def test_the_worker_checks_a_submitted_documents_images_again(cli: CLI) -> None:
    """`t2v submit` sends the text, with the document's folder as the images' root; the worker looks
    again at render time, so an image removed in between fails the job (no retry), naming it."""
    talk = document(cli, "whole.png")
    submitted = cli.run("submit", str(talk))
    assert submitted.returncode == 0, submitted.stderr.decode()
    (talk.parent / "whole.png").unlink()
    worker = cli.run("worker", "--burst")
    assert worker.returncode == 0, worker.stderr.decode()
    job = json.loads(cli.run("job", submitted.stdout.decode().strip()).stdout)
    assert job["status"] == "failed" and job["attempts"] == 1, job
    assert job["errors"][-1]["error"].endswith(f"image 'whole.png': no such file in {talk.parent.resolve()}")
