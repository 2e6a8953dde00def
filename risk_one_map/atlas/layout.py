"""The village sheet in QGIS: sheet layers from ``SheetData``, the .qpt template loaded and bound, the atlas set.

``build_sheet_project`` serves the exporter (one in-memory project per process, reused for every page);
``add_village_layouts`` serves the project writer (onemap.qgz gets the A3/A4 atlas layouts a QGIS user opens in
the layout designer, with the sheet tables saved beside it in ``onemap_sheets.gpkg``). Needs QGIS, not the GUI.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import RiskOneMapError
from ..layers import model
from ..qgis_glue.style import (ROUTE_LEGEND, style_route_heads,  # noqa: F401 (ROUTE_LEGEND kept importable here)
                                  style_routes)
from . import templates as T
from .sheet_data import SheetData, build_sheet_data

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
MAIN_MAP_KEYS = (ROUTE_HEADS, "geohazard_points", "flood_lowpoints", OPEN_SITES, "shelters", "depots", "evacuation_routes",
                 "roads", "villages", "townships", "geohazard_zones", "evacuation_zones", RISK_LEGEND, "dem")
SHEET_TABLE_FIELDS = {
    "sheet_hazards": ("village_code", "name", "kind", "level", "households", "people", "monitor", "phone"),
    "sheet_shelters": ("village_code", "name", "class", "capacity", "assigned", "distance"),
    "sheet_persons": ("village_code", "role", "name", "phone"),
    "sheet_exposure": ("village_code", "hazard", "l1", "l2", "l3", "l4", "l5", "total"),
}
VILLAGE_FIELDS = ("code", "name", "township_code", "township", "county", "title", "subtitle", "sheet_no", "date",
                  "unit", "footer", "card", "alert", "route_note", "exposure_note", "population", "sources")
BOUND_FIELDS = ("tx0", "ty0", "tx1", "ty1")


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


# ------------------------------------------------------------------------------------------------ sheet layers
def _qgis_crs(crs):
    from qgis.core import QgsCoordinateReferenceSystem
    if crs is None:
        return QgsCoordinateReferenceSystem()
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    if epsg:
        return QgsCoordinateReferenceSystem(f"EPSG:{epsg}")
    return QgsCoordinateReferenceSystem.fromWkt(crs.to_wkt())


def _memory_layer(name: str, fields, rows, crs=None, geometries=None, numeric=(), kind: str = "MultiPolygon"):
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
    out = {T.SHEET_VILLAGES: _memory_layer(T.SHEET_VILLAGES, VILLAGE_FIELDS + BOUND_FIELDS,
                                           v.drop(columns="geometry").to_dict("records"), data.crs, wkb,
                                           numeric=BOUND_FIELDS)}
    for name, fields in SHEET_TABLE_FIELDS.items():
        frame = getattr(data, name.split("_", 1)[1])
        out[name] = _memory_layer(name, fields, frame[list(fields)].to_dict("records"))
    heads = data.route_heads
    out[ROUTE_HEADS] = _memory_layer(ROUTE_HEADS, ("village_code", "shelter", "label", "people", "angle"),
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


# ------------------------------------------------------------------------------------------------ helper layers
def _helper_layers(gpkg: Path, font: str) -> dict:
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


def _label_whole_townships(layer) -> None:
    """Place township names on the whole township, not on its part inside the map: QGIS cuts a large polygon at the
    map edge first and GEOS rejects the slivers that leaves ("Invalid number of points in LinearRing")."""
    from qgis.core import QgsVectorLayerSimpleLabeling
    labeling = layer.labeling() if layer is not None else None
    if isinstance(labeling, QgsVectorLayerSimpleLabeling):
        settings = labeling.settings()
        settings.centroidWhole = True
        layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))


def _main_layers(layers: dict, helpers: dict) -> list:
    out = [helpers[HIGHLIGHT], helpers[MASK]]
    for key in MAIN_MAP_KEYS:
        lyr = helpers.get(key) or layers.get(key)
        if lyr is not None:
            out.append(lyr)
    return out


# ------------------------------------------------------------------------------------------------ the layout
def radical_map(family: str) -> dict:
    """{radical code point: ideograph} for glyphs ``family`` shares between the radical blocks and the unified
    ideographs (for ``pdf_text.fix_tounicode``), plus Unicode's Kangxi decompositions."""
    from qgis.PyQt.QtGui import QFont, QRawFont
    from .pdf_text import RADICAL_RANGE, kangxi_map
    out = kangxi_map()
    raw = QRawFont.fromFont(QFont(family))
    if not raw.isValid():
        return out
    first = {}
    start = 0x4E00
    for offset, glyph in enumerate(raw.glyphIndexesForString("".join(chr(c) for c in range(start, 0xA000)))):
        if glyph:
            first.setdefault(glyph, start + offset)
    radicals = "".join(chr(c) for c in RADICAL_RANGE)
    for offset, glyph in enumerate(raw.glyphIndexesForString(radicals)):
        if glyph and glyph in first:
            out[RADICAL_RANGE.start + offset] = first[glyph]
    return out


