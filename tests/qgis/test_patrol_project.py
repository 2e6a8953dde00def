"""The patrol folder's project (patrol.qgz) opens in QGIS as QField would open it: the township's layers read-only,
the two patrol layers editable, with Chinese forms (value maps, a value relation to the ledger sites, dates,
photos), defaults and constraints."""
from __future__ import annotations

import os
import shutil
import subprocess
import zipfile

import pytest
from qgis.core import (QgsExpressionContextUtils, QgsFieldConstraints, QgsProject, QgsVectorDataProvider,
                       QgsVectorLayerUtils)

from risk_one_map.atlas.patrol_project import write_patrol_project
from risk_one_map.jobs import patrol as jp
from risk_one_map.layers import model
from risk_one_map.layers.package import write_package
from tests.pure.test_ledger import ledger_layers


@pytest.fixture(scope="module")
def patrol_project(tmp_path_factory):
    base = tmp_path_factory.mktemp("patrol")
    package = write_package(base / "pkg", ledger_layers()).path
    jp.export(package, "110109001000", base / "巡查包")
    path = write_patrol_project(base / "巡查包", inspector="巡查员甲")
    project = QgsProject.instance()  # as QGIS Desktop and QField open it: the project variables in every form
    assert project.read(str(path)), project.error()
    yield project, path
    project.clear()


def _layer(project, name):
    return project.mapLayersByName(model.PATROL_LAYER_BY_NAME[name].zh)[0]


def test_the_project_opens_with_its_data_beside_it_and_only_the_patrol_layers_editable(patrol_project):
    project, path = patrol_project
    with zipfile.ZipFile(path) as z:
        qgs = z.read(next(n for n in z.namelist() if n.endswith(".qgs"))).decode()
    assert "./onemap.gpkg" in qgs and str(path.parent) not in qgs  # relative: the folder can go to a phone
    layers = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    assert all(lyr.isValid() for lyr in layers.values())
    editable = {n for n, lyr in layers.items() if hasattr(lyr, "readOnly") and not lyr.readOnly()}
    assert editable == {"巡查记录（手机填写）", "新发现隐患（手机填写）"}
    for name in ("inspections", "new_sites"):
        caps = _layer(project, name).dataProvider().capabilities()
        assert caps & QgsVectorDataProvider.AddFeatures and caps & QgsVectorDataProvider.ChangeAttributeValues
    assert {"村（社区）", "地质灾害隐患点", "台账隐患（巡查对象）"} <= set(layers)
    assert QgsExpressionContextUtils.projectScope(project).variable("patrol_inspector") == "巡查员甲"


def test_forms_use_the_model_s_lists_dates_photos_and_defaults(patrol_project):
    project, _ = patrol_project
    layer = _layer(project, "inspections")
    widget = {f.name(): layer.editorWidgetSetup(i) for i, f in enumerate(layer.fields())}
    assert {n: w.type() for n, w in widget.items()} == {
        "fid": "Hidden", "uuid": "Hidden", "site_key": "ValueRelation", "inspected_at": "DateTime",
        "inspector": "TextEdit", "finding": "TextEdit", "photo": "ExternalResource", "new_status": "ValueMap",
        "note": "TextEdit"}
    statuses = [next(iter(d.items())) for d in widget["new_status"].config()["map"]]
    assert statuses[1:] == [("待交办", "pending"), ("已交办", "assigned"), ("整改中", "in_progress"),
                            ("已整改", "fixed"), ("已销号", "closed")]
    sites = project.mapLayer(widget["site_key"].config()["Layer"])
    assert [f["label"] for f in sites.getFeatures()] == ["=HYPERLINK(\"x\")小餐馆（小餐饮场所，整改中）",
                                                         "后山滑坡（山洪和地质灾害危险区，待交办）"]
    assert layer.attributeDisplayName(layer.fields().indexOf("finding")) == "发现情况"
    feature = QgsVectorLayerUtils.createFeature(layer, context=layer.createExpressionContext())
    assert feature["inspector"] == "巡查员甲" and len(feature["uuid"]) == 36 and len(feature["inspected_at"]) == 10
    new_sites = _layer(project, "new_sites")
    config = new_sites.editorWidgetSetup(new_sites.fields().indexOf("category")).config()
    assert [next(iter(d)) for d in config["map"]] == [c.zh for c in model.LEDGER_CATEGORIES]
    villages = new_sites.editorWidgetSetup(new_sites.fields().indexOf("village_code")).config()["map"]
    assert villages == [{"东一村": "110109001201"}, {"东二村": "110109001202"}]


def test_a_half_filled_record_and_an_early_close_are_refused(patrol_project):
    project, _ = patrol_project
    layer = _layer(project, "inspections")
    idx = {f.name(): i for i, f in enumerate(layer.fields())}
    record = QgsVectorLayerUtils.createFeature(layer, context=layer.createExpressionContext())

    def ok(field):
        return QgsVectorLayerUtils.validateAttribute(layer, record, idx[field],
                                                     QgsFieldConstraints.ConstraintStrengthHard)[0]
    assert not ok("finding") and not ok("site_key")  # required
    record["site_key"], record["finding"] = "hazard_sites:YH001", "灭火器过期"
    assert ok("finding") and ok("site_key")
    record["new_status"] = "closed"  # 整改中 -> 已销号: not before 已整改
    assert not ok("new_status")
    record["new_status"] = "fixed"
    assert ok("new_status")


@pytest.mark.skipif(shutil.which("qgis_process.bin") is None, reason="qgis_process.bin is not installed")
def test_a_separate_qgis_process_opens_the_project_and_finds_both_patrol_layers(patrol_project, tmp_path):
    """qgis_process.bin (QGIS's own executable, no plugin) reads patrol.qgz from its folder, as QField does."""
    _, path = patrol_project
    out = tmp_path / "layers.gpkg"
    names = [model.PATROL_LAYER_BY_NAME[n].zh for n in ("inspections", "new_sites")]
    res = subprocess.run([shutil.which("qgis_process.bin"), "run", "native:exportlayersinformation",
                          f"--PROJECT_PATH={path}", *[f"--LAYERS={n}" for n in names], f"--OUTPUT={out}"],
                         capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    import pyogrio
    info = pyogrio.read_dataframe(out, read_geometry=False)
    assert sorted(info["name"]) == sorted(names)
    assert set(info["file_path"]) == {str(path.parent / model.GPKG_NAME)}
