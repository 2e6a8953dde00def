"""The one-map data model, package I/O, the checker and the importers (pure), plus QGIS adapters (qgis_*.py)."""
