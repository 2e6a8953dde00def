"""Styles of the package's own layers (county to DEM) and of any layer the model does not know, built in code;
``scripts/make_styles.py`` writes them out as the QML files under resources/styles.
"""
from __future__ import annotations

import math

from qgis.core import (
    QgsCategorizedSymbolRenderer, QgsFillSymbol, QgsHillshadeRenderer, QgsLinePatternFillSymbolLayer, QgsLineSymbol,
    QgsMarkerSymbol, QgsPalLayerSettings, QgsRendererCategory, QgsRuleBasedRenderer, QgsSimpleFillSymbolLayer,
    QgsSimpleLineSymbolLayer, QgsSingleSymbolRenderer, QgsSvgMarkerSymbolLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor

from ..layers import model
from .style_marks import (
    FLOOD_BLUE, HAZARD_RED, detail_only, label_layer, make_symbol, marker_symbol, risk_label, set_population_shader,
    svg_base64,
)

DEPOT_BROWN = "#8c510a"
CANDIDATE_PURPLE = "#7b3294"
LAND_USE_TAN = "#e6d8b8"
ANALYSIS_COLOUR = "#6a3d9a"
POPULATION_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
GEOHAZARD_MARKERS = {"landslide": "triangle", "rockfall": "diamond", "debris_flow": "pentagon",
                     "ground_collapse": "circle", "ground_fissure": "cross_fill", "subsidence": "square"}
SHELTER_SIZES = {"emergency": 3.0, "short_term": 3.8, "long_term": 4.6}  # mm
# A water drop, in SVG with QGIS's param() so the colours stay editable in the style dialog.
DROP_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
    '<path d="M12 1.5C12 1.5 4.5 10.2 4.5 15a7.5 7.5 0 0 0 15 0C19.5 10.2 12 1.5 12 1.5z" '
    'fill="param(fill) #1e64c8" stroke="param(outline) #ffffff" stroke-width="param(outline-width) 1.5"/></svg>')


def _county(layer, font):
    halo = QgsSimpleLineSymbolLayer(QColor(255, 255, 255, 200), 1.6)
    line = QgsSimpleLineSymbolLayer(QColor("#1a1a1a"), 0.8)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsFillSymbol, [halo, line])))
    layer.setLabelsEnabled(False)


def _townships(layer, font):
    line = QgsSimpleLineSymbolLayer(QColor("#262626"), 0.6)
    line.setPenStyle(Qt.DashDotLine)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsFillSymbol, [line])))
    label_layer(layer, "name", font, 11, "#222222", bold=True, priority=8)


def _villages(layer, font):
    line = QgsSimpleLineSymbolLayer(QColor("#595959"), 0.3)
    line.setPenStyle(Qt.DashLine)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsFillSymbol, [line])))
    label_layer(layer, "name", font, 8, "#404040", priority=4)


def _risk_zones(layer, font):
    categories = []
    for level in model.RISK_LEVELS:
        colour = QColor(model.RISK_LEVEL_COLOURS[level])
        symbol = QgsFillSymbol.createSimple({"color": colour.name(), "outline_color": colour.darker(130).name(),
                                             "outline_width": "0.15"})
        categories.append(QgsRendererCategory(level, symbol, risk_label(model.level_label(level))))
    layer.setRenderer(QgsCategorizedSymbolRenderer("risk_level", categories))
    layer.setOpacity(0.5)
    layer.setLabelsEnabled(False)


def _geohazard_points(layer, font):
    categories = []
    for key, zh in model.GEOHAZARD_KINDS.items():
        categories.append(QgsRendererCategory(key, marker_symbol(GEOHAZARD_MARKERS[key], HAZARD_RED, 3.4), zh))
    categories.append(QgsRendererCategory("", marker_symbol("circle", HAZARD_RED, 3.0), "其他"))
    layer.setRenderer(QgsCategorizedSymbolRenderer("kind", categories))
    label_layer(layer, "name", font, 8, "#a50000", priority=9)


