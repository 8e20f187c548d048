"""The backdrop: what is behind a slide's content, different from scene to scene.

Per scene (by its place in the video, so the same scene always looks the same): the gradient's
direction, a tint towards an accent (the `bold` theme instead cycles through its backgrounds), and
one large decoration (a soft disc, a ring, a diagonal band, a dot grid, a corner glow) in a corner
that alternates (no thin stripe along the frame's edge: it read as a glitch of the picture).
Consecutive scenes differ in all three, so they are told apart at a glance.

`paint_backdrop` draws it: the gradient is computed in floating point and dithered (a little noise
before rounding), so a dark gradient has no visible bands, even after H.264.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from app.services.visuals.frame import Frame
from app.services.visuals.model import Backdrop, Decoration
from app.services.visuals.themes import RGB, Theme, mix

ANGLES = (90, 135, 60, 160, 110, 30)  # degrees; 90 = top to bottom
KINDS = ("disc", "ring", "band", "dots", "corner")
TINTS = (0.0, 0.1, 0.05, 0.14, 0.03, 0.09)


def _bayer(n: int) -> np.ndarray:
    """The n x n ordered-dither threshold matrix, values in (0, 1)."""
    m = np.zeros((1, 1), dtype=np.float32)
    while m.shape[0] < n:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return ((m + 0.5) / (n * n)).astype(np.float32)


BAYER = _bayer(8)  # ordered dithering: no bands, and a pattern PNG compresses (noise does not)


def backdrop_for(theme: Theme, frame: Frame, index: int, quiet: bool = False) -> Backdrop:
    """The scene's backdrop; `quiet` (a full picture behind) keeps only the gradient."""
    colors = theme.background
    if theme.backgrounds:
        colors = theme.backgrounds[index % len(theme.backgrounds)]
    if not theme.variety:
        return Backdrop(colors, 90)
    accent = theme.accent if index % 2 == 0 else theme.accent2
    tint = TINTS[index % len(TINTS)] * (0.5 if theme.backgrounds else 1.0)
    colors = (mix(colors[0], accent, tint * 0.5), mix(colors[1], accent, tint))
    angle = ANGLES[index % len(ANGLES)]
    if quiet:
        return Backdrop(colors, angle)
    return Backdrop(colors, angle, (_decoration(theme, frame, index, accent),))


