"""安装所需组件 in a stock QGIS: Debian's QGIS Python (/usr/bin/python3 with python3-qgis, its numpy, pyproj and
scipy, but no pandas, shapely 2, geopandas, pyogrio or rasterio). The plugin loads with those features greyed and
one Chinese sentence; the dialog installs from a local folder of wheels (made here, offline, from this venv's
own distributions); then the features work, with QGIS's numpy and pyproj kept. qgis_process refuses in one line
before, and runs from the same profile after."""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.local_wheels import closure, repack

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")
STOCK_MISSING = ("pandas", "shapely", "geopandas", "pyogrio", "rasterio")
SENTENCE = "这项功能还缺少所需组件：请点击 插件 → 风险隐患一张图 → 安装所需组件。"
QGIS_PROCESS = shutil.which("qgis_process.bin")


def _stock_python() -> str:
    """'' if /usr/bin/python3 is a QGIS Python lacking the five packages, else why not."""
    if not SYSTEM_PYTHON.is_file():
        return "no /usr/bin/python3"
    code = ("import importlib.util as u, sys; sys.exit(0 if u.find_spec('qgis') and not any(u.find_spec(m) "
            f"for m in {STOCK_MISSING!r}) else 1)")
    ok = subprocess.run([str(SYSTEM_PYTHON), "-c", code], env=_clean_env()).returncode == 0
    return "" if ok else "the system Python has no PyQGIS or already has pandas/shapely/..."


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", **extra)
    return env


pytestmark = pytest.mark.skipif(bool(_stock_python()), reason=_stock_python() or "stock QGIS Python")


@pytest.fixture(scope="module")
def wheel_folder(tmp_path_factory):
    """The wheels of the five packages and what they need, from this venv (same Python, same platform)."""
    out = tmp_path_factory.mktemp("wheels")
    venv_site = [p for p in site.getsitepackages() if p.startswith(sys.prefix)][:1]
    for name in closure(STOCK_MISSING, venv_site):
        try:
            repack(name, out, venv_site)
        except LookupError:  # numpy, certifi ...: the system's, not this venv's
            continue
    return out


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    """A QGIS config folder with the plugin enabled (QGIS_CUSTOM_CONFIG_PATH), and its default profile."""
    config = tmp_path_factory.mktemp("qgis-config")
    default = config / "profiles" / "default"
    (default / "QGIS").mkdir(parents=True)
    (default / "QGIS" / "QGIS3.ini").write_text("[PythonPlugins]\nrisk_one_map=true\n", encoding="utf-8")
    plugins = config / "plugins" / "risk_one_map"
    plugins.mkdir(parents=True)
    for entry in list((ROOT / "risk_one_map").iterdir()) + [ROOT / "metadata.txt"]:
        (plugins / entry.name).symlink_to(entry)
    return config


def _qgis_process(profile, package):
    env = _clean_env(QGIS_PLUGINPATH=str(profile / "plugins"), QGIS_CUSTOM_CONFIG_PATH=str(profile))
    return subprocess.run([QGIS_PROCESS, "run", "riskonemap:checkpackage", "--", f"PACKAGE={package}"], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def stock_run(tmp_path_factory, wheel_folder, profile, tiny_package, sample_package):
    """The child QGIS Python's report (stock_qgis_child.py), after qgis_process ran once on the bare profile."""
    before = _qgis_process(profile, tiny_package.path) if QGIS_PROCESS else None
    county = shutil.copytree(sample_package.path, tmp_path_factory.mktemp("stock") / "county")
    shots = Path(os.environ.get("RISK_ONE_MAP_SHOTS", tmp_path_factory.mktemp("shots")))
    res = subprocess.run([str(SYSTEM_PYTHON), str(ROOT / "tests" / "qgis" / "stock_qgis_child.py"), str(ROOT),
                          str(profile / "profiles" / "default"), str(wheel_folder), str(tiny_package.path),
                          str(county), str(shots)], env=_clean_env(), capture_output=True, text=True, timeout=600)
    lines = [line for line in res.stdout.splitlines() if line.startswith("RESULT ")]
    assert res.returncode == 0 and lines, res.stdout[-3000:] + res.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):]), before, county, shots


