"""The music bed: the tracks decoded once and kept, and the bed under the track made window by window.

A music file is decoded by ffmpeg (soxr to 48 kHz stereo) to 16-bit samples (half the size of floats;
the bed sits 18 LU under the voice, so their noise is some 115 dB down), cached by the file's content,
and mapped from the cache rather than read: a process that renders again keeps its tracks mapped
(`DECODED`), and finds a file's content digest by its identity (path, inode, size, mtime), so an
edited render neither decodes nor hashes its music. The bed (`Bed`) is the tracks looped, a playlist's
parts crossfaded at scene boundaries, faded in and out and ducked under the words; any window of it is
made alone (`Bed.window`) and named by what it is made of (`Bed.key`), so the mix makes only the
windows it encodes and keys every piece without the samples: memory stays bounded by the window
whatever the video's length.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.diskcache import DiskCache, hash_key
from app.core.fsutil import hash_file
from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.audio.loudness import RATE, Samples, loudness_of, true_peak
from app.services.audio.music import (
    LOOP_CROSSFADE,
    MIN_SECONDS,
    SWITCH_CROSSFADE,
    Ducking,
    Fades,
    MusicError,
    loop_window,
    switch_fades,
)
from app.services.video import run_ffmpeg

BED_VERSION = "music-bed-v1"
DECODE_MARGIN = 5.0  # seconds of music decoded past what the video needs
DECODE_STEP = 60.0  # ... rounded up to whole minutes, so an edit seldom changes what is measured
KEPT_TRACKS = 4  # decoded tracks a process keeps mapped (their pages are the OS's file cache)
KEPT_DIGESTS = 1024  # files' content digests a process keeps by identity
SCALE = np.float32(1 / 32768)


@dataclass(frozen=True)
class Track:
    """A decoded music file: (n, 2) 16-bit samples at 48 kHz (mapped, read-only), its loudness (LUFS,
    None: silence) and its true peak (linear, as floats)."""

    digest: str
    samples: np.ndarray
    loudness: float | None
    peak: float

    @property
    def length(self) -> int:
        return int(self.samples.shape[0])


class Kept:
    """What a process keeps between renders: tracks by (content, decoded seconds), content digests by
    file identity. Renders in threads share it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.tracks: OrderedDict[tuple[str, float], Track] = OrderedDict()
        self.digests: dict[tuple[object, ...], str] = {}
        self.lock = threading.Lock()
        self.hits = 0
        self.decodes = 0  # music files decoded by ffmpeg (cache misses)

    def track(self, key: tuple[str, float]) -> Track | None:
        with self.lock:
            found = self.tracks.get(key)
            if found is not None:
                self.tracks.move_to_end(key)
                self.hits += 1
            return found

    def keep(self, key: tuple[str, float], track: Track) -> None:
        with self.lock:
            self.tracks[key] = track
            while len(self.tracks) > self.size:
                self.tracks.popitem(last=False)

    def digest(self, ident: tuple[object, ...]) -> str | None:
        with self.lock:
            return self.digests.get(ident)

    def remember(self, ident: tuple[object, ...], digest: str) -> None:
        with self.lock:
            if len(self.digests) >= KEPT_DIGESTS:  # a long-running worker sees many uploads
                self.digests.clear()
            self.digests[ident] = digest


DECODED = Kept(KEPT_TRACKS)


