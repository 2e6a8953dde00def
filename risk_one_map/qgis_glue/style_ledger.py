"""Styles of the hazard ledger's layers (隐患排查治理台账): its own sites, and the patrols merged from the phones."""
from __future__ import annotations

from qgis.core import QgsCategorizedSymbolRenderer, QgsRendererCategory

from ..layers import model
from .style_marks import DETAIL_SCALE, HAZARD_RED, label_layer, marker_symbol, rule_renderer

LEDGER_SITE_COLOUR = "#ff7f00"  # the ledger's sites: orange, apart from the census hazards' red
PATROL_BLUE = "#1e64c8"


def _hazard_sites(layer, font):
    """The ledger's own sites (九小场所, 自建房, 工地 ...): orange diamonds by category, named close up."""
    categories = [QgsRendererCategory(c.key, marker_symbol("diamond", LEDGER_SITE_COLOUR, 3.0), c.zh)
                  for c in model.LEDGER_CATEGORIES]
    layer.setRenderer(QgsCategorizedSymbolRenderer("category", categories))
    label_layer(layer, "name", font, 7.5, "#8c3d00", priority=6, max_scale=DETAIL_SCALE)


def _patrol_records(layer, font):
    """Where patrols looked, conflicts (冲突待定) in red for the office to decide."""
    layer.setRenderer(rule_renderer([
        (marker_symbol("circle", HAZARD_RED, 2.6), "\"outcome\" = 'conflict'", model.PATROL_OUTCOMES["conflict"], 0),
        (marker_symbol("circle", PATROL_BLUE, 2.0), "ELSE", "巡查记录", 0)]))
    layer.setLabelsEnabled(False)


LEDGER_BUILDERS = {"hazard_sites": _hazard_sites, "patrol_records": _patrol_records}
