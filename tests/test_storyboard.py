"""Storyboard files: a Plan written as JSON/YAML and read back, every problem on its own line with its
JSON path, the published schema, and a storyboard's images checked against the allowed folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from app.errors import InputError
from app.services.images import ImagePolicy, plan_image_problems
from app.services.planning import (
    PLAN_VERSION,
    Beat,
    ImageRef,
    Item,
    Plan,
    Scene,
    StoryboardError,
    dump_storyboard,
    parse_storyboard,
    read_storyboard,
    storyboard_format,
    storyboard_schema,
)


def sample_plan() -> Plan:
    return Plan(
        title="Báo cáo quý ba",
        language="vi",
        scenes=[
            Scene(id="s1", layout="title", title="Báo cáo quý ba", narration="Báo cáo quý ba."),
            Scene(
                id="s2",
                layout="bullets",
                title="Điểm chính",
                items=[Item(text="Doanh thu **tăng**", marker="•"), Item(text="Chi phí giảm", marker="•")],
                narration="Doanh thu tăng mười phần trăm.\nChi phí giảm.",
                beats=[Beat(at=0, item=0), Beat(at=31, item=1)],
                pause_after=0.4,
            ),
            Scene(
                id="s3", layout="full_image", image=ImageRef(path="chart.png", alt="A chart"), narration=""
            ),
        ],
    )


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_round_trip_keeps_every_field_and_the_text_readable(fmt: str) -> None:
    plan = sample_plan()
    text = dump_storyboard(plan, fmt)  # type: ignore[arg-type]
    assert parse_storyboard(text.encode("utf-8"), fmt, "story") == plan  # type: ignore[arg-type]
    assert "Báo cáo quý ba" in text  # written as is, not \u escapes
    data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    assert next(iter(data)) == "version" and data["version"] == PLAN_VERSION
    assert "spoken" not in data["scenes"][0]  # defaults left out: short to edit by hand


def test_every_problem_is_reported_on_its_own_line_with_its_json_path() -> None:
    bad = """version: 1
scenes:
  - id: s1
    layout: slideshow
    narration: hello
    pause_after: -1
  - id: s2
    layout: bullets
    narrative: typo
