"""Slide themes: colours, fonts, margins, a logo and a background picture, and how much they vary.

Four are built in (`dark`, `light`, `paper`, `bold`); a theme file (`theme_file.load_theme_file`)
starts from one of them and changes what it names. A theme is a frozen value: its `repr` is part of
every slide's cache key, and it names files by path and content digest, so an edited logo redraws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import InputError

RGB = tuple[int, int, int]
LOGO_POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")
MIN_MARGIN = 0.05  # of each side: nothing but the backdrop is ever drawn closer to the edge


@dataclass(frozen=True)
class Syntax:
    """Code colours by token kind (Pygments' token types map onto these)."""

    keyword: RGB
    string: RGB
    comment: RGB
    number: RGB
    function: RGB
    type: RGB
    operator: RGB


@dataclass(frozen=True)
class Logo:
    path: Path
    digest: str  # of the file's content, for the cache key
    position: str = "top-right"
    size: float = 0.07  # height, as a fraction of the frame's short side


@dataclass(frozen=True)
class BackgroundImage:
    path: Path
    digest: str
    dim: float = 0.55  # how much the theme's background colour covers the picture (text stays legible)


@dataclass(frozen=True)
class CaptionFont:
    """Burned captions' font and size for a language ("" for every language without its own)."""

    language: str
    font: str | None = None  # a fontpkg family or a font file; None: the default caption font
    size: float = 1.0  # times the default caption size


@dataclass(frozen=True)
class Theme:
    name: str
    background: tuple[RGB, RGB]  # the gradient's two ends
    title: RGB
    text: RGB
    muted: RGB  # dimmed items, attributions, "(2/3)"
    accent: RGB
    accent2: RGB  # the second accent: decorations, inline code, table header rule
    surface: RGB  # panels: table header, highlight behind the spoken item
    code_background: RGB
    code_border: RGB
    code_text: RGB
    syntax: Syntax
    # scene-to-scene backgrounds (the gradient's two ends each); empty: `background` tinted per scene
    backgrounds: tuple[tuple[RGB, RGB], ...] = ()
    heading_font: str | None = None  # a fontpkg family name or a font file; None: the default set
    body_font: str | None = None
    mono_font: str | None = None
    logo: Logo | None = None
    background_image: BackgroundImage | None = None
    margin: float = 0.065  # of each side; never below MIN_MARGIN
    variety: bool = True  # decorations and tints change from scene to scene
    line_numbers: bool = False
    surface_alpha: float = 0.9  # how opaque panels are (a bold theme darkens its colour instead)
    files: tuple[tuple[str, str], ...] = field(default=())  # font files named by path, and digests
    captions: tuple[CaptionFont, ...] = ()  # burned captions per language (theme file [captions])
    lexicon: str = ""  # the theme file's [lexicon] as JSON (checked; merged under --lexicon)

    def caption_font(self, language: str) -> CaptionFont:
        """The captions' font and size for a language ("vi", "en-us"): its own entry, else the
        theme's, else the default."""
        lang = language.lower()
        for key in (lang, lang.split("-")[0], ""):
            for entry in self.captions:
                if entry.language == key:
                    return entry
        return CaptionFont("")

    @property
    def is_dark(self) -> bool:
        return luminance(mix(*self.background, 0.5)) < 0.5


def luminance(rgb: RGB) -> float:
    r, g, b = (c / 255 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """`a` moved a fraction `t` towards `b`."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def hex_rgb(value: str) -> RGB:
    """'#1e293b' or '1e293b' (or the short '#fff') -> (30, 41, 59); ValueError otherwise."""
    text = value.strip().removeprefix("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        raise ValueError(f"{value!r} is not a colour like '#1e293b'")
    try:
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
    except ValueError:
        raise ValueError(f"{value!r} is not a colour like '#1e293b'") from None


# The built-in themes' colours, hex: the background's two ends, then the fields of _COLOUR_FIELDS (a
# table, so that the four palettes read side by side).
_COLOURS = {
    #        background ends  title   text    muted   accent  accent2 surface code bg  border  text
    "dark":  "#0b1220 #1b2540 #f8fafc #dbe3ee #7d8aa3 #38bdf8 #a78bfa #1c2944 #070c18 #2a3853 #e2e8f0",
    "light": "#fbfcfe #e6edf6 #0f172a #273449 #8391a7 #2563eb #db2777 #dfe8f5 #ffffff #cfd8e6 #0f172a",
    "paper": "#f7f1e3 #ebe1cb #2b2118 #3d3127 #9a8b77 #b5441b #2f6f6a #e9dcc0 #fffaf0 #d9c9a8 #2b2118",
    "bold":  "#1e1b4b #312e81 #ffffff #f1f1f7 #b7b4d8 #facc15 #fb7185 #000000 #0f0d2e #4c4799 #f1f1f7",
}  # fmt: skip


def _rgbs(colours: str) -> list[RGB]:
    return [hex_rgb(c) for c in colours.split()]


def _syntax(colours: str) -> Syntax:
    """Code colours, hex, in the order keyword, string, comment, number, function, type, operator."""
    return Syntax(*_rgbs(colours))


def _gradient(colours: str) -> tuple[RGB, RGB]:
    start, end = _rgbs(colours)
    return start, end


_COLOUR_FIELDS = ("title", "text", "muted", "accent", "accent2", "surface",
                  "code_background", "code_border", "code_text")  # fmt: skip


def _theme(name: str, syntax: Syntax, **more: Any) -> Theme:
    start, end, *rest = _rgbs(_COLOURS[name])
    colours: dict[str, Any] = dict(zip(_COLOUR_FIELDS, rest, strict=True))
    return Theme(name=name, background=(start, end), syntax=syntax, **colours, **more)


_DARK_SYNTAX = _syntax("#c792ea #c3e88d #6b7a90 #f78c6c #82aaff #ffcb6b #89ddff")

THEMES: dict[str, Theme] = {
    "dark": _theme("dark", _DARK_SYNTAX),
    "light": _theme("light", _syntax("#7c3aed #15803d #8a94a6 #c2410c #1d4ed8 #a16207 #0e7490")),
    "paper": _theme(
        "paper", _syntax("#9f1d20 #3f6212 #a3937c #b45309 #1e4e79 #7c4a03 #2f6f6a"), heading_font="Lora"
    ),
    "bold": _theme(
        "bold",
        _DARK_SYNTAX,
        surface_alpha=0.3,
        backgrounds=(
            _gradient("#1e1b4b #3730a3"),  # indigo
            _gradient("#7f1d1d #be123c"),  # crimson
            _gradient("#064e3b #0f766e"),  # teal
            _gradient("#7c2d12 #c2410c"),  # burnt orange
            _gradient("#4a044e #86198f"),  # plum
        ),
    ),
}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise InputError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}") from None
