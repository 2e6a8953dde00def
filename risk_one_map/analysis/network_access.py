"""Points on the road network (access legs, walk graphs) and danger zones as barriers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import scipy.sparse as sp
import shapely

from . import parallel
from .network_build import RoadNetwork, _first_of_pairs, arcs_csr, nearest_distance


# --------------------------------------------------------------------------------------------------
# Points on the network
# --------------------------------------------------------------------------------------------------
@dataclass
class Access:
    """Where points meet the network: nearest edge (-1: none), distance along it, access leg and road point."""

    edge: np.ndarray
    t: np.ndarray
    leg: np.ndarray
    xy: np.ndarray       # projection on the road
    point_xy: np.ndarray

    def __len__(self):
        return len(self.edge)


def attach_points(net: RoadNetwork, points, *, max_leg_m: Optional[float] = None,
                  allowed_edges: Optional[np.ndarray] = None) -> Access:
    """Project each point onto its nearest edge (``allowed_edges`` a boolean mask to choose from).

    Points farther than ``max_leg_m`` from every road, empty points, or a network without edges give edge -1.
    """
    pts = np.asarray(getattr(points, "values", points), dtype=object)
    n = len(pts)
    edge = np.full(n, -1, dtype=np.int64)
    t = np.zeros(n)
    leg = np.full(n, np.inf)
    pxy = np.full((n, 2), np.nan)
    good = ~shapely.is_missing(pts) & ~shapely.is_empty(pts) if n else np.zeros(0, bool)
    if good.any():
        pxy[good] = _centres(pts[good])
    cand = np.arange(net.n_edges) if allowed_edges is None else np.flatnonzero(allowed_edges)
    if n == 0 or len(cand) == 0 or not good.any():
        return Access(edge, t, leg, np.full((n, 2), np.nan), pxy)
    gi = np.flatnonzero(good)
    qp = shapely.points(pxy[gi])
    allowed = None if allowed_edges is None else np.asarray(allowed_edges, dtype=bool)  # the shared tree, filtered
    tree, geoms = net.index, net.geometry  # built once, before the threads share it
    bound = None
    if len(gi) >= _BOUND_MIN_POINTS:
        bound = _junction_distance(net, allowed) if allowed is not None else _road_distance(net, tree)

    def attach(part):
        pi, e, dist = _nearest(tree, geoms, qp[part], pxy[gi[part]], max_leg_m, allowed, bound)
        at = shapely.line_locate_point(geoms[e], qp[part][pi])
        return part[pi], e, dist, at, shapely.get_coordinates(shapely.line_interpolate_point(geoms[e], at))

    xy = np.full((n, 2), np.nan)
    for pi, e, dist, at, on_road in _in_threads(attach, len(gi)):
        rows = gi[pi]
        edge[rows], leg[rows], t[rows], xy[rows] = e, dist, at, on_road
    return Access(edge, t, leg, xy, pxy)


def _centres(pts) -> np.ndarray:
    """(x, y) of each geometry's centroid; a point is its own (GEOS's centroid of one point is that point to the
    bit), so points skip GEOS's centroid (a tenth of the time of attaching 100k households)."""
    out = np.empty((len(pts), 2))
    is_point = shapely.get_type_id(pts) == 0
    if is_point.any():
        out[is_point] = shapely.get_coordinates(pts[is_point])[:, :2]
    if not is_point.all():
        out[~is_point] = shapely.get_coordinates(shapely.centroid(pts[~is_point]))[:, :2]
    return out


# From this many points the first round's misses are searched within a bound each (see _road_distance).
_BOUND_MIN_POINTS = 2000
# From this many points missed by one thread's first round, a KD-tree of the junctions gives their bound.
_KD_MIN_POINTS = 4000


def _road_distance(net: RoadNetwork, tree):
    """A function: points -> an upper bound of their distance to the nearest road. For a few points GEOS's own
    nearest road (25 µs a point, e.g. 900 households of 100k on a grid of roads); for many, the nearest junction
    from a KD-tree built once for all threads (0.2 s at 600k nodes, then 3 µs a point: 28k of 100k households on
    irregular roads took 0.73 s the other way)."""
    import threading
    lock, kd = threading.Lock(), []

    def bound(pts):
        if len(pts) < _KD_MIN_POINTS:
            return nearest_distance(tree, pts)
        with lock:
            if not kd:
                kd.append(_junction_distance(net))
        return kd[0](pts)
    return bound


