"""The sheet's print layout: the .qpt template loaded, its fonts set, its maps, legends and tables bound to the layers.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import RiskOneMapError
from . import templates as T
from .layout_layers import LOCATOR_HIGHLIGHT, LOCATOR_TOWNSHIPS, LOCATOR_VILLAGES, MASK, main_map_layers


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


def layout_item(layout, item_id: str, required: bool = False):
    """The template's item ``item_id``; an office may delete any item but the main map from its copy."""
    item = layout.itemById(item_id)
    if item is None and required:
        raise RiskOneMapError(f"the layout template has no item with id {item_id!r} (the main map)")
    return item


def bind_layout(layout, layers: dict, helpers: dict, sheets: dict) -> None:
    """Point the template's maps, legend, tables and atlas at this project's layers."""
    coverage = sheets[T.SHEET_VILLAGES]
    main = layout_item(layout, T.MAIN_MAP, required=True)
    main_layers = main_map_layers(layers, helpers)
    main.setLayers(main_layers)
    main.setKeepLayerSet(True)
    main.setCrs(coverage.crs())
    locator = layout_item(layout, T.LOCATOR_MAP)
    if locator is not None:
        locator.setLayers([helpers[LOCATOR_HIGHLIGHT], helpers[LOCATOR_TOWNSHIPS], helpers[LOCATOR_VILLAGES]])
        locator.setKeepLayerSet(True)
        locator.setCrs(coverage.crs())
    legend = layout_item(layout, T.LEGEND)
    if legend is not None:  # the mask and the hillshade need no legend
        fill_legend(legend, [lyr for lyr in main_layers if lyr is not helpers[MASK] and lyr is not layers.get("dem")])
    for item_id, (layer_name, _h, _e, _c) in T.TABLES.items():
        bind_table(layout_item(layout, item_id), sheets[layer_name])
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
        item = layout_item(layout, item_id)
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
