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
    before = {name: pkg.read(name) for name in pkg.layer_names()}

    class Boom:  # not a frame: the writer fails half-way
        pass
    with pytest.raises(Exception):
        pkg.write_layers({"persons": tiny_layers()["persons"].iloc[:1], "broken": Boom()})
    assert pkg.layer_names() == list(before)  # the staged persons went again; nothing else came
    assert all(pkg.read(name).equals(frame) for name, frame in before.items())
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


def test_layers_are_swapped_in_inside_the_package_file_while_another_program_reads_it(tmp_path):
    """Windows cannot replace a file QGIS holds open: new layers go into the same file, in one transaction, and
    read back exactly as a freshly written package does."""
    import os
    from osgeo import ogr
    layers = tiny_layers()
    pkg = write_package(tmp_path / "pkg", {k: v for k, v in layers.items() if k != "persons"})
    inode = os.stat(pkg.gpkg).st_ino
    reader = ogr.Open(str(pkg.gpkg), 0)  # QGIS's open layer
    assert reader.GetLayerByName("villages").GetFeatureCount() == 4
    villages = layers["villages"].iloc[:2]
    pkg.write_layers({"villages": villages, "persons": layers["persons"]})
    reader = None
    assert os.stat(pkg.gpkg).st_ino == inode
    fresh = write_package(tmp_path / "fresh", {"villages": villages, "persons": layers["persons"]})
    for name in ("villages", "persons"):
        got, want = pkg.read(name), fresh.read(name)
        assert got.equals(want) and list(got.dtypes) == list(want.dtypes), name
    assert len(pkg.read("shelters")) == len(layers["shelters"])  # untouched
    assert [p.name for p in pkg.path.iterdir()] == ["onemap.gpkg"]
    assert not [n for n in pkg.layer_names() if n.startswith("_staged_")]


def test_a_failed_swap_rolls_every_layer_back(tmp_path):
    from risk_one_map.layers.package import swap_staged_layers, write_frame
    layers = tiny_layers()
    pkg = write_package(tmp_path / "pkg", layers)
    write_frame(pkg.gpkg, "persons", layers["persons"].iloc[:1], layer="_staged_1_0")
    with pytest.raises(RiskOneMapError, match="layer villages"):  # villages was never staged
        swap_staged_layers(pkg.gpkg, {"persons": "_staged_1_0", "villages": "_staged_1_1"})
    assert len(pkg.read("persons")) == len(layers["persons"])
    assert len(pkg.read("villages")) == 4


def test_a_killed_runs_staged_layers_go_at_the_next_write(tmp_path):
    from risk_one_map.layers.package import write_frame
    layers = tiny_layers()
    pkg = write_package(tmp_path / "pkg", layers)
    write_frame(pkg.gpkg, "persons", layers["persons"], layer="_staged_999999999_0")  # no such process
    pkg.write_layers({"persons": layers["persons"].iloc[:1]})
    assert not [n for n in pkg.layer_names() if n.startswith("_staged_")]
    assert len(pkg.read("persons")) == 1
