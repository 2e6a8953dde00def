"""DEM low points on DEMs small enough to read: 10 m cells (100 m² each), elevations in metres, rows north to south."""
from __future__ import annotations

import heapq

import numpy as np
import pandas as pd
import pytest

from risk_one_map.analysis.depressions import fill, find_depressions, outlet_cells, rain_event
from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers import model

CELL = (10.0, 10.0)
NONE = dict(min_depth_m=0, min_area_m2=0, min_cells=1)  # list every depression


def dep(dem, **kw):
    return find_depressions(np.asarray(dem, float), cell_size=CELL, **{**NONE, **kw})


def heap_priority_flood(dem, valid):
    """Independent reference: Barnes et al. (2014) priority-flood with a heap, edge and nodata-side cells first."""
    rows, cols = dem.shape
    out = dem.copy()
    done = ~valid.copy()
    heap = []
    for r, c in zip(*np.nonzero(outlet_cells(valid))):
        heapq.heappush(heap, (dem[r, c], r, c))
        done[r, c] = True
    while heap:
        z, r, c = heapq.heappop(heap)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if 0 <= rr < rows and 0 <= cc < cols and not done[rr, cc]:
                    done[rr, cc] = True
                    out[rr, cc] = max(dem[rr, cc], z)
                    heapq.heappush(heap, (out[rr, cc], rr, cc))
    return out


# A bowl: rim at 10, a notch at 9 on the east side draining to the edge at 8; inside 7 and a 6 m centre.
BOWL = np.array([
    [10, 10, 10, 10, 10, 10, 10],
    [10, 10, 10, 10, 10, 10, 10],
    [10, 10, 7, 7, 7, 10, 10],
    [10, 10, 7, 6, 7, 9, 8],
    [10, 10, 7, 7, 7, 10, 10],
    [10, 10, 10, 10, 10, 10, 10],
    [10, 10, 10, 10, 10, 10, 10]], float)

# Two bowls in a trough walled at 20: A (columns 1-2, bottom 5) spills over a 12 m saddle into B (columns 4-5, bottom
# 3), which spills over an 8 m saddle out of the east edge (1 m).
PROFILE = [20, 5, 5, 12, 3, 3, 8, 1]
CHAIN = np.full((5, 8), 20.0)
CHAIN[1:4, :] = PROFILE


def test_bowl_depth_volume_spill():
    d = dep(BOWL)
    assert len(d.table) == 1
    row = d.table.iloc[0]
    assert row["spill_elev_m"] == 9 and row["max_depth_m"] == 3 and row["bottom_elev_m"] == 6
    assert row["cells"] == 9 and row["area_m2"] == 900
    assert row["volume_m3"] == pytest.approx((8 * 2 + 3) * 100)
    assert (row["spill_row"], row["spill_col"]) == (3, 5)  # the notch
    assert (row["deepest_row"], row["deepest_col"]) == (3, 3)
    assert row["downstream"] == 0  # spills out of the county
    np.testing.assert_array_equal(d.filled[2:5, 2:5], 9)
    # The rim drains inwards: every cell whose steepest way down leads into the bowl is its catchment.
    assert d.catchments[1, 1] == 1 and d.catchments[3, 6] == 0


def test_two_bowls_spill_in_order():
    d = dep(CHAIN)
    a, b = d.table.iloc[0], d.table.iloc[1]
    assert (a["spill_elev_m"], a["max_depth_m"], a["volume_m3"]) == (12, 7, 6 * 7 * 100)
    assert (b["spill_elev_m"], b["max_depth_m"], b["volume_m3"]) == (8, 5, 6 * 5 * 100)
    assert a["downstream"] == b["id"] and b["downstream"] == 0
    assert (a["spill_row"], a["spill_col"])[1] == 3 and b["spill_col"] == 6
    np.testing.assert_array_equal(d.catchments[:, :3], a["id"])
    np.testing.assert_array_equal(d.catchments[:, 3:6], b["id"])
    np.testing.assert_array_equal(d.catchments[:, 6:], 0)
    assert a["catchment_m2"] == 15 * 100 and b["catchment_m2"] == 15 * 100

    # 3 m of effective rain: A receives 4500 m³ > 4200 and spills 300 m³ into B (4500 + 300 > 3000: B spills too).
    ev = rain_event(d, 3000, runoff_coefficient=1.0)
    ta, tb = ev.table.iloc[0], ev.table.iloc[1]
    assert ta["spills"] and ta["spilled_m3"] == pytest.approx(300)
    assert tb["inflow_m3"] == pytest.approx(4500 + 300) and tb["spilled_m3"] == pytest.approx(1800)
    assert ta["fill_share"] == 1 and ta["water_depth_m"] == 7 and ta["flooded_m2"] == 600
    assert ev.left_m3 == pytest.approx(1800 + 3 * 10 * 100)  # B's spill + rain on the 10 east cells
    assert ev.balance_error_m3 == pytest.approx(0, abs=1e-9 * ev.rain_m3)

    # 100 mm at 0.6: 90 m³ each, nothing spills; 90 m³ over 6 cells of 100 m² stands 0.15 m deep.
    ev = rain_event(d, 100, runoff_coefficient=0.6)
    assert not ev.table["spills"].any()
    np.testing.assert_allclose(ev.table["water_depth_m"], 0.15)
    np.testing.assert_allclose(ev.table["fill_share"], [90 / 4200, 90 / 3000])


