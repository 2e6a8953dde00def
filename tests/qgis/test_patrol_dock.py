"""The dock's 导出本镇巡查包 button opens the patrolexport dialog for the township picked in the dock."""
from __future__ import annotations

import shutil

from qgis.core import QgsProject

import risk_one_map


def test_patrol_button_fills_in_the_township_and_a_folder_beside_the_package(iface, sample_package, tmp_path,
                                                                              monkeypatch):
    import processing
    county = shutil.copytree(sample_package.path, tmp_path / "county")
    QgsProject.instance().clear()
    plugin = risk_one_map.classFactory(iface)
    plugin.initGui()
    try:
        dock = plugin.dock
        assert not dock.patrol_button.isEnabled()  # no package, no township
        assert dock.set_package(county) and dock.patrol_button.isEnabled()
        opened = []
        monkeypatch.setattr(processing, "execAlgorithmDialog", lambda alg, params: opened.append((alg, params)))
        dock.patrol_button.click()
        town = dock.township()
        assert opened == [("riskonemap:patrolexport", {"PACKAGE": str(county), "TOWNSHIP": town["code"],
                                                        "OUT": str(county.parent / f"巡查包_{town['name']}")})]
    finally:
        plugin.unload()
        QgsProject.instance().clear()
