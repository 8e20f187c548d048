"""Real image files for the image tests, made with Pillow (and zlib, for a PNG too large to make
with Pillow in memory)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

RED = (220, 30, 30)
GREEN = (30, 200, 60)
BLUE = (30, 60, 220)


def png(
    path: Path, size: tuple[int, int] = (64, 48), colour: tuple[int, ...] = RED, mode: str = "RGB"
) -> Path:
    Image.new(mode, size, colour).save(path, "PNG")
    return path


def png_bytes(size: tuple[int, int] = (8, 8), colour: tuple[int, ...] = RED) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def huge_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A real, valid 1-bit PNG of width x height (400 megapixels at the default): a decompression
    bomb of about 50 KB, streamed through zlib row by row so that making it costs no memory."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte + one bit per pixel, all black
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


def two_colour_jpeg(path: Path, orientation: int = 1) -> Path:
    """200x100: left half red, right half blue; with an EXIF orientation tag."""
    image = Image.new("RGB", (200, 100), BLUE)
    image.paste(RED, (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


def animated_gif(path: Path) -> Path:
    """Two frames: red, then blue."""
    frames = [Image.new("RGB", (40, 30), c).convert("P") for c in (RED, BLUE)]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def animated_webp(path: Path) -> Path:
    """Two frames: red, then blue."""
    frames = [Image.new("RGB", (40, 30), c) for c in (RED, BLUE)]
    frames[0].save(path, "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    return path


def webp(path: Path, colour: tuple[int, ...] = GREEN) -> Path:
    Image.new("RGBA", (50, 40), colour).save(path, "WEBP", lossless=True)
    return path


def svg(path: Path, body: str = "", fill: str = "#1ec83c") -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="160" height="90" viewBox="0 0 160 90">'
        f'<rect width="160" height="90" fill="{fill}"/>{body}</svg>',
        encoding="utf-8",
    )
    return path


def pixel(path: Path, xy: tuple[float, float]) -> tuple[int, ...]:
    """The colour at a fraction (x, y) of the image."""
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        return rgb.getpixel((int(xy[0] * (im.width - 1)), int(xy[1] * (im.height - 1))))  # type: ignore[return-value]


def near(colour: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=False))