def identity(path: Path) -> tuple[object, ...]:
    """What names a file's content without reading it: a changed file gets a new mtime or size."""
    info = path.stat()
    return (str(path.resolve()), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def track_digest(path: Path, cache: DiskCache | None) -> str:
    """The file's content digest, hashed once per identity (kept in the process and in the cache)."""
    ident = identity(path)
    found = DECODED.digest(ident)
    if found is not None:
        return found
    key = hash_key(BED_VERSION, "identity", ident)
    data = cache.load(key, ".json") if cache is not None else None
    try:
        digest = str(json.loads(data)["digest"]) if data is not None else None
    except (ValueError, KeyError, TypeError):
        digest = None
    if digest is None:
        digest = hash_file(path)
        if cache is not None:
            cache.put_bytes(key, json.dumps({"digest": digest}).encode("utf-8"), ".json")
    DECODED.remember(ident, digest)
    return digest


def decode_seconds(length: int) -> float:
    """How much of each track to decode for a track of `length` samples."""
    return math.ceil((length / RATE + DECODE_MARGIN) / DECODE_STEP) * DECODE_STEP


async def load_tracks(
    files: Sequence[Path], seconds: float, workdir: Path, cache: DiskCache | None
) -> list[Track]:
    """Each file decoded (at most `seconds` of it): kept by this process, else mapped from the cache,
    else decoded by ffmpeg and cached. A file ffmpeg cannot read is the file's fault (exit 2 / HTTP
    422), named."""
    out = []
    for n, path in enumerate(files):
        digest = await run_in_thread(track_digest, path, cache)
        found = DECODED.track((digest, seconds))
        if found is None:
            raw = workdir / f"music-{n:02d}.s16"
            key = hash_key(BED_VERSION, "decoded", digest, seconds)
            if cache is None or not await run_in_thread(cache.fetch, key, raw, ".s16"):
                await _decode(path, raw, seconds)
                DECODED.decodes += 1
                if cache is not None:
                    await run_in_thread(cache.put_file, key, raw, ".s16")
            found = await run_in_thread(_track, raw, digest, cache)
            DECODED.keep((digest, seconds), found)
        out.append(found)
    return out


async def _decode(path: Path, raw: Path, seconds: float) -> None:
    try:
        await run_ffmpeg(
            ["-i", str(path), "-vn", "-sn", "-map", "0:a:0", "-t", f"{seconds:.3f}",
             "-af", f"aresample={RATE}:resampler=soxr", "-ac", "2", "-f", "s16le", str(raw)],
            what=f"decoding the music {path.name!r}",
        )  # fmt: skip
    except MediaError as exc:
        raise MusicError(f"music file {path.name!r} is not audio ffmpeg can read") from exc
    if not raw.exists() or raw.stat().st_size < MIN_SECONDS * RATE * 4:
        raise MusicError(f"music file {path.name!r} is shorter than {MIN_SECONDS:g} s")


def _track(raw: Path, digest: str, cache: DiskCache | None) -> Track:
    """The decoded samples, mapped (a file unlinked later stays readable while mapped), and their
    loudness and true peak, measured once per decoded track."""
    samples = np.memmap(raw, dtype="<i2", mode="r").reshape(-1, 2)
    key = hash_key(BED_VERSION, "stats", digest, samples.shape[0])
    found = cache.load(key, ".json") if cache is not None else None
    if found is not None:
        try:
            data = json.loads(found)
            return Track(digest, samples, data["loudness"], float(data["peak"]))
        except (ValueError, KeyError, TypeError):
            pass
    check_cancelled()
    left, right = (samples[:, c].astype(np.float32) * SCALE for c in (0, 1))
    loud = loudness_of([left, right])
    peak = max(true_peak(left), true_peak(right))
    if cache is not None:
        cache.put_bytes(key, json.dumps({"loudness": loud, "peak": peak}).encode("utf-8"), ".json")
    return Track(digest, samples, loud, peak)


@dataclass(frozen=True)
class Part:
    """A stretch of the bed where one track plays: from `start`, `span` samples, looped; a playlist's
    part fades in over the crossfade at its start and out under the next part."""

    track: int
    start: int
    span: int
    fade_in: bool = False
    fade_out: bool = False


def playlist_parts(lengths: Sequence[int], boundaries: Sequence[float], length: int) -> list[Part]:
    """One track looped to the length; or a playlist (track `lengths` in samples): each track plays
    out, and the next one starts at the first scene boundary after it ends (the one before loops until
    then)."""
    if len(lengths) == 1:
        return [Part(0, 0, length)]
    cuts = sorted(round(b * RATE) for b in boundaries if 0 < b * RATE < length)
    fade = round(SWITCH_CROSSFADE * RATE)
    parts: list[Part] = []
    start, k = 0, 0
    while start < length:
        ends = [c for c in cuts if c >= start + lengths[k % len(lengths)]]
        end = ends[0] if ends else length
        parts.append(Part(k % len(lengths), start, min(length - start, end - start + fade), k > 0))
        start, k = end, k + 1
    return [Part(p.track, p.start, p.span, p.fade_in, n + 1 < len(parts)) for n, p in enumerate(parts)]


@dataclass(frozen=True)
class Bed:
    """The music under a `length`-sample track: the tracks' `parts`, each track at its linear gain,
    faded (or not) and ducked."""

    tracks: tuple[Track, ...]
    gains: tuple[float, ...]
    parts: tuple[Part, ...]
    length: int
    ducking: Ducking | None
    fades: Fades | None

    def _within(self, lo: int, hi: int) -> list[Part]:
        return [p for p in self.parts if p.start < hi and p.start + p.span > lo]

    def window(self, lo: int, hi: int) -> Samples:
        """Samples [lo, hi) of the bed, (2, hi - lo) float32."""
        out = np.zeros((2, hi - lo), dtype=np.float32)
        for p in self._within(lo, hi):
            check_cancelled()
            a, b = max(lo, p.start) - p.start, min(hi, p.start + p.span) - p.start
            x = loop_window(self.tracks[p.track].samples.T, a, b, p.span)
            x *= np.float32(self.gains[p.track]) * SCALE
            switch_fades(x, a, p.span, p.fade_in, p.fade_out)
            out[:, p.start + a - lo : p.start + b - lo] += x
        if self.fades is not None:
            self.fades.apply(out, lo)
        if self.ducking is not None:
            self.ducking.apply(out, lo)
        return out

    def key(self, lo: int, hi: int) -> str:
        """What samples [lo, hi) are made of: the parts there (each track's content, decoded length
        and gain, where the part starts, and its length only if that reaches back into the window:
        an edit that makes the track longer keeps the keys before it), the fades that reach in, the
        ducking's stretches there."""
        reach = round(max(LOOP_CROSSFADE, SWITCH_CROSSFADE) * RATE)
        parts = []
        for p in self._within(lo, hi):
            track, end = self.tracks[p.track], min(hi, p.start + p.span) - p.start
            span = p.span if p.span < end + reach else None
            gain = self.gains[p.track]
            parts.append((track.digest, track.length, gain, p.start, p.fade_in, p.fade_out, span))
        fades = self.fades.key(lo, hi) if self.fades is not None else None
        ducks = self.ducking.key(lo, hi) if self.ducking is not None else []
        return hash_key(BED_VERSION, "window", lo, hi, parts, fades, ducks)
