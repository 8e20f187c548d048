"""Reading font files: which characters a file has, its family name and axes, and Pillow fonts.

A font collection (`.ttc`/`.otc`, e.g. Noto Sans CJK, whose one 33 MB file holds the Japanese,
Korean, Simplified and Traditional Chinese faces over shared outlines) is used through one face,
chosen by family name (`COLLECTION_FACES`); every reader here opens that same face, so what is
measured, drawn and named to libass agrees.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from app.errors import RenderError

COLLECTION_SUFFIXES = (".ttc", ".otc")
# collection file name -> the family of the face t2v draws with (all faces cover the same text;
# Simplified Chinese glyph forms are the default, a document's Han text is most often Chinese)
COLLECTION_FACES = {"NotoSansCJK-VF.otf.ttc": "Noto Sans CJK SC"}


def is_collection(path: Path) -> bool:
    return real_file(path).name.lower().endswith(COLLECTION_SUFFIXES)


def collection_face(path: Path, family: str) -> Path:
    """Another face of a collection, named by its family: "NotoSansCJK-VF.otf.ttc#Noto Sans CJK JP".
    Such a name is for the readers here (Pillow, fontTools); `real_file` gives the file to link."""
    return real_file(path).with_name(f"{real_file(path).name}#{family}")


def real_file(path: Path) -> Path:
    """The font file itself (a face of a collection named with `collection_face` is in this file)."""
    return path.with_name(path.name.partition("#")[0]) if "#" in path.name else path


@lru_cache(maxsize=32)
def face_index(path: Path) -> int:
    """The face of a collection t2v uses (0 for a single font, or when the family is not found)."""
    if not is_collection(path):
        return 0
    file = real_file(path)
    wanted = path.name.partition("#")[2] or COLLECTION_FACES.get(file.name)
    if not wanted:
        return 0
    from fontTools.ttLib import TTCollection

    try:
        with TTCollection(file, lazy=True) as collection:
            for n, font in enumerate(collection.fonts):
                if font["name"].getDebugName(1) == wanted:
                    return n
    except Exception as exc:  # fontTools raises many kinds on a damaged file
        raise RenderError(f"cannot read font {path.name}: {exc}") from exc
    return 0


@lru_cache(maxsize=64)
def _font_info(path: Path) -> tuple[frozenset[int], str, dict[str, tuple[float, float, float]]]:
    """Read the cmap, family name and variation axes once per file."""
    from fontTools.ttLib import TTFont  # runtime use: fonttools must be installed with t2v

    try:
        with TTFont(real_file(path), lazy=True, fontNumber=face_index(path)) as font:
            cmap = frozenset(font.getBestCmap() or {})
            family = font["name"].getDebugName(1) or path.stem
            axes = {}
            if "fvar" in font:
                axes = {a.axisTag: (a.minValue, a.defaultValue, a.maxValue) for a in font["fvar"].axes}
    except RenderError:
        raise
    except Exception as exc:  # fontTools raises many kinds on a damaged file
        raise RenderError(f"cannot read font {path.name}: {exc}") from exc
    return cmap, family, axes


@lru_cache(maxsize=64)
def space_width(font_path: Path) -> float:
    """The advance of the font's space, in em (0 when it has none)."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(real_file(font_path), lazy=True, fontNumber=face_index(font_path)) as font:
            glyph = (font.getBestCmap() or {}).get(0x20)
            if glyph is None:
                return 0.0
            return float(font["hmtx"][glyph][0]) / float(font["head"].unitsPerEm)
    except Exception as exc:  # fontTools raises many kinds on a damaged file
        raise RenderError(f"cannot read font {font_path.name}: {exc}") from exc


def _as_path(font_path: Path | str) -> Path:
    return font_path if isinstance(font_path, Path) else Path(font_path)


def codepoints(font_path: Path) -> frozenset[int]:
    return _font_info(_as_path(font_path))[0]


def covers(font_path: Path, char: str) -> bool:
    return ord(char) in codepoints(font_path)


def family_name(font_path: Path) -> str:
    """The font's family (name ID 1), which is the name libass and fontconfig match on."""
    return _font_info(_as_path(font_path))[1]


def variation_axes(font_path: Path) -> dict[str, tuple[float, float, float]]:
    """Axis tag -> (min, default, max); empty for a static font."""
    return _font_info(_as_path(font_path))[2]


_local = threading.local()
_MAX_LOADED = 256


def load_font(path: Path, size: int, weight: int = 400) -> ImageFont.FreeTypeFont:
    """A Pillow font at a pixel size; a variable font is set to `weight` (static files keep theirs).

    Cached per thread: a FreeType face is not safe to use from two threads at once.
    """
    cache: dict[tuple[Path, int, int], ImageFont.FreeTypeFont] | None = getattr(_local, "fonts", None)
    if cache is None:
        cache = _local.fonts = {}
    key = (Path(path), int(size), int(weight))
    font = cache.get(key)
    if font is None:
        if len(cache) >= _MAX_LOADED:
            cache.clear()
        font = _open(key[0], key[1], key[2])
        cache[key] = font
    return font


def _open(path: Path, size: int, weight: int) -> ImageFont.FreeTypeFont:
    try:
        font = ImageFont.truetype(str(real_file(path)), size, index=face_index(path))
    except OSError as exc:
        raise RenderError(f"cannot load font {path.name}: {exc}") from exc
    axes = variation_axes(path)
    if axes:
        values = []
        for tag, (low, default, high) in axes.items():
            values.append(min(max(float(weight), low), high) if tag == "wght" else default)
        font.set_variation_by_axes(values)
    return font