def test_a_chain_of_three_fills_in_order():
    dem = np.full((5, 11), 20.0)
    dem[1:4, :] = [20, 5, 5, 12, 3, 3, 8, 2, 2, 6, 1]  # A -> B -> C -> out of the east edge
    d = dep(dem)
    a, b, c = (d.table.iloc[i] for i in range(3))
    assert (a["downstream"], b["downstream"], c["downstream"]) == (b["id"], c["id"], 0)
    volumes = [6 * 7 * 100, 6 * 5 * 100, 6 * 4 * 100]
    assert d.table["volume_m3"].tolist() == volumes
    # Each catchment is 15 cells (1500 m²). A fills at 4200 / 1500 = 2.8 m of runoff; with 3 m it spills 300 m³
    # into B, which then holds 4500 + 300 > 3000 and spills 1800 m³ into C: 4500 + 1800 > 2400, C spills 3900.
    ev = rain_event(d, 3000, runoff_coefficient=1.0)
    assert ev.table["spilled_m3"].tolist() == pytest.approx([300, 1800, 3900])
    assert ev.stored_m3 == pytest.approx(sum(volumes))
    # 1.5 m: 2250 m³ each, less than the smallest (C, 2400): nothing spills; what leaves fell on the east columns.
    ev = rain_event(d, 1500, runoff_coefficient=1.0)
    assert not ev.table["spills"].any() and ev.left_m3 == pytest.approx(1.5 * 10 * 100)


def test_a_bowl_cut_by_the_raster_edge_drains_out():
    assert len(dep(BOWL[:, 3:]).table) == 0  # the bowl's west half is gone: its centre is on the edge


def test_partly_filled_bowl_stands_level_over_its_lowest_cells():
    d = dep(BOWL)
    # 50 m³ in the bowl: the 6 m centre holds 100 m³ up to 7 m, so the water stands 0.5 m over the centre only.
    ev = rain_event(d, 50_000 / (d.table["catchment_m2"].iloc[0]), runoff_coefficient=1.0)
    row = ev.table.iloc[0]
    assert row["stored_m3"] == pytest.approx(50) and row["water_depth_m"] == pytest.approx(0.5)
    assert row["flooded_m2"] == 100 and not row["spills"]
    # 500 m³: centre to 7 m (100 m³) then 400 m³ over 9 cells, 4/9 m more.
    ev = rain_event(d, 500_000 / (d.table["catchment_m2"].iloc[0]), runoff_coefficient=1.0)
    row = ev.table.iloc[0]
    assert row["water_depth_m"] == pytest.approx(1 + 4 / 9) and row["flooded_m2"] == 900


def test_nested_bowl_is_one_top_level_depression_holding_the_shallower_pond():
    dem = np.full((9, 9), 10.0)
    dem[1:8, 1:8] = 6.0  # a wide basin at 6 ...
    dem[2:4, 2:4] = 4.0  # ... holding a deep pit
    dem[5:7, 5:7] = 5.0  # ... and a shallower one
    d = dep(dem)
    assert len(d.table) == 1
    row = d.table.iloc[0]
    assert row["spill_elev_m"] == 10 and row["max_depth_m"] == 6 and row["cells"] == 49
    assert row["volume_m3"] == pytest.approx((41 * 4 + 4 * 6 + 4 * 5) * 100)
    # The deep pit goes on as the basin itself; the shallower pond joins it at 6 m and is kept as nested in it.
    d = find_depressions(dem, cell_size=CELL)  # the default filters: 0.3 m, 200 m², 2 cells
    nested = d.nested
    assert len(nested) == 1
    pond = nested.iloc[0]
    assert (pond["parent"], pond["level"], pond["spill_elev_m"], pond["bottom_elev_m"]) == (1, 1, 6, 5)
    assert (pond["cells"], pond["volume_m3"], pond["deepest_row"]) == (4, 400, 5)
    # Water standing at 7 m (< 10 m) over the basin: the shallower pond (spilling at 6 m) is under water.
    ev = rain_event(d, 1000 * (4 * 3 + 4 * 2 + 41 * 1) * 100 / row["catchment_m2"], runoff_coefficient=1.0)
    assert ev.table["water_depth_m"].iloc[0] == pytest.approx(3)
    assert ev.nested["spills"].tolist() == [True] and ev.nested["fill_share"].tolist() == [1]


