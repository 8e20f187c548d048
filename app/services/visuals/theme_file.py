"""Theme files: a TOML file that starts from a built-in theme and changes what it names.

    base = "dark"                       # dark, light, paper or bold
    [colors]
    background = ["#0b1220", "#1b2540"] # or one colour
    accent = "#38bdf8"
    [fonts]
    heading = "Lora"                    # a fontpkg family (pip install fontpkg-lora) or a font file
    [logo]
    path = "logo.png"                   # relative to the theme file
    position = "top-right"
    [background]
    image = "texture.jpg"
    [layout]
    margin = 0.07
    [captions]                          # burned captions
    font = "Lora"                       # a fontpkg family or a font file (default Be Vietnam Pro)
    size = 1.1                          # times the default size (0.7 to 1.6)
    [captions.languages.ja]             # per language (an espeak code's first part, or all of it)
    font = "fonts/NotoSansJP-Bold.otf"
    size = 0.9
    [lexicon.vi]                        # what the voice says: the --lexicon format, one level down
    "UBND" = "Ủy ban nhân dân"          # (merged under --lexicon: the flag's entries win)

Every key is checked: a wrong key, a bad colour or a missing file is an `InputError` with one line
naming the file and the key (exit 2 in the CLI, HTTP 422 in the service).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.fsutil import Stamp, file_stamp
from app.errors import InputError
from app.services.visuals.themes import (
    LOGO_POSITIONS,
    MIN_MARGIN,
    RGB,
    THEMES,
    BackgroundImage,
    CaptionFont,
    Logo,
    Theme,
    get_theme,
    hex_rgb,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_THEME_BYTES = 256 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _colour(value: Any) -> RGB:
    if not isinstance(value, str):
        raise ValueError("a colour is a string like '#1e293b'")
    return hex_rgb(value)


class Colors(_Section):
    background: list[str] | str | None = None
    title: str | None = None
    text: str | None = None
    muted: str | None = None
    accent: str | None = None
    accent2: str | None = None
    surface: str | None = None
    code_background: str | None = None
    code_text: str | None = None

    @field_validator("*")
    @classmethod
    def _colours(cls, value: Any) -> Any:
        if value is None:
            return value
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) not in (1, 2):
            raise ValueError("give one colour or two (the gradient's ends)")
        for item in values:
            _colour(item)
        return value


class Fonts(_Section):
    heading: str | None = None
    body: str | None = None
    mono: str | None = None


class LogoSection(_Section):
    path: str
    position: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = "top-right"
    size: float = Field(default=0.07, gt=0.01, le=0.25, description="height / the frame's short side")


class Background(_Section):
    image: str | None = None
    dim: float = Field(default=0.55, ge=0, le=1)
    variety: bool | None = None


class LayoutSection(_Section):
    margin: float = Field(default=0.065, ge=MIN_MARGIN, le=0.2)
    line_numbers: bool | None = None


class CaptionLanguage(_Section):
    font: str | None = None
    size: float = Field(default=1.0, ge=0.7, le=1.6, description="times the default caption size")


class CaptionsSection(CaptionLanguage):
    languages: dict[str, CaptionLanguage] = {}

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: dict[str, CaptionLanguage]) -> dict[str, CaptionLanguage]:
        for code in value:
            if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{1,8})*", code):
                raise ValueError(f"{code!r} is not a language code like 'vi' or 'en-us'")
        return value


class ThemeFile(_Section):
    base: Literal["dark", "light", "paper", "bold"] = "dark"
    name: str | None = Field(default=None, max_length=60)
    colors: Colors = Colors()
    fonts: Fonts = Fonts()
    logo: LogoSection | None = None
    background: Background = Background()
    layout: LayoutSection | None = None
    captions: CaptionsSection | None = None
    lexicon: dict[str, Any] | None = None


_SECTIONS: dict[str, type[BaseModel]] = {
    "colors": Colors,
    "fonts": Fonts,
    "logo": LogoSection,
    "background": Background,
    "layout": LayoutSection,
    "captions": CaptionsSection,
}


def _one_line(path: Path, error: ValidationError) -> str:
    first = error.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    key = ".".join(loc) or "(file)"
    if first.get("type") == "extra_forbidden":
        model = _SECTIONS.get(loc[0], ThemeFile) if len(loc) > 1 else ThemeFile
        allowed = ", ".join(model.model_fields)
        return f"theme file {path.name}: unknown key {key!r} (allowed: {allowed})"
    message = str(first.get("msg") or "invalid value").removeprefix("Value error, ")
    return f"theme file {path.name}: {key}: {message}"


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def _asset(base: Path, value: str, key: str, file: Path, suffixes: tuple[str, ...]) -> Path:
    path = (base / value).expanduser().resolve()
    if not path.is_file():
        raise InputError(f"theme file {file.name}: {key}: file {value} not found")
    if path.suffix.lower() not in suffixes:
        raise InputError(f"theme file {file.name}: {key}: {value} is not one of {', '.join(suffixes)}")
    return path


def _check_image(path: Path, key: str, file: Path) -> None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            if im.width * im.height > 50_000_000:
                raise InputError(f"theme file {file.name}: {key}: {path.name} is too large")
            im.verify()
    except InputError:
        raise
    except Exception:
        raise InputError(f"theme file {file.name}: {key}: {path.name} is not a readable image") from None


def _font(spec: str | None, key: str, base: Path, file: Path) -> tuple[str | None, tuple[str, str] | None]:
    """A family name stays a name (checked to be installed); a file path becomes absolute."""
    if spec is None:
        return None, None
    from app.services.visuals.fonts import resolve_family

    if spec.lower().endswith((".ttf", ".otf")):
        path = _asset(base, spec, key, file, (".ttf", ".otf"))
        return str(path), (str(path), _digest(path))
    try:
        resolve_family(spec)
    except InputError as exc:
        raise InputError(f"theme file {file.name}: {key}: {exc}") from None
    return spec, None


def load_theme_file(path: Path) -> Theme:
    """Read and check a theme file; every problem is an InputError of one line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"theme file {path.name} cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_THEME_BYTES:
        raise InputError(f"theme file {path.name} is larger than {MAX_THEME_BYTES // 1024} KB")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"theme file {path.name} is not valid TOML: {exc}") from None
    try:
        spec = ThemeFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(_one_line(path, exc)) from None
    return _build(spec, path)


