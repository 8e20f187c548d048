"""Ken Burns motion: a slow pan and zoom with sub-pixel precision, the same for a scene every time.

Why sub-pixel: cropping at whole pixels (the first `--motion`) repeats a frame whenever the pan moves
less than a pixel a frame and then jumps; here every frame samples a window with float corners
(ffmpeg's `perspective`, bilinear, 1/256 px steps), so the picture glides at a steady speed.
The path depends only on the picture's digest: a re-render moves the same way (and hits the cache).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

MotionMode = Literal["none", "photos", "all"]
MOTION_MODES: tuple[MotionMode, ...] = ("none", "photos", "all")
ZOOM_NEAR, ZOOM_FAR = 1.06, 1.12  # gentle: the window is 6-12% smaller than the picture
# slides (and pictures with words on them): at most ~3% cut off a side, inside the 5% margin
SLIDE_ZOOM_NEAR, SLIDE_ZOOM_FAR, SLIDE_PAN = 1.02, 1.05, (0.3, 0.7)


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
