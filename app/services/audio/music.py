"""Background music: which files, checked before anything is read, and the bed they make under the voice.

A `Music` names its tracks (one file, or a folder's audio files), the level of the bed (LU below the
speech), how far it ducks under speech and how fast, and how a folder is used: one track picked by
the seed, or a playlist that moves to the next track at a scene boundary once a track has played out.
Tracks are decoded by ffmpeg (MP3, WAV, OGG, FLAC, M4A...) to 48 kHz stereo float, looped with an
equal-power crossfade (no click at the loop point), faded in and out, and ducked exactly while words
are spoken: the narration plan knows when every word is, so nothing is guessed from the signal.
"""

from __future__ import annotations

import math
import os
import random
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from app.config import setting_default
from app.errors import InputError
from app.services.audio.loudness import RATE, Floats, Samples, linear

AUDIO_SUFFIXES = (".mp3", ".wav", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac")
MIN_SECONDS = 1.0
LOOP_CROSSFADE = 1.5  # seconds (at most a quarter of the track)
SWITCH_CROSSFADE = 1.0  # seconds, between two tracks of a playlist
FADE_IN = 0.5
FADE_OUT = 1.5
ALL_TRACKS = "*"  # an API caller's name for the whole music folder


class MusicError(InputError):
    """Music that cannot be used: missing, too large, too short, not audio (exit 2, HTTP 422)."""


@dataclass(frozen=True)
class Music:
    """What plays under the narration."""

    tracks: tuple[Path, ...]
    level: float = setting_default("music_level")  # LU below the speech
    duck: float = setting_default("music_duck")  # dB lower while words are spoken
    attack: float = setting_default("music_attack")  # seconds: fully ducked when a word starts
    release: float = setting_default("music_release")  # seconds: back up after the last word
    playlist: bool = False  # a folder: play its tracks in turn (else one, picked by the seed)
    seed: int = 0

    def order(self) -> tuple[Path, ...]:
        """The tracks in the order they play: one picked by the seed, or all of them shuffled by it."""
        tracks = list(self.tracks)
        random.Random(self.seed).shuffle(tracks)
        return tuple(tracks) if self.playlist else tuple(tracks[:1])


def music_files(spec: str, music_dir: Path | None, max_bytes: int) -> tuple[Path, ...]:
    """The files `spec` names: a name in the operator's music folder (`*`: all of it), else a file or
    folder path. Each checked by its size before anything is read."""
    named = music_dir / spec if music_dir is not None and spec and os.sep not in spec else None
    if music_dir is not None and spec == ALL_TRACKS:
        path = music_dir
    elif named is not None and named.exists():
        path = named
    else:
        path = Path(spec).expanduser()
    if path.is_dir():
        files = tuple(sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES))
        if not files:
            raise MusicError(f"music folder {spec!r} has no audio files ({', '.join(AUDIO_SUFFIXES)})")
    else:
        files = (path,)
    for f in files:
        check_music_file(f, max_bytes)
    return files


def check_music_file(path: Path, max_bytes: int) -> None:
    """A regular file under the size limit, refused by its size alone (a 2 GB file is never read)."""
    try:
        info = path.stat()
    except OSError:
        raise MusicError(f"music file {path.name!r} not found") from None
    if not stat.S_ISREG(info.st_mode):
        raise MusicError(f"music {path.name!r} is not a file")
    check_music_name(path.name, info.st_size, max_bytes)


def check_music_name(name: str, size: int | None, max_bytes: int) -> None:
    """A music file by its name and size alone: under the limit, with an audio suffix."""
    if size is not None and size > max_bytes:
        raise MusicError(f"music file {name!r} is {_bytes(size)}; the limit is {_bytes(max_bytes)}")
    if Path(name).suffix.lower() not in AUDIO_SUFFIXES:
        raise MusicError(f"music file {name!r}: not one of {', '.join(AUDIO_SUFFIXES)}")


def check_uploaded_music(path: Path, max_bytes: int) -> None:
    """A file a caller uploaded: under the size limit (by its size, before reading), with an audio
    suffix, and at least MIN_SECONDS of audio that decodes (only that much is decoded here)."""
    check_music_file(path, max_bytes)
    heard = 0.0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MusicError(f"music file {path.name!r} has no audio")
            for frame in container.decode(audio=0):
                heard += frame.samples / (frame.sample_rate or 1)
                if heard >= MIN_SECONDS:
                    return
    except av.error.FFmpegError:
        raise MusicError(f"music file {path.name!r} is not audio ffmpeg can read") from None
    raise MusicError(f"music file {path.name!r} is shorter than {MIN_SECONDS:g} s")


def _bytes(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n} bytes"


def track_names(music_dir: Path | None) -> list[str]:
    return [name for name, _ in listed_tracks(music_dir)]


def listed_tracks(music_dir: Path | None) -> list[tuple[str, int]]:
    """(name, size in bytes) of the audio files in the operator's music folder: what callers may name."""
    if music_dir is None or not music_dir.is_dir():
        return []
    out = []
    for p in sorted(music_dir.iterdir()):
        if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file():
            out.append((p.name, p.stat().st_size))
    return out


