"""The plugin loads through classFactory with a stub iface, registers its provider, degrades without rasterio."""
from __future__ import annotations

import sys

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject, QgsSettings

import risk_one_map
from risk_one_map import deps
from risk_one_map.plugin import MENU, SETTINGS_LAST_PACKAGE

ALGORITHMS = {"riskonemap:checkpackage", "riskonemap:sampledata"}


def _algorithm_ids():
    provider = QgsApplication.processingRegistry().providerById("riskonemap")
    return None if provider is None else {a.id() for a in provider.algorithms()}


def test_init_processing_alone_registers_the_provider_without_touching_iface():
    plugin = risk_one_map.classFactory(None)  # qgis_process passes no usable iface: initProcessing must not need one
    plugin.initProcessing()
    try:
        provider = QgsApplication.processingRegistry().providerById("riskonemap")
        assert provider is not None and provider.name() == "风险隐患一张图 Risk One Map"
        assert not provider.icon().isNull()
        assert ALGORITHMS <= _algorithm_ids()
    finally:
        plugin.unload()
    assert _algorithm_ids() is None


def test_init_gui_adds_menu_and_toolbar_and_unload_removes_them(iface):
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        actions = iface.menus[MENU]
        texts = [a.text() for a in actions]
        assert texts[:2] == ["打开一张图包…", "乡镇出图面板"]
        assert {"导入数据…", "人口暴露分析…", "转移避险分析…", "物资储备点选址…"} <= set(texts)
        assert not actions[0].icon().isNull()
        assert plugin.dock is not None and plugin.dock in iface.docks
        assert iface.toolbars and actions[0] in iface.toolbars[0].actions()
        assert ALGORITHMS <= _algorithm_ids()
    finally:
        plugin.unload()
    assert MENU not in iface.menus and not iface.docks
    assert _algorithm_ids() is None


def test_open_package_loads_into_the_current_project_and_remembers_the_folder(iface, tiny_package):
    project = QgsProject.instance()
    project.clear()
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        layers = plugin.open_package(path=str(tiny_package.path))
        assert layers and all(layer.isValid() for layer in layers.values())
        assert project.crs().authid() == "EPSG:4546"
        assert project.title() == "示例县风险隐患一张图"
        assert QgsSettings().value(SETTINGS_LAST_PACKAGE) == str(tiny_package.path)
        # a second package goes into a group of its own, never mixed with what is there
        again = plugin.open_package(path=str(tiny_package.path))
        assert again and project.layerTreeRoot().children()[0].name() == tiny_package.path.name
        # a bad folder is reported in the message bar, not raised
        assert plugin.open_package(path=str(tiny_package.path / "nope")) is None
        assert iface.messages[-1][2] == Qgis.Critical
    finally:
        plugin.unload()
        project.clear()


def test_plugin_still_loads_without_rasterio_and_says_what_to_install(iface, monkeypatch, tiny_package):
    monkeypatch.setitem(sys.modules, "rasterio", None)
    assert "rasterio" in deps.missing()
    message = deps.install_message()
    assert "rasterio" in message and "QGIS" in message
    assert "pip install pyproj" not in message
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        warnings = [m for m in iface.messages if m[2] == Qgis.Warning]
        assert len(warnings) == 1 and "rasterio" in warnings[0][1]
        registry = QgsApplication.processingRegistry()
        ok, why = registry.algorithmById("riskonemap:sampledata").canExecute()
        assert not ok and "rasterio" in why
        # what needs no rasterio keeps working
        assert plugin.open_package(path=str(tiny_package.path))
    finally:
        plugin.unload()
        QgsProject.instance().clear()


@pytest.mark.parametrize("module", ["geopandas", "scipy"])
def test_each_missing_module_turns_off_only_what_needs_it(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    gone = deps.missing()
    assert module in gone
    assert deps.feature_available("load_package")
    assert "sample_data" in deps.disabled_features(gone)