def load_layout(project, page: str = "A3", template=None):
    """A QgsPrintLayout from the .qpt of ``page`` (or ``template``), with fonts swapped for the CJK family here."""
    from qgis.core import QgsPrintLayout, QgsReadWriteContext
    from qgis.PyQt.QtXml import QDomDocument
    from ..qgis_glue.fonts import pick_cjk_font
    path = Path(template) if template else T.template_path(page)
    if not path.is_file():
        raise RiskOneMapError("the layout template is missing (run scripts/make_layouts.py)", file=path)
    doc = QDomDocument()
    if not doc.setContent(path.read_text(encoding="utf-8")):
        raise RiskOneMapError("the layout template is not valid XML", file=path)
    layout = QgsPrintLayout(project)
    _items, ok = layout.loadFromTemplate(doc, QgsReadWriteContext())
    if not ok:
        raise RiskOneMapError("QGIS could not read the layout template", file=path)
    layout.setName(f"村风险隐患一张图 {T.spec_for(page).name}")
    apply_font(layout, pick_cjk_font())
    return layout


def apply_font(layout, family: str) -> None:
    """Set ``family`` on every text of the layout (labels, tables, legend, scale bar, grid), keeping sizes, with a
    Latin family before it so that letters and digits stay extractable (``qgis_fonts.with_latin_first``)."""
    from qgis.core import (QgsLayoutItemAttributeTable, QgsLayoutItemLabel, QgsLayoutItemLegend,
                           QgsLayoutItemMap, QgsLayoutItemScaleBar, QgsLegendStyle)
    from ..qgis_glue.fonts import with_latin_first

    def swap(fmt):
        fmt.setFont(with_latin_first(fmt.font(), family))
        return fmt

    for item in layout.items():
        if isinstance(item, QgsLayoutItemLabel):
            item.setFont(with_latin_first(item.font(), family))
        elif isinstance(item, QgsLayoutItemLegend):
            for style in (QgsLegendStyle.Title, QgsLegendStyle.Group, QgsLegendStyle.Subgroup,
                          QgsLegendStyle.SymbolLabel):
                item.setStyleFont(style, with_latin_first(item.styleFont(style), family))
        elif isinstance(item, QgsLayoutItemScaleBar):
            item.setTextFormat(swap(item.textFormat()))
        elif isinstance(item, QgsLayoutItemMap):
            for grid in item.grids().asList():
                grid.setAnnotationTextFormat(swap(grid.annotationTextFormat()))
    for multi in layout.multiFrames():
        if isinstance(multi, QgsLayoutItemAttributeTable):
            multi.setHeaderTextFormat(swap(multi.headerTextFormat()))
            multi.setContentTextFormat(swap(multi.contentTextFormat()))


