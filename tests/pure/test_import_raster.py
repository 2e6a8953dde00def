"""Rasters in an import: warped into the package CRS, population totals kept, bad rasters refused."""
import json

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers.importer import import_sources
from risk_one_map.layers.package import Package


def _geojson_village(path):
    ring = [[116.0, 40.0], [116.02, 40.0], [116.02, 40.02], [116.0, 40.02], [116.0, 40.0]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": "110109001201", "name": "东一村"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    return path


def _raster(path, array, crs="EPSG:4326", nodata=-1.0):
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                       dtype="float32", crs=crs, transform=from_origin(115.99, 40.03, 0.001, 0.001),
                       nodata=nodata) as dst:
        dst.write(array.astype("float32"), 1)
    return path


def test_population_and_dem_come_in_projected_with_the_total_kept(tmp_path):
    village = _geojson_village(tmp_path / "villages.geojson")
    pop = np.full((40, 40), 2.0)
    pop[0, 0] = -1.0  # nodata
    _raster(tmp_path / "人口.tif", pop)
    _raster(tmp_path / "dem_30m.tif", np.linspace(100, 500, 1600).reshape(40, 40))
    report = import_sources([village, tmp_path / "人口.tif", tmp_path / "dem_30m.tif"], tmp_path / "pkg")
    pkg = Package(tmp_path / "pkg")
    with rasterio.open(pkg.population_raster) as src:
        assert src.crs.to_epsg() == 4548 and src.nodata == -9999.0
        total = src.read(1, masked=True).astype("float64").sum()
    assert total == pytest.approx(2.0 * (1600 - 1), rel=0.01)
    with rasterio.open(pkg.dem_raster) as src:
        dem = src.read(1, masked=True)
        assert 100 <= dem.min() and dem.max() <= 500
    rows = [r for r in report.rows if r["target_layer"] in ("population.tif", "dem.tif")]
    assert len(rows) == 2 and all(r["status"] == "repaired" for r in rows)
    assert "total population 3,198 before" in next(r["detail"] for r in rows if r["target_layer"] == "population.tif")


def test_a_land_use_map_comes_in_as_class_codes_never_averaged(tmp_path):
    """土地利用.tif -> landuse.tif, resampled by nearest neighbour: every code in the package is a code of the
    source (bilinear would have made 1.5 between 01 耕地 and 02 园地), and DEM low points read it."""
    from risk_one_map.analysis import runoff
    village = _geojson_village(tmp_path / "villages.geojson")
    codes = np.ones((40, 40))
    codes[:, 20:] = 3  # 林地
    codes[30:, :] = 7  # 住宅用地
    _raster(tmp_path / "土地利用现状.tif", codes)
    report = import_sources([village, tmp_path / "土地利用现状.tif"], tmp_path / "pkg")
    with rasterio.open(tmp_path / "pkg" / runoff.RASTER) as src:
        got = src.read(1, masked=True)
    assert set(np.unique(got.compressed()).tolist()) == {1.0, 3.0, 7.0}
    row = next(r for r in report.rows if r["target_layer"] == runoff.RASTER)
    assert "nearest resampling" in row["detail"] and "(file name)" in row["detail"]
    valid = ~got.mask
    grid = runoff.from_raster(np.where(valid, got.filled(0), np.nan).astype("float64"), valid, 0.6)
    assert grid.source == runoff.RASTER


def test_negative_population_and_unnamed_rasters_are_refused(tmp_path):
    village = _geojson_village(tmp_path / "villages.geojson")
    pop = np.full((10, 10), 1.0)
    pop[2, 3] = -4
    _raster(tmp_path / "pop.tif", pop)
    with pytest.raises(RiskOneMapError, match="pop.tif, layer band 1: 1 cells have negative population"):
        import_sources([village, tmp_path / "pop.tif"], tmp_path / "out1")
    _raster(tmp_path / "grid.tif", np.ones((10, 10)))
    with pytest.raises(RiskOneMapError, match="write dem=FILE or population=FILE"):
        import_sources([village, tmp_path / "grid.tif"], tmp_path / "out2")
    report = import_sources([village, f"dem={tmp_path / 'grid.tif'}"], tmp_path / "out3")
    assert (tmp_path / "out3" / "dem.tif").exists() and report.rows[-1]["target_layer"] == "dem.tif"
    assert report.rows[-1]["detail"].startswith("dem (given on the command line): ")
    # feature numbers stay whole beside the raster's row, which has none
    fids = report.frame()["source_fid"]
    assert str(fids.dtype) == "Int64" and fids.isna().sum() == 1
    assert not (tmp_path / "out1").exists() and not (tmp_path / "out2").exists()


def test_rasters_alone_are_not_a_package(tmp_path):
    _raster(tmp_path / "dem.tif", np.ones((10, 10)))
    with pytest.raises(RiskOneMapError, match="at least one vector file"):
        import_sources([tmp_path / "dem.tif"], tmp_path / "out")


def test_import_command_says_what_the_new_package_still_lacks(tmp_path, capsys):
    from risk_one_map.cli import main
    village = _geojson_village(tmp_path / "villages.geojson")
    assert main(["import", str(village), "--out", str(tmp_path / "pkg"), "--no-project"]) == 0
    out = capsys.readouterr().out
    assert "check: " in out and "layer townships: required layer is missing" in out
    assert "county 县界（由村合成） (110109000000) made from the 1 villages" in out  # the county is their union
