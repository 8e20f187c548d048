"""The `t2v` command line (`python -m app.cli` runs it too).

`base` holds the typer app and what every command shares; `render`, `jobs` and `service` add their
commands to it when imported here (in the order `t2v --help` lists them).
"""

# isort: off
from app.cli import render
from app.cli import plan
from app.cli import jobs
from app.cli import service
from app.cli.base import app, main

# isort: on

__all__ = ["app", "jobs", "main", "plan", "render", "service"]
