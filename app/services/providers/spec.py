"""`--visuals SPEC[,SPEC...]`: where each scene's picture comes from, in failover order.

The syntax and the rule for who may name what are the voices': `ENGINE[:ARG][@BASE_URL]`. The
operator (CLI, `t2v submit`) may name folders and servers; an API caller may choose `slides` and the
stock providers the operator configured a key for, never a folder or a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from app.config import Settings
from app.core.queue_manager import Trust
from app.errors import InputError

ENGINES = ("slides", "local", "pexels", "pixabay", "pexels-video", "pixabay-video", "openai-images")
STOCK = {
    "pexels": ("pexels_api_key", "pexels_base_url", "T2V_PEXELS_API_KEY"),
    "pixabay": ("pixabay_api_key", "pixabay_base_url", "T2V_PIXABAY_API_KEY"),
}
STOCK["pexels-video"], STOCK["pixabay-video"] = STOCK["pexels"], STOCK["pixabay"]  # clips: same keys
CALLER_NO_FOLDER = "visuals: API callers cannot name a folder (local:) or a server (@URL)"


@dataclass(frozen=True)
class VisualSpec:
    """One link of the chain: `engine`, its argument (a folder for local), its base URL (stock)."""

    engine: str
    arg: str | None = None
    base_url: str | None = None

    @property
    def name(self) -> str:
        """What the job result says made a scene (no paths or URLs: they are the operator's)."""
        return self.engine


def parse_visuals(spec: str | None, trust: Trust, settings: Settings) -> tuple[VisualSpec, ...]:
    """The chain, checked; `slides` always ends it (the last resort never fails). `settings`: the
    operator's keys and default servers (a provider without a key is refused here)."""
    chain: list[VisualSpec] = []
    for part in (spec or "slides").split(","):
        text = part.strip()
        if not text:
            raise InputError(f"visuals {spec!r}: an empty entry")
        head, at, url = text.partition("@")
        engine, _, arg = head.partition(":")
        engine = engine.strip().lower()
        if engine not in ENGINES:
            raise InputError(f"visuals: unknown provider {engine!r} (known: {', '.join(ENGINES)})")
        if engine not in ("local", "openai-images") and arg:
            raise InputError(f"visuals: {engine!r} takes no argument")
        if trust is not Trust.OPERATOR and (engine == "local" or at):
            raise InputError(CALLER_NO_FOLDER)
        if engine == "slides":
            if at:
                raise InputError("visuals: 'slides' takes no URL")
            chain.append(VisualSpec("slides"))
        elif engine == "local":
            chain.append(_local(arg))
        elif engine == "openai-images":
            chain.append(_generator(arg, url if at else None, trust, settings))
        else:
            chain.append(_stock(engine, url if at else None, settings))
    if chain[-1].engine != "slides":
        chain.append(VisualSpec("slides"))
    return tuple(chain)


def _local(arg: str) -> VisualSpec:
    if not arg:
        raise InputError("visuals: give a folder: local:DIR")
    folder = Path(arg).expanduser()
    if not folder.is_dir():
        raise InputError(f"visuals: local folder {arg!r} is not a directory")
    return VisualSpec("local", str(folder.resolve()))


def _generator(model: str, url: str | None, trust: Trust, settings: Settings) -> VisualSpec:
    """`openai-images:MODEL[@BASE_URL]`: any OpenAI-compatible images server (T2V_OPENAI_API_KEY)."""
    if not model.strip():
        raise InputError("visuals: give a model: openai-images:MODEL[@BASE_URL]")
    if trust is not Trust.OPERATOR and settings.openai_api_key is None:
        raise InputError("visuals: this server offers no openai-images to API callers")
    base = url if url is not None else settings.openai_base_url
    _check_url(base, "openai-images")
    return VisualSpec("openai-images", model.strip(), base.rstrip("/"))


def _check_url(base: str, engine: str) -> None:
    try:
        parsed = httpx.URL(base.strip())
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"visuals: {engine}@URL needs an http(s) URL")


def _stock(engine: str, url: str | None, settings: Settings) -> VisualSpec:
    key_field, base_field, env = STOCK[engine]
    if getattr(settings, key_field) is None:
        raise InputError(f"visuals: {engine} needs an API key: set {env}")
    base = url if url is not None else str(getattr(settings, base_field))
    _check_url(base, engine)
    return VisualSpec(engine, base_url=base.rstrip("/"))