def test_nested_two_levels():
    dem = np.full((12, 12), 10.0)
    dem[1:11, 1:11] = 8.0  # the basin, spilling at 10
    dem[2:6, 2:6] = 6.0  # pond P1 ...
    dem[2, 2:4] = 3.0  # ... with the deepest pit of all
    dem[5, 4:6] = 4.5  # ... and a second pit, joining it at 6
    dem[7:10, 7:10] = 5.0  # pond P2, joining P1 at 8 ...
    dem[7, 7:9] = 4.0  # ... with its own two pits,
    dem[9, 8:10] = 4.2  # joining at 5
    d = dep(dem, min_depth_m=0.3, min_area_m2=200, min_cells=2)
    assert len(d.table) == 1
    n = d.nested.set_index("bottom_elev_m")
    assert sorted(n.index) == [4.0, 4.2, 4.5]
    p2, pit42, pit45 = n.loc[4.0], n.loc[4.2], n.loc[4.5]
    assert (p2["parent"], p2["level"], p2["spill_elev_m"], p2["cells"]) == (1, 1, 8, 9)
    assert p2["volume_m3"] == pytest.approx((2 * 4 + 2 * 3.8 + 5 * 3) * 100)
    assert (pit42["parent"], pit42["level"], pit42["spill_elev_m"], pit42["cells"]) == (p2["id"], 2, 5, 2)
    assert pit42["volume_m3"] == pytest.approx(2 * 0.8 * 100)
    assert (pit45["parent"], pit45["level"], pit45["spill_elev_m"]) == (1, 1, 6)


# Two nested bowls in one basin (a trough walled at 20): the deep pond P (columns 1-2, bottom 1) and the shallow
# pond Q (columns 4-5, bottom 5) meet over an 8 m saddle (column 3, draining into P); together they spill over a
# 12 m rim (column 6) out of the east edge. P drains columns 0-3 (20 cells, 2000 m²), Q columns 4-5 (1000 m²).
NESTED = np.full((5, 8), 20.0)
NESTED[1:4, :] = [20, 1, 1, 8, 5, 5, 12, 1]


def _rows(ev, d):
    """The basin's row and the shallow pond's row of one rain."""
    return ev.table.iloc[0], ev.nested.set_index("id").loc[d.nested["id"].iloc[0]]


def test_two_nested_bowls_fill_spill_and_merge_at_known_rain():
    d = dep(NESTED)
    assert len(d.table) == 1 and len(d.nested) == 1
    basin, q = d.table.iloc[0], d.nested.iloc[0]
    assert basin["volume_m3"] == (6 * 11 + 3 * 4 + 6 * 7) * 100 and basin["spill_elev_m"] == 12
    assert (q["spill_elev_m"], q["bottom_elev_m"], q["volume_m3"]) == (8, 5, 1800)
    np.testing.assert_array_equal(d.pond_catchments[:, :4], basin["id"])
    np.testing.assert_array_equal(d.pond_catchments[:, 4:6], q["id"])
    # 1 m of runoff: each pond holds its own. P 2000 m³ over 6 cells: 3.33 m; Q 1000 m³: 1.67 m.
    top, pond = _rows(rain_event(d, 1000, runoff_coefficient=1.0), d)
    assert top["water_depth_m"] == pytest.approx(2000 / 600) and pond["water_depth_m"] == pytest.approx(1000 / 600)
    assert not pond["spills"] and pond["fill_share"] == pytest.approx(1000 / 1800) and top["flooded_m2"] == 1200
    # Q is full at 1.8 m; at 1.9 m it passes 100 m³ over the saddle into P: 3900 m³ stand 6.5 m deep in P.
    top, pond = _rows(rain_event(d, 1900, runoff_coefficient=1.0), d)
    assert pond["spills"] and pond["spilled_m3"] == pytest.approx(100) and pond["fill_share"] == pytest.approx(1)
    assert top["water_depth_m"] == pytest.approx(6.5) and top["stored_m3"] == pytest.approx(5700)
    # 3 m: 9000 m³ > 4200 + 1800, so both are full and one pool stands 2 m over the saddle on 15 cells (10 m).
    ev = rain_event(d, 3000, runoff_coefficient=1.0)
    top, pond = _rows(ev, d)
    assert top["water_depth_m"] == pytest.approx(9) and pond["water_depth_m"] == pytest.approx(5)
    assert top["flooded_m2"] == 1500 and not top["spills"] and ev.left_m3 == pytest.approx(3 * 10 * 100)
    # 5 m: 15000 m³ > 12000: the basin spills 3000 m³ out of the county.
    ev = rain_event(d, 5000, runoff_coefficient=1.0)
    top, _ = _rows(ev, d)
    assert top["spills"] and top["spilled_m3"] == pytest.approx(3000) and top["water_depth_m"] == pytest.approx(11)
    assert ev.balance_error_m3 == pytest.approx(0, abs=1e-9 * ev.rain_m3)


