"""Cues -> SRT, WebVTT and ASS (the last for burning captions with libass, in a `burned` style)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.services.captions.burned import STYLES, CaptionBox, CaptionStyle, Event, Measure, cue_events
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


# text -> [(piece, family)] or [(piece, family, scale)]: scale (1.0 = as the style's font) sets a
# fallback family's glyphs to the caption font's em (libass sizes a font by its ascent + descent)
FontRuns = Callable[[str], Sequence[tuple[str, str] | tuple[str, str, float]]]
SAMPLE = "Most people watch short videos with the sound off, so captions carry the message."


def to_ass(
    cues: Sequence[Cue],
    size: tuple[int, int],
    font_family: str,
    font_runs: FontRuns | None = None,
    max_line_chars: int | None = None,
    rules: CaptionRules | None = None,
    *,
    style: str = "clean",
    ascent_ratio: float = 1.0,
    scale: float = 1.0,
    measure: Measure | None = None,
) -> str:
    """An ASS script for burning captions with libass in a caption `style` (see `burned`).

    libass falls back only to the host's fonts, so `font_runs` (text -> [(piece, family)]) lets the
    caller switch families inside a line (`{\\fnNoto Sans}`) for characters the main font lacks.
    `ascent_ratio` is the caption font's ascender-to-descender height in em (libass's size unit),
    `scale` a theme's size factor, `measure` a line's width in pixels at an em (else estimated).
    """
    rules = rules or CaptionRules()
    look = STYLES[style]
    box = CaptionBox.of(size, look, ascent_ratio, scale)
    edge = max(1, round(box.em * look.outline))
    shadow = round(box.em * look.shadow)
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {box.width}\nPlayResY: {box.height}\nYCbCr Matrix: TV.709\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Default,{font_family},{box.font_size},{look.text},{look.text},{look.edge},{look.back},"
        f"-1,0,0,0,100,100,0,0,{3 if look.box else 1},{edge},{shadow},2,"
        # Encoding -1: libass takes each line's direction from its first strong letter (1: always
        # left to right, which put an Arabic or Hebrew line's final full stop at its right end)
        f"{box.margin_l},{box.margin_r},{box.margin_v},-1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    max_chars = max_line_chars
    if max_chars is None and measure is not None:  # the caption font's own average letter
        advance = measure(SAMPLE, box.em) / len(SAMPLE) / box.em
        max_chars = max(8, min(rules.max_line_chars, int(box.room / (box.em * advance))))
    lines = []
    for cue in cues:
        for e in cue_events(cue, box, look, rules, measure, max_chars):
            if _centiseconds(e.start) >= _centiseconds(e.end):
                continue
            text = _event_text(e, look, font_family, font_runs)
            if e.size < 1.0:
                text = f"{{\\fs{max(1, int(box.font_size * e.size))}}}" + text
            lines.append(f"Dialogue: 0,{_ass_clock(e.start)},{_ass_clock(e.end)},Default,,0,0,0,,{text}")
    return header + "\n".join(lines) + "\n"


def _event_text(e: Event, look: CaptionStyle, family: str, font_runs: FontRuns | None) -> str:
    out = []
    for k, line in enumerate(e.lines):
        cuts = sorted((a, b) for n, a, b in e.highlight if n == k)
        pos, parts = 0, []
        for a, b in cuts:
            parts.append(_ass_text(line[pos:a], family, font_runs))
            parts.append(f"{{\\1c{look.highlight}&}}" + _ass_text(line[a:b], family, font_runs))
            parts.append(f"{{\\1c{look.text}&}}")
            pos = b
        parts.append(_ass_text(line[pos:], family, font_runs))
        out.append("".join(parts))
    return "\\N".join(out)


def _ass_text(text: str, default_family: str, font_runs: FontRuns | None) -> str:
    """Escaped text, switching font families where the main one lacks a character (and back)."""
    if font_runs is None or not text:
        return _ass_escape(text)
    parts = []
    current = (default_family, 1.0)
    for run in font_runs(text):
        piece, family = run[0], run[1]
        scale = run[2] if len(run) > 2 else 1.0
        if (family, scale) != current:
            parts.append(_switch(family, scale, current[1]))
            current = (family, scale)
        parts.append(_ass_escape(piece))
    if current != (default_family, 1.0):
        parts.append(_switch(default_family, 1.0, current[1]))
    return "".join(parts)


def _switch(family: str, scale: float, was: float) -> str:
    size = "" if scale == was else f"\\fscx{round(scale * 100)}\\fscy{round(scale * 100)}"
    return f"{{\\fn{family}{size}}}"


def change_points(cues: Sequence[Cue]) -> list[float]:
    """Times at which burned-in captions (as `to_ass` writes them) change the picture."""
    return sorted({_centiseconds(t) / 100 for c in cues for t in (c.start, c.end)})


def ass_change_points(ass: str) -> list[float]:
    """Times at which the events of an ASS script (as `to_ass` writes them: every style, the pairs
    of a long cue, each karaoke word) change the picture."""
    points: set[float] = set()
    for line in ass.splitlines():
        if line.startswith("Dialogue:"):
            for clock in line.split(",", 3)[1:3]:
                h, m, rest = clock.strip().split(":")
                s, cs = rest.split(".")
                points.add((int(h) * 360_000 + int(m) * 6000 + int(s) * 100 + int(cs)) / 100)
    return sorted(points)
