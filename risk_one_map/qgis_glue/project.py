"""A package as QGIS layers: every layer loaded into a project, grouped, named in Chinese and styled.

``load_package(project, path)`` is the one loader (the plugin's 打开一张图包, Processing, the print layouts;
``add_package`` puts it into an open project without doubling it); ``atlas.project_file`` writes onemap.qgz from it.
Group, layer names, aliases and colours all come from ``model``; styles from ``style``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import Cancelled, RiskOneMapError
from ..layers import model
from ..settings import layer_file

GROUP_ANALYSIS = model.GROUP_ANALYSIS  # analysis outputs and layers the model does not know, above everything else
OTHER_HAZARD = "other"


@dataclass(frozen=True)
class RasterSpec:
    key: str
    file: str
    zh: str
    group: str
    visible: bool


RASTERS = (
    RasterSpec("population", model.POPULATION_RASTER, "人口分布（人/格）", model.GROUP_NETWORK, False),
    RasterSpec("dem", model.DEM_RASTER, "地形晕渲（DEM）", model.GROUP_ADMIN, True),
)
# In the legend, unchecked: planning inputs (land_use also covers the whole county); analysis outputs that repeat a
# shown layer (shelter_load, the shelters), cover the map (exposure_villages, shelter_isochrones) or matter only
# zoomed in (evacuees).
HIDDEN_BY_DEFAULT = {"depot_candidates", "exposure_villages", "evacuees", "shelter_load", "shelter_isochrones",
                     "depot_allocation", "land_use"}

_KIND_OF_FAMILY = {"Point": "point", "LineString": "line", "Polygon": "polygon"}
# Drawing order inside a group: points over lines over polygons over tables; rasters at the bottom.
_GEOMETRY_RANK = {"point": 0, "line": 1, "polygon": 2, "table": 3, "raster": 4}


def risk_zone_layer_name(hazard_key: str) -> str:
    hazard = model.HAZARD_BY_KEY.get(hazard_key)
    return f"{model.layer_spec('risk_zones').zh}-{hazard.zh if hazard else '其他'}"


def gpkg_layer_names(gpkg: Path) -> list:
    """Layer names of a GeoPackage in file order (GDAL's ogr ships with every QGIS)."""
    from osgeo import ogr
    ds = ogr.Open(str(gpkg), 0)
    if ds is None:
        raise RiskOneMapError("cannot open the GeoPackage", file=gpkg)
    try:
        return [ds.GetLayerByIndex(i).GetName() for i in range(ds.GetLayerCount())]
    finally:
        ds = None


def load_package(project, pkg_path, feedback=None, parent_group=None) -> dict:
    """Add every layer of the package at ``pkg_path`` to ``project`` (a QgsProject), grouped as ``model.GROUPS``
    says (top first), named in Chinese, with Chinese field aliases, styled.

    Returns ``{key: layer}``: model layer names, ``risk_zones:<hazard>`` for the per-hazard risk-zone layers,
    ``population`` and ``dem`` for the rasters, the GeoPackage name for any other layer. ``feedback`` (a
    QgsFeedback) gets progress and may cancel; on cancel or error the groups added so far are removed again.
    """
    from qgis.core import QgsProject  # noqa: F401  (ImportError when there is no PyQGIS)
    from . import style as qgis_style
    from .fonts import pick_cjk_font
    from .relations import link_ledger

    pkg = Path(pkg_path)
    gpkg = pkg / model.GPKG_NAME
    if not gpkg.is_file():
        raise RiskOneMapError(f"not a one-map package: {model.GPKG_NAME} is missing", file=pkg)
    font = pick_cjk_font()
    root = parent_group if parent_group is not None else project.layerTreeRoot()
    entries = _plan(pkg, gpkg_layer_names(gpkg))
    added_groups, layers = [], {}
    try:
        groups = _make_groups(root, entries, added_groups)
        for i, entry in enumerate(entries):
            if feedback is not None:
                if feedback.isCanceled():
                    raise Cancelled("cancelled by the user; the package was not loaded")
                feedback.setProgress(100.0 * i / max(1, len(entries)))
            layer = entry.make_layer()
            if not layer.isValid():
                raise RiskOneMapError("QGIS cannot open this layer", file=entry.path, layer=entry.source_name)
            if entry.kind != "raster":
                qgis_style.apply_field_config(layer, entry.spec)
            qgis_style.apply_style(layer, entry.style_key(layer), font)
            project.addMapLayer(layer, False)
            node = groups[entry.group].addLayer(layer)
            node.setItemVisibilityChecked(entry.visible)
            if entry.kind in ("raster", "table") or entry.key.startswith("risk_zones:"):
                node.setExpanded(False)  # short legend: the shown risk layer's classes, not every layer's
            layers[entry.key] = layer
            if feedback is not None:
                feedback.pushInfo(f"{entry.name}: {_count(layer)}")
        link_ledger(project, layers)  # a ledger site's form lists its treatment records and status changes
        risk = groups.get(model.GROUP_RISK)
        if risk is not None and risk.children():
            # One hazard type at a time, like switching map sheets; first shown: the one with the most zones at
            # high and upper-middle risk (levels 1-2), the county's most pressing hazard, not the first in the list.
            shown = _most_pressing(risk.children())
            risk.setIsMutuallyExclusive(len(risk.children()) > 1, shown)
            risk.children()[shown].setExpanded(True)
    except BaseException:
        for group in added_groups:
            for layer_id in group.findLayerIds():
                project.removeMapLayer(layer_id)
            root.removeChildNode(group)
        raise
    if feedback is not None:
        feedback.setProgress(100.0)
    return layers


def add_package(project, pkg_path, feedback=None) -> dict:
    """Put the package into an open project the way a user expects, from every door (the plugin's 打开一张图包,
    Processing's "load into the current project"): into an empty project at the top, with its CRS and title;
    beside the user's own layers in one group named after the folder; and loaded again, not twice: the layers the
    project already reads from this package's folder (and the groups that held only them) go first."""
    pkg = Path(pkg_path)
    _remove_package_layers(project, pkg)
    was_empty = not project.mapLayers()
    parent = None if was_empty else project.layerTreeRoot().insertGroup(0, pkg.name)
    try:
        layers = load_package(project, pkg, feedback=feedback, parent_group=parent)
    except BaseException:
        if parent is not None:
            project.layerTreeRoot().removeChildNode(parent)
        raise
    if was_empty:
        crs = package_crs(layers)
        if crs is not None:
            project.setCrs(crs)
        if not project.title():
            project.setTitle(project_title(layers))
    return layers


def _remove_package_layers(project, pkg: Path) -> None:
    target = _resolved(pkg)
    own = [lid for lid, layer in project.mapLayers().items()
           if layer_file(layer)[0] is not None and _resolved(layer_file(layer)[0]).parent == target]
    if not own:
        return
    mine = set(own)

    def drop_own_groups(group) -> None:  # groups that hold only this package's layers (the user's stay)
        from qgis.core import QgsLayerTree
        for child in list(group.children()):
            if not QgsLayerTree.isGroup(child):
                continue
            ids = set(child.findLayerIds())
            if ids and ids <= mine:
                group.removeChildNode(child)
            else:
                drop_own_groups(child)
    drop_own_groups(project.layerTreeRoot())
    project.removeMapLayers(own)


def _resolved(path: Path):
    try:
        return path.resolve()
    except OSError:
        return path


def _most_pressing(nodes) -> int:
    """Index of the risk-zone layer node with the most features at risk levels 1-2 (the first on a tie)."""
    from qgis.core import QgsFeatureRequest
    counts = []
    for node in nodes:
        layer = node.layer() if hasattr(node, "layer") else None
        if layer is None or layer.fields().indexOf("risk_level") < 0:
            counts.append(-1)
            continue
        request = QgsFeatureRequest().setFilterExpression('"risk_level" <= 2')
        request.setFlags(QgsFeatureRequest.NoGeometry).setNoAttributes()
        counts.append(sum(1 for _ in layer.getFeatures(request)))
    return max(range(len(counts)), key=lambda i: (counts[i], -i)) if counts else 0


def package_crs(layers: dict):
    """The package CRS: the villages layer's, else the first spatial layer's (as Package.crs says)."""
    for key in ["villages"] + list(layers):
        layer = layers.get(key)
        if layer is not None and layer.crs().isValid() and (not hasattr(layer, "isSpatial") or layer.isSpatial()):
            return layer.crs()
    return None


def county_name(layers: dict) -> Optional[str]:
    """The name of the first feature of the county layer, if any."""
    layer = layers.get("county")
    if layer is None or layer.fields().indexOf("name") < 0:
        return None
    for feature in layer.getFeatures():
        name = feature["name"]
        if name not in (None, "") and str(name) != "NULL":
            return str(name)
    return None


def project_title(layers: dict) -> str:
    name = county_name(layers)
    return f"{name}风险隐患一张图" if name else "风险隐患一张图"


def _plan(pkg: Path, names: list) -> list:
    """What to load, in final order: groups top first, and inside each group points, lines, polygons, tables,
    rasters, then model order."""
    gpkg = pkg / model.GPKG_NAME
    model_index = {s.name: i for i, s in enumerate(model.LAYERS + model.OUTPUT_LAYERS)}
    entries = []
    for name in names:
        if name == model.SOURCES_TABLE:  # where the data came from: read by the sheets, not a map layer
            continue
        spec = model.layer_spec_any(name)  # a model layer or an analysis output (aliases, geometry of an empty one)
        kind = _vector_kind(gpkg, name)
        geometry_type = None
        if kind == "unknown":  # e.g. an empty layer written without a geometry type: take the model's
            geometry_type = spec.geometry[0] if spec is not None and spec.geometry else None
            kind = _KIND_OF_FAMILY.get(geometry_type, "polygon")
        if name == "risk_zones":
            entries += _risk_zone_entries(gpkg, spec, kind, model_index[name])
            continue
        entries.append(_Entry(
            key=name, source_name=name, name=model.layer_title(name), group=spec.group if spec else GROUP_ANALYSIS,
            kind=kind, order=model_index.get(name, len(model_index) + len(entries)), path=gpkg, spec=spec,
            geometry_type=geometry_type,
            visible=name not in HIDDEN_BY_DEFAULT))
    for r in RASTERS:
        if (pkg / r.file).is_file():
            entries.append(_Entry(key=r.key, source_name=r.file, name=r.zh, group=r.group, kind="raster",
                                  order=0, path=pkg / r.file, raster=r, visible=r.visible))
    group_rank = {g: i for i, g in enumerate((GROUP_ANALYSIS,) + tuple(model.GROUPS))}
    entries.sort(key=lambda e: (group_rank.get(e.group, len(group_rank)), _GEOMETRY_RANK[e.kind], e.order))
    return entries


def _risk_zone_entries(gpkg: Path, spec, kind: str, order: int) -> list:
    """One layer per hazard type present (filtered by a subset string), in the model's hazard order, plus one for
    values the model does not know."""
    present = _distinct_values(gpkg, "risk_zones", "hazard_type")
    entries = []
    for i, hazard in enumerate(model.HAZARD_TYPES):
        if hazard.key in present:
            entries.append(_Entry(key=f"risk_zones:{hazard.key}", source_name="risk_zones",
                                  name=risk_zone_layer_name(hazard.key), group=spec.group, kind=kind,
                                  order=order * 100 + i, path=gpkg, spec=spec, subset=f"\"hazard_type\" = '{hazard.key}'"))
    known = [h.key for h in model.HAZARD_TYPES]
    if present - set(known):
        listed = ", ".join(f"'{k}'" for k in known)
        entries.append(_Entry(key=f"risk_zones:{OTHER_HAZARD}", source_name="risk_zones",
                              name=risk_zone_layer_name(OTHER_HAZARD), group=spec.group, kind=kind,
                              order=order * 100 + 99, path=gpkg, spec=spec,
                              subset=f"\"hazard_type\" IS NULL OR \"hazard_type\" NOT IN ({listed})"))
    return entries


def _distinct_values(gpkg: Path, layer: str, field: str) -> set:
    from osgeo import ogr
    ds = ogr.Open(str(gpkg), 0)
    try:
        sql = ds.ExecuteSQL(f'SELECT DISTINCT "{field}" FROM "{layer}"')
        values = set()
        for feature in sql:
            values.add(feature.GetField(0))
        ds.ReleaseResultSet(sql)
        return values
    finally:
        ds = None


def _vector_kind(gpkg: Path, name: str) -> str:
    from osgeo import ogr
    ds = ogr.Open(str(gpkg), 0)
    try:
        lyr = ds.GetLayerByName(name)
        flat = ogr.GT_Flatten(lyr.GetGeomType()) if lyr is not None else ogr.wkbNone
        if flat in (ogr.wkbPoint, ogr.wkbMultiPoint):
            return "point"
        if flat in (ogr.wkbLineString, ogr.wkbMultiLineString):
            return "line"
        if flat in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
            return "polygon"
        return "unknown" if flat != ogr.wkbNone else "table"
    finally:
        ds = None


def _make_groups(root, entries, added: list) -> dict:
    """New groups for the entries, in order, at the top of ``root`` (never mixed with a user's own layers)."""
    groups = {}
    wanted = []
    for e in entries:
        if e.group not in wanted:
            wanted.append(e.group)
    for i, name in enumerate(wanted):
        group = root.insertGroup(i, name)
        added.append(group)
        groups[name] = group
    return groups


def _count(layer) -> str:
    from qgis.core import QgsRasterLayer
    if isinstance(layer, QgsRasterLayer):
        return f"{layer.width()} × {layer.height()} cells"
    return f"{layer.featureCount()} features"


@dataclass
class _Entry:
    key: str
    source_name: str
    name: str
    group: str
    kind: str  # point, line, polygon, table, raster
    order: int
    path: Path
    spec: Optional[model.LayerSpec] = None
    subset: Optional[str] = None
    raster: Optional[RasterSpec] = None
    geometry_type: Optional[str] = None  # forced geometry type (model family) for layers that declare none
    visible: bool = True

    def make_layer(self):
        from qgis.core import QgsRasterLayer, QgsVectorLayer
        if self.raster is not None:
            return QgsRasterLayer(str(self.path), self.name, "gdal")
        uri = f"{self.path}|layername={self.source_name}"
        if self.geometry_type:
            uri += f"|geometrytype={self.geometry_type}"
        if self.subset:
            # In the URI, not setSubsetString() afterwards: with GDAL 3.6 a second subset layer on the same table
            # invalidates the first one's connection (featureCount -1, "unable to open database file").
            uri += f"|subset={self.subset}"  # last: QGIS reads the rest of the URI as the subset
        return QgsVectorLayer(uri, self.name, "ogr")

    def style_key(self, layer) -> str:
        from .style import style_key
        if self.raster is not None:
            return self.raster.key
        return style_key(self.source_name, layer.geometryType())
