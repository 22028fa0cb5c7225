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
BOUNDARY = ("io", "schema", "validate", "privacy", "project", "errors", "labels", "instruments")
#: The analysis: takes DataFrames, returns DataFrames.
ANALYSIS = ("scoring", "reliability", "change", "reliable_change", "attrition", "clustering", "ties", "indicators",
            "certainty", "plots", "report")


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