def _junction_distance(net: RoadNetwork, allowed=None):
    """A function: points -> distance to the nearest junction of an (allowed) edge, an upper bound of their
    distance to the nearest (allowed) edge."""
    from scipy.spatial import cKDTree
    ends = np.zeros(net.n_nodes, dtype=bool)
    ends[net.u if allowed is None else net.u[allowed]] = True
    ends[net.v if allowed is None else net.v[allowed]] = True
    kd = cKDTree(net.xy[ends])
    return lambda pts: kd.query(shapely.get_coordinates(pts))[0]


# Below this many points one thread does it all (a thread costs more than it saves).
_THREAD_MIN_POINTS = 20000


def _in_threads(func, n: int) -> list:
    """``func(rows)`` over halves of ``range(n)`` in two threads, on two CPUs: GEOS's vectorised functions and
    STRtree queries release the GIL. Each point's result depends on the point alone, so the halves give what one
    call gives."""
    if n < _THREAD_MIN_POINTS or parallel.worker_count() < 2:
        return [func(np.arange(n))]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(func, np.array_split(np.arange(n), 2)))


def _nearest(tree, geoms, qp, qxy, max_leg_m, allowed=None, bound=None):
    """Nearest geometry of ``tree`` for each point (``qp``, coordinates ``qxy``): candidates within a radius growing
    4× a round (GEOS's nearest search is slow on many lines), the closest wins (ties: the lowest index). Returns
    (point, geometry, distance).

    ``bound`` (optional) gives for points an upper bound of their distance to the nearest geometry (the nearest road,
    or the nearest road junction: it is on a road); points the first round misses are then searched once each within
    their own bound, not in rounds of 16× the area (a point 30 m from a road searched 100 m around it). The nearest
    one is within both radii, so the answer is the same; points whose bound is beyond the rounds' reach go on in
    rounds."""
    n = len(qp)
    best = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    todo = np.arange(n)

    def closest(rows, lim):
        # the geometries whose boxes meet a square around the point (a hair wider), then those within ``lim`` by the
        # one distance the choice needs anyway: the pairs of a ``dwithin`` query, which computed every distance
        # twice (a third of attaching 100k households)
        lim = np.broadcast_to(np.asarray(lim, dtype=float), (len(rows),))
        pad = lim * (1 + 1e-9) + 1e-6
        x, y = qxy[rows, 0], qxy[rows, 1]
        qi, ej = tree.query(shapely.box(x - pad, y - pad, x + pad, y + pad))
        if allowed is not None:
            qi, ej = qi[allowed[ej]], ej[allowed[ej]]
        d = shapely.distance(qp[rows[qi]], geoms[ej])
        near = d <= lim[qi]
        qi, ej, d = qi[near], ej[near], d[near]
        if len(qi):
            order = np.lexsort((ej, d, qi))
            sel = order[np.r_[True, qi[order][1:] != qi[order][:-1]]]
            best[rows[qi[sel]]] = ej[sel]
            dist[rows[qi[sel]]] = d[sel]

    r = 25.0
    while len(todo):
        lim = r if max_leg_m is None else min(r, float(max_leg_m))
        closest(todo, lim)
        todo = todo[best[todo] < 0]
        if (max_leg_m is not None and lim >= max_leg_m) or not len(todo):
            break
        if bound is not None and r == 25.0:
            b = bound(qp[todo]) * (1 + 1e-9) + 1e-3  # a hair wider: GEOS and the KD-tree round differently
            near = b <= 1.0e5  # the rounds reach 409.6 km before the exact search below: the same answers
            own = np.minimum(b[near], float(max_leg_m)) if max_leg_m is not None else b[near]
            closest(todo[near], own)
            todo = todo[~near]  # near ones not found are beyond max_leg_m
            if not len(todo):
                break
        if r > 2.0e5:  # far from every road: one exact search for the rest
            sub = np.arange(len(geoms)) if allowed is None else np.flatnonzero(allowed)
            (pi, pj), pd_ = shapely.STRtree(geoms[sub]).query_nearest(qp[todo], return_distance=True,
                                                                       all_matches=False)
            best[todo[pi]], dist[todo[pi]] = sub[pj], pd_
            break
        r *= 4.0
    found = np.flatnonzero(best >= 0)
    return found, best[found], dist[found]


