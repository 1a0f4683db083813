"""The import graph of the project's top-level packages: imports point one way (see docs/architecture.md).

Built from the source with ast, function-level imports included (a late import hides a cycle from
Python, not from this test); migrations and tests are left out.
"""

import ast
from collections import defaultdict
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Lowest first: a package may import only from packages before it in this list.
LAYERS = [
    # The shared layer: no models, imports no app (other apps register what it reads with the roles,
    # as notifications does the bell's unread count).
    "core",
    # Notices, channels and the task worker know nothing of the project's other packages but core
    # (they keep a notice's link and scope as data).
    "notifications",
    "zones",
    "measures",
    # plans: reading plan documents and applying them (revisions) to zones' and measures' rows.
    ("indicators", "plans"),
    # stocktakes: meetings whose pack reads tasks, matters, requests and indicators alike.
    "stocktakes",
    ("api", "portal", "ops", "directory"),
    "ftztracker",
    "bench",
]
RANK = {
    name: rank
    for rank, layer in enumerate(LAYERS)
    for name in (layer if isinstance(layer, tuple) else (layer,))
}

# What indicators may use of measures: its models, choices, the public services and the scoping reads.
MEASURES_PUBLIC = {"measures.models", "measures.choices", "measures.services", "measures.scoping"}

# Files allowed to break the layering while they wait to move (none now).
PENDING = set()


def packages():
    return sorted(
        path.name for path in ROOT.iterdir() if (path / "__init__.py").exists() and path.name != "tests"
    )


def imports_of(path, package_parts):
    """(line, imported module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            yield node.lineno, module
            for alias in node.names:
                # `from measures import selectors` imports the submodule measures.selectors.
                yield node.lineno, f"{module}.{alias.name}"


def import_edges():
    """[(importing file, line, importing package, imported module)] across top-level packages."""
    tops = set(packages())
    edges = []
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            for line, module in imports_of(path, parts[:-1]):
                target = module.split(".")[0]
                if target in tops and target != top:
                    edges.append((rel.as_posix(), line, top, module))
    return edges


def find_cycle(graph):
    """One cycle of the package graph as a list of packages, or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*trail[trail.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt, [*trail, nxt])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def test_every_package_has_a_layer():
    assert set(packages()) <= set(RANK), "add the new package to LAYERS (and docs/architecture.md)"


def test_no_import_cycle_between_packages():
    graph = defaultdict(set)
    for path, _line, source, module in import_edges():
        if path not in PENDING:
            graph[source].add(module.split(".")[0])
    assert find_cycle(graph) is None


def test_core_imports_no_app():
    """core has no models and depends on no app's: what it reads of one is registered with it."""
    assert [
        f"{path}:{line} imports {module}" for path, line, source, module in import_edges() if source == "core"
    ] == []


def test_imports_point_down_the_layers():
    upward = [
        f"{path}:{line} imports {module}"
        for path, line, source, module in import_edges()
        if path not in PENDING and RANK[module.split(".")[0]] >= RANK[source]
    ]
    assert upward == []


def test_indicators_use_only_the_public_modules_of_measures():
    reaching_in = [
        f"{path}:{line} imports {module}"
        for path, line, source, module in import_edges()
        if source == "indicators"
        and module.startswith("measures.")
        and not any(module == public or module.startswith(public + ".") for public in MEASURES_PUBLIC)
    ]
    assert reaching_in == []


def test_no_package_imports_another_packages_private_names():
    """A name another package needs is given a public name where it is defined (as
    measures.exports.docx.set_up_page was for the stocktake pack's Word file)."""
    private = [
        f"{path}:{line} imports {module}"
        for path, line, _source, module in import_edges()
        if module.rsplit(".", 1)[-1].startswith("_") and not module.rsplit(".", 1)[-1].startswith("__")
    ]
    assert private == []


def test_the_check_sees_a_cycle_and_a_late_import(tmp_path):
    graph = {"core": {"zones"}, "zones": {"measures"}, "measures": {"core"}}
    assert find_cycle(defaultdict(set, graph)) == ["core", "zones", "measures", "core"]
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from measures.models import Task\n    return Task\n")
    assert "measures.models.Task" in {name for _line, name in imports_of(module, ["zones"])}
