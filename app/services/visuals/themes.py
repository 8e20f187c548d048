"""Slide themes: the colours of the background gradient, the text, the accent and code panels."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import InputError

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Theme:
    name: str
    background: tuple[RGB, RGB]  # top and bottom of a vertical gradient
    title: RGB
    text: RGB
    accent: RGB
    code_background: RGB
    code_border: RGB
    code_text: RGB


THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="dark",
        background=((15, 23, 42), (26, 32, 56)),
        title=(248, 250, 252),
        text=(214, 222, 235),
        accent=(56, 189, 248),
        code_background=(10, 15, 30),
        code_border=(51, 65, 85),
        code_text=(226, 232, 240),
    ),
    "light": Theme(
        name="light",
        background=((250, 251, 253), (234, 239, 246)),
        title=(15, 23, 42),
        text=(45, 55, 72),
        accent=(37, 99, 235),
        code_background=(255, 255, 255),
        code_border=(210, 218, 230),
        code_text=(15, 23, 42),
    ),
}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise InputError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}") from None
