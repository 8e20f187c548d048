"""`t2v plan`: what a render would show and say, scene by scene, without rendering.

The printout is the Plan the renderer consumes (one model): a table for people, or `--json` (with
its `version`) for tools, tests and storyboard editing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.cli.base import (
    EXIT_FAILED,
    AspectOption,
    BurnOption,
    DeliveryFlags,
    DurationOption,
    MaxDurationOption,
    PresetOption,
    RateOption,
    ResolutionOption,
    ThemeOption,
    VoiceOption,
    app,
    describe,
    fail,
    read_input,
    render_options,
)
from app.cli.documents import (
    AllowFetchOption,
    AllowPrivateUrlsOption,
    MaxDocumentSizeOption,
    MaxInputSizeOption,
    MaxPagesOption,
    PagesOption,
    PptxPictureOption,
    read_flags,
)
from app.cli.story import (
    EstimateOption,
    LanguageOption,
    LLMOption,
    OutputOption,
    SchemaOption,
    TopicOption,
    check_output,
    fit_and_report,
    llm_flags,
    llm_plan,
    print_estimate,
    print_schema,
    topic_source,
    write_storyboard,
)
from app.config import load_settings
from app.core.queue_manager import Trust
from app.errors import InputError, T2VError

if TYPE_CHECKING:
    from app.services.planning import Plan, Scene

LexiconOption = Annotated[
    Path | None,
    typer.Option(
        "--lexicon",
        metavar="FILE",
        help="What the voice says for words and patterns: a TOML file ([vi], [en], [all] tables).",
    ),
]


def read_lexicon(path: Path | None) -> str | None:
    """The lexicon file's text, checked (an `InputError` naming the file and the entry); the text
    travels in the options, so a queued job needs no file."""
    if path is None:
        return None
    from app.services.planning import Lexicon

    Lexicon.load(path)
    return path.read_text(encoding="utf-8")


NARRATION_SHOWN = 160  # characters of narration in the table (the JSON has all of it)


@app.command("plan")
def plan_command(
    source: Annotated[
        str | None,
        typer.Argument(metavar="[INPUT]", help="A document file, a web address, or - for stdin."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON (with its version).")
    ] = False,
    voice: VoiceOption = None,
    rate: RateOption = None,
    aspect: AspectOption = None,
    resolution: ResolutionOption = None,
    burn_captions: BurnOption = None,
    preset: PresetOption = None,
    theme: ThemeOption = None,
    lexicon: LexiconOption = None,
    max_input_size: MaxInputSizeOption = None,
    max_document_size: MaxDocumentSizeOption = None,
    max_pages: MaxPagesOption = None,
    pages: PagesOption = None,
    pptx_picture: PptxPictureOption = "auto",
    allow_fetch: AllowFetchOption = False,
    allow_private_urls: AllowPrivateUrlsOption = False,
    output: OutputOption = None,
    schema: SchemaOption = False,
    duration: DurationOption = None,
    max_duration: MaxDurationOption = None,
    estimate: EstimateOption = False,
    llm: LLMOption = None,
    topic: TopicOption = None,
    language: LanguageOption = None,
) -> None:
    """Print what would be rendered: each scene's layout, what it shows and what it says; or write it
    as a storyboard to edit (-o story.yaml), then `t2v render story.yaml`."""
    if schema:
        print_schema()
        return
    if (source is None) == (topic is None):
        fail('give a document (INPUT) or --topic "...", not both' if topic else "missing INPUT (or --topic)")
    from app.services.options import parse_render_options
    from app.services.plan_stage import make_plan
    from app.services.planning import ScriptLimits

    try:
        settings = load_settings(
            voice=voice,
            rate=rate,
            aspect=aspect,
            resolution=resolution,
            theme=theme,
            max_input_bytes=max_input_size,
            max_document_bytes=max_document_size,
            max_pages=max_pages,
            allow_fetch=allow_fetch or None,
            allow_private_urls=allow_private_urls or None,
        )
    except ValueError as exc:
        fail(describe(exc))
    try:
        given = render_options(
            settings,
            burn_captions,
            duration=duration,
            delivery=DeliveryFlags.of(preset, None, None, False, aspect=aspect, resolution=resolution),
            max_duration=max_duration,
            lexicon=read_lexicon(lexicon),
        )
        options = parse_render_options(
            {**given, **read_flags(pages, pptx_picture), **llm_flags(llm)}, trust=Trust.OPERATOR
        )
        check_output(output)
        sent, requests = 0, 0
        if source is None or options.llm:  # an LLM writes it (about a topic, or from the document)
            origin = topic_source(topic or "", language, settings, options) if source is None else None
            document = origin or read_input(source or "-", settings, pages, pptx_picture)
            plan, sent, requests = llm_plan(document, options, settings)
        else:
            document = read_input(source, settings, pages, pptx_picture)
            # a storyboard or a condensed plan gets its `spoken` text again when it is rendered
            bare = output is not None or options.duration is not None or options.max_duration is not None
            plan = make_plan(document, options, ScriptLimits.from_settings(settings), spoken=not bare)
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
        parts.append(f"[table {len(scene.table.header)} columns x {len(scene.table.rows)} rows]")
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
