"""Styles of the 预警叫应 layers (jobs/warning.py), among style.py's builders, so the dialog, Processing
and the package loader draw them alike, and scripts/make_styles.py writes their QML.

The warned area in the warning's colour, dashed; villages reached tinted, deeper where households must move, named
with the count; households to move red (老弱病残 larger, dark ringed), to tell orange; the call tree as thin lines
from caller to called, the village heads' strong, the household heads' only when zoomed in to a village.
"""
from __future__ import annotations

from qgis.core import (
    QgsFillSymbol, QgsLineSymbol, QgsMarkerLineSymbolLayer, QgsMarkerSymbol, QgsSimpleFillSymbolLayer,
    QgsSimpleLineSymbolLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor

from ..layers import model
from .style_marks import DETAIL_SCALE, HAZARD_RED, ORANGE, label_layer, make_symbol, marker_symbol, rule_renderer

LEVEL_WORDS = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
# The call tree's line per group of the call list: colour, width (mm), legend, most zoomed-out scale (0: always).
CALL_LINES = (("'县','乡镇'", "#4d4d4d", 0.6, "县、乡镇领导", 0), ("'村干部'", HAZARD_RED, 0.5, "村干部", 0),
              ("'网格','监测','场所'", ORANGE, 0.35, "网格员、监测员、场所管理员", 0),
              ("'户主'", "#8c6d31", 0.2, "户主（逐户叫应）", DETAIL_SCALE))


def _warning_area(layer, font):
    rules = []
    for level, word in LEVEL_WORDS.items():
        colour = QColor(model.WARNING_COLOURS[level])
        fill = QColor(colour)
        fill.setAlpha(25)
        line = QgsSimpleLineSymbolLayer(colour, 1.2)
        line.setPenStyle(Qt.DashLine)
        symbol = make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(fill, Qt.SolidPattern, colour, Qt.NoPen, 0),
                                           line])
        rules.append((symbol, f"\"level\" = '{word}'", f"{word}预警范围", 0))
    grey = QgsSimpleLineSymbolLayer(QColor("#555555"), 1.0)
    grey.setPenStyle(Qt.DashLine)
    rules.append((make_symbol(QgsFillSymbol, [grey]), "ELSE", "预警范围", 0))
    layer.setRenderer(rule_renderer(rules))
    layer.setLabelsEnabled(False)


def _warning_villages(layer, font):
    def fill(colour, alpha):
        c = QColor(colour)
        c.setAlpha(alpha)
        return make_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(c, Qt.SolidPattern, QColor("#7f0000"),
                                                                    Qt.SolidLine, 0.3)])
    layer.setRenderer(rule_renderer([
        (fill(HAZARD_RED, 110), '"move_households" >= 20', "须转移 20 户以上", 0),
        (fill(ORANGE, 100), '"move_households" > 0', "须转移 1–19 户", 0),
        (fill("#ffd700", 70), "ELSE", "只须告知、做好准备", 0)]))
    label_layer(layer, "\"name\" || if(\"move_households\" > 0, '\\n转移 ' || \"move_households\" || ' 户', '')", font,
             8, "#7f0000", bold=True, priority=7, expression=True)


def _warning_households(layer, font):
    is_move = "\"action\" = 'move'"
    layer.setRenderer(rule_renderer([
        (marker_symbol("circle", HAZARD_RED, 2.8, outline="#4d0000", outline_width=0.6),
         f"{is_move} AND \"vulnerable\" = 1", "须转移（有老弱病残，先转）", 0),
        (marker_symbol("circle", HAZARD_RED, 2.0), is_move, "须立即转移", 0),
        (marker_symbol("circle", ORANGE, 1.6), "ELSE", "告知并做好转移准备", 0)]))
    layer.setLabelsEnabled(False)


def _warning_calls(layer, font):
    rules = []
    for groups, colour, width, legend, scale in CALL_LINES:
        line = QgsSimpleLineSymbolLayer(QColor(colour), width)
        head = QgsMarkerLineSymbolLayer(True, 0)
        head.setPlacement(QgsMarkerLineSymbolLayer.LastVertex)
        head.setSubSymbol(QgsMarkerSymbol.createSimple({"name": "filled_arrowhead", "color": colour,
                                                        "size": str(1.5 + 4 * width), "outline_style": "no"}))
        rules.append((make_symbol(QgsLineSymbol, [line, head]), f"\"group\" IN ({groups})", legend, scale))
    layer.setRenderer(rule_renderer(rules))
    layer.setLabelsEnabled(False)


WARNING_BUILDERS = {"warning_area": _warning_area, "warning_villages": _warning_villages,
            "warning_households": _warning_households, "warning_calls": _warning_calls}
