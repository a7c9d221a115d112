"""The engine never depends on the UI, and its modules import one way: no cycles, each importable alone."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE_MODULES = [
    "unlearn_core",
    "unlearn_core.datasets",
    "unlearn_core.metrics",
    "unlearn_core.models",
    "unlearn_core.leakage",
    "unlearn_core.frontier",
]


def test_engine_does_not_import_streamlit(root):
    optional = ["transport", "training", "forgetting", "audit", "plots"]
    mods = ENGINE_MODULES + [
        f"unlearn_core.{m}" for m in optional
        if (root / "unlearn_core" / f"{m}.py").exists() or (root / "unlearn_core" / m).is_dir()
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False", "an engine module imports streamlit"


def test_bare_import_is_cheap(root):
    code = (
        "import sys, unlearn_core; "
        "print(sorted(m for m in ('torch', 'streamlit', 'ot') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- import graph of the engine ------------------------------------------------------------------------


def engine_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of ``unlearn_core`` (packages by their ``__init__``)."""
    mods = {}
    for path in sorted((root / "unlearn_core").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every import statement that runs, at module level or inside a function (lazy imports count: a
    cycle hidden in a function is still a cycle); ``if TYPE_CHECKING:`` blocks never run and are skipped."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from (n for child in node.orelse for n in _imports_of(child))
            continue
        yield from _imports_of(node)


def _imports_of(node: ast.AST):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from _imports(node)


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """module -> {engine module it imports: line}. ``from . import x`` of a submodule x is an edge to x
    only (the package's ``__init__`` is then already running, which is how packages work)."""
    mods = engine_modules(root)
    graph: dict[str, dict[str, int]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                subs = [f"{target}.{alias.name}" for alias in node.names]
                targets = [sub if sub in mods else target for sub in subs]
            for target in targets:
                if target in mods and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle of the graph as [a, b, ..., a], or None (depth-first search, three colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, {}):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_find_cycle_finds_a_lazy_cycle_and_accepts_a_tree():
    # the shape of the cycle training/ had: _types.TrainConfig.run imported _train inside a method
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 9}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1, "c": 1}, "b": {"c": 1}, "c": {}}) is None


def test_import_graph_sees_lazy_imports_and_skips_type_checking(tmp_path):
    pkg = tmp_path / "unlearn_core" / "pkg"
    pkg.mkdir(parents=True)
    (tmp_path / "unlearn_core" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from . import a\nfrom .b import thing\n")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import thing\n"
    )
    (pkg / "b.py").write_text("def f():\n    from .a import x\n    from .. import pkg\n")
    graph = import_graph(tmp_path)
    assert graph["unlearn_core.pkg"] == {"unlearn_core.pkg.a": 1, "unlearn_core.pkg.b": 2}
    assert graph["unlearn_core.pkg.a"] == {}
    assert graph["unlearn_core.pkg.b"] == {"unlearn_core.pkg.a": 2, "unlearn_core.pkg": 3}


def test_engine_has_no_import_cycle(root):
    graph = import_graph(root)
    assert len(graph) > 20
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(
        f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)
    ) + f" -> {cycle[-1]}"


# Each child starts with no unlearn_core module loaded: importing a module first must work whatever the
# order the others are imported in. Forking one interpreter that has loaded only the third-party
# packages keeps this to seconds (70 bare interpreters take minutes on a shared 2-core machine).
_IMPORT_EACH_ALONE = """
import importlib, os, sys, traceback
for heavy in HEAVY:
    try:
        importlib.import_module(heavy)
    except Exception:
        pass
assert not [m for m in sys.modules if m.split(".")[0] == "unlearn_core"]
failed = []
for name in MODULES:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
            code = 0 if not [m for m in sys.modules if m.split(".")[0] == "streamlit"] else 3
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append((name, os.waitstatus_to_exitcode(status)))
print("FAILED", failed)
"""


def _third_party_imports(root: Path) -> list[str]:
    names = set()
    for path in engine_modules(root).values():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif not node.level and node.module:
                names.add(node.module)
    return sorted(n for n in names if n.split(".")[0] not in {"unlearn_core", "streamlit"})


def import_each_alone(root: Path) -> tuple[str, str]:
    """Import every engine module under ``root`` first in its own child; (last stdout line, stderr)."""
    code = _IMPORT_EACH_ALONE.replace("HEAVY", repr(_third_party_imports(root))).replace(
        "MODULES", repr(sorted(engine_modules(root)))
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1], out.stderr


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@needs_fork
def test_import_each_alone_catches_a_module_level_cycle(tmp_path):
    pkg = tmp_path / "unlearn_core"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import B\nA = 1\n")
    (pkg / "b.py").write_text("from .a import A\nB = 2\n")
    (pkg / "c.py").write_text("import numpy\nC = 3\n")
    last, _ = import_each_alone(tmp_path)
    assert last == "FAILED [('unlearn_core.a', 1), ('unlearn_core.b', 1)]"


