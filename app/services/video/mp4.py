"""Reading the samples of an MP4's video track from its sample tables, without a demuxer.

A scene segment is joined into the final file by copying its H.264 samples. libavformat can read
them, but opening a file runs its stream probing, which decodes a frame: ~10 ms a segment, more
than all the rest of the join. Our segments are plain MP4s written by one muxer (one `moov` with
sample tables, no fragments), so the tables say everything: where each sample is, its size, its
timing and whether it is a keyframe. The narration's AAC is read the same way: ADTS frames split at
their headers (`adts_frame_size`), without a demuxer.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.errors import MediaError

MAX_MOOV_BYTES = 64 * 1024 * 1024  # a sample table this large is not one of ours
ADTS_HEADER = 7  # bytes (9 with a CRC; the size field counts them either way)


def adts_frame_size(data: bytes, pos: int, name: str | None = None) -> int:
    """The size, header included, of the ADTS frame at `data[pos:]` (at least ADTS_HEADER bytes of
    it must be there); MediaError, naming the file `name`, if no frame starts there."""
    size = ((data[pos + 3] & 0x03) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
    if data[pos] != 0xFF or data[pos + 1] & 0xF0 != 0xF0 or size < ADTS_HEADER:
        raise MediaError(f"{name}: damaged AAC stream" if name else "damaged AAC stream")
    return size


@dataclass(frozen=True)
class Sample:
    offset: int  # bytes from the file's start
    size: int
    dts: int  # in the track's timescale, from the track's start
    cts: int  # presentation offset from dts
    duration: int
    key: bool


@dataclass(frozen=True)
class VideoTrack:
    """A file's video track: its timescale, samples in decoding order, and its length (ticks)."""

    timescale: int
    samples: tuple[Sample, ...]
    duration: int
    parameter_sets: bytes = b""  # H.264: the avcC's SPS and PPS, each with a 4-byte length

    def with_parameter_sets(self, sample: bytes) -> bytes:
        """A keyframe's NAL units with the track's SPS and PPS before its first IDR slice, unless it
        carries its own: what ffmpeg's concat demuxer makes of each keyframe (its `h264_mp4toannexb`
        step), so that segments whose encoder headers differ still decode after the join."""
        if not self.parameter_sets:
            return sample
        pos = 0
        while pos + 4 < len(sample):
            kind = sample[pos + 4] & 0x1F
            if kind in (7, 8):  # in-band parameter sets already
                return sample
            if kind == 5:
                return sample[:pos] + self.parameter_sets + sample[pos:]
            pos += 4 + int.from_bytes(sample[pos : pos + 4], "big")
        return sample


def boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of each box in data[start:end]."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise MediaError("malformed MP4 box")
        yield kind, pos, pos + header, pos + size
        pos += size


def find_moov(f: BinaryIO) -> tuple[int, bytes]:
    """Where a file's `moov` box starts, and the box (header included)."""
    pos = 0
    while True:
        f.seek(pos)
        head = f.read(16)
        if len(head) < 8:
            raise MediaError("no moov box in the MP4")
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", head, 8)
            header = 16
        if size < header:
            raise MediaError("malformed MP4 box")
        if kind == b"moov":
            if size > MAX_MOOV_BYTES:
                raise MediaError("MP4 header too large")
            f.seek(pos)
            return pos, f.read(size)
        if kind == b"moof":
            raise MediaError("fragmented MP4: not a scene segment")
        pos += size


def child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """The payload (start, end) of the first `kind` box in data[start:end]."""
    for k, _, body, box_end in boxes(data, start, end):
        if k == kind:
            return body, box_end
    return None


def _path(data: bytes, start: int, end: int, *kinds: bytes) -> tuple[int, int] | None:
    span: tuple[int, int] | None = (start, end)
    for kind in kinds:
        if span is None:
            return None
        span = child(data, span[0], span[1], kind)
    return span


def _table(data: bytes, span: tuple[int, int] | None, fmt: str) -> list[tuple[int, ...]]:
    """A full box's entries (version/flags, a 32-bit count, then `fmt` records)."""
    if span is None:
        return []
    start, end = span
    (count,) = struct.unpack_from(">I", data, start + 4)
    width = struct.calcsize(fmt)
    if start + 8 + count * width > end:
        raise MediaError("malformed MP4 sample table")
    return list(struct.iter_unpack(fmt, data[start + 8 : start + 8 + count * width]))


