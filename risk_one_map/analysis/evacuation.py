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

import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from . import network as nw
from . import parallel
from .plain_pages import on_plain_pages

# the parts of the evacuation, also reachable here (ev.evacuation_zones, ev._issue ...) as before the split
from .evacuation_common import (EMERGENCY_WALK_MIN, NO_CAPACITY, NO_ROUTE, RINGS, _crs, _default,  # noqa: F401
                                _issue, _text, _valid_geom)
from .evacuation_zones import _lowpoint_zones, evacuation_zones  # noqa: F401
from .evacuees import _is_vulnerable, households_in_zones  # noqa: F401
from .isochrones import reach_pieces, shelter_isochrones  # noqa: F401
from .shelter_assignment import (_ortools, _solve_transport_scipy, _whole_households, shelter_capacity,  # noqa: F401
                                 shelter_distances, solve_transport)


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


@on_plain_pages  # a fresh process's first plan: 7.4-8.3 s with numpy's huge pages, 4.8 s without
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
    lap = _Laps()  # the parts of the time (stats["seconds"], "cpu_seconds"), for the benchmark
    net = nw.split_at_polygons(roads_network, zgeom) if barriers and len(zgeom) else roads_network
    ez = nw.edge_polygons(net, zgeom) if barriers else nw.edge_polygons(net, np.zeros(0, object))
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
    lap("network")

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
    lap("access")
    graph, (h_node, s_node) = nw.walk_graph(net, [acc_h, acc_s])
    groups, group_of = _groups([",".join(map(str, z)) for z in zone_sets] or [""])
    group_of = group_of[:H]
    group_zones = [[int(z) for z in g.split(",") if z != ""] for g in groups]
    if barriers:
        bg = nw.barrier_graph(graph, ez, group_zones)
        G = bg.graph
        start = np.full(H, -1, dtype=np.int64)
        by_group = np.argsort(group_of, kind="stable")  # each group's households, without a pass over all per group
        bounds = np.searchsorted(group_of[by_group], np.arange(len(groups) + 1))
        for gi in range(len(groups)):
            m = by_group[bounds[gi]:bounds[gi + 1]]
            start[m] = bg.node_for(gi, h_node[m])
    else:
        G, start = graph, h_node
    GT = G.csr(transpose=True)
    lap("barriers")

    # 3. network distances from every open shelter (reversed graph), limited by class
    steps.next()
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
    lap("distances")

    # households with no shelter in reach: why, found beside the flow (on the second CPU where there is one)
    has_cand = np.zeros(H, dtype=bool)
    has_cand[ph] = True
    no_cand = np.flatnonzero(~has_cand)
    why = parallel.in_background(lambda: _why_no_shelter(net, graph, acc_h, acc_s, h_node, s_node, use, no_cand,
                                                         barriers, max_walk_m, max_leg_m))

    # 4. the optimal assignment
    steps.next()
    people = ev["people"].to_numpy(np.int64) if H else np.zeros(0, np.int64)
    cap = sh["capacity"].to_numpy(np.int64)
    cost = np.rint(pdist * 10.0).astype(np.int64)  # decimetres per person
    max_cost = int(cost.max()) if len(cost) else 1
    unserved_cost = (2 * int(use.sum()) + 2) * max(max_cost, 1) + 1
    chosen = np.full(H, -1, dtype=np.int64)
    solver_name, n_split, n_repaired = "none", 0, 0
    t_whole = 0.0
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
    steps.sub(1.0)

    # 5. tables
    lap("assignment")
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
    # the geometries as one object array (a list took 120k element-by-element look-ups: 0.4-1 s at 100k households)
    hh_geom = np.asarray(ev.geometry.values, dtype=object) if H else np.zeros(0, object)
    ev_out = gpd.GeoDataFrame(ev_out, geometry=hh_geom if H else [], crs=crs)
    # unserved: why
    comp_table, reason_nc, detail_nc, blocked_nc = why.result()
    reason = np.full(H, None, dtype=object)
    detail = np.full(H, None, dtype=object)
    blocked = np.zeros(H, dtype=bool)  # reachable on the plain graph, only not around other zones
    reason[no_cand], detail[no_cand], blocked[no_cand] = reason_nc, detail_nc, blocked_nc
    full = has_cand & ~assigned
    reason[full], detail[full] = NO_CAPACITY, "every shelter within reach is full"
    un = ~assigned
    unserved = gpd.GeoDataFrame(pd.DataFrame({
        "household_id": ev["household_id"][un].to_numpy(object),
        "village_code": ev["village_code"][un].to_numpy(object),
        "people": people[un], "vulnerable": vul[un], "reason": reason[un], "detail": detail[un],
        "zone_ids": ev["zone_ids"][un].to_numpy(object), "pseudo": ev["pseudo"][un].to_numpy(bool)}),
        geometry=hh_geom[un] if H else [], crs=crs)
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

    lap("tables")

    # 6. route lines
    steps.next()
    route_frame = gpd.GeoDataFrame(columns=["shelter_id", "shelter_name", "people", "households", "geometry"],
                                   geometry="geometry", crs=crs)
    if routes and assigned.any():
        route_frame = _routes(net, G, GT, start, s_node, acc_h, acc_s, sidx, assigned, people, dist, sid, sname,
                              crs, steps, limit, cuts)
    lap("routes")
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
        "seconds": {**lap.wall, "whole_households": round(t_whole, 3)}, "cpu_seconds": lap.cpu}
    if len(comp_table) > 1:
        issues.append(_issue("warning", "roads", None, "geometry",
                             f"the road network has {len(comp_table)} disconnected pieces; the largest has "
                             f"{int(comp_table.nodes[0])} of {net.n_nodes} junctions"))
    return EvacuationPlan(ev_out, unserved, shelter_load, route_frame, issues, stats, comp_table)