@pytest.mark.slow  # about 10 s of CPU (70 forks); 20-35 s wall on a loaded 2-core machine
@needs_fork
def test_each_engine_module_imports_alone(root):
    last, stderr = import_each_alone(root)
    assert last == "FAILED []", f"{last} (exit 3: imported streamlit)\n{stderr[-3000:]}"


def test_engine_source_never_names_streamlit(root):
    """Read, not imported: no module of unlearn_core imports streamlit, not even inside a function."""
    import ast

    found = []
    for path in sorted((root / "unlearn_core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
                names = [str(node.args[0].value)]
            found += [f"{path.relative_to(root)}:{node.lineno}"
                      for n in names if n.split(".")[0] == "streamlit"]
    assert found == []


# -- private names stay in their package ---------------------------------------------------------------


def _private_imports(root: Path) -> list[str]:
    """Imports in product code (unlearn_core, ui, pages, app.py, serve.py) of another package's private
    module or name: ``from unlearn_core.frontier._types import Frontier`` in ``unlearn_core.plots``, or
    ``_label`` of ``unlearn_core.plots.frontier`` in ``ui``. A private name of a sibling module inside
    the same package (``plots.vega`` using ``plots.transport._padded_range``) is that package's own."""
    files = [p for d in ("unlearn_core", "ui", "pages") for p in sorted((root / d).rglob("*.py"))]
    files += [root / "app.py", root / "serve.py"]
    found = []
    for path in files:
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        mod = ".".join(parts[:-1] if is_pkg else parts)
        pkg = mod if is_pkg else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for full in targets:
                names = full.strip(".").split(".")
                for i, part in enumerate(names):
                    if not part.startswith("_") or part.startswith("__"):
                        continue
                    owner = names[:i]  # the module or package holding the private part
                    if owner and (root / Path(*owner)).with_suffix(".py").is_file():
                        owner = owner[:-1]  # a private name of a module belongs to its package
                    owner_name = ".".join(owner)
                    if not owner_name or not (pkg == owner_name or pkg.startswith(owner_name + ".")):
                        found.append(f"{path.relative_to(root)}:{node.lineno} imports {full}")
                    break
    return found


def test_no_module_imports_another_packages_private_names(root):
    found = _private_imports(root)
    assert not found, "private names used outside their package:\n" + "\n".join(found)


def test_the_private_import_scan_catches_one(root, tmp_path):
    """The scan above can fail: a copy of the tree with one private cross-package import is flagged."""
    import shutil

    for d in ("unlearn_core", "ui", "pages"):
        shutil.copytree(root / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("app.py", "serve.py"):
        shutil.copy(root / f, tmp_path / f)
    (tmp_path / "ui" / "leak.py").write_text("from unlearn_core.frontier._types import Frontier\n"
                                             "from unlearn_core.plots.frontier import _label\n")
    found = _private_imports(tmp_path)
    assert len(found) == 2 and all(x.startswith("ui/leak.py") for x in found), found


# -- pages are thin: ui and the figure builders only ---------------------------------------------------
PAGE_ALLOWED = ("ui", "unlearn_core.plots", "unlearn_core.images.figures")
PAGE_LIBRARIES = {"__future__", "functools", "math", "json", "dataclasses", "typing", "pathlib",
                  "collections", "streamlit", "numpy", "pandas"}


def _page_problems(path: Path) -> list[str]:
    """What makes a page more than a layout: an import of the engine outside the figure builders, an
    st.cache_* of its own, or more than 150 lines."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    out = []
    if len(source.splitlines()) >= 150:
        out.append(f"{path.name}: {len(source.splitlines())} lines (a page script stays under 150)")
    for node in ast.walk(tree):
        mods = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [f"{node.module}.{a.name}" if node.module.startswith("unlearn_core") else node.module
                    for a in node.names]
        for m in mods:
            ok = m.split(".")[0] in PAGE_LIBRARIES or any(m == a or m.startswith(a + ".")
                                                          for a in PAGE_ALLOWED)
            if not ok:
                out.append(f"{path.name}:{node.lineno} imports {m} (pages import only ui and the figure "
                           "builders)")
        if isinstance(node, ast.Attribute) and node.attr.startswith("cache_") and \
                isinstance(node.value, ast.Name) and node.value.id == "st":
            out.append(f"{path.name}:{node.lineno} uses st.{node.attr} (caches live in ui/)")
    return out


def test_pages_import_only_ui_and_figure_builders_and_hold_no_cache(root):
    problems = [p for page in sorted((root / "pages").glob("*.py")) for p in _page_problems(page)]
    assert not problems, "\n".join(problems)


def test_the_page_scan_catches_an_engine_import_and_a_cache(tmp_path):
    page = tmp_path / "bad.py"
    page.write_text("import streamlit as st\nfrom unlearn_core import forgetting as fg\n"
                    "from unlearn_core.plots import vega\nimport ui\n\n"
                    "@st.cache_data\ndef f():\n    return 1\n", encoding="utf-8")
    problems = _page_problems(page)
    assert any("imports unlearn_core.forgetting" in p for p in problems), problems
    assert any("st.cache_data" in p for p in problems), problems
    assert not any("imports unlearn_core.plots" in p or "imports ui" in p for p in problems), problems
