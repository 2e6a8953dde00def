"""The library doors stay pure: importing the analysis, the model and package I/O (and the dependency check)
must not import QGIS or Qt; each is checked in a fresh interpreter."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

PURE_MODULES = ["risk_one_map", "risk_one_map.analysis", "risk_one_map.layers.model", "risk_one_map.layers.package",
                "risk_one_map.deps", "risk_one_map.errors", "risk_one_map.progress"]
FORBIDDEN = ("qgis", "PyQt5", "PyQt6", "sip", "osgeo")


@pytest.mark.parametrize("module", PURE_MODULES)
def test_import_does_not_pull_in_qgis_or_qt(module):
    code = (f"import importlib, json, sys; importlib.import_module({module!r}); "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1]) == []


def test_dependency_check_imports_none_of_the_packages_it_checks():
    code = ("import json, sys; from risk_one_map import deps; deps.missing(); deps.install_message({'rasterio': "
            "'not installed'}); print(json.dumps([m for m in ('geopandas', 'rasterio', 'scipy', 'pyogrio') "
            "if m in sys.modules]))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1]) == []


def test_dependency_message_says_what_to_install_and_how(monkeypatch):
    from risk_one_map import deps
    monkeypatch.setitem(sys.modules, "rasterio", None)
    monkeypatch.setattr(deps, "_installed_version", lambda m: "1.8.5" if m == "shapely" else None)
    gone = deps.missing()
    assert gone["rasterio"] == "not installed"
    assert gone["shapely"] == "1.8.5 installed, need >=2"
    text = deps.manual_install_message(gone)
    assert "\n" not in text  # one paragraph
    assert "shapely (1.8.5 installed, need >=2), rasterio" in text  # the platform's commands: tests/pure/test_deps.py
    assert "缺少" in text and "missing" in text
    assert deps.install_message({}) == ""
    assert deps.feature_available("load_package")
