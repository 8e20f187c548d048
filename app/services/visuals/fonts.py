"""The fonts t2v draws with, which characters each one has, and how a string is split among them.

Every font comes from a PyPI package (fontpkg-*, manimgx-fonts for the Noto faces of other scripts
and Noto Emoji, manimgx-fonts-cjk for Noto Sans CJK), so rendering never depends on what the host
has installed and the same text looks the same everywhere. A string is drawn as runs: each character
goes to the first font of a chain that has a glyph for it, so Vietnamese stays in Be Vietnam Pro
while Cyrillic and Greek fall back to Noto Sans, Arabic to Noto Sans Arabic, Chinese, Japanese and
Korean to Noto Sans CJK and emoji to Noto Emoji (monochrome: it is drawn in the text's colour).

Characters no font has are never drawn as tofu boxes (see `clean_text`):
  * the text is NFC-normalised first, so decomposed Vietnamese ("e" + U+0302 + U+0301) uses the
    precomposed glyphs every font here has;
  * invisible format characters (zero-width joiners, variation selectors, BOM, soft hyphen) and
    control characters are dropped, since they have no visible form to lose;
  * a combining mark no font can attach to its base is dropped, keeping the base letter;
  * any other uncovered character becomes U+FFFD (the replacement character, which Noto Sans has),
    or "?" if no font in the chain has U+FFFD either. It shows the reader that something is missing
    without a misleading glyph, and keeps the word's length.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.errors import InputError, RenderError
from app.services.visuals.fontfiles import (
    codepoints,
    collection_face,
    covers,
    family_name,
    real_file,
    space_width,
)

REPLACEMENT = "\ufffd"
WIDE_SPACE = 1.0  # em: a space wider than this is a font's placeholder, not a word space
LAST_RESORT = "?"

# (python package, file name in its "files" directory)
_PACKAGES = {
    "regular": ("fontpkg_be_vietnam_pro", "BeVietnamPro-Regular.ttf"),
    "bold": ("fontpkg_be_vietnam_pro", "BeVietnamPro-Bold.ttf"),
    "noto": ("fontpkg_noto_sans", "NotoSans[wdth,wght].ttf"),
    "mono": ("fontpkg_jetbrains_mono", "JetBrainsMono[wght].ttf"),
    "italic": ("fontpkg_be_vietnam_pro", "BeVietnamPro-Italic.ttf"),
    "bold_italic": ("fontpkg_be_vietnam_pro", "BeVietnamPro-BoldItalic.ttf"),
}
# Fallbacks for the scripts Latin faces lack, in the order they are tried after Noto Sans: the
# scripts' own faces (manimgx-fonts keeps its files beside its __init__), then CJK (which also has
# many symbols, drawn well enough), then Noto Emoji and Noto Sans Symbols.
_SCRIPTS = "Arabic Hebrew Devanagari Thai Bengali Tamil Telugu Gujarati Gurmukhi Kannada Malayalam"
_SCRIPTS += " Oriya Sinhala Khmer Lao Myanmar Georgian Armenian Ethiopic"
SCRIPT_FONTS = ("manimgx_fonts", tuple(f"NotoSans{s}[wght].ttf" for s in _SCRIPTS.split()))
CJK_FONT = ("manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc")
SYMBOL_FONTS = ("manimgx_fonts", ("NotoEmoji[wght].ttf", "NotoSansSymbols[wght].ttf"))
_FONT_SUFFIXES = (".ttf", ".otf")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


@dataclass(frozen=True)
class Run:
    """A piece of text drawn with one font file."""

    text: str
    font: Path


@dataclass(frozen=True)
class FontSet:
    """The fonts of a slide. Fallbacks are tried in order after a style's own font."""

    regular: Path
    bold: Path
    mono: Path
    fallbacks: tuple[Path, ...]
    italic: Path | None = None  # None: the regular face (no slant rather than no text)
    bold_italic: Path | None = None
    heading: Path | None = None  # None: `bold`

    def face(self, variant: str) -> Path:
        """The file for a style variant: regular, bold, italic, bold_italic, mono or heading."""
        if variant == "italic":
            return self.italic or self.regular
        if variant == "bold_italic":
            return self.bold_italic or self.bold
        if variant == "heading":
            return self.heading or self.bold
        face: Path = getattr(self, variant)
        return face

    def chain(self, primary: Path) -> tuple[Path, ...]:
        """The primary font, then every fallback that is not it."""
        return _chain(self, primary)

    @property
    def files(self) -> tuple[Path, ...]:
        """Every font file of the set (a collection once, whichever of its faces the set uses)."""
        extra = [f for f in (self.italic, self.bold_italic, self.heading) if f is not None]
        faces = (self.regular, self.bold, self.mono, *extra, *self.fallbacks)
        return tuple(dict.fromkeys(real_file(f) for f in faces))

    @property
    def directory(self) -> Path:
        """Where the caption font lives: enough for libass' `fontsdir=` to find `caption_family`."""
        return self.bold.parent

    @property
    def directories(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(f.parent for f in self.files))

    @property
    def caption_family(self) -> str:
        """The family libass matches; with Bold=-1 in the ASS style it picks the Bold file."""
        return family_name(self.bold)

    @property
    def families(self) -> dict[Path, str]:
        """Every font file and the family name libass (and fontconfig) see for it."""
        return {f: family_name(f) for f in self.files}

    def for_text(self, text: str) -> FontSet:
        """The set with the CJK face that suits the text: Japanese glyph forms for Han characters
        when it has kana, Korean ones when it has Hangul (and no kana); Simplified Chinese else."""
        face = "JP" if _KANA.search(text) else "KR" if _HANGUL.search(text) else None
        if face is None:
            return self
        fallbacks = tuple(
            collection_face(f, f"Noto Sans CJK {face}") if f.name == CJK_FONT[1] else f
            for f in self.fallbacks
        )
        return dataclasses.replace(self, fallbacks=fallbacks)


