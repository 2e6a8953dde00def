"""Polygons of QGIS features or geometries handed to the pure core as (WKB, CRS WKT): one helper for every door
(the 预警叫应 dialog's layer, selection or drawn area, Processing's area layer)."""
from __future__ import annotations

from qgis.core import QgsWkbTypes


def polygon_areas(features_or_geometries, crs) -> list:
    """[(WKB bytes, CRS WKT)] of the polygons among ``features_or_geometries`` (features of a layer, or
    geometries); empty and non-polygon geometries are left out."""
    wkt = crs.toWkt() if crs is not None and crs.isValid() else None
    out = []
    for item in features_or_geometries:
        geometry = item.geometry() if hasattr(item, "geometry") else item
        if geometry is None or geometry.isEmpty() or geometry.type() != QgsWkbTypes.PolygonGeometry:
            continue
        out.append((bytes(geometry.asWkb()), wkt))
    return out
