"""AAC-LC in ADTS: pieces encoded from raw float samples, several per ffmpeg run, checked after encoding
so that no peak the encoder adds passes the true-peak limit.

An AAC encoder can put a peak a dB or two above any sample it was given (quantization noise on a
transient). Each new piece is therefore decoded (PyAV) and measured; where the decoded audio passes
the limit, the samples are lowered there, using the decoded peaks as the limiter's guide, and the piece
is encoded again (at most a few rounds; cached afterwards like any piece). A piece decodes a little
differently beside its neighbours than alone (the frame after a join is rebuilt from both pieces'
blocks), so the joined track is measured too (`joined_overs`): what is delivered is what is checked.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.audio.dynamics import limit
from app.services.audio.loudness import RATE, SPARSE_BELOW, Floats, Samples, linear, sparse_envelope
from app.services.video import run_ffmpeg

AAC_FRAME = 1024
CHECK_MARGIN = 0.3  # dB: decoded audio must stay this far under the limit (measurements differ a little)
SAFE_HEADROOM = 2.5  # dB: AAC at these bitrates adds well under this to a peak
JOIN_WINDOW = 2  # frames decoded on either side of a join to check it
ROUNDS = 3  # checks after encoding; the last lowers the piece as a whole (its encoding is then final)


@dataclass(frozen=True)
class PieceJob:
    """Raw float samples (`channels` interleaved, 48 kHz) to encode into `aac`."""

    raw: Path
    aac: Path
    channels: int = 1
    peak: float | None = None  # the samples' true peak, dBTP, when known: far under the limit, no check


async def encode_pieces(
    jobs: Sequence[PieceJob], bitrate: int, true_peak: float, *, fast: bool = False
) -> None:
    """Encode every job, then encode again the ones whose decoded peaks pass `true_peak` dBTP: lowered
    where they pass it (each round by a wider margin), and in a last round lowered as a whole."""
    todo = list(jobs)
    for attempt in range(ROUNDS + 1):
        if not todo:
            return
        await _encode_batch(todo, bitrate, fast)
        if attempt == 0:  # samples this far under the limit cannot come out over it
            todo = [j for j in todo if j.peak is None or j.peak > true_peak - SAFE_HEADROOM]
        if attempt < ROUNDS:
            margin = CHECK_MARGIN * (attempt + 1)
            check_at = true_peak - CHECK_MARGIN
            todo = await run_in_thread(_tame_overshoots, todo, check_at, margin, attempt + 1 == ROUNDS)


async def _encode_batch(jobs: Sequence[PieceJob], bitrate: int, fast: bool = False) -> None:
    """Several pieces in one ffmpeg run, each with its own encoder (and so its own priming frame):
    starting ffmpeg costs more than encoding a scene's speech."""
    args: list[str] = []
    for job in jobs:
        args += ["-f", "f32le", "-ar", str(RATE), "-ac", str(job.channels), "-i", str(job.raw)]
    for n, job in enumerate(jobs):
        rate = bitrate * 1000
        coder = ["-aac_coder", "fast"] if fast else []
        args += ["-map", f"{n}:a", "-c:a", "aac", *coder, "-b:a", str(rate), "-f", "adts", str(job.aac)]
    await run_ffmpeg(args, what="encoding audio")


def decode(path: Path, channels: int, frames: Sequence[bytes] | None = None) -> list[Samples]:
    """An ADTS file's samples per channel, its priming frame included (so sample i of the track is
    sample i of the decoded stream); or, `frames`, those of the file's frames alone."""
    parts: list[list[Samples]] = [[] for _ in range(channels)]
    source: str | io.BytesIO = str(path) if frames is None else io.BytesIO(b"".join(frames))
    try:
        with av.open(source, format="adts") as container:
            for frame in container.decode(audio=0):
                planes = frame.to_ndarray()
                if planes.shape[0] != channels:
                    raise MediaError(f"{path.name}: {planes.shape[0]} channels, expected {channels}")
                for c in range(channels):
                    parts[c].append(planes[c].astype(np.float32))
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path.name}: undecodable AAC: {exc}") from exc
    return [np.concatenate(p) if p else np.zeros(0, dtype=np.float32) for p in parts]


