"""The layers of the package (STYLE.md, "Layers: data flows one way"), read from the source with ``ast``.

Every import counts, also one inside a function: a lazy import is still a
dependency, and a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import evaltools

PACKAGE = Path(evaltools.__file__).parent
#: The boundary: the only code that touches input files.
BOUNDARY = ("io", "io_ods", "parsing", "exports", "schema", "validate", "privacy", "project", "errors", "labels",
            "instruments")
#: The analysis: takes DataFrames, returns DataFrames.
ANALYSIS = ("scoring", "reliability", "change", "pairing", "reliable_change", "attrition", "imputation", "clustering",
            "ties", "sociometric", "indicators", "certainty", "plots", "report", "suppression")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """The evaltools modules that ``path`` imports (``from evaltools.x import y`` names x.y when that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in out if m == "evaltools" or m.startswith("evaltools.")}


def import_graph() -> dict[str, set[str]]:
    """Module -> the evaltools modules it imports (only names that are modules of the package)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        graph[name] = {m for m in _imports(path, name) if m in files and m != name and m != "evaltools"}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as a path that ends where it starts; None when there is none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _in(module: str, layer: tuple[str, ...]) -> bool:
    return any(module == f"evaltools.{m}" or module.startswith(f"evaltools.{m}.") for m in layer)


def test_no_import_cycle_among_evaltools_modules():
    assert _cycle(import_graph()) is None, " -> ".join(_cycle(import_graph()))


def test_the_boundary_imports_no_analysis():
    graph = import_graph()
    wrong = sorted(f"{m} imports {d}" for m, deps in graph.items() if _in(m, BOUNDARY)
                   for d in deps if _in(d, ANALYSIS))
    assert wrong == []


def test_the_checker_finds_cycles_and_layer_breaks():
    # the checker itself: a cycle hidden in a function-level import, like project <-> validate before
    graph = {"evaltools.project": {"evaltools.validate"}, "evaltools.validate": {"evaltools.validate.folder"},
             "evaltools.validate.folder": {"evaltools.project"}, "evaltools.io": set()}
    assert _cycle(graph) == ["evaltools.project", "evaltools.validate", "evaltools.validate.folder",
                             "evaltools.project"]
    assert _cycle({"evaltools.a": {"evaltools.b"}, "evaltools.b": set()}) is None
    source = "def f():\n    from evaltools.indicators import indicators\n"
    tree_imports = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    assert tree_imports == {"evaltools.indicators"} and _in("evaltools.indicators", ANALYSIS)
    assert _in("evaltools.validate.targets", BOUNDARY) and _in("evaltools.plots.indicators", ANALYSIS)


# --------------------------------------------------------------------------- the house (issue 19)

#: The modules that compute: DataFrames in, DataFrames (or words, certainty) out.
STATISTICS = ("scoring", "reliability", "change", "reliable_change", "attrition", "clustering", "regression_to_mean",
              "comparison", "trajectory", "ties", "sociometric", "indicators", "power", "groups", "certainty",
              "pairing", "imputation", "suppression")
#: What the statistics never import: the files, the validator, the run, the command line, the drawing.
ABOVE_STATISTICS = ("io", "io_ods", "parsing", "exports", "validate", "project", "report", "cli", "plots", "templates",
                    "xlsform", "synth", "new_project", "bench")
#: Longest module, in lines (a module longer than this holds more than one concept).
MAX_MODULE_LINES = 650
#: Modules allowed to be longer (e.g. mostly data tables): none at present.
LONG_DATA_MODULES: tuple[str, ...] = ()


def _breaks(graph: dict[str, set[str]], importer: tuple[str, ...], imported: tuple[str, ...]) -> list[str]:
    return sorted(f"{m} imports {d}" for m, deps in graph.items() if _in(m, importer)
                  for d in deps if _in(d, imported) and not _in(d, importer))


def test_the_statistics_import_neither_files_nor_run_nor_cli():
    assert _breaks(import_graph(), STATISTICS, ABOVE_STATISTICS) == []


def test_labels_are_at_the_bottom():
    graph = import_graph()
    wrong = sorted(f"{m} imports {d}" for m, deps in graph.items() if _in(m, ("labels",))
                   for d in deps if not _in(d, ("labels",)))
    assert wrong == []


def test_the_run_and_the_command_line_are_on_top():
    # cli -> report -> (notebooks) -> project -> statistics -> plots: nothing below imports what is above it
    graph = import_graph()
    assert _breaks(graph, ("plots",), ("report", "cli", "project", "validate", "io")) == []
    assert _breaks(graph, ("project",), ("report", "cli", "plots", *STATISTICS)) == []
    users_of_report = {m for m, deps in graph.items() for d in deps if _in(d, ("report",)) and not _in(m, ("report",))}
    assert users_of_report <= {"evaltools.cli", "evaltools.bench"}
    users_of_cli = {m for m, deps in graph.items() for d in deps if _in(d, ("cli",)) and not _in(m, ("cli",))}
    assert users_of_cli <= {"evaltools.__main__"}


def test_no_module_is_too_long_to_read():
    long = sorted(f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in PACKAGE.rglob("*.py")
                  if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
                  and _module_name(p) not in LONG_DATA_MODULES)
    assert long == []


def _private_imports(path: Path) -> list[str]:
    """``from evaltools.x import _y`` in ``path``: a private name used across modules."""
    return [f"{node.module}.{a.name}" for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evaltools")
            for a in node.names if a.name.startswith("_")]


def test_no_private_name_is_imported_from_another_module():
    wrong = {str(p.relative_to(PACKAGE.parent)): found for p in PACKAGE.rglob("*.py")
             if (found := _private_imports(p))}
    assert wrong == {}


def test_the_house_checks_catch_what_they_should(tmp_path):
    graph = {"evaltools.change": {"evaltools.io", "evaltools.groups"},
             "evaltools.certainty.words": {"evaltools.report.page"},
             "evaltools.labels.format": {"evaltools.labels.locale"}, "evaltools.groups": {"evaltools.schema"}}
    assert _breaks(graph, STATISTICS, ABOVE_STATISTICS) == ["evaltools.certainty.words imports evaltools.report.page",
                                                            "evaltools.change imports evaltools.io"]
    source = tmp_path / "x.py"
    source.write_text("from evaltools.report.page import (markdown,\n    _cell)\nfrom evaltools import _x\n")
    assert _private_imports(source) == ["evaltools.report.page._cell", "evaltools._x"]
