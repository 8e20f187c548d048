"""The planner, through `t2v plan --json` (the model the renderer consumes) and `plan_document`:
layouts from content, scenes cut only at sentence ends, numbered lists keep their numbers, tables
said one sentence per row, code never said, nothing lost when a long list splits into continuation
slides, and `spoken` (what the voice gets) beside `narration` (as written)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.queue_manager import Trust
from app.errors import InputError
from app.services.documents import Document
from app.services.models import VideoFormat
from app.services.options import parse_render_options
from app.services.planning import Plan, PlanLimits, Scene, Table, plan_document
from app.services.visuals import THEMES, compose_scene
from tests.conftest import CLI

DOC = """---
title: Tools of the trade
subtitle: A short tour
author: Ana
date: 2026-11-29
---
# Tools of the trade

## Why tools matter

Good tools save time, they save money, and they save nerves, which matters more than people
think. A slow tool is a tax on every change. We measured three of them, on the same laptop,
with a cold cache.

## Steps

7. Install the tool
8. Run it on **your** project
   - with the defaults
9. Read the report

## Speed

| Tool | Speed | Note |
|:-----|------:|------|
| pip | slow | |
| uv | fast | new |

## Install

Run this:

```bash
pip install secret_code_word
```

## Quote

> Simplicity is prerequisite for reliability.
>
> — Edsger Dijkstra

## Dates

