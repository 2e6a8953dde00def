"""The DEM low points' compiled passes (numba, analysis/flow_kernels.py) and the numpy passes they stand for give the
same answer to the last bit: on random DEMs with nodata holes, flats and ties, and on every known-answer DEM of
test_depressions.py, which runs again here on the path the default run did not take."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from risk_one_map.analysis import depressions as dp
from risk_one_map.analysis import flow_kernels
from tests.pure import test_depressions as known

GRIDS = ("filled", "labels", "catchments", "pond_catchments", "pond_regions", "dem", "valid", "pond_cell_counts")
STAGES = ("own_z", "own_start", "own_csum", "own_vol", "region_n", "region_z")  # the ponds' stage-volume curves
# The known-answer tests on DEMs the tests build (the job's tests read packages and take the same functions).
KNOWN = [name for name in dir(known) if name.startswith("test_") and not any(
    word in name for word in ("job", "cli", "sheet", "land_use", "exposure", "sample"))]


def _find(dem, compiled: bool, monkeypatch, **kw):
    monkeypatch.setattr(flow_kernels, "ENABLED", compiled)
    return dp.find_depressions(dem, cell_size=(10.0, 10.0), **{**known.NONE, **kw})


def _random_dem(seed: int, shape=(41, 57)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dem = np.round(rng.random(shape) * 12, 1)  # ties on purpose
    dem += np.linspace(0, 3, shape[1])
    dem[rng.random(shape) < 0.06] = np.nan  # nodata holes
    r, c = rng.integers(0, shape[0] - 10), rng.integers(0, shape[1] - 12)
    dem[r:r + 8, c:c + 10] = np.round(rng.random() * 10, 1)  # a flat
    return dem


def test_numba_is_used_where_it_is_installed():
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed: the numpy passes run")
    assert flow_kernels.ENABLED
    assert "risk_one_map" in flow_kernels.numba.config.CACHE_DIR  # the user's cache folder, not the plugin's


def test_numba_can_be_turned_off():
    code = "from risk_one_map.analysis import flow_kernels as k; print(k.ENABLED)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"RISK_ONE_MAP_NUMBA": "0", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


@pytest.mark.parametrize("seed", range(8))
def test_compiled_and_numpy_paths_give_the_same_depressions(seed, monkeypatch):
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    dem = _random_dem(seed)
    a, b = _find(dem, True, monkeypatch), _find(dem, False, monkeypatch)
    for name in GRIDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    for name in STAGES:
        np.testing.assert_array_equal(getattr(a.ponds, name), getattr(b.ponds, name), err_msg=name)
    assert len(a.table) > 5 and len(a.nested) > 0
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    pd.testing.assert_frame_equal(a.nested, b.nested, check_exact=True)
    for rain in (20, 300):
        pd.testing.assert_frame_equal(dp.rain_event(a, rain).table, dp.rain_event(b, rain).table, check_exact=True)


@pytest.mark.parametrize("seed", range(6))
def test_compiled_and_numpy_basin_trees_are_equal(seed, monkeypatch):
    """The spill tree's every array (the compiled lowest boundary pair per basin pair against the numpy passes'
    sort of every boundary pair), on DEMs with many equal heights (whole metres), so that ties decide."""
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    from risk_one_map.analysis import basins
    dem = np.round(_random_dem(300 + seed, shape=(53, 47)))
    valid = np.isfinite(dem)
    trees = []
    for compiled in (True, False):
        monkeypatch.setattr(flow_kernels, "ENABLED", compiled)
        recv = basins.steepest_receiver(dem, valid, 10.0, 10.0)
        trees.append(basins.basin_tree(np.where(valid, dem, 0).ravel(), valid, recv))
    for name in ("basin", "pit", "parent", "saddle", "beyond", "passes", "depth", "weight"):
        np.testing.assert_array_equal(getattr(trees[0], name), getattr(trees[1], name), err_msg=name)
    assert (trees[0].parent >= 0).sum() > 20  # a tree with some depth, not only basins draining out


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_a_flat_bottom_s_deepest_cell_is_its_first_in_row_order(compiled, monkeypatch):
    """Among equally low cells the deepest point is the first in row order, on either path (it was whichever an
    unstable sort of every flooded cell by height put first)."""
    if compiled and importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    dem = np.full((8, 9), 5.0)
    dem[2:6, 3:7] = 2.0
    dem[2, 3] = dem[5, 6] = 1.5  # two equally low cells: (2, 3) comes first in row order
    dem[4, 4] = 1.5
    row = _find(dem, compiled, monkeypatch).table.iloc[0]
    assert (row.deepest_row, row.deepest_col, row.bottom_elev_m) == (2, 3, 1.5)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("seed", range(4))
def test_both_fills_equal_the_heap_priority_flood_and_scikit_image(seed, compiled, monkeypatch):
    if compiled and importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(flow_kernels, "ENABLED", compiled)
    dem = _random_dem(100 + seed)
    valid = np.isfinite(dem)
    filled = dp.fill(dem)
    np.testing.assert_array_equal(filled[valid], known.heap_priority_flood(np.where(valid, dem, 0), valid)[valid])
    morphology = pytest.importorskip("skimage.morphology")
    full = _random_dem(200 + seed)[:, :30]  # scikit-image knows no nodata: the holes filled with a 7 m ridge
    full = np.where(np.isfinite(full), full, 7.0)
    seed_grid = full.copy()
    seed_grid[1:-1, 1:-1] = full.max()
    ref = morphology.reconstruction(seed_grid, full, method="erosion", footprint=np.ones((3, 3)))
    np.testing.assert_array_equal(dp.fill(full), ref)


@pytest.mark.parametrize("name", KNOWN)
def test_known_answers_on_the_other_path(name, monkeypatch, request):
    """Each known-answer test of test_depressions.py, on the path the default run did not take."""
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed: the default run took the numpy path already")
    monkeypatch.setattr(flow_kernels, "ENABLED", False)
    test = getattr(known, name)
    marks = getattr(test, "pytestmark", [])
    seeds = [m.args[1] for m in marks if m.name == "parametrize"]
    for args in ([(s,) for s in seeds[0]] if seeds else [()]):
        test(*args)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_a_float32_dem_gives_what_its_float64_copy_gives(compiled, monkeypatch):
    """A float32 DEM is worked on in float32 (half the memory) with every sum and difference in float64."""
    if compiled and importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    dem32 = (_random_dem(7) * 1.37).astype(np.float32)  # values with float32 rounding in them
    a, b = _find(dem32, compiled, monkeypatch), _find(dem32.astype(np.float64), compiled, monkeypatch)
    assert a.dem.dtype == a.filled.dtype == np.float32
    for name in GRIDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in STAGES:
        np.testing.assert_array_equal(getattr(a.ponds, name), getattr(b.ponds, name), err_msg=name)
    assert len(a.nested) > 0
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    pd.testing.assert_frame_equal(a.nested, b.nested, check_exact=True)
    for rain in (20, 300):
        ea, eb = dp.rain_event(a, rain), dp.rain_event(b, rain)
        pd.testing.assert_frame_equal(ea.table, eb.table, check_exact=True)
        pd.testing.assert_frame_equal(ea.nested, eb.nested, check_exact=True)
        np.testing.assert_array_equal(dp.wet_cells(a, ea), dp.wet_cells(b, eb))


def test_the_sheets_and_the_styles_load_without_numba():
    """numba (and its LLVM) loads only when low points are computed: not when the plugin's styles load, nor in a
    print process, which reads only the low points' layer name from the model."""
    code = ("import sys; import risk_one_map.atlas.export, risk_one_map.atlas.sheet_data, "
            "risk_one_map.qgis_glue.style_results; print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "False"


def test_the_compiled_rain_finds_the_levels_of_the_stage_volume_curve_it_does_not_hold(monkeypatch):
    """The compiled rain computes the stage-volume points its binary search visits instead of holding the curve:
    the same levels as numpy's searchsorted over the whole curve, also for water exactly at a point of it (a cell's
    height reached), a hair either side of one, none and more than the pond holds."""
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    from risk_one_map.analysis import fill_spill
    ponds = _find(np.round(_random_dem(11), 0), True, monkeypatch).ponds
    vol = ponds.own_vol  # the curve, made on the side for the comparison
    rows, water = [], []
    for r in range(len(ponds.own_start) - 1):
        s, e = int(ponds.own_start[r]), int(ponds.own_start[r + 1])
        for w in np.r_[0.0, vol[s:e], vol[s:e] * (1 + 1e-12), np.nextafter(vol[s:e], 0), vol[e - 1] * 2]:
            rows.append(r)
            water.append(w)
    rows, water = np.array(rows), np.array(water)
    assert len(rows) > 200
    compiled = fill_spill._own_levels(ponds, rows, water)
    monkeypatch.setattr(flow_kernels, "ENABLED", False)
    np.testing.assert_array_equal(compiled, fill_spill._own_levels(ponds, rows, water))
