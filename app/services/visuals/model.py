"""What a slide layout is: every line, run, font and box that will be drawn, in frame pixels.

A test checks a layout (which font draws which character, that nothing leaves the frame) without
looking at pixels; `drawing` turns it into an image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.services.visuals.themes import RGB, Theme

Box = tuple[int, int, int, int]  # left, top, right, bottom in frame pixels


@dataclass(frozen=True)
class DrawnRun:
    """Text drawn with one font at `origin` (left, baseline).

    `box` is where it lands in frame pixels: across its advance, from the top to the bottom of its ink.
    """

    text: str
    font: Path
    size: int
    weight: int
    origin: tuple[int, int]
    box: Box
    fill: RGB


@dataclass(frozen=True)
class TextLine:
    """One line of the slide; `role` is "title", "paragraph", "bullet" or "code"."""

    role: str
    text: str
    runs: tuple[DrawnRun, ...]
    box: Box  # union of its runs' boxes (its font's ascent/descent when it has no ink)


@dataclass(frozen=True)
class Shape:
    """A filled rounded rectangle: "bar" (the accent under a title) or "panel" (behind code)."""

    kind: str
    box: Box
    fill: RGB
    outline: RGB | None = None
    radius: int = 0


@dataclass(frozen=True)
class SlideLayout:
    size: tuple[int, int]
    theme: Theme
    lines: tuple[TextLine, ...]
    shapes: tuple[Shape, ...]
    title_size: int | None
    body_size: int | None
    truncated: bool  # some body (or title) text did not fit and was cut with an ellipsis

    @property
    def runs(self) -> tuple[DrawnRun, ...]:
        return tuple(run for line in self.lines for run in line.runs)

    def glyphs(self) -> list[tuple[str, Path]]:
        """Every visible character drawn and the font file that draws it."""
        return [(ch, run.font) for run in self.runs for ch in run.text if not ch.isspace()]
