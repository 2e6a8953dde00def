"""The parts every style is made of: symbols, markers, rule and class renderers, labels, the shared colours.

Symbols are built layer by layer (``make_symbol``) because PyQGIS 3.22 frees symbol layers passed to a
symbol's constructor; rule keys are fixed so the generated QML files stay stable between runs.
"""
from __future__ import annotations

import math

from qgis.core import (
    QgsColorRampShader, QgsMarkerSymbol, QgsPalLayerSettings, QgsRasterLayer, QgsRasterShader, QgsRendererRange,
    QgsRuleBasedRenderer, QgsSingleBandPseudoColorRenderer, QgsTextBufferSettings, QgsTextFormat, QgsUnitTypes,
    QgsVectorLayer, QgsVectorLayerSimpleLabeling, QgsWkbTypes,
)
from qgis.PyQt.QtGui import QColor, QFont

from ..layers import model

# Colours beyond the model's: admin lines, hazard red and flood blue from the GB/T 37230 warning colours.
# Colours beyond the model's: admin lines, hazard red and flood blue from the GB/T 37230 warning colours.
HAZARD_RED = model.WARNING_COLOURS[1]
ORANGE = model.WARNING_COLOURS[2]
FLOOD_BLUE = model.WARNING_COLOURS[4]
TOP = 1e12  # the upper bound of an open-ended graduated class
DETAIL_SCALE = 25000  # point outputs and their labels: from 1:25 000 inwards (a village, not the county)


def make_symbol(cls, symbol_layers):
    """A symbol made of ``symbol_layers``. appendSymbolLayer takes ownership; the list constructor does not
    (PyQGIS 3.22 then deletes the layers under the symbol's feet)."""
    symbol = cls()
    symbol.deleteSymbolLayer(0)
    for sl in symbol_layers:
        symbol.appendSymbolLayer(sl)
    return symbol


def marker_symbol(shape: str, colour: str, size: float, outline: str = "#ffffff", outline_width: float = 0.4):
    return QgsMarkerSymbol.createSimple({"name": shape, "color": QColor(colour).name(), "outline_color": outline,
                                         "outline_width": str(outline_width), "size": str(size)})


def rule_renderer(rules):
    """A rule-based renderer from ``(symbol, filter or "ELSE", legend, most zoomed-out scale or 0)``, rule keys
    fixed so the generated QML stays stable."""
    root = QgsRuleBasedRenderer.Rule(None)
    root.setRuleKey("root")
    for i, (symbol, test, legend, scale) in enumerate(rules):
        is_else = test == "ELSE"
        rule = QgsRuleBasedRenderer.Rule(symbol, 0, int(scale), "ELSE" if is_else else test, legend, "", is_else)
        rule.setRuleKey(f"rule{i}")
        root.appendChild(rule)
    return QgsRuleBasedRenderer(root)


def class_ranges(bounds, symbols) -> list:
    """Graduated classes (0, b1], (b1, b2], …, the last bound may be infinite (stored as ``TOP``)."""
    out, lower = [], 0.0
    for bound, symbol in zip(bounds, symbols):
        out.append(QgsRendererRange(lower, TOP if math.isinf(bound) else float(bound), symbol,
                                    class_label(lower, bound)))
        lower = bound
    return out


def class_label(lower: float, bound: float) -> str:
    return f"> {number_text(lower)}" if math.isinf(bound) else f"{number_text(lower)} – {number_text(bound)}"


def number_text(x: float) -> str:
    return f"{x:g}"


def risk_label(word: str) -> str:
    return word if word.endswith("风险") else f"{word}风险"


def detail_only(layer: QgsVectorLayer) -> None:
    """Drawn from ``DETAIL_SCALE`` inwards only (a village), like the households."""
    layer.setScaleBasedVisibility(True)
    layer.setMinimumScale(DETAIL_SCALE)  # the most zoomed-out scale it draws at
    layer.setMaximumScale(0)


def svg_base64(svg: str) -> str:
    import base64
    return "base64:" + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def geometry_word(layer: QgsVectorLayer) -> str:
    return {QgsWkbTypes.PointGeometry: "point", QgsWkbTypes.LineGeometry: "line"}.get(layer.geometryType(), "polygon")


def label_layer(layer: QgsVectorLayer, field: str, font: str, size: float, colour: str, bold: bool = False,
           priority: int = 5, placement=None, expression: bool = False, max_scale: float = 0) -> None:
    """Simple labels of ``field`` (an expression if ``expression``), from 1:``max_scale`` inwards if given."""
    if not expression and layer.fields().indexOf(field) < 0 and not layer.fields().count() == 0:
        layer.setLabelsEnabled(False)
        return
    settings = QgsPalLayerSettings()
    settings.fieldName = field
    settings.isExpression = expression
    settings.enabled = True
    settings.priority = priority
    if max_scale:
        settings.scaleVisibility = True
        settings.minimumScale = max_scale  # the most zoomed-out scale the labels show at
        settings.maximumScale = 0
    settings.setFormat(text_format(font, size, colour, bold))
    geometry = layer.geometryType()
    if placement is not None:
        settings.placement = placement
    elif geometry == QgsWkbTypes.PointGeometry:
        settings.placement = QgsPalLayerSettings.OrderedPositionsAroundPoint
        settings.dist = 0.8
    elif geometry == QgsWkbTypes.PolygonGeometry:
        settings.placement = QgsPalLayerSettings.OverPoint
        settings.centroidInside = True
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


def text_format(font: str, size: float, colour: str, bold: bool) -> QgsTextFormat:
    qfont = QFont(font)
    qfont.setBold(bold)
    fmt = QgsTextFormat()
    fmt.setFont(qfont)
    if bold:
        fmt.setNamedStyle("Bold")
    fmt.setSize(size)
    fmt.setSizeUnit(QgsUnitTypes.RenderPoints)
    fmt.setColor(QColor(colour))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.7)
    buffer.setSizeUnit(QgsUnitTypes.RenderMillimeters)
    buffer.setColor(QColor(255, 255, 255, 230))
    fmt.setBuffer(buffer)
    return fmt


def set_population_shader(layer: QgsRasterLayer, bounds, colours) -> None:
    """Discrete classes: 0 transparent, then one colour per upper bound (people per cell)."""
    colours = [QColor(c) for c in colours]
    colours = colours[-len(bounds):] if len(colours) >= len(bounds) else colours + [colours[-1]] * (
        len(bounds) - len(colours))
    items = [QgsColorRampShader.ColorRampItem(0.0, QColor(0, 0, 0, 0), "0")]
    lower = 0.0
    for bound, colour in zip(bounds, colours):
        items.append(QgsColorRampShader.ColorRampItem(float(bound), colour, class_label(lower, bound)))
        lower = bound
    ramp = QgsColorRampShader(0.0, float(bounds[-2]) if len(bounds) > 1 else 1.0)
    ramp.setColorRampType(QgsColorRampShader.Discrete)
    ramp.setColorRampItemList(items)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(ramp)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(float(bounds[-2]) if len(bounds) > 1 else 1.0)
    layer.setRenderer(renderer)
