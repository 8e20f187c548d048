"""The narration with music under it, as one stereo AAC piece per scene, so that an edit encodes
again only the scenes whose sound changed.

The music bed (`bed`: looped, faded, `level` LU under the speech, ducked while words are spoken) is
summed with the voice (centred), and the sum limited, window by window: only where pieces are
encoded. Each scene's span of that mix is one piece, cached by what its samples are made of: the
voice pieces' keys of the scenes heard in it (not a neighbour's silent pause) and the bed's key over
its samples (so a scene moved by an edit before it, whose music is now another part of the track, is
made again; one that kept its place is not). Consecutive pieces to make are one stream (two
encoders on its parts, `aac`), cut into pieces afterwards. The music plays on across the joins,
so each run's encoder gets the mix around it too: two frames before (dropped, so the encoder has
settled) and one after (its last block then holds the real next samples): the blocks on both sides
of a join are encoded from the same samples, and the decoder's overlap-add joins them without a
click. The whole track is cached too (by
every setting), so a render with nothing changed decodes no music at all.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.diskcache import DiskCache, hash_key
from app.core.threads import check_cancelled, run_in_thread, wait_until_done
from app.errors import MediaError
from app.services.audio.aac import (
    AAC_FRAME,
    CHECK_MARGIN,
    LEAD_FRAMES,
    TRAIL_FRAMES,
    PieceJob,
    adts_frames,
    encode_pieces,
    joined_overs,
    lowered,
)
from app.services.audio.bed import Bed, Track, decode_seconds, load_tracks, playlist_parts, track_digest
from app.services.audio.dynamics import ROOM_TONE_DB, limit
from app.services.audio.level import Sound, rounded
from app.services.audio.loudness import RATE, SPARSE_BELOW, Floats, Samples, db, linear, sparse_envelope
from app.services.audio.music import Fades, Music, bed_gain, ducking

MIX_VERSION = "music-mix-v6"
GAIN_STEP = 0.25  # dB: the voice's and the bed's gains in the mix, rounded so an edit seldom moves them
CHECK_ROUNDS = 2  # times the joined track's overshooting pieces are made again
RUN_SECONDS = 15.0  # consecutive pieces encoded as one stream, at most this long (held in memory)
KEPT_SCENES = 8  # scenes' voice samples the mixer keeps (runs beside each other share a scene)


@dataclass(frozen=True)
class Voice:
    """The narration as the mix needs it: each scene's span on the track's timeline (the priming frame
    first), its voice piece's cache key, and its samples (made on demand: levelled, limited, padded)."""

    spans: tuple[tuple[int, int], ...]
    keys: tuple[str, ...]
    samples: Callable[[int], Samples]
    prepare: Callable[[Sequence[int]], Awaitable[None]]  # makes these scenes' samples readable
    loudness: float | None  # LUFS, as levelled
    voiced: tuple[tuple[int, int], ...] | None = None  # where each scene is not silence (None: all of it)

    def heard(self, k: int, lo: int, hi: int) -> bool:
        """Whether scene k's samples in [lo, hi) can be other than silence."""
        a, b = (self.voiced or self.spans)[k]
        return a < hi and b > lo


@dataclass(frozen=True)
class Mixed:
    encoded: int  # stereo pieces encoded (cache misses)
    cached: bool  # the whole track came from the cache


@dataclass(frozen=True)
class _Piece:
    scene: int
    key: str
    aac: Path
    start: int  # the samples its encoder gets, on the timeline (context frames included)
    end: int
    lead: int  # frames of context before the scene's own samples


