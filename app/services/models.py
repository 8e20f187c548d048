"""Values that flow through the pipeline: plan -> speech and pictures -> captions -> video.

Frozen dataclasses, so a stage cannot change what an earlier stage produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.config import setting_default


@dataclass(frozen=True)
class WordTiming:
    """A spoken word and when it is heard, in seconds from the start of its audio.

    `glued`: written against the word before it, with no space (a character of Chinese or Japanese
    text, a piece of a word too long for a caption line); engines never set it, captions do.
    """

    text: str
    start: float
    end: float
    glued: bool = False


@dataclass(frozen=True)
class Speech:
    """One scene's synthesized narration: a mono 16-bit WAV file and its word timings."""

    audio_path: Path
    duration: float
    sample_rate: int
    words: tuple[WordTiming, ...]
    engine: str = "espeak"
    voice: str = ""
    # the WAV's content digest (`diskcache.file_digest`) when the cache verified or stored it, so the
    # narration keys its 48 kHz copy and loudness by content without hashing every scene again
    digest: str | None = None


@dataclass(frozen=True)
class Pauses:
    """Seconds of silence the voice leaves after a sentence, a paragraph (or list item), a heading,
    and between two scenes (measured from where one's sound stops to where the next one's starts)."""

    sentence: float = setting_default("pause_sentence")
    paragraph: float = setting_default("pause_paragraph")
    heading: float = setting_default("pause_heading")
    scene: float = setting_default("pause_scene")


@dataclass(frozen=True)
class Cue:
    """One caption: its lines on screen from `start` to `end` seconds, and the words they show
    (with their own timings), so that burned captions can break the lines again or follow the words."""

    start: float
    end: float
    lines: tuple[str, ...]
    words: tuple[WordTiming, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class VideoFormat:
    """Frame size for an aspect ratio and a resolution class (the short side: 720 or 1080)."""

    aspect: str = setting_default("aspect")
    resolution: int = setting_default("resolution")

    @property
    def size(self) -> tuple[int, int]:
        short = self.resolution
        if self.aspect == "16:9":
            return (short * 16 // 9, short)
        if self.aspect == "9:16":
            return (short, short * 16 // 9)
        if self.aspect == "1:1":
            return (short, short)
        raise ValueError(f"unsupported aspect {self.aspect!r}")


@dataclass(frozen=True)
class RenderOptions:
    """Everything that changes what a render produces, besides the document itself."""

    voice: str | None = None  # "espeak:LANG"; None detects the language from the text
    rate: int = setting_default("rate")  # words per minute
    aspect: str = setting_default("aspect")
    resolution: int = setting_default("resolution")
    burn_captions: bool = False
    pause_sentence: float = setting_default("pause_sentence")  # seconds of silence (see Pauses)
    pause_paragraph: float = setting_default("pause_paragraph")
    pause_heading: float = setting_default("pause_heading")
    pause_scene: float = setting_default("pause_scene")
    fps: int | None = None  # None: variable frame rate (each picture once); else constant
    transition: str = setting_default("transition")  # "none", "fade", "crossfade", "slide", "wipe"
    credits: bool = setting_default("credits")  # an end card crediting stock photos and clips
    motion: str = setting_default("motion")  # pan and zoom: "none", "photos" (full-frame pictures), "all"
    # images (issue 13): see app/services/images/policy.py
    assets_root: str | None = None  # the operator's folder for local images (default: the document's)
    allow_remote_images: bool = False  # the operator's --allow-remote-images
    skip_missing_images: bool = False  # an image that cannot be used becomes a placeholder
    theme: str = setting_default("theme")  # a built-in theme's name or a theme file (.toml)
    lexicon: str | None = None  # a lexicon's TOML text: what the voice says for words and patterns
    # sound (issue 14): see app/services/audio
    loudness: float = setting_default("loudness")  # integrated LUFS of the output
    room_tone: bool = False  # quiet noise instead of digital silence
    music: str | None = None  # a file or folder (the operator's), or a name in T2V_MUSIC_DIR ("*": all)
    music_level: float = setting_default("music_level")  # LU below the speech
    music_playlist: bool = False  # a folder: its tracks in turn, changing at scene boundaries
    music_seed: int | None = None  # picks (or orders) a folder's tracks; default: from the narration
    max_music_bytes: int | None = None  # the operator's --max-music-size (default: the setting)
    # issue 17: fit the narration to a duration (condensation); seconds
    duration: float | None = None  # --duration: about this long (condensed if longer)
    max_duration: float | None = None  # --max-duration: condensed only if longer
    llm: str | None = None  # --llm openai:MODEL[@BASE_URL]: an LLM writes the script (the operator's)
    # delivery (issue 14.6): see app/services/video/presets.py and encoding.py
    preset: str | None = None  # the preset the other options were filled from (for the record)
    keyframe_interval: float | None = None  # longest time between keyframes; None: a long GOP
    quality: str = "standard"  # "high": a lower CRF (the archive preset)
    audio_only: bool = False  # the narration alone, an M4A with chapters
    caption_style: str = "clean"  # burned captions: clean, boxed, bold, karaoke (captions.STYLES)
    # packed documents (issue 16): which pages or slides to read ("3-12"), how a slide becomes its picture
    pages: str | None = None
    pptx_picture: str = "auto"  # auto (LibreOffice when installed), libreoffice, redraw
    visuals: str | None = None  # issue 18: picture providers in failover order ("local:DIR,slides")

    @property
    def video_format(self) -> VideoFormat:
        return VideoFormat(self.aspect, self.resolution)

    @property
    def pauses(self) -> Pauses:
        return Pauses(self.pause_sentence, self.pause_paragraph, self.pause_heading, self.pause_scene)
