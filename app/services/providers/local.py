"""`local:DIR`: the user's own pictures and video clips, matched to scenes by file name, else in
order."""

from __future__ import annotations

from pathlib import Path

from app.services.providers.clips import CLIP_SUFFIXES
from app.services.providers.keywords import name_words

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", *CLIP_SUFFIXES)  # clips: moving backgrounds


class LocalPictures:
    """One folder's pictures for one render: each used at most once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.free = sorted(
            (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PICTURE_SUFFIXES),
            key=lambda p: p.name,
        )

    def assign(self, wanted: list[list[str] | None]) -> list[Path | None]:
        """A picture per scene (None: not asked for, or the folder is used up). First each scene gets
        the free picture whose name shares most words with its keywords, then the scenes left get the
        remaining pictures in name order."""
        chosen: list[Path | None] = [None] * len(wanted)
        for i, keywords in enumerate(wanted):
            if keywords is None or not self.free:
                continue
            words = set(keywords)
            best = max(self.free, key=lambda p: len(name_words(p.stem) & words))
            if name_words(best.stem) & words:
                chosen[i] = best
                self.free.remove(best)
        for i, keywords in enumerate(wanted):
            if keywords is not None and chosen[i] is None and self.free:
                chosen[i] = self.free.pop(0)
        return chosen
