"""A province on Dask: a tiny province (3 sample counties) on a LocalCluster of 2 workers gives exactly what the
county commands give; a failing county is reported and the others finish; a rerun skips finished counties."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pyogrio
import pytest
import shapely

from risk_one_map.sample.province import plan_province

LAYERS = ("exposure", "exposure_villages", "evacuees", "evacuation_routes", "shelter_load", "unserved",
          "depot_sites", "depot_allocation")
BAND_MB = "2"  # small raster windows: the third county's 10 m raster is walked in 7 of them, spread over workers


def test_plan_is_deterministic_counties_touch_and_differ():
    a, b = plan_province(4, villages=8, seed=3), plan_province(4, villages=8, seed=3)
    assert [p.folder for p in a] == [p.folder for p in b]
    assert all(p.outline.equals(q.outline) for p, q in zip(a, b))
    assert len({p.code6 for p in a}) == 4 and len({p.name for p in a}) == 4
    for p in a:  # every county shares a border (kilometres long) with another, and overlaps none
        assert max(shapely.intersection(p.outline, q.outline).length for q in a if q is not p) > 1000
    assert max(shapely.intersection(p.outline, q.outline).area for i, p in enumerate(a) for q in a[i + 1:]) < 1.0
    assert plan_province(4, villages=8, seed=4)[0].folder != a[0].folder or \
        not plan_province(4, villages=8, seed=4)[0].outline.equals(a[0].outline)


def test_county_commands_import_nothing_of_dask():
    code = ("import sys, risk_one_map.cli as c; c.build_parser(); "
            "import risk_one_map.jobs.exposure, risk_one_map.jobs.evacuation, risk_one_map.jobs.siting, "
            "risk_one_map.jobs.province, risk_one_map.jobs.province_rollup; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'bokeh')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    from risk_one_map.sample.province import build_sample_province
    root = tmp_path_factory.mktemp("province") / "prov"
    build_sample_province(root, counties=3, villages=8, seed=11, big_every=3)
    return root


@pytest.fixture(scope="module")
def client(province):
    from risk_one_map.jobs.province import open_client
    old = os.environ.get("RISK_ONE_MAP_BAND_MB")
    os.environ["RISK_ONE_MAP_BAND_MB"] = BAND_MB  # the workers start with it
    c = open_client(workers=2)
    yield c
    c.close()
    c.cluster.close()
    if old is None:
        os.environ.pop("RISK_ONE_MAP_BAND_MB", None)
    else:
        os.environ["RISK_ONE_MAP_BAND_MB"] = old


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _untimed(value):
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k != "package" and not k.endswith("seconds")}
    return value


def _siting(pkg):
    """depot_siting.json less its timings and the package's path."""
    return _untimed(json.loads((pkg / "depot_siting.json").read_text(encoding="utf-8")))


def test_province_on_two_workers_equals_the_county_commands(province, client, tmp_path):
    from risk_one_map.analysis.exposure_windows import count_windows
    from risk_one_map.cli import main
    from risk_one_map.jobs.exposure import read_inputs
    from risk_one_map.jobs.province import find_counties, run_province
    from risk_one_map.jobs.province_exposure import preparations
    from risk_one_map.jobs.province_rollup import PDF_NAME, XLSX_NAME, write_rollups
    on_dask, by_hand = _copy(province, tmp_path / "dask"), _copy(province, tmp_path / "hand")
    lines = []
    result = run_province(on_dask, client=client, say=lines.append)
    assert len(client.scheduler_info()["workers"]) == 2
    assert not result.failed and all(c.done == ["exposure", "evacuate", "site-depots"] for c in result.counties)
    assert sum(": done" in line for line in lines) == 3
    big = find_counties(by_hand)[2]
    assert count_windows(**read_inputs(big)) == 7  # the big raster really was split
    # each worker prepared each county once: the windows of the big one and its last task shared it
    made = client.run(preparations)
    assert all(n == 1 for m in made.values() for n in m.values())
    assert sorted({p for m in made.values() for p in m}) == sorted(str(c.resolve()) for c in find_counties(on_dask))
    for pkg in find_counties(by_hand):
        for argv in (["exposure", str(pkg)], ["evacuate", str(pkg)], ["site-depots", str(pkg), "-k", "1"]):
            assert main(argv) == 0
    for a, b in zip(find_counties(on_dask), find_counties(by_hand)):
        for layer in LAYERS:
            pd.testing.assert_frame_equal(pyogrio.read_dataframe(a / "onemap.gpkg", layer=layer),
                                          pyogrio.read_dataframe(b / "onemap.gpkg", layer=layer), check_exact=True)
        for name in ("exposure.csv", "shelter_load.csv", "unserved.csv"):
            assert (a / name).read_bytes() == (b / name).read_bytes(), (a.name, name)
        assert _siting(a) == _siting(b)
    paths = write_rollups(on_dask)
    assert [p.name for p in paths] == [XLSX_NAME, PDF_NAME]
    moves = pd.read_excel(paths[0], sheet_name="转移避险")
    first = find_counties(on_dask)[0]
    evacuees = pyogrio.read_dataframe(first / "onemap.gpkg", layer="evacuees", read_geometry=False)
    assert moves["需转移人数"].iloc[0] == evacuees["people"].sum()
    assert len(pd.read_excel(paths[0], sheet_name="物资储备点")) == 3


