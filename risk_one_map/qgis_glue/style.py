"""Styles of the one-map layers: QML files a county office can edit, with the same styles built in code as fallback.

``apply_style(layer, key)`` loads ``resources/styles/<key>.qml`` when it exists, else builds the style from the
model colours (``build_style``); ``scripts/make_styles.py`` writes the QML files from ``build_style``, so the two
agree until someone edits a QML on purpose. Label fonts are swapped at load time for an installed CJK family.
``apply_field_config`` sets the Chinese aliases, value maps (滑坡 for ``landslide``), display expression and map tip,
always from the model, never from a QML.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

from qgis.core import (
    QgsApplication, QgsCategorizedSymbolRenderer, QgsColorRampShader, QgsEditorWidgetSetup, QgsFeatureRequest,
    QgsFillSymbol, QgsGraduatedSymbolRenderer, QgsHillshadeRenderer, QgsLinePatternFillSymbolLayer, QgsLineSymbol,
    QgsMapLayer, QgsMarkerLineSymbolLayer, QgsMarkerSymbol, QgsPalLayerSettings, QgsProperty, QgsRasterLayer,
    QgsRasterShader,
    QgsRectangle, QgsRendererCategory, QgsRendererRange, QgsRuleBasedLabeling, QgsRuleBasedRenderer,
    QgsSimpleFillSymbolLayer, QgsSimpleLineSymbolLayer, QgsSimpleMarkerSymbolLayer, QgsSingleBandPseudoColorRenderer,
    QgsSingleSymbolRenderer, QgsSvgMarkerSymbolLayer, QgsTextBufferSettings, QgsTextFormat, QgsUnitTypes,
    QgsVectorLayer, QgsVectorLayerSimpleLabeling, QgsWkbTypes,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

from ..layers import model
from .fonts import is_installed, pick_cjk_font

STYLE_DIR = Path(__file__).resolve().parent.parent / "resources" / "styles"
# What a QML carries. Fields (aliases, widgets) stay out: they come from the model in code.
QML_CATEGORIES = (QgsMapLayer.Symbology | QgsMapLayer.Labeling | QgsMapLayer.Rendering
                  | QgsMapLayer.CustomProperties)
FIXED_BREAKS_PROPERTY = "risk_one_map/fixed_breaks"  # true in population/exposure_villages.qml: keep the breaks

# Colours beyond the model's: admin lines, hazard red and flood blue from the GB/T 37230 warning colours.
HAZARD_RED = model.WARNING_COLOURS[1]
ORANGE = model.WARNING_COLOURS[2]
FLOOD_BLUE = model.WARNING_COLOURS[4]
DEPOT_BROWN = "#8c510a"
CANDIDATE_PURPLE = "#7b3294"
ANALYSIS_COLOUR = "#6a3d9a"
POPULATION_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
GEOHAZARD_MARKERS = {"landslide": "triangle", "rockfall": "diamond", "debris_flow": "pentagon",
                     "ground_collapse": "circle", "ground_fissure": "cross_fill", "subsidence": "square"}
SHELTER_SIZES = {"emergency": 3.0, "short_term": 3.8, "long_term": 4.6}  # mm
# Analysis outputs (DOMAIN.md: routes green arrows, shelters green squares; warning orange/red for danger).
EXPOSURE_REDS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # light -> dark, ColorBrewer Reds
EXPOSURE_BREAKS = (100, 200, 400, 800, math.inf)  # people; re-cut at the layer's own values on load
EVACUEE_ORANGE = "#f57c00"
# DEM hollows by depth (m), light to dark blue (ColorBrewer Blues): shallow ponding to deep water.
DEPRESSION_BLUES = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
DEPRESSION_BREAKS = (0.5, 1.0, 2.0, math.inf)
DEPOT_PURPLE = "#3f007d"
ALLOCATION_GREY_PURPLE = "#8c82a8"
ISOCHRONE_GREENS = {5: "#1a9641", 10: "#66bd63", 15: "#a6d96a"}  # minutes -> colour, nearest band darkest
LOAD_CLASSES = ((0.8, model.SHELTER_COLOUR, 3.0, "负荷 ≤ 80%"), (1.0, ORANGE, 3.8, "负荷 80%–100%"),
                (math.inf, HAZARD_RED, 4.6, "超负荷 > 100%"))  # upper load_ratio, colour, mm, legend
TOP = 1e12  # the upper bound of an open-ended graduated class
DETAIL_SCALE = 25000  # point outputs and their labels: from 1:25 000 inwards (a village, not the county)
ROUTE_LEGEND = "撤离路线（箭头指向安置地点）"  # the village sheet's legend text for the routes

# A water drop, in SVG with QGIS's param() so the colours stay editable in the style dialog.
DROP_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
    '<path d="M12 1.5C12 1.5 4.5 10.2 4.5 15a7.5 7.5 0 0 0 15 0C19.5 10.2 12 1.5 12 1.5z" '
    'fill="param(fill) #1e64c8" stroke="param(outline) #ffffff" stroke-width="param(outline-width) 1.5"/></svg>')


# ------------------------------------------------------------------------------------------------ public helpers
def style_key(layer_name: str, geometry_type: int) -> str:
    """The style file stem for a package layer: its model name, ``<name>_polygon`` when a point layer comes as
    polygons (shelters, flood_lowpoints), the output name for an analysis output of the expected geometry,
    ``analysis_<geometry>`` for any other layer the model does not know."""
    spec = model.LAYER_BY_NAME.get(layer_name)
    kind = {QgsWkbTypes.PointGeometry: "point", QgsWkbTypes.LineGeometry: "line",
            QgsWkbTypes.PolygonGeometry: "polygon"}.get(geometry_type, "table")
    if spec is None:
        output = model.OUTPUT_LAYER_BY_NAME.get(layer_name)
        family = {"point": "Point", "line": "LineString", "polygon": "Polygon"}.get(kind)
        return layer_name if output is not None and family in output.geometry else f"analysis_{kind}"
    if kind == "polygon" and spec.geometry and spec.geometry[0] == "Point":
        return f"{layer_name}_polygon"
    return layer_name


def style_path(key: str) -> Path:
    return STYLE_DIR / f"{key}.qml"


def apply_style(layer: QgsMapLayer, key: str, font: Optional[str] = None) -> str:
    """Style ``layer`` from ``<key>.qml`` if present (returns "qml"), else in code (returns "code"); "none" for
    tables. Label fonts not installed here are replaced by ``font`` (default: ``pick_cjk_font()``)."""
    if isinstance(layer, QgsVectorLayer) and not layer.isSpatial():
        return "none"
    path = style_path(key)
    how = "code"
    if path.is_file():
        _msg, ok = layer.loadNamedStyle(str(path), QML_CATEGORIES)
        if ok:
            how = "qml"
            replace_missing_fonts(layer, font or pick_cjk_font())
    if how == "code":
        build_style(layer, key, font or pick_cjk_font())
    if key == "population" and isinstance(layer, QgsRasterLayer):
        fit_population_classes(layer)
    if key == "dem" and isinstance(layer, QgsRasterLayer):
        smooth_resampling(layer)
    if key == "risk_zones" and isinstance(layer, QgsVectorLayer):
        relabel_risk_levels(layer)
    if key == "exposure_villages" and isinstance(layer, QgsVectorLayer):
        fit_graduated_classes(layer)
    layer.triggerRepaint()
    return how


def apply_field_config(layer: QgsVectorLayer, spec: Optional[model.LayerSpec]) -> None:
    """Chinese aliases, value maps for coded fields, display expression and an HTML map tip, from the model."""
    if spec is None:
        return
    fields = layer.fields()
    present = []
    for f in spec.fields:
        idx = fields.indexOf(f.name)
        if idx < 0:
            continue
        present.append(f)
        layer.setFieldAlias(idx, f.zh)
        labels = value_labels(spec.name, f)
        if labels:
            layer.setEditorWidgetSetup(idx, QgsEditorWidgetSetup(
                "ValueMap", {"map": [{zh: key} for key, zh in labels.items()]}))
    names = {f.name for f in present}
    title = "name" if "name" in names else ("id" if "id" in names else None)
    if title:
        layer.setDisplayExpression(f'"{title}"')
    if layer.isSpatial() and present:
        rows = [f'<tr><td style="color:#555">{f.zh}</td><td>[% represent_value("{f.name}") %]</td></tr>'
                for f in present if f.name != title]
        head = f'<b>[% "{title}" %]</b><br>' if title else ""
        layer.setMapTipTemplate(f'<div style="font-size:10pt">{head}<table>{"".join(rows)}</table></div>')


def value_labels(layer_name: str, f: model.FieldSpec) -> dict:
    """Model key -> Chinese text for a coded field (empty if the field is free text)."""
    if f.name == "hazard_type":
        return {h.key: h.zh for h in model.HAZARD_TYPES}
    if f.name == "kind" and layer_name in ("geohazard_points", "geohazard_zones"):
        return dict(model.GEOHAZARD_KINDS)
    if f.name == "kind" and layer_name == "roads":
        return dict(getattr(model, "ROAD_KINDS", {}))
    if f.name == "shelter_class":
        return dict(model.SHELTER_CLASSES)
    if f.name == "source" and layer_name == "flood_lowpoints":
        return dict(getattr(model, "LOWPOINT_SOURCES", {}))
    if f.name == "kind" and layer_name == "evacuation_zones":
        return dict(model.GEOHAZARD_KINDS, flood_lowpoint=model.layer_title("flood_lowpoints"))
    if f.name == "hazard_layer" and layer_name == "evacuation_zones":
        return {name: model.layer_title(name) for name in ("geohazard_zones", "geohazard_points", "flood_lowpoints")}
    if f.name == "reason" and layer_name == "unserved":
        return dict(model.UNSERVED_REASONS)
    if f.name == "status" and layer_name == "shelter_load":
        return dict(model.SHELTER_STATUSES)
    if f.name == "status" and layer_name == "depot_sites":
        return dict(model.DEPOT_STATUSES)
    if f.name == "meets_standard":
        return {"True": "是", "False": "否"}
    if f.type == "int" and f.min == 0 and f.max == 1:
        return {1: "是", 0: "否"}
    return {}


def replace_missing_fonts(layer: QgsMapLayer, font: str) -> None:
    """Swap label font families this machine lacks (a QML written on Debian, opened on Windows) for ``font``."""
    if not isinstance(layer, QgsVectorLayer) or layer.labeling() is None:
        return
    labeling = layer.labeling()

    def fixed(settings: QgsPalLayerSettings) -> QgsPalLayerSettings:
        fmt = settings.format()
        if not is_installed(fmt.font().family()):
            qfont = fmt.font()
            qfont.setFamily(font)
            fmt.setFont(qfont)
            settings.setFormat(fmt)
        return settings

    if isinstance(labeling, QgsVectorLayerSimpleLabeling):
        layer.setLabeling(QgsVectorLayerSimpleLabeling(fixed(labeling.settings())))
    elif isinstance(labeling, QgsRuleBasedLabeling):
        for rule in labeling.rootRule().descendants():
            if rule.settings() is not None:
                rule.setSettings(fixed(QgsPalLayerSettings(rule.settings())))


def relabel_risk_levels(layer: QgsVectorLayer) -> None:
    """Legend labels of a risk-level renderer from the data's own ``level_label`` (极高 in a four-level release),
    when each level carries exactly one label; the model's five-level words otherwise."""
    renderer = layer.renderer()
    if not isinstance(renderer, QgsCategorizedSymbolRenderer) or renderer.classAttribute() != "risk_level":
        return
    if layer.fields().indexOf("level_label") < 0:
        return
    seen = {}
    request_fields = [layer.fields().indexOf("risk_level"), layer.fields().indexOf("level_label")]
    from qgis.core import QgsFeatureRequest
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry).setSubsetOfAttributes(request_fields)
    for feature in layer.getFeatures(request):
        level, label = feature["risk_level"], feature["level_label"]
        if level is None or label is None or str(label).strip() == "" or str(level) == "NULL":
            continue
        seen.setdefault(int(level), set()).add(str(label).strip())
    for i, cat in enumerate(renderer.categories()):
        try:
            level = int(cat.value())
        except (TypeError, ValueError):
            continue
        labels = seen.get(level)
        if labels and len(labels) == 1:
            renderer.updateCategoryLabel(i, _risk_label(next(iter(labels))))
    # A four-level release (极高/高/中/低 = 1..4) has no level 5: its five-level class "低风险" would show twice in
    # the legend, in two colours, beside the data's own 低 of level 4.
    shown = {}
    for i, cat in enumerate(renderer.categories()):
        shown.setdefault(cat.label(), []).append(i)
    absent = sorted((i for indices in shown.values() if len(indices) > 1 for i in indices
                     if _category_level(renderer.categories()[i]) not in seen), reverse=True)
    for i in absent:
        renderer.deleteCategory(i)