@lru_cache(maxsize=256)
def _chain(fonts: FontSet, primary: Path) -> tuple[Path, ...]:
    """Cached: asked for every piece of text, and there are some thirty fallbacks to compare."""
    return (primary, *(f for f in fonts.fallbacks if f != primary))


def _package_dir(module_name: str, sub: str = "files") -> Path:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RenderError(f"font package {module_name} is not installed") from exc
    if module.__file__ is None:
        raise RenderError(f"font package {module_name} has no files")
    return Path(module.__file__).resolve().parent / sub


def _font_file(key: str) -> Path:
    module_name, name = _PACKAGES[key]
    return _packaged(module_name, name)


def _packaged(module_name: str, name: str, sub: str = "files") -> Path:
    path = _package_dir(module_name, sub) / name
    if not path.is_file():
        raise RenderError(f"font file {name} is missing from {module_name}")
    return path


@lru_cache(maxsize=1)
def default_fontset() -> FontSet:
    """Be Vietnam Pro for text, JetBrains Mono for code; Noto Sans, the other scripts' Noto faces,
    Noto Sans CJK, Noto Emoji and Symbols, then JetBrains Mono fill the gaps."""
    mono = _font_file("mono")
    return FontSet(
        regular=_font_file("regular"),
        bold=_font_file("bold"),
        mono=mono,
        fallbacks=(_font_file("noto"), *script_fonts(), mono),
        italic=_font_file("italic"),
        bold_italic=_font_file("bold_italic"),
    )


def script_fonts() -> tuple[Path, ...]:
    """The fallbacks for other scripts, CJK, emoji and symbols, in the order they are tried."""
    scripts = [_packaged(SCRIPT_FONTS[0], name, "") for name in SCRIPT_FONTS[1]]
    cjk = _packaged(*CJK_FONT, "")
    symbols = [_packaged(SYMBOL_FONTS[0], name, "") for name in SYMBOL_FONTS[1]]
    return (*scripts, cjk, *symbols)