def test_the_deep_pond_overflows_into_the_shallow_one_where_its_saddle_drains():
    d = dep(NESTED)
    runoff = np.ones(NESTED.shape)
    runoff[:, 4:6] = 0.2  # Q's side is green (200 m² of runoff), P's paved
    # 2.2 m: P gets 4400 m³ > 4200 and passes 200 m³ into Q, which holds 440 + 200 = 640 m³, 1.07 m deep.
    top, pond = _rows(rain_event(d, 2200, runoff_coefficient=runoff), d)
    assert top["water_depth_m"] == pytest.approx(7) and not top["spills"]
    assert pond["stored_m3"] == pytest.approx(640) and pond["water_depth_m"] == pytest.approx(640 / 600)
    assert not pond["spills"]


def test_a_chain_of_three_nested_ponds_spills_at_known_rain():
    # In one basin (rim 12 m, column 9): A (bottom 6) spills over 9 m into B (bottom 3), which spills over 7 m into
    # C (bottom 1, the deepest). Each drains 15 cells (1500 m²); A holds 1800 m³, B 2400, C 3600 below 7 m.
    dem = np.full((5, 11), 20.0)
    dem[1:4, :] = [20, 6, 6, 9, 3, 3, 7, 1, 1, 12, 0]
    d = dep(dem)
    assert len(d.table) == 1 and len(d.nested) == 2
    a, b = (d.nested.set_index("bottom_elev_m").loc[z, "id"] for z in (6, 3))
    # A fills at 1.2 m of runoff; B, with A's overflow, at 1.4 m (1500 d + 1500 d - 1800 = 2400).
    for rain, spilling in ((1150, set()), (1300, {a}), (1500, {a, b})):
        ev = rain_event(d, rain, runoff_coefficient=1.0)
        assert set(ev.nested.loc[ev.nested["spills"], "id"]) == spilling, rain
    ev = rain_event(d, 1500, runoff_coefficient=1.0)
    n = ev.nested.set_index("id")
    assert n.loc[a, "spilled_m3"] == pytest.approx(450) and n.loc[b, "spilled_m3"] == pytest.approx(300)
    assert ev.table["water_depth_m"].iloc[0] == pytest.approx(2550 / 600)  # C: 2250 + 300 m³ over 6 cells
    # 2 m: C and B both full hold 6000 of the 7200 m³ below A; 1200 m³ stand 0.8 m over 15 cells (7.8 m).
    ev = rain_event(d, 2000, runoff_coefficient=1.0)
    assert ev.table["water_depth_m"].iloc[0] == pytest.approx(6.8) and ev.stored_m3 == pytest.approx(9000)
    assert ev.nested.set_index("id").loc[a, "water_depth_m"] == pytest.approx(3)


def test_nodata_is_an_outlet():
    dem = BOWL.copy()
    dem[3, 3] = np.nan  # the bowl's bottom is missing: the water leaves through the hole
    d = dep(dem)
    assert len(d.table) == 0
    assert d.labels[3, 3] == -1 and d.catchments[3, 3] == -1
    # A hole outside the bowl does not change it.
    dem = np.pad(BOWL, ((0, 0), (0, 3)), constant_values=10.0)
    dem[0, 8] = np.nan
    assert len(dep(dem).table) == 1


def test_flats_drain_without_depressions():
    dem = np.full((6, 6), 5.0)
    d = dep(dem)
    assert len(d.table) == 0 and (d.catchments == 0).all()
    dem = np.full((6, 6), 10.0)
    dem[1:5, 1:5] = 5.0  # a flat-bottomed pond
    d = dep(dem)
    assert len(d.table) == 1 and d.table["volume_m3"].iloc[0] == 16 * 5 * 100
    assert (d.catchments[1:5, 1:5] == 1).all()