def _category_level(category):
    try:
        return int(category.value())
    except (TypeError, ValueError):
        return None


def fit_population_classes(layer: QgsRasterLayer) -> None:
    """Re-cut the population classes at this raster's own quantiles (nice round numbers), keeping the colours of
    the style; zero and nodata stay transparent. Skipped if the style sets ``risk_one_map/fixed_breaks``."""
    if str(layer.customProperty(FIXED_BREAKS_PROPERTY, "false")).lower() in ("true", "1", "yes"):
        return
    renderer = layer.renderer()
    if not isinstance(renderer, QgsSingleBandPseudoColorRenderer) or renderer.shader() is None:
        return
    ramp = renderer.shader().rasterShaderFunction()
    colours = [item.color for item in ramp.colorRampItemList() if item.color.alpha() > 0]
    values = _positive_sample(layer)
    if not colours or values is None or values.size == 0:
        return
    _set_population_shader(layer, population_breaks(values, len(colours)), colours)


def fit_graduated_classes(layer: QgsVectorLayer) -> None:
    """Re-cut a graduated style's classes above zero at this layer's own quantiles (nice round numbers), keeping
    the symbols; a class of exactly zero stays as it is. Skipped if the style sets ``risk_one_map/fixed_breaks``."""
    if str(layer.customProperty(FIXED_BREAKS_PROPERTY, "false")).lower() in ("true", "1", "yes"):
        return
    renderer = layer.renderer()
    if not isinstance(renderer, QgsGraduatedSymbolRenderer) or layer.fields().indexOf(renderer.classAttribute()) < 0:
        return
    zero = [r for r in renderer.ranges() if r.upperValue() <= 0]
    symbols = [r.symbol().clone() for r in renderer.ranges() if r.upperValue() > 0]
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry).setSubsetOfAttributes(
        [renderer.classAttribute()], layer.fields())
    values = []
    for feature in layer.getFeatures(request):
        try:
            value = float(feature[renderer.classAttribute()])
        except (TypeError, ValueError):
            continue
        if value > 0 and math.isfinite(value):
            values.append(value)
    if not symbols or not values:
        return
    bounds = population_breaks(values, len(symbols))
    symbols = symbols[-len(bounds):]  # fewer distinct breaks than classes: keep the darkest colours
    for i in reversed(range(len(renderer.ranges()))):
        renderer.deleteClass(i)
    for r in zero:
        renderer.addClassRange(QgsRendererRange(r.lowerValue(), r.upperValue(), r.symbol().clone(), r.label()))
    for r in _ranges(bounds, symbols):
        renderer.addClassRange(r)