def _geohazard_zones(layer, font):
    hatch = QgsLinePatternFillSymbolLayer()
    hatch.setLineAngle(45)
    hatch.setDistance(1.6)
    hatch.setLineWidth(0.2)
    hatch.setColor(QColor(HAZARD_RED))
    hatch.subSymbol().setColor(QColor(HAZARD_RED))
    hatch.subSymbol().symbolLayer(0).setWidth(0.2)
    outline = QgsSimpleLineSymbolLayer(QColor(HAZARD_RED), 0.5)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsFillSymbol, [hatch, outline])))
    layer.setLabelsEnabled(False)


def _flood_lowpoints(layer, font):
    svg = QgsSvgMarkerSymbolLayer(svg_base64(DROP_SVG), 4.2)
    svg.setFillColor(QColor(FLOOD_BLUE))
    svg.setStrokeColor(QColor("#ffffff"))
    svg.setStrokeWidth(0.3)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsMarkerSymbol, [svg])))
    label_layer(layer, "name", font, 8, "#0b3d91", priority=7)


def _flood_lowpoints_polygon(layer, font):
    fill = QgsSimpleFillSymbolLayer(QColor(30, 100, 200, 110), Qt.SolidPattern, QColor(FLOOD_BLUE), Qt.SolidLine, 0.4)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsFillSymbol, [fill])))
    label_layer(layer, "name", font, 8, "#0b3d91", priority=7)


def _shelters(layer, font):
    categories = [QgsRendererCategory(key, marker_symbol("square", model.SHELTER_COLOUR, SHELTER_SIZES[key]), zh)
                  for key, zh in model.SHELTER_CLASSES.items()]
    categories.append(QgsRendererCategory("", marker_symbol("square", model.SHELTER_COLOUR, 3.0), "其他"))
    layer.setRenderer(QgsCategorizedSymbolRenderer("shelter_class", categories))
    label_layer(layer, "name", font, 8, "#0f5c28", priority=8)


def _shelters_polygon(layer, font):
    categories = []
    for key, zh in list(model.SHELTER_CLASSES.items()) + [("", "其他")]:
        colour = QColor(model.SHELTER_COLOUR)
        fill = QColor(colour)
        fill.setAlpha(90)
        width = 0.3 + 0.2 * list(SHELTER_SIZES).index(key) if key else 0.3
        categories.append(QgsRendererCategory(key, make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(
            fill, Qt.SolidPattern, colour, Qt.SolidLine, width)]), zh))
    layer.setRenderer(QgsCategorizedSymbolRenderer("shelter_class", categories))
    label_layer(layer, "name", font, 8, "#0f5c28", priority=8)


def _depots(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(marker_symbol("diamond", DEPOT_BROWN, 3.8)))
    label_layer(layer, "name", font, 8, "#5a3306", priority=7)


def _depot_candidates(layer, font):
    symbol = QgsMarkerSymbol.createSimple({"name": "diamond", "color": "255,255,255,0", "outline_color": CANDIDATE_PURPLE,
                                          "outline_width": "0.5", "size": "3.2"})
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    layer.setLabelsEnabled(False)


def _roads(layer, font):
    kinds = dict(getattr(model, "ROAD_KINDS", {"county": "县道", "township": "乡道", "village": "村道", "path": "小路"}))
    looks = {  # kind: (casing colour, casing width, line colour, line width, pen style)
        "county": ("#8a4b0f", 1.5, "#f39c34", 1.0, Qt.SolidLine),
        "township": ("#9c7a1e", 1.1, "#f7d26a", 0.7, Qt.SolidLine),
        "village": (None, 0, "#8c8c8c", 0.4, Qt.SolidLine),
        "path": (None, 0, "#9c7b55", 0.3, Qt.DashLine),
    }
    categories = []
    for key, (casing, cw, colour, width, pen) in looks.items():
        layers = []
        if casing:
            layers.append(QgsSimpleLineSymbolLayer(QColor(casing), cw))
            layers[-1].setRenderingPass(0)  # symbol levels: every casing below every road fill
        line = QgsSimpleLineSymbolLayer(QColor(colour), width)
        line.setPenStyle(pen)
        line.setRenderingPass(1)
        layers.append(line)
        categories.append(QgsRendererCategory(key, make_symbol(QgsLineSymbol, layers), kinds.get(key, key)))
    # roads with no kind (an OSM export without tags, say): a plain dark line that reads as a road, not as the
    # thin grey of village boundaries
    categories.append(QgsRendererCategory("", make_symbol(QgsLineSymbol, [QgsSimpleLineSymbolLayer(QColor("#6b6b6b"), 0.5)]),
                                          "道路（未分级）"))
    renderer = QgsCategorizedSymbolRenderer("kind", categories)
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    label_layer(layer, "name", font, 7, "#5a3a10", priority=3, placement=QgsPalLayerSettings.Curved)