@lru_cache(maxsize=64)
def resolve_family(name: str, weight: int = 400, style: str = "normal") -> Path:
    """A font file of an installed fontpkg family (`pip install fontpkg-NAME`), nearest weight."""
    import fontpkg

    try:
        return Path(fontpkg.path(name, weight, style, nearest=True))
    except fontpkg.StyleNotAvailable:
        return Path(fontpkg.path(name, weight, "normal", nearest=True))
    except fontpkg.FontpkgError:
        slug = fontpkg.slugify(name)
        raise InputError(f"font family {name!r} is not installed (pip install fontpkg-{slug})") from None


def _face(spec: str, weight: int, style: str) -> Path:
    """A theme's font: a file path as given (one file for every weight), else a fontpkg family."""
    if spec.lower().endswith((".ttf", ".otf")):
        return Path(spec)
    return resolve_family(spec, weight, style)


@lru_cache(maxsize=32)
def themed_fontset(heading: str | None, body: str | None, mono: str | None) -> FontSet:
    """The default set with a theme's families put first; the default fonts stay as fallbacks, so
    a character the theme's font lacks is still drawn."""
    base = default_fontset()
    if heading is None and body is None and mono is None:
        return base
    changes: dict[str, Path] = {}
    if body is not None:
        changes |= {
            "regular": _face(body, 400, "normal"),
            "bold": _face(body, 700, "normal"),
            "italic": _face(body, 400, "italic"),
            "bold_italic": _face(body, 700, "italic"),
        }
    if heading is not None:
        changes["heading"] = _face(heading, 700, "normal")
    if mono is not None:
        changes["mono"] = _face(mono, 400, "normal")
    fallbacks = (base.regular, *base.fallbacks) if body is not None else base.fallbacks
    return dataclasses.replace(base, fallbacks=fallbacks, **changes)


def fonts_dir() -> Path:
    """The directory to give libass as `fontsdir=` for the caption family."""
    return default_fontset().directory


def link_fonts(dest: Path, fonts: FontSet | None = None) -> Path:
    """Gather every font of the set into one directory (symlinks, copies where links fail).

    libass takes a single `fontsdir`. Its automatic glyph fallback only asks fontconfig (the host's
    fonts), so to draw Cyrillic or Greek captions with Noto Sans the ASS text must switch fonts
    itself (`{\\fnNoto Sans}`, from `segment` and `family_name`), and then every family must be here.
    """
    fonts = fonts or default_fontset()
    dest.mkdir(parents=True, exist_ok=True)
    for src in fonts.files:
        target = dest / src.name
        if target.exists():
            continue
        try:
            os.symlink(src, target)
        except OSError:
            shutil.copyfile(src, target)
    return dest


def _is_invisible(ch: str) -> bool:
    if ch in "\n\t":
        return False
    cat = unicodedata.category(ch)
    return (
        cat in ("Cc", "Cf", "Cs", "Co", "Cn") or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF
    )


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def _clusters(text: str) -> list[str]:
    """A base character with the combining marks that follow it; marks must share its font.
    An emoji keeps its sequence whole (joiners, presentation selector, skin tone, keycap, tags, the
    second flag letter): the emoji font draws "👨‍👩‍👧" as one family, "🇻🇳" as one flag."""
    out: list[str] = []
    for ch in text:
        if out and not out[-1].isspace() and (_is_mark(ch) or _extends_emoji(out[-1], ch)):
            out[-1] += ch
        else:
            out.append(ch)
    return out


_EMOJI_EXTENDERS = frozenset({0x200D, 0xFE0E, 0xFE0F, 0x20E3})


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (unicodedata.category(ch) == "So" and code >= 0x2190) or 0x1F1E6 <= code <= 0x1F1FF


