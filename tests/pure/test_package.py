import pytest

from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers.package import Package, write_package
from tests.tiny import tiny_layers


def test_write_and_read_back_every_layer(tmp_path):
    pkg = write_package(tmp_path / "pkg", tiny_layers())
    assert set(pkg.layer_names()) == set(tiny_layers())
    villages = pkg.read("villages")
    assert list(villages["name"]) == ["东一村", "东二村", "西一村", "西二村"]
    assert villages.crs.to_epsg() == 4548
    persons = pkg.read("persons")
    assert "geometry" not in persons.columns and list(persons["phone"])[0] == "13800000001"


def test_existing_folder_is_not_replaced_without_overwrite(tmp_path):
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(RiskOneMapError, match="not empty"):
        write_package(out, tiny_layers())
    assert (out / "mine.txt").read_text() == "keep me"


def test_failed_layer_write_leaves_the_old_package_untouched(tmp_path):
    pkg = write_package(tmp_path / "pkg", tiny_layers())
    before = pkg.gpkg.read_bytes()

    class Boom:  # not a frame: the writer fails half-way
        pass
    with pytest.raises(Exception):
        pkg.write_layers({"exposure": tiny_layers()["persons"], "broken": Boom()})
    assert pkg.gpkg.read_bytes() == before
    assert [p.name for p in pkg.path.iterdir()] == ["onemap.gpkg"]


def test_write_layers_adds_and_replaces(tmp_path):
    pkg = write_package(tmp_path / "pkg", tiny_layers())
    persons = tiny_layers()["persons"].iloc[:1]
    pkg.write_layers({"persons": persons})
    assert len(pkg.read("persons")) == 1
    assert len(pkg.read("villages")) == 4


def test_missing_layer_error_names_file_and_layer(tmp_path):
    pkg = write_package(tmp_path / "pkg", tiny_layers())
    with pytest.raises(RiskOneMapError) as err:
        pkg.read("households")
    assert "onemap.gpkg" in str(err.value) and "layer households" in str(err.value)
    assert pkg.read("households", required=False) is None
    with pytest.raises(RiskOneMapError, match="not a one-map package"):
        Package(tmp_path).require()
