"""An analysis writes its layers into a package whose layers are open in QGIS (the plugin's everyday case). On
Windows a file QGIS holds open cannot be replaced, so the layers are swapped in inside the same file: the file
keeps its identity, and the project's layers read the new features once reloaded."""
from __future__ import annotations

import os
import shutil

from qgis.core import QgsProject

from risk_one_map.jobs import exposure
from risk_one_map.layers.package import Package
from risk_one_map.qgis_glue.project import add_package


def test_an_analysis_writes_into_a_package_open_in_qgis(sample_package, tmp_path):
    pkg_dir = tmp_path / "county"
    shutil.copytree(sample_package.path, pkg_dir)
    project = QgsProject()
    try:
        exposure.run(pkg_dir, charts=False)
        add_package(project, pkg_dir)  # every layer open, exposure_villages among them
        open_layer = next(lyr for lyr in project.mapLayers().values() if "layername=exposure_villages" in lyr.source())
        villages = Package(pkg_dir).read("exposure_villages")
        inode = os.stat(Package(pkg_dir).gpkg).st_ino
        assert open_layer.featureCount() == len(villages)
        exposure.run(pkg_dir, charts=False, mode="fast")  # written again while QGIS reads it
        assert os.stat(Package(pkg_dir).gpkg).st_ino == inode
        open_layer.reload()
        assert open_layer.isValid() and open_layer.featureCount() == len(villages)
        layers = add_package(project, pkg_dir)  # what the plugin does after a run: loaded again, not twice
        assert all(layer.isValid() for layer in layers.values())
        names = [lyr.source() for lyr in project.mapLayers().values() if "layername=exposure_villages" in lyr.source()]
        assert len(names) == 1
    finally:
        project.clear()