The release is on 29/11/2026 at 14:05.
"""

SENTENCE_END = re.compile(r"[.!?…。！？:;]['\"”’)\]]*$")


def plan_json(cli: CLI, name: str, text: str, *args: str) -> dict[str, object]:
    (cli.cwd / name).write_text(text, encoding="utf-8")
    result = cli.run("plan", name, "--json", *args, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def scenes_of(data: dict[str, object]) -> list[Scene]:
    return Plan.model_validate(data).scenes


def test_plan_json_is_the_plan_with_layouts_from_content(cli: CLI) -> None:
    data = plan_json(cli, "talk.md", DOC)
    assert data["version"] == 1 and data["title"] == "Tools of the trade"
    scenes = scenes_of(data)
    layouts = {s.title: s.layout for s in scenes}
    assert scenes[0].layout == "title" and scenes[0].subtitle == "A short tour"
    assert [i.text for i in scenes[0].items] == ["Ana", "2026-11-29"]
    assert layouts["Why tools matter"] == "prose"
    assert layouts["Steps"] == "bullets" and layouts["Speed"] == "table"
    assert layouts["Install"] == "code" and layouts["Quote"] == "quote"
    quote = next(s for s in scenes if s.layout == "quote")
    assert quote.subtitle == "Edsger Dijkstra" and "Edsger Dijkstra." in quote.narration

    # numbered lists keep their numbers (as written: starting at 7), nesting kept
    steps = next(s for s in scenes if s.title == "Steps")
    assert [(i.marker, i.level) for i in steps.items] == [("7.", 0), ("8.", 0), ("•", 1), ("9.", 0)]
    assert steps.items[1].text == "Run it on **your** project"

    # a table is said one sentence per row, never as a list of cells
    table = next(s for s in scenes if s.layout == "table")
    assert table.table is not None and table.table.align == ["left", "right", "left"]
    assert "Tool: pip; Speed: slow." in table.narration
    assert "Tool: uv; Speed: fast; Note: new." in table.narration
    assert "|" not in table.narration and "pip, slow" not in table.narration
    assert [b.item for b in table.beats if b.item is not None] == [0, 1]

    # code is shown, never said
    code = next(s for s in scenes if s.layout == "code")
    assert code.code is not None and code.code.language == "bash"
    assert [i.text for i in code.items] == ["Run this:"]
    for scene in scenes:
        assert "secret" not in scene.narration and "secret" not in (scene.spoken or "")

    # no scene starts mid-sentence; every narration ends a sentence
    for scene in scenes:
        assert scene.narration, scene.id
        assert not scene.narration[0].islower(), scene.narration
        assert SENTENCE_END.search(scene.narration), scene.narration


def test_beats_point_at_what_is_being_said(cli: CLI) -> None:
    scenes = scenes_of(plan_json(cli, "talk.md", DOC))
    for scene in scenes:
        ats = [b.at for b in scene.beats]
        assert ats == sorted(set(ats)) and all(a < len(scene.narration) for a in ats)
        if scene.layout in ("bullets", "prose"):
            for beat in scene.beats:
                if beat.item is not None:
                    said = scene.narration[beat.at :]
                    first_word = re.sub(r"[*`\\]", "", scene.items[beat.item].text).split()[0]
                    assert said.startswith(first_word), (said, first_word)


def test_spoken_is_what_the_voice_gets_and_narration_stays_as_written(cli: CLI) -> None:
    lexicon = cli.cwd / "words.toml"
    lexicon.write_text('[en]\n"Dijkstra" = "Dike-stra"\n', encoding="utf-8")
    scenes = scenes_of(plan_json(cli, "talk.md", DOC, "--lexicon", str(lexicon)))
    dates = next(s for s in scenes if s.title == "Dates")
    assert "29/11/2026" in dates.narration and dates.spoken is not None
    assert "29/11/2026" not in dates.spoken and "November" in dates.spoken
    quote = next(s for s in scenes if s.layout == "quote")
    assert "Dijkstra" in quote.narration and "Dike-stra" in (quote.spoken or "")
    assert all(s.spoken is not None for s in scenes)


def test_a_bad_lexicon_is_one_line_and_exit_2(cli: CLI) -> None:
    (cli.cwd / "talk.md").write_text("# Hi\n\nHello there.\n", encoding="utf-8")
    (cli.cwd / "bad.toml").write_text('[[en.regex]]\npattern = "(unclosed"\nsay = "x"\n', encoding="utf-8")
    result = cli.run("plan", "talk.md", "--lexicon", "bad.toml", timeout=60)
    assert result.returncode == 2 and result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0] and "Traceback" not in lines[0]
    for command in ("render", "submit"):  # the same flag, checked before anything is done
        result = cli.run(command, "talk.md", "--lexicon", "bad.toml", timeout=60)
        assert result.returncode == 2 and result.stdout == b"", command
        assert len(result.stderr.decode().strip().splitlines()) == 1 and "bad.toml" in result.stderr.decode()
    assert not (cli.cwd / "talk.mp4").exists()
    with pytest.raises(InputError, match="lexicon"):
        parse_render_options(
            {"lexicon": '[[en.regex]]\npattern = "(x"\nsay = "y"\n'},
            trust=Trust.CALLER,
            settings=load_settings(),
        )
    good = parse_render_options(
        {"lexicon": '[en]\n"a" = "b"\n'}, trust=Trust.CALLER, settings=load_settings()
    )
    assert good.lexicon == '[en]\n"a" = "b"\n'


def test_thirty_bullets_never_lose_an_item_and_continue_on_more_slides(cli: CLI) -> None:
    items = [f"Point number {n} is about topic {n}" for n in range(1, 31)]
    text = "# Intro\n\nHello.\n\n# Many points\n\n" + "".join(f"{n}. {t}\n" for n, t in enumerate(items, 1))
    scenes = [s for s in scenes_of(plan_json(cli, "list.md", text)) if s.title == "Many points"]
    assert len(scenes) >= 2
    shown = [(i.marker, i.text) for s in scenes for i in s.items]
    assert shown == [(f"{n}.", t) for n, t in enumerate(items, 1)]
    total = len(scenes)
    assert [s.part for s in scenes] == [(k, total) for k in range(1, total + 1)]
    assert scenes[0].id != scenes[1].id and scenes[1].id.startswith(scenes[0].id + ".")
    for scene in scenes:  # each part says its own items, and only them
        said = [t for t in items if t in scene.narration]
        assert said == [i.text for i in scene.items]
    assert scenes[0].narration.startswith("Many points.") and "Many points" not in scenes[1].narration


def test_long_prose_is_cut_at_sentence_ends_never_at_commas(cli: CLI) -> None:
    sentence = "This sentence has a clause, another clause, and one more clause before its end. "
    text = "# Long\n\n" + sentence * 30 + "\n"
    scenes = [s for s in scenes_of(plan_json(cli, "long.md", text)) if s.title == "Long"]
    assert len(scenes) >= 2
    assert all(s.layout == "prose" for s in scenes)
    for scene in scenes:
        assert scene.narration.startswith(("Long. This", "This")) and scene.narration.endswith("end.")
        assert all(i.text == sentence.strip() for i in scene.items)
    assert sum(len(s.items) for s in scenes) == 30


def test_the_table_is_the_default_printout(cli: CLI) -> None:
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")
    result = cli.run("plan", "talk.md", timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    for word in ("layout", "title", "bullets", "table", "[code bash", "Tool: pip"):
        assert word in out, word


def test_a_table_split_across_slides_is_drawn_in_one_form(cli: CLI) -> None:
    """On a square frame the grid holds seven of these rows a slide, but one row's licence is a word
    no grid column holds: that part alone was drawn as cards between grids. Every part of the table
    now says one form, and the slide drawn for it is in that form."""
    rows = [[f"tool{n}", "Python", "fast", "MIT"] for n in range(14)]
    rows[12] = ["tool12", "Rust", "Extraordinarily", "Apache-2.0-with-LLVM-exceptions"]
    text = "## Tools\n\n| Tool | Language | Speed | Licence |\n|---|---|---|---|\n"
    text += "".join("| " + " | ".join(r) + " |\n" for r in rows)
    for aspect, form in (("1:1", "cards"), ("16:9", "grid")):
        data = plan_json(cli, "tools.md", text, "--aspect", aspect, "--resolution", "720")
        tables = [s for s in scenes_of(data) if s.layout == "table" and s.table is not None]
        assert len(tables) > 1 and [row for s in tables for row in s.table.rows] == rows  # type: ignore[union-attr]
        assert {s.table.form for s in tables} == {form}, aspect  # type: ignore[union-attr]
        fmt = VideoFormat(aspect, 720)
        for scene in tables:
            layout = compose_scene(scene, fmt, THEMES["dark"], 0)
            assert layout.fits
            assert ("header" in {s.kind for s in layout.shapes}) == (form == "grid"), (aspect, scene.id)
    square = VideoFormat("1:1", 720)
    for shown, grid in ((rows[:7], True), (rows[12:13], False)):  # what each part chose on its own
        table = Table(header=["Tool", "Language", "Speed", "Licence"], rows=shown)
        scene = Scene(id="s1", layout="table", title="Tools", table=table, narration="x")
        assert ("header" in {s.kind for s in compose_scene(scene, square, THEMES["dark"]).shapes}) == grid
    wide = CLI({**cli.env, "COLUMNS": "240"}, cli.cwd)  # the printout's cells unfolded
    printed = wide.run("plan", "tools.md", "--aspect", "1:1", "--resolution", "720", timeout=120)
    assert printed.returncode == 0 and b"rows, as cards]" in printed.stdout  # the form, in the printout
    whole = plan_json(cli, "short.md", text.split("| tool2 ")[0], "--aspect", "1:1", "--resolution", "720")
    assert [s.table.form for s in scenes_of(whole) if s.table] == [None]  # one slide: its own choice


# ----------------------------------------------------------------------------------- plan_document


def plan(text: str, fmt: str = "md", fits: object = None, seconds: float = 20.0) -> list[Scene]:
    document = Document(text, fmt, "t.md")  # type: ignore[arg-type]
    return plan_document(document, PlanLimits(max_scene_seconds=seconds), fits=fits).scenes  # type: ignore[arg-type]


def test_rows_that_do_not_fit_continue_with_the_header() -> None:
    rows = "".join(f"| r{n} | {n} |\n" for n in range(7))
    scenes = plan("# T\n\n| Name | Value |\n|---|---|\n" + rows, fits=lambda s: len(s.table.rows) <= 3)
    tables = [s.table for s in scenes if s.table is not None]
    assert [len(t.rows) for t in tables] == [3, 2, 2]  # evened: no last row alone on a slide
    assert all(t.header == ["Name", "Value"] for t in tables)
    assert all(t.rows_per_part == 3 for t in tables)  # sized alike
    assert [s.part for s in scenes] == [(1, 3), (2, 3), (3, 3)]
    assert (
        scenes[0].narration.startswith("T. Name: r0; Value: 0.")
        and scenes[2].narration == "Name: r5; Value: 5. Name: r6; Value: 6."
    )


def fits_by_form(grid_rows: int, card_rows: int, neither: str = "", no_grid: str = "") -> object:
    """A stand-in for the visuals' room: so many rows a slide as a grid or as cards (either, unless the
    table says which); a row holding `no_grid` fits no grid, one holding `neither` fits nothing."""

    def fits(scene: Scene) -> bool:
        table = scene.table
        assert table is not None
        cells = " ".join(c for row in table.rows for c in row)
        if neither and neither in cells:
            return False
        grid = len(table.rows) <= grid_rows and not (no_grid and no_grid in cells)
        cards = len(table.rows) <= card_rows
        return {"grid": grid, "cards": cards, None: grid or cards}[table.form]

    return fits


def test_a_split_tables_parts_share_one_form_the_grid_unless_a_row_fits_only_as_cards() -> None:
    head = "# T\n\n| Name | Value |\n|---|---|\n"
    rows = "".join(f"| r{n} | {n} |\n" for n in range(8))
    grids = plan(head + rows, fits=fits_by_form(3, 2))
    assert [len(s.table.rows) for s in grids if s.table] == [3, 3, 2]
    assert {s.table.form for s in grids if s.table} == {"grid"}
    wide = rows.replace("| r5 | 5 |", "| r5 | unbreakable |")
    cards = plan(head + wide, fits=fits_by_form(3, 2, no_grid="unbreakable"))
    assert [len(s.table.rows) for s in cards if s.table] == [2, 2, 2, 2]
    assert {s.table.form for s in cards if s.table} == {"cards"}
    huge = rows.replace("| r5 | 5 |", "| r5 | huge |")  # fits neither way: the grid, as fewer slides
    both = plan(head + huge, fits=fits_by_form(3, 2, neither="huge"))
    assert {s.table.form for s in both if s.table} == {"grid"}
    assert [r[0] for s in both if s.table for r in s.table.rows] == [f"r{n}" for n in range(8)]
    one = plan(head + "| a | 1 |\n| b | 2 |\n", fits=fits_by_form(3, 2))
    assert [s.table.form for s in one if s.table] == [None]


def test_a_split_table_asks_each_fits_question_once() -> None:
    """Each question to the visuals is a layout pass: cutting a table asks none twice (the preferred
    form's count is resumed, not cut again; a single row is asked once) and none whose answer the
    planner holds (the whole table in one form, when the whole fits in no form)."""
    head = "# T\n\n| Name | Value |\n|---|---|\n"
    rows = "".join(f"| r{n} | {n} |\n" for n in range(8))
    huge = rows.replace("| r5 | 5 |", "| r5 | huge |")
    cases = [
        (rows, fits_by_form(3, 2)),
        (rows.replace("| r5 | 5 |", "| r5 | unbreakable |"), fits_by_form(3, 2, no_grid="unbreakable")),
        (huge, fits_by_form(3, 2, neither="huge")),
        (huge, fits_by_form(1, 1, neither="huge")),
    ]
    for text, fits in cases:
        asked: list[Scene] = []

        def recorded(scene: Scene, fits: object = fits, asked: list[Scene] = asked) -> bool:
            asked.append(scene)
            return fits(scene)  # type: ignore[operator,no-any-return]

        assert len([s for s in plan(head + text, fits=recorded) if s.table]) > 1
        questions = [q.model_dump_json() for q in asked]
        assert len(questions) == len(set(questions)), "a fits question asked twice"
        whole = [q.table.form for q in asked if q.table and len(q.table.rows) == 8 and q.part is None]
        assert whole == [None], "the whole table is asked once, in no particular form"


def test_long_code_splits_by_lines_and_silent_parts_stay_on_screen() -> None:
    code = "\n".join(f"x{n} = {n}" for n in range(9))
    scenes = plan(f"# Code\n\n```python\n{code}\n```\n", fits=lambda s: s.code.text.count("\n") < 4)
    assert ["\n".join(s.code.text for s in scenes if s.code)] == [code]
    assert scenes[0].narration == "Code." and scenes[1].narration == ""
    assert scenes[1].pause_after is not None and 3 < scenes[1].pause_after <= 10  # time to read it
    assert all(s.code is not None and s.code.language == "python" for s in scenes)


def test_images_alone_are_full_bleed_and_beside_text_image_text() -> None:
    scenes = plan(
        "# A\n\n![A red square](red.png)\n\n# B\n\nSome words here. More words.\n\n![chart](c.png)\n"
    )
    assert scenes[0].layout == "full_image" and scenes[0].image is not None
    assert scenes[0].image.path == "red.png" and scenes[0].narration == "A. A red square."
    assert (
        scenes[1].layout == "image_text" and scenes[1].image is not None and scenes[1].image.path == "c.png"
    )
    assert [i.text for i in scenes[1].items] == ["Some words here.", "More words."]


def test_plain_text_paragraphs_are_scenes_and_nothing_to_say_is_an_error() -> None:
    scenes = plan("First one.\n\nSecond one, a bit longer.", "txt")
    assert [(s.layout, s.narration) for s in scenes] == [
        ("statement", "First one."),
        ("statement", "Second one, a bit longer."),
    ]
    with pytest.raises(InputError, match="no text to read aloud"):
        plan("```\nonly code\n```\n")


def test_a_lone_top_heading_is_the_title_card_and_its_short_paragraph_the_subtitle() -> None:
    scenes = plan("# My talk\n\nAbout tools.\n\n## One\n\nFirst.\n\n## Two\n\nSecond.\n")
    assert (scenes[0].layout, scenes[0].title, scenes[0].subtitle) == ("title", "My talk", "About tools.")
    assert scenes[0].narration == "My talk. About tools."
    assert [s.title for s in scenes[1:]] == ["One", "Two"]
    single = plan("# Only\n\nJust this.\n")
    assert [(s.layout, s.title) for s in single] == [("statement", "Only")]


def test_examples_plan_without_errors() -> None:
    root = Path(__file__).resolve().parent.parent / "examples"
    for path in root.glob("*.md"):
        scenes = plan(path.read_text(encoding="utf-8"))
        assert scenes and all(s.narration or s.pause_after for s in scenes)


def test_a_sentence_too_long_for_its_slide_is_shown_in_pieces_and_said_whole() -> None:
    clauses = ", ".join(f"clause number {n} with a few more words" for n in range(30))
    text = f"# Long\n\nA short one first. The long one has {clauses}. A short one after.\n"
    scenes = plan(text, fits=lambda s: all(len(i.text) <= 120 for i in s.items), seconds=200)
    (scene,) = scenes
    assert scene.narration == f"Long. A short one first. The long one has {clauses}. A short one after."
    texts = [i.text for i in scene.items]
    assert texts[0] == "A short one first." and texts[-1] == "A short one after."
    pieces = texts[1:-1]
    assert len(pieces) > 3 and all(len(p) <= 120 for p in pieces)
    assert " ".join(pieces) == f"The long one has {clauses}."
    assert all(p.endswith((",", ".")) for p in pieces)  # cut after a comma when one is near
    said = [scene.narration[b.at :] for b in scene.beats if b.item is not None]
    assert [s.split()[0] for s in said] == [t.split()[0] for t in texts]
    short = plan(text, fits=lambda s: all(len(i.text) <= 120 for i in s.items))
    assert all(s.narration[0].isupper() and s.narration.endswith(".") for s in short)
