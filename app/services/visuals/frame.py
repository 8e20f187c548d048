"""The frame a slide is composed for: its shape (wide 16:9, tall 9:16, square 1:1), the safe area
content stays in, and the type sizes, largest and smallest, for that shape.

Sizes are fractions of the frame's height, chosen for a phone: a 9:16 video fills a phone held
upright, so its body text never goes below 3.5% of the height (67 px at 1080x1920, about the size of
a phone's own body text); a 16:9 video is watched turned sideways, at about half that scale per pixel.
Below the floor a scene does not fit: the planner splits it into continuation slides.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.visuals.model import Box
from app.services.visuals.themes import MIN_MARGIN, Theme

# with burned captions: the bottom of the frame is theirs (and, upright, the buttons' column); upright
# they stand above the phone app's own bottom 20%, two lines of large type (captions.CaptionBox)
CAPTION_RESERVE = {"wide": 0.21, "square": 0.22, "tall": 0.36}
BUTTONS_COLUMN = 0.12  # of a 9:16 frame's width, on the right: where phone apps put their buttons


@dataclass(frozen=True)
class TypeScale:
    """Font sizes as fractions of the frame height: (largest, floor) per role."""

    body: tuple[float, float]
    title: tuple[float, float]
    code: tuple[float, float]  # code and table cells: denser, a lower floor
    hero: float  # the largest size of a title card's title or a statement


SCALES = {
    "wide": TypeScale(body=(0.062, 0.034), title=(0.088, 0.05), code=(0.046, 0.026), hero=0.13),
    "square": TypeScale(body=(0.064, 0.042), title=(0.086, 0.054), code=(0.048, 0.03), hero=0.12),
    "tall": TypeScale(body=(0.046, 0.035), title=(0.058, 0.042), code=(0.036, 0.024), hero=0.075),
}
ABSOLUTE_MIN = 0.3  # of the floor: below it, even a scene that does not fit is cut (absurd input)


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    shape: str  # wide, tall, square
    safe: Box
    scale: TypeScale

    @property
    def short(self) -> int:
        return min(self.width, self.height)

    @property
    def left(self) -> int:
        return self.safe[0]

    @property
    def top(self) -> int:
        return self.safe[1]

    @property
    def right(self) -> int:
        return self.safe[2]

    @property
    def bottom(self) -> int:
        return self.safe[3]

    @property
    def column(self) -> int:
        return self.right - self.left

    @property
    def card_sizes(self) -> tuple[float, float]:
        """A table's cards' (largest, floor). Upright, cards are table cells like a grid's: code's
        floor (46 px at 1080x1920, a phone's own body text); at body size a slide would hold one
        card and leave most of the screen empty."""
        body = self.scale.body
        return (body[0], self.scale.code[1] if self.shape == "tall" else body[1])

    def px(self, fraction: float) -> int:
        """A length given as a fraction of the frame height."""
        return max(1, round(self.height * fraction))


def shape_of(size: tuple[int, int]) -> str:
    width, height = size
    if width > height * 1.15:
        return "wide"
    if height > width * 1.15:
        return "tall"
    return "square"


def make_frame(size: tuple[int, int], theme: Theme, captions_burned: bool = False) -> Frame:
    width, height = size
    shape = shape_of(size)
    margin = max(MIN_MARGIN, theme.margin)
    left, right = round(width * margin), width - round(width * margin)
    top, bottom = round(height * margin), height - round(height * margin)
    if shape == "tall":  # upright: the sides are what the phone's edges crowd, keep them generous
        top = round(height * max(margin, 0.06))
    if captions_burned:
        bottom = min(bottom, height - round(height * CAPTION_RESERVE[shape]))
        if shape == "tall":
            right = min(right, width - round(width * BUTTONS_COLUMN))
    return Frame(width, height, shape, (left, top, right, bottom), SCALES[shape])
