"""The small script object every model is asked for, the same whatever the model, and its checks.

    {"title": str, "language": str,
     "scenes": [{"title": str, "narration": str, "bullets": [str], "keywords": [str]}]}

It goes to the server as a `response_format` JSON schema (strict: every field required, nothing
else allowed); servers that ignore it still get the shape in the prompt. An answer is parsed and
validated here; what is wrong comes back as lines with JSON paths, which the writer sends to the
model when it asks again. The language is checked too: a Vietnamese document gets a Vietnamese script.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.services.planning import validation_problems
from app.services.speech import detect_language

MAX_SCENES = 80
MAX_BULLETS = 6


class DraftScene(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(max_length=200)
    narration: str = Field(min_length=1, max_length=4000, description="what the voice says, full sentences")
    bullets: list[str] = Field(max_length=MAX_BULLETS, description="a few words each, shown on the slide")
    keywords: list[str] = Field(max_length=12)

    @field_validator("narration")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the narration is empty")
        return value.strip()

    @field_validator("bullets")
    @classmethod
    def _short(cls, value: list[str]) -> list[str]:
        long = [b for b in value if len(b) > 120]
        if long:
            raise ValueError(f"a bullet is a few words, not {len(long[0])} characters")
        return [b.strip() for b in value if b.strip()]


class ScriptDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(max_length=300)
    language: str = Field(min_length=2, max_length=20, description="BCP-47 code, e.g. vi, en")
    scenes: list[DraftScene] = Field(min_length=1, max_length=MAX_SCENES)


def answer_schema() -> dict[str, Any]:
    """The JSON schema sent as `response_format` (strict: all properties required, no others)."""
    strings = {"type": "array", "items": {"type": "string"}}
    scene = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "narration": {"type": "string"},
            "bullets": strings,
            "keywords": strings,
        },
        "required": ["title", "narration", "bullets", "keywords"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "language": {"type": "string"},
            "scenes": {"type": "array", "items": scene},
        },
        "required": ["title", "language", "scenes"],
        "additionalProperties": False,
    }


_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.S)


def parse_answer(content: str) -> tuple[ScriptDraft | None, list[str]]:
    """The draft in a model's answer, or the problems to send back (JSON paths, one per line)."""
    fenced = _FENCE.match(content)
    text = fenced.group(1) if fenced else content.strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not one JSON object: {exc.msg} (line {exc.lineno}, column {exc.colno})"]
    try:
        return ScriptDraft.model_validate(data), []
    except ValidationError as exc:
        return None, validation_problems(exc)


def base(language: str | None) -> str:
    return (language or "").lower().replace("_", "-").split("-")[0]


def language_problems(draft: ScriptDraft, wanted: str) -> list[str]:
    """The draft must be in `wanted` (a base code, e.g. vi): by what it says and by what it is."""
    problems = []
    if base(draft.language) != wanted:
        problems.append(f"language: the script must be in {wanted!r}, not {draft.language!r}")
    said = base(detect_language(" ".join(s.narration for s in draft.scenes)[:4000]))
    if said != wanted:
        problems.append(f"scenes: the narration is written in {said!r}; write it in {wanted!r}")
    return problems