def smooth_resampling(layer: QgsRasterLayer) -> None:
    """Cubic/bilinear resampling before the hillshade is computed, so a coarse DEM shades smoothly, not in tiles."""
    provider = layer.dataProvider()
    if hasattr(provider, "enableProviderResampling"):  # QGIS >= 3.16
        provider.enableProviderResampling(True)
        provider.setZoomedInResamplingMethod(provider.ResamplingMethod.Cubic)
        provider.setZoomedOutResamplingMethod(provider.ResamplingMethod.Bilinear)
        try:
            from qgis.core import Qgis
            stage = Qgis.RasterResamplingStage.Provider  # QGIS >= 3.26
        except AttributeError:
            from qgis.core import QgsRasterPipe
            stage = QgsRasterPipe.ResamplingStage.Provider
        layer.setResamplingStage(stage)


def population_breaks(values, classes: int) -> list:
    """Upper bounds of ``classes`` classes of positive values: quantiles rounded to 2 significant digits,
    strictly increasing; the last bound is infinite."""
    import numpy as np
    qs = np.quantile(values, [i / classes for i in range(1, classes)])
    bounds = []
    for q in qs:
        nice = _round_sig(float(q))
        if nice > 0 and (not bounds or nice > bounds[-1]):
            bounds.append(nice)
    return bounds + [math.inf]


