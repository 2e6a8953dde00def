"""Population exposure on cases small enough to check by hand: a 10 x 10 raster of 1 person per 10 m cell, so that
the exact answer for any zone is its area / 100 m²."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
import geopandas as gpd
from affine import Affine
from shapely.geometry import Point, Polygon, box

from risk_one_map.analysis import coverage as cv
from risk_one_map.analysis import coverage_raster  # where column_bands reads its budget
from risk_one_map.analysis.exposure import ROW_COLUMNS, RasterInput, compute_exposure
from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers.package import write_package

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_400_000.0  # bottom-left; the raster's top is Y0 + 100
CELL = 10.0
TRANSFORM = Affine(CELL, 0, X0, 0, -CELL, Y0 + 100)

V1 = box(X0, Y0, X0 + 45, Y0 + 100)  # cut mid-cell at x = 45
V2 = box(X0 + 45, Y0, X0 + 100, Y0 + 100)
TRIANGLE = Polygon([(X0 + 15, Y0 + 15), (X0 + 85, Y0 + 15), (X0 + 15, Y0 + 85)])  # flood level 2
SQUARE = box(X0 + 10, Y0 + 10, X0 + 30, Y0 + 30)  # flood level 1, overlaps the triangle
GEO = box(X0 + 40, Y0 + 40, X0 + 62, Y0 + 61)  # geologic level 3, across the village boundary


def villages(**extra):
    data = {"code": ["110109001201", "110109001202"], "name": ["东一村", "东二村"],
            "parent_code": ["110109001000"] * 2, "population": [45.0, 55.0], "households": [15.0, 22.0],
            "pop_0_14": [9.0, 11.0], "pop_65_plus": [4.5, 5.5], "disabled": [1.0, 2.0]}
    data.update(extra)
    return gpd.GeoDataFrame(data, geometry=[V1, V2], crs=CRS)


def zones():
    return gpd.GeoDataFrame({"id": ["Z1", "Z2", "Z3"], "hazard_type": ["flood", "flood", "geologic"],
                             "risk_level": [2, 1, 3]}, geometry=[TRIANGLE, SQUARE, GEO], crs=CRS)


def ones(nodata=-1.0):
    return RasterInput(np.ones((10, 10), dtype=np.float32), TRANSFORM, CRS, nodata)


def row(result, code, hazard, level):
    r = result.rows
    sel = r[(r.village_code == code) & (r.hazard_type == hazard) & (r.risk_level == level)]
    assert len(sel) <= 1
    return sel.iloc[0] if len(sel) else None


def expected_people(geom):
    return geom.area / (CELL * CELL)


def test_exact_areas_on_a_constant_raster_and_highest_level_wins():
    res = compute_exposure(villages(), zones(), raster=ones())
    assert res.source == "raster"
    flood1 = SQUARE
    flood2 = TRIANGLE.difference(SQUARE)
    for code, v in (("110109001201", V1), ("110109001202", V2)):
        for level, region in ((1, flood1), (2, flood2)):
            want = expected_people(v.intersection(region))
            got = row(res, code, "flood", level)
            if want == 0:
                assert got is None
                continue
            assert got.population == pytest.approx(want, rel=1e-9)
            assert got.area_m2 == pytest.approx(v.intersection(region).area, rel=1e-9)
        geo = row(res, code, "geologic", 3)
        assert geo.population == pytest.approx(expected_people(v.intersection(GEO)), rel=1e-9)
    # the village cut mid-cell holds 4.5 columns of people
    assert res.villages.set_index("code").loc["110109001201", "population_total"] == pytest.approx(45.0, rel=1e-12)


def test_any_rows_count_each_person_once_at_the_highest_level():
    res = compute_exposure(villages(), zones(), raster=ones())
    for code, v in (("110109001201", V1), ("110109001202", V2)):
        l1 = v.intersection(SQUARE)
        l2 = v.intersection(TRIANGLE).difference(SQUARE)
        l3 = v.intersection(GEO).difference(TRIANGLE.union(SQUARE))
        for level, g in ((1, l1), (2, l2), (3, l3)):
            got = row(res, code, "any", level)
            assert (got.population if got is not None else 0.0) == pytest.approx(expected_people(g), rel=1e-9, abs=1e-12)
        vt = res.villages.set_index("code").loc[code]
        union = v.intersection(shapely.union_all([SQUARE, TRIANGLE, GEO]))
        assert vt.exposed_any == pytest.approx(expected_people(union), rel=1e-9)


def test_conservation_per_village():
    res = compute_exposure(villages(), zones(), raster=ones())
    vt = res.villages
    any_rows = res.rows[res.rows.hazard_type == "any"].groupby("village_code")["population"].sum()
    for _, v in vt.iterrows():
        exposed = float(any_rows.get(v.code, 0.0))
        assert abs(exposed + v.unexposed - v.population_total) <= 1e-9 * v.population_total
        assert v.population_total == pytest.approx(v.geometry.area / 100.0, rel=1e-12)


def test_vulnerable_groups_and_households_are_carried_proportionally():
    res = compute_exposure(villages(), zones(), raster=ones())
    r = row(res, "110109001201", "flood", 1)
    share = r.population / 45.0
    assert r.pop_0_14 == pytest.approx(9.0 * share)
    assert r.pop_65_plus == pytest.approx(4.5 * share)
    assert r.disabled == pytest.approx(1.0 * share)
    assert r.households == pytest.approx(15.0 * share)


def test_fast_mode_counts_cells_by_their_centre_and_reports_its_error():
    res = compute_exposure(villages(), zones(), raster=ones(), mode="fast")
    vt = res.villages.set_index("code")
    assert vt.loc["110109001201", "population_total"] == 40.0  # centres at x = 5..35
    assert vt.loc["110109001202", "population_total"] == 60.0
    assert res.fast_error["max_rel_area_error"] == pytest.approx(5 / 45)
    # the 2x2-cell square holds exactly 4 cells
    assert row(res, "110109001201", "flood", 1).population == 4.0


def test_households_fallback():
    hh = gpd.GeoDataFrame({"id": ["h1", "h2", "h3", "h4"], "village_code": ["110109001201"] * 2 + ["110109001202"] * 2,
                           "people": [3, 4, 5, 2]},
                          geometry=[Point(X0 + 20, Y0 + 20), Point(X0 + 20, Y0 + 60), Point(X0 + 50, Y0 + 50),
                                    Point(X0 + 90, Y0 + 90)], crs=CRS)
    res = compute_exposure(villages(), zones(), households=hh)
    assert res.source == "households"
    assert row(res, "110109001201", "flood", 1).population == 3
    assert row(res, "110109001201", "flood", 1).households == 1
    assert row(res, "110109001202", "geologic", 3).population == 5
    assert row(res, "110109001202", "any", 2).population == 5  # flood 2 beats geologic 3
    vt = res.villages.set_index("code")
    assert vt.loc["110109001201", "population_total"] == 7 and vt.loc["110109001202", "unexposed"] == 2


def test_village_table_fallback_is_area_weighted():
    res = compute_exposure(villages(population=[90.0, 110.0]), zones())
    assert res.source == "villages"
    r = row(res, "110109001201", "flood", 1)
    assert r.population == pytest.approx(90.0 * SQUARE.area / V1.area, rel=1e-9)
    assert r.area_m2 == pytest.approx(SQUARE.area, rel=1e-9)


def test_nodata_cells_and_villages_outside_the_raster_are_reported():
    arr = np.ones((10, 10), dtype=np.float32)
    arr[0, 0] = -9999.0
    big = villages()
    big.loc[1, "geometry"] = box(X0 + 45, Y0, X0 + 120, Y0 + 100)  # 20 m beyond the raster
    res = compute_exposure(big, zones(), raster=RasterInput(arr, TRANSFORM, CRS, -9999.0))
    text = " ".join(res.warnings)
    assert "without population data" in text and "nodata" in text
    vt = res.villages.set_index("code")
    assert vt.loc["110109001201", "population_total"] == pytest.approx(44.0)
    assert vt.loc["110109001202", "population_total"] == pytest.approx(55.0)


def test_raster_without_nodata_is_said():
    res = compute_exposure(villages(), zones(), raster=ones(nodata=None))
    assert any("no nodata value" in w for w in res.warnings)


def test_crs_mismatch_reprojects_the_vectors():
    v = villages().to_crs("EPSG:4490")
    z = zones().to_crs("EPSG:4490")
    res = compute_exposure(v, z, raster=ones())
    assert any("reprojected villages" in w and "risk_zones" in w for w in res.warnings)
    assert row(res, "110109001201", "flood", 1).population == pytest.approx(4.0, rel=1e-6)


def test_negative_population_is_an_error_naming_the_file():
    arr = np.ones((10, 10), dtype=np.float32)
    arr[3, 4] = -2.0
    with pytest.raises(RiskOneMapError, match=r"1 negative population cells \(first at row 3, column 4\)") as e:
        compute_exposure(villages(), zones(), raster=RasterInput(arr, TRANSFORM, CRS, -9999.0, "pop.tif"))
    assert "file pop.tif" in str(e.value) and "\n" not in str(e.value)


def test_nan_population_is_an_error():
    arr = np.ones((10, 10), dtype=np.float32)
    arr[1, 1] = np.nan
    with pytest.raises(RiskOneMapError, match="1 NaN population cells"):
        compute_exposure(villages(), zones(), raster=RasterInput(arr, TRANSFORM, CRS, -9999.0))


def test_unknown_hazard_type_names_layer_feature_and_field():
    z = zones()
    z.loc[2, "hazard_type"] = "volcano"
    with pytest.raises(RiskOneMapError) as e:
        compute_exposure(villages(), z, raster=ones())
    msg = str(e.value)
    assert "layer risk_zones" in msg and "feature Z3 (#3)" in msg and "field hazard_type" in msg and "volcano" in msg


def test_unknown_level_names_the_field():
    z = zones()
    z["risk_level"] = z["risk_level"].astype(object)
    z.loc[0, "risk_level"] = 7
    with pytest.raises(RiskOneMapError, match="feature Z1 .*field risk_level"):
        compute_exposure(villages(), z, raster=ones())


def test_zones_outside_every_village_are_reported():
    z = pd.concat([zones(), gpd.GeoDataFrame({"id": ["Z9"], "hazard_type": ["marine"], "risk_level": [1]},
                                             geometry=[box(X0 + 300, Y0, X0 + 400, Y0 + 50)], crs=CRS)],
                  ignore_index=True)
    res = compute_exposure(villages(), z, raster=ones())
    text = " ".join(res.warnings)
    assert "marine level 1: 5,000 m² of zones lie outside every village" in text
    assert "wholly outside every village (Z9" in text


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_narrow_column_bands_give_the_same_numbers(monkeypatch, mode):
    arr = np.random.default_rng(2).random((10, 10)).astype(np.float32)
    raster = RasterInput(arr, TRANSFORM, CRS, -9999.0)
    one = compute_exposure(villages(), zones(), raster=raster, mode=mode)
    monkeypatch.setattr(coverage_raster, "BAND_BUDGET_BYTES", 24 * 14 * 3)  # ~3 columns a band
    banded = compute_exposure(villages(), zones(), raster=raster, mode=mode)
    assert len(cv.column_bands(cv.Grid(0, 0, 1, 1, 14, 14), 2, cv.ArraySource(np.ones((10, 10))))) > 3
    pd.testing.assert_frame_equal(one.rows, banded.rows, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(pd.DataFrame(one.villages.drop(columns="geometry")),
                                  pd.DataFrame(banded.villages.drop(columns="geometry")), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_a_band_with_a_zone_and_no_village(monkeypatch, mode):
    monkeypatch.setattr(coverage_raster, "BAND_BUDGET_BYTES", 24 * 14 * 3)  # narrow bands: some hold the far zone only
    z = pd.concat([zones(), gpd.GeoDataFrame({"id": ["Z9"], "hazard_type": ["marine"], "risk_level": [1]},
                                             geometry=[box(X0 + 300, Y0, X0 + 400, Y0 + 50)], crs=CRS)],
                  ignore_index=True)
    res = compute_exposure(villages(), z, raster=ones(), mode=mode)
    assert not (res.rows.hazard_type == "marine").any()
    assert any("marine level 1" in w for w in res.warnings)


def test_engine_matches_brute_force_on_random_polygons():
    rng = np.random.default_rng(1)
    arr = (rng.random((30, 40)) * 5).astype(np.float64)
    grid = cv.Grid(0.0, 30.0, 1.0, 1.0, 40, 30)
    pts = shapely.points(rng.uniform(-2, 42, 9), rng.uniform(-2, 32, 9))
    extent = box(-3, -3, 43, 33)
    vills = np.array([g.intersection(extent) for g in shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=extent))], dtype=object)
    blobs = [Point(rng.uniform(0, 40), rng.uniform(0, 30)).buffer(rng.uniform(2, 9), quad_segs=4) for _ in range(5)]
    regions = np.array([shapely.difference(blobs[i], shapely.union_all(blobs[:i])) for i in range(5)], dtype=object)
    ext, ro, co = grid.covering(shapely.total_bounds(np.concatenate([vills, regions])))
    vg = ext.to_grid_geoms(shapely.orient_polygons(vills))
    rg = ext.to_grid_geoms(shapely.orient_polygons(regions))
    A = cv.polygon_pieces(vg, np.arange(1, len(vills) + 1), ext)
    B = cv.polygon_pieces(rg, np.arange(1, 6), ext)
    S, p, K, k, _ = cv.gather(cv.ArraySource(arr), ro, co, np.r_[A.row, B.row], np.r_[A.col, B.col], block_rows=7)
    cv.attach([A, B], S, p, K, k)
    J = cv.joint_sums(A, B, vg, rg, len(vills), 5)
    X, Y = np.meshgrid(np.arange(40.0), 30.0 - np.arange(30.0))
    cells = shapely.box(X, Y - 1, X + 1, Y)
    for i, v in enumerate(vills):
        for l in range(5):
            g = v.intersection(regions[l])
            want = float((shapely.area(shapely.intersection(cells, g)) * arr).sum())
            assert J.pop[i + 1, l + 1] == pytest.approx(want, rel=1e-9, abs=1e-9)
            assert J.area[i + 1, l + 1] == pytest.approx(g.area, rel=1e-9, abs=1e-9)


# -------------------------------------------------------------------------------------------------- the job
def _package(tmp_path, raster=None):
    layers = {"villages": villages(), "risk_zones": zones(),
              "townships": gpd.GeoDataFrame({"code": ["110109001000"], "name": ["东镇"], "parent_code": ["110109000000"]},
                                            geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=CRS),
              "county": gpd.GeoDataFrame({"code": ["110109000000"], "name": ["样例县"], "parent_code": ["110100000000"]},
                                         geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=CRS)}
    rasters = {"population.tif": (raster if raster is not None else np.ones((10, 10), np.float32), TRANSFORM, CRS,
                                  -9999.0)}
    return write_package(tmp_path / "pkg", layers, rasters)


def test_job_writes_csv_with_spec_columns_layers_and_charts(tmp_path):
    from risk_one_map.jobs import exposure as job
    pkg = _package(tmp_path)
    res = job.run(pkg.path)
    csv = pd.read_csv(pkg.path / "exposure.csv", dtype={"village_code": str, "township_code": str})
    assert list(csv.columns[:8]) == ["village_code", "village_name", "township_code", "hazard_type", "risk_level",
                                     "population", "households", "area_m2"]
    assert list(csv.columns) == ROW_COLUMNS
    assert set(csv.hazard_type) == {"flood", "geologic", "any"}
    assert {"exposure", "exposure_villages", "exposure_townships", "exposure_county"} <= set(pkg.layer_names())
    assert pkg.read("exposure_villages").geometry.notna().all()
    assert (pkg.path / "charts" / "exposure_110109001000.png").is_file()
    assert (pkg.path / "charts" / "exposure_110109001000.svg").is_file()
    assert res.outputs["csv"] == pkg.path / "exposure.csv"


def test_failed_job_leaves_no_file(tmp_path):
    from risk_one_map.jobs import exposure as job
    arr = np.ones((10, 10), np.float32)
    arr[5, 5] = -1.0
    pkg = _package(tmp_path, raster=arr)
    before = sorted(p.name for p in pkg.path.iterdir())
    gpkg_before = pkg.gpkg.read_bytes()
    with pytest.raises(RiskOneMapError, match="negative"):
        job.run(pkg.path)
    assert sorted(p.name for p in pkg.path.iterdir()) == before
    assert pkg.gpkg.read_bytes() == gpkg_before


def test_cancel_writes_nothing(tmp_path):
    from risk_one_map.errors import Cancelled
    from risk_one_map.jobs import exposure as job
    pkg = _package(tmp_path)
    with pytest.raises(Cancelled):
        job.run(pkg.path, cancelled=lambda: True)
    assert not (pkg.path / "exposure.csv").exists()


def test_sample_package(sample_package):
    from risk_one_map.jobs import exposure as job
    import shutil
    import tempfile
    work = tempfile.mkdtemp()
    try:
        dst = shutil.copytree(sample_package.path, f"{work}/pkg")
        res = job.run(dst, charts=False)
        vt = res.villages
        assert len(vt) == 12
        anyr = res.rows[res.rows.hazard_type == "any"].groupby("village_code")["population"].sum()
        for _, v in vt.iterrows():
            assert abs(float(anyr.get(v.code, 0.0)) + v.unexposed - v.population_total) <= 1e-9 * max(v.population_total, 1)
        assert (res.rows.population >= 0).all()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_overlapping_villages_are_reported():
    v = villages()
    v.loc[1, "geometry"] = box(X0 + 25, Y0, X0 + 100, Y0 + 100)  # overlaps the first by 20 m x 100 m
    res = compute_exposure(v, zones(), raster=ones())
    assert any("villages overlap on about 20 cells" in w for w in res.warnings)
    vt = res.villages.set_index("code")
    assert vt.loc["110109001202", "population_total"] == pytest.approx(75.0)  # each village keeps its own count


def test_fast_mode_matches_a_brute_force_centre_count():
    rng = np.random.default_rng(4)
    arr = rng.random((10, 10)).astype(np.float32)
    v1, v2 = box(X0 - 3, Y0 - 2, X0 + 47, Y0 + 103), box(X0 + 47, Y0 - 2, X0 + 104, Y0 + 103)  # off the centres
    tri = Polygon([(X0 + 12, Y0 + 17), (X0 + 88, Y0 + 13), (X0 + 16, Y0 + 83)])
    sq = box(X0 + 11, Y0 + 12, X0 + 33, Y0 + 31)
    v = villages()
    v["geometry"] = [v1, v2]
    z = gpd.GeoDataFrame({"hazard_type": ["flood", "flood"], "risk_level": [2, 1]}, geometry=[tri, sq], crs=CRS)
    res = compute_exposure(v, z, raster=RasterInput(arr, TRANSFORM, CRS, -9999.0), mode="fast")
    cx = X0 + 5 + 10 * np.arange(10)
    cy = Y0 + 95 - 10 * np.arange(10)
    X, Y = np.meshgrid(cx, cy)
    for code, vg in (("110109001201", v1), ("110109001202", v2)):
        for level, region in ((1, sq), (2, tri.difference(sq))):
            inside = shapely.contains_xy(vg.intersection(region), X, Y)
            got = row(res, code, "flood", level)
            assert (got.population if got is not None else 0.0) == pytest.approx(float(arr[inside].sum()), rel=1e-6)


def test_a_bad_value_in_the_package_names_the_gpkg_file(tmp_path):
    """The analysis names layer, feature and field; the job adds the file the user has to open."""
    from risk_one_map.jobs import exposure as job
    pkg = _package(tmp_path)
    z = zones()
    z["risk_level"] = z["risk_level"].astype(object)
    z.loc[0, "risk_level"] = 7
    pkg.write_layers({"risk_zones": z})
    with pytest.raises(RiskOneMapError) as e:
        job.run(pkg.path)
    assert str(e.value).startswith(f"file {pkg.gpkg}, layer risk_zones, feature 1 (id=Z1), field risk_level")


def test_a_coarse_raster_is_split_into_fine_cells_with_the_same_numbers(tmp_path):
    """A 1x1 raster over the county (exposure took 97 s on one): split into ~100 m cells, the same people."""
    import rasterio
    from shapely import affinity
    scale = lambda g: affinity.scale(g, 100, 100, origin=(X0, Y0))  # noqa: E731 - the area, 10 km wide
    v, z = villages(), zones()
    v = v.set_geometry(v.geometry.map(scale))
    z = z.set_geometry(z.geometry.map(scale))
    transform = Affine(10_000.0, 0, X0, 0, -10_000.0, Y0 + 10_000)
    path = tmp_path / "population.tif"
    with rasterio.open(path, "w", driver="GTiff", width=1, height=1, count=1, dtype="float32", crs=CRS,
                       transform=transform, nodata=-9999.0) as dst:
        dst.write(np.full((1, 1), 5000.0, dtype="float32"), 1)
    split = compute_exposure(v, z, raster=path)
    whole = compute_exposure(v, z, raster=RasterInput(np.full((1, 1), 5000.0), transform, CRS, -9999.0))
    assert np.allclose(split.villages["population_total"], whole.villages["population_total"])
    assert np.allclose(split.villages["population_total"], [2250.0, 2750.0])
    cols = ["village_code", "hazard_type", "risk_level"]
    a, b = split.rows.sort_values(cols), whole.rows.sort_values(cols)
    assert np.allclose(a["population"].to_numpy(float), b["population"].to_numpy(float))
