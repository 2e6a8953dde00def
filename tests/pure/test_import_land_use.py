"""Land use as polygons (三调 地类图斑, DLTB with DLBM/DLMC): imported into the package's land_use layer, read by
the DEM low points' runoff, and a bad class named in one line."""
import numpy as np
import geopandas as gpd
import pyogrio
from shapely.geometry import box

from risk_one_map.analysis import runoff
from risk_one_map.layers import fieldmap
from risk_one_map.layers.importer import import_sources
from risk_one_map.layers.package import Package
from tests.pure.test_import_raster import _geojson_village, _raster


def _dltb(path, codes, names):
    """Two 图斑 halves of the village in degrees, with the survey's own field names (BSM, DLBM, DLMC)."""
    frame = gpd.GeoDataFrame({"BSM": ["T1", "T2"], "DLBM": codes, "DLMC": names},
                             geometry=[box(116.0, 40.0, 116.01, 40.02), box(116.01, 40.0, 116.02, 40.02)],
                             crs="EPSG:4326")
    frame.to_file(path, driver="ESRI Shapefile", encoding="utf-8")
    return path


def test_the_survey_file_name_and_headers_find_the_land_use_layer():
    assert fieldmap.layer_from_name("DLTB") == "land_use"
    assert fieldmap.layer_from_name("110109土地利用现状2023") == "land_use"
    assert fieldmap.layer_from_name("避难场所用地") == "shelters"  # the more specific word wins
    matched = fieldmap.match_fields("land_use", ["BSM", "DLBM", "DLMC", "ZLDWMC"])
    mapping = matched[0] if isinstance(matched, tuple) else matched
    assert {mapping.get(k) for k in ("id", "code", "name")} == {"BSM", "DLBM", "DLMC"}


def test_land_use_polygons_come_in_and_set_the_runoff(tmp_path):
    village = _geojson_village(tmp_path / "villages.geojson")
    _raster(tmp_path / "dem.tif", np.linspace(100, 500, 1600).reshape(40, 40))
    _dltb(tmp_path / "DLTB.shp", ["0702", "0301"], ["农村宅基地", "乔木林地"])
    report = import_sources([village, tmp_path / "dem.tif", tmp_path / "DLTB.shp"], tmp_path / "pkg")
    pkg = Package(tmp_path / "pkg")
    land = pyogrio.read_dataframe(pkg.gpkg, layer=runoff.LAYER)
    assert sorted(land["code"]) == ["0301", "0702"] and sorted(land["name"]) == ["乔木林地", "农村宅基地"]
    assert sorted(land["id"]) == ["T1", "T2"] and land.crs.to_epsg() == 4548  # CGCS2000 GK CM 117E, as the package
    assert any(r["target_layer"] == "land_use" for r in report.rows)
    # The low points read it: west half 住宅用地 0.70, east half 林地 0.15; the DEM reaches beyond the village,
    # where the labelled default 0.6 stays.
    from risk_one_map.jobs import lowpoints as job
    res = job.run(pkg.path, rains_mm=(100,))
    assert res.runoff.source == "land_use" and 0.2 < res.runoff.covered_share < 0.3
    assert set(np.unique(np.round(res.runoff.grid, 2)).tolist()) == {0.7, 0.15, 0.6}


def test_an_unknown_class_in_the_survey_is_one_line_naming_the_feature(tmp_path, capsys):
    from risk_one_map.cli import main
    village = _geojson_village(tmp_path / "villages.geojson")
    _raster(tmp_path / "dem.tif", np.linspace(100, 500, 1600).reshape(40, 40))
    _dltb(tmp_path / "DLTB.shp", ["0702", "9999"], ["农村宅基地", "未知地类"])
    import_sources([village, tmp_path / "dem.tif", tmp_path / "DLTB.shp"], tmp_path / "pkg")
    assert main(["lowpoints", str(tmp_path / "pkg")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "layer land_use" in err[0] and "feature T2" in err[0] and "'9999'" in err[0]
