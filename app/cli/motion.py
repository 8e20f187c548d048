"""The `--motion` flag: `none`, `photos` or `all`, and a bare `--motion` (the first, a switch) = `all`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

MODES = ("none", "photos", "all")

MotionOption = Annotated[
    str | None,
    typer.Option(
        "--motion",
        help="Slow sub-pixel pan and zoom: none, photos (full-frame pictures; the default) or all. "
        "A bare --motion means all.",
    ),
]

TransitionOption = Annotated[
    str | None,
    typer.Option(help="Between scenes: none (the default), fade (through black), crossfade, slide or wipe."),
]


def bare_motion(argv: Sequence[str]) -> list[str]:
    """Click options take a value or none, not both: a `--motion` not followed by a mode means all."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--motion" and (i + 1 == len(out) or out[i + 1] not in MODES):
            out[i] = "--motion=all"
    return out
