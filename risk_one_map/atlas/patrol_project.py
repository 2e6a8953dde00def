"""The patrol folder's QGIS project (patrol.qgz): what QField opens on the phone, and QGIS Desktop the same.

The township's layers are loaded and styled as in the office (qgis_glue.project.load_package) and made read-only;
the two layers the phone adds to get Chinese forms: value lists from the model (the ledger site, the status, the
category, the village), dates with a calendar defaulting to today, the inspector defaulting to the name given at
export (or the phone user's), a photo taken with the camera and kept beside the project (DCIM/), and constraints
so that a record cannot be saved half filled, nor a hazard struck off (已销号) that was not seen put right.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..layers import model
from .project_file import save_project

EDITABLE = ("inspections", "new_sites")
INSPECTOR = "coalesce(nullif(@patrol_inspector, ''), @user_full_name)"
TODAY = "format_date(now(), 'yyyy-MM-dd')"
NEW_UUID = "regexp_replace(uuid(), '[{}]', '')"  # QGIS 3.22's uuid() has braces; QField's too
VALUE_MAP_NULL = "{2839923C-8B7D-419E-B84B-CA2FE9B80EC7}"  # QGIS's value-map entry for "no value"
MARKERS = {"inspections": ("#1e64c8", "circle"), "new_sites": ("#e31a1c", "star")}


def write_patrol_project(folder, inspector: Optional[str] = None) -> Path:
    """Write ``<folder>/patrol.qgz`` for the patrol folder written by jobs.patrol.export (see the module notes).
    Starts a headless QgsApplication if none runs; ImportError without PyQGIS."""
    from ..qgis_glue.app import ensure_app
    ensure_app()
    from qgis.core import QgsExpressionContextUtils, QgsProject

    from ..qgis_glue.project import load_package, package_crs
    folder = Path(folder)
    project = QgsProject()
    try:
        layers = load_package(project, folder)
        for key, layer in layers.items():
            if key not in EDITABLE and hasattr(layer, "setReadOnly"):
                layer.setReadOnly(True)  # the office's data: looked at on patrol, changed only by merging
        sites, villages = layers["patrol_sites"], layers.get("villages")
        sites.setName(model.PATROL_LAYER_BY_NAME["patrol_sites"].zh)
        _sites_style(sites)
        inspection_form(layers["inspections"], sites)
        new_site_form(layers["new_sites"], villages)
        crs = package_crs(layers)
        if crs is not None:
            project.setCrs(crs)
        meta = _meta(folder)
        project.setTitle(f"{meta.get('township_name') or ''}隐患巡查")
        QgsExpressionContextUtils.setProjectVariable(project, "patrol_inspector", inspector or "")
        return save_project(project, layers, folder / model.PATROL_PROJECT)
    finally:
        project.clear()


def _meta(folder: Path) -> dict:
    from ..layers.package import Package
    frame = Package(folder).read(model.PATROL_META, required=False)
    return frame.iloc[0].to_dict() if frame is not None and len(frame) else {}


def _sites_style(sites) -> None:
    """The ledger's own sites as in the office (orange diamonds, named); the geohazard points and low points among
    the patrol sites are drawn by their own layers already."""
    from ..qgis_glue.fonts import pick_cjk_font
    from ..qgis_glue.style import apply_style
    apply_style(sites, "hazard_sites", pick_cjk_font())
    renderer = sites.renderer()
    if hasattr(renderer, "setClassAttribute"):  # categorized by category: the linked layers' have no symbol here
        for i, cat in enumerate(renderer.categories()):
            if cat.value() in model.LEDGER_LINKED_LAYERS.values():
                renderer.updateCategoryRenderState(i, False)


# ------------------------------------------------------------------------------------------------ forms
def inspection_form(layer, sites) -> None:
    """巡查记录: which ledger site (a drop-down of the township's), when, who, what was found, a photo, the status
    it should have now (blank: unchanged), notes."""
    _common(layer, "inspections")
    _widget(layer, "site_key", "ValueRelation", {
        # found by id; the source (a fallback) relative, as the layers are: the folder moves to a phone
        "Layer": sites.id(), "LayerName": sites.name(), "LayerSource": f"./{model.GPKG_NAME}|layername=patrol_sites",
        "LayerProviderName": sites.providerType(), "Key": "key", "Value": "label", "AllowNull": False,
        "OrderByValue": True, "UseCompleter": True, "AllowMulti": False})
    _widget(layer, "new_status", "ValueMap", {"map": [{"（不变）": VALUE_MAP_NULL}] + [
        {zh: key} for key, zh in model.LEDGER_STATUSES.items()]})
    _date(layer, "inspected_at")
    _default(layer, "inspector", INSPECTOR)
    for name in ("finding", "note"):
        _widget(layer, name, "TextEdit", {"IsMultiline": True, "UseHtml": False})
    # 已销号 only from 已整改 (the ledger's workflow), checked against the status the site had at export
    _constraint(layer, "new_status",
                f"\"new_status\" IS NULL OR \"new_status\" <> 'closed' OR "
                f"attribute(get_feature('{sites.id()}', 'key', \"site_key\"), 'status') = 'fixed'",
                "只有“已整改”的隐患才能销号")
    layer.setDisplayExpression('"inspected_at" || \' \' || "inspector"')


def new_site_form(layer, villages) -> None:
    """新发现隐患: name, category (the plan's list), village (the township's), place, photo, finder, date."""
    _common(layer, "new_sites")
    _widget(layer, "category", "ValueMap", {"map": [
        {c.zh: c.key} for c in model.LEDGER_CATEGORIES]})
    if villages is not None:
        _widget(layer, "village_code", "ValueMap", {"map": [
            {f["name"]: f["code"]} for f in sorted(villages.getFeatures(), key=lambda f: str(f["code"]))]})
    _date(layer, "found_date")
    _default(layer, "finder", INSPECTOR)
    _widget(layer, "note", "TextEdit", {"IsMultiline": True, "UseHtml": False})
    layer.setDisplayExpression('"name"')


def _common(layer, name: str) -> None:
    """Name, aliases, the record's id (hidden, made on the phone), the photo, not-null constraints, a marker."""
    from qgis.core import QgsFieldConstraints, QgsMarkerSymbol, QgsSingleSymbolRenderer
    spec = model.PATROL_LAYER_BY_NAME[name]
    layer.setName(spec.zh)
    fields = layer.fields()
    for f in spec.fields:
        idx = fields.indexOf(f.name)
        layer.setFieldAlias(idx, f.zh)
        if f.required:
            layer.setFieldConstraint(idx, QgsFieldConstraints.ConstraintNotNull,
                                     QgsFieldConstraints.ConstraintStrengthHard)
        _widget(layer, f.name, "TextEdit", {"IsMultiline": False, "UseHtml": False})  # the lists etc. below
    _widget(layer, "uuid", "Hidden", {})
    if fields.indexOf("fid") >= 0:  # the GeoPackage's own key: nothing to fill in
        _widget(layer, "fid", "Hidden", {})
    _default(layer, "uuid", NEW_UUID)
    _widget(layer, "photo", "ExternalResource", {
        "DocumentViewer": 1, "DocumentViewerHeight": 0, "DocumentViewerWidth": 0, "FileWidget": True,
        "FileWidgetButton": True, "FileWidgetFilter": "", "RelativeStorage": 1, "StorageMode": 0,
        "PropertyCollection": {}, "DefaultRoot": ""})
    colour, shape = MARKERS[name]
    layer.setRenderer(QgsSingleSymbolRenderer(QgsMarkerSymbol.createSimple(
        {"name": shape, "color": colour, "outline_color": "#ffffff", "size": "4"})))


def _widget(layer, field: str, kind: str, config: dict) -> None:
    from qgis.core import QgsEditorWidgetSetup
    layer.setEditorWidgetSetup(layer.fields().indexOf(field), QgsEditorWidgetSetup(kind, config))


def _date(layer, field: str) -> None:
    _widget(layer, field, "DateTime", {"field_format": "yyyy-MM-dd", "display_format": "yyyy-MM-dd",
                                       "calendar_popup": True, "allow_null": False, "field_iso_format": False})
    _default(layer, field, TODAY)


def _default(layer, field: str, expression: str) -> None:
    from qgis.core import QgsDefaultValue
    layer.setDefaultValueDefinition(layer.fields().indexOf(field), QgsDefaultValue(expression, False))


def _constraint(layer, field: str, expression: str, description: str) -> None:
    from qgis.core import QgsFieldConstraints
    idx = layer.fields().indexOf(field)
    layer.setConstraintExpression(idx, expression, description)
    layer.setFieldConstraint(idx, QgsFieldConstraints.ConstraintExpression, QgsFieldConstraints.ConstraintStrengthHard)
