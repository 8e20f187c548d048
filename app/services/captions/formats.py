"""Cues -> SRT, WebVTT and ASS (the last for burning captions with libass)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.services.captions.linebreak import break_lines, text_width
from app.services.captions.timing import CaptionRules
from app.services.models import Cue


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{i}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{c.text}\n" for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = [f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{_vtt_escape(c.text)}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _centiseconds(seconds: float) -> int:
    """ASS has centisecond times. Flooring both ends, here and in `change_points`, puts each caption
    change exactly on a frame boundary: rounding could start a cue just after its frame."""
    return int(seconds * 100 + 1e-6)


def _ass_clock(seconds: float) -> str:
    cs = _centiseconds(seconds)
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6000)
    s, cs = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _ass_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\N")


FontRuns = Callable[[str], Sequence[tuple[str, str]]]


# A bold sans letter's average advance, as a share of the font size (generous: lines must not clip).
GLYPH_WIDTH = 0.6


def burned_line_chars(frame_width: int, margin: int, font_size: int, rules: CaptionRules) -> int:
    """How many characters a burned caption line holds: what the frame's width allows, at most the
    rules' line (42). On 9:16 that is fewer, so burned cues get more, shorter lines."""
    fits = int((frame_width - 2 * margin) / (font_size * GLYPH_WIDTH))
    return max(8, min(rules.max_line_chars, fits))


def burned_lines(cue: Cue, max_chars: int, rules: CaptionRules) -> tuple[str, ...]:
    """The cue's lines, or, if one is wider than `max_chars`, its words broken again into lines that
    fit (the same break judgement as the cue's own lines). The cue's timing never changes."""
    if not cue.words or all(text_width(line, rules.wide) <= max_chars for line in cue.lines):
        return cue.lines
    return tuple(break_lines(cue.words, max_chars, rules.wide))


def to_ass(
    cues: Sequence[Cue],
    size: tuple[int, int],
    font_family: str,
    font_runs: FontRuns | None = None,
    max_line_chars: int | None = None,
    rules: CaptionRules | None = None,
) -> str:
    """An ASS script for burning captions with libass: white text, dark outline, bottom centre.

    libass falls back only to the host's fonts, so `font_runs` (text -> [(piece, family)]) lets the
    caller switch families inside a line (`{\\fnNoto Sans}`) for characters the main font lacks.
    Lines are at most `max_line_chars` (default: what the frame's width holds at the font's size).
    """
    rules = rules or CaptionRules()
    width, height = size
    font_size = round(min(width, height) * 0.05)
    margin_v = round(height * 0.06)
    margin_h = round(width * 0.06)
    max_chars = max_line_chars or burned_line_chars(width, margin_h, font_size, rules)
    outline = max(2, round(font_size * 0.12))
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Default,{font_family},{font_size},&H00FFFFFF,&H00FFFFFF,&H00101010,&H80000000,"
        f"-1,0,0,0,100,100,0,0,1,{outline},0,2,{margin_h},{margin_h},{margin_v},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    events = []
    for c in cues:
        text = _ass_text("\n".join(burned_lines(c, max_chars, rules)), font_family, font_runs)
        events.append(f"Dialogue: 0,{_ass_clock(c.start)},{_ass_clock(c.end)},Default,,0,0,0,,{text}")
    return header + "\n".join(events) + "\n"


def _ass_text(text: str, default_family: str, font_runs: FontRuns | None) -> str:
    if font_runs is None:
        return _ass_escape(text)
    parts = []
    current = default_family
    for piece, family in font_runs(text):
        if family != current:
            parts.append(f"{{\\fn{family}}}")
            current = family
        parts.append(_ass_escape(piece))
    return "".join(parts)


def change_points(cues: Sequence[Cue]) -> list[float]:
    """Times at which burned-in captions (as `to_ass` writes them) change the picture."""
    return sorted({_centiseconds(t) / 100 for c in cues for t in (c.start, c.end)})
