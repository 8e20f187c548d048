"""`--visuals SPEC[,SPEC...]`: where each scene's picture comes from, in failover order.

The syntax and the rule for who may name what are the voices': `ENGINE[:ARG][@BASE_URL]`. The
operator (CLI, `t2v submit`) may name folders; an API caller may only choose `slides`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.queue_manager import Trust
from app.errors import InputError

ENGINES = ("slides", "local")
CALLER_ONLY_SLIDES = "visuals: this server offers only 'slides' to API callers"


@dataclass(frozen=True)
class VisualSpec:
    """One link of the chain: `engine` ('slides', 'local'), its argument (a folder for local)."""

    engine: str
    arg: str | None = None

    @property
    def name(self) -> str:
        """What the job result says made a scene (no folder paths: they are the operator's)."""
        return self.engine


def parse_visuals(spec: str | None, trust: Trust = Trust.OPERATOR) -> tuple[VisualSpec, ...]:
    """The chain, checked; `slides` always ends it (the last resort never fails)."""
    chain: list[VisualSpec] = []
    for part in (spec or "slides").split(","):
        text = part.strip()
        if not text:
            raise InputError(f"visuals {spec!r}: an empty entry")
        engine, _, arg = text.partition(":")
        engine = engine.strip().lower()
        if engine not in ENGINES:
            raise InputError(f"visuals: unknown provider {engine!r} (known: {', '.join(ENGINES)})")
        if engine == "slides":
            if arg:
                raise InputError("visuals: 'slides' takes no argument")
            chain.append(VisualSpec("slides"))
            continue
        if trust is not Trust.OPERATOR:
            raise InputError(CALLER_ONLY_SLIDES)
        if not arg:
            raise InputError("visuals: give a folder: local:DIR")
        folder = Path(arg).expanduser()
        if not folder.is_dir():
            raise InputError(f"visuals: local folder {arg!r} is not a directory")
        chain.append(VisualSpec("local", str(folder.resolve())))
    if chain[-1].engine != "slides":
        chain.append(VisualSpec("slides"))
    return tuple(chain)
