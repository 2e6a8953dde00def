"""Geometry of imported features: reprojected to the package CRS, invalid polygons repaired (polygonal part kept),
one-point MultiPoints made Points, empty or wrong-type geometries rejected.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from . import fieldmap, model
from .import_report import Record
from .readers import Source


def reproject(source: Source, target_crs):
    import shapely
    from pyproj import Transformer
    if source.geoms is None:
        return None
    geoms = shapely.force_2d(np.asarray(source.geoms, dtype=object))
    if source.crs is None or source.crs.crs == target_crs:
        return geoms
    tr = Transformer.from_crs(source.crs.crs, target_crs, always_xy=True)

    def fn(coords):
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geoms, fn)


def geometry_family(geom) -> Optional[str]:
    t = geom.geom_type
    return {"Point": "Point", "MultiPoint": "Point", "LineString": "LineString", "LinearRing": "LineString",
            "MultiLineString": "LineString", "Polygon": "Polygon", "MultiPolygon": "Polygon"}.get(t)


def check_geometry(rec: Record, source: Source, layer: str) -> None:
    import shapely
    spec = model.LAYER_BY_NAME.get(fieldmap.POINT_BASE.get(layer, layer))
    families = spec.geometry if spec is not None else ()
    if rec.layer in fieldmap.POINT_ADMIN_LAYERS.values():
        families = ("Point",)
    if layer in fieldmap.ADMIN_LAYERS and rec.layer == layer:
        families = ("Polygon",)
    g = rec.geom
    if not families:  # an attribute table (persons): geometry, if any, is dropped
        if g is not None and not g.is_empty:
            rec.notes.append("geometry dropped: persons is a table")
        rec.geom = None
        return
    if g is None or g.is_empty:
        cols = source.frame.attrs.get("coordinate_columns")
        if not cols:
            return rec.reject("no geometry (null)")
        fid = rec.row.get("source_fid")
        values = [source.frame.at[fid, c] if fid in source.frame.index else None for c in cols]
        shown = ", ".join("empty" if v is None else repr(v) for v in values)
        return rec.reject(f"no geometry: {cols[0]}/{cols[1]} of row {fid} are {shown}, not a coordinate pair")
    if not np.all(np.isfinite(shapely.get_coordinates(g))):
        return rec.reject("coordinates outside the CRS's valid area (could not be reprojected)")
    family = geometry_family(g)
    if g.geom_type == "GeometryCollection":
        parts = [p for p in shapely.get_parts(g) if geometry_family(p) in families]
        if not parts:
            return rec.reject(f"wrong geometry type: a collection with no {'/'.join(families)} part")
        fam = geometry_family(parts[0])
        parts = [p for p in parts if geometry_family(p) == fam]
        g = shapely.union_all(parts) if fam == "Polygon" else shapely.geometrycollections(parts)
        g = _single(g) if fam == "Point" else g
        rec.problems.append(f"geometry collection: kept its {fam} parts")
        family = fam
    if family not in families:
        return rec.reject(f"wrong geometry type: {g.geom_type}, {rec.layer} needs {' or '.join(families)}")
    if g.geom_type == "MultiPoint":
        n = shapely.get_num_geometries(g)
        if n != 1:
            return rec.reject(f"wrong geometry type: MultiPoint with {n} points, {rec.layer} needs one point each")
        g = shapely.get_geometry(g, 0)
        rec.problems.append("a one-point MultiPoint made a Point")
    if family == "Polygon" and not shapely.is_valid(g):
        reason = shapely.is_valid_reason(g)
        fixed = polygonal_part(shapely.make_valid(g))
        if fixed is None or fixed.is_empty:
            return rec.reject(f"invalid polygon that could not be repaired: {reason}")
        rec.problems.append(f"invalid polygon ({reason}) repaired with make_valid")
        a0, a1 = abs(_signed_area(g)), fixed.area
        rec.notes.append(f"area {a0:.0f} -> {a1:.0f} m2 after repair")
        g = fixed
    if family == "Polygon" and g.area <= 0:
        return rec.reject("degenerate polygon: zero area")
    rec.geom = g


def _single(g):
    import shapely
    return shapely.get_geometry(g, 0)


def polygonal_part(g):
    import shapely
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return None
    out = shapely.union_all(parts)
    return out if out.geom_type in ("Polygon", "MultiPolygon") else polygonal_part(out)


def _signed_area(g) -> float:
    """Shoelace area of the exterior rings (what an invalid polygon 'meant' before repair)."""
    import shapely
    total = 0.0
    for p in shapely.get_parts(g):
        xy = shapely.get_coordinates(p.exterior)
        total += 0.5 * abs(float(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1])))
    return total
