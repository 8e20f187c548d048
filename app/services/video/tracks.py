"""Turning off the "enabled" flag of an MP4's subtitle track, in place.

ffmpeg's MP4 muxer enables the first track of every kind whatever `-disposition` says, and players
show an enabled subtitle track by default: over burned captions that is every caption twice. The
flag is one bit of the track header (`tkhd`), so it is cleared in the written file, with no copy.
"""

from __future__ import annotations

from pathlib import Path

from app.services.video.mp4 import boxes, find_moov

SUBTITLE_HANDLERS = (b"sbtl", b"subt")  # mov_text in MP4, and the other subtitle handler
TRACK_ENABLED = 0x1


def disable_subtitle_tracks(path: Path) -> int:
    """Clear the enabled flag of every subtitle track of an MP4; returns how many were changed."""
    changed = 0
    with path.open("r+b") as f:
        base, moov = find_moov(f)
        for kind, _, body, end in boxes(moov, 8, len(moov)):
            if kind != b"trak":
                continue
            tkhd = handler = None
            for sub, _, sub_body, sub_end in boxes(moov, body, end):
                if sub == b"tkhd":
                    tkhd = sub_body
                elif sub == b"mdia":
                    for leaf, _, leaf_body, _ in boxes(moov, sub_body, sub_end):
                        if leaf == b"hdlr":
                            handler = moov[leaf_body + 8 : leaf_body + 12]
            if tkhd is not None and handler in SUBTITLE_HANDLERS:
                flags_byte = tkhd + 3  # version (1 byte), then 24 bits of flags
                f.seek(base + flags_byte)
                f.write(bytes([moov[flags_byte] & ~TRACK_ENABLED & 0xFF]))
                changed += 1
    return changed
