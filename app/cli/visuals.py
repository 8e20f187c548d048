"""The picture flags of `render` and `submit` (issue 18): `--visuals SPEC[,SPEC...]` (picture
providers), and the `--motion` and `--transition` of `motion`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.flags import FlagGroup
from app.cli.motion import MotionOption, TransitionOption

if TYPE_CHECKING:
    from app.config import Settings

VisualsOption = Annotated[
    str | None,
    typer.Option(
        "--visuals",
        metavar="SPEC[,SPEC...]",
        help="Where scene pictures come from, in failover order: slides (default), local:DIR "
        "(your pictures and clips, matched by file name or in order), pexels, pixabay (photos), "
        "pexels-video, pixabay-video (clips), openai-images:MODEL. Code and table scenes stay slides.",
    ),
]


CreditsOption = Annotated[
    bool | None,
    typer.Option(
        "--credits/--no-credits",
        help="End with a card crediting the stock photos' and clips' authors (default: T2V_CREDITS, off).",
    ),
]


@dataclass(frozen=True)
class PictureFlags(FlagGroup):
    """Where the scenes' pictures come from and how they move (validated by parse_render_options)."""

    visuals: VisualsOption = None
    motion: MotionOption = None
    transition: TransitionOption = None
    credits: CreditsOption = None

    def options(self, settings: Settings) -> dict[str, object]:
        return {
            "visuals": self.visuals,
            "motion": self.motion or settings.motion,
            "transition": self.transition or settings.transition,
            "credits": settings.credits if self.credits is None else self.credits,
        }
