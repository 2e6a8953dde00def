"""The one-map data model, package I/O, the checker and the importers; pure (the QGIS side is qgis_glue/)."""