async def mix_music(
    voice: Voice,
    speech: Sequence[tuple[float, float]],
    boundaries: Sequence[float],
    music: Music,
    sound: Sound,
    out: Path,
    workdir: Path,
    cache: DiskCache | None,
    cpu: asyncio.Semaphore,
) -> Mixed:
    """Write the stereo mix of the narration and `music` to `out` as ADTS AAC. `speech`: when words are
    spoken (seconds); `boundaries`: where scenes change (a playlist's cues)."""
    tracks = music.order()
    digests = await run_in_thread(lambda: [track_digest(t, cache) for t in tracks])
    whole = hash_key(
        MIX_VERSION, list(voice.keys), digests, [list(s) for s in speech], list(boundaries),
        music.level, music.duck, music.attack, music.release, music.playlist,
        sound.loudness, sound.ceiling, sound.bitrate, sound.true_peak,
    )  # fmt: skip
    if cache is not None and await run_in_thread(cache.fetch, whole, out, ".aac"):
        return Mixed(0, True)
    length = voice.spans[-1][1]
    loaded = await load_tracks(tracks, decode_seconds(length), workdir, cache)
    bed, voice_db, bed_peak = await run_in_thread(
        _bed, loaded, speech, boundaries, music, sound, voice, length
    )
    # the voice's scenes are limited to the ceiling (room tone adds a hair): when the two peaks
    # together stay under it, the sum cannot pass it and no envelope is computed
    voice_peak = linear(sound.ceiling) + (linear(ROOM_TONE_DB + 20) if sound.room_tone else 0.0)
    bound = voice_peak * linear(voice_db) + bed_peak
    limiting = bound > linear(sound.ceiling)
    pieces = await run_in_thread(_pieces, voice, bed, voice_db, limiting, sound, workdir)
    todo = await run_in_thread(_missing, pieces, cache)
    mixer = _Mixer(voice, bed, voice_db, sound, None if limiting else db(bound))
    await voice.prepare(_touching(voice.spans, todo))
    await _encode(todo, mixer, sound, workdir, cache, cpu)
    check_at = sound.true_peak - CHECK_MARGIN
    for attempt in range(CHECK_ROUNDS + 1):
        joined = await run_in_thread(_join, pieces, voice.spans, out)
        overs = await run_in_thread(joined_overs, out, 2, voice.spans, check_at, joined)
        if not overs or attempt == CHECK_ROUNDS:
            break
        redo = [pieces[i] for i in sorted(overs)]
        guide_db = check_at - CHECK_MARGIN * (attempt + 1)
        await voice.prepare(_touching(voice.spans, redo))
        await _encode(redo, mixer, sound, workdir, cache, cpu, overs, guide_db)
        todo += redo
    if cache is not None:
        await run_in_thread(cache.put_file, whole, out, ".aac")
    return Mixed(len({p.scene for p in todo}), False)


def _missing(pieces: Sequence[_Piece], cache: DiskCache | None) -> list[_Piece]:
    """The pieces the cache lacks (the others are fetched into the workspace)."""
    return [p for p in pieces if cache is None or not cache.fetch(p.key, p.aac, ".aac")]


def _bed(
    tracks: Sequence[Track],
    speech: Sequence[tuple[float, float]],
    boundaries: Sequence[float],
    music: Music,
    sound: Sound,
    voice: Voice,
    length: int,
) -> tuple[Bed, float, float]:
    """The music under the whole track, ducked and at its level, the voice's gain in the mix (dB), and
    a bound on the bed's true peak (linear: each track's own, cached, at its gain; crossfades of a
    track with itself may add up to 3 dB).

    Nothing here measures the whole mix: the voice is at the target but for its rounding (made up
    here), each track's loudness is known (cached), and the bed, `level` LU under the voice, adds
    what its ducked power adds, taken off both. Both gains are rounded to GAIN_STEP: an edit changes
    the ducked share a little, and every piece would change with it."""
    duck = ducking(speech, length, music)
    extra = rounded(10 * math.log10(1 + duck.share * 10 ** (-music.level / 10)), GAIN_STEP)
    offset = rounded(sound.loudness - voice.loudness, GAIN_STEP) if voice.loudness is not None else 0.0
    gains = tuple(bed_gain(t.loudness, sound.loudness, music.level) * linear(-extra) for t in tracks)
    peak = max(t.peak * g * math.sqrt(2) for t, g in zip(tracks, gains, strict=True))
    parts = playlist_parts([t.length for t in tracks], boundaries, length)
    bed = Bed(tuple(tracks), gains, tuple(parts), length, duck, Fades(length))
    # the voice in the middle: the same samples in both channels count twice (+3 dB) in BS.1770
    return bed, -3.0103 - extra + offset, peak


