"""Ken Burns motion: a slow pan and zoom with sub-pixel precision, the same for a scene every time.

Why sub-pixel: cropping at whole pixels (the first `--motion`) repeats a frame whenever the pan moves
less than a pixel a frame and then jumps; here every frame samples a window with float corners, so
the picture glides at a steady speed. A moving scene's frames are drawn here (`pan_frame`: Pillow's
separable bilinear resize of a float box, on each plane of the picture in YUV 4:2:0) and piped to the
encoder: about half the time of ffmpeg's `perspective` filter, which recomputes a per-pixel map of
the whole frame on one thread for every frame (it still draws the short transition windows, `filter`).
The path depends only on the picture's digest: a re-render moves the same way (and hits the cache).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Literal

from PIL import Image

MotionMode = Literal["none", "photos", "all"]
MOTION_MODES: tuple[MotionMode, ...] = ("none", "photos", "all")
ZOOM_NEAR, ZOOM_FAR = 1.06, 1.12  # gentle: the window is 6-12% smaller than the picture
# slides (and pictures with words on them): at most ~3% cut off a side, inside the 5% margin
SLIDE_ZOOM_NEAR, SLIDE_ZOOM_FAR, SLIDE_PAN = 1.02, 1.05, (0.3, 0.7)
# frames drawn at once while x264 encodes the last ones: Pillow resamples without the GIL, so two
# threads draw twice as fast when a core is free; more would only hold more 3 MB frames
DRAW_THREADS = min(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class KenBurns:
    """A window zooming from `zoom0` to `zoom1` while it goes from `pan0` to `pan1` (each 0..1 across
    the room its zoom leaves at that end). Its corner and its size change linearly, so the picture
    moves at a steady speed, and it stays inside the picture at every moment (it does at both ends)."""

    zoom0: float
    zoom1: float
    pan0: tuple[float, float]
    pan1: tuple[float, float]

    @classmethod
    def for_key(cls, key: str, slide: bool = False) -> KenBurns:
        """A deterministic path from a picture's digest: zoom in or out, along one of 4 diagonals;
        a `slide` moves less, so that its words stay inside the frame."""
        b = hashlib.sha256(key.encode("utf-8")).digest()
        near, far, (lo, hi) = (
            (SLIDE_ZOOM_NEAR, SLIDE_ZOOM_FAR, SLIDE_PAN) if slide else (ZOOM_NEAR, ZOOM_FAR, (0, 1))
        )
        zoom = (near, far) if b[0] % 2 else (far, near)
        sx, sy = (lo, hi) if b[1] % 2 else (hi, lo), (lo, hi) if b[2] % 2 else (hi, lo)
        return cls(zoom[0], zoom[1], (sx[0], sy[0]), (sx[1], sy[1]))

    def window(self, t: float, size: tuple[int, int]) -> tuple[float, float, float, float]:
        """The source window (x, y, width, height) at time `t` (0..1 of the scene)."""
        (x0, y0, w0, h0), (x1, y1, w1, h1) = self._ends(size)
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, w0 + (w1 - w0) * t, h0 + (h1 - h0) * t

    def _ends(self, size: tuple[int, int]) -> list[tuple[float, float, float, float]]:
        w, h = size
        ends = []
        for zoom, (px, py) in ((self.zoom0, self.pan0), (self.zoom1, self.pan1)):
            ww, wh = w / zoom, h / zoom
            ends.append(((w - ww) * px, (h - wh) * py, ww, wh))
        return ends

    def filter(self, size: tuple[int, int], frame0: int, total: int) -> str:
        """An ffmpeg `perspective` filter drawing frames `frame0`.. of a `total`-frame scene from a
        picture of `size` (its own frame counter `in` starts at 1)."""
        t = f"min(1,(in-1+{frame0})/{max(1, total - 1)})"  # (a segment's 1 ms end mark is one past)
        (x0, y0, w0, h0), (x1, y1, w1, h1) = self._ends(size)
        x, y = f"({x0:.6f}+{x1 - x0:.6f}*{t})", f"({y0:.6f}+{y1 - y0:.6f}*{t})"
        ww, wh = f"({w0:.6f}+{w1 - w0:.6f}*{t})", f"({h0:.6f}+{h1 - h0:.6f}*{t})"
        corners = {
            "x0": x, "y0": y, "x1": f"{x}+{ww}", "y1": y,
            "x2": x, "y2": f"{y}+{wh}", "x3": f"{x}+{ww}", "y3": f"{y}+{wh}",
        }  # fmt: skip
        args = ":".join(f"{k}='{v}'" for k, v in corners.items())
        return f"perspective={args}:interpolation=linear:sense=source:eval=frame"


@dataclass(frozen=True)
class Planes:
    """A picture in YUV 4:2:0 (converted by ffmpeg as the stills are: BT.709, video range), one
    8-bit Pillow image per plane."""

    y: Image.Image
    u: Image.Image
    v: Image.Image

    @classmethod
    def from_raw(cls, raw: bytes, size: tuple[int, int]) -> Planes:
        w, h = size
        cw, ch = w // 2, h // 2
        luma, chroma = w * h, cw * ch
        if len(raw) != luma + 2 * chroma:
            raise ValueError(f"{len(raw)} bytes are not a {w}x{h} yuv420p picture")
        return cls(
            Image.frombytes("L", size, raw[:luma]),
            Image.frombytes("L", (cw, ch), raw[luma : luma + chroma]),
            Image.frombytes("L", (cw, ch), raw[luma + chroma :]),
        )


def pan_frame(planes: Planes, path: KenBurns, t: float) -> bytes:
    """The frame at `t` (0..1 of the path) as raw yuv420p: each plane's window resampled to the
    plane's size (bilinear over a float box: sub-pixel, so the picture glides)."""
    size = planes.y.size
    x, y, w, h = path.window(min(1.0, max(0.0, t)), size)
    out = [planes.y.resize(size, Image.Resampling.BILINEAR, box=(x, y, x + w, y + h)).tobytes()]
    for plane in (planes.u, planes.v):  # chroma at half size: the same window, halved
        box = (x / 2, y / 2, (x + w) / 2, (y + h) / 2)
        out.append(plane.resize(plane.size, Image.Resampling.BILINEAR, box=box).tobytes())
    return b"".join(out)
