"""A scene's still as a transparent overlay, for a scene whose picture is a moving video clip.

Why by difference: the layouts draw a picture, then a scrim, panels and words over it, with Pillow's
linear blending everywhere. Drawn once over a black picture and once over a white one, each pixel is
`c * a + picture * (1 - a)` in both, so the two give back its opacity `a` and colour `c` exactly
(to rounding): words, scrim and panels over a clip look as they would over a photo, and nothing in
the layouts has to know about clips. Where the picture shows through (opacity under 250/255) is
the box the clip fills: the whole frame (`full_image`) or the picture's box (`image_text`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from app.services.visuals.drawing import save_png
from app.services.visuals.model import Box

SEE_THROUGH = 250  # opacity under which the clip shows (a scrim is 184 at its darkest)


def matte(on_black: Path, on_white: Path, out: Path) -> Box | None:
    """Write the RGBA overlay of two drawings of one still (over a black and a white picture) to
    `out`; return the box where the picture shows through, None if it shows nowhere."""
    with Image.open(on_black) as b, Image.open(on_white) as w:
        black = np.asarray(b.convert("RGB"), dtype=np.float32)
        white = np.asarray(w.convert("RGB"), dtype=np.float32)
    alpha = np.clip(255.0 - (white - black).mean(axis=2), 0.0, 255.0)
    colour = black * (255.0 / np.maximum(alpha, 1.0))[:, :, None]
    rgba = np.dstack([np.clip(colour, 0, 255), alpha]).round().astype(np.uint8)
    save_png(Image.fromarray(rgba, "RGBA"), out)
    rows, cols = (
        np.nonzero((alpha < SEE_THROUGH).any(axis=1))[0],
        np.nonzero((alpha < SEE_THROUGH).any(axis=0))[0],
    )
    if not len(rows):
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