def test_filters_use_the_labelled_defaults():
    dem = np.full((8, 8), 10.0)
    dem[2, 2] = 9.0  # a one-cell pit 1 m deep
    dem[5, 4:6] = 9.9  # two cells only 0.1 m deep
    d = find_depressions(dem, cell_size=CELL)
    assert d.filters == {"min_depth_m": 0.3, "min_area_m2": 200.0, "min_cells": 2}
    assert model.DEFAULTS["lowpoint_min_depth_m"].source == "default"
    assert len(d.table) == 2 and len(d.significant) == 0
    d = find_depressions(dem, cell_size=CELL, min_depth_m=0.05)
    assert d.significant["cells"].tolist() == [2]


@pytest.mark.parametrize("seed", range(6))
def test_fill_matches_a_heap_priority_flood(seed):
    rng = np.random.default_rng(seed)
    dem = np.round(rng.random((23, 31)) * 20, 1)  # ties on purpose
    valid = rng.random(dem.shape) > 0.1
    expected = heap_priority_flood(dem, valid)
    np.testing.assert_array_equal(fill(np.where(valid, dem, np.nan))[valid], expected[valid])


def test_fill_matches_morphological_reconstruction():
    morphology = pytest.importorskip("skimage.morphology")
    rng = np.random.default_rng(3)
    dem = rng.random((40, 40)) * 10
    seed = dem.copy()
    seed[1:-1, 1:-1] = dem.max()
    ref = morphology.reconstruction(seed, dem, method="erosion", footprint=np.ones((3, 3)))
    np.testing.assert_allclose(fill(dem), ref)


@pytest.mark.parametrize("seed", range(4))
def test_rain_is_mass_conserving(seed):
    rng = np.random.default_rng(seed)
    dem = rng.random((40, 50)) * 5 + np.linspace(0, 3, 50)
    dem[rng.random(dem.shape) < 0.03] = np.nan
    d = dep(dem)
    spilling = d.table[d.table["downstream"] > 0]
    assert len(d.table) > 10 and len(spilling) > 0
    # Spilling goes downhill: a depression never spills into one with a higher water level.
    levels = d.table.set_index("id")["spill_elev_m"]
    assert (levels[spilling["downstream"]].to_numpy() <= spilling["spill_elev_m"].to_numpy()).all()
    for rain in (0, 20, 100, 1000, 100_000):
        ev = rain_event(d, rain, runoff_coefficient=0.8)
        assert abs(ev.balance_error_m3) <= 1e-9 * max(ev.rain_m3, 1)
        assert (ev.table["stored_m3"] <= d.table["volume_m3"] * (1 + 1e-12)).all()
        assert ((ev.table["spilled_m3"] > 0) <= (ev.table["fill_share"] >= 1 - 1e-12)).all()
        # Nested ponds hold no more than their volume, and a depression at least what its ponds hold.
        nest = ev.nested.assign(depression=d.nested["depression"].to_numpy(), level=d.nested["level"].to_numpy())
        assert (nest["stored_m3"] <= d.nested["volume_m3"].to_numpy() * (1 + 1e-9) + 1e-9).all()
        first = nest[nest["level"] == 1].groupby("depression")["stored_m3"].sum()
        held = ev.table.set_index("id")["stored_m3"]
        assert (held.loc[first.index] >= first * (1 - 1e-9) - 1e-9).all()
        # A pond that passes water on is full; no pool stands above its depression's rim, and a nested pond's
        # pool stands above its own saddle only when its parent's pool covers it (one level over both).
        assert (ev.nested["spills"] <= (ev.nested["fill_share"] >= 1 - 1e-9)).all()
        rim = d.table.set_index("id")["spill_elev_m"]
        level = ev.nested["water_level_m"].to_numpy()
        assert (np.nan_to_num(level, nan=-np.inf) <= rim.loc[d.nested["depression"]].to_numpy() + 1e-9).all()
        parent_level = pd.concat([ev.table, ev.nested]).set_index("id")["water_level_m"].loc[d.nested["parent"]]
        over = level > d.nested["spill_elev_m"].to_numpy() + 1e-9
        np.testing.assert_allclose(level[over], parent_level.to_numpy()[over])
    assert ev.table["spills"].all()  # 100 m of rain fills everything


def test_every_valid_cell_has_one_catchment():
    rng = np.random.default_rng(9)
    dem = rng.random((30, 30)) * 10
    d = dep(dem)
    lab = d.labels > 0
    np.testing.assert_array_equal(d.catchments[lab], d.labels[lab])  # a depression drains to itself
    areas = np.bincount(d.catchments.ravel(), minlength=len(d.table) + 1)[1:] * 100.0
    np.testing.assert_allclose(d.table["catchment_m2"], areas)


def test_bad_input_is_one_clear_line():
    with pytest.raises(RiskOneMapError, match="no valid cell"):
        find_depressions(np.full((3, 3), np.nan))
    with pytest.raises(RiskOneMapError, match="rain"):
        rain_event(dep(BOWL), -5)


