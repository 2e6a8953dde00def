"""Evacuation zones: danger zones, radii around hazard points and low points, planning rings (rules in evacuation.py)."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import pandas as pd
import shapely

from ..layers import model
from .evacuation_common import FLOOD_MIN_DEPTH_M, RINGS, _crs, _default, _issue, _num, _text, _valid_geom


# --------------------------------------------------------------------------------------------------
# Evacuation zones
# --------------------------------------------------------------------------------------------------
def evacuation_zones(points=None, danger_zones=None, lowpoints=None, *, radii: Optional[dict] = None,
                     rings: Sequence[float] = RINGS, flood_min_depth_m: float = FLOOD_MIN_DEPTH_M):
    """Zones to evacuate, one row per hazard and ring; returns ``(GeoDataFrame, issues)``.

    ``radii`` overrides per kind, e.g. ``{"landslide": 250, "flood_lowpoint": 150}`` (metres).
    Columns: zone_id, ring, hazard_layer, hazard_id, hazard_name, kind, basis, radius_m, radius_is_default, geometry.
    """
    import geopandas as gpd
    radii = dict(radii or {})
    issues, rows = [], []

    def radius_for(kind):
        if kind in radii and radii[kind] is not None:
            return float(radii[kind]), False
        key = f"evac_radius_{kind}_m"
        if key in model.DEFAULTS:
            d = model.DEFAULTS[key]
            return float(d.value), not d.is_norm
        return None, True

    zoned_points = set()
    if danger_zones is not None and len(danger_zones):
        names = {}
        if points is not None and len(points):
            names = {str(i): (n, k) for i, n, k in zip(points.get("id", []), points.get("name", [None] * len(points)),
                                                        points.get("kind", [None] * len(points)))}
        for _, z in danger_zones.iterrows():
            zid, pid = _text(z.get("id")), _text(z.get("point_id"))
            g = z.geometry
            if not _valid_geom(g):
                issues.append(_issue("warning", "geohazard_zones", zid, "geometry",
                                     "danger zone has no geometry; its point falls back to a radius"))
                continue
            if not g.is_valid:
                g = shapely.make_valid(g)
            name, kind = names.get(pid, (None, None)) if pid else (None, None)
            kind = _text(z.get("kind")) or kind
            if pid:
                zoned_points.add(pid)
            rows.append(dict(hazard_layer="geohazard_zones", hazard_id=pid or zid, hazard_name=_text(name) or zid,
                             kind=kind, basis="danger zone polygon", radius_m=np.nan, radius_is_default=False,
                             geometry=g))
    if points is not None and len(points):
        for _, p in points.iterrows():
            pid = _text(p.get("id"))
            if pid in zoned_points:
                continue
            kind = _text(p.get("kind"))
            if not _valid_geom(p.geometry):
                issues.append(_issue("error", "geohazard_points", pid, "geometry",
                                     "hazard point has no geometry: no evacuation zone, "
                                     "its households cannot be found"))
                continue
            r = _num(p.get("evac_radius_m"))
            if r is not None and r > 0:
                basis, is_default = "evac_radius_m", False
            else:
                r, is_default = radius_for(kind)
                if r is None:
                    r, is_default = _default("evac_radius_landslide_m"), True
                    issues.append(_issue("warning", "geohazard_points", pid, "kind",
                                         f"unknown kind {kind!r}: the landslide default radius {r:g} m is used"))
                basis = "default radius (adjustable)" if is_default else "radius override"
            rows.append(dict(hazard_layer="geohazard_points", hazard_id=pid, hazard_name=_text(p.get("name")) or pid,
                             kind=kind, basis=basis, radius_m=float(r), radius_is_default=bool(is_default),
                             geometry=p.geometry.centroid.buffer(float(r), 32)))
    if lowpoints is not None and len(lowpoints):
        rows += _lowpoint_zones(lowpoints, radius_for, issues, flood_min_depth_m)
    cols = ["zone_id", "ring", "hazard_layer", "hazard_id", "hazard_name", "kind", "basis", "radius_m",
            "radius_is_default", "geometry"]
    if not rows:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=_crs(points, danger_zones, lowpoints)), issues
    base = pd.DataFrame(rows)
    out = []
    for f in sorted(set(float(r) for r in rings) | {1.0}):
        ring = base.copy()
        ring["ring"] = f
        if f != 1.0:
            geoms = []
            for _, r in base.iterrows():
                g = r.geometry
                if r.basis == "danger zone polygon":
                    geoms.append(g.buffer((f - 1.0) * math.sqrt(g.area / math.pi), 32))
                else:
                    geoms.append(g.buffer((f - 1.0) * r.radius_m, 32))
            ring["geometry"] = geoms
        out.append(ring)
    frame = pd.concat(out, ignore_index=True)
    frame["zone_id"] = [f"{h}@{r:g}" for h, r in zip(frame.hazard_id, frame.ring)]
    return gpd.GeoDataFrame(frame[cols], geometry="geometry", crs=_crs(points, danger_zones, lowpoints)), issues


def _lowpoint_zones(lowpoints, radius_for, issues, flood_min_depth_m) -> list:
    """Zone rows of the flood low points. A point (a ledger's low point) is its ponded area (area_m2) plus the
    low-point margin. Polygons (a ponded extent, or a flood simulation's depth classes) are dissolved first:
    adjacent pieces are one water body, one zone, with the flood-area margin; its rings grow from its own size,
    not from every piece's area summed into one radius."""
    points, areas = [], []
    for _, p in lowpoints.iterrows():
        pid = _text(p.get("id"))
        g = p.geometry
        if not _valid_geom(g):
            issues.append(_issue("error", "flood_lowpoints", pid, "geometry", "low point has no geometry: no zone"))
            continue
        depth = _num(p.get("max_depth_m"))
        if depth is not None and depth < flood_min_depth_m:
            issues.append(_issue("info", "flood_lowpoints", pid, "max_depth_m",
                                 f"ponding {depth:g} m is below {flood_min_depth_m:g} m: watched, not evacuated"))
            continue
        if g.geom_type in ("Polygon", "MultiPolygon"):
            areas.append((pid, _text(p.get("name")) or pid, g if g.is_valid else shapely.make_valid(g)))
        else:
            points.append((pid, _text(p.get("name")) or pid, g, _num(p.get("area_m2"))))
    rows = []
    margin, margin_default = radius_for("flood_lowpoint")
    for pid, name, g, area in points:
        core = math.sqrt(area / math.pi) if area and area > 0 else 0.0
        extent = g.centroid.buffer(core, 32) if core > 0 else g.centroid
        rows.append(dict(hazard_layer="flood_lowpoints", hazard_id=pid, hazard_name=name, kind="flood_lowpoint",
                         basis="ponded extent + margin" + (" (default)" if margin_default else ""),
                         radius_m=core + margin, radius_is_default=bool(margin_default),
                         geometry=extent.buffer(margin, 32)))
    if not areas:
        return rows
    margin, margin_default = radius_for("flood_area")
    geoms = np.asarray([shapely.get_parts(shapely.make_valid(g)) for _p, _n, g in areas], dtype=object)
    owner = np.concatenate([np.full(len(parts), i) for i, parts in enumerate(geoms)])
    parts = np.concatenate([np.asarray(parts, dtype=object) for parts in geoms])
    polygonal = np.isin(shapely.get_type_id(parts), (3, 6)) & ~shapely.is_empty(parts)
    parts, owner = parts[polygonal], owner[polygonal]
    if not len(parts):
        return rows
    water = shapely.get_parts(shapely.union_all(parts))  # touching pieces (and depth classes) become one body
    tree = shapely.STRtree(parts)
    bodies, pieces = tree.query(water, predicate="intersects")
    seen: dict = {}
    for k, body in enumerate(water):
        ids = list(dict.fromkeys(areas[i][0] for i in owner[pieces[bodies == k]]))
        names = list(dict.fromkeys(areas[i][1] for i in owner[pieces[bodies == k]]))
        hid = "+".join(ids)
        seen[hid] = seen.get(hid, 0) + 1
        rows.append(dict(hazard_layer="flood_lowpoints", hazard_id=f"{hid}#{seen[hid]}",
                         hazard_name="、".join(names), kind="flood_area",
                         basis="ponded area (adjacent pieces dissolved) + margin"
                         + (" (default)" if margin_default else ""),
                         radius_m=math.sqrt(body.area / math.pi) + margin, radius_is_default=bool(margin_default),
                         geometry=body.buffer(margin, 16)))
    if len(water) < len(parts):
        issues.append(_issue("info", "flood_lowpoints", None, "geometry",
                             f"{len(parts)} ponded pieces of {len(areas)} features dissolved into {len(water)} "
                             f"water bodies (adjacent pieces are one area), each with a {margin:g} m margin"))
    return rows