def test_stock_qgis_greys_what_needs_the_missing_packages_with_one_chinese_sentence(stock_run):
    seen = stock_run[0]
    assert seen["stock_missing"] == list(STOCK_MISSING)
    before = seen["before"]
    greyed = {text: tip for text, (enabled, tip) in before["actions"].items() if not enabled}
    assert set(greyed) == {"导入数据…", "检查一张图包…", "人口暴露分析…", "转移避险分析…", "物资储备点选址…",
                           "DEM洼地（低洼易涝点筛查）…", "批量打印村图…", "生成示例县…", "导出隐患排查治理台账…",
                           "导入修改后的台账…", "导出巡查包（QField）…", "合并交回的巡查包…", "预警叫应…"}
    assert set(greyed.values()) == {SENTENCE}
    assert before["actions"]["打开一张图包…"][0] and before["actions"]["安装所需组件…"][0]
    assert len(before["banner"]) == 1 and "安装所需组件" in before["banner"][0] and "pandas" in before["banner"][0]
    assert "sudo" not in before["banner"][0] and "pip" not in before["banner"][0]
    assert not before["dock_print"] and before["dock_note"] == SENTENCE
    assert before["can_execute"] == [False, SENTENCE]
    assert not before["check"]["ok"] and before["check"]["message"].endswith(SENTENCE)
    assert "Traceback" not in before["check"]["message"]


def test_the_installer_installs_from_a_local_wheel_folder_and_the_features_then_work(stock_run, sample_package):
    seen, _, county, shots = stock_run
    install = seen["install"]
    assert install["started"] and install["ok"] == [True], install
    assert install["status"] == "安装完成，各项功能已启用，不需要重启 QGIS。"
    installed = {pin.split("==")[0] for pin in install["result"]["installed"]}
    assert set(STOCK_MISSING) <= installed
    assert not {"numpy", "pyproj", "scipy"} & installed  # QGIS's own are kept
    after = seen["after"]
    assert all(enabled for enabled, _ in after["actions"].values())
    assert after["can_execute"] == [True, ""] and after["dock_note"] == ""
    assert "/python/risk_one_map_deps/" in after["pandas"] and after["shapely"].startswith("2.")
    assert after["numpy"].startswith("/usr/lib/python3/") and after["pyproj"].startswith("/usr/lib/python3/")
    assert after["check"] == {"ok": True, "valid": False, "errors": 1}  # the tiny package's one planted error
    # the same numbers as this venv's exposure job
    from risk_one_map.jobs.exposure import run
    mine = shutil.copytree(sample_package.path, county.parent / "venv")
    run(mine, mode="exact", source="auto", charts=False)
    pd.testing.assert_frame_equal(pd.read_csv(after["exposure"]), pd.read_csv(mine / "exposure.csv"))
    assert {"greyed_menu.png", "greyed_dock.png", "installer_after.png"} <= {p.name for p in shots.iterdir()}


@pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process.bin is not installed")
def test_qgis_process_refuses_in_one_line_before_and_runs_after(stock_run, profile, tiny_package):
    before = stock_run[1]
    assert before.returncode != 0
    assert SENTENCE in before.stdout + before.stderr and "Traceback" not in before.stdout + before.stderr
    after = _qgis_process(profile, tiny_package.path)  # the same profile: the packages the dialog installed
    assert after.returncode == 0, after.stdout[-2000:] + after.stderr[-2000:]
    assert "VALID:\tfalse" in after.stdout and "ERRORS:\t1" in after.stdout


@pytest.mark.skipif(not (shutil.which("xvfb-run") and Path("/usr/bin/qgis.bin").is_file()),
                    reason="needs xvfb-run and Debian's QGIS Desktop")
def test_qgis_desktop_installs_and_then_prints_a_village_sheet(tmp_path, wheel_folder, sample_package):
    """The real executable (qgis.bin links PROJ/GDAL/GEOS, reports another sys.executable): greyed menu, the
    dialog installing from the wheel folder, no restart, exposure and a sheet printed from the dock after."""
    county = shutil.copytree(sample_package.path, tmp_path / "county")
    shots = Path(os.environ.get("RISK_ONE_MAP_SHOTS", tmp_path / "shots")) / "desktop"
    res = subprocess.run(["bash", str(ROOT / "scripts" / "screenshot_stock_install.sh"), str(wheel_folder),
                          str(shots), str(county)], env=_clean_env(TMPDIR=str(tmp_path)), capture_output=True,
                         text=True, timeout=600)
    text = (shots / "result.txt").read_text(encoding="utf-8") if (shots / "result.txt").is_file() else ""
    assert "install ok: True" in text, res.stdout[-3000:] + res.stderr[-3000:]
    before, after = (next(line for line in text.splitlines() if line.startswith(k)) for k in ("before:", "after:"))
    assert "'人口暴露分析…': False" in before and "'打开一张图包…': True" in before
    assert "False" not in after
    assert "'restart': False" in text and "status: 安装完成，各项功能已启用，不需要重启 QGIS。" in text
    assert "printed: True None" in text and list((county / "atlas").rglob("*.pdf"))
    assert (county / "exposure.csv").is_file()
