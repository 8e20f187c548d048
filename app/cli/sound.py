"""The sound flags of `t2v render` and `t2v submit` (issue 14): loudness, room tone, music."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

LoudnessOption = Annotated[
    float | None,
    typer.Option(metavar="LUFS", help="Integrated loudness of the output: -16 (default), -14, -23..."),
]
RoomToneOption = Annotated[
    bool, typer.Option("--room-tone", help="Quiet room tone between words instead of digital silence.")
]
MusicOption = Annotated[
    str | None,
    typer.Option(
        metavar="FILE|DIR",
        help="Background music ducked under the voice: an MP3/WAV/OGG/FLAC/M4A file, or a folder "
        "(one track picked by --music-seed, or all in turn with --music-playlist).",
    ),
]
MusicLevelOption = Annotated[
    float | None, typer.Option(metavar="LU", help="Music bed, in LU below the speech (default 18).")
]
MusicPlaylistOption = Annotated[
    bool, typer.Option("--music-playlist", help="A music folder's tracks in turn, changing at scene ends.")
]
MusicSeedOption = Annotated[
    int | None, typer.Option(metavar="N", help="Which track(s) of a music folder (default: from the text).")
]
MaxMusicSizeOption = Annotated[
    int | None, typer.Option(metavar="BYTES", help="Largest music file (default 100 MB), refused by size.")
]


@dataclass(frozen=True)
class SoundFlags:
    """The sound flags of `render` and `submit` that are not settings."""

    room_tone: bool = False
    music: str | None = None
    music_level: float | None = None
    music_playlist: bool = False
    music_seed: int | None = None
    max_music_size: int | None = None

    def options(self) -> dict[str, object]:
        """As render options: a music path made absolute (a job may run in another directory)."""
        music = self.music
        if music and Path(music).expanduser().exists():
            music = str(Path(music).expanduser().resolve())
        return {
            "room_tone": self.room_tone,
            "music": music,
            "music_level": self.music_level,
            "music_playlist": self.music_playlist,
            "music_seed": self.music_seed,
            "max_music_bytes": self.max_music_size,
        }
