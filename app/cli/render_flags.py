"""The flag groups of the commands that describe a render (`render`, `submit`, `plan`) and have no
module of their own: the voice, the frame, the delivery and the document's images; and
`render_options`, which joins the parts of every group into the render options.

The other groups stand beside what they are about: `SoundFlags` (sound), `PictureFlags` (visuals),
`DocumentFlags` and `DocumentLimitFlags` (documents), `StoryFlags` and `TopicFlags` (story).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.documents import DocumentFlags
from app.cli.flags import FlagGroup
from app.cli.sound import SoundFlags
from app.cli.story import StoryFlags
from app.cli.visuals import PictureFlags
from app.config import setting_default

if TYPE_CHECKING:
    from app.config import Settings

VoiceOption = Annotated[
    str | None, typer.Option(help="ENGINE:VOICE, e.g. espeak:vi or espeak:en-us (default: detected).")
]
RateOption = Annotated[
    int | None, typer.Option(help=f"Speaking rate in words per minute (default {setting_default('rate')}).")
]
LexiconOption = Annotated[
    Path | None,
    typer.Option(
        "--lexicon",
        metavar="FILE",
        help="What the voice says for words and patterns: a TOML file (\\[vi], \\[en], \\[all] tables).",
    ),
]


def read_lexicon(path: Path | None) -> str | None:
    """The lexicon file's text, checked (an `InputError` naming the file and the entry); the text
    travels in the options, so a queued job needs no file."""
    if path is None:
        return None
    from app.services.planning import Lexicon

    Lexicon.load(path)
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class VoiceFlags(FlagGroup):
    """Who speaks, how fast, and what is said for which words."""

    voice: VoiceOption = None
    rate: RateOption = None
    lexicon: LexiconOption = None

    def settings(self) -> dict[str, object]:
        return {"voice": self.voice, "rate": self.rate}

    def options(self, settings: Settings) -> dict[str, object]:
        return {"voice": settings.voice, "rate": settings.rate, "lexicon": read_lexicon(self.lexicon)}


AspectOption = Annotated[str | None, typer.Option(help="16:9, 9:16 or 1:1.")]
ResolutionOption = Annotated[int | None, typer.Option(help="720 or 1080 (the short side).")]
BurnOption = Annotated[
    bool | None,
    typer.Option("--burn-captions/--no-burn-captions", help="Draw captions into the picture (default: no)."),
]
PresetOption = Annotated[
    str | None,
    typer.Option(help="youtube, shorts, tiktok, reels, web or archive: a set of options (flags given win)."),
]
ThemeOption = Annotated[
    str | None,
    typer.Option(help="Slide theme: dark, light, paper, bold, or a theme file (.toml). Default dark."),
]


@dataclass(frozen=True)
class FrameFlags(FlagGroup):
    """The frame and what is drawn on it; a preset (issue 14.6) is a set of options for a platform."""

    aspect: AspectOption = None
    resolution: ResolutionOption = None
    burn_captions: BurnOption = None
    preset: PresetOption = None
    theme: ThemeOption = None

    def settings(self) -> dict[str, object]:
        return {"aspect": self.aspect, "resolution": self.resolution, "theme": self.theme}

    def options(self, settings: Settings) -> dict[str, object]:
        # with a preset, the settings' aspect and resolution give way to the preset's; flags given still win
        return {
            "aspect": None if self.preset and self.aspect is None else settings.aspect,
            "resolution": None if self.preset and self.resolution is None else settings.resolution,
            "burn_captions": self.burn_captions,
            "preset": self.preset,
            "theme": settings.theme,
        }


FpsOption = Annotated[
    int | None, typer.Option(help="Constant frame rate (24, 25, 30, 50, 60); default: variable.")
]
QualityOption = Annotated[str | None, typer.Option(help="standard or high (a higher bitrate).")]
KeyframeOption = Annotated[
    float | None,
    typer.Option(
        "--keyframe-interval",
        metavar="SECONDS",
        help="Longest time between keyframes (default: 10 s and every scene; presets: 2 s).",
    ),
]
AudioOnlyOption = Annotated[
    bool, typer.Option("--audio-only", help="Write the narration alone: an M4A with chapters.")
]
CaptionStyleOption = Annotated[
    str | None,
    typer.Option(help="Burned captions: clean, boxed, bold or karaoke (the spoken word lit). Default clean."),
]


@dataclass(frozen=True)
class DeliveryFlags(FlagGroup):
    """How the video is encoded and delivered (issue 14.6): frame rate, quality, keyframes, audio
    alone, the burned captions' style."""

    fps: FpsOption = None
    quality: QualityOption = None
    keyframe_interval: KeyframeOption = None
    audio_only: AudioOnlyOption = False
    caption_style: CaptionStyleOption = None

    def options(self, settings: Settings) -> dict[str, object]:
        return {
            "fps": self.fps,
            "quality": self.quality,
            "keyframe_interval": self.keyframe_interval,
            "audio_only": self.audio_only,
            "caption_style": self.caption_style,
        }


AssetsRootOption = Annotated[
    Path | None,
    typer.Option(
        "--assets-root",
        metavar="DIR",
        help="Folder local images come from (default: the document's folder; needed for stdin).",
    ),
]
AllowRemoteImagesOption = Annotated[
    bool,
    typer.Option("--allow-remote-images", help="Fetch http(s) images (public addresses only)."),
]
SkipMissingImagesOption = Annotated[
    bool,
    typer.Option(
        "--skip-missing-images", help="Show a placeholder (and warn) for an image that cannot be used."
    ),
]


@dataclass(frozen=True)
class ImageFlags(FlagGroup):
    """Where the document's images may come from (issue 13)."""

    assets_root: AssetsRootOption = None
    allow_remote_images: AllowRemoteImagesOption = False
    skip_missing_images: SkipMissingImagesOption = False

    def rooted(self, folder: Path | None) -> ImageFlags:
        """With `folder` as the images' root unless one was given (a queued job has no document folder)."""
        return replace(self, assets_root=self.assets_root or folder)

    def settings(self) -> dict[str, object]:
        return {"allow_remote_images": self.allow_remote_images or None}

    def options(self, settings: Settings) -> dict[str, object]:
        """As render options: the folder made absolute (a job may run in another directory)."""
        return {
            "assets_root": str(self.assets_root.expanduser().resolve()) if self.assets_root else None,
            "allow_remote_images": self.allow_remote_images,
            "skip_missing_images": self.skip_missing_images,
        }


# Every group with a part in the render options; a command that does not take one gets its defaults.
OPTION_GROUPS: tuple[type[FlagGroup], ...] = (
    VoiceFlags,
    FrameFlags,
    DeliveryFlags,
    ImageFlags,
    PictureFlags,
    SoundFlags,
    DocumentFlags,
    StoryFlags,
)


def render_options(settings: Settings, *groups: FlagGroup) -> dict[str, object]:
    """Render options from settings (env + flags) and a command's flag groups, in the shape every
    entry point validates; a group the command does not take gives its defaults (the settings')."""
    taken = {type(g) for g in groups}
    every = [*groups, *(kind() for kind in OPTION_GROUPS if kind not in taken)]
    return {k: v for group in every for k, v in group.options(settings).items()}
