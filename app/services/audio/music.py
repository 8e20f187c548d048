"""Background music: which files, checked before anything is read, and the bed they make under the voice.

A `Music` names its tracks (one file, or a folder's audio files), the level of the bed (LU below the
speech), how far it ducks under speech and how fast, and how a folder is used: one track picked by
the seed, or a playlist that moves to the next track at a scene boundary once a track has played out.
Tracks are decoded by ffmpeg (MP3, WAV, OGG, FLAC, M4A...; `bed`) to 48 kHz 16-bit stereo, looped with an
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


def loop_window(track: Samples, a: int, b: int, span: int) -> Samples:
    """Samples [a, b) of `track` (channels, n; any numeric type) looped to `span` samples, as float32,
    made alone: loop j starts at j * (n - fade), under the last `fade` samples of loop j - 1, so any
    stretch of the loop is known without the samples before it."""
    n = track.shape[1]
    out = np.empty((track.shape[0], b - a), dtype=np.float32)
    if n >= span:
        out[:] = track[:, a:b]
        return out
    fade = min(int(LOOP_CROSSFADE * RATE), n // 4)
    period = n - fade
    p = a
    while p < b:
        j, i = divmod(p, period)
        if j and i < fade and j * period + fade >= span:  # no room for loop j: loop j - 1 plays out
            m = min(fade - i, b - p)
            out[:, p - a : p - a + m] = track[:, period + i : period + i + m]
        elif j and i < fade:  # loop j - 1's tail fading out under loop j's head
            m = min(fade - i, b - p)
            t = (np.arange(i, i + m) + 0.5) / fade
            fade_out, fade_in = np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)
            tail, head = track[:, period + i : period + i + m], track[:, i : i + m]
            out[:, p - a : p - a + m] = tail * fade_out.astype(np.float32) + head * fade_in.astype(np.float32)
        else:
            m = min(period - i, b - p)
            out[:, p - a : p - a + m] = track[:, i : i + m]
        p += m
    return out


def switch_fades(x: Samples, a: int, span: int, fade_in: bool, fade_out: bool) -> None:
    """Samples [a, a + x.shape[1]) of a playlist's part of `span` samples, faded in place: in over its
    first SWITCH_CROSSFADE (the crossfade that straddles its boundary), out under the next one."""
    n = min(int(SWITCH_CROSSFADE * RATE), span)
    b = a + x.shape[1]
    if fade_in and a < n:
        k = np.arange(a, min(b, n))
        x[:, : len(k)] *= np.sin((k + 0.5) / n * np.pi / 2).astype(np.float32)
    if fade_out and b > span - n:
        k = np.arange(max(a, span - n), b)
        x[:, x.shape[1] - len(k) :] *= np.cos((k - (span - n) + 0.5) / n * np.pi / 2).astype(np.float32)


@dataclass(frozen=True)
class Fades:
    """The bed's fade in at the start and out at the end of a `length`-sample track."""

    length: int

    @property
    def spans(self) -> tuple[int, int]:
        """Samples faded in, and faded out."""
        half = self.length // 2
        return min(int(FADE_IN * RATE), half), min(int(FADE_OUT * RATE), half)

    def key(self, lo: int, hi: int) -> tuple[int | None, tuple[int, int] | None]:
        """What the fades do to samples [lo, hi): the fade in's length if it reaches in, the fade
        out's place and length if it does."""
        a, b = self.spans
        return (a if lo < a else None), ((self.length, b) if hi > self.length - b else None)

    def apply(self, x: Samples, lo: int) -> None:
        """Fade samples [lo, lo + x.shape[1]) of the bed in place."""
        a, b = self.spans
        hi = lo + x.shape[1]
        if a and lo < a:
            k = np.arange(lo, min(hi, a))
            x[:, : len(k)] *= (k / max(1, a - 1)).astype(np.float32)
        if b and hi > self.length - b:
            k = np.arange(max(lo, self.length - b), hi) - (self.length - b)
            x[:, x.shape[1] - len(k) :] *= (1 - k / max(1, b - 1)).astype(np.float32)


