"""QGIS-side code: imports qgis."""
