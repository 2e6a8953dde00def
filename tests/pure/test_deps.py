"""deps: install advice per platform that never crashes QGIS, and wheels loaded safely inside a QGIS executable."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from risk_one_map import deps

ROOT = Path(__file__).resolve().parents[2]
LIBPROJ = Path("/lib/x86_64-linux-gnu/libproj.so.25")


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_debian_advice_takes_pyproj_from_apt_and_pins_what_would_break_qgis():
    msg = deps.manual_install_message({"pyproj": "not installed", "shapely": "1.8.5 installed, need >=2"}, kind="debian")
    assert deps.DEBIAN_APT in msg and "python3-pyproj" in msg
    assert deps.DEBIAN_PIP in msg and '"numpy<2"' in msg and '"geopandas>=1,<1.1"' in msg
    assert "--break-system-packages" in msg and "--user" in msg
    pip_line = deps.DEBIAN_PIP.split()
    assert not [a for a in pip_line if a.strip('"').startswith("pyproj")]  # never the PyPI pyproj


def test_windows_advice_uses_osgeo4w_packages():
    msg = deps.manual_install_message({"rasterio": "not installed"}, kind="windows")
    assert "OSGeo4W" in msg and "python3-rasterio" in msg and "pip install rasterio" not in msg


def test_nothing_missing_means_no_message():
    assert deps.install_message({}) == "" and deps.install_commands({}) == []


@pytest.mark.skipif(not LIBPROJ.is_file() or deps.bundled_libs("pyproj") is None,
                    reason="needs Debian's libproj and a PyPI pyproj wheel")
def test_wheels_load_safely_in_a_process_that_links_qgis_proj():
    """A process with the system PROJ in its global scope is what qgis.bin / qgis_process.bin are: a plain
    `import pyproj` of the wheel aborts there; after deps.native_imports() it works."""
    env = dict(os.environ, LD_PRELOAD=str(LIBPROJ), PYTHONPATH=str(ROOT))
    plain = _python("import pyproj; pyproj.CRS(4546)", env)
    assert plain.returncode != 0 and "bad_alloc" in plain.stderr
    code = ("from risk_one_map import deps; assert deps.qgis_libs_global(); print(deps.native_imports()); "
            "import pyproj, shapely, geopandas; "
            "g = geopandas.GeoSeries([shapely.Point(500000, 3000000)], crs=4546).to_crs(4490); "
            "print(pyproj.CRS(4546).name, g.iloc[0].wkt)")
    safe = _python(code, env)
    assert safe.returncode == 0, safe.stderr
    assert "pyproj" in safe.stdout and "Gauss-Kruger" in safe.stdout and "POINT" in safe.stdout


LIBPROTOBUF = next(iter(sorted(Path("/lib/x86_64-linux-gnu").glob("libprotobuf-lite.so.*"))), None)


@pytest.mark.skipif(not LIBPROJ.is_file() or LIBPROTOBUF is None or deps.bundled_libs("ortools") is None,
                    reason="needs Debian's libproj and libprotobuf-lite (as QGIS links them) and the OR-Tools wheel")
def test_ortools_loads_safely_in_a_process_that_links_qgis_protobuf():
    """qgis.bin and qgis_process.bin link Debian's libprotobuf-lite: a plain import of OR-Tools' min-cost flow
    aborts there (the crash that closed QGIS Desktop on 转移避险分析); after deps.native_imports() it solves."""
    env = dict(os.environ, LD_PRELOAD=f"{LIBPROJ}:{LIBPROTOBUF}", PYTHONPATH=str(ROOT))
    plain = _python("from ortools.graph.python import min_cost_flow", env)
    assert plain.returncode != 0 and "already exists in database" in plain.stderr
    code = ("from risk_one_map import deps; print(deps.native_imports()); "
            "from risk_one_map.analysis.evacuation import solve_transport; "
            "flow, unserved, solver = solve_transport([0, 0, 1], [0, 1, 1], [5, 9, 2], [3, 2], [2, 4], 10**6); "
            "print(flow.tolist(), unserved.tolist(), solver)")
    safe = _python(code, env)
    assert safe.returncode == 0, safe.stderr
    assert "'ortools'" in safe.stdout and "[2, 1, 2] [0, 0] OR-Tools" in safe.stdout
