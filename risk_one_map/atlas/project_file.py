"""The styled project ``onemap.qgz`` of a package, with its print layouts (the village sheets, the county depot
sheet): above both the QGIS side of the model (qgis_glue: layers, styles) and the sheets' layouts (atlas)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import RiskOneMapError
from ..layers import model
from ..qgis_glue.project import load_package, package_crs, project_title


def write_project_headless(pkg_path) -> Path:
    """Write ``<pkg>/onemap.qgz``: every layer of the package styled and grouped, the package CRS, the county's
    title, paths relative to the package (so the folder can be copied or zipped). Starts a headless
    QgsApplication if none is running. Raises ImportError when PyQGIS is missing, RiskOneMapError on bad input."""
    from ..qgis_glue.app import ensure_app
    ensure_app()
    from qgis.core import QgsProject

    pkg = Path(pkg_path)
    project = QgsProject()
    try:
        layers = load_package(project, pkg)
        crs = package_crs(layers)
        if crs is not None:
            project.setCrs(crs)
        project.setTitle(project_title(layers))
        if "villages" in layers:
            # The village sheets as atlas layouts, for the layout designer (built from the package as it is now:
            # the CLI writes the project after the analyses).
            from .layout import add_village_layouts
            add_village_layouts(project, pkg, pages=["A3", "A4"], layers=layers)
        # the county depot sheet, once `site-depots` has run
        from .depot_sheet import add_depot_layouts
        add_depot_layouts(project, pkg, pages=["A3", "A4"])
        return save_project(project, layers, pkg / model.PROJECT_NAME)
    finally:
        project.clear()


def save_project(project, layers: dict, final: Path) -> Path:
    """Write ``project`` to ``final`` with paths relative to it and the admin layers' extent as its start view:
    to a temporary file beside the data first (same folder, so the same relative paths; a name not starting
    with a dot, which QGIS would carry into the .qgs inside the archive), then moved over the old project."""
    from qgis.core import QgsReferencedRectangle
    _relative_paths(project)
    extent = _full_extent(layers, project)
    if extent is not None:
        project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(extent, project.crs()))
    fd, tmp_name = tempfile.mkstemp(prefix=f"{final.stem}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        written = project.write(str(tmp))
        if not written or tmp.stat().st_size == 0:
            raise RiskOneMapError(f"QGIS could not write the project: {project.error()}", file=final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return final


# ------------------------------------------------------------------------------------------------ planning
def _relative_paths(project) -> None:
    try:
        from qgis.core import Qgis
        project.setFilePathStorage(Qgis.FilePathType.Relative)  # QGIS >= 3.22
    except (AttributeError, ImportError):
        project.writeEntry("Paths", "/Absolute", False)


def _full_extent(layers: dict, project):
    from qgis.core import QgsCoordinateTransform, QgsRectangle
    extent = QgsRectangle()
    extent.setMinimal()
    for key in ("county", "townships", "villages"):
        layer = layers.get(key)
        if layer is not None:
            tr = QgsCoordinateTransform(layer.crs(), project.crs(), project)
            extent.combineExtentWith(tr.transformBoundingBox(layer.extent()))
            break
    else:
        for layer in layers.values():
            if layer.isSpatial() if hasattr(layer, "isSpatial") else True:
                tr = QgsCoordinateTransform(layer.crs(), project.crs(), project)
                extent.combineExtentWith(tr.transformBoundingBox(layer.extent()))
    if extent.isEmpty():
        return None
    extent.scale(1.05)
    return extent