def _item(layout, item_id: str, required: bool = False):
    """The template's item ``item_id``; an office may delete any item but the main map from its copy."""
    item = layout.itemById(item_id)
    if item is None and required:
        raise RiskOneMapError(f"the layout template has no item with id {item_id!r} (the main map)")
    return item


def bind_layout(layout, layers: dict, helpers: dict, sheets: dict) -> None:
    """Point the template's maps, legend, tables and atlas at this project's layers."""
    coverage = sheets[T.SHEET_VILLAGES]
    main = _item(layout, T.MAIN_MAP, required=True)
    main_layers = _main_layers(layers, helpers)
    main.setLayers(main_layers)
    main.setKeepLayerSet(True)
    main.setCrs(coverage.crs())
    locator = _item(layout, T.LOCATOR_MAP)
    if locator is not None:
        locator.setLayers([helpers[LOCATOR_HIGHLIGHT], helpers[LOCATOR_TOWNSHIPS], helpers[LOCATOR_VILLAGES]])
        locator.setKeepLayerSet(True)
        locator.setCrs(coverage.crs())
    legend = _item(layout, T.LEGEND)
    if legend is not None:  # the mask and the hillshade need no legend
        fill_legend(legend, [lyr for lyr in main_layers if lyr is not helpers[MASK] and lyr is not layers.get("dem")])
    for item_id, (layer_name, _h, _e, _c) in T.TABLES.items():
        bind_table(_item(layout, item_id), sheets[layer_name])
    _keep_labels_clear(main, layout)
    atlas = layout.atlas()
    atlas.setCoverageLayer(coverage)
    atlas.setEnabled(True)
    atlas.setHideCoverage(False)
    atlas.setSortFeatures(True)
    atlas.setSortExpression('"code"')
    atlas.setPageNameExpression('"code" || \' \' || "name"')
    atlas.setFilenameExpression('"township" || \'/\' || "code" || \'_\' || "name"')


def _keep_labels_clear(main, layout) -> None:
    """Map labels stay off the frame's coordinates and out from under the north arrow, scale bar and notes
    (a long real name ran into them)."""
    from qgis.core import QgsLayoutMeasurement
    main.setLabelMargin(QgsLayoutMeasurement(4.0))
    for item_id in (T.NORTH_ARROW, T.SCALEBAR, T.SCALE_TEXT, T.ROUTE_NOTE):
        item = _item(layout, item_id)
        if item is not None:
            main.addLabelBlockingItem(item)


def fill_legend(legend, layers) -> None:
    """The legend shows ``layers`` in this order (not the project's tree), each styled by ``_legend_style``."""
    from qgis.core import QgsLegendRenderer
    legend.setAutoUpdateModel(False)
    root = legend.model().rootGroup()
    root.removeAllChildren()
    for lyr in layers:
        QgsLegendRenderer.setNodeLegendStyle(root.addLayer(lyr), _legend_style(lyr))
    legend.updateLegend()


def bind_table(frame, layer) -> None:
    """Point the attribute table of a template's table ``frame`` (None: the office deleted it) at ``layer``."""
    if frame is None:
        return
    table = frame.multiFrame()
    columns = table.columns()
    table.setVectorLayer(layer)
    table.setColumns(columns)  # setVectorLayer resets the columns to every field
    table.refresh()


def _legend_style(layer):
    from qgis.core import QgsLegendStyle
    # A layer with one symbol shows it beside its name; a classified layer shows its name as a heading.
    renderer = layer.renderer() if hasattr(layer, "renderer") else None
    single = renderer is not None and renderer.type() in ("singleSymbol", "RuleRenderer") and \
        len(renderer.legendSymbolItems()) <= 1
    return QgsLegendStyle.Hidden if single else QgsLegendStyle.Subgroup


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
    _label_whole_townships(layers.get("townships"))
    helpers = _helper_layers(Path(package_dir) / model.GPKG_NAME, pick_cjk_font())
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
    helpers = _helper_layers(pkg / model.GPKG_NAME, pick_cjk_font())
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


