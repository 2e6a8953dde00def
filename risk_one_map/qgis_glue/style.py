"""Styles of the one-map layers: QML files a county office can edit, with the same styles built in code as fallback.

``apply_style(layer, key)`` loads ``resources/styles/<key>.qml`` when it exists, else builds the style from the
model colours (``build_style``); ``scripts/make_styles.py`` writes the QML files from ``build_style``, so the two
agree until someone edits a QML on purpose. Label fonts are swapped at load time for an installed CJK family.
The parts: style_package (the package's layers), style_results (the analyses' outputs), style_fit (classes and
labels fitted to the data at load time), style_fields (aliases, value maps, map tips), style_marks (the pieces).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from qgis.core import (QgsMapLayer, QgsPalLayerSettings, QgsRasterLayer, QgsRuleBasedLabeling, QgsVectorLayer,
                       QgsVectorLayerSimpleLabeling, QgsWkbTypes)

from ..layers import model
from .fonts import is_installed, pick_cjk_font
from .style_fields import apply_field_config, value_labels
from .style_fit import fit_graduated_classes, fit_population_classes, relabel_risk_levels, smooth_resampling
from .style_marks import geometry_word
from .style_ledger import LEDGER_BUILDERS
from .style_package import PACKAGE_BUILDERS
from .style_results import RESULT_BUILDERS, ROUTE_LEGEND, style_route_heads, style_routes
from .style_warning import WARNING_BUILDERS

__all__ = ["apply_style", "apply_field_config", "build_style", "relabel_risk_levels", "replace_missing_fonts",
           "style_key", "style_path", "style_route_heads", "style_routes", "value_labels", "QML_CATEGORIES",
           "ROUTE_LEGEND", "STYLE_DIR", "STYLE_KEYS"]

STYLE_DIR = Path(__file__).resolve().parent.parent / "resources" / "styles"
# What a QML carries. Fields (aliases, widgets) stay out: they come from the model in code.
QML_CATEGORIES = (QgsMapLayer.Symbology | QgsMapLayer.Labeling | QgsMapLayer.Rendering
                  | QgsMapLayer.CustomProperties)
_BUILDERS = {**PACKAGE_BUILDERS, **RESULT_BUILDERS, **LEDGER_BUILDERS, **WARNING_BUILDERS}
STYLE_KEYS = tuple(_BUILDERS)  # every QML make_styles.py writes


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


def build_style(layer: QgsMapLayer, key: str, font: str) -> None:
    """Style ``layer`` in code (what the QML files are generated from)."""
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS["analysis_" + geometry_word(layer)] if isinstance(layer, QgsVectorLayer) else None
    if builder is not None:
        builder(layer, font)