@dataclass
class WalkGraph:
    """Directed arcs over base nodes (0..n_base-1) and virtual nodes (points inserted on edges).

    Arc ``a`` runs ``tail[a] → head[a]`` and covers ``edge[a]`` from position ``t0[a]`` to ``t1[a]``
    (``t1 < t0`` when it runs against the edge's direction); ``edge[a] == -1`` for arcs with no road (exits).
    """

    n: int
    n_base: int
    tail: np.ndarray
    head: np.ndarray
    length: np.ndarray
    edge: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    base_of: np.ndarray  # node -> node of the un-layered graph (identity unless layered)
    xy: Optional[np.ndarray] = None  # (n, 2) node coordinates (a layer copy sits where its original does)

    def csr(self, weight=None, transpose: bool = False) -> sp.csr_matrix:
        w = self.length if weight is None else weight
        if transpose:
            return arcs_csr(self.head, self.tail, w, self.n)
        return arcs_csr(self.tail, self.head, w, self.n)

    def arc_lookup(self):
        """A function (tail, head) -> arc index (the lightest such arc), vectorised."""
        keep = _first_of_pairs(self.tail, self.head, self.length)
        key = self.tail[keep].astype(np.int64) * self.n + self.head[keep]
        order = np.argsort(key)
        key, keep = key[order], keep[order]

        def lookup(a, b):
            k = np.asarray(a, np.int64) * self.n + np.asarray(b, np.int64)
            pos = np.clip(np.searchsorted(key, k), 0, max(len(key) - 1, 0))
            found = key[pos] == k if len(key) else np.zeros(len(k), bool)
            return np.where(found, keep[pos], -1)
        return lookup


def walk_graph(net: RoadNetwork, access: Sequence[Access]):
    """The network with every attached point of each ``Access`` inserted as a virtual node.

    Returns the WalkGraph and, per Access, the node id of each point (-1 where the point has no edge). Points on
    the same edge are chained by position, so a household and a shelter on one road piece are joined directly.
    """
    edges = [a.edge for a in access]
    ts = [a.t for a in access]
    all_e = np.concatenate(edges) if edges else np.zeros(0, np.int64)
    all_t = np.concatenate(ts) if ts else np.zeros(0)
    has = all_e >= 0
    n_base = net.n_nodes
    point_node = np.full(len(all_e), -1, dtype=np.int64)
    point_node[has] = n_base + np.arange(has.sum())
    pe, pt, pn = all_e[has], all_t[has], point_node[has]
    # untouched edges: two arcs each
    touched = np.zeros(net.n_edges, dtype=bool)
    touched[pe] = True
    ue = np.flatnonzero(~touched)
    tails = [net.u[ue], net.v[ue]]
    heads = [net.v[ue], net.u[ue]]
    lens = [net.length[ue], net.length[ue]]
    eds = [ue, ue]
    t0s = [np.zeros(len(ue)), net.length[ue]]
    t1s = [net.length[ue], np.zeros(len(ue))]
    if len(pe):
        order = np.lexsort((pt, pe))
        pe, pt, pn = pe[order], pt[order], pn[order]
        starts = np.r_[True, pe[1:] != pe[:-1]]
        ends = np.r_[pe[1:] != pe[:-1], True]
        # chain pieces: u -> first point, point -> next point, last point -> v
        a_node = np.where(starts, net.u[pe], np.r_[-1, pn[:-1]])
        a_pos = np.where(starts, 0.0, np.r_[0.0, pt[:-1]])
        ct, ch, cs, cf = [a_node], [pn], [a_pos], [pt]
        ce = [pe]
        last = np.flatnonzero(ends)
        ct.append(pn[last])
        ch.append(net.v[pe[last]])
        cs.append(pt[last])
        cf.append(net.length[pe[last]])
        ce.append(pe[last])
        ct, ch, cs, cf, ce = (np.concatenate(x) for x in (ct, ch, cs, cf, ce))
        ln = np.abs(cf - cs)
        tails += [ct, ch]
        heads += [ch, ct]
        lens += [ln, ln]
        eds += [ce, ce]
        t0s += [cs, cf]
        t1s += [cf, cs]
    n = n_base + int(has.sum())
    all_xy = np.concatenate([a.xy for a in access]) if access else np.zeros((0, 2))
    ints = {"dtype": np.int64, "copy": False}  # already int64 as a rule: no second copy of 2 M arcs
    g = WalkGraph(n, n_base, np.concatenate(tails).astype(**ints), np.concatenate(heads).astype(**ints),
                  np.concatenate(lens), np.concatenate(eds).astype(**ints), np.concatenate(t0s),
                  np.concatenate(t1s), np.arange(n, dtype=np.int64), np.vstack([net.xy, all_xy[has]]))
    out, k = [], 0
    for e in edges:
        out.append(point_node[k:k + len(e)])
        k += len(e)
    return g, out


