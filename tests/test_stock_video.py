"""Stock video as a scene's background and text over pictures (issue 18): the scrim under words on a
photo keeps them readable whatever the photo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from app.services.models import VideoFormat
from app.services.planning.plan import ImageRef, Item, Scene
from app.services.visuals import THEMES, render_scene


def test_words_on_a_white_photo_sit_on_a_dark_scrim(tmp_path: Path) -> None:
    """A tall block of words over a white photo: every row with words on it is darkened to a third
    of the photo's brightness or less (white words on it: contrast ~9:1), the top of the photo not."""
    white = tmp_path / "white.png"
    Image.new("RGB", (640, 360), (255, 255, 255)).save(white)
    scene = Scene(
        id="s1",
        layout="full_image",
        title="A long title over a bright sky that takes two lines",
        image=ImageRef(path=str(white), alt="Clouds over the hills at noon, bright and white", fit="cover"),
        items=[Item(text="A second line of words under it."), Item(text="And a third one.")],
        narration="x",
    )
    for fmt in (VideoFormat("16:9", 360), VideoFormat("9:16", 640)):
        out = render_scene(scene, fmt, THEMES["dark"], None, tmp_path / f"{fmt.aspect[0]}.png")
        pixels = np.asarray(Image.open(out).convert("L"), dtype=np.float32)
        light = pixels > 180  # the words (white, off-white) and the unshaded photo
        dark_share = (pixels < 120).mean(axis=1)
        text_rows = [y for y in range(pixels.shape[0]) if light[y].any() and dark_share[y] > 0.5]
        assert len(text_rows) > 0.1 * pixels.shape[0]  # the words are there, on the scrim
        first = min(text_rows)
        background = [float(np.median(pixels[y][pixels[y] < 150])) for y in text_rows]
        assert max(background) <= 85, (fmt, first, max(background))  # 255 unshaded: a third or less
        assert pixels[: first // 3].mean() > 230  # the photo above the band is left as it is