# ------------------------------------------------------------------------------------------------ building styles
def build_style(layer: QgsMapLayer, key: str, font: str) -> None:
    """Style ``layer`` in code (what the QML files are generated from)."""
    builder = _BUILDERS.get(key)
    if builder is None and key in _MORE_BUILDERS:
        import importlib
        builder = importlib.import_module(f"{__package__}.{_MORE_BUILDERS[key]}").BUILDERS[key]
    if builder is None:
        builder = _BUILDERS["analysis_" + _geometry_word(layer)] if isinstance(layer, QgsVectorLayer) else None
    if builder is not None:
        builder(layer, font)


def _county(layer, font):
    halo = QgsSimpleLineSymbolLayer(QColor(255, 255, 255, 200), 1.6)
    line = QgsSimpleLineSymbolLayer(QColor("#1a1a1a"), 0.8)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsFillSymbol, [halo, line])))
    layer.setLabelsEnabled(False)


def _townships(layer, font):
    line = QgsSimpleLineSymbolLayer(QColor("#262626"), 0.6)
    line.setPenStyle(Qt.DashDotLine)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsFillSymbol, [line])))
    _label(layer, "name", font, 11, "#222222", bold=True, priority=8)


def _villages(layer, font):
    line = QgsSimpleLineSymbolLayer(QColor("#595959"), 0.3)
    line.setPenStyle(Qt.DashLine)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsFillSymbol, [line])))
    _label(layer, "name", font, 8, "#404040", priority=4)