def _households(layer, font):
    root = QgsRuleBasedRenderer.Rule(None)
    root.setRuleKey("root")  # fixed keys keep the generated QML stable
    vulnerable = QgsRuleBasedRenderer.Rule(
        marker_symbol("circle", "#ff7f00", 1.6, outline="#7f2704", outline_width=0.2),
        0, 0, "\"vulnerable\" IS NOT NULL AND trim(\"vulnerable\") <> ''", "有脆弱人群的住户")
    vulnerable.setRuleKey("vulnerable")
    other = QgsRuleBasedRenderer.Rule(marker_symbol("circle", "#707070", 1.0, outline="#707070", outline_width=0),
                                      0, 0, "ELSE", "住户", "", True)
    other.setRuleKey("other")
    root.appendChild(other)
    root.appendChild(vulnerable)
    layer.setRenderer(QgsRuleBasedRenderer(root))
    detail_only(layer)
    layer.setLabelsEnabled(False)


def _land_use(layer, font):
    # Under everything, hidden at first (it covers the county): a pale fill that leaves the hillshade readable,
    # each 图斑 outlined; the class shows in the identify tool and the attribute table.
    fill = QColor(LAND_USE_TAN)
    fill.setAlpha(70)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(
        fill, Qt.SolidPattern, QColor("#b8a27a"), Qt.SolidLine, 0.1)])))
    layer.setLabelsEnabled(False)


def _population(layer, font):
    set_population_shader(layer, [1, 5, 10, 20, math.inf], [QColor(c) for c in POPULATION_COLOURS])
    layer.setOpacity(0.75)


def _dem(layer, font):
    renderer = QgsHillshadeRenderer(layer.dataProvider(), 1, 315.0, 45.0)
    renderer.setMultiDirectional(True)
    renderer.setZFactor(1.5)
    layer.setRenderer(renderer)
    layer.setOpacity(0.45)


def _analysis_point(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(marker_symbol("circle", ANALYSIS_COLOUR, 2.4)))
    layer.setLabelsEnabled(False)


def _analysis_line(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsLineSymbol, [QgsSimpleLineSymbolLayer(QColor(ANALYSIS_COLOUR), 0.6)])))
    layer.setLabelsEnabled(False)


def _analysis_polygon(layer, font):
    fill = QColor(ANALYSIS_COLOUR)
    fill.setAlpha(60)
    layer.setRenderer(QgsSingleSymbolRenderer(make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(
        fill, Qt.SolidPattern, QColor(ANALYSIS_COLOUR), Qt.SolidLine, 0.4)])))
    layer.setLabelsEnabled(False)


PACKAGE_BUILDERS = {  # style key -> builder(layer, font)
    "county": _county,
    "townships": _townships,
    "villages": _villages,
    "risk_zones": _risk_zones,
    "geohazard_points": _geohazard_points,
    "geohazard_zones": _geohazard_zones,
    "flood_lowpoints": _flood_lowpoints,
    "flood_lowpoints_polygon": _flood_lowpoints_polygon,
    "shelters": _shelters,
    "shelters_polygon": _shelters_polygon,
    "depots": _depots,
    "depot_candidates": _depot_candidates,
    "roads": _roads,
    "households": _households,
    "land_use": _land_use,
    "population": _population,
    "dem": _dem,
    "analysis_point": _analysis_point,
    "analysis_line": _analysis_line,
    "analysis_polygon": _analysis_polygon,
}
