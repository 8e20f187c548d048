"""Where the composition root tells core how to build the seed's default objects.

The seed's snippets import core modules in a fresh interpreter (`from app.core.system_optimizer import
start_optimization`) and expect a working system behind them; building one needs the whole pipeline,
which core must never import. So the root package (`app/__init__.py`, the only code that runs before
any core module) registers a factory here, one that imports the composition root only when it is
called, and `system_optimizer.default_optimizer()` calls it. This module imports nothing of t2v.
"""

from __future__ import annotations

from collections.abc import Callable

_optimizer_factory: Callable[[], object] | None = None


def register_optimizer_factory(factory: Callable[[], object]) -> None:
    """Say how to build the default `SystemOptimizer` (done by `app/__init__.py`; tests may replace it)."""
    global _optimizer_factory
    _optimizer_factory = factory


def build_default_optimizer() -> object:
    if _optimizer_factory is None:
        raise RuntimeError("no default optimizer factory is registered (app/__init__.py registers one)")
    return _optimizer_factory()