"""
    with pytest.raises(StoryboardError) as caught:
        parse_storyboard(bad, "yaml", "story.yaml")
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("story.yaml: scenes[0].layout: 'slideshow' is not one of 'title'")
    assert "story.yaml: scenes[0].pause_after: input should be greater than or equal to 0 (got -1)" in lines
    assert "story.yaml: scenes[1].narration: required" in lines
    assert "story.yaml: scenes[1].narrative: unknown field" in lines
    assert len(lines) == 4
    assert isinstance(caught.value, InputError)  # exit 2 / HTTP 422


def test_consistency_problems_the_types_cannot_say() -> None:
    data = {
        "version": 1,
        "scenes": [
            {"id": "a", "layout": "prose", "narration": "One."},
            {"id": "a", "layout": "bullets", "narration": "Two.", "beats": [{"at": 0, "item": 2}]},
        ],
    }
    with pytest.raises(StoryboardError) as caught:
        parse_storyboard(json.dumps(data), "json", "s.json")
    assert str(caught.value).splitlines() == [
        "s.json: scenes[1].id: 'a' is used by an earlier scene (ids are unique)",
        "s.json: scenes[1].beats[0].item: 2 is past the scene's 0 items",
    ]
    with pytest.raises(StoryboardError, match="at least one scene"):
        parse_storyboard('{"version": 1, "scenes": []}', "json")


def test_a_table_slides_beats_point_at_its_rows() -> None:
    """The planner times a table row by row (the row being said is highlighted): its beats index the
    rows shown, not `items` (which hold at most a lead sentence), and such a plan reads back."""
    table = {"header": ["Tool", "Speed"], "rows": [["pip", "slow"], ["uv", "fast"]]}
    scene = {"id": "t", "layout": "table", "narration": "Pip is slow. Uv is fast.", "table": table}
    beats = [{"at": 0, "item": 0}, {"at": 13, "item": 1}]
    plan = parse_storyboard(json.dumps({"scenes": [{**scene, "beats": beats}]}), "json")
    assert [b.item for b in plan.scenes[0].beats] == [0, 1]
    with pytest.raises(StoryboardError, match=r"beats\[1\].item: 2 is past the scene's 2 rows"):
        past = [beats[0], {"at": 13, "item": 2}]
        parse_storyboard(json.dumps({"scenes": [{**scene, "beats": past}]}), "json")


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        (
            '{"version": 2, "scenes": []}',
            "json",
            "version: 2 is from a newer t2v; this one reads storyboard version 1",
        ),
        ('{"version": 0, "scenes": []}', "json", "version: 0 is not a storyboard version"),
        ('{"scenes": [}', "json", "not valid JSON: Expecting value (line 1, column 13)"),
        ("[1, 2]", "json", "a storyboard is an object with 'version' and 'scenes'"),
        ("scenes: [a: b: c]", "yaml", "not valid YAML"),
        ("a: &x [1]\nb: *x\n", "yaml", "anchors and aliases are not supported in storyboards (line 2"),
        ("[" * 100_000, "json", "nested too deeply"),
    ],
)
def test_bad_files_get_one_line(text: str, fmt: str, message: str) -> None:
    with pytest.raises(StoryboardError) as caught:
        parse_storyboard(text, fmt, "story")  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


def test_not_utf8_and_many_problems_are_counted() -> None:
    with pytest.raises(StoryboardError, match="not UTF-8"):
        parse_storyboard(b"\xff\xfe{", "json")
    scenes = [{"id": f"s{i}", "layout": "nope", "narration": ""} for i in range(30)]
    with pytest.raises(StoryboardError) as caught:
        parse_storyboard(json.dumps({"scenes": scenes}), "json")
    lines = str(caught.value).splitlines()
    assert len(lines) == 21 and lines[-1].endswith("... and 10 more problems")
    assert len(caught.value.problems) == 30


def test_format_by_suffix_or_content_type_and_reading_files(tmp_path: Path) -> None:
    assert storyboard_format("talk.JSON") == "json"
    assert storyboard_format("talk.yml") == "yaml"
    assert storyboard_format("talk.md") is None
    assert storyboard_format(None, "application/yaml; charset=utf-8") == "yaml"
    path = tmp_path / "story.yaml"
    path.write_text(dump_storyboard(sample_plan(), "yaml"), encoding="utf-8")
    assert read_storyboard(path, 1_000_000) == sample_plan()
    with pytest.raises(InputError, match="over the input limit"):
        read_storyboard(path, 10)
    with pytest.raises(InputError, match=r"a storyboard is a \.json, \.yaml or \.yml file"):
        read_storyboard(tmp_path / "story.txt", 1000)


def test_schema_is_published_and_describes_the_plan() -> None:
    schema = storyboard_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["version"]["maximum"] == PLAN_VERSION
    scene = schema["$defs"]["Scene"]
    assert "slideshow" not in scene["properties"]["layout"]["enum"]
    assert "bullets" in scene["properties"]["layout"]["enum"]
    assert scene["additionalProperties"] is False
    assert scene["properties"]["pause_after"]["anyOf"][0]["minimum"] == 0
    json.dumps(schema)  # serializable as is


def test_images_outside_the_allowed_folder_are_named_with_their_path(tmp_path: Path) -> None:
    folder = tmp_path / "talk"
    folder.mkdir()
    (folder / "chart.png").write_bytes(b"\x89PNG")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    plan = sample_plan()
    outside = plan.model_copy(
        update={
            "scenes": [
                *plan.scenes,
                Scene(id="s4", layout="full_image", image=ImageRef(path="../secret.png"), narration=""),
            ]
        }
    )
    policy = ImagePolicy(root=folder)
    assert plan_image_problems(plan, policy) == []
    problems = plan_image_problems(outside, policy)
    assert len(problems) == 1 and problems[0].startswith(
        "scenes[3].image.path: image '../secret.png' is outside"
    )
    # a caller's storyboard names no server file at all
    assert plan_image_problems(plan, ImagePolicy())[0].startswith("scenes[2].image.path: image 'chart.png':")
    assert plan_image_problems(outside, ImagePolicy(root=folder, skip_missing=True)) == []
