"""The plugin loads through classFactory with a stub iface, registers its provider, degrades without rasterio."""
from __future__ import annotations

import shutil
from pathlib import Path

import sys

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject, QgsSettings
from qgis.PyQt.QtWidgets import QPushButton

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


def test_open_package_loads_into_the_current_project_and_remembers_the_folder(iface, tiny_package, tmp_path):
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
        # the same package opened again is reloaded, not doubled
        count = len(project.mapLayers())
        assert plugin.open_package(path=str(tiny_package.path)) and len(project.mapLayers()) == count
        # another package goes into a group of its own, never mixed with what is there
        other = Path(shutil.copytree(tiny_package.path, tmp_path / "other"))
        again = plugin.open_package(path=str(other))
        assert again and project.layerTreeRoot().children()[0].name() == other.name
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
    assert "rasterio" in message and "安装所需组件" in message
    assert "pip" not in message and "sudo" not in message  # a clerk clicks a button, types no command
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        warnings = [m for m in iface.messages if m[2] == Qgis.Warning]
        assert len(warnings) == 1 and "rasterio" in warnings[0][1]
        banner = iface.bar.widgets[-1]
        assert [b.text() for b in banner.findChildren(QPushButton)] == ["安装所需组件"]
        banner.findChildren(QPushButton)[0].click()
        assert plugin.dialogs["installer"].isVisible() and "rasterio" in plugin.dialogs["installer"].summary.text()
        registry = QgsApplication.processingRegistry()
        ok, why = registry.algorithmById("riskonemap:sampledata").canExecute()
        assert not ok and why == deps.unavailable_sentence("sample_data") and "安装所需组件" in why
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


def test_without_pandas_the_features_are_greyed_with_what_to_click_and_come_back_after_install(iface, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        sentence = deps.unavailable_sentence("analysis")
        assert sentence.startswith("这项功能还缺少所需组件") and "安装所需组件" in sentence
        actions = {a.text(): a for a in iface.menus[MENU]}
        for text in ("导入数据…", "检查一张图包…", "人口暴露分析…", "转移避险分析…", "物资储备点选址…",
                     "DEM洼地（低洼易涝点筛查）…", "批量打印村图…", "预警叫应…"):
            assert not actions[text].isEnabled() and actions[text].toolTip() == sentence
        assert not plugin.dock.warn_button.isEnabled()
        assert actions["打开一张图包…"].isEnabled() and actions["安装所需组件…"].isEnabled()
        assert not plugin.dock.print_village_button.isEnabled() and plugin.dock.deps_note.text() == sentence
        assert "pandas" in iface.messages[-1][1]
        monkeypatch.delitem(sys.modules, "pandas")  # as after 安装所需组件: the dialog calls refresh_features
        assert plugin.refresh_features() == {}
        assert all(a.isEnabled() for a in actions.values()) and plugin.dock.deps_note.text() == ""
        assert actions["人口暴露分析…"].toolTip() == "人口暴露分析…"
        assert not iface.bar.widgets  # the banner went with what it asked for
    finally:
        plugin.unload()


def test_a_late_import_error_reads_as_the_sentence_not_an_english_exception():
    from risk_one_map.ui.tasks import one_line
    text = one_line(ModuleNotFoundError("No module named 'pandas'", name="pandas"))
    assert text == deps.missing_sentence(["pandas"]) and "No module" not in text


def test_cancelling_the_installer_leaves_the_plugin_folder_as_it_was(iface, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pandas", None)
    from risk_one_map.plugin import packages_dir
    folder = packages_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kept.txt").write_text("as it was")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "pandas-2.2.3-py3-none-any.whl").write_bytes(b"")
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        dialog = plugin.open_installer()
        dialog.wheels_edit.setText(str(wheels))
        dialog.offline.setChecked(True)
        assert dialog.start() and dialog.process is not None and not dialog.install_button.isEnabled()
        dialog.cancel()
        assert dialog.result == {"cancelled": True} and dialog.status.text() == "已取消，组件文件夹保持原样。"
        assert [p.name for p in folder.iterdir()] == ["kept.txt"]
        assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no scratch folder left behind
        assert dialog.install_button.isEnabled() and not dialog.cancel_button.isEnabled()
    finally:
        plugin.unload()
        (folder / "kept.txt").unlink()