Stretch = tuple[int, int, float, float, float, float]  # samples [i0, i1), seconds t0..t1, dB d0..d1


@dataclass(frozen=True)
class Ducking:
    """The music's gain under the voice, as stretches of samples, each a ramp or a held level (linear
    in dB from d0 at t0 to d1 at t1); elsewhere the gain is 1. Applied to any stretch of the bed, from
    these numbers alone: no track-long array, and a window's ducking is known by its stretches."""

    stretches: tuple[Stretch, ...]
    length: int

    @staticmethod
    def gains(stretch: Stretch, i0: int, i1: int) -> Floats | float:
        """The stretch's gain over samples [i0, i1) (within it): one per sample, or one held level."""
        _, _, t0, t1, d0, d1 = stretch
        if d0 == d1:
            return linear(d0)
        decibels = d0 + (d1 - d0) * (np.arange(i0, i1) / RATE - t0) / (t1 - t0)
        return np.asarray(10 ** (decibels / 20))

    @staticmethod
    def power(stretch: Stretch) -> float:
        """The sum of the stretch's squared gains over its samples, in closed form: along a ramp
        (linear in dB) each sample's squared gain is the one before's times a constant, so the sum
        is a geometric series (no per-sample array for every ramp of the track, each render)."""
        i0, i1, t0, t1, d0, d1 = stretch
        if d0 == d1:
            return (i1 - i0) * linear(d0) ** 2
        first = d0 + (d1 - d0) * (i0 / RATE - t0) / (t1 - t0)  # dB at sample i0
        step = (d1 - d0) / (t1 - t0) / RATE * math.log(10) / 10  # ln of one sample's power ratio
        return 10 ** (first / 10) * math.expm1((i1 - i0) * step) / math.expm1(step)

    @property
    def share(self) -> float:
        """The mean square gain: the share of the bed's power left after ducking."""
        if not self.length:
            return 1.0
        total = self.length + sum(self.power(s) - (s[1] - s[0]) for s in self.stretches)
        return total / self.length

    def within(self, lo: int, hi: int) -> list[Stretch]:
        return [s for s in self.stretches if s[0] < hi and s[1] > lo]

    def key(self, lo: int, hi: int) -> list[tuple[float, ...]]:
        """What the ducking does to samples [lo, hi): each stretch there as far as it reaches in (a
        held level's own length, say where words end past the window, does not matter)."""
        out: list[tuple[float, ...]] = []
        for i0, i1, t0, t1, d0, d1 in self.within(lo, hi):
            a, b = max(lo, i0), min(hi, i1)
            out.append((a, b, d0) if d0 == d1 else (a, b, t0, t1, d0, d1))
        return out

    def apply(self, x: Samples, lo: int) -> None:
        """Duck samples [lo, lo + x.shape[1]) of the bed in place."""
        hi = lo + x.shape[1]
        for stretch in self.within(lo, hi):
            i0, i1 = max(lo, stretch[0]), min(hi, stretch[1])
            g = self.gains(stretch, i0, i1)
            x[:, i0 - lo : i1 - lo] *= g.astype(np.float32) if isinstance(g, np.ndarray) else np.float32(g)


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
    stretches: list[Stretch] = []
    for a, b in merged:
        for t0, t1, d0, d1 in ((a - music.attack, a, 0.0, -music.duck), (a, b, -music.duck, -music.duck),
                               (b, b + music.release, -music.duck, 0.0)):  # fmt: skip
            i0, i1 = (min(length, max(0, math.ceil(t * RATE))) for t in (t0, t1))
            if i1 > i0:
                stretches.append((i0, i1, t0, t1, d0, d1))
    return Ducking(tuple(stretches), length)


def bed_gain(music_loudness: float | None, speech_loudness: float, level: float) -> float:
    """The linear gain that puts the music `level` LU under the speech."""
    if music_loudness is None:
        return 0.0
    return linear(speech_loudness - level - music_loudness)
