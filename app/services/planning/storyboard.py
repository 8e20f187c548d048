"""Storyboard files: a Plan written as JSON or YAML, edited by hand, read back and rendered as written.

`dump_storyboard` writes what `t2v plan -o story.json|.yaml` saves (the version first, defaults left
out so the file stays short to edit); `parse_storyboard` reads one back and reports EVERY problem at
once, one line each with its JSON path (`scenes[2].layout: 'slideshow' is not one of ...`), so a
hand edit is fixed in one round. `storyboard_schema` is the published JSON Schema (`t2v plan
--schema`), for editors that validate as you type.

YAML is read with PyYAML's safe loader, anchors and aliases refused: a storyboard never needs them,
and an alias bomb would make validation exponential. A version newer than this t2v reads is refused
before anything else is checked (a newer format's fields would only give confusing errors).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from app.errors import InputError
from app.services.planning.plan import PLAN_VERSION, Plan

StoryboardFormat = Literal["json", "yaml"]
STORYBOARD_SUFFIXES: dict[str, StoryboardFormat] = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
STORYBOARD_CONTENT_TYPES: dict[str, StoryboardFormat] = {
    "application/json": "json",
    "application/vnd.t2v.storyboard+json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
}
STORYBOARD_CONTENT_TYPE = "application/vnd.t2v.storyboard+json"  # a storyboard in a job's payload
FORMAT_CONTENT_TYPE: dict[StoryboardFormat, str] = {"json": "application/json", "yaml": "application/yaml"}
MAX_PROBLEMS = 20  # shown; the rest are counted
SHOWN_VALUE = 60  # characters of a bad value quoted in a message
SCHEMA_ID = f"urn:t2v:storyboard:{PLAN_VERSION}"


class StoryboardError(InputError):
    """A storyboard that cannot be rendered: one line per problem, each with its JSON path."""

    def __init__(self, name: str, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        self.problems = problems
        super().__init__("\n".join(f"{name}: {p}" for p in shown))


def storyboard_format(name: str | None = None, content_type: str | None = None) -> StoryboardFormat | None:
    """The storyboard format named by a file's suffix or a content type; None: not a storyboard."""
    if content_type:
        fmt = STORYBOARD_CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
        if fmt:
            return fmt
    if name:
        return STORYBOARD_SUFFIXES.get(Path(name).suffix.lower())
    return None


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader without anchors and aliases (no alias bombs)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # (untyped in the stubs)
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not supported in storyboards", event.start_mark
            )
        return super().compose_node(parent, index)


