"""Styles fitted to the data at load time: classes re-cut at a layer's own values, risk labels from the data's
own words, smooth DEM resampling. Runs after a QML or a built style, so an edited QML is fitted too.
"""
from __future__ import annotations

import math

from qgis.core import (
    QgsCategorizedSymbolRenderer, QgsFeatureRequest, QgsGraduatedSymbolRenderer, QgsRasterLayer, QgsRectangle,
    QgsRendererRange, QgsSingleBandPseudoColorRenderer, QgsVectorLayer,
)

from .style_marks import class_ranges, risk_label, set_population_shader

FIXED_BREAKS_PROPERTY = "risk_one_map/fixed_breaks"  # true in population/exposure_villages.qml: keep the breaks


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
            renderer.updateCategoryLabel(i, risk_label(next(iter(labels))))
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
    set_population_shader(layer, population_breaks(values, len(colours)), colours)


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
    for r in class_ranges(bounds, symbols):
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
