"""Storyboards rendered as written: the round trip through a file (edit one scene, only its speech is
made again, the captions show the edit), `t2v render` / `t2v submit` of a storyboard and bad
storyboards (exit 2, one line per problem), and `POST /v1/jobs` with a storyboard (202, or 422)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from app.config import load_settings
from app.core.jobstore.base import JobRecord
from app.core.jobstore.sqlite import SQLiteJobStore
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import FileContext, Trust
from app.services.documents import DocumentLimits, document_from_bytes
from app.services.models import RenderOptions
from app.services.pipeline import Renderer
from app.services.planning import STORYBOARD_CONTENT_TYPE, Plan, dump_storyboard, parse_storyboard
from app.services.render_job import job_input, storyboard_context
from app.services.video import probe
from tests.conftest import CLI
from tests.service import Server, read_events, served

pytestmark = pytest.mark.slow

DOC = (
    b"# One\n\nThe first scene speaks.\n\n# Two\n\nThe second scene speaks too.\n\n# Three\n\nAnd a third.\n"
)


def story(narration: str = "A storyboard speaks as written.") -> dict[str, object]:
    return {
        "version": 1,
        "title": "Storyboard",
        "language": "en",
        "scenes": [
            {"id": "s1", "layout": "title", "title": "Storyboard", "narration": "Storyboard."},
            {
                "id": "s2",
                "layout": "bullets",
                "title": "Points",
                "items": [
                    {"text": "**Written** by hand", "marker": "•"},
                    {"text": "Rendered", "marker": "•"},
                ],
                "narration": narration,
                "pause_after": 0.3,
            },
        ],
    }


async def test_edit_one_scene_only_its_speech_is_made_again_and_captions_show_it(tmp_path: Path) -> None:
    r = Renderer(
        WorkspaceManager(tmp_path / "tmp"), cache=DiskCache(tmp_path / "cache"), settings=load_settings()
    )
    options = RenderOptions(voice="espeak:en-us")
    plan = r.plan_document(document_from_bytes(DOC, "talk.md", None), options)
    path = tmp_path / "story.yaml"
    path.write_text(dump_storyboard(plan, "yaml"), encoding="utf-8")

    first = await r.render_plan(parse_storyboard(path.read_bytes(), "yaml"), tmp_path / "a.mp4", options)
    made = r.tts.syntheses  # one per sentence
    assert made >= len(plan.scenes) == first.scenes

    data = yaml.safe_load(path.read_text(encoding="utf-8"))  # the user edits one scene's narration
    edited = next(s for s in data["scenes"] if "second scene" in s["narration"])
    edited["narration"] = "The second scene now says something quite different."
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    await r.render_plan(parse_storyboard(path.read_bytes(), "yaml"), tmp_path / "b.mp4", options)
    assert r.tts.syntheses == made + 1, "only the edited scene's new sentence is synthesized"
    srt = (tmp_path / "b.srt").read_text(encoding="utf-8")
    assert "quite different" in srt and "speaks too" not in srt
    assert "quite different" not in (tmp_path / "a.srt").read_text(encoding="utf-8")


def test_a_storyboard_travels_in_a_job_and_is_read_back_the_same() -> None:
    plan = Plan.model_validate(story())
    context = storyboard_context(plan, {"voice": "espeak:en"}, Trust.CALLER, "story.yaml")
    assert context.content_type == STORYBOARD_CONTENT_TYPE
    back = FileContext.from_payload(json.loads(json.dumps(context.to_payload())))
    assert job_input(back, DocumentLimits()) == plan


def test_cli_renders_a_storyboard_and_refuses_bad_ones(cli: CLI) -> None:
    (cli.cwd / "story.json").write_text(json.dumps(story()), encoding="utf-8")
    done = cli.run("render", "story.json", "-o", "out.mp4", "--voice", "espeak:en-us")
    assert done.returncode == 0, done.stderr.decode()
    info = probe(cli.cwd / "out.mp4")
    assert info.duration > 1
    assert "speaks as written" in (cli.cwd / "out.srt").read_text(encoding="utf-8")

    bad = story()
    bad["scenes"][1]["layout"] = "slideshow"  # type: ignore[index]
    bad["scenes"][1]["pause_after"] = -1  # type: ignore[index]
    (cli.cwd / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    (cli.cwd / "future.yaml").write_text(yaml.safe_dump({**story(), "version": 99}), encoding="utf-8")
    outside = story()
    outside["scenes"].append(  # type: ignore[attr-defined]
        {"id": "s3", "layout": "full_image", "image": {"path": "../secret.png"}, "narration": "A picture."}
    )
    (cli.cwd.parent / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (cli.cwd / "outside.json").write_text(json.dumps(outside), encoding="utf-8")
    cases = {
        "bad.json": [
            "t2v: error: bad.json: scenes[1].layout: 'slideshow' is not one of 'title'",
            "t2v: error: bad.json: scenes[1].pause_after: input should be greater than or equal to 0",
        ],
        "future.yaml": ["t2v: error: future.yaml: version: 99 is from a newer t2v"],
        "outside.json": ["t2v: error: outside.json: scenes[2].image.path: image '../secret.png' is outside"],
    }
    for name, expected in cases.items():
        result = cli.run("render", name, "-o", "no.mp4")
        err = result.stderr.decode().strip().splitlines()
        assert result.returncode == 2, err
        assert len(err) == len(expected), err
        for line, start in zip(err, expected, strict=True):
            assert line.startswith(start), err
        assert not (cli.cwd / "no.mp4").exists()
    as_written = cli.run("render", "story.json", "-o", "no.mp4", "--duration", "30s")
    assert as_written.returncode == 2 and "rendered as written" in as_written.stderr.decode()
    assert cli.leftover_temp_files() == []


def test_cli_submit_queues_a_storyboard(cli: CLI) -> None:
    (cli.cwd / "story.yaml").write_text(yaml.safe_dump(story()), encoding="utf-8")
    queued = cli.run("submit", "story.yaml", "--id", "board-1")
    assert queued.returncode == 0, queued.stderr.decode()
    job = asyncio.run(stored_job(cli.data_dir / "jobs.db", "board-1"))
    context = FileContext.from_payload(job.payload)
    assert context.content_type == STORYBOARD_CONTENT_TYPE and context.trust is Trust.OPERATOR
    assert job_input(context, DocumentLimits()) == Plan.model_validate(story())
    refused = cli.run("submit", "story.yaml", "--max-duration", "1m")
    assert refused.returncode == 2 and "rendered as written" in refused.stderr.decode()


async def stored_job(db: Path, job_id: str) -> JobRecord:
    async with SQLiteJobStore(db) as store:
        return await store.get(job_id)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path, "--workers", "1", T2V_API_KEYS="key-a-secret") as server:
        yield server


def test_api_renders_a_storyboard_and_refuses_bad_ones_with_every_problem(server: Server) -> None:
    a = server.client("key-a-secret")
    created = a.post("/v1/jobs", json={"storyboard": story(), "options": {"voice": "espeak:en"}})
    assert created.status_code == 202, created.text
    events = read_events(a, created.json()["links"]["self"] + "/events")
    done = events[-1][1]
    assert done["status"] == "completed", done
    assert done["result"]["scenes"] == 2

    bad = story()
    bad["scenes"][0]["layout"] = "nope"  # type: ignore[index]
    bad["scenes"][1]["pause_after"] = -2  # type: ignore[index]
    refused = a.post("/v1/jobs", json={"storyboard": bad})
    assert refused.status_code == 422
    body = refused.json()
    assert body["problems"][0].startswith("storyboard: scenes[0].layout: 'nope' is not one of")
    assert body["problems"][1].startswith("storyboard: scenes[1].pause_after:")
    # a caller's storyboard shows no server file, and the answer names where it was
    pictured = story()
    pictured["scenes"].append(
        {"id": "s3", "layout": "full_image", "image": {"path": "/etc/hosts"}, "narration": "x"}
    )  # type: ignore[attr-defined]
    refused = a.post("/v1/jobs", json={"storyboard": pictured})
    assert refused.status_code == 422 and "scenes[2].image.path" in refused.json()["detail"]
    future = a.post(
        "/v1/jobs",
        files={
            "file": ("story.yaml", yaml.safe_dump({**story(), "version": 5}).encode(), "application/yaml")
        },
    )
    assert future.status_code == 422 and "version: 5 is from a newer t2v" in future.json()["detail"]
    # a document condensed to a target duration by the worker
    fitted = a.post("/v1/jobs", json={"text": LONG, "options": {"voice": "espeak:en", "duration": "20s"}})
    assert fitted.status_code == 202, fitted.text
    done = read_events(a, fitted.json()["links"]["self"] + "/events")[-1][1]
    assert done["status"] == "completed", done
    assert abs(done["result"]["duration"] - 20) <= 2, done["result"]
    bad_time = a.post("/v1/jobs", json={"text": LONG, "options": {"duration": "soon"}})
    assert bad_time.status_code == 422 and "not a duration" in bad_time.json()["detail"]
    both = a.post("/v1/jobs", json={"storyboard": story(), "text": "# Hi"})
    assert both.status_code == 422 and "one of 'text', 'storyboard'" in both.json()["detail"]


LONG = "\n\n".join(
    f"# Part {i}\n\nPart {i} explains one idea in a plain sentence. "
    f"It adds a second sentence with more detail about idea {i}. "
    f"For example, idea {i} could be used in a small project."
    for i in range(1, 9)
)


def test_plan_writes_a_storyboard_the_user_edits_then_renders(cli: CLI) -> None:
    schema = cli.run("plan", "--schema")
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"] == "t2v storyboard"
    (cli.cwd / "talk.md").write_text(LONG, encoding="utf-8")
    written = cli.run("plan", "talk.md", "-o", "story.yaml")
    assert written.returncode == 0, written.stderr.decode()
    data = yaml.safe_load((cli.cwd / "story.yaml").read_text(encoding="utf-8"))
    assert data["version"] == 1 and all("spoken" not in s for s in data["scenes"])
    scene = next(s for s in data["scenes"] if "idea 3" in s["narration"])
    scene["narration"] = "This narration was rewritten by hand."
    (cli.cwd / "story.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = cli.run("render", "story.yaml", "-o", "talk.mp4", "--voice", "espeak:en-us")
    assert done.returncode == 0, done.stderr.decode()
    srt = (cli.cwd / "talk.srt").read_text(encoding="utf-8")
    assert "rewritten by hand" in srt and "idea 3 could be used" not in srt

    condensed = cli.run("plan", "talk.md", "--duration", "20s", "--estimate", "-o", "short.json")
    err = condensed.stderr.decode()
    assert condensed.returncode == 0, err
    assert err.startswith("target 0:20: ") and "\n+ [" in err and "\n- [" in err and "(aside)" in err
    assert "speech: " in err and "characters to synthesize" in err
    short = json.loads((cli.cwd / "short.json").read_text(encoding="utf-8"))
    assert 1 < len(short["scenes"]) < len(data["scenes"])

    for args, message in [
        (("talk.md", "-o", "story.txt"), "a storyboard is a .json, .yaml or .yml file"),
        (("--topic", "Coffee"), "no LLM is configured"),
        ((), "missing INPUT (or --topic)"),
    ]:
        refused = cli.run("plan", *args)
        assert refused.returncode == 2 and message in refused.stderr.decode(), refused.stderr.decode()


async def test_the_studio_path_re_encodes_only_the_edited_scene_pictures_included(tmp_path: Path) -> None:
    """What the studio does: render an uploaded Word file, take its storyboard as GET gives it
    (`plan_of_job`: the pictures written in as data: URLs), edit one scene's words, send it through
    JSON and render it as a storyboard: only the edited scene's segment is encoded again; the
    picture's scene comes from the cache (the data: URL holds the document's own bytes)."""
    from app.config import load_settings
    from app.services.options import parse_render_options
    from app.services.render_job import job_document, job_limits, plan_of_job
    from tests.test_readers_docx import report

    settings = load_settings()
    r = Renderer(WorkspaceManager(tmp_path / "tmp"), cache=DiskCache(tmp_path / "cache"), settings=settings)
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    context = FileContext(
        content=report(),
        filename="r.docx",
        content_type=docx,
        options={"voice": "espeak:vi"},
        trust=Trust.CALLER,
    )
    options = parse_render_options(
        context.options, trust=Trust.CALLER, config=r.tts.config, settings=load_settings()
    )
    await r.render(job_document(context, job_limits(settings), options), tmp_path / "a.mp4", options)
    first = r.segments_encoded
    plan = plan_of_job(r, context, settings)
    assert any(s.image is not None and s.image.path.startswith("data:image/png") for s in plan.scenes)
    i = next(i for i, s in enumerate(plan.scenes) if s.image is None and "Xin chào" in s.narration)
    scenes = list(plan.scenes)
    scenes[i] = scenes[i].model_copy(update={"narration": "Chào buổi sáng cả nhà.", "beats": []})
    edited = parse_storyboard(dump_storyboard(plan.model_copy(update={"scenes": scenes}), "json"), "json")
    await r.render_plan(edited, tmp_path / "b.mp4", options)
    assert r.segments_encoded - first == 1, f"{r.segments_encoded - first} segments encoded again"