def _build(spec: ThemeFile, path: Path) -> Theme:
    base_dir = path.parent
    theme = THEMES[spec.base]
    changes: dict[str, Any] = {"name": spec.name or path.stem}
    colors = spec.colors.model_dump(exclude_none=True)
    background = colors.pop("background", None)
    if background is not None:
        ends = [background] if isinstance(background, str) else background
        first, last = _colour(ends[0]), _colour(ends[-1])
        changes["background"] = (first, last)
        changes["backgrounds"] = ()
    changes.update({k: _colour(v) for k, v in colors.items()})
    files: list[tuple[str, str]] = []
    for role in ("heading", "body", "mono"):
        value, file = _font(getattr(spec.fonts, role), f"fonts.{role}", base_dir, path)
        if value is not None:
            changes[f"{role}_font"] = value
        if file is not None:
            files.append(file)
    if spec.logo is not None:
        logo = _asset(base_dir, spec.logo.path, "logo.path", path, IMAGE_SUFFIXES)
        _check_image(logo, "logo.path", path)
        assert spec.logo.position in LOGO_POSITIONS
        changes["logo"] = Logo(logo, _digest(logo), spec.logo.position, spec.logo.size)
    if spec.background.image is not None:
        image = _asset(base_dir, spec.background.image, "background.image", path, IMAGE_SUFFIXES)
        _check_image(image, "background.image", path)
        changes["background_image"] = BackgroundImage(image, _digest(image), spec.background.dim)
    if spec.background.variety is not None:
        changes["variety"] = spec.background.variety
    if spec.layout is not None:
        changes["margin"] = spec.layout.margin
        if spec.layout.line_numbers is not None:
            changes["line_numbers"] = spec.layout.line_numbers
    if spec.captions is not None:
        entries = [("", spec.captions), *spec.captions.languages.items()]
        captions = []
        for language, entry in entries:
            key = f"captions.languages.{language}.font" if language else "captions.font"
            font, file = _font(entry.font, key, base_dir, path)
            if file is not None:
                files.append(file)
            captions.append(CaptionFont(language, font, entry.size))
        changes["captions"] = tuple(captions)
    if spec.lexicon is not None:
        from app.services.planning import Lexicon

        Lexicon.from_mapping(spec.lexicon, source=f"theme file {path.name}: [lexicon]")  # one line
        changes["lexicon"] = json.dumps(spec.lexicon, ensure_ascii=False, sort_keys=True)
    changes["files"] = tuple(files)
    return replace(theme, **changes)


_LOADED: OrderedDict[Path, tuple[tuple[Stamp, ...], Theme]] = OrderedDict()  # newest last
_LOADED_SIZE = 32
_LOADED_LOCK = threading.Lock()  # themes are loaded from worker threads


def _sources(theme: Theme) -> tuple[Path, ...]:
    """The files a theme file's Theme holds digests of besides the .toml (logo, background picture,
    font files): one edited in place is a different theme even though the .toml did not change."""
    paths = [Path(file) for file, _ in theme.files]
    if theme.logo is not None:
        paths.append(theme.logo.path)
    if theme.background_image is not None:
        paths.append(theme.background_image.path)
    return tuple(paths)


def _load_file(path: Path, stamp: Stamp) -> Theme:
    """The theme file read once while it and every file it names keep their stamps."""
    with _LOADED_LOCK:
        held = _LOADED.get(path)
    if held is not None and held[0] == (stamp, *map(file_stamp, _sources(held[1]))):
        with _LOADED_LOCK:
            _LOADED.move_to_end(path)
        return held[1]
    theme = load_theme_file(path)
    stamps = (stamp, *map(file_stamp, _sources(theme)))
    with _LOADED_LOCK:
        _LOADED[path] = (stamps, theme)
        _LOADED.move_to_end(path)
        while len(_LOADED) > _LOADED_SIZE:
            _LOADED.popitem(last=False)
    return theme


def load_theme(spec: str | Path | Theme | None) -> Theme:
    """A theme by name ("dark", "light", "paper", "bold") or from a `.toml` theme file.

    A file is read again when it, or a file it names (logo, background picture, font file), changes:
    their sizes and modification times are part of the lookup.
    """
    if spec is None:
        return THEMES["dark"]
    if isinstance(spec, Theme):
        return spec
    text = str(spec)
    if text in THEMES:
        return THEMES[text]
    if not text.endswith(".toml"):
        return get_theme(text)
    path = Path(text).expanduser()
    stamp = file_stamp(path)
    if stamp is None:
        raise InputError(f"theme file {text} not found")
    return _load_file(path.resolve(), stamp)
