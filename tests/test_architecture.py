"""The layering the project promises (README, "Layout"): data flows one way, the core never imports presentation
or the CLI, module-level imports have no cycle, and modules and functions stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lissnas_bench"
CORE = ("spaces", "benchmarks", "shrinkers", "evaluation", "experiments", "search")
PRESENTATION = ("lissnas_bench.plots", "lissnas_bench.commands", "lissnas_bench.cli", "lissnas_bench.report",
                "lissnas_bench.api")
#: deprecated re-exports kept for one release (README, "Deprecated")
SHIMS = {"lissnas_bench.runner", "lissnas_bench.sweep", "lissnas_bench.shrinkers.shrunk"}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(PKG.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def _imports(name: str, path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # `if TYPE_CHECKING:` / try blocks at module level count too
        nodes = [n for top in tree.body for n in ast.walk(top) if not isinstance(top, (ast.FunctionDef,
                                                                                       ast.ClassDef))]
        nodes += [n for top in tree.body if isinstance(top, ast.ClassDef) for n in top.body
                  if isinstance(n, (ast.Import, ast.ImportFrom))]
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for n in nodes:
        if isinstance(n, ast.Import):
            found |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            if n.level:
                base = pkg.split(".")
                base = base[: len(base) - (n.level - 1)]
                mod = ".".join(base + ([n.module] if n.module else []))
            else:
                mod = n.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in n.names}
    return {m for m in found if m.startswith("lissnas_bench")}


def test_core_never_imports_presentation_or_cli():
    bad = []
    for name, path in _modules().items():
        if name.split(".")[1:2] and name.split(".")[1] in CORE and name not in SHIMS:
            for m in _imports(name, path, top_level_only=False):
                if m.startswith(PRESENTATION):
                    bad.append(f"{name} imports {m}")
    assert not bad, "\n".join(bad)


def test_module_level_imports_have_no_cycle():
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        deps = set()
        for m in _imports(name, path, top_level_only=True):
            while m and m not in mods:  # `from pkg import name` names a module or an attribute
                m = m.rsplit(".", 1)[0] if "." in m else ""
            if m and m != name and not name.startswith(m + ".") and m not in SHIMS:
                deps.add(m)
        graph[name] = deps
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in graph.get(n, ()):
            if state.get(d) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state:
                visit(d)
        stack.pop()
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n)


#: the limits of the README's "Layout" (modules ~400 lines, functions ~60): a module may run a few lines over while
#: it reads better whole; a function's docstring does not count (its examples are documentation, run as doctests)
MAX_MODULE_LINES = 420
MAX_FUNCTION_LINES = 60


def _function_lengths(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = node.body[0] if node.body and isinstance(node.body[0], ast.Expr) else None
            doc_lines = (doc.end_lineno - doc.lineno + 1
                         if doc is not None and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)
                         else 0)
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1 - doc_lines


def test_modules_and_functions_stay_small():
    long_modules = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py")
                    if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    long_functions = {f"{p.relative_to(PKG)}:{line} {name}": n for p in PKG.rglob("*.py")
                      for name, line, n in _function_lengths(p) if n > MAX_FUNCTION_LINES}
    assert not long_modules, f"modules over {MAX_MODULE_LINES} lines: {long_modules}"
    assert not long_functions, f"functions over {MAX_FUNCTION_LINES} lines (docstring aside): {long_functions}"
