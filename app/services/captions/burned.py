"""Burned captions: styles, their size and place in the frame, and the ASS script libass draws.

Size: a caption's em (the font size as Pillow and CSS mean it) is a share of the frame height, at
least 4.5% upright (9:16: the phone is held upright, the video fills it) and 4.2% on 16:9. libass
sizes a font by its ascender-to-descender height (the OS/2 Windows metrics), a larger number for the
same letters, so the script's `Fontsize` is the em times that ratio of the caption font.

Place: inside the platforms' safe areas. Upright, the bottom 20% is the app's own (account name,
description, progress) and a column on the right holds its buttons: captions stand above the one and
clear of the other. On 16:9 and 1:1 they sit at the bottom, inside the title-safe margin.

Lines: a cue holds up to two lines of 42 characters; the burned type is larger, so its lines are
broken again (shorter: about 20 characters upright) by the same judgement; a cue that then needs
more than two lines shows them two at a time, each pair from when its first word is heard. A line
still wider than the room (one very long word) is drawn smaller, never cut off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.services.captions.linebreak import break_lines, text_width
from app.services.captions.timing import CaptionRules
from app.services.models import Cue, WordTiming

# the caption's em, as a share of the frame height, per frame shape (theme files may scale it)
CAPTION_EM = {"tall": 0.0455, "wide": 0.042, "square": 0.045}
# (left, right, bottom) margins as shares of the width, the width and the height
SAFE_MARGINS = {"tall": (0.05, 0.13, 0.205), "wide": (0.06, 0.06, 0.07), "square": (0.06, 0.06, 0.07)}
AVERAGE_ADVANCE = 0.56  # a bold sans letter's average advance in em (generous: for line lengths)
MAX_LINES = 2  # on screen at once
STYLE_NAMES = ("clean", "boxed", "bold", "karaoke")


@dataclass(frozen=True)
class CaptionStyle:
    """How burned captions look. Colours are ASS's &HAABBGGRR (alpha 00 is opaque)."""

    name: str
    scale: float = 1.0  # of the shape's em
    outline: float = 0.09  # in em: the dark edge that keeps text readable over any picture
    shadow: float = 0.04
    box: bool = False  # an opaque box behind each line instead of an outline
    text: str = "&H00FFFFFF"
    edge: str = "&H00101010"  # the outline, or the box
    back: str = "&H80000000"  # the shadow
    highlight: str | None = None  # karaoke: the colour of the word being spoken


STYLES = {
    "clean": CaptionStyle("clean"),
    "boxed": CaptionStyle("boxed", outline=0.22, shadow=0.0, box=True, edge="&H33000000"),
    "bold": CaptionStyle("bold", scale=1.12, outline=0.15, shadow=0.06),
    "karaoke": CaptionStyle("karaoke", outline=0.13, shadow=0.05, highlight="&H0000E5FF"),
}


def frame_shape(size: tuple[int, int]) -> str:
    width, height = size
    return "wide" if width > height * 1.15 else "tall" if height > width * 1.15 else "square"


@dataclass(frozen=True)
class CaptionBox:
    """Where and how large burned captions are drawn in one frame (script pixels = frame pixels)."""

    width: int
    height: int
    em: float  # pixels
    font_size: int  # ASS Fontsize: the em times the font's ascender-to-descender ratio
    margin_l: int
    margin_r: int
    margin_v: int  # from the bottom edge to the bottom of the last line

    @property
    def room(self) -> int:
        """The widest a line may be, in pixels."""
        return self.width - self.margin_l - self.margin_r

    @classmethod
    def of(
        cls, size: tuple[int, int], style: CaptionStyle, ascent_ratio: float = 1.0, scale: float = 1.0
    ) -> CaptionBox:
        width, height = size
        shape = frame_shape(size)
        em = height * CAPTION_EM[shape] * style.scale * scale
        left, right, bottom = SAFE_MARGINS[shape]
        return cls(
            width,
            height,
            em,
            round(em * ascent_ratio),
            round(width * left),
            round(width * right),
            round(height * bottom),
        )

    def line_chars(self, rules: CaptionRules) -> int:
        """How many characters a line holds at this size: at most the rules' line (42)."""
        return max(8, min(rules.max_line_chars, int(self.room / (self.em * AVERAGE_ADVANCE))))


