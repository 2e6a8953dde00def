"""The layers a village sheet draws besides the package's: the sheet tables and route arrows in memory and in
onemap_sheets.gpkg, and the helper layers (this village highlighted, the mask outside it, the locator map).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import RiskOneMapError
from ..layers import model
from . import templates as T
from .sheet_data import SheetData


SHEETS_GPKG = "onemap_sheets.gpkg"
HELPER_GROUP = "村图制图（勿删）"
# Helper layers on the package's villages/townships, named as the legend shows them.
HIGHLIGHT, MASK = "本村界线", "村外范围"
LOCATOR_HIGHLIGHT, LOCATOR_VILLAGES, LOCATOR_TOWNSHIPS = "位置图-本村", "位置图-村界", "位置图-镇界"
RISK_LEGEND = "风险区划（各灾种最高等级）"
ATLAS_CODE = "attribute(@atlas_feature, 'code')"
ROUTE_HEADS = "撤离方向及人数"  # one arrow per village and shelter (sheet_card.route_heads)
# Main map, top first: load_package keys (``risk_zones:*`` expands to every hazard layer present).
OPEN_SITES = "台账隐患（未整改）"  # the ledger's open sites (layers.model LEDGER_OPEN_STATUSES)
MAIN_MAP_KEYS = (ROUTE_HEADS, "geohazard_points", "flood_lowpoints", OPEN_SITES, "shelters", "depots",
                 "evacuation_routes", "roads", "villages", "townships", "geohazard_zones", "evacuation_zones",
                 "dem_depressions", RISK_LEGEND, "dem")
SHEET_TABLE_FIELDS = {
    "sheet_hazards": ("village_code", "name", "kind", "level", "households", "people", "monitor", "phone"),
    "sheet_shelters": ("village_code", "name", "class", "capacity", "assigned", "distance"),
    "sheet_persons": ("village_code", "role", "name", "phone"),
    "sheet_exposure": ("village_code", "hazard", "l1", "l2", "l3", "l4", "l5", "total"),
}
VILLAGE_FIELDS = ("code", "name", "township_code", "township", "county", "title", "subtitle", "sheet_no", "date",
                  "unit", "footer", "card", "alert", "route_note", "exposure_note", "population", "sources")
BOUND_FIELDS = ("tx0", "ty0", "tx1", "ty1")


def _qgis_crs(crs):
    from qgis.core import QgsCoordinateReferenceSystem
    if crs is None:
        return QgsCoordinateReferenceSystem()
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    if epsg:
        return QgsCoordinateReferenceSystem(f"EPSG:{epsg}")
    return QgsCoordinateReferenceSystem.fromWkt(crs.to_wkt())


def memory_layer(name: str, fields, rows, crs=None, geometries=None, numeric=(), kind: str = "MultiPolygon"):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant
    uri = kind if geometries is not None else "None"
    layer = QgsVectorLayer(uri, name, "memory")
    if geometries is not None:
        layer.setCrs(_qgis_crs(crs))
    provider = layer.dataProvider()
    provider.addAttributes([QgsField(f, QVariant.Double if f in numeric else QVariant.String) for f in fields])
    layer.updateFields()
    feats = []
    for i, row in enumerate(rows):
        feat = QgsFeature(layer.fields())
        feat.setAttributes([float(row[f]) if f in numeric else ("" if row[f] is None else str(row[f]))
                            for f in fields])
        if geometries is not None:
            geom = QgsGeometry()
            geom.fromWkb(geometries[i])
            if kind.startswith("Multi") and not geom.isMultipart():
                geom.convertToMultiType()
            feat.setGeometry(geom)
        feats.append(feat)
    provider.addFeatures(feats)
    layer.updateExtents()
    return layer


def sheet_layers(data: SheetData) -> dict:
    """{name: memory layer}: ``sheet_villages`` (the atlas coverage) and one table layer per sheet table."""
    import shapely
    v = data.villages
    wkb = [shapely.to_wkb(g) for g in v.geometry]
    out = {T.SHEET_VILLAGES: memory_layer(T.SHEET_VILLAGES, VILLAGE_FIELDS + BOUND_FIELDS,
                                           v.drop(columns="geometry").to_dict("records"), data.crs, wkb,
                                           numeric=BOUND_FIELDS)}
    for name, fields in SHEET_TABLE_FIELDS.items():
        frame = getattr(data, name.split("_", 1)[1])
        out[name] = memory_layer(name, fields, frame[list(fields)].to_dict("records"))
    heads = data.route_heads
    out[ROUTE_HEADS] = memory_layer(ROUTE_HEADS, ("village_code", "shelter", "label", "people", "angle"),
                                     heads.to_dict("records"), data.crs,
                                     [shapely.to_wkb(shapely.Point(x, y)) for x, y in zip(heads["x"], heads["y"])],
                                     numeric=("people", "angle"), kind="Point")
    return out


def write_sheet_gpkg(data: SheetData, path) -> Path:
    """Save the sheet layers to a GeoPackage (for onemap.qgz, whose memory layers would not survive a save)."""
    import pyogrio
    from ..layers.package import atomic_path
    path = Path(path)
    with atomic_path(path, suffix=".gpkg") as tmp:
        pyogrio.write_dataframe(data.villages[list(VILLAGE_FIELDS + BOUND_FIELDS) + ["geometry"]], tmp,
                                layer=T.SHEET_VILLAGES, driver="GPKG", promote_to_multi=True)
        for name, fields in SHEET_TABLE_FIELDS.items():
            frame = getattr(data, name.split("_", 1)[1])[list(fields)]
            pyogrio.write_dataframe(frame.astype(str), tmp, layer=name, driver="GPKG")
    return path


def helper_layers(gpkg: Path, font: str) -> dict:
    """Village highlight and outside mask for the main map; plain outlines for the locator map."""
    from qgis.core import (QgsFillSymbol, QgsInvertedPolygonRenderer, QgsRuleBasedRenderer,
                           QgsSingleSymbolRenderer, QgsVectorLayer)

    def layer(name, source):
        lyr = QgsVectorLayer(f"{gpkg}|layername={source}", name, "ogr")
        if not lyr.isValid():
            raise RiskOneMapError("QGIS cannot open this layer", file=gpkg, layer=source)
        lyr.setLabelsEnabled(False)
        return lyr

    def only_atlas_village(symbol, label):
        root = QgsRuleBasedRenderer.Rule(None)
        root.appendChild(QgsRuleBasedRenderer.Rule(symbol, 0, 0, f"\"code\" = {ATLAS_CODE}", label))
        return QgsRuleBasedRenderer(root)

    out = {}
    hl = layer(HIGHLIGHT, "villages")
    hl.setRenderer(only_atlas_village(QgsFillSymbol.createSimple(
        {"style": "no", "outline_color": "#c00000", "outline_width": "1.1", "joinstyle": "round"}), HIGHLIGHT))
    out[HIGHLIGHT] = hl
    mask = layer(MASK, "villages")
    inner = only_atlas_village(QgsFillSymbol.createSimple(
        {"color": "215,215,215,175", "outline_style": "no"}), MASK)
    mask.setRenderer(QgsInvertedPolygonRenderer(inner))
    out[MASK] = mask
    lh = layer(LOCATOR_HIGHLIGHT, "villages")
    lh.setRenderer(only_atlas_village(QgsFillSymbol.createSimple(
        {"color": "#e31a1c", "outline_color": "#8b0000", "outline_width": "0.3"}), LOCATOR_HIGHLIGHT))
    out[LOCATOR_HIGHLIGHT] = lh
    lv = layer(LOCATOR_VILLAGES, "villages")
    lv.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
        {"color": "#ffffff", "outline_color": "#9a9a9a", "outline_width": "0.15"})))
    out[LOCATOR_VILLAGES] = lv
    lt = layer(LOCATOR_TOWNSHIPS, "townships")
    lt.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(
        {"style": "no", "outline_color": "#303030", "outline_width": "0.45"})))
    out[LOCATOR_TOWNSHIPS] = lt
    present = _gpkg_layers(gpkg)
    if "risk_zones" in present:
        out[RISK_LEGEND] = _risk_layer(layer(RISK_LEGEND, "risk_zones"))
    if "hazard_sites" in present:
        out[OPEN_SITES] = _open_sites_layer(layer(OPEN_SITES, "hazard_sites"), "hazard_treatment" in present, font)
    return out


def _open_sites_layer(lyr, has_treatment: bool, font: str):
    """The ledger's sites still open (as the sheet's 隐患清单 lists them), styled as in the project; a site with no
    treatment record is 待交办, so open."""
    from ..qgis_glue.style import apply_style
    if has_treatment:
        done = ", ".join(f"'{s}'" for s in model.LEDGER_STATUSES if s not in model.LEDGER_OPEN_STATUSES)
        lyr.setSubsetString(f'"id" NOT IN (SELECT "site_id" FROM "hazard_treatment" WHERE '
                            f'"site_layer" = \'hazard_sites\' AND "status" IN ({done}))')
    apply_style(lyr, "hazard_sites", font)
    return lyr


def _gpkg_layers(gpkg: Path) -> set:
    from ..qgis_glue.project import gpkg_layer_names
    return set(gpkg_layer_names(gpkg))


def _risk_layer(lyr):
    """All hazard types in one layer coloured by level, the highest level drawn on top: where zones of several
    hazards overlap the sheet shows the worst (the per-hazard layers stay in the project for the analyst)."""
    from qgis.core import QgsCategorizedSymbolRenderer, QgsFillSymbol, QgsRendererCategory
    from qgis.PyQt.QtGui import QColor
    categories = []
    for level in sorted(model.RISK_LEVELS):
        colour = QColor(model.RISK_LEVEL_COLOURS[level])
        symbol = QgsFillSymbol.createSimple({"color": colour.name(), "outline_style": "no"})
        symbol.symbolLayer(0).setRenderingPass(len(model.RISK_LEVELS) - level)
        label = model.level_label(level)
        categories.append(QgsRendererCategory(level, symbol, label if label.endswith("风险") else f"{label}风险"))
    renderer = QgsCategorizedSymbolRenderer("risk_level", categories)
    renderer.setUsingSymbolLevels(True)
    lyr.setRenderer(renderer)
    lyr.setOpacity(0.5)
    return lyr


def label_whole_townships(layer) -> None:
    """Place township names on the whole township, not on its part inside the map: QGIS cuts a large polygon at the
    map edge first and GEOS rejects the slivers that leaves ("Invalid number of points in LinearRing")."""
    from qgis.core import QgsVectorLayerSimpleLabeling
    labeling = layer.labeling() if layer is not None else None
    if isinstance(labeling, QgsVectorLayerSimpleLabeling):
        settings = labeling.settings()
        settings.centroidWhole = True
        layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))


def main_map_layers(layers: dict, helpers: dict) -> list:
    out = [helpers[HIGHLIGHT], helpers[MASK]]
    for key in MAIN_MAP_KEYS:
        lyr = helpers.get(key) or layers.get(key)
        if lyr is not None:
            out.append(lyr)
    return out