def _risk_zones(layer, font):
    categories = []
    for level in model.RISK_LEVELS:
        colour = QColor(model.RISK_LEVEL_COLOURS[level])
        symbol = QgsFillSymbol.createSimple({"color": colour.name(), "outline_color": colour.darker(130).name(),
                                             "outline_width": "0.15"})
        categories.append(QgsRendererCategory(level, symbol, _risk_label(model.level_label(level))))
    layer.setRenderer(QgsCategorizedSymbolRenderer("risk_level", categories))
    layer.setOpacity(0.5)
    layer.setLabelsEnabled(False)


def _geohazard_points(layer, font):
    categories = []
    for key, zh in model.GEOHAZARD_KINDS.items():
        categories.append(QgsRendererCategory(key, _marker(GEOHAZARD_MARKERS[key], HAZARD_RED, 3.4), zh))
    categories.append(QgsRendererCategory("", _marker("circle", HAZARD_RED, 3.0), "其他"))
    layer.setRenderer(QgsCategorizedSymbolRenderer("kind", categories))
    _label(layer, "name", font, 8, "#a50000", priority=9)


def _geohazard_zones(layer, font):
    hatch = QgsLinePatternFillSymbolLayer()
    hatch.setLineAngle(45)
    hatch.setDistance(1.6)
    hatch.setLineWidth(0.2)
    hatch.setColor(QColor(HAZARD_RED))
    hatch.subSymbol().setColor(QColor(HAZARD_RED))
    hatch.subSymbol().symbolLayer(0).setWidth(0.2)
    outline = QgsSimpleLineSymbolLayer(QColor(HAZARD_RED), 0.5)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsFillSymbol, [hatch, outline])))
    layer.setLabelsEnabled(False)


def _flood_lowpoints(layer, font):
    svg = QgsSvgMarkerSymbolLayer(_svg_base64(DROP_SVG), 4.2)
    svg.setFillColor(QColor(FLOOD_BLUE))
    svg.setStrokeColor(QColor("#ffffff"))
    svg.setStrokeWidth(0.3)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsMarkerSymbol, [svg])))
    _label(layer, "name", font, 8, "#0b3d91", priority=7)


def _flood_lowpoints_polygon(layer, font):
    fill = QgsSimpleFillSymbolLayer(QColor(30, 100, 200, 110), Qt.SolidPattern, QColor(FLOOD_BLUE), Qt.SolidLine, 0.4)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsFillSymbol, [fill])))
    _label(layer, "name", font, 8, "#0b3d91", priority=7)


def _shelters(layer, font):
    categories = [QgsRendererCategory(key, _marker("square", model.SHELTER_COLOUR, SHELTER_SIZES[key]), zh)
                  for key, zh in model.SHELTER_CLASSES.items()]
    categories.append(QgsRendererCategory("", _marker("square", model.SHELTER_COLOUR, 3.0), "其他"))
    layer.setRenderer(QgsCategorizedSymbolRenderer("shelter_class", categories))
    _label(layer, "name", font, 8, "#0f5c28", priority=8)


def _shelters_polygon(layer, font):
    categories = []
    for key, zh in list(model.SHELTER_CLASSES.items()) + [("", "其他")]:
        colour = QColor(model.SHELTER_COLOUR)
        fill = QColor(colour)
        fill.setAlpha(90)
        width = 0.3 + 0.2 * list(SHELTER_SIZES).index(key) if key else 0.3
        categories.append(QgsRendererCategory(key, _symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(
            fill, Qt.SolidPattern, colour, Qt.SolidLine, width)]), zh))
    layer.setRenderer(QgsCategorizedSymbolRenderer("shelter_class", categories))
    _label(layer, "name", font, 8, "#0f5c28", priority=8)


def _depots(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(_marker("diamond", DEPOT_BROWN, 3.8)))
    _label(layer, "name", font, 8, "#5a3306", priority=7)


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
        categories.append(QgsRendererCategory(key, _symbol(QgsLineSymbol, layers), kinds.get(key, key)))
    # roads with no kind (an OSM export without tags, say): a plain dark line that reads as a road, not as the
    # thin grey of village boundaries
    categories.append(QgsRendererCategory("", _symbol(QgsLineSymbol, [QgsSimpleLineSymbolLayer(QColor("#6b6b6b"), 0.5)]),
                                          "道路（未分级）"))
    renderer = QgsCategorizedSymbolRenderer("kind", categories)
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    _label(layer, "name", font, 7, "#5a3a10", priority=3, placement=QgsPalLayerSettings.Curved)