Measure = Callable[[str, float], float]  # (line, em in pixels) -> its width in pixels


def estimated_width(line: str, em: float) -> float:
    return text_width(line, 1.0 / AVERAGE_ADVANCE) * em * AVERAGE_ADVANCE


@dataclass(frozen=True)
class Event:
    """One burned caption event: its lines on screen from `start` to `end`, a share of the box's
    font size (< 1 when a line is too wide), and the highlighted spans (line, start, end)."""

    start: float
    end: float
    lines: tuple[str, ...]
    size: float = 1.0
    highlight: tuple[tuple[int, int, int], ...] = ()


def burned_lines(cue: Cue, max_chars: int, rules: CaptionRules) -> tuple[str, ...]:
    """The cue's lines, or, if one is wider than `max_chars`, its words broken again into lines that
    fit (the same break judgement as the cue's own lines). The cue's timing never changes."""
    if not cue.words or all(text_width(line, rules.wide) <= max_chars for line in cue.lines):
        return cue.lines
    return tuple(break_lines(cue.words, max_chars, rules.wide))


def _locate(words: Sequence[WordTiming], lines: Sequence[str]) -> list[list[tuple[int, int, int]]]:
    """Where each word is drawn: spans (line, start, end), found in order (a long word's pieces may
    run across lines); [] for a word not found."""
    flat = "".join(lines)
    where = [(k, i) for k, line in enumerate(lines) for i in range(len(line))]
    out: list[list[tuple[int, int, int]]] = []
    cursor = 0
    for word in words:
        at = flat.find(word.text, cursor) if word.text else -1
        if at < 0:
            out.append([])
            continue
        cursor = at + len(word.text)
        spans: dict[int, tuple[int, int]] = {}
        for k, i in where[at:cursor]:
            first, _ = spans.get(k, (i, i))
            spans[k] = (first, i + 1)
        out.append([(k, a, b) for k, (a, b) in spans.items()])
    return out


def cue_events(
    cue: Cue,
    box: CaptionBox,
    style: CaptionStyle,
    rules: CaptionRules,
    measure: Measure | None = None,
    max_chars: int | None = None,
) -> list[Event]:
    """A cue's events: its lines two at a time (each pair from its first word), and in karaoke one
    event per word, that word highlighted. Lines hold `max_chars` (default: what the box holds)."""
    lines = burned_lines(cue, max_chars or box.line_chars(rules), rules)
    spans = _locate(cue.words, lines)
    measure = measure or estimated_width
    events: list[Event] = []
    pairs = [range(k, min(k + MAX_LINES, len(lines))) for k in range(0, len(lines), MAX_LINES)]

    def starts_in(pair: range) -> list[int]:
        return [n for n, s in enumerate(spans) if s and s[0][0] in pair]

    firsts = [starts_in(pair) for pair in pairs]
    begins = [cue.start] + [
        cue.words[f[0]].start if f else cue.start + (cue.end - cue.start) * k / len(pairs)
        for k, f in enumerate(firsts[1:], 1)
    ]
    for k, pair in enumerate(pairs):
        start, end = max(cue.start, begins[k]), begins[k + 1] if k + 1 < len(pairs) else cue.end
        shown = tuple(lines[n] for n in pair)
        widest = max((measure(line, box.em) for line in shown), default=0.0)
        size = min(1.0, box.room / widest) if widest > 0 else 1.0
        if style.highlight is None or not firsts[k]:
            events.append(Event(start, end, shown, size))
            continue
        words = firsts[k]
        times = [start] + [min(end, max(start, cue.words[n].start)) for n in words[1:]] + [end]
        for j, n in enumerate(words):
            local = tuple((line - pair.start, a, b) for line, a, b in spans[n] if line in pair)
            events.append(Event(times[j], times[j + 1], shown, size, local))
    return [e for e in events if e.end > e.start]
