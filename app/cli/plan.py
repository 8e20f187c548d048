"""`t2v plan`: what a render would show and say, scene by scene, without rendering.

The printout is the Plan the renderer consumes (one model): a table for people, or `--json` (with
its `version`) for tools, tests and storyboard editing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.cli.base import EXIT_FAILED, app, cli_settings, fail, read_input
from app.cli.documents import DocumentFlags, DocumentLimitFlags
from app.cli.flags import flag_groups, group_settings
from app.cli.render_flags import FrameFlags, VoiceFlags, render_options
from app.cli.story import (
    EstimateOption,
    OutputOption,
    SchemaOption,
    StoryFlags,
    TopicFlags,
    check_output,
    fit_and_report,
    llm_plan,
    print_estimate,
    print_schema,
    topic_source,
    write_storyboard,
)
from app.core.queue_manager import Trust
from app.errors import InputError, T2VError

if TYPE_CHECKING:
    from app.services.planning import Plan, Scene

NARRATION_SHOWN = 160  # characters of narration in the table (the JSON has all of it)


@app.command("plan")
@flag_groups
def plan_command(
    *,
    source: Annotated[
        str | None,
        typer.Argument(metavar="[INPUT]", help="A document file, a web address, or - for stdin."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON (with its version).")
    ] = False,
    output: OutputOption = None,
    schema: SchemaOption = False,
    estimate: EstimateOption = False,
    speech: VoiceFlags,
    frame: FrameFlags,
    reading: DocumentFlags,
    limits: DocumentLimitFlags,
    story: StoryFlags,
    subject: TopicFlags,
) -> None:
    """Print what would be rendered: each scene's layout, what it shows and what it says; or write it
    as a storyboard to edit (-o story.yaml), then `t2v render story.yaml`."""
    if schema:
        print_schema()
        return
    topic = subject.topic
    if (source is None) == (topic is None):
        fail('give a document (INPUT) or --topic "...", not both' if topic else "missing INPUT (or --topic)")
    from app.services.options import parse_render_options
    from app.services.plan_stage import make_plan
    from app.services.planning import ScriptLimits
    from app.services.speech import TTSConfig

    groups = (speech, frame, reading, limits, story)
    settings = cli_settings(**group_settings(*groups))
    pages, pptx_picture = reading.pages, reading.pptx_picture
    try:
        options = parse_render_options(
            render_options(settings, *groups), trust=Trust.OPERATOR, settings=settings
        )
        check_output(output)
        sent, requests = 0, 0
        if source is None or options.llm:  # an LLM writes it (about a topic, or from the document)
            origin = (
                topic_source(topic or "", subject.language, settings, options) if source is None else None
            )
            document = origin or read_input(source or "-", settings, pages, pptx_picture)
            plan, sent, requests = llm_plan(document, options, settings)
        else:
            document = read_input(source, settings, pages, pptx_picture)
            # a storyboard or a condensed plan gets its `spoken` text again when it is rendered
            bare = output is not None or options.duration is not None or options.max_duration is not None
            script = ScriptLimits.from_settings(settings)
            config = TTSConfig.from_settings(settings)
            plan = make_plan(document, options, script, spoken=not bare, config=config)
        plan = fit_and_report(plan, options)
        if estimate:
            print_estimate(plan, options, sent, requests)
        if output is not None:
            write_storyboard(plan, output)
            return
    except InputError as exc:
        fail(str(exc))
    except T2VError as exc:
        fail(str(exc), EXIT_FAILED)
    if as_json:
        print(plan.model_dump_json(indent=2))
    else:
        _print_table(plan)


def _shown(scene: Scene) -> str:
    """What a scene shows, in a few words."""
    parts = []
    if scene.subtitle:
        parts.append(scene.subtitle)
    for item in scene.items:
        marker = f"{item.marker} " if item.marker else ""
        parts.append("  " * item.level + marker + item.text)
    if scene.image is not None:
        parts.append(f"[image {scene.image.path}]")
    if scene.table is not None:
        form = f", as {scene.table.form}" if scene.table.form else ""  # a split table: one form for all
        parts.append(f"[table {len(scene.table.header)} columns x {len(scene.table.rows)} rows{form}]")
    if scene.code is not None:
        lines = scene.code.text.count("\n") + 1
        parts.append(f"[code {scene.code.language or ''} {lines} lines]".replace("  ", " "))
    return "\n".join(parts)


def _print_table(plan: Plan) -> None:
    table = Table(title=Text(plan.title or ""), show_lines=True)
    for column in ("scene", "layout", "title", "shows", "says"):
        table.add_column(column, overflow="fold")
    for scene in plan.scenes:
        title = scene.title or ""
        if scene.part is not None:
            title += f" ({scene.part[0]}/{scene.part[1]})"
        says = scene.narration
        if len(says) > NARRATION_SHOWN:
            says = says[: NARRATION_SHOWN - 1] + "…"
        table.add_row(*(Text(cell) for cell in (scene.id, scene.layout, title, _shown(scene), says)))
    Console(soft_wrap=False).print(table)