def test_a_failing_county_is_reported_the_others_finish_and_a_rerun_skips_them(province, client, tmp_path):
    from risk_one_map.jobs.province import find_counties, run_province
    root = _copy(province, tmp_path / "prov")
    bad = find_counties(root)[1]
    (bad / "population.tif").write_bytes(b"not a raster")
    lines = []
    result = run_province(root, steps=["exposure"], client=client, say=lines.append)
    failed = [c for c in result.counties if c.failed]
    assert [c.folder for c in failed] == [bad]
    assert failed[0].failed.startswith("exposure: ") and "population.tif" in failed[0].failed
    assert "\n" not in failed[0].failed
    assert sum(c.done == ["exposure"] for c in result.counties) == 2
    assert any("FAILED" in line and bad.name in line for line in lines)
    again = run_province(root, steps=["exposure"], client=client, say=lines.append)
    assert sorted(c.skipped == ["exposure"] for c in again.counties) == [False, True, True]
    assert [c.folder for c in again.failed] == [bad]


def _report_can_fork(queue):
    from risk_one_map.analysis.parallel import can_fork
    queue.put(can_fork())


def test_a_daemon_process_such_as_a_dask_worker_runs_the_searches_in_turn():
    """A Dask worker is a daemon: forking its searches failed (AssertionError: daemonic processes are not allowed to
    have children) on the first county big enough to fork; now they run in turn there, with the same results."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_report_can_fork, args=(queue,), daemon=True)
    child.start()
    assert queue.get(timeout=60) is False
    child.join()


def test_county_sizes_order_the_queue_and_split_a_big_atlas_by_township(province, tmp_path):
    import rasterio
    from risk_one_map.jobs.province import find_counties
    from risk_one_map.jobs.province_plan import CountySize, county_size
    sizes = [county_size(c) for c in find_counties(province)]
    for county, size in zip(find_counties(province), sizes):
        villages = pyogrio.read_dataframe(county / "onemap.gpkg", layer="villages", read_geometry=False)
        with rasterio.open(county / "population.tif") as ds:
            assert (size.villages, size.cells) == (len(villages), ds.width * ds.height)
        assert size.townships == villages["parent_code"].value_counts().to_dict()
    # the 10 m raster's county has the most exposure work: it is sent first; the atlas follows the villages only
    assert max(sizes, key=lambda s: s.cost("exposure")) is sizes[2]
    assert CountySize(20, 10**7, {}).cost("atlas") == CountySize(20, 0, {}).cost("atlas")
    big = CountySize(45, 0, {"t2": 30, "t1": 15})
    assert big.atlas_parts() == ["t1", "t2"] and sizes[0].atlas_parts() == [None]
    assert big.cost("atlas", "t2") == 2 * big.cost("atlas", "t1")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "onemap.gpkg").write_bytes(b"not a geopackage")  # fails in its own task, not in the driver
    assert county_size(broken) == CountySize(0, 0, {})