# ------------------------------------------------------------------------------------------------ long tables
MIN_TABLE_PT = 4.5  # the smallest type a long table shrinks to before it continues on another page
FONT_STEP = 0.5


class TableFitter:
    """Per village, before export: shrink a table's type (down to MIN_TABLE_PT) until its rows fit the template's
    frame; rows that still do not fit continue on a second page (the template's ExtendToNextPage), where the
    continued frames move to the top of the page under a "(续)" title. ``cleanup`` undoes it all for the next page.
    """

    def __init__(self, layout, spec):
        self.layout, self.spec = layout, spec
        self.tables = []
        for item_id in T.TABLES:
            frame = layout.itemById(item_id)
            if frame is not None:
                table = frame.multiFrame()
                self.tables.append((table, table.headerTextFormat(), table.contentTextFormat()))
        self.shrunk = set()
        self.extra_items = []

    @staticmethod
    def _overflows(table) -> bool:
        first = table.frame(0)
        return first is not None and table.totalHeight() > first.rect().height() + 0.05

    def prepare(self) -> None:
        for table, header, content in self.tables:
            size = content.size()
            while self._overflows(table) and size - FONT_STEP >= MIN_TABLE_PT - 1e-9:
                size -= FONT_STEP
                scale = size / content.size()
                table.setHeaderTextFormat(_resized(header, header.size() * scale))
                table.setContentTextFormat(_resized(content, size))
                table.recalculateFrameSizes()  # drops the continuation frame (and its page) once all rows fit
                self.shrunk.add(id(table))
            if id(table) in self.shrunk and self._overflows(table):
                # It continues on another page anyway: keep the template's type size, readable on both pages.
                table.setHeaderTextFormat(header)
                table.setContentTextFormat(content)
                table.recalculateFrameSizes()
                self.shrunk.discard(id(table))
        if self.layout.pageCollection().pageCount() < 2:
            return
        column = 0
        for table, _h, _c in self.tables:
            if table.frameCount() > 1:
                self._place_continuation(table, column)
                column += 1
        for page in range(1, self.layout.pageCollection().pageCount()):
            self.extra_items.append(self._continuation_title(page))

    def _place_continuation(self, table, column: int) -> None:
        """QGIS puts a continued frame at the very top of the next page, a page high: move it under the
        continuation title, side by side with other continued tables, and let QGIS reflow the rows."""
        from qgis.core import QgsLayoutPoint, QgsLayoutSize
        f, first = self.spec.frame, table.frame(0)
        width = first.rect().width()
        x = f.x + 4 + column * (width + 6)
        if x + width > f.x + f.w:
            x = first.pagePositionWithUnits().x()
        top, height = f.y + 12, f.h - 16
        i = 1
        while i < table.frameCount() and i < 50:
            frame = table.frame(i)
            frame.attemptResize(QgsLayoutSize(width, height))
            frame.attemptMove(QgsLayoutPoint(x, top), page=frame.page())
            table.recalculateFrameSizes()
            i += 1

    def _continuation_title(self, page: int):
        from qgis.core import QgsLayoutItemLabel, QgsLayoutPoint, QgsLayoutSize
        from qgis.PyQt.QtCore import Qt
        from ..qgis_glue.fonts import pick_cjk_font
        from qgis.PyQt.QtGui import QFont
        label = QgsLayoutItemLabel(self.layout)
        label.setText('[% "title" %]（续，第 [% @layout_page %] 页）')
        from ..qgis_glue.fonts import with_latin_first
        font = with_latin_first(QFont(), pick_cjk_font())
        font.setPointSizeF(self.spec.text_pt + 4)
        font.setBold(True)
        label.setFont(font)
        label.setHAlign(Qt.AlignHCenter)
        self.layout.addLayoutItem(label)
        f = self.spec.frame
        label.attemptResize(QgsLayoutSize(f.w, 9))
        label.attemptMove(QgsLayoutPoint(f.x, f.y + 1), page=page)
        return label

    def cleanup(self) -> None:
        for item in self.extra_items:
            self.layout.removeLayoutItem(item)
        self.extra_items = []
        for table, header, content in self.tables:
            if id(table) in self.shrunk:
                table.setHeaderTextFormat(header)
                table.setContentTextFormat(content)
        self.shrunk.clear()


