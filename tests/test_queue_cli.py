"""`t2v submit / jobs / job / cancel / retry / worker` on the local store, as a user runs them."""

from __future__ import annotations

import json
import subprocess

import pytest

from app.services.video import probe
from tests.conftest import CLI


def one_line_error(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.slow
def test_submit_list_show_and_work_a_job(cli: CLI) -> None:
    (cli.cwd / "talk.md").write_text("# Hello\n\nA queued talk.\n", encoding="utf-8")
    result = cli.run("submit", "talk.md", "--priority", "high", "--id", "talk-1", "--aspect", "1:1")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "talk-1"
    second = cli.run("submit", "talk.md")
    job2 = second.stdout.decode().strip()
    listed = json.loads(cli.run("jobs", "--json").stdout)
    assert [j["id"] for j in listed] == [job2, "talk-1"]  # newest first
    for key in ("id", "status", "priority", "attempts", "queued_at", "started_at", "finished_at"):
        assert key in listed[0]
    assert listed[1]["priority"] == "high" and listed[1]["status"] == "queued"
    assert cli.run("cancel", job2).stdout.decode().strip() == f"{job2}: cancelled"

    worker = cli.run("worker", "--burst")
    assert worker.returncode == 0, worker.stderr.decode()
    assert "1 job(s) completed" in worker.stdout.decode()
    shown = json.loads(cli.run("job", "talk-1").stdout)
    assert shown["status"] == "completed" and shown["attempts"] == 1
    assert shown["started_at"] and shown["finished_at"] >= shown["started_at"]
    artifacts = cli.data_dir / "artifacts" / "talk-1"
    assert sorted(p.name for p in artifacts.iterdir()) == [
        "video.chapters.txt", "video.jpg", "video.mp4", "video.srt", "video.vtt",
    ]  # fmt: skip
    info = probe(artifacts / "video.mp4")
    assert (info.width, info.height) == (720, 720)
    assert shown["result"]["video"] == str(artifacts / "video.mp4")

    table = cli.run("jobs").stdout.decode()
    assert "talk-1" in table and "completed" in table and "cancelled" in table
    assert cli.run("retry", job2).stdout.decode().strip() == f"{job2}: queued"


def test_queue_commands_reject_bad_input_with_one_line(cli: CLI) -> None:
    (cli.cwd / "talk.md").write_text("# Hello\n\nText.\n")
    (cli.cwd / "empty.md").write_text("")
    assert "priority" in one_line_error(cli.run("submit", "talk.md", "--priority", "asap"))
    assert "empty" in one_line_error(cli.run("submit", "empty.md"))
    assert "job_id" in one_line_error(cli.run("submit", "talk.md", "--id", "../etc"))
    assert "rate" in one_line_error(cli.run("submit", "talk.md", "--rate", "5"))
    assert "no job" in one_line_error(cli.run("job", "nope"))
    assert "no job" in one_line_error(cli.run("cancel", "nope"))
    assert "status" in one_line_error(cli.run("jobs", "--status", "done"))
    assert cli.run("submit", "talk.md", "--id", "same").returncode == 0
    assert cli.run("submit", "talk.md", "--id", "same").returncode == 0  # identical: the same job
    (cli.cwd / "other.md").write_text("# Other\n\nDifferent.\n")
    assert "same" in one_line_error(cli.run("submit", "other.md", "--id", "same"))
