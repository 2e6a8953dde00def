"""Risk One Map (风险隐患"一张图"): a QGIS plugin, a Python library and a command-line tool.

This file must stay import-light: ``import risk_one_map.analysis`` and the CLI must work without QGIS,
so only ``classFactory`` touches the plugin, and it imports it lazily.
"""
__version__ = "0.1.0"


def classFactory(iface):  # noqa: N802 (QGIS's name)
    """QGIS calls this to load the plugin."""
    from .plugin import RiskOneMapPlugin
    return RiskOneMapPlugin(iface)