def _households(layer, font):
    root = QgsRuleBasedRenderer.Rule(None)
    root.setRuleKey("root")  # fixed keys keep the generated QML stable
    vulnerable = QgsRuleBasedRenderer.Rule(
        _marker("circle", "#ff7f00", 1.6, outline="#7f2704", outline_width=0.2),
        0, 0, "\"vulnerable\" IS NOT NULL AND trim(\"vulnerable\") <> ''", "有脆弱人群的住户")
    vulnerable.setRuleKey("vulnerable")
    other = QgsRuleBasedRenderer.Rule(_marker("circle", "#707070", 1.0, outline="#707070", outline_width=0),
                                      0, 0, "ELSE", "住户", "", True)
    other.setRuleKey("other")
    root.appendChild(other)
    root.appendChild(vulnerable)
    layer.setRenderer(QgsRuleBasedRenderer(root))
    _detail_only(layer)
    layer.setLabelsEnabled(False)


def _population(layer, font):
    _set_population_shader(layer, [1, 5, 10, 20, math.inf], [QColor(c) for c in POPULATION_COLOURS])
    layer.setOpacity(0.75)


def _dem(layer, font):
    renderer = QgsHillshadeRenderer(layer.dataProvider(), 1, 315.0, 45.0)
    renderer.setMultiDirectional(True)
    renderer.setZFactor(1.5)
    layer.setRenderer(renderer)
    layer.setOpacity(0.45)


def _analysis_point(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(_marker("circle", ANALYSIS_COLOUR, 2.4)))
    layer.setLabelsEnabled(False)


def _analysis_line(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsLineSymbol, [QgsSimpleLineSymbolLayer(QColor(ANALYSIS_COLOUR), 0.6)])))
    layer.setLabelsEnabled(False)


def _analysis_polygon(layer, font):
    fill = QColor(ANALYSIS_COLOUR)
    fill.setAlpha(60)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(
        fill, Qt.SolidPattern, QColor(ANALYSIS_COLOUR), Qt.SolidLine, 0.4)])))
    layer.setLabelsEnabled(False)


def _exposure_villages(layer, font):
    """Choropleth of the people in level 1-2 risk zones, light to dark red; villages with none light grey."""
    zero = _symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(QColor("#f0f0f0"), Qt.SolidPattern, QColor("#7f0000"),
                                                              Qt.SolidLine, 0.2)])
    symbols = [_symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(QColor(c), Qt.SolidPattern, QColor("#7f0000"),
                                                                 Qt.SolidLine, 0.2)]) for c in EXPOSURE_REDS]
    renderer = QgsGraduatedSymbolRenderer("exposed_l1_2", [QgsRendererRange(0, 0, zero, "0")]
                                          + _ranges(EXPOSURE_BREAKS, symbols))
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
        symbol = _symbol(QgsFillSymbol, [QgsSimpleFillSymbolLayer(fill, Qt.SolidPattern, QColor(FLOOD_BLUE),
                                                                  Qt.SolidLine, 0.2)])
        test = f'coalesce("nest_level", 0) = 0 AND "max_depth_m" > {lower:g}' + (
            f' AND "max_depth_m" <= {upper:g}' if math.isfinite(upper) else "")
        rules.append((symbol, test, f"深 {_class_label(lower, upper)} 米", 0))
        lower = upper
    nested = QgsSimpleFillSymbolLayer(QColor(255, 255, 255, 0), Qt.NoBrush, QColor(FLOOD_BLUE), Qt.DotLine, 0.25)
    rules.append((_symbol(QgsFillSymbol, [nested]), '"nest_level" > 0', "洼地内的小洼地", 0))
    layer.setRenderer(_rules(rules))
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
    core = _symbol(QgsFillSymbol, [hatch, QgsSimpleLineSymbolLayer(QColor(HAZARD_RED), 0.5)])
    ring = QgsSimpleLineSymbolLayer(QColor(ORANGE), 0.35)
    ring.setPenStyle(Qt.DashLine)
    is_core = 'coalesce("ring", 1) <= 1'
    # Short legend words: the sheet's legend column is narrow.
    layer.setRenderer(_rules([(core, is_core, "危险区或撤离半径", 0),
                              (_symbol(QgsFillSymbol, [ring]), "ELSE", "扩大撤离范围", 50000)]))
    _label(layer, f'if({is_core}, "hazard_name", NULL)', font, 7.5, "#b30000", priority=3,
           placement=QgsPalLayerSettings.PerimeterCurved, expression=True, max_scale=50000)


def _evacuation_routes(layer, font):
    style_routes(layer, name=None)


def _evacuees(layer, font):
    layer.setRenderer(QgsSingleSymbolRenderer(_marker("circle", EVACUEE_ORANGE, 1.8, outline_width=0.3)))
    _detail_only(layer)
    layer.setLabelsEnabled(False)