# ---------------------------------------------------------------------------------------------------- the job
def _dem_package(tmp_path, land_use=None, land_use_raster=None):
    import geopandas as gpd
    from affine import Affine
    from shapely.geometry import LineString, Point
    from risk_one_map.layers.package import write_package
    from tests.tiny import CRS, X0, Y0, tiny_layers
    dem = np.full((20, 20), 50.0)
    dem[14:17, 2:5] = 45.0  # bowl A in 东一村 (x 200-500 m, y 300-600 m), 5 m deep
    dem[3:6, 14:17] = 48.0  # bowl B in 西二村 (x 1400-1700 m, y 1400-1700 m), 2 m deep
    dem[5, 15:17] = 47.0  # its deepest pond along its south side
    dem[3, 14:16] = 47.5  # and a shallower one along the north side, nested (two cells of 1 ha)
    dem[0, 0] = -9999.0  # nodata corner
    layers = tiny_layers()
    layers["households"] = gpd.GeoDataFrame({"id": ["H1", "H2"], "people": [3, 5]},
                                            geometry=[Point(X0 + 350, Y0 + 450), Point(X0 + 900, Y0 + 900)], crs=CRS)
    layers["roads"] = gpd.GeoDataFrame({"id": ["R1"], "kind": ["village"]},
                                       geometry=[LineString([(X0, Y0 + 1550), (X0 + 2000, Y0 + 1550)])], crs=CRS)
    layers["flood_lowpoints"] = gpd.GeoDataFrame(
        {"id": ["L1"], "name": ["西二村桥下"], "source": ["ledger"]}, geometry=[Point(X0 + 1550, Y0 + 1550)], crs=CRS)
    rasters = {model.DEM_RASTER: (dem, Affine(100, 0, X0, 0, -100, Y0 + 2000), CRS, -9999.0)}
    if land_use is not None:
        layers["land_use"] = land_use
    if land_use_raster is not None:
        rasters["landuse.tif"] = (land_use_raster, Affine(100, 0, X0, 0, -100, Y0 + 2000), CRS, 0)
    return write_package(tmp_path / "pkg", layers, rasters)


def test_job_writes_depressions_and_links_ledger_points(tmp_path):
    import pyogrio
    from risk_one_map.jobs import lowpoints as job
    pkg = _dem_package(tmp_path)
    res = job.run(pkg.path, rains_mm=(100, 2000), runoff_coefficient=1.0, add_lowpoints=True)
    layer = pyogrio.read_dataframe(pkg.gpkg, layer=job.LAYER)
    assert list(layer["id"]) == ["DEM-0001", "DEM-0002", "DEM-0003"]
    a, b, pond = layer.iloc[0], layer.iloc[1], layer.iloc[2]
    assert (b["max_depth_m"], b["area_m2"], b["volume_m3"]) == (5, 90_000, 450_000)  # A lies south: listed second
    assert (a["max_depth_m"], a["volume_m3"]) == (3, 210_000)
    assert (pond["nest_level"], pond["parent_id"], pond["area_m2"], pond["spill_elev_m"]) == (1, "DEM-0001", 20_000, 48)
    assert pond["volume_m3"] == 10_000 and pond["spills_2000mm"] == 1
    assert pond["depth_2000mm"] == 2.5  # under its full parent's pool: 50 m over a 47.5 m bottom
    assert b["households"] == 1 and b["people"] == 3 and b["village_code"] == "110109001201"
    assert b["road_m"] == 0 and a["road_m"] == pytest.approx(300)  # the road along y = 1550 m crosses bowl B (x 1400-1700)
    assert a["ledger_ids"] == "L1" and a["village_code"] == "110109002202"
    assert list(layer.columns[:4]) == ["id", "nest_level", "parent_id", "max_depth_m"]
    assert "spills_2000mm" in layer.columns
    assert layer.geometry.area.tolist() == [90_000, 90_000, 20_000]
    lp = pyogrio.read_dataframe(pkg.gpkg, layer="flood_lowpoints")
    assert sorted(lp["id"]) == ["DEM-0002", "L1"]  # the ledger point in DEM-0001 is linked, not repeated
    new = lp[lp["id"] == "DEM-0002"].iloc[0]
    assert new["source"] == "dem" and new["name"] == "东一村DEM洼地0002" and new["max_depth_m"] == 5
    assert res.summary_lines()[0].startswith("DEM洼地：共找到 2 处封闭洼地")
    for ev in res.events:
        assert abs(ev.balance_error_m3) <= 1e-9 * ev.rain_m3
    job.run(pkg.path, add_lowpoints=True)  # again: the DEM entries are replaced, not added twice
    assert len(pyogrio.read_dataframe(pkg.gpkg, layer="flood_lowpoints")) == 2


