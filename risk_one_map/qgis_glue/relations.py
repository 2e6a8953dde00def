"""QGIS relations between a package's ledger layers: the form of a ledger site (its own 隐患排查治理台账点位, and the
geohazard points and low points the ledger links to) lists the site's treatment records (隐患治理记录) and status
changes (隐患治理状态变更记录), as the county office opens a site on the map and reads its history.

The two tables point at a site by layer and id (``site_layer``, ``site_id``), and ids of two layers may be equal.
Each site layer gets a virtual field holding its package name (``ledger_layer``, kept in the project, hidden) and one
relation per site layer and table joins both: site_layer = ledger_layer and site_id = id. Not QGIS's polymorphic
relation: in QGIS 3.22 those name their generated relations in English ("Generated for ..."), which is what a
township's form would show, and resolve layers only in the application's own project. Relations and the virtual
field live in the project (saved with onemap.qgz), never in the package's data."""
from __future__ import annotations

from qgis.core import QgsEditorWidgetSetup, QgsField, QgsRelation, QgsRelationContext
from qgis.PyQt.QtCore import QVariant

from ..layers import model

KEY_FIELD = "ledger_layer"  # on a site layer: its package name, e.g. hazard_sites
SITE_LAYERS = ("hazard_sites",) + tuple(model.LEDGER_LINKED_LAYERS)
HISTORY_TABLES = ("hazard_treatment", "hazard_history")
# How a record reads in a site's list: its status in Chinese and when (the tables have no name of their own).
RECORD_TITLES = {"hazard_treatment": "represent_value(\"status\") || '  ' || coalesce(\"status_date\", '')",
                 "hazard_history": "coalesce(\"changed_at\", '') || '  ' || represent_value(\"new_status\")"}


def link_ledger(project, layers: dict) -> list:
    """Relate each ledger table in ``layers`` (``load_package``'s keys) to each site layer present; returns the
    relations made (none where the package has no ledger)."""
    parents = [(name, layers[name]) for name in SITE_LAYERS if name in layers]
    tables = [(table, layers[table]) for table in HISTORY_TABLES if table in layers]
    made = []
    if not parents or not tables:
        return made
    for name, layer in parents:
        _add_key_field(layer, name)
    for table, child in tables:
        child.setDisplayExpression(RECORD_TITLES[table])
        # The key fields read as they are (the site layer's title, the id), not as QGIS's pickers of a related
        # feature, which a relation would otherwise put there: "(geohazard_points) (DZ-130693-009)".
        fields = child.fields()
        child.setEditorWidgetSetup(fields.indexOf("site_layer"), QgsEditorWidgetSetup(
            "ValueMap", {"map": [{model.layer_title(name): name} for name in SITE_LAYERS]}))
        child.setEditorWidgetSetup(fields.indexOf("site_id"), QgsEditorWidgetSetup("TextEdit", {}))
        for name, layer in parents:
            relation = QgsRelation(QgsRelationContext(project))  # the context resolves the layer ids
            relation.setId(f"{table}_{layer.id()}")  # one per loaded package: a project may hold two packages
            relation.setName(model.layer_title(table))
            relation.setReferencingLayer(child.id())
            relation.setReferencedLayer(layer.id())
            relation.addFieldPair("site_layer", KEY_FIELD)
            relation.addFieldPair("site_id", "id")
            if relation.isValid():
                project.relationManager().addRelation(relation)
                made.append(relation)
    return made


def _add_key_field(layer, name: str) -> None:
    """The virtual field naming the layer as the ledger does, hidden in the form and the attribute table."""
    if layer.fields().indexOf(KEY_FIELD) < 0:
        layer.addExpressionField(f"'{name}'", QgsField(KEY_FIELD, QVariant.String))
    idx = layer.fields().indexOf(KEY_FIELD)
    layer.setFieldAlias(idx, "台账图层")
    layer.setEditorWidgetSetup(idx, QgsEditorWidgetSetup("Hidden", {}))
    config = layer.attributeTableConfig()
    columns = config.columns()
    for column in columns:
        if column.name == KEY_FIELD:
            column.hidden = True
    config.setColumns(columns)
    layer.setAttributeTableConfig(config)
