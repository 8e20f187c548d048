"""The sound flags of `t2v render` and `t2v submit` (issue 14): pauses, loudness, room tone, music."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.flags import FlagGroup
from app.config import setting_default

if TYPE_CHECKING:
    from app.config import Settings


def _pause_option(flag: str, setting: str, what: str) -> Any:
    return typer.Option(
        flag, metavar="SECONDS", help=f"Silence {what} (default {setting_default(setting)} s; 0-10)."
    )


# pauses: from where one sound stops to where the next starts
PauseSentenceOption = Annotated[
    float | None, _pause_option("--pause-sentence", "pause_sentence", "after a sentence")
]
PauseParagraphOption = Annotated[
    float | None, _pause_option("--pause-paragraph", "pause_paragraph", "after a paragraph or list item")
]
PauseHeadingOption = Annotated[
    float | None, _pause_option("--pause-heading", "pause_heading", "after a heading read aloud")
]
PauseSceneOption = Annotated[float | None, _pause_option("--pause-scene", "pause_scene", "between scenes")]
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


# the flags that are settings too (T2V_PAUSE_SCENE, T2V_LOUDNESS, ...), of one name in both
SOUND_SETTINGS = ("pause_sentence", "pause_paragraph", "pause_heading", "pause_scene", "loudness")


@dataclass(frozen=True)
class SoundFlags(FlagGroup):
    """The sound flags of `render` and `submit`: the pauses and the loudness are settings too."""

    pause_sentence: PauseSentenceOption = None
    pause_paragraph: PauseParagraphOption = None
    pause_heading: PauseHeadingOption = None
    pause_scene: PauseSceneOption = None
    loudness: LoudnessOption = None
    room_tone: RoomToneOption = False
    music: MusicOption = None
    music_level: MusicLevelOption = None
    music_playlist: MusicPlaylistOption = False
    music_seed: MusicSeedOption = None
    max_music_size: MaxMusicSizeOption = None

    def settings(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in SOUND_SETTINGS}

    def options(self, settings: Settings) -> dict[str, object]:
        """As render options: a music path made absolute (a job may run in another directory)."""
        music = self.music
        if music and Path(music).expanduser().exists():
            music = str(Path(music).expanduser().resolve())
        return {
            **{name: getattr(settings, name) for name in SOUND_SETTINGS},
            "room_tone": self.room_tone,
            "music": music,
            "music_level": self.music_level,
            "music_playlist": self.music_playlist,
            "music_seed": self.music_seed,
            "max_music_bytes": self.max_music_size,
        }
