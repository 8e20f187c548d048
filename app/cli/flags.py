"""Flag groups: a group of flags that several commands take is written once, as a dataclass.

`render`, `submit` and `plan` take some 25 to 45 flags each, most of them the same; listed in each
command's signature (and again in each one's settings and options), a flag added to one command was
easily forgotten in another or read differently. So each group is a frozen dataclass deriving from
`FlagGroup`: its fields are the flags (`Annotated[type, typer.Option(...)]` and the default), and it
says what it contributes to the settings (`settings()`) and to the render options (`options()`). A
command takes the group as one parameter (`sound: SoundFlags`) under `@flag_groups`, which spreads the
group's fields into the signature typer reads (so `--help` and parsing are as if listed by hand) and
gathers the parsed values back into the group before the command runs.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

if TYPE_CHECKING:
    from app.config import Settings

R = TypeVar("R")
KEYWORD = inspect.Parameter.KEYWORD_ONLY  # typer passes every value by name


class FlagGroup:
    """A group's part of the settings and of the render options (none unless the group says)."""

    def settings(self) -> dict[str, object]:
        """Overrides of the `Settings` (None for a flag not given: the environment's value stands)."""
        return {}

    def options(self, settings: Settings) -> dict[str, object]:
        """Render options, in the shape `parse_render_options` validates (None: not given)."""
        return {}


def flag_groups(command: Callable[..., R]) -> Callable[..., R]:
    """`command` with each parameter annotated by a `FlagGroup` dataclass spread into that group's
    flags (in the group's field order, where the parameter stands), and gathered back when it runs."""
    hints = get_type_hints(command, include_extras=True)
    groups: dict[str, type[FlagGroup]] = {}
    params: list[inspect.Parameter] = []
    for param in inspect.signature(command).parameters.values():
        kind = hints[param.name]
        if isinstance(kind, type) and issubclass(kind, FlagGroup):
            groups[param.name] = kind
            fields = get_type_hints(kind, include_extras=True)
            params += [
                inspect.Parameter(f.name, KEYWORD, annotation=fields[f.name], default=f.default)
                for f in _fields(kind)
            ]
        else:
            params.append(param.replace(kind=KEYWORD, annotation=kind))
    names = [p.name for p in params] + list(groups)
    if len(set(names)) != len(names):  # a mistake of the code, found at import
        raise TypeError(f"{command.__name__}: one name for two flags or groups in {sorted(names)}")

    @functools.wraps(command)
    def run(**values: Any) -> R:
        for name, group in groups.items():
            values[name] = group(**{f.name: values.pop(f.name) for f in _fields(group)})
        return command(**values)

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run


def _fields(group: type[FlagGroup]) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(group)  # type: ignore[arg-type]  # every group is a dataclass


def group_settings(*groups: FlagGroup) -> dict[str, object]:
    """The settings overrides of the groups a command takes, together."""
    return {k: v for group in groups for k, v in group.settings().items()}
