"""Every riskonemap algorithm run by the real qgis_process (a child process, not the Python API), with the plugin
installed from its zip into a fresh profile and every pinned package of requirements.txt importable, OR-Tools
included. qgis_process.bin links QGIS's own PROJ, GDAL, GEOS and protobuf: a wheel that brings its own copy and is
loaded plainly aborts the process (OR-Tools did: exit 134 at 50 % of the evacuation), so exit 0 here is the proof
that deps.native_imports keeps each wheel to its own libraries. The numbers must be the CLI's."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QGIS_PROCESS = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
ALGORITHMS = ("sampledata", "checkpackage", "importdata", "exposure", "evacuation", "isochrones", "sitedepots",
              "depotmap", "villageatlas", "warning", "lowpoints")

pytestmark = [pytest.mark.qgis_process,
              pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process is not installed")]


class QgisProcess:
    """qgis_process with the built plugin zip unpacked into a profile of its own and the venv's packages on the
    path as they are (the PyPI wheels, no shim)."""

    def __init__(self, work: Path):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "package_plugin.py"), "--out", str(work / "dist")],
                       check=True, capture_output=True, timeout=300)
        profile = work / "config" / "profiles" / "default"
        (profile / "python" / "plugins").mkdir(parents=True)
        (profile / "QGIS").mkdir(parents=True)
        with zipfile.ZipFile(next((work / "dist").glob("*.zip"))) as zf:
            zf.extractall(profile / "python" / "plugins")
        (profile / "QGIS" / "QGIS3.ini").write_text("[PythonPlugins]\nrisk_one_map=true\n")
        import site
        self.env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QGIS_CUSTOM_CONFIG_PATH=str(work / "config"),
                        PYTHONPATH=site.getsitepackages()[0])
        grass = Path("/usr/lib/grass82/lib")  # qgis_process.bin's GRASS provider, as Debian's wrapper sets it
        if grass.is_dir():
            self.env["LD_LIBRARY_PATH"] = ":".join(filter(None, (self.env.get("LD_LIBRARY_PATH"), str(grass))))
        self.work = work

    def call(self, *args, timeout=600) -> subprocess.CompletedProcess:
        return subprocess.run([QGIS_PROCESS, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                              cwd=self.work)

    def run(self, algorithm: str, **params) -> dict:
        """Run riskonemap:<algorithm>; assert exit 0; return qgis_process's JSON answer (results, log)."""
        args = [f"{k}={v}" for k, values in params.items()  # a list: the parameter given once per value
                for v in (values if isinstance(values, (list, tuple)) else [values])]
        res = self.call("--json", "run", f"riskonemap:{algorithm}", "--", *args)
        assert res.returncode == 0, f"{algorithm} exited {res.returncode}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        return json.loads(res.stdout[res.stdout.index("{"):])


@pytest.fixture(scope="module")
def qp(tmp_path_factory):
    return QgisProcess(tmp_path_factory.mktemp("qgis-process"))


@pytest.fixture(scope="module")
def county(qp):
    out = qp.work / "county"
    answer = qp.run("sampledata", VILLAGES=8, SEED=3, OPEN="false", OUTPUT=out)
    assert answer["results"]["OUTPUT"] == str(out) and (out / "onemap.gpkg").is_file()
    return out


def test_every_algorithm_is_listed(qp):
    res = qp.call("list")
    assert res.returncode == 0, res.stderr
    for name in ALGORITHMS:
        assert f"riskonemap:{name}" in res.stdout


def test_ortools_is_installed_here():
    """The proof below only counts with OR-Tools importable, as requirements.txt pins it."""
    import importlib.util
    assert importlib.util.find_spec("ortools") is not None


def test_checkpackage(qp, county):
    assert qp.run("checkpackage", PACKAGE=county)["results"]["VALID"] is True


def test_exposure_matches_the_cli(qp, county, tmp_path):
    qp.run("exposure", PACKAGE=county, MODE=0, SOURCE=0, CHARTS="false")
    twin = tmp_path / "twin"
    shutil.copytree(county, twin)
    (twin / "exposure.csv").unlink()
    cli = subprocess.run([sys.executable, "-m", "risk_one_map", "exposure", str(twin)], capture_output=True,
                         text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert (county / "exposure.csv").read_text("utf-8-sig") == (twin / "exposure.csv").read_text("utf-8-sig")


def test_evacuation_solves_with_ortools_inside_qgis_process_and_matches_the_cli(qp, county, tmp_path):
    twin = tmp_path / "twin"
    shutil.copytree(county, twin)
    answer = qp.run("evacuation", PACKAGE=county)
    assert any("OR-Tools min-cost flow" in line for line in answer["log"]["info"])
    from risk_one_map.jobs.evacuation import run as evacuate
    here = evacuate(twin).stats
    assert "OR-Tools" in here["solver"]
    results = answer["results"]
    assert (results["ASSIGNED"], results["UNSERVED"]) == (here["assigned_households"], here["unserved_households"])
    assert (county / "shelter_load.csv").read_text("utf-8-sig") == (twin / "shelter_load.csv").read_text("utf-8-sig")


def test_lowpoints_runs_compiled_inside_qgis_process_and_matches_the_cli(qp, county, tmp_path):
    """numba's LLVM inside qgis_process.bin (which may hold Mesa's libLLVM): the DEM low points run compiled there
    and write the CLI's layer."""
    import pyogrio
    twin = tmp_path / "twin"
    shutil.copytree(county, twin)
    answer = qp.run("lowpoints", PACKAGE=county, RAIN="50,100")
    assert any("numba 编译加速" in line and "未装" not in line for line in answer["log"]["info"]), answer["log"]
    cli = subprocess.run([sys.executable, "-m", "risk_one_map", "lowpoints", str(twin), "--rain", "50,100"],
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    mine, theirs = (pyogrio.read_dataframe(p / "onemap.gpkg", layer="dem_depressions") for p in (county, twin))
    assert answer["results"]["OUTPUT_COUNT"] == len(theirs) > 0
    assert mine.drop(columns="geometry").to_csv() == theirs.drop(columns="geometry").to_csv()
    assert mine.geometry.to_wkb().equals(theirs.geometry.to_wkb())


def test_isochrones(qp, county):
    qp.run("isochrones", PACKAGE=county, MINUTES="5,10")
    import pyogrio
    bands = pyogrio.read_dataframe(county / "onemap.gpkg", layer="shelter_isochrones", read_geometry=False)
    assert len(bands) and set(bands["minutes"]) <= {5, 10}


def test_sitedepots_then_depotmap(qp, county):
    answer = qp.run("sitedepots", PACKAGE=county, MODEL=0, K=2)
    assert (county / "depot_siting.json").is_file(), answer["log"]
    pdf = qp.work / "depot_map.pdf"
    answer = qp.run("depotmap", PACKAGE=county, OUTPUT=pdf)
    assert answer["results"]["OUTPUT"] == str(pdf) and pdf.stat().st_size > 10_000


def test_villageatlas_prints_two_villages(qp, county):
    import pyogrio
    codes = list(pyogrio.read_dataframe(county / "onemap.gpkg", layer="villages", read_geometry=False)["code"])[:2]
    out = qp.work / "atlas"
    answer = qp.run("villageatlas", PACKAGE=county, VILLAGES=",".join(codes), DPI=72, WORKERS=1, OUTPUT=out)
    assert answer["results"]["WRITTEN"] == 2
    assert len(list(out.rglob("*.pdf"))) >= 2


def test_warning_prints_the_call_sheets_and_matches_the_cli(qp, county, tmp_path):
    """预警叫应 inside qgis_process: the township call sheets print there too (in turn, no forking) and the call
    list is the CLI's, household heads included."""
    import pyogrio
    from risk_one_map.layers import model
    town = sorted(pyogrio.read_dataframe(county / "onemap.gpkg", layer="townships", read_geometry=False)["code"])[0]
    twin = tmp_path / "twin"
    shutil.copytree(county, twin)
    flood = 1 + [h.key for h in model.HAZARD_TYPES].index("flood")
    answer = qp.run("warning", PACKAGE=county, CODES=town, LEVEL=0, HAZARD=flood, OUT=qp.work / "calls")
    assert answer["results"]["CALLS"] > 0 and list((qp.work / "calls").glob("叫应单_*.pdf"))
    cli = subprocess.run([sys.executable, "-m", "risk_one_map", "warn", str(twin), "--codes", town, "--level", "红",
                          "--hazard", "flood", "--out", str(tmp_path / "calls")], capture_output=True, text=True,
                         timeout=300)
    assert cli.returncode == 0, cli.stderr
    mine = (qp.work / "calls" / "叫应名单.csv").read_text("utf-8-sig")
    assert mine == (tmp_path / "calls" / "叫应名单.csv").read_text("utf-8-sig") and "户主" in mine


def test_importdata_of_raw_files(qp, county):
    """Layers of the sample written out as raw GeoJSON files in WGS 84, imported back into a new package."""
    import pyogrio
    raw = qp.work / "raw"
    raw.mkdir()
    files = []
    for layer in ("county", "townships", "villages", "shelters", "geohazard_points"):
        gdf = pyogrio.read_dataframe(county / "onemap.gpkg", layer=layer).to_crs(4326)
        files.append(raw / f"{layer}.geojson")
        pyogrio.write_dataframe(gdf, files[-1], driver="GeoJSON")
    out = qp.work / "imported"
    answer = qp.run("importdata", INPUTS=files, OPEN="false", OUTPUT=out)
    assert answer["results"]["KEPT"] > 0 and answer["results"]["REJECTED"] == 0
    assert qp.run("checkpackage", PACKAGE=out)["results"]["ERRORS"] == 0
