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


def chapter_marks(chapters: Sequence[Chapter], duration: float) -> list[tuple[int, int, str]]:
    """The chapters as the MP4 holds them: (start, end) in milliseconds and the title; each ends where
    the next starts (the last at `duration`), and lasts at least 1 ms."""
    marks = []
    for n, chapter in enumerate(chapters):
        end = chapters[n + 1].start if n + 1 < len(chapters) else duration
        start = round(chapter.start * 1000)
        marks.append((start, max(start + 1, round(end * 1000)), chapter.title))
    return marks


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
    titles: Sequence[str | None], starts: Sequence[float], first: str, workdir: Path
) -> tuple[list[Chapter], Path]:
    """A render's chapters at its scene titles (for the mux: `chapter_marks`) and their list."""
    chapters = scene_chapters(titles, starts, first)
    listing = workdir / "chapters.txt"
    listing.write_text(chapters_text(chapters), encoding="utf-8")
    return chapters, listing