def _load_data(text: str, fmt: StoryboardFormat) -> object:
    """The file's data, or one problem line with the place the parser stopped."""
    try:
        if fmt == "json":
            return json.loads(text)
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise _Problem(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise _Problem(f"not valid YAML: {exc.problem or exc.context}{where}") from None
    except yaml.YAMLError as exc:
        raise _Problem(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise _Problem("nested too deeply") from None


class _Problem(Exception):
    pass


def json_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a JSON path: ('scenes', 2, 'layout') -> scenes[2].layout."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


def validation_problems(exc: ValidationError) -> list[str]:
    """A pydantic validation error as lines of `path: what is wrong (got value)` (storyboards, and
    the LLM's answers, which are asked again with them)."""
    return [_problem(e) for e in exc.errors()]


def _problem(error: Any) -> str:
    """One pydantic error as `path: what is wrong (got value)`."""
    kind, loc, value = error["type"], tuple(error["loc"]), error.get("input")
    path = json_path(loc)
    if kind == "extra_forbidden":
        return f"{path}: unknown field"
    if kind == "missing":
        return f"{path}: required"
    if kind == "literal_error":
        allowed = error.get("ctx", {}).get("expected", "")
        return f"{path}: {_shown(value)} is not one of {allowed}"
    msg = str(error["msg"])
    msg = msg[:1].lower() + msg[1:]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return f"{path}: {msg} (got {_shown(value)})"
    return f"{path}: {msg}"


def _version_problem(data: dict[str, Any]) -> str | None:
    version = data.get("version", PLAN_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > PLAN_VERSION:
        return (
            f"version: {version} is from a newer t2v; this one reads storyboard version "
            f"{PLAN_VERSION} and older (upgrade t2v)"
        )
    if isinstance(version, int) and version < 1:
        return f"version: {version} is not a storyboard version (they start at 1)"
    return None


def _consistency(plan: Plan) -> list[str]:
    """What the model's field types cannot say: unique scene ids, beats pointing at items (on a
    table slide, at the rows it shows: the row being said is highlighted)."""
    problems, seen = [], set()
    if not plan.scenes:
        problems.append("scenes: a storyboard needs at least one scene")
    for i, scene in enumerate(plan.scenes):
        if scene.id in seen:
            problems.append(f"scenes[{i}].id: {scene.id!r} is used by an earlier scene (ids are unique)")
        seen.add(scene.id)
        rows = scene.layout == "table" and scene.table is not None
        count, what = (len(scene.table.rows), "rows") if scene.table and rows else (len(scene.items), "items")
        for j, beat in enumerate(scene.beats):
            if beat.item is not None and beat.item >= count:
                where = f"scenes[{i}].beats[{j}].item"
                problems.append(f"{where}: {beat.item} is past the scene's {count} {what}")
    return problems


def parse_storyboard(data: bytes | str, fmt: StoryboardFormat, name: str = "storyboard") -> Plan:
    """A validated Plan from a storyboard file's bytes, or a `StoryboardError` listing every problem."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StoryboardError(name, [f"not UTF-8 text (byte {exc.start})"]) from None
    try:
        raw = _load_data(data, fmt)
    except _Problem as exc:
        raise StoryboardError(name, [str(exc)]) from None
    if not isinstance(raw, dict):
        raise StoryboardError(name, ["(top level): a storyboard is an object with 'version' and 'scenes'"])
    future = _version_problem(raw)
    if future:
        raise StoryboardError(name, [future])
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        raise StoryboardError(name, validation_problems(exc)) from None
    except RecursionError:
        raise StoryboardError(name, ["nested too deeply"]) from None
    problems = _consistency(plan)
    if problems:
        raise StoryboardError(name, problems)
    return plan


def read_storyboard(path: Path, max_bytes: int) -> Plan:
    """A storyboard file, by its suffix (.json, .yaml, .yml), refused over `max_bytes`."""
    fmt = storyboard_format(path.name)
    if fmt is None:
        raise InputError(f"{path.name}: a storyboard is a .json, .yaml or .yml file")
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{path.name} is over the input limit of {max_bytes} bytes")
    return parse_storyboard(data, fmt, path.name)


def storyboard_data(plan: Plan) -> dict[str, Any]:
    """The plan as a storyboard's data: the version first, default values left out."""
    body = plan.model_dump(mode="json", exclude_defaults=True)
    body.pop("version", None)
    return {"version": plan.version, **body}


class _Dumper(yaml.SafeDumper):
    """Multi-line text as YAML block scalars (`|`), so narration with line breaks stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_storyboard(plan: Plan, fmt: StoryboardFormat) -> str:
    """The text of a storyboard file (UTF-8; non-ASCII written as is, Vietnamese stays readable)."""
    data = storyboard_data(plan)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def storyboard_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a storyboard file: the Plan model's, with an id and a title."""
    schema = Plan.model_json_schema()
    schema["properties"]["version"]["maximum"] = PLAN_VERSION
    schema["properties"]["version"]["minimum"] = 1
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "t2v storyboard",
        "description": (
            "A t2v plan: scenes with their layout, shown text and narration. "
            f"Written by `t2v plan -o FILE`, rendered by `t2v render FILE` (version {PLAN_VERSION})."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
