"""The `t2v` command line (`python -m app.cli` runs it too)."""

from app.cli.main import app, main

__all__ = ["app", "main"]
