"""Input at the edges of what a render accepts, through the real `t2v render` (issue 11, defect 2).

A render either finishes or refuses with one line, in time linear in the input; the subprocess
timeouts are the issue's bounds (90 s for a 60,000-character word, 100 s for 2 MB documents), not
speed measurements: those are in benchmarks/long_input_bench.py.
"""

from __future__ import annotations

import signal

import pytest

from app.services.video import probe
from tests.conftest import CLI
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

NARRATION = "This sentence is spoken aloud by the narrator. " * 6
WORD = "a" * 60_000


def assert_refused(cli: CLI, result: object, *expected: str) -> None:
    assert result.returncode == 2, result.stderr.decode()
    err = result.stderr.decode()
    assert len(err.strip().splitlines()) == 1, err
    for text in expected:
        assert text in err, err
    assert "Traceback" not in err
    assert not (cli.cwd / "out.mp4").exists()
    assert cli.leftover_temp_files() == []


def test_a_60000_character_word_in_a_paragraph_is_refused_at_once(cli: CLI) -> None:
    (cli.cwd / "word.md").write_text(f"# Long word\n\nThis paragraph holds one long word: {WORD} and ends.\n")
    result = cli.run("render", "word.md", "-o", "out.mp4", timeout=90)
    assert_refused(cli, result, "60,000-character word", "T2V_MAX_WORD_CHARS")


def test_a_60000_character_line_of_code_is_hard_wrapped_and_renders(cli: CLI) -> None:
    """Code is shown, not read: the slide wraps the line and cuts it with an ellipsis."""
    (cli.cwd / "code.md").write_text(f"# Long line\n\n{NARRATION}\n\n```\n{WORD}\n```\n")
    result = cli.run("render", "code.md", "-o", "out.mp4", "--quiet", timeout=90)
    assert result.returncode == 0, result.stderr.decode()
    assert probe(cli.cwd / "out.mp4").video_codec == "h264"
    assert cli.leftover_temp_files() == []


def test_a_long_word_within_the_limit_renders_with_captions_that_fit(cli: CLI) -> None:
    (cli.cwd / "word.md").write_text("# Long word\n\nOne long word: " + "ab" * 450 + " and the end.\n")
    result = cli.run("render", "word.md", "-o", "out.mp4", "--quiet", timeout=90)
    assert result.returncode == 0, result.stderr.decode()
    captions = (cli.cwd / "out.srt").read_text().split("\n\n")
    lines = [line for block in captions for line in block.splitlines()[2:]]
    assert "ab" * 450 in "".join(lines).replace(" ", ""), "every piece of the word is captioned"
    assert max(len(line) for line in lines) <= 42


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("headings.md", "".join(f"# Heading {i}\n\n" for i in range(10_000)), "10,000 scenes"),
        ("line.txt", "The narrator reads this sentence aloud. " * 47_000, "scenes"),
        ("prose.txt", "The narrator reads this sentence aloud.\n\n" * 45_000, "scenes"),
    ],
)
def test_documents_near_the_size_limit_are_refused_before_any_speech(
    cli: CLI, name: str, text: str, expected: str
) -> None:
    (cli.cwd / name).write_text(text)
    assert 1_000_000 < len(text) < 2 * 1024 * 1024 or name == "headings.md"
    result = cli.run("render", name, "-o", "out.mp4", timeout=100)
    assert_refused(cli, result, expected, "T2V_MAX_SCENES")


def test_the_narration_limit_is_decided_before_any_speech(cli: CLI) -> None:
    (cli.cwd / "talk.txt").write_text("The narrator reads this sentence aloud. " * 2000)
    cli.env["T2V_MAX_NARRATION_MINUTES"] = "10"
    result = cli.run("render", "talk.txt", "-o", "out.mp4", timeout=100)
    assert_refused(cli, result, "of narration, over the limit of 10 min", "T2V_MAX_NARRATION_MINUTES")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_layout_of_a_huge_slide_stops_the_render_at_once(cli: CLI, sig: int) -> None:
    """Slides are drawn in threads that check for cancellation; before, the render waited for a
    60,000-character line to be laid out (minutes) before it could exit."""
    parts = [f"# Long line {i}\n\n{NARRATION}\n\n```\n{WORD}\n```\n" for i in range(8)]
    (cli.cwd / "code.md").write_text("\n".join(parts))
    proc = cli.popen("render", "code.md", "-o", "out.mp4")
    wait_until(  # speech and slides are under way
        lambda: proc.poll() is not None or any(p.suffix == ".wav" for p in cli.leftover_temp_files()),
        timeout=60,
    )
    assert proc.poll() is None, f"the render never started: {proc.communicate()[1].decode()}"
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # a hang fails the test, and must not outlive it
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err.decode()
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["code.md"]
    assert cli.leftover_temp_files() == []
