"""`--visuals SPEC[,SPEC...]`: picture providers (issue 18), shared by render and submit."""

from __future__ import annotations

from typing import Annotated

import typer

VisualsOption = Annotated[
    str | None,
    typer.Option(
        "--visuals",
        metavar="SPEC[,SPEC...]",
        help="Where scene pictures come from, in failover order: slides (default), local:DIR "
        "(your pictures, matched by file name or in order). Code and table scenes stay slides.",
    ),
]


def visuals_flags(visuals: str | None) -> dict[str, object]:
    """`--visuals` as a render option (validated by options.parse_render_options)."""
    return {"visuals": visuals}
