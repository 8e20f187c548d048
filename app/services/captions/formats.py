"""Cues -> SRT, WebVTT and ASS (the last for burning captions with libass)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


def to_ass(
    cues: Sequence[Cue], size: tuple[int, int], font_family: str, font_runs: FontRuns | None = None
) -> str:
    """An ASS script for burning captions with libass: white text, dark outline, bottom centre.

    libass falls back only to the host's fonts, so `font_runs` (text -> [(piece, family)]) lets the
    caller switch families inside a line (`{\\fnNoto Sans}`) for characters the main font lacks.
    """
    width, height = size
    font_size = round(min(width, height) * 0.05)
    margin_v = round(height * 0.06)
    margin_h = round(width * 0.06)
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
    events = [
        f"Dialogue: 0,{_ass_clock(c.start)},{_ass_clock(c.end)},Default,,0,0,0,,"
        f"{_ass_text(c.text, font_family, font_runs)}"
        for c in cues
    ]
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
