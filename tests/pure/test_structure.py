"""The import rules of the code, read from the source (no import is executed):

floor  folder or module                         may import (of ours)
0      errors                                   nothing
1      progress, leftovers, i18n, settings,     lower floors
       deps, installer, pip_runner
2      layers (data model, package I/O,         lower floors, each other
       checker, importers), analysis, sample
3      jobs                                     lower floors
4      qgis_glue (a package as QGIS layers,     lower floors; PyQGIS
       styles, fonts, headless QGIS)
5      atlas (sheets, layouts, onemap.qgz)      lower floors; PyQGIS
6      commands, processing, ui                 lower floors
7      cli, plugin, __init__, __main__          anything

Floors 0-3 are the pure side: never qgis or PyQt (i18n and settings excepted: they reach QGIS's translator and
settings when called), never anything of floors 4-7. No import circles between folders, and none between modules
while they load (a module's top-level imports). No module longer than a reader can hold (MAX_MODULE_LINES)."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "risk_one_map"
FLOOR = {"errors": 0, "progress": 1, "leftovers": 1, "i18n": 1, "settings": 1, "deps": 1, "installer": 1,
         "pip_runner": 1, "layers": 2, "analysis": 2, "sample": 2, "jobs": 3, "qgis_glue": 4, "atlas": 5,
         "commands": 6, "processing": 6, "ui": 6, "cli": 7, "plugin": 7, "__init__": 7, "__main__": 7}
# i18n and settings sit low (deps words its advice through i18n) but reach QGIS's translator and settings lazily.
QGIS_AT_RUN_TIME = {"i18n", "settings"}


def _unit(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path):
    """(our unit imported, or None) and the absolute module names, for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = list(path.relative_to(PKG.parent).with_suffix("").parts)
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.module or ""
                continue
            base = package[:len(package) - (node.level - 1)]
            target = base + (node.module.split(".") if node.module else [])
            if node.module:
                yield ".".join(target)
            else:
                for alias in node.names:
                    yield ".".join(target + [alias.name])


def _graph():
    edges = defaultdict(set)
    outside = defaultdict(set)
    for path in PKG.rglob("*.py"):
        unit = _unit(path)
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "risk_one_map":
                if len(parts) > 1 and parts[1] in FLOOR and parts[1] != unit:
                    edges[unit].add(parts[1])
            else:
                outside[unit].add(parts[0])
    return edges, outside


def _cycles(edges) -> list:
    """Every import circle in ``edges`` (node -> nodes it imports), each as the path that closes it."""
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            visit(nxt)
        stack.pop()
    for start in sorted(edges):
        visit(start)
    return cycles


def test_every_folder_and_module_has_a_floor():
    units = {_unit(p) for p in PKG.rglob("*.py")}
    assert units <= set(FLOOR), sorted(units - set(FLOOR))


def test_lower_floors_never_import_higher_ones():
    edges, _ = _graph()
    up = [f"{a} (floor {FLOOR[a]}) imports {b} (floor {FLOOR[b]})" for a, targets in edges.items() for b in targets
          if FLOOR[b] > FLOOR[a] and FLOOR[a] < 7]
    assert not up, up


def test_the_pure_side_never_imports_qgis_or_qt():
    _, outside = _graph()
    bad = [f"{unit} imports {mod}" for unit, mods in outside.items() if FLOOR[unit] <= 3 and unit not in QGIS_AT_RUN_TIME
           for mod in mods if mod in ("qgis", "PyQt5", "PyQt6", "sip")]
    assert not bad, bad


def test_no_import_circles_between_folders():
    edges, _ = _graph()
    cycles = _cycles(edges)
    assert not cycles, [" -> ".join(c) for c in cycles]


MAX_MODULE_LINES = 650  # the split of session 5 left every module under 600; a reader holds one at a time


def test_modules_a_reader_can_hold():
    long = sorted((len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(PKG)))
                  for p in PKG.rglob("*.py"))
    over = [f"{name}: {n} lines" for n, name in long if n > MAX_MODULE_LINES]
    assert not over, f"split these along their seams (see the README's table): {over}"


def _module_of(name: str):
    """The file of an absolute module name of ours, or None."""
    path = PKG.parent.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return name
    if (path / "__init__.py").is_file():
        return name
    return None


def _load_time_edges():
    """Module -> modules it imports while it loads (top-level statements only: an import inside a function is
    deliberately late and cannot close a circle at load time)."""
    edges = defaultdict(set)
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG.parent).with_suffix("")
        me = ".".join(rel.parts[:-1] if path.name == "__init__.py" else rel.parts)
        package = list(rel.parts[:-1])
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = [] if node.level == 0 else package[:len(package) - (node.level - 1)]
                target = base + (node.module.split(".") if node.module else [])
                modules = [".".join(target + [a.name]) for a in node.names if _module_of(".".join(target + [a.name]))]
                names = modules or [".".join(target)]  # `from .x import name` loads x; `from . import x` loads x
            for name in names:
                if name.startswith("risk_one_map") and _module_of(name) and name != me:
                    edges[me].add(name)
    return edges


def test_no_import_circles_between_modules_at_load_time():
    cycles = _cycles(_load_time_edges())
    assert not cycles, [" -> ".join(c) for c in cycles]