def _pieces(
    voice: Voice, bed: Bed, voice_db: float, limiting: bool, sound: Sound, workdir: Path
) -> list[_Piece]:
    """Each scene's stereo piece: the samples its encoder gets (its own, and context frames around
    them), and its cache key: what those samples, and the limiter's reach around them, are made of
    (an edited scene's neighbour whose context reaches only into its pause is not made again)."""
    length = bed.length
    first = voice.spans[0][0]
    out = []
    for i, (a, b) in enumerate(voice.spans):
        check_cancelled()
        start = max(first, a - LEAD_FRAMES * AAC_FRAME)
        end = min(length, b + TRAIL_FRAMES * AAC_FRAME)
        lo, hi = max(0, start - AAC_FRAME), min(length, end + AAC_FRAME)  # the limiter looks this far
        # a neighbour's silence (the pause before its words) is the same whatever it says
        touching = [k for k in range(len(voice.spans)) if voice.heard(k, lo, hi)]
        key = hash_key(
            MIX_VERSION, "piece", [voice.keys[k] for k in touching],
            [voice.spans[k][0] - lo for k in touching], start - lo, end - lo, hi - lo, bed.key(lo, hi),
            voice_db, limiting, sound.ceiling, sound.bitrate, sound.true_peak - CHECK_MARGIN,
        )  # fmt: skip
        lead = 0 if i == 0 else (a - start) // AAC_FRAME
        out.append(_Piece(i, key, workdir / f"mix-{i:04d}.aac", start, end, lead))
    return out


def _touching(spans: Sequence[tuple[int, int]], pieces: Sequence[_Piece]) -> list[int]:
    """The scenes whose samples these pieces' mix reads (the limiter's reach included)."""
    return sorted(
        {
            k
            for p in pieces
            for k, (a, b) in enumerate(spans)
            if a < p.end + AAC_FRAME and b > p.start - AAC_FRAME
        }
    )


class _Mixer:
    """The limited stereo mix over any stretch of the timeline, from the voice's scenes (each levelled
    once per render) and the bed."""

    def __init__(self, voice: Voice, bed: Bed, voice_db: float, sound: Sound, bound: float | None) -> None:
        self.voice, self.bed, self.sound, self.bound = voice, bed, sound, bound
        self.gain = np.float32(linear(voice_db))
        self.made: OrderedDict[int, Samples] = OrderedDict()  # one thread mixes at a time (`_encode`)

    def _scene(self, k: int) -> Samples:
        if k not in self.made:
            self.made[k] = self.voice.samples(k)
            while len(self.made) > KEPT_SCENES:
                self.made.popitem(last=False)
        return self.made[k]

    def mix(self, start: int, end: int) -> tuple[Samples, float]:
        """Samples [start, end) of the mix, (2, n), limited as the whole track would be (the limiter
        looks a frame beyond either side), and their true peak (dBTP); with a `bound` (the most the
        sum can reach, under the ceiling), not limited."""
        lo, hi = max(0, start - AAC_FRAME), min(self.bed.length, end + AAC_FRAME)
        centre = np.zeros(hi - lo, dtype=np.float32)
        for k, (a, b) in enumerate(self.voice.spans):
            if a < hi and b > lo:
                x = self._scene(k)
                centre[max(a, lo) - lo : min(b, hi) - lo] = x[max(a, lo) - a : min(b, hi) - a]
        centre *= self.gain
        bed = self.bed.window(lo, hi)
        left, right = centre + bed[0], centre + bed[1]
        if self.bound is not None:
            return np.stack([left, right])[:, start - lo : end - lo], self.bound
        floor = linear(self.sound.ceiling - SPARSE_BELOW)  # quieter blocks cannot reach the ceiling
        guide = np.maximum(sparse_envelope(left, floor), sparse_envelope(right, floor))
        left, right = limit(left, self.sound.ceiling, guide), limit(right, self.sound.ceiling, guide)
        peak = min(float(guide.max()), linear(self.sound.ceiling)) if len(guide) else 0.0
        both = np.stack([left, right])[:, start - lo : end - lo]
        return both, db(peak)


