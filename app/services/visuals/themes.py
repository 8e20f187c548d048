"""Slide themes: colours, fonts, margins, a logo and a background picture, and how much they vary.

Four are built in (`dark`, `light`, `paper`, `bold`); a theme file (`theme_file.load_theme_file`)
starts from one of them and changes what it names. A theme is a frozen value: its `repr` is part of
every slide's cache key, and it names files by path and content digest, so an edited logo redraws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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


_DARK_SYNTAX = Syntax(
    keyword=hex_rgb("#c792ea"),
    string=hex_rgb("#c3e88d"),
    comment=hex_rgb("#6b7a90"),
    number=hex_rgb("#f78c6c"),
    function=hex_rgb("#82aaff"),
    type=hex_rgb("#ffcb6b"),
    operator=hex_rgb("#89ddff"),
)
_LIGHT_SYNTAX = Syntax(
    keyword=hex_rgb("#7c3aed"),
    string=hex_rgb("#15803d"),
    comment=hex_rgb("#8a94a6"),
    number=hex_rgb("#c2410c"),
    function=hex_rgb("#1d4ed8"),
    type=hex_rgb("#a16207"),
    operator=hex_rgb("#0e7490"),
)

THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="dark",
        background=(hex_rgb("#0b1220"), hex_rgb("#1b2540")),
        title=hex_rgb("#f8fafc"),
        text=hex_rgb("#dbe3ee"),
        muted=hex_rgb("#7d8aa3"),
        accent=hex_rgb("#38bdf8"),
        accent2=hex_rgb("#a78bfa"),
        surface=hex_rgb("#1c2944"),
        code_background=hex_rgb("#070c18"),
        code_border=hex_rgb("#2a3853"),
        code_text=hex_rgb("#e2e8f0"),
        syntax=_DARK_SYNTAX,
    ),
    "light": Theme(
        name="light",
        background=(hex_rgb("#fbfcfe"), hex_rgb("#e6edf6")),
        title=hex_rgb("#0f172a"),
        text=hex_rgb("#273449"),
        muted=hex_rgb("#8391a7"),
        accent=hex_rgb("#2563eb"),
        accent2=hex_rgb("#db2777"),
        surface=hex_rgb("#dfe8f5"),
        code_background=hex_rgb("#ffffff"),
        code_border=hex_rgb("#cfd8e6"),
        code_text=hex_rgb("#0f172a"),
        syntax=_LIGHT_SYNTAX,
    ),
    "paper": Theme(
        name="paper",
        background=(hex_rgb("#f7f1e3"), hex_rgb("#ebe1cb")),
        title=hex_rgb("#2b2118"),
        text=hex_rgb("#3d3127"),
        muted=hex_rgb("#9a8b77"),
        accent=hex_rgb("#b5441b"),
        accent2=hex_rgb("#2f6f6a"),
        surface=hex_rgb("#e9dcc0"),
        code_background=hex_rgb("#fffaf0"),
        code_border=hex_rgb("#d9c9a8"),
        code_text=hex_rgb("#2b2118"),
        syntax=Syntax(
            keyword=hex_rgb("#9f1d20"),
            string=hex_rgb("#3f6212"),
            comment=hex_rgb("#a3937c"),
            number=hex_rgb("#b45309"),
            function=hex_rgb("#1e4e79"),
            type=hex_rgb("#7c4a03"),
            operator=hex_rgb("#2f6f6a"),
        ),
        heading_font="Lora",
    ),
    "bold": Theme(
        name="bold",
        background=(hex_rgb("#1e1b4b"), hex_rgb("#312e81")),
        title=hex_rgb("#ffffff"),
        text=hex_rgb("#f1f1f7"),
        muted=hex_rgb("#b7b4d8"),
        accent=hex_rgb("#facc15"),
        accent2=hex_rgb("#fb7185"),
        surface=hex_rgb("#000000"),
        surface_alpha=0.3,
        code_background=hex_rgb("#0f0d2e"),
        code_border=hex_rgb("#4c4799"),
        code_text=hex_rgb("#f1f1f7"),
        syntax=_DARK_SYNTAX,
        backgrounds=(
            (hex_rgb("#1e1b4b"), hex_rgb("#3730a3")),  # indigo
            (hex_rgb("#7f1d1d"), hex_rgb("#be123c")),  # crimson
            (hex_rgb("#064e3b"), hex_rgb("#0f766e")),  # teal
            (hex_rgb("#7c2d12"), hex_rgb("#c2410c")),  # burnt orange
            (hex_rgb("#4a044e"), hex_rgb("#86198f")),  # plum
        ),
    ),
}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise InputError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}") from None
