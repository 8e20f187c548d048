"""The flags of `t2v render`, `t2v submit` and `t2v plan`: none is ever lost, and each keeps its default.

The sets below are what the three commands took when their flags were gathered into flag groups
(one definition per group, shared by the commands): a command may gain flags, never lose one. The
defaults matter as much as the names: a flag whose default changed would change every render.
"""

from __future__ import annotations

import re

import pytest
import typer.main

from app.cli import app
from tests.conftest import CLI

# The flags all three take, those of the two that render (render, submit), those of the two that
# read a document here (render, plan), and each command's own.
EVERY: dict[str, object] = {
    "--voice": None,
    "--rate": None,
    "--lexicon": None,
    "--aspect": None,
    "--resolution": None,
    "--burn-captions": None,
    "--no-burn-captions": None,
    "--preset": None,
    "--theme": None,
    "--pages": None,
    "--pptx-picture": "auto",
    "--allow-fetch": False,
    "--allow-private-urls": False,
    "--llm": None,
    "--duration": None,
    "--max-duration": None,
}
RENDERING: dict[str, object] = {
    "--fps": None,
    "--quality": None,
    "--keyframe-interval": None,
    "--audio-only": False,
    "--caption-style": None,
    "--visuals": None,
    "--motion": None,
    "--transition": None,
    "--credits": None,
    "--no-credits": None,
    "--pause-sentence": None,
    "--pause-paragraph": None,
    "--pause-heading": None,
    "--pause-scene": None,
    "--loudness": None,
    "--room-tone": False,
    "--music": None,
    "--music-level": None,
    "--music-playlist": False,
    "--music-seed": None,
    "--max-music-size": None,
    "--assets-root": None,
    "--allow-remote-images": False,
    "--skip-missing-images": False,
}
READING: dict[str, object] = {
    "--max-input-size": None,
    "--max-document-size": None,
    "--max-pages": None,
    "--topic": None,
    "--language": None,
}
FLAGS: dict[str, dict[str, object]] = {
    "render": {**EVERY, **RENDERING, **READING, "--output": None, "-o": None, "--quiet": False, "-q": False},
    "submit": {**EVERY, **RENDERING, "--priority": "normal", "--id": None},
    "plan": {
        **EVERY,
        **READING,
        "--json": False,
        "--output": None,
        "-o": None,
        "--schema": False,
        "--estimate": False,
    },
}

# Each command's one positional argument (a document, or a storyboard).
ARGUMENTS = {"render": "source", "submit": "source", "plan": "source"}


def command_flags(name: str) -> dict[str, object]:
    """Every flag of a command (`--x`, `--no-x`, `-o`), with its default."""
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    flags: dict[str, object] = {}
    for param in command.commands[name].params:
        if param.param_type_name == "option":
            for flag in (*param.opts, *param.secondary_opts):
                flags[flag] = param.default
    return flags


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_every_flag_is_kept_with_its_default(name: str) -> None:
    flags = command_flags(name)
    assert sorted(set(FLAGS[name]) - set(flags)) == [], f"t2v {name} lost flags"
    changed = {f: (d, flags[f]) for f, d in FLAGS[name].items() if flags[f] != d}
    assert changed == {}, f"t2v {name}: defaults changed (was, now)"


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_arguments_are_kept(name: str) -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    arguments = [p.name for p in command.commands[name].params if p.param_type_name == "argument"]
    assert arguments == [ARGUMENTS[name]]


def test_flags_shared_by_commands_are_one_definition() -> None:
    """A flag that several commands take reads the same in each one's --help."""
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    seen: dict[str, tuple[str, str | None, object]] = {}
    for name in FLAGS:
        for param in command.commands[name].params:
            if param.param_type_name != "option" or param.opts[0] in ("--output", "--json"):
                continue  # render's -o is a video, plan's a storyboard: different flags of one name
            shown = (name, getattr(param, "help", None), param.default)
            first = seen.setdefault(param.opts[0], shown)
            assert first[1:] == shown[1:], f"{param.opts[0]}: {first[0]} and {name} differ"


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_help_lists_every_flag(cli: CLI, name: str) -> None:
    """What a user sees: `t2v NAME --help` names every flag (a wide terminal, so none is cut)."""
    cli.env["COLUMNS"] = "250"
    done = cli.run(name, "--help", timeout=60)
    assert done.returncode == 0, done.stderr
    shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", done.stdout.decode()))
    assert sorted(set(FLAGS[name]) - shown) == []
