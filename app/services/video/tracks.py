"""Turning off the "enabled" flag of an MP4's subtitle track, in place.

ffmpeg's MP4 muxer enables the first track of every kind whatever `-disposition` says, and players
show an enabled subtitle track by default: over burned captions that is every caption twice. The
flag is one bit of the track header (`tkhd`), so it is cleared in the written file, with no copy.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app.errors import MediaError

SUBTITLE_HANDLERS = (b"sbtl", b"subt")  # mov_text in MP4, and the other subtitle handler
TRACK_ENABLED = 0x1
MAX_MOOV_BYTES = 64 * 1024 * 1024  # a sample table this large is not one of ours


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
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


def _find_moov(f: BinaryIO) -> tuple[int, bytes]:
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
        pos += size


def disable_subtitle_tracks(path: Path) -> int:
    """Clear the enabled flag of every subtitle track of an MP4; returns how many were changed."""
    changed = 0
    with path.open("r+b") as f:
        base, moov = _find_moov(f)
        for kind, _, body, end in _boxes(moov, 8, len(moov)):
            if kind != b"trak":
                continue
            tkhd = handler = None
            for sub, _, sub_body, sub_end in _boxes(moov, body, end):
                if sub == b"tkhd":
                    tkhd = sub_body
                elif sub == b"mdia":
                    for leaf, _, leaf_body, _ in _boxes(moov, sub_body, sub_end):
                        if leaf == b"hdlr":
                            handler = moov[leaf_body + 8 : leaf_body + 12]
            if tkhd is not None and handler in SUBTITLE_HANDLERS:
                flags_byte = tkhd + 3  # version (1 byte), then 24 bits of flags
                f.seek(base + flags_byte)
                f.write(bytes([moov[flags_byte] & ~TRACK_ENABLED & 0xFF]))
                changed += 1
    return changed