def joined_overs(
    track: Path,
    channels: int,
    spans: Sequence[tuple[int, int]],
    limit_db: float,
) -> dict[int, Floats]:
    """The pieces whose samples in the joined `track` pass `limit_db` dBTP once decoded, by index,
    each with the decoded true-peak envelope over its span (`spans`: each piece's samples in the
    decoded track, priming included), the guide to lower it by.

    Every piece was checked alone when it was encoded (`encode_pieces`), and a piece decodes beside
    its neighbours as it does alone but for its first frame (rebuilt from the previous piece's last
    block and its own first one): so only the joins are decoded, a few frames each."""
    frames = adts_frames(track.read_bytes())
    total = len(frames) * AAC_FRAME
    ceiling = linear(limit_db)
    loudest = np.zeros(total)
    windows = sorted(
        {
            (max(0, a // AAC_FRAME - JOIN_WINDOW), min(len(frames), a // AAC_FRAME + JOIN_WINDOW))
            for a, _ in spans[1:]
        }
    )
    if not windows:
        return {}  # one piece: checked alone, nothing joined
    # every window's frames in one stream, decoded once: a window's first frame is rebuilt from the
    # previous window's last block (or none), so it is not used; the others decode as in the track
    decoded = decode(track, channels, [f for a, b in windows for f in frames[a:b]])
    envs = [sparse_envelope(d, ceiling * linear(-SPARSE_BELOW)) for d in decoded]
    env = np.max(envs, axis=0) if envs else np.zeros(0)
    at = 0
    for a, b in windows:
        check_cancelled()
        skip = 1 if a else 0
        part = env[(at + skip) * AAC_FRAME : (at + b - a) * AAC_FRAME]
        lo = (a + skip) * AAC_FRAME
        np.maximum(loudest[lo : lo + len(part)], part, out=loudest[lo : lo + len(part)])
        at += b - a
    out = {}
    for i, (start, end) in enumerate(spans):
        env = loudest[start:end]
        if len(env) and env.max() > ceiling:
            out[i] = env
    return out


def lowered(raw: Path, channels: int, guide: Floats, limit_db: float) -> None:
    """Lower the raw samples in place where `guide` (their decoded peaks) passes `limit_db`."""
    samples = np.fromfile(raw, dtype="<f4").reshape(-1, channels)
    envelope = np.zeros(len(samples))
    envelope[: min(len(samples), len(guide))] = guide[: len(samples)]
    for c in range(channels):
        samples[:, c] = limit(samples[:, c].copy(), limit_db, envelope=envelope)
    samples.astype("<f4").tofile(raw)


def _tame_overshoots(jobs: Sequence[PieceJob], limit_db: float, margin: float, whole: bool) -> list[PieceJob]:
    """The jobs whose decoded audio passes `limit_db`, their samples lowered where it does by `margin`
    dB more (or, `whole`, lowered as a whole: the encoder's peaks follow a plain gain)."""
    again = []
    ceiling = linear(limit_db)
    for job in jobs:
        check_cancelled()
        decoded = decode(job.aac, job.channels)
        envs = [sparse_envelope(d[AAC_FRAME:], ceiling * linear(-SPARSE_BELOW)) for d in decoded]
        loudest = np.max(envs, axis=0) if envs and len(envs[0]) else np.zeros(0)
        if not len(loudest) or loudest.max() <= ceiling:
            continue
        raw = np.fromfile(job.raw, dtype="<f4").reshape(-1, job.channels)
        n = len(raw)
        guide = np.zeros(n)
        guide[: min(n, len(loudest))] = loudest[:n]
        if whole:
            raw *= np.float32(ceiling / float(loudest.max()) * linear(-margin))
        else:  # lower the samples where the decoded peaks are over, plus a margin for the next round
            for c in range(job.channels):
                raw[:, c] = limit(raw[:, c].copy(), limit_db - margin, envelope=guide)
        raw.astype("<f4").tofile(job.raw)
        again.append(job)
    return again


def adts_frames(data: bytes) -> list[bytes]:
    """Split an ADTS stream into its frames (each starts with a 7- or 9-byte header)."""
    frames = []
    i = 0
    while i + 7 <= len(data):
        if data[i] != 0xFF or (data[i + 1] & 0xF0) != 0xF0:
            raise MediaError("damaged AAC stream")
        length = ((data[i + 3] & 0x03) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5)
        if length < 7:
            raise MediaError("damaged AAC stream")
        frames.append(data[i : i + length])
        i += length
    return frames