def test_exposure_per_rain_counts_what_is_under_water(tmp_path):
    from risk_one_map.jobs import lowpoints as job
    pkg = _dem_package(tmp_path)
    res = job.run(pkg.path, rains_mm=(10, 100), runoff_coefficient=1.0)
    b, a = res.layer.iloc[0], res.layer.iloc[1]
    # 10 mm: bowl B's water stays in its two ponds below 48 m, so the road over B's middle row (48 m) stays dry;
    # 100 mm lifts B's pool over 48 m and the road's 300 m inside B go under. H1 sits in A's 45 m bottom: wet in both.
    assert b["depth_10mm"] < 1 and b["road_m_10mm"] == 0 and b["flooded_m2_10mm"] <= 40_000
    assert b["depth_100mm"] > 1 and b["road_m_100mm"] == pytest.approx(300)
    assert (a["households_10mm"], a["people_10mm"], a["people_100mm"], b["people_100mm"]) == (1, 3, 3, 0)
    lines = "\n".join(res.summary_lines())
    assert "积水范围内：住户 1 户、3 人，道路 0 米；受影响人口最多：DEM-0002（3 人）" in lines
    assert "积水范围内：住户 1 户、3 人，道路 300 米" in lines


def test_cli_lowpoints_and_a_package_without_dem(tmp_path, capsys):
    from risk_one_map.cli import main
    pkg = _dem_package(tmp_path)
    assert main(["lowpoints", str(pkg.path), "--rain", "30,60", "--min-depth", "4"]) == 0
    out = capsys.readouterr().out
    assert "其中 1 处达到筛选标准" in out and "降雨 60 毫米" in out
    (pkg.path / model.DEM_RASTER).unlink()
    before = pkg.gpkg.read_bytes()
    assert main(["lowpoints", str(pkg.path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dem.tif" in err[0]
    assert pkg.gpkg.read_bytes() == before


def test_job_on_the_sample_county(sample_package, tmp_path):
    import shutil
    from risk_one_map.jobs import lowpoints as job
    pkg = shutil.copytree(sample_package.path, tmp_path / "county")
    res = job.run(pkg, add_lowpoints=True)
    assert len(res.layer) > 0 and res.layer["max_depth_m"].min() >= 0.3
    # The sample's ledger low points were pressed into its DEM: each lies in a depression found here.
    assert res.linked_ledger == len(sample_package.read("flood_lowpoints"))


# ------------------------------------------------------------------------------------------- runoff by land use
def test_land_use_classes_and_their_coefficients():
    from risk_one_map.analysis import runoff
    assert runoff.class_of("0101").name == "耕地" and runoff.class_of(101).name == "耕地"
    assert runoff.class_of("林地").coefficient == 0.15 and runoff.class_of(10).name == "交通运输用地"
    assert runoff.class_of("residential").code == "07" and runoff.class_of("星球") is None
    assert {r.source for r in runoff.LAND_USE_RUNOFF} == {"default", runoff.GB50014}


def _halves(codes, field="code"):
    import geopandas as gpd
    from shapely.geometry import box
    from tests.tiny import CRS, X0, Y0
    return gpd.GeoDataFrame({"id": ["W", "E"], field: codes},
                            geometry=[box(X0, Y0, X0 + 1000, Y0 + 2000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 2000)],
                            crs=CRS)


def test_rain_follows_the_land_use_layer(tmp_path):
    from risk_one_map.jobs import lowpoints as job
    pkg = _dem_package(tmp_path, land_use=_halves(["0701", "林地"]))  # west 住宅用地 0.7, east 林地 0.15
    res = job.run(pkg.path, rains_mm=(100,))
    assert res.runoff.source == "land_use" and res.runoff.covered_share == 1
    ev = res.events[0]
    valid = res.depressions.valid
    west = valid[:, :10].sum() * 0.7 + valid[:, 10:].sum() * 0.15  # the nodata corner is on the west side
    assert ev.rain_m3 == pytest.approx(0.1 * 100 * 100 * west)
    assert abs(ev.balance_error_m3) <= 1e-9 * ev.rain_m3
    assert "按土地利用（land_use，覆盖 100%" in "\n".join(res.summary_lines())
    # --runoff overrides the land use everywhere; without land use the labelled default says so.
    assert job.run(pkg.path, rains_mm=(100,), runoff_coefficient=1.0).events[0].runoff_coefficient == 1


def test_rain_follows_a_land_use_raster_and_the_default_where_it_has_none(tmp_path):
    from risk_one_map.jobs import lowpoints as job
    codes = np.full((20, 20), 11, dtype=np.int16)  # water everywhere ...
    codes[:, :5] = 0  # ... but a strip of no data: the default 0.6 there
    res = job.run(_dem_package(tmp_path, land_use_raster=codes).path, rains_mm=(100,))
    assert res.runoff.source == "landuse.tif" and res.runoff.covered_share == pytest.approx(300 / 399)
    assert res.events[0].runoff_coefficient == pytest.approx((300 * 1.0 + 99 * 0.6) / 399)
    assert "其余 25% 按默认值 0.6" in res.runoff_line()


def test_an_unknown_land_use_class_is_one_line_and_nothing_written(tmp_path, capsys):
    from risk_one_map.cli import main
    pkg = _dem_package(tmp_path, land_use=_halves(["0701", "月球"]))
    before = pkg.gpkg.read_bytes()
    assert main(["lowpoints", str(pkg.path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "layer land_use" in err[0] and "feature E" in err[0] and "field code" in err[0]
    assert pkg.gpkg.read_bytes() == before
    pkg = _dem_package(tmp_path / "b", land_use=_halves([0.5, 1.5], field="runoff"))
    assert main(["lowpoints", str(pkg.path)]) == 1
    assert "between 0 and 1" in capsys.readouterr().err


def test_village_sheets_list_the_low_points_that_flood_people(tmp_path):
    from risk_one_map.atlas.sheet_data import build_sheet_data
    from risk_one_map.jobs import lowpoints as job
    pkg = _dem_package(tmp_path)
    job.run(pkg.path, rains_mm=(10, 100), runoff_coefficient=1.0)
    hz = build_sheet_data(pkg.path).hazards
    row = hz[hz["name"] == "DEM洼地0002"].iloc[0]  # bowl A, H1's 3 people in its bottom
    assert (row["village_code"], row["kind"], row["people"], row["households"]) == ("110109001201", "DEM洼地", "3", "1")
    assert row["level"].startswith("积水") and "DEM洼地积水（100毫米降雨）" in build_sheet_data(pkg.path).villages[
        "sources"].iloc[0]
    assert "DEM洼地0001" not in set(hz["name"])  # bowl B floods a road but nobody: not on the sheet by itself
    # Added to flood_lowpoints, the same hollow is one row with the ledger's fields and the DEM's people.
    job.run(pkg.path, rains_mm=(10, 100), runoff_coefficient=1.0, add_lowpoints=True)
    hz = build_sheet_data(pkg.path).hazards
    mine = hz[hz["name"].str.contains("DEM洼地0002")]
    assert len(mine) == 1 and mine["people"].iloc[0] == "3" and mine["kind"].iloc[0] == "低洼易涝点"


def test_low_point_polygons_traced_in_their_window_have_the_whole_grid_s_coordinates():
    """The job traces only the rows and columns holding the wanted depressions, in whole cells, then places the
    vertices with the grid's transform: the same coordinates to the last bit as tracing the whole grid, also with a
    cell size in degrees that is no round number."""
    import shapely
    from affine import Affine
    from rasterio import features
    from risk_one_map.jobs.lowpoints import polygons
    labels = np.zeros((40, 50), np.int32)
    labels[10:14, 20:25] = 3
    labels[30:33, 5:9] = 7
    labels[31, 9] = 7
    labels[2:4, 40:48] = 9  # not asked for
    labels[0, :3] = -1  # nodata
    transform = Affine(0.000277777777, 0, 121.4301, 0, -0.000277777777, 25.1603)
    ids = [7, 3]
    keep = np.isin(labels, ids)
    whole = {int(v): shapely.geometry.shape(g) for g, v in features.shapes(
        np.where(keep, labels, 0), mask=keep, transform=transform, connectivity=8)}
    got = polygons(labels, ids, transform)
    assert [shapely.to_wkb(g) for g in got] == [shapely.to_wkb(whole[i]) for i in ids]
    assert polygons(labels, [], transform) == []


def test_road_cells_cover_both_sides_of_a_road_along_a_cell_edge():
    """The per-rain road lengths trace only ponds with a wet cell near a road: a road along a cell edge must count
    for the cells on both sides of it (it lies on the boundary of either's polygon)."""
    import geopandas as gpd
    import shapely
    from affine import Affine
    from risk_one_map.jobs.lowpoints_exposure import road_cells
    t = Affine(10, 0, 0, 0, -10, 100)  # 10 x 10 cells of 10 m, the top at y = 100
    roads = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 50), (40, 50)])])
    near = road_cells(roads, t, (10, 10), None)
    assert near[4, :4].all() and near[5, :4].all()  # the rows above and below y = 50
    assert not near[8, 8] and not near[0, 9]
    assert not road_cells(None, t, (10, 10), None).any()