def _resized(fmt, size: float):
    from qgis.core import QgsTextFormat
    out = QgsTextFormat(fmt)
    out.setSize(size)
    font = out.font()
    font.setPointSizeF(size)
    out.setFont(font)
    return out


class LegendFitter:
    """Per village, before export: the legend's filter by map content is computed only while the legend paints
    (QgsLayoutItemLegend::paint runs the map hit test once per atlas feature), so ``prepare`` paints it once into
    a throw-away QPicture; the export then reuses that filter instead of running the hit test again, so the page
    costs what QGIS's own atlas costs. If what this village's map shows does not fit the template's box, shrink
    type and symbols, with the template's columns or one more (``fit``). ``restore`` undoes it."""

    MAX_STEPS = 5

    def __init__(self, layout):
        from qgis.core import QgsLegendStyle
        self.legend = layout.itemById(T.LEGEND)
        self.styles = (QgsLegendStyle.Title, QgsLegendStyle.Group, QgsLegendStyle.Subgroup,
                       QgsLegendStyle.SymbolLabel)
        self.saved = None

    def prepare(self) -> bool:
        """Compute this page's legend content, and fit it if it overflows; True when it was refitted."""
        if self.legend is None:
            return False
        from qgis.PyQt.QtGui import QPainter, QPicture
        picture = QPicture()
        painter = QPainter(picture)
        try:
            self.legend.paint(painter, None, None)
        finally:
            painter.end()
        if not self.overflows():
            return False
        self.fit()
        return True

    def overflows(self) -> bool:
        if self.legend is None:
            return False
        from qgis.core import QgsLegendRenderer
        need = QgsLegendRenderer(self.legend.model(), self.legend.legendSettings()).minimumSize()
        box = self.legend.rect()
        return need.height() > box.height() + 0.3 or need.width() > box.width() + 0.3

    def fit(self) -> bool:
        """Adjust until the legend fits (True) or the smallest step is reached (False): the template's columns or
        one more, each with type and symbols shrunk step by step; whichever fits with the largest type wins
        (fewer columns on a tie), so a legend that is only a little too tall is not squeezed into narrow columns."""
        lg = self.legend
        self.saved = (lg.columnCount(), {s: lg.styleFont(s) for s in self.styles}, lg.symbolWidth(),
                      lg.symbolHeight())
        columns = self.saved[0]
        best = None
        for cols in (columns, columns + 1):
            lg.setColumnCount(cols)
            for step in range(1 if cols == columns else 0, self.MAX_STEPS + 1):
                scale = 1.0 - 0.08 * step
                if best is not None and scale <= best[1]:
                    break
                self._scale(scale)
                if not self.overflows():
                    best = (cols, scale)
                    break
        cols, scale = best or (columns + 1, 1.0 - 0.08 * self.MAX_STEPS)
        lg.setColumnCount(cols)
        self._scale(scale)
        lg.invalidateCache()
        return best is not None

    def _scale(self, scale: float) -> None:
        """The template's type and symbol sizes times ``scale``."""
        _columns, fonts, width, height = self.saved
        lg = self.legend
        for style, font in fonts.items():
            smaller = type(font)(font)
            smaller.setPointSizeF(font.pointSizeF() * scale)
            lg.setStyleFont(style, smaller)
        lg.setSymbolWidth(width * scale)
        lg.setSymbolHeight(height * scale)

    def restore(self) -> None:
        if self.saved is None:
            return
        columns, fonts, width, height = self.saved
        lg = self.legend
        lg.setColumnCount(columns)
        for style, font in fonts.items():
            lg.setStyleFont(style, font)
        lg.setSymbolWidth(width)
        lg.setSymbolHeight(height)
        lg.invalidateCache()
        self.saved = None
