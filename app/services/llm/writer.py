"""Asking an LLM for the script: `POST {BASE_URL}/chat/completions`, validated, asked again with the
problems, chunked for long documents.

Every request goes through the one pooled HTTP client (retries on network errors, 429 and 5xx, a
deadline for the whole request, a size limit on the answer, the key only to the LLM's origin), under
the writer's own concurrency slot (`T2V_LLM_CONCURRENCY`). An answer that does not validate (not
JSON, the wrong shape, cut off by the token limit, the wrong language) is sent back with its problems
at most `T2V_LLM_ATTEMPTS - 1` times, then the render fails with one clear message (`LLMError`).
A document longer than `T2V_LLM_CHUNK_CHARS` is cut at paragraph ends into parts asked for in
parallel (within the slot) and their scenes joined in order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from app.core.net import HttpClient
from app.core.resource_manager import Slots
from app.core.threads import run_in_thread
from app.errors import InputError, RenderError
from app.services.documents import Document
from app.services.llm.config import LLMConfig, LLMSpec
from app.services.llm.draft import (
    DraftScene,
    ScriptDraft,
    answer_schema,
    base,
    language_problems,
    parse_answer,
)
from app.services.llm.prompts import fill, language_name
from app.services.llm.source import document_source
from app.services.llm.to_plan import draft_plan
from app.services.models import RenderOptions
from app.services.planning import Plan, split_sentences
from app.services.speech import detect_language

MAX_PROBLEMS_SENT = 20
TOPIC_SECONDS = 60.0  # a topic with no target duration gets a one-minute script
TOPIC_MAX_CHARS = 2000


class LLMError(RenderError):
    """The LLM's answers could not be used (after asking again), or it answered in another language."""


@dataclass(frozen=True)
class Topic:
    """A video from a topic instead of a document; `language` (e.g. from --language) else detected."""

    text: str
    language: str | None = None


def chunks(text: str, size: int) -> list[str]:
    """Parts of at most about `size` characters, cut at paragraph ends (at sentence ends inside a
    paragraph longer than that)."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= size:
            pieces.append(paragraph)
        else:
            pieces.extend(split_sentences(paragraph))
    parts, current = [], ""
    for piece in pieces:
        if current and len(current) + len(piece) + 2 > size:
            parts.append(current)
            current = ""
        current = f"{current}\n\n{piece}" if current else piece
    if current.strip():
        parts.append(current)
    return parts


def _content(answer: Any) -> tuple[str | None, str | None]:
    """The message text and finish reason of a chat-completions answer (None: not that shape)."""
    try:
        choice = answer["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None, None
    return (content if isinstance(content, str) else None), choice.get("finish_reason")


class ScriptWriter:
    """Writes scripts with the configured LLM; one per process (it holds the LLM's slot)."""

    def __init__(self, http: HttpClient, config: LLMConfig | None = None) -> None:
        self.http = http
        self.config = config or LLMConfig()
        self.slots = Slots("llm", self.config.concurrency)
        self.requests = 0  # chat requests sent (tests, metrics)

    async def write_plan(self, source: Document | Topic, options: RenderOptions) -> Plan:
        """The Plan the LLM writes for a document or a topic (`options.llm`, else T2V_LLM), about
        `options.duration` (or `max_duration`) long when given; its layouts are t2v's choice."""
        spec = self.config.spec(options.llm)
        seconds = options.duration or options.max_duration
        return draft_plan(await self.draft(source, spec, seconds=seconds, rate=options.rate))

    async def draft(
        self, source: Document | Topic, spec: LLMSpec, *, seconds: float | None = None, rate: int = 175
    ) -> ScriptDraft:
        """The script for a document (in its language) or a topic (in `Topic.language`, else the
        topic's own), about `seconds` long when given."""
        if isinstance(source, Topic):
            text = source.text.strip()
            if not text:
                raise InputError("the topic is empty")
            if len(text) > TOPIC_MAX_CHARS:
                raise InputError(f"the topic is {len(text)} characters; at most {TOPIC_MAX_CHARS}")
            wanted = base(source.language) or await run_in_thread(_detect, text)
            words = round((seconds or TOPIC_SECONDS) * rate / 60)
            prompt = fill("topic", self.config.prompts_dir, topic=text, length=_length(words))
            return await self._ask(spec, wanted, prompt)
        outline, language = await run_in_thread(document_source, source)
        wanted = base(language) or await run_in_thread(_detect, outline)
        parts = chunks(outline, self.config.chunk_chars)
        if not parts:
            raise InputError(f"{source.name} has nothing to write a script from")
        total = sum(len(p) for p in parts)
        prompts = []
        for i, part in enumerate(parts):
            share = round(seconds * rate / 60 * len(part) / total) if seconds else None
            note = f" (part {i + 1} of {len(parts)}: the parts are joined in order)" if len(parts) > 1 else ""
            prompts.append(
                fill(
                    "document", self.config.prompts_dir, document=part, part_note=note, length=_length(share)
                )
            )
        drafts = await asyncio.gather(*(self._ask(spec, wanted, p) for p in prompts))
        scenes: list[DraftScene] = [s for d in drafts for s in d.scenes]
        return ScriptDraft(title=drafts[0].title, language=drafts[0].language, scenes=scenes)

    async def _ask(self, spec: LLMSpec, wanted: str, prompt: str) -> ScriptDraft:
        """One script, asked again with its problems until it validates or the attempts are spent."""
        system = fill("system", self.config.prompts_dir, language=wanted, language_name=language_name(wanted))
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ]
        problems: list[str] = []
        for _ in range(self.config.attempts):
            answer = await self._complete(spec, messages)
            content, finish = _content(answer)
            if content is None:
                problems = ["the server's answer has no choices[0].message.content"]
                continue
            draft, problems = parse_answer(content)
            if finish == "length":
                problems.insert(0, "the answer was cut off at the token limit: write fewer, shorter scenes")
            elif draft is not None:
                problems = await run_in_thread(language_problems, draft, wanted)
                if not problems:
                    return draft
            shown = "\n".join(f"- {p}" for p in problems[:MAX_PROBLEMS_SENT])
            messages += [
                {"role": "assistant", "content": content[:20_000]},
                {"role": "user", "content": fill("retry", self.config.prompts_dir, problems=shown)},
            ]
        raise LLMError(
            f"the LLM's answers could not be used after {self.config.attempts} tries: {problems[0]}"
            + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else "")
        )

    async def _complete(self, spec: LLMSpec, messages: list[dict[str, str]]) -> Any:
        endpoint = self.config.endpoint(spec)
        body = {
            "model": spec.model,
            "messages": messages,
            "temperature": 0.3,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "t2v_script", "strict": True, "schema": answer_schema()},
            },
        }
        async with self.slots.hold():
            self.requests += 1
            return await self.http.fetch_json(
                "POST",
                f"{endpoint.url.rstrip('/')}/chat/completions",
                what=f"LLM {spec.model!r}",
                limits=self.config.limits,
                endpoint=endpoint,
                json_body=body,
            )


def _length(words: int | None) -> str:
    if words is None:
        return "Cover all of it, in as many scenes as it needs (about one scene per section)."
    scenes = max(1, round(words / 45))
    return f"Make it about {words} words of narration in all, in about {scenes} scenes."


def _detect(text: str) -> str:
    return base(detect_language(text[:4000]))
