"""Static instances of variable fonts, cut down to the characters a text uses: for libass.

Why: libass (burned captions) opens a variable font at its default instance, and Noto Sans CJK's
default is its Thin weight (wght 100), so Chinese, Japanese and Korean captions came out hairline
thin beside bold Latin ones; libass cannot pick another instance. Pillow can (the slides set the
weight), libass needs a file. Instancing the whole 65,000-glyph CJK face with fontTools' instancer
takes minutes and gigabytes, so `static_face` draws only the glyphs the captions use, at the wanted
weight, through a pen (about 1.5 ms a glyph) and builds a small static CFF font from them (same
metrics, so libass sizes it as before), under its own family name. The result is kept in the render
cache by the font, the weight and the characters, so it is built once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from app.core.diskcache import DiskCache, hash_key
from app.errors import RenderError
from app.services.visuals.fontfiles import face_index, family_name, real_file, variation_axes

VERSION = "static-face-v1"


def needs_instance(font: Path, weight: int) -> bool:
    """True for a variable font whose default weight is not `weight` (libass would draw that)."""
    axis = variation_axes(font).get("wght")
    return axis is not None and abs(axis[1] - weight) > 1 and axis[0] <= weight <= axis[2]


def static_face(
    font: Path, chars: Iterable[str], weight: int, workdir: Path, cache: DiskCache | None = None
) -> Path:
    """A static font file (in `workdir`) with the glyphs of `chars` that `font` has, drawn at
    `weight`; its family is `"<family> <weight>"` (see `family_name`)."""
    text = "".join(sorted(set(chars)))
    file = real_file(font)
    stat = file.stat()
    key = hash_key(VERSION, file.name, stat.st_size, face_index(font), weight, text)
    out = workdir / f"{file.name.split('.')[0]}-{face_index(font)}-{weight}-{key[:12]}.otf"
    if out.is_file() or (cache is not None and cache.fetch(key, out, ".otf")):
        return out
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        _build(font, text, weight, tmp)
        os.replace(tmp, out)
    except RenderError:
        raise
    except Exception as exc:  # fontTools raises many kinds on a damaged file
        raise RenderError(f"cannot make a static {weight} instance of {file.name}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    if cache is not None:
        cache.put_file(key, out, ".otf")
    return out


def _build(font: Path, text: str, weight: int, out: Path) -> None:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    from fontTools.ttLib import TTFont

    with TTFont(real_file(font), lazy=True, fontNumber=face_index(font)) as source:
        cmap = source.getBestCmap() or {}
        mapping = {ord(c): cmap[ord(c)] for c in text if ord(c) in cmap}
        names = [".notdef", *sorted(set(mapping.values()) - {".notdef"})]
        glyphs = source.getGlyphSet(location={"wght": float(weight)})
        charstrings, metrics = {}, {}
        for name in names:
            glyph, recorded = glyphs[name], RecordingPen()
            glyph.draw(recorded)
            pen, bounds = T2CharStringPen(round(glyph.width), None), BoundsPen(None)
            recorded.replay(pen)
            recorded.replay(bounds)
            charstrings[name] = pen.getCharString()
            metrics[name] = (round(glyph.width), round(bounds.bounds[0]) if bounds.bounds else 0)
        family = f"{family_name(font)} {weight}"
        hhea, os2 = source["hhea"], source["OS/2"]
        builder = FontBuilder(source["head"].unitsPerEm, isTTF=False)
        builder.setupGlyphOrder(names)
        builder.setupCharacterMap(mapping)
        ps_name = hashlib.sha1(family.encode()).hexdigest()[:8]  # ASCII, unique enough per family
        builder.setupCFF(f"T2V-{ps_name}-{weight}", {"FullName": family}, charstrings, {})
        builder.setupHorizontalMetrics(metrics)
        builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap)
        builder.setupNameTable({"familyName": family, "styleName": "Bold" if weight >= 700 else "Regular"})
        builder.setupOS2(  # the source's vertical metrics: libass sizes a font by them
            usWeightClass=weight,
            fsSelection=0x20 if weight >= 700 else 0x40,
            sTypoAscender=os2.sTypoAscender,
            sTypoDescender=os2.sTypoDescender,
            sTypoLineGap=os2.sTypoLineGap,
            usWinAscent=os2.usWinAscent,
            usWinDescent=os2.usWinDescent,
        )
        builder.setupPost()
        builder.setupHead(macStyle=1 if weight >= 700 else 0)
        builder.save(str(out))
