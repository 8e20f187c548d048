"""The prompt templates: files a user can override (`T2V_LLM_PROMPTS_DIR` holding any of system.txt,
document.txt, topic.txt, retry.txt), filled with `string.Template` ($name placeholders; a `$$` is a
dollar sign), so a template cannot run code or reach attributes."""

from __future__ import annotations

from pathlib import Path
from string import Template

from app.errors import InputError

BUILT_IN = Path(__file__).with_name("prompts")
NAMES = ("system", "document", "topic", "retry")
LANGUAGE_NAMES = {
    "vi": "Vietnamese", "en": "English", "fr": "French", "de": "German", "es": "Spanish",
    "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "th": "Thai", "pt": "Portuguese",
}  # fmt: skip


def template(name: str, folder: Path | None) -> Template:
    """The user's template if their folder has one, else the built-in one."""
    for path in ((folder / f"{name}.txt") if folder else None, BUILT_IN / f"{name}.txt"):
        if path is not None and path.is_file():
            try:
                return Template(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"prompt template {str(path)!r} cannot be read: {exc}") from None
    raise InputError(f"no prompt template {name!r}")


def fill(name: str, folder: Path | None, **values: object) -> str:
    """A template with its placeholders filled; an unknown one is left as written."""
    return template(name, folder).safe_substitute({k: str(v) for k, v in values.items()})


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
