"""The import structure of app/, read from the source with `ast`: every import statement (module
level, inside functions, under TYPE_CHECKING) and every `importlib.import_module("...")` literal.

The rules (docs/ARCHITECTURE.md, "Rules between packages"): no import cycles; data flows one way,
cli -> api -> runtime -> services -> core -> config/errors; core never imports the pipeline, the API,
the composition root or the CLI, not even at run time; a stage package never imports the API, the
CLI or the composition root; and no module imports another module's private (`_x`) names.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

APP = ROOT / "app"

# Lower layers may be imported by higher ones, never the other way round.
LAYERS = [
    ("app.errors", "app.config"),
    ("app.core",),
    ("app.services",),
    ("app.runtime",),
    ("app.api",),
    ("app.cli",),
    ("app",),  # the root package: wires the seed's module-level API to the composition root
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def _resolve(module: str, importer: str, level: int, is_package: bool) -> str:
    if not level:
        return module
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def bound_by_init(package: str) -> set[str]:
    """Names a package's __init__ binds with its own imports (`from .mux import mux` makes `mux` the
    function, not the module)."""
    path = MODULES.get(package)
    if path is None or path.name != "__init__.py":
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}


def imports_of(name: str) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in the module's source."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", name, node.level, is_package)
            names = [alias.name for alias in node.names]
            bound = bound_by_init(base)
            submodules = [n for n in names if f"{base}.{n}" in MODULES and n not in bound]
            for sub in submodules:
                yield f"{base}.{sub}", [], node.lineno
            taken = [n for n in names if n not in submodules]
            if taken:
                yield base, taken, node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, [], node.lineno


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        for target, _, _ in imports_of(name):
            if (target == "app" or target.startswith("app.")) and target != name:
                edges[name].add(target)
    return edges


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def layer(name: str) -> int:
    for i, packages in enumerate(LAYERS):
        if any(within(name, p) for p in packages) and not (packages == ("app",) and name != "app"):
            return i
    raise AssertionError(f"{name} is in no layer")


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_is_read_from_every_kind_of_import() -> None:
    """The reader sees function-local imports and import_module literals, so none can hide a cycle."""
    assert {"app.services.speech", "app.services.visuals", "app.services.video"} <= set(STAGES)
    edges = graph()
    assert "app.runtime" in edges["app"]  # function-local, in the root package's factory
    assert "app.services.tts_service" in edges["app.runtime"]
    fake = ast.parse('import importlib\ndef f():\n    importlib.import_module("app.runtime")\n')
    calls = [n for n in ast.walk(fake) if isinstance(n, ast.Call)]
    assert calls and isinstance(calls[0].args[0], ast.Constant)


def test_no_import_cycles() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_only_go_down_the_layers() -> None:
    upward = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in targets
        if target in MODULES and layer(target) > layer(name)
    ]
    assert upward == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("app.core", ("app.services", "app.api", "app.runtime", "app.cli")),
        ("app.services", ("app.api", "app.cli", "app.runtime")),
        ("app.config", ("app.core", "app.services", "app.api", "app.runtime", "app.cli")),
        ("app.errors", ("app.config", "app.core", "app.services", "app.api", "app.runtime", "app.cli")),
    ],
)
def test_forbidden_imports(package: str, forbidden: tuple[str, ...]) -> None:
    found = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if within(name, package)
        for target in targets
        if target == "app" or any(within(target, f) for f in forbidden)
    ]
    assert found == []


STAGES = [
    name
    for name, path in MODULES.items()
    if name.count(".") == 2 and within(name, "app.services") and path.name == "__init__.py"
]


def test_code_outside_a_stage_uses_its_package_names() -> None:
    """A stage package's `__all__` is its surface: from outside, nobody reaches into its modules
    (except the seed's `tts_service`, the speech stage's entry point, defined over its modules)."""
    found = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name != "app.services.tts_service"
        for target in targets
        for stage in STAGES
        if target.startswith(stage + ".") and not within(name, stage)
    ]
    assert STAGES and found == []


def test_no_private_names_are_imported_across_modules() -> None:
    found = [
        f"{name}:{line} takes {', '.join(private)} from {target}"
        for name in MODULES
        for target, names, line in imports_of(name)
        if target.startswith("app")
        for private in [[n for n in names if n.startswith("_") and not n.startswith("__")]]
        if private
    ]
    assert found == []


def test_every_module_stays_readable_in_size() -> None:
    """Past about 400 lines a module holds more than one concern: split it by concern."""
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert long == {}


# Where settings are read from the environment: the entry points only (docs/ARCHITECTURE.md, app.config).
READS_SETTINGS = {"app.cli.base", "app.runtime", "app.core.queue_manager"}


def test_only_the_entry_points_read_settings() -> None:
    """Everything below the CLI, the composition root and the seed's module-level queue is handed its
    `Settings` (or a config made from them), so one render sees one settings object, and a test or an
    embedding program decides what a part is given instead of patching the environment."""
    calls = {
        f"{name}:{node.lineno}"
        for name, path in MODULES.items()
        if name != "app.config"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "load_settings"
    }
    readers = {call.partition(":")[0] for call in calls}
    assert readers <= READS_SETTINGS, sorted(c for c in calls if c.partition(":")[0] not in READS_SETTINGS)
    assert "app.runtime" in readers and "app.cli.base" in readers  # the check sees what it looks for


PACKED_LIBRARIES = ("lxml", "trafilatura", "pdfplumber", "pdfminer", "pypdfium2", "docx", "pptx", "ebooklib")


def test_the_packed_formats_libraries_load_with_their_documents_only(tmp_path: Path) -> None:
    """A render process holds the packed readers' libraries (~45 MB resident) only once it reads
    such a document (`documents.readers.PACKED`): not for Markdown, a Plan or the service at rest."""
    code = (
        "import sys, app.runtime, app.cli, app.api.app\n"
        "from app.services.documents import document_from_bytes, read_document\n"
        "read_document(document_from_bytes(b'# Title\\n\\nWords.\\n', 'a.md', None))\n"
        f"print(sorted(m for m in {PACKED_LIBRARIES!r} if m in sys.modules))\n"
        "read_document(document_from_bytes(b'<html><body><h1>Title</h1><p>Words here.</p></body></html>', "
        "'a.html', None))\n"
        f"print(sorted(m for m in {PACKED_LIBRARIES!r} if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    before, after = run.stdout.strip().splitlines()
    assert before == "[]", before
    assert "lxml" in after, after  # the check sees what it looks for: an HTML page brings its reader
