"""The flags of issue 17 that `render`, `submit` and `plan` share: an LLM writes the script (`--llm`),
from a topic instead of a document (`--topic`, `--language`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from app.config import Settings
    from app.services.llm import Topic
    from app.services.models import RenderOptions

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


def llm_flags(llm: str | None) -> dict[str, object]:
    """`--llm` as a render option."""
    return {"llm": llm}


def topic_source(topic: str, language: str | None, settings: Settings, options: RenderOptions) -> Topic:
    """A topic to write a script about; an `InputError` (exit 2) when no LLM is configured."""
    from app.services.llm import LLMConfig, Topic

    LLMConfig.from_settings(settings).spec(options.llm)
    return Topic(topic, language)
