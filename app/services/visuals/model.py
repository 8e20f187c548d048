"""What a slide layout is: every line, run, box and picture that will be drawn, in frame pixels.

A test checks a layout (which font draws which character, that nothing leaves the safe area, that
nothing overlaps, that every item's text is there) without looking at pixels; `drawing` paints it.
Two layers: the `Backdrop` (gradient, decorations, a full-bleed picture, the logo) may span the frame;
everything else (`lines`, `shapes`, `pictures`) is content and stays inside the 5% margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.services.visuals.themes import RGB, Theme

# The scrim under words on a photo (full_image's band): it fades in over SCRIM_FADE of the frame's
# height above the band and is at SCRIM_DARK from the band's top down: a white photo under it becomes
# ~#474747, on which white text has a contrast of ~9:1 (WCAG asks 4.5:1).
SCRIM_FADE = 0.12
SCRIM_DARK = 0.72

Box = tuple[int, int, int, int]  # left, top, right, bottom in frame pixels


@dataclass(frozen=True)
class DrawnRun:
    """Text drawn with one font at `origin` (left, baseline).

    `box` is where it lands in frame pixels: across its advance, from the top to the bottom of its ink.
    `rtl`: the run reads right to left (Arabic, Hebrew): raqm shapes it and orders its characters so.
    """

    text: str
    font: Path
    size: int
    weight: int
    origin: tuple[int, int]
    box: Box
    fill: RGB
    rtl: bool = False


@dataclass(frozen=True)
class TextLine:
    """One line of the slide.

    `role`: title, subtitle, byline, part, statement, paragraph, bullet, marker, context (a dimmed
    neighbour sentence), quote, attribution, caption, cell, header, code, gutter. `item` is the index
    of the scene item (or table row) the line belongs to, so a test can find the spoken one.
    """

    role: str
    text: str
    runs: tuple[DrawnRun, ...]
    box: Box  # union of its runs' boxes (its font's ascent/descent when it has no ink)
    item: int | None = None


@dataclass(frozen=True)
class Shape:
    """A filled (rounded) rectangle or ellipse.

    Kinds: "bar" (accent rule), "highlight" (behind the spoken item), "focus" (the spoken item's
    accent bar), "panel" (code), "header"/"row" (table), "pill" (inline code), "band" (a caption band).
    """

    kind: str
    box: Box
    fill: RGB
    outline: RGB | None = None
    radius: int = 0
    alpha: float = 1.0
    item: int | None = None


# A full-bleed picture is cropped to cover the frame only if the crop keeps at least this share of
# it; below (a wide diagram on 9:16: cover would show its middle sixth), it is shown whole, "blurred".
COVER_MIN_KEPT = 0.5
GRAPHIC_MIN_KEPT = 0.95  # a diagram or screenshot (labels at its edges) is cropped only a little
GRAPHIC_MAX_COLOURS = 1024  # distinct colours in a 64x64 thumbnail below which a picture is a graphic


@dataclass(frozen=True)
class Picture:
    """An image drawn into `box`: "contain" fits it whole, "cover" fills the box and crops, "blurred"
    fits it whole over a blurred, darkened cover of itself (a wide diagram on a phone frame)."""

    path: Path
    box: Box
    fit: str = "contain"
    radius: int = 0


@dataclass(frozen=True)
class Decoration:
    """A backdrop shape: "circle", "ring", "band" (a diagonal stripe), "dots", "corner"."""

    kind: str
    box: Box
    fill: RGB
    alpha: float


@dataclass(frozen=True)
class Backdrop:
    """Behind the content: a dithered gradient (angle in degrees), decorations, maybe a picture."""

    colors: tuple[RGB, RGB]
    angle: int
    decorations: tuple[Decoration, ...] = ()
    picture: Picture | None = None  # full-bleed (full_image, picture, a theme's background image)
    dim: float = 0.0  # how much the gradient covers `picture`
    shade: tuple[int, int] | None = None  # (top, bottom) rows darkened under a caption band


@dataclass(frozen=True)
class SlideLayout:
    size: tuple[int, int]
    theme: Theme
    layout: str
    backdrop: Backdrop
    lines: tuple[TextLine, ...]
    shapes: tuple[Shape, ...]
    pictures: tuple[Picture, ...]
    safe: Box  # the content area: margins, and the captions' room when they are burned
    title_size: int | None
    body_size: int | None
    fits: bool  # the content fits at or above the type floor (False: split the scene)
    truncated: bool = False  # last resort: text cut with an ellipsis (only absurd input gets here)
    logo: Picture | None = None

    @property
    def runs(self) -> tuple[DrawnRun, ...]:
        return tuple(run for line in self.lines for run in line.runs)

    def glyphs(self) -> list[tuple[str, Path]]:
        """Every visible character drawn and the font file that draws it."""
        return [(ch, run.font) for run in self.runs for ch in run.text if not ch.isspace()]

    def content_boxes(self) -> list[tuple[str, Box]]:
        """Every box of content (text ink, shapes, pictures), each with what it is."""
        out = [(f"text {line.role} {line.text[:30]!r}", line.box) for line in self.lines]
        out += [(f"shape {s.kind}", s.box) for s in self.shapes]
        out += [(f"picture {p.path.name}", p.box) for p in self.pictures]
        if self.logo is not None:
            out.append(("logo", self.logo.box))
        return out

    def text_of(self, item: int) -> str:
        return " ".join(line.text for line in self.lines if line.item == item)