def _groups(keys):
    """np.unique(keys, return_inverse=True) for many strings of few values: hashed (pandas), then the few values
    sorted, instead of sorting every string (100k households: 0.3 s)."""
    codes, values = pd.factorize(np.asarray(keys, dtype=object))
    order = np.argsort(np.asarray(values, dtype=object))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.asarray(values, dtype=object)[order], rank[codes]


class _Laps:
    """Wall and CPU seconds of the plan's parts in turn (a forked child's CPU counts in the part that reaps it)."""

    def __init__(self):
        self.wall, self.cpu = {}, {}
        self._last = (time.perf_counter(), self._cpu())

    @staticmethod
    def _cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def __call__(self, name: str):
        now = (time.perf_counter(), self._cpu())
        self.wall[name], self.cpu[name] = (round(b - a, 3) for a, b in zip(self._last, now))
        self._last = now


def _why_no_shelter(net, graph, acc_h, acc_s, h_node, s_node, use, rows, barriers, max_walk_m, max_leg_m):
    """Why the households ``rows`` (those with no shelter in reach) have none: (the road network's connected
    pieces, reason and detail per row, whether only other danger zones are in the way per row). Needs no flow, so
    it runs beside it."""
    comp_table, comp_of_node = net.components()
    reason = np.full(len(rows), NO_ROUTE, dtype=object)
    detail = np.full(len(rows), None, dtype=object)
    blocked = np.zeros(len(rows), dtype=bool)
    on_road = h_node[rows] >= 0
    if barriers and on_road.any() and use.any():
        lost = rows[on_road]
        total = _nearest_shelter_near(graph, s_node[use], h_node[lost], max_walk_m) + acc_h.leg[lost]
        blocked[on_road] = np.isfinite(total) & (total <= max_walk_m)
    comp_with_shelter = set(comp_of_node[np.r_[net.u[acc_s.edge[use]]]].tolist()) if use.any() else set()
    for i, k in enumerate(rows):
        if acc_h.edge[k] < 0:
            detail[i] = f"no road within {max_leg_m:g} m of the household (max_leg_m)"
        elif not use.any():
            detail[i] = "no open shelter in the package"
        elif comp_of_node[net.u[acc_h.edge[k]]] not in comp_with_shelter:
            detail[i] = (f"its road piece (component {comp_of_node[net.u[acc_h.edge[k]]]}) "
                         "reaches no open shelter")
        elif blocked[i]:
            detail[i] = "every road to an open shelter passes through another danger zone"
        else:
            detail[i] = ("no open shelter " + (f"within {max_walk_m:g} m " if np.isfinite(
                max_walk_m) else "") + "by road" + (" without crossing another danger zone" if barriers else ""))
    return comp_table, reason, detail, blocked


def _nearest_shelter_near(graph, sources, targets, limit) -> np.ndarray:
    """Walking distance from the nearest of ``sources`` to each of ``targets`` on the plain graph, within ``limit``
    (inf beyond): one search from all sources at once, as scipy's ``min_only`` gives it, but with a finite limit only
    over the nodes near the targets. A walk of at most ``limit`` to a target never leaves the disc of that radius
    around it, so the part within ``limit`` + 100 m of the targets (squares of half that side, 5×5 around each
    target's; the 100 m spare millimetre-rounded junctions) holds every such walk whole and gives the same
    distances; the rest of the graph (most of it when few households have no shelter) is not searched."""
    csr = graph.csr(transpose=True)
    if not np.isfinite(limit) or graph.xy is None or len(targets) == 0:
        return dijkstra(csr, directed=True, indices=sources, min_only=True, limit=limit)[targets]
    side = (float(limit) + 100.0) / 2.0
    origin = graph.xy.min(axis=0) - 3 * side
    cell = np.floor((graph.xy - origin) / side).astype(np.int64)
    span = int(cell[:, 1].max()) + 3
    key = cell[:, 0] * span + cell[:, 1]
    near = np.arange(-2, 3)
    around = (key[targets][:, None, None] + near[None, :, None] * span + near[None, None, :]).ravel()
    inside = np.isin(key, np.unique(around))
    if inside.mean() > 0.6:  # households everywhere: cutting the graph would cost more than it saves
        return dijkstra(csr, directed=True, indices=sources, min_only=True, limit=limit)[targets]
    ids = np.flatnonzero(inside)
    where = np.full(graph.n + 1, len(ids), dtype=np.int64)  # outside: one extra node with no arcs out
    where[ids] = np.arange(len(ids))
    rows = csr[ids]
    part = sp.csr_matrix((rows.data, where[rows.indices], np.r_[rows.indptr, rows.indptr[-1]]),
                         shape=(len(ids) + 1, len(ids) + 1))
    src = where[sources[inside[sources]]]
    if len(src) == 0:
        return np.full(len(targets), np.inf)
    return dijkstra(part, directed=True, indices=src, min_only=True, limit=limit)[where[targets]]


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
    own_n = np.fromiter(map(len, zone_sets), dtype=np.int64, count=len(zone_sets))
    own = np.fromiter(itertools.chain.from_iterable(zone_sets), dtype=np.int64, count=int(own_n.sum()))
    own_keys = np.repeat(np.arange(len(zone_sets)), own_n) * (n_zones + 1) + own  # (an array per household: 0.07 s)
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