def _unserved(layer, font):
    halo = QgsSimpleMarkerSymbolLayer(QgsSimpleMarkerSymbolLayer.Cross2, 3.2)
    halo.setStrokeColor(QColor(255, 255, 255, 230))
    halo.setStrokeWidth(1.1)
    cross = QgsSimpleMarkerSymbolLayer(QgsSimpleMarkerSymbolLayer.Cross2, 3.2)
    cross.setStrokeColor(QColor(HAZARD_RED))
    cross.setStrokeWidth(0.6)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsMarkerSymbol, [halo, cross])))
    _label(layer, 'represent_value("reason")', font, 7, "#a50000", priority=2, expression=True,
           max_scale=DETAIL_SCALE)


def _shelter_load(layer, font):
    """Green / orange / red squares, larger as the load grows; shelters not open (in a danger zone, no capacity)
    grey."""
    is_open = "coalesce(\"status\", 'open') = 'open' AND \"load_ratio\" IS NOT NULL"
    rules, lower = [], None
    for upper, colour, size, legend in LOAD_CLASSES:
        test = is_open + (f' AND "load_ratio" > {lower:g}' if lower is not None else "") + (
            f' AND "load_ratio" <= {upper:g}' if math.isfinite(upper) else "")
        rules.append((_marker("square", colour, size), test, legend, 0))
        lower = upper
    rules.append((_marker("square", "#9e9e9e", 2.6), "ELSE", "不可用（危险区内、无容量等）", 0))
    layer.setRenderer(_rules(rules))
    # Right under the square, over the road it stands on: round the point the shelter's name leaves no room.
    _label(layer, "format_number(100 * \"load_ratio\", 0) || '%'", font, 7, "#333333", priority=6, expression=True,
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
        ranges.append(QgsRendererRange(lower, minutes, _symbol(QgsFillSymbol, [sl]), f"{minutes} 分钟内"))
        lower = minutes
    outer = QgsSimpleFillSymbolLayer(QColor(255, 255, 255, 0), Qt.NoBrush, QColor(colour), Qt.DashLine, 0.25)
    ranges.append(QgsRendererRange(lower, TOP, _symbol(QgsFillSymbol, [outer]), f"> {lower} 分钟"))
    renderer = QgsGraduatedSymbolRenderer("minutes", ranges)
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    layer.setLabelsEnabled(False)


def _depot_sites(layer, font):
    categories = [
        QgsRendererCategory("new", _marker("star", DEPOT_PURPLE, 6.0, outline_width=0.5), "新选址储备点"),
        QgsRendererCategory("existing", _marker("star", "#807dba", 6.0, outline=DEPOT_PURPLE, outline_width=0.6),
                            "现有储备点（保留）"),
        QgsRendererCategory("", _marker("star", DEPOT_PURPLE, 6.0, outline_width=0.5), "其他"),
    ]
    layer.setRenderer(QgsCategorizedSymbolRenderer("status", categories))
    _label(layer, "name", font, 9, DEPOT_PURPLE, bold=True, priority=9)


def _depot_allocation(layer, font):
    colour = QColor(ALLOCATION_GREY_PURPLE)
    colour.setAlpha(220)
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsLineSymbol, [QgsSimpleLineSymbolLayer(colour, 0.35)])))
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
    layer.setRenderer(QgsSingleSymbolRenderer(_symbol(QgsLineSymbol, parts)))
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


_BUILDERS = {
    "county": _county, "townships": _townships, "villages": _villages, "risk_zones": _risk_zones,
    "geohazard_points": _geohazard_points, "geohazard_zones": _geohazard_zones,
    "flood_lowpoints": _flood_lowpoints, "flood_lowpoints_polygon": _flood_lowpoints_polygon,
    "shelters": _shelters, "shelters_polygon": _shelters_polygon, "depots": _depots,
    "depot_candidates": _depot_candidates, "roads": _roads, "households": _households,
    "population": _population, "dem": _dem,
    "analysis_point": _analysis_point, "analysis_line": _analysis_line, "analysis_polygon": _analysis_polygon,
    "exposure_villages": _exposure_villages, "evacuation_zones": _evacuation_zones,
    "evacuation_routes": _evacuation_routes, "evacuees": _evacuees, "unserved": _unserved,
    "shelter_load": _shelter_load, "shelter_isochrones": _shelter_isochrones, "depot_sites": _depot_sites,
    "depot_allocation": _depot_allocation, "dem_depressions": _dem_depressions,
}
# Styles built in modules of their own (they use the helpers here, so they are imported when first used).
_MORE_BUILDERS = {"warning_area": "warning_style", "warning_villages": "warning_style",
                  "warning_households": "warning_style", "warning_calls": "warning_style"}
