"""What a render would refuse once its script exists is refused when the job is submitted, not after
it waited in the queue: a word too long to say, too many scenes, too long a narration, nothing to say.
Through the real API (HTTP 422, one line) and the real `t2v submit` (exit 2, one line, nothing queued)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.service import Server, served

KEY = "limits-key-secret"
LIMITS = {"T2V_MAX_WORD_CHARS": "40", "T2V_MAX_SCENES": "8", "T2V_MAX_NARRATION_MINUTES": "1"}
SENTENCE = "The narrator reads this sentence aloud. "
WORD = "a" * 41

# (document, the words of the one-line refusal)
REFUSED = [
    (f"# Words\n\nOne long word: {WORD} here.\n", ["41-character word", "T2V_MAX_WORD_CHARS"]),
    ("".join(f"# Heading {i}\n\nSaid once.\n\n" for i in range(9)), ["9 scenes", "T2V_MAX_SCENES"]),
    (SENTENCE * 60, ["of narration, over the limit of 1 min", "T2V_MAX_NARRATION_MINUTES"]),
    ("```\nx = 1\n```\n", ["no text to read aloud"]),
]
# a long word in a code block is shown, never read: within the limits
ACCEPTED = f"# Code\n\nSaid once.\n\n```\n{WORD}\n```\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path, "--workers", "0", T2V_API_KEYS=KEY, **LIMITS) as server:
        yield server


def test_the_api_refuses_at_submit_what_the_render_would(server: Server) -> None:
    client = server.client(KEY)
    for text, words in REFUSED:
        for response in (
            client.post("/v1/jobs", json={"text": text}),
            client.post("/v1/jobs", files={"file": ("talk.md", text.encode())}),
        ):
            assert response.status_code == 422, response.text
            detail = response.json()["detail"]
            assert isinstance(detail, str) and len(detail.splitlines()) == 1, detail
            for word in words:
                assert word in detail, detail
    assert client.get("/v1/jobs").json()["jobs"] == []

    created = client.post("/v1/jobs", json={"text": ACCEPTED})
    assert created.status_code == 202, created.text
    # the options' rate is the render's: at 450 words a minute the narration fits in a minute
    fast = client.post("/v1/jobs", json={"text": SENTENCE * 60, "options": {"rate": 450}})
    assert fast.status_code == 202, fast.text


def test_t2v_submit_refuses_what_the_render_would(cli: CLI) -> None:
    cli.env.update(LIMITS)
    for n, (text, words) in enumerate(REFUSED):
        (cli.cwd / f"doc{n}.md").write_text(text)
        result = cli.run("submit", f"doc{n}.md", timeout=60)
        err = result.stderr.decode()
        assert result.returncode == 2 and len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err
        for word in words:
            assert word in err, err
    (cli.cwd / "ok.md").write_text(ACCEPTED)
    assert cli.run("submit", "ok.md", timeout=60).returncode == 0
    listed = json.loads(cli.run("jobs", "--json").stdout)
    assert len(listed) == 1, listed


def storyboard(*narrations: str) -> str:
    scenes = [{"id": f"s{n}", "layout": "statement", "narration": text} for n, text in enumerate(narrations)]
    return json.dumps({"version": 1, "scenes": scenes})


def test_a_storyboard_over_the_limits_is_refused_at_submit_and_at_render(cli: CLI, tmp_path: Path) -> None:
    """A storyboard is rendered as written, but within the same limits as a document's script."""
    cli.env.update(LIMITS)
    (cli.cwd / "story.json").write_text(storyboard("Said once.", f"One long word: {WORD} here."))
    for command in (("submit", "story.json"), ("render", "story.json", "-o", "out.mp4")):
        result = cli.run(*command, timeout=60)
        err = result.stderr.decode()
        assert result.returncode == 2 and len(err.strip().splitlines()) == 1, err
        assert "story.json" in err and "41-character word" in err and "T2V_MAX_WORD_CHARS" in err, err
    assert not (cli.cwd / "out.mp4").exists()
    assert json.loads(cli.run("jobs", "--json").stdout) == []
    with served(tmp_path, "--workers", "0", T2V_API_KEYS=KEY, **LIMITS) as server:
        client = server.client(KEY)
        many = storyboard(*(["Said once."] * 9))
        response = client.post("/v1/jobs", files={"file": ("story.json", many.encode())})
        assert response.status_code == 422 and "9 scenes" in response.json()["detail"], response.text
        fine = client.post("/v1/jobs", files={"file": ("story.json", storyboard("Said once.").encode())})
        assert fine.status_code == 202, fine.text
