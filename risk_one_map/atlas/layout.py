"""The village sheet in QGIS: sheet layers from ``SheetData``, the .qpt template loaded and bound, the atlas set.

``build_sheet_project`` serves the exporter (one in-memory project per process, reused for every page);
``add_village_layouts`` serves the project writer (onemap.qgz gets the A3/A4 atlas layouts a QGIS user opens in
the layout designer, with the sheet tables saved beside it in ``onemap_sheets.gpkg``). Needs QGIS, not the GUI.
The parts: layout_layers (sheet tables and helper layers), layout_bind (the template loaded and bound),
layout_fit (long tables and legends fitted to their frames).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import RiskOneMapError
from ..layers import model
from ..qgis_glue.style_results import style_route_heads, style_routes
from . import templates as T
from .layout_bind import bind_layout, load_layout
from .layout_layers import (
    ATLAS_CODE, HELPER_GROUP, ROUTE_HEADS, SHEETS_GPKG, SHEET_TABLE_FIELDS, helper_layers, label_whole_townships,
    sheet_layers, write_sheet_gpkg,
)
from .sheet_data import SheetData, build_sheet_data

__all__ = ["HELPER_GROUP", "SheetProject", "add_or_replace_layout", "add_village_layouts", "build_sheet_project",
           "hidden_group", "private_copy", "remove_group"]


@dataclass
class SheetProject:
    project: object
    layout: object
    atlas: object
    layers: dict  # load_package's {key: layer} plus the sheet and helper layers
    data: SheetData
    private_dir: Optional[Path] = None  # the package copy QGIS reads (see private_copy)

    def close(self) -> None:
        """Drop the layout and layers and remove the private package copy."""
        import shutil
        self.project.removeAllMapLayers()
        if self.private_dir is not None:
            shutil.rmtree(self.private_dir, ignore_errors=True)


def private_copy(package_dir) -> Path:
    """A throw-away copy of the package for QGIS to open: QGIS opens a GeoPackage in update mode and switches it
    to WAL journaling (changing the file and its time stamp) and may write .aux.xml statistics beside rasters;
    printing must never modify its input. The GeoPackage is copied, rasters are linked (copied where links fail).
    Removed at exit."""
    import atexit
    import shutil
    import tempfile
    src = Path(package_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f"risk-one-map-{os.getpid()}-sheet-"))  # swept by the next run if killed
    atexit.register(shutil.rmtree, str(tmp), True)
    for name in (model.GPKG_NAME, model.GPKG_NAME + "-wal"):
        if (src / name).is_file():
            shutil.copyfile(src / name, tmp / name)
    for name in (model.POPULATION_RASTER, model.DEM_RASTER):
        if (src / name).is_file():
            try:
                os.symlink((src / name).resolve(), tmp / name)
            except OSError:
                shutil.copyfile(src / name, tmp / name)
    return tmp


def build_sheet_project(package_dir, data: Optional[SheetData] = None, page: str = "A3", template=None,
                        feedback=None) -> SheetProject:
    """An in-memory project with the package's styled layers, the sheet layers and the bound sheet layout.
    QGIS reads a private copy of the package (``private_copy``), so the package itself is never touched."""
    from ..qgis_glue.app import ensure_app
    ensure_app()
    from qgis.core import QgsProject
    from ..qgis_glue.fonts import pick_cjk_font
    from ..qgis_glue.project import load_package
    data = data if data is not None else build_sheet_data(package_dir)
    package_dir = private_copy(package_dir)
    project = QgsProject()
    layers = load_package(project, package_dir, feedback=feedback)
    if "evacuation_routes" in layers:  # plain lines: the arrows are the route heads, one per shelter with a count
        style_routes(layers["evacuation_routes"], arrows=False)
    label_whole_townships(layers.get("townships"))
    helpers = helper_layers(Path(package_dir) / model.GPKG_NAME, pick_cjk_font())
    sheets = sheet_layers(data)
    style_route_heads(sheets[ROUTE_HEADS], pick_cjk_font(), only_where=f"\"village_code\" = {ATLAS_CODE}")
    helpers[ROUTE_HEADS] = sheets.pop(ROUTE_HEADS)
    for lyr in list(helpers.values()) + list(sheets.values()):
        project.addMapLayer(lyr, False)
    project.setCrs(sheets[T.SHEET_VILLAGES].crs())
    layout = load_layout(project, page, template)
    bind_layout(layout, layers, helpers, sheets)
    all_layers = dict(layers)
    all_layers.update(helpers)
    all_layers.update(sheets)
    return SheetProject(project=project, layout=layout, atlas=layout.atlas(), layers=all_layers, data=data,
                        private_dir=package_dir)


def add_village_layouts(project, pkg_path, page: str = "A3", layers: Optional[dict] = None,
                        pages=None) -> list:
    """Add the village sheet atlas layouts to ``project`` (which already holds the package, e.g. from
    ``load_package``), for QGIS users to preview and print in the layout designer.

    The sheet tables are written to ``<pkg>/onemap_sheets.gpkg`` (rewritten on each call, so call this after the
    analyses) and added under a collapsed, unchecked group. ``layers``: load_package's result (default: found in
    the project by source). ``pages``: several page sizes at once (default ``[page]``). Returns the layouts added.
    """
    from qgis.core import QgsVectorLayer
    from ..qgis_glue.fonts import pick_cjk_font
    pkg = Path(pkg_path)
    sizes = [str(p).upper() for p in (pages or [page])]
    data = build_sheet_data(pkg, page="A4" if "A4" in sizes else sizes[0])  # cells cut to the narrowest page
    sheets_path = write_sheet_gpkg(data, pkg / SHEETS_GPKG)
    layers = dict(layers) if layers else _layers_from_project(project, pkg)
    if "evacuation_routes" in layers:
        style_routes(layers["evacuation_routes"])
    helpers = helper_layers(pkg / model.GPKG_NAME, pick_cjk_font())
    sheets = {}
    for name in (T.SHEET_VILLAGES,) + tuple(SHEET_TABLE_FIELDS):
        lyr = QgsVectorLayer(f"{sheets_path}|layername={name}", name, "ogr")
        if not lyr.isValid():
            raise RiskOneMapError("QGIS cannot open the sheet table", file=sheets_path, layer=name)
        sheets[name] = lyr
    hidden_group(project, HELPER_GROUP, list(helpers.values()) + list(sheets.values()))
    added = []
    for size in (pages or [page]):
        layout = load_layout(project, size)
        bind_layout(layout, layers, helpers, sheets)
        added.append(add_or_replace_layout(project, layout))
    return added


def hidden_group(project, name: str, layers: list) -> None:
    """``layers`` in a collapsed, unchecked group ``name`` at the bottom of the layer tree: what print layouts draw
    and the user need not see. An older group of that name goes first, with its layers."""
    remove_group(project, name)
    group = project.layerTreeRoot().addGroup(name)
    for lyr in layers:
        project.addMapLayer(lyr, False)
        group.addLayer(lyr)
    group.setItemVisibilityCheckedRecursive(False)
    group.setExpanded(False)


def remove_group(project, name: str) -> None:
    """The group ``name`` and its layers out of the project (before their file is rewritten: Windows locks it)."""
    root = project.layerTreeRoot()
    old = root.findGroup(name)
    if old is not None:
        for layer_id in old.findLayerIds():
            project.removeMapLayer(layer_id)
        root.removeChildNode(old)


def add_or_replace_layout(project, layout):
    """Add ``layout`` to the project's layout manager in place of any layout of the same name."""
    manager = project.layoutManager()
    existing = manager.layoutByName(layout.name())
    if existing is not None:
        manager.removeLayout(existing)
    manager.addLayout(layout)
    return layout


def _layers_from_project(project, pkg: Path) -> dict:
    """load_package-style keys for the package's layers already in ``project``, found by their source."""
    out = {}
    gpkg = str((pkg / model.GPKG_NAME).resolve())
    for lyr in project.mapLayers().values():
        source = lyr.source()
        path, _, rest = source.partition("|")
        if not path or Path(path).resolve() != Path(gpkg):
            if lyr.name() == "地形晕渲（DEM）" or Path(path).name == model.DEM_RASTER:
                out.setdefault("dem", lyr)
            continue
        name = rest.split("layername=", 1)[1].split("|")[0] if "layername=" in rest else None
        if not name:
            continue
        if name == "risk_zones":
            subset = lyr.subsetString() if hasattr(lyr, "subsetString") else ""
            hazard = next((h.key for h in model.HAZARD_TYPES if f"'{h.key}'" in subset), "other")
            out[f"risk_zones:{hazard}"] = lyr
        else:
            out.setdefault(name, lyr)
    return out
