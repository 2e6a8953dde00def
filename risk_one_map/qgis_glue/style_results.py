"""Styles of the analyses' outputs (exposure, evacuation, shelters' load, isochrones, depots, DEM depressions)
and of the evacuation routes as the village sheet draws them.
"""
from __future__ import annotations

import math
from typing import Optional

from qgis.core import (
    QgsApplication, QgsCategorizedSymbolRenderer, QgsFillSymbol, QgsGraduatedSymbolRenderer,
    QgsLinePatternFillSymbolLayer, QgsLineSymbol, QgsMarkerLineSymbolLayer, QgsMarkerSymbol, QgsPalLayerSettings,
    QgsProperty, QgsRendererCategory, QgsRendererRange, QgsRuleBasedRenderer, QgsSimpleFillSymbolLayer,
    QgsSimpleLineSymbolLayer, QgsSimpleMarkerSymbolLayer, QgsSingleSymbolRenderer, QgsTextBufferSettings,
    QgsTextFormat, QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

from ..layers import model
from .style_marks import (
    DETAIL_SCALE, FLOOD_BLUE, HAZARD_RED, ORANGE, TOP, class_label, class_ranges, detail_only, label_layer,
    make_symbol, marker_symbol, rule_renderer,
)

DEPOT_PURPLE = "#3f007d"
ALLOCATION_GREY_PURPLE = "#8c82a8"
# Analysis outputs (DOMAIN.md: routes green arrows, shelters green squares; warning orange/red for danger).
EXPOSURE_REDS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # light -> dark, ColorBrewer Reds
EXPOSURE_BREAKS = (100, 200, 400, 800, math.inf)  # people; re-cut at the layer's own values on load
EVACUEE_ORANGE = "#f57c00"
# DEM hollows by depth (m), light to dark blue (ColorBrewer Blues): shallow ponding to deep water.
DEPRESSION_BLUES = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
DEPRESSION_BREAKS = (0.5, 1.0, 2.0, math.inf)
ISOCHRONE_GREENS = {5: "#1a9641", 10: "#66bd63", 15: "#a6d96a"}  # minutes -> colour, nearest band darkest
LOAD_CLASSES = ((0.8, model.SHELTER_COLOUR, 3.0, "负荷 ≤ 80%"), (1.0, ORANGE, 3.8, "负荷 80%–100%"),
                (math.inf, HAZARD_RED, 4.6, "超负荷 > 100%"))  # upper load_ratio, colour, mm, legend
ROUTE_LEGEND = "撤离路线（箭头指向安置地点）"  # the village sheet's legend text for the routes


def _exposure_villages(layer, font):
    """Choropleth of the people in level 1-2 risk zones, light to dark red; villages with none light grey."""
    zero = make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(QColor("#f0f0f0"), Qt.SolidPattern, QColor("#7f0000"),
                                                              Qt.SolidLine, 0.2)])
    symbols = [make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(QColor(c), Qt.SolidPattern, QColor("#7f0000"),
                                                                 Qt.SolidLine, 0.2)]) for c in EXPOSURE_REDS]
    renderer = QgsGraduatedSymbolRenderer("exposed_l1_2", [QgsRendererRange(0, 0, zero, "0")]
                                          + class_ranges(EXPOSURE_BREAKS, symbols))
    renderer.setClassificationMethod(QgsApplication.classificationMethodRegistry().method("Quantile"))
    layer.setRenderer(renderer)
    layer.setOpacity(0.85)  # the hillshade shows through, the risk zones below hardly
    layer.setLabelsEnabled(False)


def _dem_depressions(layer, font):
    """DEM hollows see-through blue, darker as they are deeper (米), so the roads and houses in them still show; the
    ponds nested inside a hollow only as a thin outline (filled, they would darken their hollow)."""
    rules, lower = [], 0.0
    for colour, upper in zip(DEPRESSION_BLUES, DEPRESSION_BREAKS):
        fill = QColor(colour)
        fill.setAlpha(150)
        symbol = make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(fill, Qt.SolidPattern, QColor(FLOOD_BLUE),
                                                                  Qt.SolidLine, 0.2)])
        test = f'coalesce("nest_level", 0) = 0 AND "max_depth_m" > {lower:g}' + (
            f' AND "max_depth_m" <= {upper:g}' if math.isfinite(upper) else "")
        rules.append((symbol, test, f"深 {class_label(lower, upper)} 米", 0))
        lower = upper
    nested = QgsSimpleFillSymbolLayer(QColor(255, 255, 255, 0), Qt.NoBrush, QColor(FLOOD_BLUE), Qt.DotLine, 0.25)
    rules.append((make_symbol(QgsFillSymbol, [nested]), '"nest_level" > 0', "洼地内的小洼地", 0))
    layer.setRenderer(rule_renderer(rules))
    layer.setLabelsEnabled(False)


