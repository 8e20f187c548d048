"""The narration with music under it, mixed once in numpy and encoded once, cached by what went in.

The narration track (already at its loudness, peaks limited) is decoded, the music bed built (looped,
faded, `level` LU under the speech, ducked while words are spoken), the two summed in stereo, the sum
brought to the target loudness and limited, and encoded as one stereo AAC track. The cache key holds
the narration track's and the music files' digests and every setting, so a render with the same music
and the same narration reuses the mix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.diskcache import DiskCache, hash_key
from app.core.fsutil import hash_file
from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.audio.aac import PieceJob, decode, encode_pieces
from app.services.audio.dynamics import limit
from app.services.audio.level import Sound
from app.services.audio.loudness import (
    RATE,
    Samples,
    db,
    linear,
    loudness_of,
    peak_envelope,
    true_peak,
)
from app.services.audio.music import (
    MIN_SECONDS,
    SWITCH_CROSSFADE,
    Music,
    MusicError,
    bed_gain,
    duck_gain,
    faded,
    joined,
    looped,
)
from app.services.video import run_ffmpeg

MIX_VERSION = "music-mix-v3"
DECODE_MARGIN = 5.0  # seconds of music decoded past what the video needs


@dataclass(frozen=True)
class TrackStats:
    loudness: float | None  # LUFS (None: silence)
    peak: float  # linear true peak


async def mix_music(
    narration: Path,
    speech: Sequence[tuple[float, float]],
    boundaries: Sequence[float],
    duration: float,
    music: Music,
    sound: Sound,
    voice_loudness: float | None,
    out: Path,
    workdir: Path,
    cache: DiskCache | None,
) -> bool:
    """Write the stereo mix of `narration` (ADTS) and `music` to `out`; True if it came from the cache.
    `speech`: when words are spoken (seconds); `boundaries`: where scenes change (a playlist's cues)."""
    tracks = music.order()
    digests = await run_in_thread(lambda: [hash_file(t) for t in tracks])
    key = await run_in_thread(_key, narration, digests, speech, boundaries, music, sound)
    if cache is not None and await run_in_thread(cache.fetch, key, out, ".aac"):
        return True
    raws = await _decode_tracks(tracks, duration + DECODE_MARGIN, workdir)
    stats = await run_in_thread(_track_stats, raws, digests, cache)
    mixed = workdir / "mix.f32"
    offset = sound.loudness - voice_loudness if voice_loudness is not None else 0.0
    peak = await run_in_thread(_mix, narration, raws, stats, speech, boundaries, music, sound, offset, mixed)
    # one encoder run for the whole track, with ffmpeg's fast coder (an edited render makes it again)
    await encode_pieces([PieceJob(mixed, out, 2, peak)], sound.bitrate, sound.true_peak, fast=True)
    if cache is not None:
        await run_in_thread(cache.put_file, key, out, ".aac")
    return False


def _key(
    narration: Path,
    digests: Sequence[str],
    speech: Sequence[tuple[float, float]],
    boundaries: Sequence[float],
    music: Music,
    sound: Sound,
) -> str:
    return hash_key(
        MIX_VERSION, hash_file(narration), list(digests), [list(s) for s in speech],
        list(boundaries), music.level, music.duck, music.attack, music.release, music.playlist,
        sound.loudness, sound.ceiling, sound.bitrate,
    )  # fmt: skip


async def _decode_tracks(tracks: Sequence[Path], seconds: float, workdir: Path) -> list[Path]:
    """Each track as raw 48 kHz stereo float (at most `seconds` of it), one ffmpeg run each: a file
    ffmpeg cannot read is the file's fault (exit 2 / HTTP 422), named."""
    raws = []
    for n, track in enumerate(tracks):
        raw = workdir / f"music-{n:02d}.f32"
        try:
            await run_ffmpeg(
                ["-i", str(track), "-vn", "-sn", "-map", "0:a:0", "-t", f"{seconds:.3f}",
                 "-af", f"aresample={RATE}:resampler=soxr", "-ac", "2", "-f", "f32le", str(raw)],
                what=f"decoding the music {track.name!r}",
            )  # fmt: skip
        except MediaError as exc:
            raise MusicError(f"music file {track.name!r} is not audio ffmpeg can read") from exc
        if not raw.exists() or raw.stat().st_size < MIN_SECONDS * RATE * 8:
            raise MusicError(f"music file {track.name!r} is shorter than {MIN_SECONDS:g} s")
        raws.append(raw)
    return raws


def _track_stats(raws: Sequence[Path], digests: Sequence[str], cache: DiskCache | None) -> list[TrackStats]:
    """Each decoded track's loudness and true peak, measured once per track (and decoded length)."""
    out = []
    for raw, digest in zip(raws, digests, strict=True):
        check_cancelled()
        key = hash_key(MIX_VERSION, "track", digest, raw.stat().st_size)
        found = cache.load(key, ".json") if cache is not None else None
        if found is not None:
            try:
                data = json.loads(found)
                out.append(TrackStats(data["loudness"], float(data["peak"])))
                continue
            except (ValueError, KeyError, TypeError):
                pass
        left, right = _read_stereo(raw)
        loud = loudness_of([left, right])
        stats = TrackStats(loud, max(true_peak(left), true_peak(right)))
        if cache is not None:
            cache.put_bytes(key, json.dumps({"loudness": loud, "peak": stats.peak}).encode("utf-8"), ".json")
        out.append(stats)
    return out


def _read_stereo(raw: Path) -> tuple[Samples, Samples]:
    both = np.fromfile(raw, dtype="<f4").reshape(-1, 2)
    return both[:, 0].copy(), both[:, 1].copy()


def _mix(
    narration: Path,
    raws: Sequence[Path],
    stats: Sequence[TrackStats],
    speech: Sequence[tuple[float, float]],
    boundaries: Sequence[float],
    music: Music,
    sound: Sound,
    offset: float,
    out: Path,
) -> float:
    """Write the mix as raw stereo float to `out`; returns its true peak (dBTP, a bound).

    Nothing here measures the whole mix: the voice is at the target but for `offset` dB (the
    narration gain's rounding, made up here), each track's loudness and peak are known (cached), and
    the bed, `level` LU under the voice, adds what its ducked power adds, taken off the sum; the peaks
    add at most, so the limiter runs only when that bound passes the ceiling."""
    voice = decode(narration, 1)[0]
    length = len(voice)
    # each track at its own gain: `level` LU under the voice
    gains = [bed_gain(s.loudness, sound.loudness, music.level) for s in stats]
    tracks = [np.stack(_read_stereo(raw)) * np.float32(g) for raw, g in zip(raws, gains, strict=True)]
    check_cancelled()
    bed = faded(playlist_bed(tracks, boundaries, length))
    check_cancelled()
    duck = duck_gain(speech, length, music)
    bed *= duck.astype(np.float32)
    share = float(np.mean(duck**2))  # the bed's power left after ducking
    # the voice in the middle: the same samples in both channels count twice (+3 dB) in BS.1770;
    # and the whole is lowered by what the bed adds at most
    extra = 10 * math.log10(1 + share * 10 ** (-music.level / 10))
    centre = voice * np.float32(linear(-3.0103 - extra + offset))
    scale = np.float32(linear(-extra))
    left, right = centre + bed[0] * scale, centre + bed[1] * scale
    voice_peak = (
        float(np.abs(voice).max()) * 1.12 * linear(-3.0103 - extra + offset)
    )  # 1 dB for inter-sample peaks
    bound = voice_peak + max(s.peak * g for s, g in zip(stats, gains, strict=True)) * float(scale)
    if bound > linear(sound.ceiling):
        guide = np.maximum(peak_envelope(left), peak_envelope(right))
        left, right = limit(left, sound.ceiling, guide), limit(right, sound.ceiling, guide)
        bound = min(float(guide.max()), linear(sound.ceiling))
    np.stack([left, right], axis=1).astype("<f4").tofile(out)
    return db(bound)


def playlist_bed(tracks: Sequence[Samples], boundaries: Sequence[float], length: int) -> Samples:
    """One track looped to the length; or a playlist: each track plays out, and the next one starts at
    the first scene boundary after it ends (the one before loops until then)."""
    if len(tracks) == 1:
        return looped(tracks[0], length)
    cuts = sorted(round(b * RATE) for b in boundaries if 0 < b * RATE < length)
    fade = round(SWITCH_CROSSFADE * RATE)
    parts: list[tuple[Samples, int]] = []
    start, k = 0, 0
    while start < length:
        track = tracks[k % len(tracks)]
        ends = [c for c in cuts if c >= start + track.shape[1]]
        end = ends[0] if ends else length
        span = min(length - start, end - start + fade)
        parts.append((looped(track, span), start))
        start, k = end, k + 1
    return joined(parts, length)
