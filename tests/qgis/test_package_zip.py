"""The plugin zip installs as is: one folder risk_one_map/ with metadata.txt, importable, no tests or caches;
and the committed QML styles are what scripts/make_styles.py writes from the model."""
from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import risk_one_map

ROOT = Path(__file__).resolve().parents[2]


def test_zip_has_metadata_inside_the_plugin_folder_and_imports(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "package_plugin.py"), "--out", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    zip_path = tmp_path / f"risk_one_map-{risk_one_map.__version__}.zip"
    assert zip_path.is_file(), out
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        meta_text = zf.read("risk_one_map/metadata.txt").decode("utf-8")
        zf.extractall(tmp_path / "plugins")
    assert all(n.startswith("risk_one_map/") for n in names)
    assert not [n for n in names if "__pycache__" in n or "/tests/" in n or n.endswith(".pyc")]
    assert "risk_one_map/resources/icons/icon.svg" in names
    assert "risk_one_map/resources/styles/villages.qml" in names
    meta = configparser.ConfigParser(interpolation=None)
    meta.read_string(meta_text)
    general = meta["general"]
    assert general["version"] == risk_one_map.__version__
    assert general["qgisMinimumVersion"] == "3.22" and general["hasProcessingProvider"] == "yes"
    assert f"risk_one_map/{general['icon']}" in names
    # QGIS imports the folder and calls classFactory: do the same from the unzipped copy, in a clean interpreter
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import risk_one_map, risk_one_map.plugin; "
            "assert risk_one_map.__file__.startswith(sys.argv[1]), risk_one_map.__file__; "
            "assert callable(risk_one_map.classFactory); print('ok')")
    env = dict(os.environ, PYTHONPATH="")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "plugins")], capture_output=True, text=True,
                         env=env, cwd=str(tmp_path))
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_committed_qml_styles_match_the_model():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_styles.py"), "--check"],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