def _evacuation_zones(layer, font):
    """The zone itself hatched warning orange in a red outline, named after its hazard along the outline; the wider
    rings (1.5×, 2×) dashed orange outlines, only when zoomed in to a village."""
    hatch = QgsLinePatternFillSymbolLayer()
    hatch.setLineAngle(135)  # across the hazard zones' 45° red hatch
    hatch.setDistance(2.0)
    hatch.setColor(QColor(ORANGE))
    hatch.subSymbol().setColor(QColor(ORANGE))
    hatch.subSymbol().symbolLayer(0).setWidth(0.25)
    core = make_symbol(QgsFillSymbol, [hatch, QgsSimpleLineSymbolLayer(QColor(HAZARD_RED), 0.5)])
    ring = QgsSimpleLineSymbolLayer(QColor(ORANGE), 0.35)
    ring.setPenStyle(Qt.DashLine)
    is_core = 'coalesce("ring", 1) <= 1'
    # Short legend words: the sheet's legend column is narrow.
    layer.setRenderer(rule_renderer([(core, is_core, "危险区或撤离半径", 0),
                              (make_symbol(QgsFillSymbol, [ring]), "ELSE", "扩大撤离范围", 50000)]))
    label_layer(layer, f'if({is_core}, "hazard_name", NULL)', font, 7.5, "#b30000", priority=3,
           placement=QgsPalLayerSettings.PerimeterCurved, expression=True, max_scale=50000)


def _evacuation_routes(layer, font):
    style_routes(layer, name=None)


def _evacuees(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(marker_symbol("circle", EVACUEE_ORANGE, 1.8, outline_width=0.3)))
    detail_only(layer)
    layer.setLabelsEnabled(False)


def _unserved(layer, font):
    halo = QgsSimpleMarkerSymbolLayer(QgsSimpleMarkerSymbolLayer.Cross2, 3.2)
    halo.setStrokeColor(QColor(255, 255, 255, 230))
    halo.setStrokeWidth(1.1)
    cross = QgsSimpleMarkerSymbolLayer(QgsSimpleMarkerSymbolLayer.Cross2, 3.2)
    cross.setStrokeColor(QColor(HAZARD_RED))
    cross.setStrokeWidth(0.6)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsMarkerSymbol, [halo, cross])))
    label_layer(layer, 'represent_value("reason")', font, 7, "#a50000", priority=2, expression=True,
           max_scale=DETAIL_SCALE)


def _shelter_load(layer, font):
    """Green / orange / red squares, larger as the load grows; shelters not open (in a danger zone, no capacity)
    grey."""
    is_open = "coalesce(\"status\", 'open') = 'open' AND \"load_ratio\" IS NOT NULL"
    rules, lower = [], None
    for upper, colour, size, legend in LOAD_CLASSES:
        test = is_open + (f' AND "load_ratio" > {lower:g}' if lower is not None else "") + (
            f' AND "load_ratio" <= {upper:g}' if math.isfinite(upper) else "")
        rules.append((marker_symbol("square", colour, size), test, legend, 0))
        lower = upper
    rules.append((marker_symbol("square", "#9e9e9e", 2.6), "ELSE", "不可用（危险区内、无容量等）", 0))
    layer.setRenderer(rule_renderer(rules))
    # Right under the square, over the road it stands on: round the point the shelter's name leaves no room.
    label_layer(layer, "format_number(100 * \"load_ratio\", 0) || '%'", font, 7, "#333333", priority=6, expression=True,
           max_scale=50000, placement=QgsPalLayerSettings.OverPoint)
    settings = layer.labeling().settings()
    settings.quadOffset = QgsPalLayerSettings.QuadrantBelow
    settings.yOffset = 2.0  # mm
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))


def _shelter_isochrones(layer, font):
    """Nested walking-time bands, the nearest drawn on top; see-through greens with an outline."""
    ranges, lower = [], 0
    for i, (minutes, colour) in enumerate(ISOCHRONE_GREENS.items()):
        fill = QColor(colour)
        fill.setAlpha(60)
        sl = QgsSimpleFillSymbolLayer(fill, Qt.SolidPattern, QColor(colour).darker(120), Qt.SolidLine, 0.3)
        sl.setRenderingPass(len(ISOCHRONE_GREENS) - i)
        ranges.append(QgsRendererRange(lower, minutes, make_symbol(QgsFillSymbol, [sl]), f"{minutes} 分钟内"))
        lower = minutes
    outer = QgsSimpleFillSymbolLayer(QColor(255, 255, 255, 0), Qt.NoBrush, QColor(colour), Qt.DashLine, 0.25)
    ranges.append(QgsRendererRange(lower, TOP, make_symbol(QgsFillSymbol, [outer]), f"> {lower} 分钟"))
    renderer = QgsGraduatedSymbolRenderer("minutes", ranges)
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    layer.setLabelsEnabled(False)


