"""The flags of issue 17 that `render`, `submit` and `plan` share: an LLM writes the script (`--llm`),
from a topic instead of a document (`--topic`, `--language`); and `t2v plan`'s storyboard side:
`-o story.json|.yaml`, `--schema`, the kept/dropped report of `--duration`, `--estimate`."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.flags import FlagGroup
from app.core.fsutil import atomic_write
from app.errors import InputError

if TYPE_CHECKING:
    from app.config import Settings
    from app.services.documents import Document
    from app.services.llm import Topic
    from app.services.models import RenderOptions
    from app.services.planning import Plan

LLMOption = Annotated[
    str | None,
    typer.Option(
        "--llm",
        metavar="openai:MODEL[@URL]",
        help="An LLM writes the script: an OpenAI-compatible server (T2V_LLM_API_KEY is sent to it only).",
    ),
]
TopicOption = Annotated[
    str | None,
    typer.Option("--topic", help="No document: an LLM writes a script about this topic (--llm or T2V_LLM)."),
]
LanguageOption = Annotated[
    str | None,
    typer.Option("--language", help="The language of a --topic script, e.g. vi (default: the topic's)."),
]


# target duration
DurationOption = Annotated[
    str | None,
    typer.Option(
        "--duration",
        metavar="TIME",
        help='Condense the narration to about this long: "90s", "1m30s", "1:30" (offline ranking).',
    ),
]
MaxDurationOption = Annotated[
    str | None,
    typer.Option("--max-duration", metavar="TIME", help="Condense only if longer than this (same forms)."),
]


@dataclass(frozen=True)
class StoryFlags(FlagGroup):
    """Who writes the script (`--llm`) and how long it runs (`--duration`, `--max-duration`)."""

    llm: LLMOption = None
    duration: DurationOption = None
    max_duration: MaxDurationOption = None

    def options(self, settings: Settings) -> dict[str, object]:
        return {"llm": self.llm, "duration": self.duration, "max_duration": self.max_duration}


@dataclass(frozen=True)
class TopicFlags(FlagGroup):
    """No document: a script about a topic (`render` and `plan`; used by the command, no option)."""

    topic: TopicOption = None
    language: LanguageOption = None


def topic_source(topic: str, language: str | None, settings: Settings, options: RenderOptions) -> Topic:
    """A topic to write a script about; an `InputError` (exit 2) when no LLM is configured."""
    from app.services.llm import LLMConfig, Topic

    LLMConfig.from_settings(settings).spec(options.llm)
    return Topic(topic, language)


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the plan as a storyboard (.json, .yaml) to edit and render.",
    ),
]
SchemaOption = Annotated[bool, typer.Option("--schema", help="Print the storyboard's JSON Schema and stop.")]
EstimateOption = Annotated[
    bool, typer.Option("--estimate", help="Also print what it costs: LLM tokens, speech, render time.")
]


def print_schema() -> None:
    from app.services.planning import storyboard_schema

    print(json.dumps(storyboard_schema(), indent=2, ensure_ascii=False))


def check_output(output: Path | None) -> None:
    """A storyboard's file name (before any work): .json, .yaml or .yml, not a folder."""
    from app.services.planning import storyboard_format

    if output is None:
        return
    if storyboard_format(output.name) is None:
        raise InputError(f"a storyboard is a .json, .yaml or .yml file, not {output.name!r}")
    if output.is_dir():
        raise InputError(f"the output {str(output)!r} is a directory")


def write_storyboard(plan: Plan, output: Path) -> None:
    """The plan as an editable storyboard, written atomically; `spoken` left out (a narration edited
    by hand is what the voice must say: the render derives `spoken` again)."""
    from app.services.planning import dump_storyboard, storyboard_format

    fmt = storyboard_format(output.name)
    assert fmt is not None  # checked by check_output
    bare = plan.model_copy(update={"scenes": [s.model_copy(update={"spoken": None}) for s in plan.scenes]})
    try:
        atomic_write(output, dump_storyboard(bare, fmt).encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from None


def fit_and_report(plan: Plan, options: RenderOptions) -> Plan:
    """`--duration` / `--max-duration`: the plan condensed, what was kept (+) and dropped (-) on stderr."""
    from app.services.planning import fit_duration

    fitted = fit_duration(plan, options.duration, options.max_duration, options.rate, options.pauses)
    if fitted is None:
        return plan
    for line in fitted.report():
        print(line, file=sys.stderr)
    return fitted.plan


def llm_plan(source: Document | Topic, options: RenderOptions, settings: Settings) -> tuple[Plan, int, int]:
    """The plan an LLM writes (and the characters and requests it was sent, for --estimate)."""
    from app.core.net import HttpClient
    from app.services.llm import LLMConfig, ScriptWriter, Topic, chunks, document_source

    config = LLMConfig.from_settings(settings)
    text = source.text if isinstance(source, Topic) else document_source(source)[0]
    requests = 1 if isinstance(source, Topic) else max(1, len(chunks(text, config.chunk_chars)))

    async def write() -> Plan:
        writer = ScriptWriter(HttpClient(), config)
        try:
            return await writer.write_plan(source, options)
        finally:
            await writer.http.aclose()

    return asyncio.run(write()), len(text), requests


def print_estimate(plan: Plan, options: RenderOptions, source_chars: int = 0, requests: int = 0) -> None:
    from app.services.llm import estimate_render

    found = estimate_render(
        plan, options.rate, options.pauses, llm_source_chars=source_chars, llm_requests=requests
    )
    for line in found.lines():
        print(line, file=sys.stderr)