# --------------------------------------------------------------------------------------------------
# Danger zones as barriers
# --------------------------------------------------------------------------------------------------
@dataclass
class BarrierGraph:
    """A WalkGraph with one shared layer (arcs outside every zone) and one layer per evacuee group.

    ``node_for(group, nodes)`` maps nodes of the plain WalkGraph to the node an evacuee of that group starts from.
    """

    graph: WalkGraph
    layers: list  # per group: (sorted plain node ids, their layered ids)

    def node_for(self, group: int, nodes) -> np.ndarray:
        nodes = np.asarray(nodes, dtype=np.int64)
        plain, layered = self.layers[group]
        out = nodes.copy()
        if len(plain) == 0 or len(nodes) == 0:
            return out
        pos = np.clip(np.searchsorted(plain, nodes), 0, len(plain) - 1)
        hit = (plain[pos] == nodes) & (nodes >= 0)
        out[hit] = layered[pos[hit]]
        return out


def barrier_graph(g: WalkGraph, edge_zones: sp.csr_matrix, groups: Sequence[Sequence[int]]) -> BarrierGraph:
    """Arcs inside a zone are usable only by evacuees who stand in that zone (and in every zone the arc is in).

    ``edge_zones``: boolean (edges × zones) from :func:`edge_polygons`; ``groups``: per evacuee group the zone
    indices its members stand in. Every group layer gets one-way, zero-length exits to the shared layer, so a route
    may leave its own zones and never enter another (nor come back into its own). The work per group follows the
    size of its zones.
    """
    ez = sp.csr_matrix(edge_zones, dtype=np.int32)
    n_zones_of_edge = np.diff(ez.indptr)
    arc_edge = g.edge
    arc_nz = np.where(arc_edge >= 0, n_zones_of_edge[np.maximum(arc_edge, 0)], 0)
    free = arc_nz == 0
    tails, heads, lens = [g.tail[free]], [g.head[free]], [g.length[free]]
    eds, t0s, t1s = [g.edge[free]], [g.t0[free]], [g.t1[free]]
    base_of = [np.arange(g.n, dtype=np.int64)]
    # arcs touching each zone (CSC of the zoned arcs)
    zoned = np.flatnonzero(~free)
    az = ez[arc_edge[zoned]].tocsc()
    layers = []
    n = g.n
    for zones in groups:
        zones = sorted(set(int(z) for z in zones))
        touching = [zoned[az.indices[az.indptr[z]:az.indptr[z + 1]]] for z in zones if 0 <= z < az.shape[1]]
        if touching:
            cand, count = np.unique(np.concatenate(touching), return_counts=True)
            arcs = cand[count == arc_nz[cand]]
        else:
            arcs = np.zeros(0, dtype=np.int64)
        if len(arcs) == 0:
            layers.append((np.zeros(0, np.int64), np.zeros(0, np.int64)))
            continue
        nodes = np.unique(np.r_[g.tail[arcs], g.head[arcs]])
        ids = n + np.arange(len(nodes))
        tails += [ids[np.searchsorted(nodes, g.tail[arcs])], ids]
        heads += [ids[np.searchsorted(nodes, g.head[arcs])], nodes]
        lens += [g.length[arcs], np.zeros(len(nodes))]
        eds += [g.edge[arcs], np.full(len(nodes), -1)]
        t0s += [g.t0[arcs], np.zeros(len(nodes))]
        t1s += [g.t1[arcs], np.zeros(len(nodes))]
        base_of.append(nodes)
        layers.append((nodes, ids))
        n += len(nodes)
    base_of = np.concatenate(base_of)
    wg = WalkGraph(n, g.n_base, *(np.concatenate(x) for x in (tails, heads)), np.concatenate(lens),
                   np.concatenate(eds).astype(np.int64, copy=False), np.concatenate(t0s), np.concatenate(t1s), base_of,
                   None if g.xy is None else g.xy[base_of])
    return BarrierGraph(wg, layers)
