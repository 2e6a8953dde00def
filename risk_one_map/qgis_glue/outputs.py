"""Analysis outputs as QGIS layers: Chinese names, model aliases, the package's styles.

Used by the Processing layer post-processor (``processing/base.py``) and by the analyst dialogs, so an output
looks the same whichever door produced it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from qgis.core import QgsProject, QgsVectorLayer

from ..layers import model

GROUP = "分析结果"


def display_name(layer_name: str) -> str:
    return model.layer_title(layer_name)


def gpkg_uri(package, layer_name: str) -> str:
    return f"{Path(package) / model.GPKG_NAME}|layername={layer_name}"


def style_output(layer: QgsVectorLayer, layer_name: str) -> None:
    """Aliases from the model and the style the package loader would give this layer."""
    from . import style as qgis_style
    if not layer.isValid():
        return
    qgis_style.apply_field_config(layer, model.layer_spec_any(layer_name))
    if layer.isSpatial():
        qgis_style.apply_style(layer, qgis_style.style_key(layer_name, layer.geometryType()))


def output_layer(package, layer_name: str) -> Optional[QgsVectorLayer]:
    layer = QgsVectorLayer(gpkg_uri(package, layer_name), display_name(layer_name), "ogr")
    if not layer.isValid():
        return None
    style_output(layer, layer_name)
    return layer


def add_outputs(package, layer_names: Iterable[str], project: Optional[QgsProject] = None) -> list:
    """Add the named output layers of ``package`` to ``project`` under one "分析结果" group (replacing
    layers of the same source added before). Returns the layers added."""
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    group = root.findGroup(GROUP) or root.insertGroup(0, GROUP)
    added = []
    for name in layer_names:
        uri = gpkg_uri(package, name)
        for old in [lyr for lyr in project.mapLayers().values() if lyr.source() == uri]:
            project.removeMapLayer(old.id())
        layer = output_layer(package, name)
        if layer is None:
            continue
        project.addMapLayer(layer, False)
        group.addLayer(layer)
        added.append(layer)
    return added