def _depot_sites(layer, font):
    categories = [
        QgsRendererCategory("new", marker_symbol("star", DEPOT_PURPLE, 6.0, outline_width=0.5), "新选址储备点"),
        QgsRendererCategory("existing", marker_symbol("star", "#807dba", 6.0, outline=DEPOT_PURPLE, outline_width=0.6),
                            "现有储备点（保留）"),
        QgsRendererCategory("", marker_symbol("star", DEPOT_PURPLE, 6.0, outline_width=0.5), "其他"),
    ]
    layer.setRenderer(QgsCategorizedSymbolRenderer("status", categories))
    label_layer(layer, "name", font, 9, DEPOT_PURPLE, bold=True, priority=9)


def _depot_allocation(layer, font):
    colour = QColor(ALLOCATION_GREY_PURPLE)
    colour.setAlpha(220)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsLineSymbol, [QgsSimpleLineSymbolLayer(colour, 0.35)])))
    layer.setLabelsEnabled(False)


def style_routes(layer, name: Optional[str] = ROUTE_LEGEND, arrows: bool = True) -> None:
    """Evacuation routes as green arrows along the road, pointing to the shelter (lines run origin -> shelter), the
    look of the village sheet and the county map alike. The layer is renamed ``name`` (default: the sheet legend's
    text) unless ``name`` is None. ``arrows=False``: plain green lines (the village sheet draws one arrow per
    shelter with its count instead, see style_route_heads)."""
    green = QColor(model.ROUTE_COLOUR)
    casing = QgsSimpleLineSymbolLayer(QColor(255, 255, 255, 220), 1.8)
    line = QgsSimpleLineSymbolLayer(green, 1.0)
    draw_arrows = arrows
    arrows = QgsMarkerLineSymbolLayer(True, 12.0)
    arrows.setPlacement(QgsMarkerLineSymbolLayer.Interval)
    arrows.setOffsetAlongLine(6.0)
    head = QgsMarkerSymbol.createSimple({"name": "filled_arrowhead", "color": green.name(), "size": "4.2",
                                         "outline_color": "#ffffff", "outline_width": "0.25", "angle": "0"})
    arrows.setSubSymbol(head)
    end = QgsMarkerLineSymbolLayer(True, 0)
    end.setPlacement(QgsMarkerLineSymbolLayer.LastVertex)
    end.setSubSymbol(head.clone())
    parts = [casing, line, arrows, end] if draw_arrows else [casing, line]
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsLineSymbol, parts)))
    if name is not None:
        layer.setName(name)
    layer.setLabelsEnabled(False)


def style_route_heads(layer, font: str, only_where: Optional[str] = None) -> None:
    """One big green arrow per village and shelter (field ``angle``: bearing clockwise from north) labelled with
    its ``label`` (how many people), optionally drawn only where ``only_where`` holds."""
    head = QgsMarkerSymbol.createSimple({"name": "arrow", "color": model.ROUTE_COLOUR, "size": "7",
                                         "outline_color": "#ffffff", "outline_width": "0.4"})
    head.setDataDefinedAngle(QgsProperty.fromExpression('"angle"'))  # the arrow points north at 0
    if only_where:
        root = QgsRuleBasedRenderer.Rule(None)
        root.appendChild(QgsRuleBasedRenderer.Rule(head, 0, 0, only_where))
        layer.setRenderer(QgsRuleBasedRenderer(root))
    else:
        layer.setRenderer(QgsSingleSymbolRenderer(head))
    settings = QgsPalLayerSettings()
    settings.fieldName = "label"
    settings.placement = QgsPalLayerSettings.OverPoint
    settings.quadOffset = QgsPalLayerSettings.QuadrantAboveRight
    settings.xOffset, settings.yOffset = 2.5, -2.5
    fmt = QgsTextFormat()
    fmt.setFont(QFont(font))
    fmt.setSize(9)
    fmt.setColor(QColor(model.ROUTE_COLOUR))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(1.0)
    buffer.setColor(QColor("#ffffff"))
    fmt.setBuffer(buffer)
    settings.setFormat(fmt)
    if only_where:
        settings.dataDefinedProperties().setProperty(QgsPalLayerSettings.Show, QgsProperty.fromExpression(only_where))
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


RESULT_BUILDERS = {  # style key -> builder(layer, font)
    "exposure_villages": _exposure_villages,
    "dem_depressions": _dem_depressions,
    "evacuation_zones": _evacuation_zones,
    "evacuation_routes": _evacuation_routes,
    "evacuees": _evacuees,
    "unserved": _unserved,
    "shelter_load": _shelter_load,
    "shelter_isochrones": _shelter_isochrones,
    "depot_sites": _depot_sites,
    "depot_allocation": _depot_allocation,
}