def _extends_emoji(cluster: str, ch: str) -> bool:
    if not _is_emoji(cluster[0]):
        return False
    code = ord(ch)
    if code in _EMOJI_EXTENDERS or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return True
    if cluster[-1] == "\u200d":  # the emoji after a joiner
        return _is_emoji(ch)
    flag = 0x1F1E6 <= code <= 0x1F1FF  # regional indicators pair up into flags
    return flag and len(cluster) == 1 and 0x1F1E6 <= ord(cluster) <= 0x1F1FF


def _visible(cluster: str) -> str:
    """The cluster without invisible characters, except the joiners an emoji sequence needs."""
    keep = _is_emoji(cluster[0])
    return "".join(ch for ch in cluster if not _is_invisible(ch) or (keep and ord(ch) in _EMOJI_EXTENDERS))


@lru_cache(maxsize=65536)
def _pick(cluster: str, chain: tuple[Path, ...]) -> Path | None:
    """The first font of the chain with every character of the cluster (cached: called per char)."""
    for font in chain:
        cps = codepoints(font)
        if all(ord(c) in cps for c in cluster):
            return font
    return None


def _replacement(chain: tuple[Path, ...]) -> str:
    return REPLACEMENT if _pick(REPLACEMENT, chain) else LAST_RESORT


def _space(ch: str, chain: tuple[Path, ...]) -> str:
    """Tabs and spaces no font has become plain spaces: a missing space glyph would draw a box."""
    if ch == "\n":
        return ch
    return ch if ch != "\t" and _pick(ch, chain) else " "


def _resolve(cluster: str, chain: tuple[Path, ...]) -> tuple[str, Path | None]:
    """The cluster as it will be drawn, and its font (None: whitespace, decided by its neighbours)."""
    if cluster.isspace():
        return "".join(_space(c, chain) for c in cluster), None
    font = _pick(cluster, chain)
    if font is not None:
        return cluster, font
    base_font = _pick(cluster[0], chain)
    if base_font is not None:  # drop the marks that cannot sit on this base
        kept = cluster[0] + "".join(m for m in cluster[1:] if covers(base_font, m))
        return kept, base_font
    if _is_mark(cluster[0]):  # a stray mark with nothing to sit on
        return "", None
    repl = _replacement(chain)
    return repl, _pick(repl, chain)


def _resolved(text: str, chain: tuple[Path, ...]) -> list[tuple[str, Path | None]]:
    text = unicodedata.normalize("NFC", text)
    clusters = (_visible(c) for c in _clusters(text))
    pieces = [_resolve(c, chain) for c in clusters if c]
    return [(t, f) for t, f in pieces if t]


def clean_text(text: str, chain: Sequence[Path]) -> str:
    """The text exactly as it will be drawn with this chain: normalised, nothing left uncovered."""
    return "".join(t for t, _ in _resolved(text, tuple(chain)))


def segment(text: str, chain: Sequence[Path]) -> list[Run]:
    """Split text into runs, each drawn with the first font of the chain that has all its characters.

    Whitespace joins the run before it (or, at the start, the run after it) when that font has it,
    so words are not cut into pieces at every space, unless that font's space is wider than an em
    (Noto Emoji's): then the first font of the chain that has it.
    """
    order = tuple(chain)
    pieces = _resolved(text, order)
    fonts = [f for _, f in pieces]
    for i, (piece, font) in enumerate(pieces):
        if font is not None:
            continue
        neighbour = next((f for f in reversed(fonts[:i]) if f is not None), None)
        if neighbour is None:
            neighbour = next((f for f in fonts[i + 1 :] if f is not None), None)
        if (
            neighbour is None
            or space_width(neighbour) > WIDE_SPACE  # Noto Emoji's space is 1.27 em
            or not all(covers(neighbour, c) for c in piece if c != "\n")
        ):
            neighbour = _pick(piece.replace("\n", ""), order) or order[0]
        fonts[i] = neighbour
    runs: list[Run] = []
    for (piece, _), font in zip(pieces, fonts, strict=True):
        assert font is not None
        if runs and runs[-1].font == font:
            runs[-1] = Run(runs[-1].text + piece, font)
        else:
            runs.append(Run(piece, font))
    return runs