def _decoration(theme: Theme, frame: Frame, index: int, accent: RGB) -> Decoration:
    kind = KINDS[index % len(KINDS)]
    w, h, short = frame.width, frame.height, frame.short
    right = (index // len(KINDS) + index) % 2 == 0  # which side it sits on alternates too
    strength = 0.16 if theme.is_dark else 0.13
    if kind == "disc":
        r = round(short * 0.62)
        cx, cy = (
            (w - round(r * 0.35), h - round(r * 0.25)) if right else (round(r * 0.35), h - round(r * 0.25))
        )
        return Decoration(kind, (cx - r, cy - r, cx + r, cy + r), accent, strength)
    if kind == "ring":
        r = round(short * 0.42)
        cx, cy = (w - round(r * 0.2), round(r * 0.3)) if right else (round(r * 0.2), round(r * 0.3))
        return Decoration(kind, (cx - r, cy - r, cx + r, cy + r), accent, strength * 1.6)
    if kind == "band":
        return Decoration(kind, (0, 0, w, h), accent, strength * 0.75)
    if kind == "dots":
        size = round(short * 0.34)
        box = (w - size - round(w * 0.02), round(h * 0.02), w - round(w * 0.02), round(h * 0.02) + size)
        if not right:
            box = (round(w * 0.02), h - size - round(h * 0.02), round(w * 0.02) + size, h - round(h * 0.02))
        return Decoration(kind, box, accent, strength * 2.2)
    r = round(short * 0.5)
    box = (w - r, h - r, w + r, h + r) if right else (-r, -r, r, r)
    return Decoration("corner", box, accent, strength * 1.2)


def paint_backdrop(size: tuple[int, int], backdrop: Backdrop, seed: int = 0) -> Image.Image:
    image = gradient(size, backdrop.colors, backdrop.angle, seed)
    for decoration in backdrop.decorations:
        layer = _overlay(size, decoration)
        box = layer.getbbox()
        if box is None:
            continue
        region = image.crop(box).convert("RGBA")
        region.alpha_composite(layer.crop(box))
        image.paste(region.convert("RGB"), box[:2])
    return image


@lru_cache(maxsize=4)
def _ramp(size: tuple[int, int], angle: int) -> np.ndarray:
    """0 at one end of the gradient, 1 at the other (cached: every still of a scene shares it)."""
    width, height = size
    rad = math.radians(angle)
    t = np.arange(height, dtype=np.float32)[:, None] * math.sin(rad)
    t = t + np.arange(width, dtype=np.float32)[None, :] * math.cos(rad)
    t -= t.min()
    t /= max(float(t.max()), 1.0)
    t.flags.writeable = False
    return t


@lru_cache(maxsize=2)
def _threshold(size: tuple[int, int]) -> np.ndarray:
    width, height = size
    tile = np.tile(BAYER, (height // 8 + 1, width // 8 + 1))[:height, :width]
    tile.flags.writeable = False
    return tile


def forget_ramps() -> None:
    """Drop the full-frame float buffers kept for a scene's next still (~8 MB each at 1080p)."""
    _ramp.cache_clear()
    _threshold.cache_clear()


def gradient(size: tuple[int, int], colors: tuple[RGB, RGB], angle: int, seed: int = 0) -> Image.Image:
    """A linear gradient at `angle`, computed in float and ordered-dithered down to 8 bits, so
    neighbouring pixels mix two levels where a plain rounding would make a band."""
    start = np.asarray(colors[0], dtype=np.float32)
    end = np.asarray(colors[1], dtype=np.float32)
    pixels = np.multiply(_ramp(size, angle)[..., None], end - start)  # one full-size buffer, in place
    pixels += start
    pixels += _threshold(size)[..., None]
    np.clip(pixels, 0, 255, out=pixels)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _overlay(size: tuple[int, int], d: Decoration) -> Image.Image:
    """One decoration on a transparent layer; large soft shapes are drawn small and enlarged (soft
    edges for free), small crisp ones at full size."""
    width, height = size
    alpha = round(255 * d.alpha)
    fill = (*d.fill, alpha)
    if d.kind in ("disc", "corner", "band"):
        k = 4
        layer = Image.new("RGBA", (width // k + 1, height // k + 1), (*d.fill, 0))
        draw = ImageDraw.Draw(layer)
        box = tuple(v // k for v in d.box)
        if d.kind == "band":
            w, h = layer.size
            draw.polygon([(w * 0.55, 0), (w * 0.8, 0), (w * 0.45, h), (w * 0.2, h)], fill=fill)
        else:
            draw.ellipse(box, fill=fill)
        return layer.resize((layer.width * k, layer.height * k), Image.Resampling.BICUBIC).crop(
            (0, 0, width, height)
        )
    layer = Image.new("RGBA", size, (*d.fill, 0))
    if d.kind in ("ring", "dots"):  # crisp shapes: drawn at twice the size in their box, then reduced
        left, top, right, bottom = d.box
        k = 2
        patch = Image.new("RGBA", ((right - left) * k, (bottom - top) * k), (*d.fill, 0))
        draw = ImageDraw.Draw(patch)
        if d.kind == "ring":
            draw.ellipse(
                (0, 0, patch.width - 1, patch.height - 1), outline=fill, width=max(4, patch.width // 32)
            )
        else:
            step = max(16, patch.width // 7)
            r = max(4, step // 7)
            for y in range(step // 2, patch.height, step):
                for x in range(step // 2, patch.width, step):
                    draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
        patch = patch.resize((right - left, bottom - top), Image.Resampling.LANCZOS)
        layer.alpha_composite(patch, (max(0, left), max(0, top)), (max(0, -left), max(0, -top)))
        return layer
    ImageDraw.Draw(layer).rectangle(d.box, fill=fill)
    return layer