async def _encode(
    pieces: Sequence[_Piece],
    mixer: _Mixer,
    sound: Sound,
    workdir: Path,
    cache: DiskCache | None,
    cpu: asyncio.Semaphore,
    guides: dict[int, Floats] | None = None,
    guide_db: float = 0.0,
) -> None:
    """Encode these pieces and cache them. Consecutive pieces (an edit that moved the music under
    every later scene) are one run, encoded and checked as one stream (`encode_pieces`: two encoders
    at once, each on a part of it), then cut into the scenes' pieces: no context frames between them.
    While a run encodes, one thread cuts the one before and mixes the next, so the encoders never
    wait on the mixer (an edited render waits on these encodes alone) and only one thread mixes.
    `guides`: where a piece passed the limit in the joined track, lowered there to `guide_db`.
    The last run goes first: after an edit it hears only voices made before (read back, quick to
    mix), so the encoders start sooner, and the edited scene's voice is made while it encodes."""
    runs = _runs(pieces)
    runs = runs[-1:] + runs[:-1]

    def between(done: Sequence[_Piece] | None, aac: Path | None, upcoming: int) -> PieceJob | None:
        if done is not None and aac is not None:
            _split(done, aac, cache)
        if upcoming < len(runs):
            return _run_job(runs[upcoming], mixer, workdir, guides, guide_db)
        return None

    async with cpu:
        job = await run_in_thread(between, None, None, 0)
        done: tuple[Sequence[_Piece] | None, Path | None] = (None, None)
        for i, run in enumerate(runs):
            assert job is not None
            ahead = asyncio.ensure_future(run_in_thread(between, *done, i + 1))
            try:
                await encode_pieces([job], sound.bitrate, sound.true_peak)
            except BaseException:
                ahead.cancel()
                await wait_until_done([ahead])
                raise
            done, job = (run, job.aac), await ahead
        await run_in_thread(between, *done, len(runs))


def _runs(pieces: Sequence[_Piece]) -> list[list[_Piece]]:
    """The pieces in runs of consecutive scenes, each at most RUN_SECONDS long (or one piece)."""
    runs: list[list[_Piece]] = []
    for p in sorted(pieces, key=lambda p: p.scene):
        run = runs[-1] if runs else None
        if run and run[-1].scene + 1 == p.scene and p.end - run[0].start <= RUN_SECONDS * RATE:
            run.append(p)
        else:
            runs.append([p])
    return runs


def _run_job(
    run: Sequence[_Piece], mixer: _Mixer, workdir: Path, guides: dict[int, Floats] | None, guide_db: float
) -> PieceJob:
    check_cancelled()
    start, end = run[0].start, run[-1].end
    samples, peak = mixer.mix(start, end)
    if guides is not None:
        guide = np.zeros(end - start)
        for p in run:
            a = mixer.voice.spans[p.scene][0] - start
            env = guides[p.scene][: len(guide) - a]
            np.maximum(guide[a : a + len(env)], env, out=guide[a : a + len(env)])
        lowered(samples, guide, guide_db)
    return PieceJob(samples, workdir / f"run-{run[0].scene:04d}.aac", None if guides is not None else peak)


def _split(run: Sequence[_Piece], aac: Path, cache: DiskCache | None) -> None:
    """Cut a run's stream into its pieces: each the frames of its samples and the one before (in the
    place of a priming frame, as a piece encoded alone has), then cached."""
    frames = adts_frames(aac.read_bytes())
    start = run[0].start
    for p in run:
        first, last = (p.start - start) // AAC_FRAME, (p.end - start) // AAC_FRAME
        p.aac.write_bytes(b"".join(frames[first : last + 1]))
        if cache is not None:
            cache.put_file(p.key, p.aac, ".aac")


def _join(pieces: Sequence[_Piece], spans: Sequence[tuple[int, int]], out: Path) -> list[bytes]:
    """The pieces' own frames in order, written to `out` and returned: the first piece's priming
    frame, then from each piece the frames of its own samples (its context frames' packets dropped)."""
    joined: list[bytes] = []
    with open(out, "wb") as sink:
        for p in pieces:
            check_cancelled()
            a, b = spans[p.scene]
            own = (b - a) // AAC_FRAME
            frames = adts_frames(p.aac.read_bytes())
            if len(frames) != (p.end - p.start) // AAC_FRAME + 1:
                raise MediaError(f"scene {p.scene + 1}: unexpected AAC frame count {len(frames)}")
            first = 0 if p.scene == 0 else p.lead + 1
            joined += frames[first : p.lead + own + 1]
        sink.writelines(joined)
    return joined
