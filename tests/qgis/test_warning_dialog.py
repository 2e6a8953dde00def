"""预警叫应 in the plugin: the dock button and the menu open the dialog; from codes, a drawn area or a layer it runs
the job in the background (the CLI's numbers), adds the four warning layers styled, says the result in Chinese
and opens the township call sheets; a missing choice is one sentence; 取消 stops it and writes nothing."""
from __future__ import annotations

import shutil

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsProject, QgsRuleBasedRenderer, QgsVectorLayer

import risk_one_map
from risk_one_map.layers import model
from risk_one_map.ui.tasks import wait

TOWNSHIP = "130696102"


@pytest.fixture
def county(sample_package, tmp_path):
    return shutil.copytree(sample_package.path, tmp_path / "county")


@pytest.fixture
def dialog(iface, county):
    from risk_one_map.ui.warning_dialog import WarningDialog
    QgsProject.instance().clear()
    d = WarningDialog(iface, package=county)
    d.opened = []
    d.opener = d.opened.append  # no PDF viewer in a test
    yield d
    d.close()
    QgsProject.instance().clear()


def test_from_codes_it_adds_the_styled_layers_says_the_result_and_opens_the_sheet(dialog, county, iface):
    from risk_one_map.analysis.warning_cap import manual_warning
    from risk_one_map.jobs.warning import run
    twin = shutil.copytree(county, county.parent / "twin")
    assert not dialog.level_combo.isEnabled()  # a CAP file says its colour itself
    dialog.source_buttons["codes"].setChecked(True)
    dialog.codes_edit.setText(TOWNSHIP)
    dialog.level_combo.setCurrentIndex(dialog.level_combo.findData("红"))
    assert dialog.level_combo.isEnabled() and dialog.hazard_combo.currentData() == "flood"
    task = dialog.run()
    assert wait(task, 300) and task.exception is None, task.trace
    same = run(twin, manual_warning(codes=[TOWNSHIP], level="红", hazard="flood")).plan.stats
    text = dialog.status.text()
    assert f"须立即转移 {same['move_households']} 户" in text and f"其中户主 {same['household_calls']} 个" in text
    layers = {lyr.name(): lyr for lyr in QgsProject.instance().mapLayers().values()}
    for name in ("warning_area", "warning_villages", "warning_households", "warning_calls"):
        layer = layers[model.layer_title(name)]
        assert layer.isValid() and isinstance(layer.renderer(), QgsRuleBasedRenderer), name
    calls = layers[model.layer_title("warning_calls")]
    assert calls.featureCount() == same["calls"] and calls.fields().field("caller").alias() == "由谁叫应"
    sheets = sorted((county / "warning").glob("叫应单_*.pdf"))
    assert dialog.opened == sheets and len(sheets) == 1  # one township: its sheet is opened
    assert (county / "warning" / "叫应名单.xlsx").is_file() and iface.messages[-1][0] == "预警叫应"


def test_a_drawn_area_reaches_the_villages_under_it(dialog, county):
    import pyogrio
    villages = pyogrio.read_dataframe(county / model.GPKG_NAME, layer="villages")
    target = villages[villages["code"] == "130696103201"]
    inner = target.geometry.iloc[0].buffer(-50)
    dialog.set_drawn_area(QgsGeometry.fromWkt(inner.wkt), QgsCoordinateReferenceSystem(target.crs.to_wkt()))
    assert dialog.source() == "drawn" and "个角" in dialog.drawn_label.text()
    dialog.sheets_check.setChecked(False)
    task = dialog.run()
    assert wait(task, 300) and task.exception is None, task.trace
    reached = pyogrio.read_dataframe(county / model.GPKG_NAME, layer="warning_villages", read_geometry=False)
    assert list(reached["code"]) == ["130696103201"] and dialog.opened == []  # no sheets asked for


def test_a_polygon_layers_selected_feature_is_the_area(dialog, county):
    import pyogrio
    layer = QgsVectorLayer(f"{county / model.GPKG_NAME}|layername=villages", "村界", "ogr")
    QgsProject.instance().addMapLayer(layer)
    layer.selectByExpression("\"code\" = '130696103201'")
    dialog.source_buttons["layer"].setChecked(True)
    dialog.layer_combo.setLayer(layer)
    dialog.selected_only.setChecked(True)
    dialog.sheets_check.setChecked(False)
    request = dialog.request()
    assert len(request["areas_wkb"]) == 1 and request["source"] == "村界"
    task = dialog.run()
    assert wait(task, 300) and task.exception is None, task.trace
    reached = pyogrio.read_dataframe(county / model.GPKG_NAME, layer="warning_villages", read_geometry=False)
    assert list(reached["code"]) == ["130696103201"]


def test_a_missing_choice_is_one_sentence_and_nothing_runs(dialog, county):
    before = (county / model.GPKG_NAME).stat().st_mtime_ns
    assert dialog.source() == "cap" and dialog.run() is None and "CAP" in dialog.status.text()
    dialog.source_buttons["drawn"].setChecked(True)
    assert dialog.run() is None and "画" in dialog.status.text()
    dialog.package_edit.setText(str(county.parent))
    assert dialog.run() is None and "onemap.gpkg" in dialog.status.text()
    assert (county / model.GPKG_NAME).stat().st_mtime_ns == before


def test_cancel_stops_it_and_writes_nothing(dialog, county):
    before = (county / model.GPKG_NAME).stat().st_mtime_ns
    dialog.source_buttons["codes"].setChecked(True)
    dialog.codes_edit.setText(TOWNSHIP)
    task = dialog.run()
    assert dialog.cancel_button.isEnabled()
    dialog.cancel()
    assert wait(task, 120)
    assert "已取消" in dialog.status.text() and dialog.run_button.isEnabled()
    assert (county / model.GPKG_NAME).stat().st_mtime_ns == before


def test_the_dock_button_and_the_menu_open_it(iface, county):
    QgsProject.instance().clear()
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        names = [a.text() for a in iface.menus[plugin_menu()]]
        assert "预警叫应…" in names
        plugin.dock.set_package(county)
        assert plugin.dock.warn_button.isEnabled()
        plugin.dock.warn_button.click()
        dialog = plugin.dialogs["warning"]
        assert dialog.isVisible() and dialog.package() == county
    finally:
        plugin.unload()
        QgsProject.instance().clear()


def plugin_menu():
    from risk_one_map.plugin import MENU
    return MENU
