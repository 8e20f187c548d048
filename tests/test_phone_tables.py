"""Tables on a phone (9:16 and 1:1 with burned captions): split layouts shrink type toward the floor
before splitting, fill the frame, and the parts of one split table share a type size."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.services.models import VideoFormat
from app.services.planning.plan import Plan, Scene, Table, TableForm
from app.services.visuals import THEMES, compose_scene
from app.services.visuals import scene as visual_scene
from app.services.visuals.frame import make_frame
from tests.conftest import CLI

ROOT = Path(__file__).resolve().parents[1]
HEADER = "| Tool | Language | Speed | Licence |\n|---|---|---|---|\n"


def plan_of(cli: CLI, name: str, aspect: str) -> Plan:
    result = cli.run("plan", name, "--json", "--aspect", aspect, "--burn-captions", timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return Plan.model_validate(json.loads(result.stdout))


def tables_of(plan: Plan) -> list[Scene]:
    return [s for s in plan.scenes if s.layout == "table"]


def body_size(scene: Scene, aspect: str) -> int:
    layout = compose_scene(scene, VideoFormat(aspect, 1080), THEMES["dark"], 0, captions_burned=True)
    assert layout.fits and not layout.truncated and layout.body_size
    return layout.body_size


def test_the_demo_voices_table_is_one_phone_slide_with_both_cards_above_the_floor(cli: CLI) -> None:
    """It was two slides of one large card each, most of the screen empty."""
    shutil.copytree(ROOT / "examples", cli.cwd / "examples")
    (voices,) = [s for s in tables_of(plan_of(cli, "examples/demo.md", "9:16")) if s.title == "Voices"]
    assert voices.part is None and voices.table is not None and len(voices.table.rows) == 2
    fmt = VideoFormat("9:16", 1080)
    layout = compose_scene(voices, fmt, THEMES["dark"], 1, captions_burned=True)
    frame = make_frame(fmt.size, THEMES["dark"], captions_burned=True)
    assert layout.fits and layout.body_size is not None
    assert layout.body_size >= frame.px(frame.card_sizes[1]) >= 46  # a phone's own body text, at least
    bottom = max(box[3] for _, box in layout.content_boxes())
    assert bottom > frame.top + 0.85 * (frame.bottom - frame.top)  # the cards fill the room


@pytest.mark.parametrize(("aspect", "most"), [("9:16", 5), ("1:1", 7)])
def test_a_long_table_takes_few_phone_slides_with_even_parts_and_one_type_size(
    cli: CLI, aspect: str, most: int
) -> None:
    """14 short rows were 9 slides at 9:16 (one or two cards each) and 8 at 1:1, a last part of one
    row set larger than its neighbours."""
    rows = "".join(f"| tool{n} | Python | fast | MIT |\n" for n in range(14))
    (cli.cwd / "tools.md").write_text("## Tools\n\n" + HEADER + rows, encoding="utf-8")
    parts = tables_of(plan_of(cli, "tools.md", aspect))
    assert 1 < len(parts) <= most, [len(p.table.rows) for p in parts if p.table]
    counts = [len(p.table.rows) for p in parts if p.table is not None]
    assert sum(counts) == 14 and max(counts) - min(counts) <= 1, counts
    sizes = {body_size(p, aspect) for p in parts}
    assert len(sizes) == 1, sizes


def test_a_table_split_for_time_alone_keeps_its_size_and_is_not_cut_again_for_room(cli: CLI) -> None:
    """At 16:9 a 14-row grid fits; it is split only because it is long to say: two parts of 7."""
    rows = "".join(f"| tool{n} | Python | fast | MIT |\n" for n in range(14))
    (cli.cwd / "tools.md").write_text("## Tools\n\n" + HEADER + rows, encoding="utf-8")
    parts = tables_of(plan_of(cli, "tools.md", "16:9"))
    assert [len(p.table.rows) for p in parts if p.table] == [7, 7]
    assert len({body_size(p, "16:9") for p in parts}) == 1


def test_cards_stand_two_abreast_on_a_square_frame_and_one_above_the_other_upright() -> None:
    """A square slide held one column of cards and half its width empty beside them."""
    rows = [[f"tool{n}", "Python", "fast", "MIT"] for n in range(2)]
    table = Table(header=["Tool", "Language", "Speed", "Licence"], rows=rows, form="cards")
    scene = Scene(id="s1", layout="table", title="Tools", table=table, narration="x")
    for aspect, abreast in (("1:1", True), ("9:16", False)):
        layout = compose_scene(scene, VideoFormat(aspect, 1080), THEMES["dark"], 0, captions_burned=True)
        cards = sorted((s.item, s.box) for s in layout.shapes if s.kind == "row")
        (_, first), (_, second) = cards
        assert (first[1] == second[1] and first[2] <= second[0]) == abreast, (aspect, cards)
        assert layout.fits


@pytest.mark.parametrize(
    ("aspect", "form"), [("9:16", "cards"), ("1:1", "cards"), ("16:9", "grid"), ("1:1", "grid")]
)
def test_a_table_stays_put_while_the_highlight_moves(aspect: str, form: TableForm) -> None:
    """The spoken card's (or zebra row's) panel did not count where the table was centred: the
    demo's two cards jumped 29 px between the first and the second being spoken."""
    rows = [["espeak-ng", "more than one hundred", "on your computer"], ["Piper", "any voice file", "here"]]
    table = Table(header=["Voice", "Languages", "Where it runs"], rows=rows, form=form)
    scene = Scene(id="s1", layout="table", title="Voices", table=table, narration="x")
    fmt = VideoFormat(aspect, 1080)
    places = {
        tuple(line.box for line in compose_scene(scene, fmt, THEMES["dark"], f, captions_burned=True).lines)
        for f in (None, 0, 1)
    }
    assert len(places) == 1


def test_a_split_parts_size_is_searched_once_for_all_its_states(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every still of a part (one per row spoken) searched the shared size again: two searches each."""
    rows = [[f"tool{n}", "Python", "fast", "MIT"] for n in range(3)]
    table = Table(header=["Tool", "Language", "Speed", "Licence"], rows=rows, form="cards", rows_per_part=4)
    scene = Scene(id="s7.2", layout="table", title="Searched once", table=table, part=(2, 4), narration="x")
    searches: list[int] = []
    real = visual_scene.best_fit

    def counted(*args: Any, **kwargs: Any) -> Any:
        searches.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(visual_scene, "best_fit", counted)
    fmt = VideoFormat("9:16", 1080)
    sizes = {
        compose_scene(scene, fmt, THEMES["dark"], f, captions_burned=True).body_size for f in (None, 0, 1, 2)
    }
    assert len(sizes) == 1 and len(searches) == 2, (sizes, len(searches))
