"""What a layer's fields show in QGIS: Chinese aliases, value maps (滑坡 for ``landslide``), display expression
and map tip, always from the model, never from a QML.
"""
from __future__ import annotations

from typing import Optional

from qgis.core import QgsEditorWidgetSetup, QgsVectorLayer

from ..layers import model


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
    if layer_name in model.LEDGER_TABLES and f.name in model.LEDGER_FIELD_LABELS:
        return dict(model.LEDGER_FIELD_LABELS[f.name])
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