STYLE_KEYS = tuple(_BUILDERS) + tuple(_MORE_BUILDERS)  # every QML make_styles.py writes


# ------------------------------------------------------------------------------------------------ small pieces
def _risk_label(word: str) -> str:
    return word if word.endswith("风险") else f"{word}风险"


def _symbol(cls, symbol_layers):
    """A symbol made of ``symbol_layers``. appendSymbolLayer takes ownership; the list constructor does not
    (PyQGIS 3.22 then deletes the layers under the symbol's feet)."""
    symbol = cls()
    symbol.deleteSymbolLayer(0)
    for sl in symbol_layers:
        symbol.appendSymbolLayer(sl)
    return symbol


def _marker(shape: str, colour: str, size: float, outline: str = "#ffffff", outline_width: float = 0.4):
    return QgsMarkerSymbol.createSimple({"name": shape, "color": QColor(colour).name(), "outline_color": outline,
                                         "outline_width": str(outline_width), "size": str(size)})


def _rules(rules):
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


def _ranges(bounds, symbols) -> list:
    """Graduated classes (0, b1], (b1, b2], …, the last bound may be infinite (stored as ``TOP``)."""
    out, lower = [], 0.0
    for bound, symbol in zip(bounds, symbols):
        out.append(QgsRendererRange(lower, TOP if math.isinf(bound) else float(bound), symbol,
                                    _class_label(lower, bound)))
        lower = bound
    return out


def _class_label(lower: float, bound: float) -> str:
    return f"> {_fmt(lower)}" if math.isinf(bound) else f"{_fmt(lower)} – {_fmt(bound)}"


def _detail_only(layer: QgsVectorLayer) -> None:
    """Drawn from ``DETAIL_SCALE`` inwards only (a village), like the households."""
    layer.setScaleBasedVisibility(True)
    layer.setMinimumScale(DETAIL_SCALE)  # the most zoomed-out scale it draws at
    layer.setMaximumScale(0)


def _svg_base64(svg: str) -> str:
    import base64
    return "base64:" + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _geometry_word(layer: QgsVectorLayer) -> str:
    return {QgsWkbTypes.PointGeometry: "point", QgsWkbTypes.LineGeometry: "line"}.get(layer.geometryType(), "polygon")


def _label(layer: QgsVectorLayer, field: str, font: str, size: float, colour: str, bold: bool = False,
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
    settings.setFormat(_text_format(font, size, colour, bold))
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


def _text_format(font: str, size: float, colour: str, bold: bool) -> QgsTextFormat:
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


def _set_population_shader(layer: QgsRasterLayer, bounds, colours) -> None:
    """Discrete classes: 0 transparent, then one colour per upper bound (people per cell)."""
    colours = [QColor(c) for c in colours]
    colours = colours[-len(bounds):] if len(colours) >= len(bounds) else colours + [colours[-1]] * (
        len(bounds) - len(colours))
    items = [QgsColorRampShader.ColorRampItem(0.0, QColor(0, 0, 0, 0), "0")]
    lower = 0.0
    for bound, colour in zip(bounds, colours):
        items.append(QgsColorRampShader.ColorRampItem(float(bound), colour, _class_label(lower, bound)))
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


def _positive_sample(layer: QgsRasterLayer, max_side: int = 1000):
    """Positive, valid cell values (resampled to at most ``max_side`` cells a side), as a numpy array."""
    import numpy as np
    provider = layer.dataProvider()
    width, height = layer.width(), layer.height()
    scale = max(1.0, max(width, height) / float(max_side))
    w, h = max(1, int(width / scale)), max(1, int(height / scale))
    block = provider.block(1, QgsRectangle(layer.extent()), w, h)
    if block is None or not block.isValid():
        return None
    dtype = {2: np.uint8, 3: np.uint16, 4: np.int16, 5: np.uint32, 6: np.int32, 7: np.float32, 8: np.float64}.get(
        int(block.dataType()))
    if dtype is None:
        return None
    data = np.frombuffer(bytes(block.data()), dtype=dtype).astype("float64")
    if data.size != w * h:
        return None
    if block.hasNoDataValue():
        data = data[data != block.noDataValue()]
    if provider.sourceHasNoDataValue(1):
        data = data[data != provider.sourceNoDataValue(1)]
    data = data[np.isfinite(data) & (data > 0)]
    return data


def _round_sig(x: float, digits: int = 2) -> float:
    if x <= 0:
        return 0.0
    power = math.floor(math.log10(x)) - (digits - 1)
    return round(x / 10 ** power) * 10 ** power if power > 0 else round(x, -power)


def _fmt(x: float) -> str:
    return f"{x:g}"