def looped(track: Samples, length: int) -> Samples:
    """`track` (channels, n) repeated to `length` samples, each loop point an equal-power crossfade."""
    n = track.shape[1]
    if n >= length:
        return track[:, :length]
    fade = min(int(LOOP_CROSSFADE * RATE), n // 4)
    out = np.empty((track.shape[0], length), dtype=np.float32)
    out[:, :n] = track
    pos = n
    t = (np.arange(fade) + 0.5) / fade
    fade_out, fade_in = np.cos(t * np.pi / 2).astype(np.float32), np.sin(t * np.pi / 2).astype(np.float32)
    while pos < length:
        start = pos - fade  # the next loop starts under the last `fade` samples of this one
        out[:, start:pos] = out[:, start:pos] * fade_out + track[:, :fade] * fade_in
        take = min(n - fade, length - pos)
        out[:, pos : pos + take] = track[:, fade : fade + take]
        pos += take
    return out


def joined(parts: Sequence[tuple[Samples, int]], length: int) -> Samples:
    """Playlist segments (samples, start) laid out, each fading into the next over SWITCH_CROSSFADE."""
    channels = parts[0][0].shape[0]
    out = np.zeros((channels, length), dtype=np.float32)
    fade = int(SWITCH_CROSSFADE * RATE)
    for k, (samples, start) in enumerate(parts):
        seg = samples.copy()
        if k > 0:  # fade in over the crossfade that straddles the boundary
            n = min(fade, seg.shape[1])
            seg[:, :n] *= np.sin((np.arange(n) + 0.5) / n * np.pi / 2).astype(np.float32)
        if k + 1 < len(parts):  # and out under the next one
            n = min(fade, seg.shape[1])
            seg[:, seg.shape[1] - n :] *= np.cos((np.arange(n) + 0.5) / n * np.pi / 2).astype(np.float32)
        end = min(length, start + seg.shape[1])
        out[:, start:end] += seg[:, : end - start]
    return out


def faded(bed: Samples) -> Samples:
    """The bed faded in at the start and out at the end."""
    n = bed.shape[1]
    a, b = min(int(FADE_IN * RATE), n // 2), min(int(FADE_OUT * RATE), n // 2)
    if a:
        bed[:, :a] *= np.linspace(0, 1, a, dtype=np.float32)
    if b:
        bed[:, n - b :] *= np.linspace(1, 0, b, dtype=np.float32)
    return bed


@dataclass(frozen=True)
class Ducking:
    """The music's gain under the voice, as stretches of samples: a ramp (one gain per sample) or a
    held level; elsewhere the gain is 1. Applied in place, stretch by stretch: no track-long array."""

    stretches: tuple[tuple[int, int, float | Floats], ...]
    length: int

    @property
    def share(self) -> float:
        """The mean square gain: the share of the bed's power left after ducking."""
        if not self.length:
            return 1.0
        total = float(self.length)
        for i0, i1, g in self.stretches:
            total += (
                float(np.sum(np.square(g))) - (i1 - i0)
                if isinstance(g, np.ndarray)
                else (i1 - i0) * (g * g - 1)
            )
        return total / self.length

    def apply(self, bed: Samples) -> None:
        for i0, i1, g in self.stretches:
            bed[:, i0:i1] *= g.astype(np.float32) if isinstance(g, np.ndarray) else np.float32(g)


def ducking(speech: Sequence[tuple[float, float]], length: int, music: Music) -> Ducking:
    """`-duck` dB while words are spoken (`speech`: seconds), reached `attack` seconds before a word
    starts and left over `release` seconds after the last one, linear in dB between. Pauses shorter
    than attack + release stay ducked (the music would only bob)."""
    merged: list[list[float]] = []
    for a, b in sorted(speech):
        if merged and a - merged[-1][1] < music.attack + music.release:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    stretches: list[tuple[int, int, float | Floats]] = []
    for a, b in merged:
        for t0, t1, d0, d1 in ((a - music.attack, a, 0.0, -music.duck), (a, b, -music.duck, -music.duck),
                               (b, b + music.release, -music.duck, 0.0)):  # fmt: skip
            i0, i1 = (min(length, max(0, math.ceil(t * RATE))) for t in (t0, t1))
            if i1 <= i0:
                continue
            if d0 == d1:
                stretches.append((i0, i1, linear(d0)))
            else:
                decibels = d0 + (d1 - d0) * (np.arange(i0, i1) / RATE - t0) / (t1 - t0)
                stretches.append((i0, i1, 10 ** (decibels / 20)))
    return Ducking(tuple(stretches), length)


def bed_gain(music_loudness: float | None, speech_loudness: float, level: float) -> float:
    """The linear gain that puts the music `level` LU under the speech."""
    if music_loudness is None:
        return 0.0
    return linear(speech_loudness - level - music_loudness)