def read_video_track(path: Path) -> VideoTrack:
    """The samples of the first video track of an MP4 (as its edit list plays it from 0)."""
    with path.open("rb") as f:
        _, moov = find_moov(f)
    try:
        for kind, _, body, end in boxes(moov, 8, len(moov)):
            if kind != b"trak":
                continue
            mdia = child(moov, body, end, b"mdia")
            hdlr = _path(moov, *mdia, b"hdlr") if mdia else None
            if mdia is None or hdlr is None or moov[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
                continue
            return _track(moov, body, end, mdia)
    except (struct.error, IndexError) as exc:  # a field past its box's end
        raise MediaError(f"{path.name}: malformed MP4 header: {exc}") from None
    raise MediaError(f"{path.name}: no video track")


def _track(moov: bytes, body: int, end: int, mdia: tuple[int, int]) -> VideoTrack:
    mdhd = _path(moov, *mdia, b"mdhd")
    stbl = _path(moov, *mdia, b"minf", b"stbl")
    if mdhd is None or stbl is None:
        raise MediaError("MP4 track without timing or sample tables")
    version = moov[mdhd[0]]
    (timescale,) = struct.unpack_from(">I", moov, mdhd[0] + (20 if version == 1 else 12))
    stts = _table(moov, child(moov, *stbl, b"stts"), ">II")
    ctts = _table(moov, child(moov, *stbl, b"ctts"), ">Ii")  # signed: version 1 allows negatives
    stsc = _table(moov, child(moov, *stbl, b"stsc"), ">III")
    stss = child(moov, *stbl, b"stss")
    keys = None if stss is None else {k for (k,) in _table(moov, stss, ">I")}
    sizes = _sizes(moov, child(moov, *stbl, b"stsz"))
    co64 = child(moov, *stbl, b"co64")
    chunks = [c for (c,) in _table(moov, co64, ">Q")] if co64 else []
    if not co64:
        chunks = [c for (c,) in _table(moov, child(moov, *stbl, b"stco"), ">I")]
    offsets = _sample_offsets(sizes, chunks, stsc)
    durations = [d for count, d in stts for _ in range(count)]
    shifts = [s for count, s in ctts for _ in range(count)] or [0] * len(sizes)
    if not (len(sizes) == len(offsets) == len(durations) == len(shifts)):
        raise MediaError("MP4 sample tables disagree")
    start = _edit_start(moov, body, end)
    samples, dts = [], -start
    for n, (offset, size, duration, shift) in enumerate(zip(offsets, sizes, durations, shifts, strict=True)):
        samples.append(Sample(offset, size, dts, shift, duration, keys is None or n + 1 in keys))
        dts += duration
    return VideoTrack(timescale, tuple(samples), dts, _parameter_sets(moov, stbl))


def _parameter_sets(moov: bytes, stbl: tuple[int, int]) -> bytes:
    """An avc1 sample entry's SPS and PPS (from its avcC), as 4-byte-length NAL units."""
    stsd = child(moov, *stbl, b"stsd")
    entry = next(boxes(moov, stsd[0] + 8, stsd[1]), None) if stsd else None
    if entry is None or entry[0] not in (b"avc1", b"avc3"):
        return b""
    _, _, body, end = entry
    avcc = child(moov, body + 78, end, b"avcC")  # after the visual sample entry's fixed fields
    if avcc is None:
        return b""
    record = moov[avcc[0] : avcc[1]]
    if len(record) < 7 or record[0] != 1 or record[4] & 0x03 != 3:
        raise MediaError("unexpected H.264 decoder configuration in a scene segment")
    out, pos = bytearray(), 5
    for count_mask in (0x1F, 0xFF):  # the SPS count (5 bits), then the PPS count
        count = record[pos] & count_mask
        pos += 1
        for _ in range(count):
            size = int.from_bytes(record[pos : pos + 2], "big")
            out += size.to_bytes(4, "big") + record[pos + 2 : pos + 2 + size]
            pos += 2 + size
    if pos > len(record):
        raise MediaError("malformed H.264 decoder configuration")
    return bytes(out)


def _sizes(moov: bytes, stsz: tuple[int, int] | None) -> list[int]:
    if stsz is None:
        raise MediaError("MP4 track without sample sizes")
    start, end = stsz
    uniform, count = struct.unpack_from(">II", moov, start + 4)
    if uniform:
        return [uniform] * count
    if start + 12 + 4 * count > end:
        raise MediaError("malformed MP4 sample table")
    return [s for (s,) in struct.iter_unpack(">I", moov[start + 12 : start + 12 + 4 * count])]


def _sample_offsets(sizes: list[int], chunks: list[int], stsc: list[tuple[int, ...]]) -> list[int]:
    """Each sample's file offset, from the chunk offsets and the samples-per-chunk runs."""
    offsets: list[int] = []
    n = 0
    for run, (first, per_chunk, _) in enumerate(stsc):
        last = stsc[run + 1][0] - 1 if run + 1 < len(stsc) else len(chunks)
        for chunk in range(first - 1, last):
            if chunk >= len(chunks):
                raise MediaError("malformed MP4 chunk table")
            at = chunks[chunk]
            for _ in range(per_chunk):
                if n >= len(sizes):
                    break
                offsets.append(at)
                at += sizes[n]
                n += 1
    return offsets


def _edit_start(moov: bytes, body: int, end: int) -> int:
    """Where the track's one edit starts in its media (ticks): 0 for our segments. Anything more
    than one edit that plays the media from some point on is not a file we wrote."""
    elst = _path(moov, body, end, b"edts", b"elst")
    if elst is None:
        return 0
    version = moov[elst[0]]
    rows = _table(moov, elst, ">QqI" if version == 1 else ">IiI")
    edits = [media for _, media, _ in rows if media != -1]  # -1: an empty edit (a delay)
    if len(edits) != 1 or len(rows) != 1:
        raise MediaError("MP4 edit list not supported in a scene segment")
    return int(edits[0])
