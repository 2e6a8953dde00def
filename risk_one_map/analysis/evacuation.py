"""Evacuation (转移避险): zones, who must leave, shelters along the roads with capacity, isochrones.

PURE: numpy, scipy, shapely 2, geopandas; OR-Tools for the optimal assignment when installed (scipy's HiGHS
otherwise). Distances in metres in the package's projected CRS; every adjustable value comes from
``layers.model.DEFAULTS`` and is labelled as a default where no norm gives it.

Rules chosen here (no national norm found; all adjustable):

* Evacuation zone of a geohazard point: its delineated danger zone (``geohazard_zones.point_id``) where there is
  one; otherwise a circle of the point's ``evac_radius_m``; otherwise the per-kind default
  ``evac_radius_<kind>_m`` (``basis`` says which; ``radius_is_default`` flags defaults). Danger zones with no point
  are zones of their own.
* Flood low point: the ponded extent (the polygon, or a circle of the ledger's ``area_m2`` around the point) plus a
  margin of ``evac_radius_flood_lowpoint_m``; a low point whose known ``max_depth_m`` is below
  ``flood_min_depth_m`` (0.15 m: GB 51222-2017 counts road ponding deeper than 15 cm as waterlogging) gets no zone
  and is reported.
* Planning rings: ring 1 is the zone; ring f > 1 grows a circle to f × radius and a polygon by (f - 1) × the radius
  of the circle of equal area. Only ring 1 decides who must leave; shelters inside ring 1 are closed.
* Who must leave: every household point inside a ring-1 zone; where a village has no household points at all,
  population-raster cells whose centre is in a zone become pseudo-households (``pseudo``) at the cell centre.
* Assignment: an optimal min-cost flow of people from households to open shelters, minimising total walking
  distance (person-metres) along the roads under shelter capacities. Arcs exist only to shelters reachable by road
  within the class limit: emergency shelters within ``radius_emergency_m`` (GB 50413-2007: 500 m), others within
  ``max_walk_m``. As many people are placed as capacities allow (OR-Tools' max flow with min cost; the LP
  fallback gives "unserved" a prohibitive cost instead); who is left out is listed with the reason (no route, no
  capacity). The flow is optimal for people; a household the flow splits between
  shelters (a handful at most, at full shelters) is then placed whole in its cheapest shelter with room left, and
  room it could not use goes to households left out, nearest first.
* A route may leave the evacuee's own danger zones but never pass through another one (``network.barrier_graph``).
* Standard check: emergency shelters within ``radius_emergency_m`` and ``emergency_walk_min`` (10 min) at the
  evacuee's speed (vulnerable households walk at ``walk_kmh_vulnerable``); fixed shelters (short/long term) within
  ``radius_fixed_m`` (2-3 km). Every miss is listed.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from ..errors import MissingDependency, RiskOneMapError
from ..layers import model
from . import network as nw
from . import parallel

NO_ROUTE = "no route"
NO_CAPACITY = "no capacity"
RINGS = (1.0, 1.5, 2.0)
FLOOD_MIN_DEPTH_M = float(model.default_value("flood_min_depth_m"))  # GB 51222-2017: a lane ponded > 15 cm
EMERGENCY_WALK_MIN = float(model.default_value("walk_min_emergency"))  # GB 50413-2007: 500 m, about 10 min
FIXED_CLASSES = ("short_term", "long_term")
_FALSE = {"", "0", "no", "n", "false", "none", "否", "无", "nan"}


def _default(key):
    return float(model.default_value(key))


def _issue(severity, layer, feature, fld, message) -> dict:
    return {"severity": severity, "layer": layer, "feature": None if feature is None else str(feature),
            "field": fld, "message": message}


_text = model.text_value  # a field value as stripped text, None when missing or blank


def _num(v) -> Optional[float]:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _valid_geom(g) -> bool:
    return g is not None and isinstance(g, shapely.Geometry) and not g.is_empty


def _crs(*frames):
    for f in frames:
        if f is not None and getattr(f, "crs", None) is not None:
            return f.crs
    return None


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


# --------------------------------------------------------------------------------------------------
# Who must leave
# --------------------------------------------------------------------------------------------------
def _is_vulnerable(v) -> bool:
    t = _text(v)
    return t is not None and t.lower() not in _FALSE


def households_in_zones(zones, households=None, villages=None, population=None):
    """Every household inside a ring-1 zone; returns ``(GeoDataFrame, issues)``.

    ``population``: optional ``(array, transform, nodata)`` of people per cell; its cells become pseudo-households
    in villages with no household points (or everywhere when there is no households layer).
    Columns: household_id, village_code, people, vulnerable, vulnerable_note, pseudo, zone_ids, zone_index (list of
    row positions in ``zones``), geometry (point).
    """
    import geopandas as gpd
    issues = []
    zones = zones[zones["ring"] == 1.0] if "ring" in zones.columns else zones
    zgeom = np.asarray(zones.geometry.values, dtype=object)
    zid = np.asarray(zones["zone_id"] if "zone_id" in zones.columns else np.arange(len(zones))).astype(str)
    zhaz = np.asarray(zones["hazard_id"] if "hazard_id" in zones.columns else zid).astype(str)
    has_zones = len(zgeom) > 0
    vgeom = np.asarray(villages.geometry.values, dtype=object) if villages is not None and len(villages) else None
    vcode = np.asarray(villages["code"]).astype(str) if vgeom is not None else None

    def village_of(pts):
        """The code of the (first) village each point is in, None outside every village."""
        out = np.full(len(pts), None, dtype=object)
        if vgeom is None or len(pts) == 0:
            return out
        j, i = _inside(vgeom, pts)
        out[i[::-1]] = vcode[j[::-1]]
        return out

    frames = []
    with_households = set()
    if households is not None and len(households):
        hg = np.asarray(households.geometry.values, dtype=object)
        ids = [(_text(v) or f"row{k}") for k, v in enumerate(households.get("id", pd.Series([None] * len(households))))]
        ok = np.array([_valid_geom(g) for g in hg], dtype=bool)
        for k in np.flatnonzero(~ok):
            issues.append(_issue("error", "households", ids[k], "geometry", "household has no location: it cannot be "
                                 "checked against the zones (not counted)"))
        hcode = households["village_code"].map(_text).to_numpy(object) if "village_code" in households else \
            np.full(len(households), None, object)
        found = village_of(np.where(ok, hg, shapely.Point()))
        if vcode is not None:
            known = set(vcode)
            bad = np.array([c is not None and c not in known for c in hcode])
            hcode = np.where((hcode == None) | bad, found, hcode)  # noqa: E711
        with_households = set(c for c in hcode[ok] if c is not None)
        if has_zones and ok.any():
            zj, hi = _inside(zgeom, np.where(ok, hg, shapely.Point()))
        else:
            hi, zj = np.zeros(0, int), np.zeros(0, int)
        if len(hi):
            sel = np.unique(hi)
            people = pd.to_numeric(households["people"], errors="coerce").to_numpy(float) if "people" in households \
                else np.full(len(households), np.nan)
            for k in sel[np.isnan(people[sel]) | (people[sel] < 0)]:
                issues.append(_issue("warning", "households", ids[k], "people", "people missing: counted as 1"))
            people = np.where(np.isnan(people) | (people < 0), 1, np.rint(people)).astype(np.int64)
            vul = households["vulnerable"].to_numpy(object) if "vulnerable" in households else \
                np.full(len(households), None, object)
            for k in sel[[hcode[k] is None for k in sel]]:
                issues.append(_issue("warning", "households", ids[k], "village_code",
                                     "household is outside every village: evacuated, counted under no village"))
            zl = _lists(hi, zj, len(households))
            frames.append(pd.DataFrame({
                "household_id": [ids[k] for k in sel], "village_code": hcode[sel], "people": people[sel],
                "vulnerable": [_is_vulnerable(vul[k]) for k in sel], "vulnerable_note": [_text(vul[k]) for k in sel],
                "pseudo": False, "zone_index": [zl[k] for k in sel], "geometry": hg[sel]}))
    if population is not None and has_zones:
        frames.append(_pseudo_households(population, zgeom, village_of, with_households,
                                         households is not None and len(households) > 0))
    cols = ["household_id", "village_code", "people", "vulnerable", "vulnerable_note", "pseudo", "zone_ids",
            "hazard_ids", "zone_index", "geometry"]
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=zones.crs), issues
    out = pd.concat(frames, ignore_index=True)
    out["zone_index"] = out["zone_index"].map(lambda zs: sorted(set(int(z) for z in zs)))
    out["zone_ids"] = out["zone_index"].map(lambda zs: ",".join(zid[zs]))
    out["hazard_ids"] = out["zone_index"].map(lambda zs: ",".join(dict.fromkeys(zhaz[zs])))
    return gpd.GeoDataFrame(out[cols], geometry="geometry", crs=zones.crs), issues


def _inside(polygons, points):
    """(polygon, point) index pairs where the point is in (or on) the polygon, sorted by point then polygon.

    The points go in the tree and each polygon is the query: shapely prepares the query geometry, so a big zone
    (a city's flood extent of thousands of parts) is prepared once instead of tested unprepared for every point
    (7.6 s -> a fraction on Taipei's flood simulation)."""
    j, i = shapely.STRtree(points).query(polygons, predicate="intersects")
    order = np.lexsort((j, i))
    return j[order], i[order]


def _lists(rows, values, n) -> list:
    """Per row 0..n-1 the list of its values (pairs sorted by row); pandas' groupby(list) took seconds."""
    starts = np.searchsorted(rows, np.arange(n + 1))
    values = values.tolist()
    return [values[a:b] for a, b in zip(starts[:-1], starts[1:])]


def _pseudo_households(population, zgeom, village_of, with_households, have_households):
    array, transform, nodata = population
    array = np.asarray(array)
    rows, cols_ = array.shape
    picked = set()
    for g in zgeom:
        if not _valid_geom(g):
            continue
        x0, y0, x1, y1 = g.bounds
        inv = ~transform
        c = np.array([inv * (x0, y0), inv * (x1, y1), inv * (x0, y1), inv * (x1, y0)])
        c0, c1 = int(max(0, np.floor(c[:, 0].min()))), int(min(cols_, np.ceil(c[:, 0].max()) + 1))
        r0, r1 = int(max(0, np.floor(c[:, 1].min()))), int(min(rows, np.ceil(c[:, 1].max()) + 1))
        if c0 >= c1 or r0 >= r1:
            continue
        rr, cc = np.mgrid[r0:r1, c0:c1]
        xs, ys = transform * (cc + 0.5, rr + 0.5)
        inside = shapely.contains_xy(g, xs, ys)
        for r, c_ in zip(rr[inside], cc[inside]):
            picked.add((int(r), int(c_)))
    if not picked:
        return pd.DataFrame()
    rc = np.array(sorted(picked))
    val = array[rc[:, 0], rc[:, 1]].astype(float)
    good = np.isfinite(val) & (val > 0)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        good &= val != nodata
    rc, val = rc[good], val[good]
    xs, ys = transform * (rc[:, 1] + 0.5, rc[:, 0] + 0.5)
    pts = shapely.points(np.c_[xs, ys])
    vil = village_of(pts)
    keep = np.array([(not have_households) or (v is not None and v not in with_households) for v in vil], dtype=bool)
    people = np.rint(val).astype(np.int64)
    keep &= people > 0
    if not keep.any():
        return pd.DataFrame()
    pts, vil, people, rc = pts[keep], vil[keep], people[keep], rc[keep]
    zj, zi = _inside(zgeom, pts)
    return pd.DataFrame({"household_id": [f"cell:{r}:{c}" for r, c in rc], "village_code": vil, "people": people,
                         "vulnerable": False, "vulnerable_note": None, "pseudo": True,
                         "zone_index": _lists(zi, zj, len(pts)), "geometry": pts})


# --------------------------------------------------------------------------------------------------
# Shelters
# --------------------------------------------------------------------------------------------------
def shelter_capacity(shelters):
    """Shelters with ``capacity`` (people), ``capacity_source`` and class; returns ``(DataFrame, issues)``.

    Capacity: the ``capacity`` field when positive; else ``area_m2`` ÷ m² per person of the class (GB 50413-2007:
    emergency 1 m², fixed 2 m²); else 0, reported.
    """
    issues = []
    s = shelters.copy()
    ids = [(_text(v) or f"row{k}") for k, v in enumerate(s.get("id", pd.Series([None] * len(s))))]
    s["shelter_id"] = ids
    s["name"] = [(_text(n) or i) for n, i in zip(s.get("name", pd.Series([None] * len(s))), ids)]
    classes = []
    for i, c in zip(ids, s.get("shelter_class", pd.Series([None] * len(s)))):
        c = _text(c)
        c = model.SHELTER_CLASS_BY_ZH.get(c, c) if c else c
        if c not in model.SHELTER_CLASSES:
            issues.append(_issue("warning", "shelters", i, "shelter_class",
                                 f"unknown class {c!r}: treated as short_term (fixed)"))
            c = "short_term"
        classes.append(c)
    s["shelter_class"] = classes
    cap = pd.to_numeric(s.get("capacity", pd.Series([np.nan] * len(s))), errors="coerce").to_numpy(float)
    area = pd.to_numeric(s.get("area_m2", pd.Series([np.nan] * len(s))), errors="coerce").to_numpy(float)
    out_cap, source = [], []
    for i, c, k, a in zip(ids, classes, cap, area):
        if np.isfinite(k) and k > 0:
            out_cap.append(int(math.floor(k)))
            source.append("capacity")
            continue
        per = _default("m2_per_person_emergency" if c == "emergency" else "m2_per_person_fixed")
        if np.isfinite(a) and a > 0:
            out_cap.append(int(math.floor(a / per)))
            source.append(f"area_m2 / {per:g} m² per person")
            issues.append(_issue("warning", "shelters", i, "capacity",
                                 f"capacity {'missing' if not np.isfinite(k) else 'zero'}: "
                                 f"{out_cap[-1]} people from area {a:g} m² at {per:g} m²/person"))
        else:
            out_cap.append(0)
            source.append("none")
            issues.append(_issue("error", "shelters", i, "capacity",
                                 "no capacity and no area: the shelter takes nobody"))
    s["capacity"] = np.asarray(out_cap, dtype=np.int64)
    s["capacity_source"] = source
    return s, issues


# --------------------------------------------------------------------------------------------------
# Optimal assignment: min-cost flow
# --------------------------------------------------------------------------------------------------
def _ortools():
    try:
        from ortools.graph.python import min_cost_flow
    except ImportError:
        return None
    return min_cost_flow


def solve_transport(h, s, cost, supply, capacity, unserved_cost: int, solver: str = "auto"):
    """Optimal transport of ``supply[h]`` units to shelters under ``capacity[s]`` over arcs (h[k], s[k], cost[k]).

    Optimal means: as many units placed as the capacities and arcs allow, and among those placements the cheapest.
    With OR-Tools that is its max-flow-with-min-cost entry point (no unserved arcs, 35-45 % faster here than the
    textbook min-cost flow with one unserved arc per household, for the same optimum); the LP fallback keeps the
    textbook form, each unit left out costing ``unserved_cost`` (large enough that serving always comes first).
    Returns ``(flow per arc, unserved per household, solver name)``. ``solver``: auto | ortools | scipy.
    """
    h, s = np.asarray(h, np.int64), np.asarray(s, np.int64)
    cost = np.asarray(cost, np.int64)
    supply, capacity = np.asarray(supply, np.int64), np.asarray(capacity, np.int64)
    H, S = len(supply), len(capacity)
    mcf = _ortools() if solver in ("auto", "ortools") else None
    if solver == "ortools" and mcf is None:
        raise MissingDependency("the optimal assignment needs OR-Tools: pip install ortools (see requirements.txt)")
    if mcf is not None:
        m = mcf.SimpleMinCostFlow()
        sink = H + S
        tails = np.r_[h, H + np.arange(S)]
        heads = np.r_[H + s, np.full(S, sink)]
        m.add_arcs_with_capacity_and_unit_cost(tails, heads, np.r_[supply[h], capacity],
                                               np.r_[cost, np.zeros(S, np.int64)])
        m.set_nodes_supplies(np.r_[np.arange(H), sink], np.r_[supply, -supply.sum()])
        status = m.solve_max_flow_with_min_cost()
        if status != m.OPTIMAL:
            raise RiskOneMapError(f"the min-cost flow solver failed (status {status})")
        flows = m.flows(np.arange(len(h))).astype(np.int64)
        unserved = supply - np.bincount(h, weights=flows, minlength=H).astype(np.int64)
        return flows, unserved, "OR-Tools min-cost flow"
    return _solve_transport_scipy(h, s, cost, supply, capacity, unserved_cost)


def _solve_transport_scipy(h, s, cost, supply, capacity, unserved_cost):
    """The same problem as an LP for scipy's HiGHS (transport LPs have integral vertices)."""
    import scipy.sparse as sp
    from scipy.optimize import linprog
    H, S, A = len(supply), len(capacity), len(h)
    c = np.r_[cost.astype(float), np.full(H, float(unserved_cost))]
    a_eq = sp.csr_matrix((np.ones(A + H), (np.r_[h, np.arange(H)], np.arange(A + H))), shape=(H, A + H))
    a_ub = sp.csr_matrix((np.ones(A), (s, np.arange(A))), shape=(S, A + H))
    res = linprog(c, A_ub=a_ub, b_ub=capacity.astype(float), A_eq=a_eq, b_eq=supply.astype(float),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        raise RiskOneMapError(f"the assignment LP failed: {res.message}")
    x = np.rint(res.x).astype(np.int64)
    return x[:A], x[A:], "scipy HiGHS LP (OR-Tools not installed)"


def _whole_households(h, s, cost, flow, unserved, supply, capacity):
    """Place every household whole: split ones go to their cheapest candidate shelter with room left."""
    H = len(supply)
    parts = np.bincount(h[flow > 0], minlength=H) + (unserved > 0)
    chosen = np.full(H, -1, dtype=np.int64)  # arc index, -1 unserved
    single = np.flatnonzero((parts == 1) & (unserved == 0))
    arcs_pos = np.flatnonzero(flow > 0)
    first_arc = np.full(H, -1, dtype=np.int64)
    first_arc[h[arcs_pos]] = arcs_pos
    chosen[single] = first_arc[single]
    split = np.flatnonzero(parts > 1)
    load = np.bincount(s[chosen[chosen >= 0]], weights=supply[chosen >= 0], minlength=len(capacity))
    room = capacity - load.astype(np.int64)
    repaired = 0
    if len(split):
        order = np.argsort(h, kind="stable")
        starts = np.searchsorted(h[order], np.arange(H + 1))

        def place(k):
            cand = order[starts[k]:starts[k + 1]]
            for a in cand[np.argsort(cost[cand], kind="stable")]:
                if room[s[a]] >= supply[k]:
                    chosen[k] = a
                    room[s[a]] -= supply[k]
                    return True
            return False
        for k in split[np.argsort(-supply[split], kind="stable")]:
            repaired += place(k)
        # room a split household could not use goes to the households left out, nearest first (only those with
        # a candidate shelter that has room for them now: room only shrinks)
        fits = np.zeros(H, dtype=bool)
        fits[h[room[s] >= supply[h]]] = True
        left = np.flatnonzero((chosen < 0) & fits)
        best = np.full(H, np.inf)
        np.minimum.at(best, h, cost)
        for k in left[np.argsort(best[left], kind="stable")]:
            place(k)
    return chosen, int(len(split)), repaired


def shelter_distances(reversed_csr, shelter_nodes, shelter_legs, limits, target_nodes, target_legs,
                      progress: Optional[Callable[[float], None]] = None, node_xy: Optional[np.ndarray] = None,
                      max_cells: float = 2.0e7, cache: Optional[dict] = None):
    """Walking distances from targets to shelters within each shelter's limit, access legs included.

    One bounded Dijkstra per shelter over the reversed graph, on the part of the graph within the limit when node
    coordinates are given (``network.local_searches``, which keeps its graph cuts in ``cache`` if given).
    Returns sparse pairs ``(shelter row, target row, metres)``.
    """
    shelter_nodes, shelter_legs = np.asarray(shelter_nodes, np.int64), np.asarray(shelter_legs, float)
    limits = np.asarray(limits, float)
    target_nodes, target_legs = np.asarray(target_nodes, np.int64), np.asarray(target_legs, float)
    rows, cols, vals = [], [], []
    done = 0
    if len(target_nodes) == 0 or len(shelter_nodes) == 0:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)

    def pairs(members, cand, dist):
        """One search batch's distances to the targets in its part, reduced to those within each limit."""
        r, c = np.nonzero(np.isfinite(dist))
        d = dist[r, c] + shelter_legs[members][r] + target_legs[cand[c]]
        ok = d <= limits[members][r] + 1e-9
        return len(members), members[r[ok]], cand[c[ok]], d[ok]

    for searched, r, c, d in nw.local_searches(reversed_csr, node_xy, shelter_nodes, limits, max_cells=max_cells,
                                               targets=target_nodes, reduce=pairs, cache=cache):
        rows.append(r)
        cols.append(c)
        vals.append(d)
        done += searched
        if progress is not None:
            progress(done / len(limits))
    if not rows:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


# --------------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------------
@dataclass
class EvacuationPlan:
    evacuees: object          # GeoDataFrame (points): household → shelter, distance_m, walk_min, standard check
    unserved: object          # GeoDataFrame (points): who and why
    shelter_load: object      # DataFrame: shelter_id, name, capacity, assigned, load_ratio, ...
    routes: object            # GeoDataFrame (lines): shelter_id, people, households
    issues: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    components: object = None  # DataFrame of the road network's connected pieces


def _pick(values, index) -> np.ndarray:
    """``values[index]`` as objects, None where the index is -1."""
    out = np.full(len(index), None, dtype=object)
    ok = index >= 0
    out[ok] = np.asarray(values, dtype=object)[index[ok]]
    return out


def plan_evacuation(roads_network: nw.RoadNetwork, zones, evacuees, shelters, *,
                    walk_kmh: Optional[float] = None, walk_kmh_vulnerable: Optional[float] = None,
                    max_walk_m: Optional[float] = None, max_leg_m: Optional[float] = None,
                    radius_emergency_m: Optional[float] = None,
                    radius_fixed_m: Optional[float] = None, emergency_walk_min: float = EMERGENCY_WALK_MIN,
                    barriers: bool = True, routes: bool = True, solver: str = "auto",
                    progress: Optional[Callable[[float], None]] = None,
                    cancelled: Optional[Callable[[], bool]] = None) -> EvacuationPlan:
    """Assign every evacuee household to a shelter along the roads, optimally (see the module notes).

    ``zones``: ring-1 evacuation zones (row positions match ``evacuees.zone_index``); ``evacuees`` from
    :func:`households_in_zones`; ``shelters`` from :func:`shelter_capacity` (points or polygons).
    ``max_walk_m``: farthest walk to a fixed shelter considered (None: any distance by road). ``max_leg_m``:
    farthest a household or shelter may be from a road, in a straight line (default ``max_leg_m``, 1 km): one
    farther has no road (a road layer that covers only part of the county must not pull in people from beyond it
    along kilometres of straight line).
    """
    import geopandas as gpd
    from ..progress import Steps
    steps = Steps(progress, cancelled, weights=[1, 1, 4, 3, 3])
    walk_kmh = float(walk_kmh or _default("walk_kmh"))
    walk_v = float(walk_kmh_vulnerable or _default("walk_kmh_vulnerable"))
    max_walk_m = float(max_walk_m) if max_walk_m else np.inf
    max_leg_m = float(max_leg_m or _default("max_leg_m"))
    r_em = float(radius_emergency_m or _default("radius_emergency_m"))
    r_fix = float(radius_fixed_m or _default("radius_fixed_m"))
    issues = []
    crs = _crs(evacuees, shelters, zones)
    zgeom = np.asarray(zones.geometry.values, dtype=object) if zones is not None and len(zones) else np.zeros(0, object)
    zgeom = np.array([g if _valid_geom(g) else shapely.Polygon() for g in zgeom], dtype=object)

    # 1. the network, split at zone boundaries; shelters: open or closed
    steps.next()
    net = nw.split_at_polygons(roads_network, zgeom) if barriers and len(zgeom) else roads_network
    ez = nw.edge_polygons(net, zgeom) if barriers else nw.edge_polygons(net, np.zeros(0, object))
    comp_table, comp_of_node = net.components()
    sh = shelters.reset_index(drop=True)
    sgeom = np.asarray(sh.geometry.values, dtype=object)
    status = np.array(["open"] * len(sh), dtype=object)
    has_geom = np.array([_valid_geom(g) for g in sgeom], dtype=bool)
    status[~has_geom] = "no location"
    if len(zgeom) and has_geom.any():
        si, _ = shapely.STRtree(zgeom).query(np.where(has_geom, sgeom, shapely.Point()), predicate="intersects")
        status[np.unique(si)] = "in danger zone"
    status[(status == "open") & (sh["capacity"].to_numpy() <= 0)] = "no capacity"
    for k in np.flatnonzero(status != "open"):
        issues.append(_issue("warning", "shelters", sh.shelter_id[k], "geometry" if status[k] != "no capacity"
                             else "capacity", f"shelter not used: {status[k]}"))
    spt = np.array([shapely.point_on_surface(g) if _valid_geom(g) else shapely.Point() for g in sgeom], dtype=object)

    # 2. access legs and the graph with barriers
    steps.next()
    ev = evacuees.reset_index(drop=True)
    H = len(ev)
    zone_sets = [tuple(z) for z in ev["zone_index"]] if H else []
    free_edge = np.asarray(ez.sum(axis=1)).ravel() == 0
    acc_h = nw.attach_points(net, ev.geometry.values if H else np.zeros(0, object), max_leg_m=max_leg_m)
    if barriers and H and ez.nnz:
        # an evacuee starts on a road inside its own zones or outside all zones, never in another zone
        bad = _outside_own_zones(ez, acc_h.edge, zone_sets, len(zgeom))
        if bad.any():
            again = nw.attach_points(net, ev.geometry.values[bad], allowed_edges=free_edge, max_leg_m=max_leg_m)
            for f in ("edge", "t", "leg"):
                getattr(acc_h, f)[bad] = getattr(again, f)
            acc_h.xy[bad] = again.xy
    use = status == "open"
    acc_s = nw.attach_points(net, spt, allowed_edges=free_edge if free_edge.any() else None, max_leg_m=max_leg_m)
    acc_s.edge[~use] = -1
    no_road_s = use & (acc_s.edge < 0)
    for k in np.flatnonzero(no_road_s):
        issues.append(_issue("warning", "shelters", sh.shelter_id[k], "geometry",
                             f"no road within {max_leg_m:g} m of the shelter (max_leg_m)"))
    status[no_road_s] = "no road"
    use &= acc_s.edge >= 0
    graph, (h_node, s_node) = nw.walk_graph(net, [acc_h, acc_s])
    groups, group_of = np.unique(np.array([",".join(map(str, z)) for z in zone_sets] or [""], dtype=object),
                                 return_inverse=True)
    group_of = group_of[:H]
    group_zones = [[int(z) for z in g.split(",") if z != ""] for g in groups]
    if barriers:
        bg = nw.barrier_graph(graph, ez, group_zones)
        G = bg.graph
        start = np.full(H, -1, dtype=np.int64)
        for gi in range(len(groups)):
            m = group_of == gi
            start[m] = bg.node_for(gi, h_node[m])
    else:
        G, start = graph, h_node
    GT = G.csr(transpose=True)

    # 3. network distances from every open shelter (reversed graph), limited by class
    steps.next()
    t_dist = time.perf_counter()
    cls = sh["shelter_class"].to_numpy(object)
    limit = np.where(cls == "emergency", r_em, max_walk_m)
    open_idx = np.flatnonzero(use)
    tgt_rows = np.flatnonzero(start >= 0)
    cuts = {}  # the graph cuts of the distances, used again by the routes
    r_, c_, pdist = shelter_distances(GT, s_node[open_idx], acc_s.leg[open_idx], limit[open_idx],
                                      start[tgt_rows], acc_h.leg[tgt_rows], progress=steps.sub, node_xy=G.xy,
                                      cache=cuts)
    ph, ps = tgt_rows[c_], open_idx[r_]
    finite = np.isfinite(pdist)
    if not finite.all():  # never expected (legs and roads have lengths); a NaN would wreck the solver's costs
        issues.append(_issue("warning", "roads", None, "geometry", f"{int((~finite).sum())} household-shelter "
                             "distances are not numbers (a road or point without coordinates?): left out"))
        ph, ps, pdist = ph[finite], ps[finite], pdist[finite]
    t_dist = time.perf_counter() - t_dist

    # 4. the optimal assignment
    steps.next()
    people = ev["people"].to_numpy(np.int64) if H else np.zeros(0, np.int64)
    cap = sh["capacity"].to_numpy(np.int64)
    cost = np.rint(pdist * 10.0).astype(np.int64)  # decimetres per person
    max_cost = int(cost.max()) if len(cost) else 1
    unserved_cost = (2 * int(use.sum()) + 2) * max(max_cost, 1) + 1
    chosen = np.full(H, -1, dtype=np.int64)
    solver_name, n_split, n_repaired = "none", 0, 0
    t_flow, t_whole = time.perf_counter(), 0.0
    if len(ph):
        flow, unserved_flow, solver_name = solve_transport(ph, ps, cost, people, np.where(use, cap, 0),
                                                           unserved_cost, solver)
        t_whole = time.perf_counter()
        chosen, n_split, n_repaired = _whole_households(ph, ps, cost, flow, unserved_flow, people,
                                                        np.where(use, cap, 0))
        t_whole = time.perf_counter() - t_whole
        # households of 0 people: nearest candidate
        zero = np.flatnonzero((people == 0) & (chosen < 0))
        if len(zero):
            order = np.lexsort((pdist, ph))
            first = np.full(H, -1, dtype=np.int64)
            first[ph[order][::-1]] = order[::-1]
            chosen[zero] = first[zero]
    t_flow = time.perf_counter() - t_flow
    steps.sub(1.0)

    # 5. tables
    has_cand = np.zeros(H, dtype=bool)
    has_cand[ph] = True
    assigned = chosen >= 0
    sidx = np.full(H, -1, dtype=np.int64)
    dist = np.full(H, np.nan)
    sidx[assigned], dist[assigned] = ps[chosen[assigned]], pdist[chosen[assigned]]
    vul = ev["vulnerable"].to_numpy(bool) if H else np.zeros(0, bool)
    speed = np.where(vul, nw.metres_per_minute(walk_v), nw.metres_per_minute(walk_kmh))
    walk_min = dist / speed
    s_cls = _pick(cls, sidx)
    notes = np.full(H, None, dtype=object)
    is_em = assigned & (s_cls == "emergency")
    flagged = (is_em & ((dist > r_em + 1e-6) | (walk_min > emergency_walk_min + 1e-9))) | \
        (assigned & ~is_em & (dist > r_fix + 1e-6))
    for k in np.flatnonzero(flagged):
        if s_cls[k] == "emergency":
            msg = []
            if dist[k] > r_em + 1e-6:
                msg.append(f"emergency shelter {dist[k]:.0f} m > {r_em:g} m")
            if walk_min[k] > emergency_walk_min + 1e-9:
                msg.append(f"{walk_min[k]:.1f} min > {emergency_walk_min:g} min walk"
                           + (" (vulnerable)" if vul[k] else ""))
            notes[k] = "; ".join(msg) or None
        elif dist[k] > r_fix + 1e-6:
            notes[k] = f"fixed shelter {dist[k]:.0f} m > {r_fix:g} m"
    sid = sh["shelter_id"].to_numpy(object)
    sname = sh["name"].to_numpy(object)
    ev_out = pd.DataFrame({
        "household_id": ev["household_id"], "village_code": ev["village_code"], "people": people,
        "vulnerable": vul, "shelter_id": _pick(sid, sidx), "shelter_name": _pick(sname, sidx), "shelter_class": s_cls,
        "distance_m": np.round(dist, 1), "walk_min": np.round(walk_min, 1),
        "walk_kmh": np.where(vul, walk_v, walk_kmh), "meets_standard": np.where(assigned, notes == None, None),  # noqa
        "standard_note": notes, "zone_ids": ev["zone_ids"], "hazard_ids": ev["hazard_ids"], "pseudo": ev["pseudo"]})
    ev_out = gpd.GeoDataFrame(ev_out, geometry=list(ev.geometry.values) if H else [], crs=crs)
    # unserved: why
    reason = np.full(H, None, dtype=object)
    detail = np.full(H, None, dtype=object)
    comp_with_shelter = set(comp_of_node[np.r_[net.u[acc_s.edge[use]]]].tolist()) if use.any() else set()
    blocked = np.zeros(H, dtype=bool)  # reachable on the plain graph, only not around other zones
    lost = np.flatnonzero(~has_cand & (h_node >= 0))
    if barriers and len(lost) and use.any():
        d_plain = dijkstra(graph.csr(transpose=True), directed=True, indices=s_node[use], min_only=True,
                           limit=max_walk_m)
        total = d_plain[h_node[lost]] + acc_h.leg[lost]
        blocked[lost] = np.isfinite(total) & (total <= max_walk_m)
    for k in np.flatnonzero(~assigned):
        if has_cand[k]:
            reason[k], detail[k] = NO_CAPACITY, "every shelter within reach is full"
        elif acc_h.edge[k] < 0:
            reason[k], detail[k] = NO_ROUTE, f"no road within {max_leg_m:g} m of the household (max_leg_m)"
        elif not use.any():
            reason[k], detail[k] = NO_ROUTE, "no open shelter in the package"
        elif comp_of_node[net.u[acc_h.edge[k]]] not in comp_with_shelter:
            reason[k], detail[k] = NO_ROUTE, (f"its road piece (component {comp_of_node[net.u[acc_h.edge[k]]]}) "
                                              "reaches no open shelter")
        elif blocked[k]:
            reason[k], detail[k] = NO_ROUTE, "every road to an open shelter passes through another danger zone"
        else:
            reason[k], detail[k] = NO_ROUTE, ("no open shelter " + (f"within {max_walk_m:g} m " if np.isfinite(
                max_walk_m) else "") + "by road" + (" without crossing another danger zone" if barriers else ""))
    un = ~assigned
    unserved = gpd.GeoDataFrame(pd.DataFrame({
        "household_id": ev["household_id"][un].to_numpy(object),
        "village_code": ev["village_code"][un].to_numpy(object),
        "people": people[un], "vulnerable": vul[un], "reason": reason[un], "detail": detail[un],
        "zone_ids": ev["zone_ids"][un].to_numpy(object), "pseudo": ev["pseudo"][un].to_numpy(bool)}),
        geometry=list(ev.geometry.values[un]) if H else [], crs=crs)
    load = np.bincount(sidx[assigned], weights=people[assigned], minlength=len(sh)).astype(np.int64)
    n_hh = np.bincount(sidx[assigned], minlength=len(sh))
    n_bad = np.bincount(sidx[assigned & (notes != None)], minlength=len(sh))  # noqa: E711
    far = np.full(len(sh), np.nan)
    if assigned.any():
        far_s = pd.Series(dist[assigned]).groupby(sidx[assigned]).max()
        far[far_s.index.to_numpy()] = far_s.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cap > 0, load / np.maximum(cap, 1), np.nan)
    shelter_load = pd.DataFrame({
        "shelter_id": sid, "name": sname, "capacity": cap, "assigned": load, "load_ratio": np.round(ratio, 3),
        "shelter_class": cls, "households": n_hh, "status": status, "capacity_source": sh["capacity_source"],
        "max_distance_m": np.round(far, 1), "standard_violations": n_bad,
        "village_code": sh["village_code"] if "village_code" in sh else None})
    assert len(ev_out[assigned]) + len(unserved) == H  # never a household dropped

    # 6. route lines
    steps.next()
    route_frame = gpd.GeoDataFrame(columns=["shelter_id", "shelter_name", "people", "households", "geometry"],
                                   geometry="geometry", crs=crs)
    t_routes = time.perf_counter()
    if routes and assigned.any():
        route_frame = _routes(net, G, GT, start, s_node, acc_h, acc_s, sidx, assigned, people, dist, sid, sname,
                              crs, steps, limit, cuts)
    t_routes = time.perf_counter() - t_routes
    steps.done()
    stats = {
        "households": int(H), "people": int(people.sum()), "assigned_households": int(assigned.sum()),
        "assigned_people": int(people[assigned].sum()), "unserved_households": int(un.sum()),
        "unserved_people": int(people[un].sum()), "no_route": int((reason == NO_ROUTE).sum()),
        "no_capacity": int((reason == NO_CAPACITY).sum()), "no_route_blocked": int(blocked.sum()),
        "shelters_open": int(use.sum()),
        "candidate_arcs": int(len(ph)), "solver": solver_name, "split_households": n_split,
        "split_repaired": n_repaired, "total_person_m": float(np.nansum(dist[assigned] * people[assigned])),
        "standard_violations": int((notes != None).sum()), "groups": int(len(groups)),  # noqa: E711
        "graph_nodes": int(G.n), "road_components": int(len(comp_table)),
        "walk_kmh": walk_kmh, "walk_kmh_vulnerable": walk_v, "max_leg_m": max_leg_m,
        "no_road_near": int((~assigned & (acc_h.edge < 0)).sum()) if H else 0,
        "max_walk_m": max_walk_m if np.isfinite(max_walk_m) else None,
        "seconds": {"distances": round(t_dist, 3), "assignment": round(t_flow, 3),
                    "whole_households": round(t_whole, 3), "routes": round(t_routes, 3)}}
    if len(comp_table) > 1:
        issues.append(_issue("warning", "roads", None, "geometry",
                             f"the road network has {len(comp_table)} disconnected pieces; the largest has "
                             f"{int(comp_table.nodes[0])} of {net.n_nodes} junctions"))
    return EvacuationPlan(ev_out, unserved, shelter_load, route_frame, issues, stats, comp_table)


def _outside_own_zones(edge_zones, edges, zone_sets, n_zones) -> np.ndarray:
    """True where the edge lies in a zone that is not one of the evacuee's own zones (vectorised)."""
    ez = edge_zones.tocsr()
    edges = np.asarray(edges, np.int64)
    has = edges >= 0
    counts = np.zeros(len(edges), dtype=np.int64)
    counts[has] = np.diff(ez.indptr)[edges[has]]
    who = np.repeat(np.arange(len(edges)), counts)
    starts = np.repeat(ez.indptr[np.maximum(edges, 0)], counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    zone = ez.indices[starts + within]
    own_n = np.array([len(z) for z in zone_sets], dtype=np.int64)
    own_keys = np.repeat(np.arange(len(zone_sets)), own_n) * (n_zones + 1) + \
        (np.concatenate([np.asarray(z, np.int64) for z in zone_sets]) if own_n.sum() else np.zeros(0, np.int64))
    foreign = ~np.isin(who * (n_zones + 1) + zone, own_keys)
    return np.bincount(who[foreign], minlength=len(edges)) > 0


def _routes(net, G, GT, start, s_node, acc_h, acc_s, sidx, assigned, people, dist, sid, sname, crs, steps,
            limit, cuts):
    """People per road piece per shelter, from one search per used shelter with predecessors.

    Each search goes as far as the shelter's farthest evacuee, on the graph cut the distances made for its class
    limit (``cuts``, so the graph is not renumbered again); with no limit, on cuts for the next power of two of
    250 m above that distance (a few cuts, parts at most twice as wide as needed)."""
    import geopandas as gpd
    lookup = G.arc_lookup()
    used = np.unique(sidx[assigned])
    far = pd.Series(dist[assigned]).groupby(sidx[assigned]).max().reindex(used).to_numpy() + 1.0
    placed = np.flatnonzero(assigned)
    placed = placed[np.argsort(sidx[placed], kind="stable")]
    members_of = dict(zip(used, np.split(placed, np.searchsorted(sidx[placed], used)[1:])))
    rec_s, rec_arc, rec_p = [], [], []
    done = 0
    ladder = 250.0 * 2.0 ** np.ceil(np.log2(np.maximum(far, 250.0) / 250.0))
    cut_at = np.where(np.isfinite(limit[used]), limit[used], ladder)
    far = np.minimum(far, cut_at)  # the road part of a distance (legs aside) is within the class limit

    where = np.full(G.n, -1, dtype=np.int64)  # node -> position in the current part

    def arcs_used(members, nodes, _dist, pred):
        """One search batch's predecessor trees reduced to (shelter, arc, people) steps of its households."""
        out_s, out_arc, out_p = [], [], []
        where[nodes] = np.arange(len(nodes))
        for r, j in enumerate(used[members]):
            hh = members_of[j]
            which, tail, head = nw.trace_paths(pred[r], where[start[hh]])
            arc = lookup(nodes[tail], nodes[head])
            out_s.append(np.full(len(arc), j))
            out_arc.append(arc)
            out_p.append(people[hh][which])
        where[nodes] = -1
        return len(members), out_s, out_arc, out_p

    for searched, s_, arc_, p_ in nw.local_searches(GT, G.xy, s_node[used], far, cut_limits=cut_at, cache=cuts,
                                                   predecessors=True, max_cells=1.0e7, reduce=arcs_used):
        rec_s += s_
        rec_arc += arc_
        rec_p += p_
        done += searched
        steps.sub(done / len(used))
    s_all, arc_all, p_all = np.concatenate(rec_s), np.concatenate(rec_arc), np.concatenate(rec_p)
    ok = (arc_all >= 0) & (G.edge[np.maximum(arc_all, 0)] >= 0)
    s_all, arc_all, p_all = s_all[ok], arc_all[ok], p_all[ok]
    # people and households per (shelter, arc): sorted keys and sums by bincount (pandas' groupby took 0.35 s)
    n_arcs = np.int64(len(G.tail))
    pair, inverse = np.unique(s_all.astype(np.int64) * n_arcs + arc_all, return_inverse=True)
    s_k, a_k = pair // n_arcs, pair % n_arcs
    p_k = np.bincount(inverse, weights=p_all, minlength=len(pair)).astype(np.int64)
    n_k = np.bincount(inverse, minlength=len(pair)).astype(np.int64)
    geoms = nw.arc_geometry(net, G.edge[a_k], G.t0[a_k], G.t1[a_k])
    # access legs: household door → road, road → shelter
    hh = np.flatnonzero(assigned & np.isfinite(acc_h.leg))
    legs_h = shapely.linestrings(np.stack([acc_h.point_xy[hh], acc_h.xy[hh]], axis=1)) if len(hh) else []
    used_s = np.unique(sidx[hh])
    legs_s = shapely.linestrings(np.stack([acc_s.xy[used_s], acc_s.point_xy[used_s]], axis=1)) if len(used_s) else []
    f_s = np.r_[s_k, sidx[hh], used_s]
    f_people = np.r_[p_k, people[hh], np.bincount(sidx[hh], weights=people[hh], minlength=len(sid))[used_s]]
    f_hh = np.r_[n_k, np.ones(len(hh), np.int64), np.bincount(sidx[hh], minlength=len(sid))[used_s]]
    f_geom = np.r_[geoms, np.asarray(legs_h, dtype=object), np.asarray(legs_s, dtype=object)]
    keep = np.nan_to_num(shapely.length(f_geom)) > 0
    f_s, f_people, f_hh, f_geom = f_s[keep], f_people[keep].astype(np.int64), f_hh[keep].astype(np.int64), f_geom[keep]
    # one feature per shelter and flow: road pieces carrying the same people merged into lines
    order = np.lexsort((f_hh, f_people, f_s))
    k_s, k_p, k_h = f_s[order], f_people[order], f_hh[order]
    new_group = np.r_[True, (k_s[1:] != k_s[:-1]) | (k_p[1:] != k_p[:-1]) | (k_h[1:] != k_h[:-1])]
    group = np.cumsum(new_group) - 1
    first = np.flatnonzero(new_group)
    merged = shapely.line_merge(shapely.multilinestrings(f_geom[order], indices=group))
    res = pd.DataFrame({"shelter_id": sid[k_s[first]], "shelter_name": sname[k_s[first]], "people": k_p[first],
                        "households": k_h[first], "geometry": merged})
    return gpd.GeoDataFrame(res, geometry="geometry", crs=crs)


# --------------------------------------------------------------------------------------------------
# Isochrones
# --------------------------------------------------------------------------------------------------
def reach_pieces(net: nw.RoadNetwork, points, minutes: Sequence[float] = (5, 10, 15), walk_kmh: float = 4.0):
    """Road pieces within each band's walking time of the nearest point, labelled by that point.

    One search from a super-source wired to every point (edge weights = access leg), with ``limit``: the cost
    follows the nodes reached. Returns a DataFrame: point (index), minutes, edge, t0, t1, plus the points' legs.
    """
    speed = float(nw.metres_per_minute(walk_kmh))
    bands = np.asarray(sorted(float(m) for m in minutes))
    T = bands * speed
    acc = nw.attach_points(net, points)
    g, (pn,) = nw.walk_graph(net, [acc])
    ok = pn >= 0
    R = g.n
    tails = np.r_[g.tail, np.full(ok.sum(), R)]
    heads = np.r_[g.head, pn[ok]]
    lens = np.r_[g.length, acc.leg[ok]]
    csr = nw.arcs_csr(tails, heads, lens, R + 1)
    d, pred = dijkstra(csr, directed=True, indices=R, limit=float(T.max()), return_predecessors=True)
    reached = np.flatnonzero(np.isfinite(d))
    label_node = np.full(R + 1, -1, dtype=np.int64)
    label_node[reached] = nw.root_labels(pred, reached)
    point_of_node = np.full(R + 1, -1, dtype=np.int64)
    point_of_node[pn[ok]] = np.flatnonzero(ok)
    lab = np.where(label_node >= 0, point_of_node[np.maximum(label_node, 0)], -1)
    # one arc per road piece (forward direction), only where an end was reached
    fwd = (g.edge >= 0) & (g.t1 > g.t0)
    a, b = g.tail[fwd], g.head[fwd]
    da, db = d[a], d[b]
    near = np.isfinite(da) | np.isfinite(db)
    a, b, da, db = a[near], b[near], da[near], db[near]
    e, t0, L = g.edge[fwd][near], g.t0[fwd][near], g.length[fwd][near]
    la, lb = lab[a], lab[b]
    rows = []
    for band, tb in zip(bands, T):
        ra = np.clip(np.where(np.isfinite(da), tb - da, -1), -1, None)
        rb = np.clip(np.where(np.isfinite(db), tb - db, -1), -1, None)
        full = (ra >= 0) & (rb >= 0) & (ra + rb >= L)
        # full pieces: split where both fronts meet when the labels differ
        xm = np.clip((np.where(np.isfinite(db), db, np.inf) + L - da) / 2.0, 0, L)
        same = la == lb
        f1 = full & same
        rows.append((la[f1], band, e[f1], t0[f1], t0[f1] + L[f1]))
        f2 = full & ~same
        rows.append((la[f2], band, e[f2], t0[f2], t0[f2] + xm[f2]))
        rows.append((lb[f2], band, e[f2], t0[f2] + xm[f2], t0[f2] + L[f2]))
        pa = ~full & (ra > 0)
        rows.append((la[pa], band, e[pa], t0[pa], t0[pa] + np.minimum(ra[pa], L[pa])))
        pb = ~full & (rb > 0)
        rows.append((lb[pb], band, e[pb], t0[pb] + L[pb] - np.minimum(rb[pb], L[pb]), t0[pb] + L[pb]))
    frame = pd.DataFrame({"point": np.concatenate([r[0] for r in rows]),
                          "minutes": np.concatenate([np.full(len(r[0]), r[1]) for r in rows]),
                          "edge": np.concatenate([r[2] for r in rows]), "t0": np.concatenate([r[3] for r in rows]),
                          "t1": np.concatenate([r[4] for r in rows])})
    frame = frame[(frame.point >= 0) & (frame.t1 - frame.t0 > 1e-6)]
    return frame.reset_index(drop=True), acc, T


def shelter_isochrones(net: nw.RoadNetwork, shelters, *, minutes: Sequence[float] = (5, 10, 15),
                       walk_kmh: Optional[float] = None, width_m: float = 50.0, id_column: str = "shelter_id"):
    """5/10/15-minute walking areas around each shelter: the reached road pieces buffered by ``width_m``.

    Each road piece goes to the shelter it is nearest to (bands are cumulative: the 10-minute area contains the
    5-minute one). Returns a GeoDataFrame shelter_id, minutes, area_m2, road_m, geometry.
    """
    import geopandas as gpd
    walk_kmh = float(walk_kmh or _default("walk_kmh"))
    sh = shelters.reset_index(drop=True)
    pts = np.array([shapely.point_on_surface(g) if _valid_geom(g) else shapely.Point() for g in sh.geometry.values],
                   dtype=object)
    cols = [id_column, "minutes", "area_m2", "road_m", "geometry"]
    if len(sh) == 0 or net.n_edges == 0:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=sh.crs)
    pieces, acc, T = reach_pieces(net, pts, minutes, walk_kmh)
    bands = np.asarray(sorted(float(m) for m in minutes))
    # a piece already drawn in the band below (same shelter, edge and extent) is not buffered again
    key = pd.MultiIndex.from_arrays([pieces.point, pieces.edge, pieces.t0.round(3), pieces.t1.round(3)])
    band_i = np.searchsorted(bands, pieces.minutes.to_numpy())
    seen_below = np.zeros(len(pieces), dtype=bool)
    for bi in range(1, len(bands)):
        here = np.flatnonzero(band_i == bi)
        seen_below[here] = key[here].isin(key[band_i == bi - 1])
    geoms = nw.arc_geometry(net, pieces.edge.to_numpy(), pieces.t0.to_numpy(), pieces.t1.to_numpy())
    piece_len = (pieces.t1 - pieces.t0).to_numpy()
    legs_ok = np.isfinite(acc.leg)
    leg_lines = np.full(len(sh), None, dtype=object)
    if legs_ok.any():
        leg_lines[legs_ok] = shapely.linestrings(np.stack([acc.point_xy[legs_ok], acc.xy[legs_ok]], axis=1))
    group = pieces.point.to_numpy() * len(bands) + band_i
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(sh) * len(bands) + 1))
    ids = sh[id_column].to_numpy(object)

    def areas(k):
        """(shelter id, band, road_m, polygon) rows of shelter ``k``; bands grow from the one below."""
        out = []
        area = None
        for bi, band in enumerate(bands):
            sel = order[bounds[k * len(bands) + bi]:bounds[k * len(bands) + bi + 1]]
            road_m = float(piece_len[sel].sum())
            new = geoms[sel[~seen_below[sel]]]
            if legs_ok[k] and acc.leg[k] <= T[bi]:
                new = np.r_[new, np.array([leg_lines[k] if acc.leg[k] > 0 else pts[k]], dtype=object)]
                road_m += float(acc.leg[k])
            new = new[~shapely.is_missing(new)]
            if not len(new) and area is None:
                continue
            if len(new):
                # types looked up at once: one .geom_type per piece was a quarter of the time
                is_line = shapely.get_type_id(new) == 1
                parts = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(new[is_line]))) \
                    if is_line.any() else np.zeros(0, object)
                blobs = shapely.buffer(np.r_[parts, new[~is_line]], width_m, quad_segs=2)
                area = shapely.union_all(np.r_[blobs, [area]] if area is not None else blobs)
            out.append((ids[k], band, road_m, area))
        return out

    # GEOS's unions are most of the time and hold the GIL: shelters go to forked workers where that is safe
    # (parallel.ordered_map), 8 at a time so that the polygons sent back stay small.
    rows = [row for shelter_rows in parallel.ordered_map(areas, range(len(sh)),
                                                         workers=None if len(sh) >= 24 else 1, batch=8)
            for row in shelter_rows]
    if not rows:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=sh.crs)
    frame = pd.DataFrame(rows, columns=[id_column, "minutes", "road_m", "geometry"])
    frame["area_m2"] = shapely.area(frame["geometry"].to_numpy()).round(1)
    frame["road_m"] = frame["road_m"].round(1)
    frame["minutes"] = frame["minutes"].astype(int) if all(float(b).is_integer() for b in bands) else frame["minutes"]
    return gpd.GeoDataFrame(frame[cols], geometry="geometry", crs=sh.crs)
