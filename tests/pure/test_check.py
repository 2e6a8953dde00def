import numpy as np
from shapely.geometry import Polygon

from risk_one_map.cli import main
from risk_one_map.layers.check import check_package
from risk_one_map.layers.package import write_package
from tests.tiny import tiny_layers


def test_clean_package_has_no_errors(tmp_path):
    pkg = write_package(tmp_path / "pkg", tiny_layers())
    report = check_package(pkg.path)
    assert report.errors == [], report.format()
    assert report.layers["villages"] == 4


def test_every_problem_names_layer_feature_and_field(tmp_path):
    layers = tiny_layers()
    layers["villages"].loc[1, "code"] = "11010900120"  # 11 digits
    layers["risk_zones"].loc[0, "hazard_type"] = "volcano"
    layers["risk_zones"].loc[1, "risk_level"] = 9
    layers["shelters"].loc[0, "name"] = None
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    layers["townships"].loc[1, "geometry"] = bowtie
    layers["persons"].loc[3, "village_code"] = "999999999999"
    report = check_package(write_package(tmp_path / "pkg", layers).path)
    text = report.format()
    assert "layer villages, feature 2 (code=11010900120), field code: '11010900120' is not a 12-digit" in text
    assert "layer risk_zones, feature 1, field hazard_type: 'volcano' is not one of" in text
    assert "layer risk_zones, feature 2, field risk_level: 9 is above the maximum 5" in text
    assert "layer shelters, feature 1 (id=S1), field name: value is empty but required" in text
    assert "layer townships, feature 2 (code=110109002000): invalid geometry (Self-intersection" in text
    assert "layer persons, feature 4 (name=赵六), field village_code: village_code 999999999999 is not a village" in text
    assert all(line.count("\n") == 0 for line in text.splitlines())


def test_geographic_crs_and_missing_required_layer_are_errors(tmp_path):
    layers = tiny_layers()
    del layers["county"]
    layers["shelters"] = layers["shelters"].to_crs(4490)
    report = check_package(write_package(tmp_path / "pkg", layers).path)
    messages = [p.format() for p in report.errors]
    assert any("layer county: required layer is missing" in m for m in messages)
    assert any("layer shelters" in m and "geographic" in m for m in messages)


def test_negative_population_raster_is_an_error(tmp_path):
    from rasterio.transform import from_origin
    from tests.tiny import X0, Y0
    arr = np.ones((20, 20), dtype="float32")
    arr[3, 4] = -5
    pkg = write_package(tmp_path / "pkg", tiny_layers(),
                        rasters={"population.tif": (arr, from_origin(X0, Y0 + 2000, 100, 100), "EPSG:4548", -1.0)})
    report = check_package(pkg.path)
    assert any("1 negative population cells" in p.message for p in report.errors)


def test_cli_check_exit_codes(tmp_path, capsys):
    good = write_package(tmp_path / "good", tiny_layers())
    assert main(["check", str(good.path)]) == 0
    assert "OK" in capsys.readouterr().out
    layers = tiny_layers()
    layers["villages"].loc[0, "code"] = "abc"
    bad = write_package(tmp_path / "bad", layers)
    assert main(["check", str(bad.path)]) == 1
    assert main(["check", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "risk-one-map: error: file" in err and "nowhere: no such package folder" in err


def test_a_code_that_is_not_12_digits_is_one_error_and_its_parent_code_is_what_counts(tmp_path):
    layers = tiny_layers()
    layers["villages"].loc[0, "code"] = "6301200042"  # a Taiwanese village code; its parent_code is right
    text = check_package(write_package(tmp_path / "pkg", layers).path).format()
    assert "'6301200042' is not a 12-digit" in text and "630120004000" not in text
    layers["villages"].loc[0, "parent_code"] = "999999999000"
    text = check_package(write_package(tmp_path / "pkg2", layers).path).format()
    assert "field parent_code: no township with code 999999999000 (its parent_code)" in text


def test_what_gdal_reads_as_a_number_or_misses_is_still_an_error(tmp_path):
    """'很多' stored in a numeric column (GDAL reads 0), +inf, a shelter 250 km away, an inf population cell."""
    from rasterio.transform import from_origin
    from shapely.geometry import Point
    from tests.fuzz.corpus import sql
    from tests.tiny import X0, Y0
    layers = tiny_layers()
    layers["shelters"].loc[0, "geometry"] = Point(X0 + 250_000, Y0)
    layers["villages"].loc[2, "population"] = np.inf
    arr = np.ones((20, 20), dtype="float32")
    arr[1, 1] = np.inf
    pkg = write_package(tmp_path / "pkg", layers,
                        rasters={"population.tif": (arr, from_origin(X0, Y0 + 2000, 100, 100), "EPSG:4548", -1.0)})
    sql(pkg.path, "update villages set households = '很多' where fid = 1")
    text = check_package(pkg.path).format()
    assert "layer villages, feature 1 (code=110109001201), field households: '很多' is not a number" in text
    assert "layer villages, feature 3 (code=110109002201), field population: inf is not a finite number" in text
    assert "layer shelters, feature 1 (id=S1), field geometry: lies 248.0 km outside the county" in text
    assert "raster has 1 infinite cells" in text
    assert "(exposure, evacuate, site-depots, atlas refuse to run on this)" in text


def test_a_prj_of_the_wrong_zone_is_an_error_of_check_and_every_job_refuses_it_in_one_line(tmp_path):
    import pytest
    from risk_one_map.errors import RiskOneMapError
    from risk_one_map.jobs import exposure
    layers = {k: v.set_crs(4526, allow_override=True) if hasattr(v, "crs") else v for k, v in tiny_layers().items()}
    pkg = write_package(tmp_path / "pkg", layers)
    report = check_package(pkg.path)
    assert any("lie outside where its CRS EPSG:4526 is used" in p.message for p in report.errors)
    with pytest.raises(RiskOneMapError, match=r"^file .*onemap.gpkg, layer county: coordinates .* outside where "
                                              r"its CRS EPSG:4526 is used .* \(\d+ more errors: risk-one-map check"):
        exposure.run(pkg.path)
