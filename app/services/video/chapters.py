"""Chapters at scene titles: marks inside the MP4/M4A (players list them) and the `0:00 Title` lines
that YouTube reads from a video's description (`.chapters.txt` beside the video)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    start: float  # seconds
    title: str


def scene_chapters(titles: Sequence[str | None], starts: Sequence[float], first: str) -> list[Chapter]:
    """A chapter where a scene's title changes; scenes without a title (a long section's later
    scenes) stay in the chapter before. The first chapter starts at 0:00 (`first` names it when the
    first scene has no title), as YouTube requires."""
    chapters: list[Chapter] = []
    for title, start in zip(titles, starts, strict=True):
        name = " ".join((title or "").split())
        if not chapters:
            chapters.append(Chapter(0.0, name or first))
        elif name and name != chapters[-1].title:
            chapters.append(Chapter(start, name))
    return chapters


def _escape(value: str) -> str:
    for ch in ("\\", "=", ";", "#", "\n"):
        value = value.replace(ch, "\\" + ch)
    return value


def ffmetadata(chapters: Sequence[Chapter], duration: float) -> str:
    """The chapters in ffmpeg's metadata format (read with `-map_chapters`), in milliseconds."""
    lines = [";FFMETADATA1"]
    ends = [c.start for c in chapters[1:]] + [duration]
    for chapter, end in zip(chapters, ends, strict=True):
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(chapter.start * 1000)}",
            f"END={max(round(chapter.start * 1000) + 1, round(end * 1000))}",
            f"title={_escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def _stamp(seconds: float) -> str:
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def chapters_text(chapters: Sequence[Chapter]) -> str:
    """One `0:00 Title` line per chapter (`1:02:03 Title` past an hour), for a video's description."""
    return "".join(f"{_stamp(c.start)} {c.title}\n" for c in chapters)


def chapters_path(video: Path) -> Path:
    """The `0:00 Title` list beside a video (for its YouTube description)."""
    return video.with_suffix(".chapters.txt")


def write_chapters(
    titles: Sequence[str | None], starts: Sequence[float], first: str, duration: float, workdir: Path
) -> tuple[Path, Path]:
    """A render's chapters at its scene titles: the marks for the mux (ffmetadata) and the list."""
    chapters = scene_chapters(titles, starts, first)
    marks, listing = workdir / "chapters.ffmeta", workdir / "chapters.txt"
    marks.write_text(ffmetadata(chapters, duration), encoding="utf-8")
    listing.write_text(chapters_text(chapters), encoding="utf-8")
    return marks, listing
