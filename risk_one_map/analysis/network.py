"""The road graph for evacuation (walking) and depot siting (driving): build, attach points, search, draw.

PURE: numpy, scipy.sparse, shapely 2. Distances in metres in the package's projected CRS.

The pieces, in the order a caller uses them:

* :func:`build_network` turns road lines into a graph: lines are split where they cross (``shapely.node``),
  dangling ends that stop short of another road by less than ``tolerance`` are joined to it by a short connector
  (``snapped``), and the connected pieces are reported with their size (``components``). An edge is a road piece
  between two junctions; its geometry is kept for drawing.
* :func:`split_at_polygons` splits edges where they cross polygon boundaries (danger zones), so that every edge is
  either wholly inside a set of zones or outside all of them; :func:`edge_polygons` tells which.
* :func:`attach_points` projects points (households, shelters) onto their nearest edge (STRtree); the access leg
  (point to road) is returned so that callers count it. :func:`walk_graph` inserts the projections as virtual nodes
  (several points on one edge are chained in order along it, so two points on one edge are joined directly).
* :func:`barrier_graph` builds the graph seen by evacuees when "a route may leave a danger zone but never pass
  through another one": one shared layer of arcs outside every zone plus, per group of evacuees (the set of zones
  they stand in), a copy of the arcs inside those zones with one-way exits to the shared layer. One search from a
  shelter over the reversed graph then gives every group's distances at once (the graph grows by the size of the
  zones, not by the number of groups).
* :func:`drive_time_matrix` gives depot siting its village-to-site drive minutes over the same graph.
* :func:`trace_paths` follows scipy predecessors from many targets at once; :func:`arc_geometry` cuts the road
  pieces an arc covers, for route lines.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from . import parallel

_ROUND = 3  # node coordinates are merged at millimetre precision


# --------------------------------------------------------------------------------------------------
# The road network
# --------------------------------------------------------------------------------------------------
@dataclass
class RoadNetwork:
    """Undirected road graph. Edge ``e`` runs from node ``u[e]`` to ``v[e]`` along ``geometry[e]`` (oriented u→v)."""

    xy: np.ndarray            # (n, 2) node coordinates
    u: np.ndarray             # (m,) int
    v: np.ndarray             # (m,) int
    length: np.ndarray        # (m,) metres
    geometry: np.ndarray      # (m,) LineStrings, u → v
    road: np.ndarray          # (m,) index of the source road feature; -1 for snap connectors
    snapped: list = field(default_factory=list)   # dicts: node, x, y, gap_m, joined_to ("node" or "edge")
    dropped: list = field(default_factory=list)   # dicts: road index, reason (empty or invalid geometry)
    _tree: object = field(default=None, repr=False, compare=False)

    @property
    def tree(self) -> shapely.STRtree:
        """An STRtree of the edge geometries, built once."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.geometry)
        return self._tree

    @property
    def n_nodes(self) -> int:
        return int(len(self.xy))

    @property
    def n_edges(self) -> int:
        return int(len(self.u))

    def csr(self, weight: Optional[np.ndarray] = None) -> sp.csr_matrix:
        """Symmetric CSR matrix of edge weights (lengths by default); parallel edges keep the smallest weight."""
        w = self.length if weight is None else np.asarray(weight, dtype=float)
        return arcs_csr(np.r_[self.u, self.v], np.r_[self.v, self.u], np.r_[w, w], self.n_nodes)

    def travel_minutes(self, speed_kmh) -> np.ndarray:
        """Edge weights in minutes for a speed in km/h (a scalar or one value per edge)."""
        return self.length / metres_per_minute(speed_kmh)

    def components(self):
        """Connected pieces, largest first: a DataFrame component, nodes, edges, length_m, main; and node labels."""
        import pandas as pd
        n, labels = connected_components(self.csr(), directed=False)
        nodes = np.bincount(labels, minlength=n)
        edges = np.bincount(labels[self.u], minlength=n) if self.n_edges else np.zeros(n, int)
        length = np.bincount(labels[self.u], weights=self.length, minlength=n) if self.n_edges else np.zeros(n)
        order = np.lexsort((-nodes, -length))
        remap = np.empty(n, dtype=int)
        remap[order] = np.arange(n)
        table = pd.DataFrame({"component": np.arange(n), "nodes": nodes[order], "edges": edges[order],
                              "length_m": np.round(length[order], 1), "main": np.arange(n) == 0})
        return table, remap[labels]


def metres_per_minute(kmh):
    """A speed in km/h (a scalar or an array) as metres per minute."""
    return np.asarray(kmh, dtype=float) * (1000.0 / 60.0)


def arcs_csr(tail, head, weight, n: int) -> sp.csr_matrix:
    """A CSR matrix of directed arcs; duplicates keep their smallest weight (scipy would add them up)."""
    tail, head, weight = np.asarray(tail, np.int64), np.asarray(head, np.int64), np.asarray(weight, float)
    keep = _first_of_pairs(tail, head, weight)
    m = sp.csr_matrix((weight[keep], (tail[keep], head[keep])), shape=(n, n))
    m.sort_indices()
    return m


def _first_of_pairs(tail, head, weight) -> np.ndarray:
    """Indices of the lightest arc of each (tail, head) pair, sorted by (tail, head)."""
    if len(tail) == 0:
        return np.zeros(0, dtype=np.int64)
    key = tail.astype(np.int64) * (int(max(tail.max(), head.max())) + 1) + head
    order = np.argsort(key, kind="stable")
    k = key[order]
    if not (k[1:] == k[:-1]).any():
        return order
    # parallel arcs: order each run of equal keys by weight, keep the first
    order = order[np.lexsort((weight[order], k))]
    k = key[order]
    first = np.r_[True, k[1:] != k[:-1]]
    return order[first]


def _explode(lines):
    """LineString parts of ``lines`` and the index of the feature each came from; empty/invalid ones reported."""
    geoms = np.asarray(getattr(lines, "values", lines), dtype=object)
    # vectorised: a Python test per road took 12 s for 0.9 M roads
    is_geom = shapely.is_geometry(geoms)
    type_id = np.full(len(geoms), -1, dtype=np.int64)
    empty = ~is_geom
    if is_geom.any():
        type_id[is_geom] = shapely.get_type_id(geoms[is_geom])
        empty[is_geom] = shapely.is_empty(geoms[is_geom])
    ok = ~empty & np.isin(type_id, (1, 5, 7))  # LineString, MultiLineString, GeometryCollection
    dropped = [{"road": int(i), "reason": "no geometry" if empty[i] else f"not a line ({geoms[i].geom_type})"}
               for i in np.flatnonzero(~ok)]
    idx = np.flatnonzero(ok)
    parts, part_of = shapely.get_parts(geoms[idx], return_index=True)
    part_of = idx[part_of]
    lines_only = (shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)
    parts, part_of = parts[lines_only], part_of[lines_only]
    short = shapely.length(parts) <= 0
    kept = set(part_of[~short].tolist())
    for i in np.unique(part_of[short]):
        if int(i) not in kept:
            dropped.append({"road": int(i), "reason": "zero length"})
    return parts[~short], part_of[~short], dropped


def build_network(lines, *, tolerance: float = 2.0) -> RoadNetwork:
    """A routable network from road lines (a GeoSeries or an array of shapely lines).

    Lines are split at every crossing and shared vertex (``shapely.node``: a road crossing another without a
    junction, e.g. a bridge, is joined too: the roads layer carries no levels). A dangling end within ``tolerance``
    metres of another road is joined to it by a straight connector (to the road's end node when that is within the
    tolerance too, else to a new node on the road); each such join is listed in ``snapped``.
    """
    parts, part_of, dropped = _explode(lines)
    if len(parts) == 0:
        return RoadNetwork(np.zeros((0, 2)), *(np.zeros(0, int),) * 2, np.zeros(0), np.zeros(0, object),
                           np.zeros(0, int), [], dropped)
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    noded = noded[shapely.length(noded) > 0]
    # which source road each piece lies on: the piece's middle is on it
    mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(parts)
    pi, pj = tree.query(mid, predicate="dwithin", distance=1e-6)
    road = np.full(len(noded), -1, dtype=np.int64)
    road[pi[::-1]] = part_of[pj[::-1]]  # first match wins
    if (road < 0).any():  # numerical corner: take the nearest part
        miss = np.flatnonzero(road < 0)
        road[miss] = part_of[tree.query_nearest(mid[miss], all_matches=False)[1]]
    net = _from_pieces(noded, road)
    net.dropped = dropped
    if tolerance and tolerance > 0:
        net = _snap_dangles(net, float(tolerance))
    return net


def _from_pieces(pieces: np.ndarray, road: np.ndarray) -> RoadNetwork:
    start = shapely.get_coordinates(shapely.get_point(pieces, 0))
    end = shapely.get_coordinates(shapely.get_point(pieces, -1))
    keys = np.round(np.r_[start, end], _ROUND)
    # x + iy: numpy sorts complex numbers by x then y, the order np.unique(axis=0) gives, several times faster
    uniq, inv = np.unique(keys[:, 0] + 1j * keys[:, 1], return_inverse=True)
    uniq, inv = np.c_[uniq.real, uniq.imag], inv.ravel()
    m = len(pieces)
    u, v = inv[:m], inv[m:]
    loop = u == v  # closed rings with no other junction: keep them as two halves so they stay routable
    if loop.any():
        rings = np.repeat(pieces[loop], 2)
        half = np.repeat(shapely.length(pieces[loop]) / 2, 2)
        halves = substrings(rings, np.where(np.arange(len(rings)) % 2, half, 0), np.where(np.arange(len(rings)) % 2,
                                                                                             2 * half, half))
        keep = ~loop
        return _from_pieces(np.r_[pieces[keep], halves], np.r_[road[keep], np.repeat(road[loop], 2)])
    return RoadNetwork(uniq.astype(float), u.astype(np.int64), v.astype(np.int64), shapely.length(pieces),
                       pieces, np.asarray(road, dtype=np.int64))


def _snap_dangles(net: RoadNetwork, tol: float) -> RoadNetwork:
    deg = np.bincount(np.r_[net.u, net.v], minlength=net.n_nodes)
    dangling = np.flatnonzero(deg == 1)
    if len(dangling) == 0:
        return net
    pts = shapely.points(net.xy[dangling])
    tree = shapely.STRtree(net.geometry)
    qi, qe = tree.query(pts, predicate="dwithin", distance=tol)
    node = dangling[qi]
    other = (net.u[qe] != node) & (net.v[qe] != node)
    qi, qe, node = qi[other], qe[other], node[other]
    if len(qi) == 0:
        return net
    gap = shapely.distance(pts[qi], net.geometry[qe])
    order = np.lexsort((gap, qi))
    first = np.r_[True, qi[order][1:] != qi[order][:-1]]
    sel = order[first]
    node, edge, gap = node[sel], qe[sel], gap[sel]
    t = shapely.line_locate_point(net.geometry[edge], pts[qi[sel]])
    L = net.length[edge]
    # snap to an end node of the target edge when it is within the tolerance too
    du = np.hypot(*(net.xy[net.u[edge]] - net.xy[node]).T)
    dv = np.hypot(*(net.xy[net.v[edge]] - net.xy[node]).T)
    to_u, to_v = (du <= tol) & (du <= dv), (dv <= tol) & (dv < du)
    target = np.where(to_u, net.u[edge], np.where(to_v, net.v[edge], -1))
    inner = target < 0
    # avoid a split a hair away from an end node
    inner &= (t > 1e-6) & (t < L - 1e-6)
    target = np.where(~inner & (target < 0), np.where(t <= L / 2, net.u[edge], net.v[edge]), target)
    net2, new_nodes = split_edges(net, edge[inner], t[inner])
    target[inner] = new_nodes
    pairs = set()
    cu, cv, geoms, snapped = [], [], [], []
    for a, b, g in zip(node, target, gap):
        key = (min(a, b), max(a, b))
        if a == b or key in pairs:
            continue
        pairs.add(key)
        cu.append(a)
        cv.append(b)
        geoms.append(shapely.linestrings([net2.xy[a], net2.xy[b]]))
        snapped.append({"node": int(a), "x": float(net2.xy[a, 0]), "y": float(net2.xy[a, 1]),
                        "gap_m": round(float(np.hypot(*(net2.xy[b] - net2.xy[a]))), 3),
                        "joined_to": "node" if b < net.n_nodes else "edge"})
    if not cu:
        return net2
    geoms = np.array(geoms, dtype=object)
    return RoadNetwork(net2.xy, np.r_[net2.u, cu], np.r_[net2.v, cv], np.r_[net2.length, shapely.length(geoms)],
                       np.r_[net2.geometry, geoms], np.r_[net2.road, np.full(len(cu), -1)], net.snapped + snapped,
                       net.dropped)


def substrings(geoms, start, end) -> np.ndarray:
    """Pieces of lines between distances ``start`` and ``end`` along them, vectorised (2D).

    ``end < start`` gives the piece reversed; an empty piece or a missing line gives None.
    """
    geoms = np.asarray(geoms, dtype=object)
    a, b = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    out = np.full(len(geoms), None, dtype=object)
    valid = np.array([g is not None for g in geoms], dtype=bool) if len(geoms) else np.zeros(0, bool)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    length = np.zeros(len(geoms))
    length[valid] = shapely.length(geoms[valid])
    lo, hi = np.clip(lo, 0, length), np.clip(hi, 0, length)
    ok = np.flatnonzero(valid & (hi - lo > 1e-9))
    if len(ok) == 0:
        return out
    g, lo, hi = geoms[ok], lo[ok], hi[ok]
    coords, line_of = shapely.get_coordinates(g, return_index=True)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    seg[line_of[1:] != line_of[:-1]] = 1.0  # a one-metre gap between lines keeps each line's measures apart
    key = np.r_[0.0, np.cumsum(seg)]
    first = np.searchsorted(line_of, np.arange(len(g)))
    base = key[first]
    i_lo = np.searchsorted(key, base + lo, side="right")
    i_hi = np.searchsorted(key, base + hi, side="left")
    i_hi = np.maximum(i_hi, i_lo)
    counts = i_hi - i_lo + 2
    piece = np.repeat(np.arange(len(g)), counts)
    pos = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    xy = np.empty((len(piece), 2))
    p_lo = shapely.get_coordinates(shapely.line_interpolate_point(g, lo))
    p_hi = shapely.get_coordinates(shapely.line_interpolate_point(g, hi))
    is_first, is_last = pos == 0, pos == counts[piece] - 1
    mid = ~is_first & ~is_last
    xy[is_first] = p_lo
    xy[is_last] = p_hi
    xy[mid] = coords[(i_lo[piece] + pos - 1)[mid]]
    lines = shapely.linestrings(xy, indices=piece)
    rev = (a > b)[ok]
    if rev.any():
        lines[rev] = shapely.reverse(lines[rev])
    out[ok] = lines
    return out


def split_edges(net: RoadNetwork, edges, positions):
    """Split edges at distances along them; returns the new network and the node id of each split position.

    Positions at (or within a millimetre of) an edge's end return that end node. Edge ids change; node ids of the
    old network stay valid (new nodes are appended).
    """
    edges = np.asarray(edges, dtype=np.int64)
    positions = np.asarray(positions, dtype=float)
    out_nodes = np.empty(len(edges), dtype=np.int64)
    if len(edges) == 0:
        return net, out_nodes
    L = net.length[edges]
    at_u, at_v = positions <= 1e-3, positions >= L - 1e-3
    out_nodes[at_u] = net.u[edges[at_u]]
    out_nodes[at_v] = net.v[edges[at_v]]
    inner = np.flatnonzero(~at_u & ~at_v)
    xy = [net.xy]
    keep = np.ones(net.n_edges, dtype=bool)
    nu, nv, ng, n0, n1, xy_edge = [], [], [], [], [], []
    next_node = net.n_nodes
    by_edge = {}
    for k in inner:
        by_edge.setdefault(int(edges[k]), []).append(k)
    for e, ks in by_edge.items():
        ks = sorted(ks, key=lambda k: positions[k])
        cuts, ids = [], []
        for k in ks:
            if cuts and positions[k] - cuts[-1] <= 1e-3:
                out_nodes[k] = ids[-1]
                continue
            cuts.append(positions[k])
            ids.append(next_node)
            out_nodes[k] = next_node
            next_node += 1
        bounds = [0.0] + cuts + [net.length[e]]
        chain = [int(net.u[e])] + ids + [int(net.v[e])]
        xy.append(np.asarray(cuts))
        xy_edge.append(np.full(len(cuts), e))
        nu += chain[:-1]
        nv += chain[1:]
        ng += [e] * (len(bounds) - 1)
        n0 += bounds[:-1]
        n1 += bounds[1:]
        keep[e] = False
    if not ng:
        return net, out_nodes
    cut_e = np.concatenate(xy_edge)
    xy = [net.xy, shapely.get_coordinates(shapely.line_interpolate_point(net.geometry[cut_e], np.concatenate(xy[1:])))]
    nr = net.road[ng]
    ng = substrings(net.geometry[ng], n0, n1)
    new = RoadNetwork(np.vstack(xy), np.r_[net.u[keep], nu].astype(np.int64), np.r_[net.v[keep], nv].astype(np.int64),
                      np.r_[net.length[keep], shapely.length(ng)], np.r_[net.geometry[keep], ng],
                      np.r_[net.road[keep], nr].astype(np.int64), list(net.snapped), list(net.dropped))
    return new, out_nodes


def split_at_polygons(net: RoadNetwork, polygons) -> RoadNetwork:
    """Split edges where they cross the boundaries of ``polygons``, so each edge is wholly in or out of each."""
    polys = np.asarray(getattr(polygons, "values", polygons), dtype=object)
    polys = polys[[g is not None and not g.is_empty for g in polys]] if len(polys) else polys
    if len(polys) == 0 or net.n_edges == 0:
        return net
    rings = shapely.boundary(polys)
    ri, ei = net.tree.query(rings, predicate="intersects")
    if len(ri) == 0:
        return net
    crossings = shapely.intersection(net.geometry[ei], rings[ri])
    pts, which = shapely.get_parts(shapely.extract_unique_points(crossings), return_index=True)
    edge = ei[which]
    t = shapely.line_locate_point(net.geometry[edge], pts)
    new, _ = split_edges(net, edge, t)
    return new


def edge_polygons(net: RoadNetwork, polygons) -> sp.csr_matrix:
    """Boolean (edges × polygons) matrix: the middle of the edge lies inside the polygon."""
    polys = np.asarray(getattr(polygons, "values", polygons), dtype=object)
    m = net.n_edges
    if len(polys) == 0 or m == 0:
        return sp.csr_matrix((m, len(polys)), dtype=bool)
    valid = ~shapely.is_missing(polys) & ~shapely.is_empty(polys)
    near = np.unique(net.tree.query(polys[valid], predicate="intersects")[1])  # only edges near a polygon
    mid = shapely.line_interpolate_point(net.geometry[near], 0.5, normalized=True)
    tree = shapely.STRtree(np.where(valid, polys, shapely.Point()))
    ei, pj = tree.query(mid, predicate="within")
    keep = valid[pj]
    return sp.csr_matrix((np.ones(keep.sum(), dtype=bool), (near[ei[keep]], pj[keep])), shape=(m, len(polys)))


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
        pxy[good] = shapely.get_coordinates(shapely.centroid(pts[good]))[:, :2]
    cand = np.arange(net.n_edges) if allowed_edges is None else np.flatnonzero(allowed_edges)
    if n == 0 or len(cand) == 0 or not good.any():
        return Access(edge, t, leg, np.full((n, 2), np.nan), pxy)
    gi = np.flatnonzero(good)
    qp = shapely.points(pxy[gi])
    if allowed_edges is None:
        pi, e, dist = _nearest(net.tree, net.geometry, qp, max_leg_m)
    else:  # the shared tree, candidates outside the allowed edges dropped
        pi, e, dist = _nearest(net.tree, net.geometry, qp, max_leg_m, np.asarray(allowed_edges, dtype=bool))
    rows = gi[pi]
    edge[rows] = e
    leg[rows] = dist
    t[rows] = shapely.line_locate_point(net.geometry[e], qp[pi])
    xy = np.full((n, 2), np.nan)
    xy[rows] = shapely.get_coordinates(shapely.line_interpolate_point(net.geometry[e], t[rows]))
    return Access(edge, t, leg, xy, pxy)


def _nearest(tree, geoms, qp, max_leg_m, allowed=None):
    """Nearest geometry of ``tree`` for each point: candidates within a radius growing 4× a round (GEOS's nearest
    search is slow on many lines), the closest wins (ties: the lowest index). Returns (point, geometry, distance)."""
    n = len(qp)
    best = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    todo = np.arange(n)
    r = 25.0
    while len(todo):
        lim = r if max_leg_m is None else min(r, float(max_leg_m))
        qi, ej = tree.query(qp[todo], predicate="dwithin", distance=lim)
        if allowed is not None:
            qi, ej = qi[allowed[ej]], ej[allowed[ej]]
        if len(qi):
            d = shapely.distance(qp[todo[qi]], geoms[ej])
            order = np.lexsort((ej, d, qi))
            sel = order[np.r_[True, qi[order][1:] != qi[order][:-1]]]
            best[todo[qi[sel]]] = ej[sel]
            dist[todo[qi[sel]]] = d[sel]
        todo = todo[best[todo] < 0]
        if (max_leg_m is not None and lim >= max_leg_m) or not len(todo):
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
    g = WalkGraph(n, n_base, np.concatenate(tails).astype(np.int64), np.concatenate(heads).astype(np.int64),
                  np.concatenate(lens), np.concatenate(eds).astype(np.int64), np.concatenate(t0s),
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
                   np.concatenate(eds).astype(np.int64), np.concatenate(t0s), np.concatenate(t1s), base_of,
                   None if g.xy is None else g.xy[base_of])
    return BarrierGraph(wg, layers)


def local_searches(csr: sp.csr_matrix, xy: Optional[np.ndarray], sources, limits, *, predecessors: bool = False,
                   max_cells: float = 2.0e7, targets=None, reduce=None, workers: Optional[int] = None,
                   cut_limits=None, cache: Optional[dict] = None):
    """Bounded Dijkstra from many sources, each on the part of the graph it can reach.

    scipy's Dijkstra pays O(nodes) per source whatever its ``limit``; a walk of at most L metres never leaves the
    disc of radius L (roads are never shorter than the straight line), so sources are grouped in square tiles of
    side L/2 and each tile searches only the nodes of the 5×5 tiles around it (a square of 2.5 L). Without ``xy``
    or with an infinite limit the whole graph is searched.

    Yields, in source order, ``reduce(members, nodes, distances[, predecessors])`` (by default the tuple itself):
    source positions, node ids of the part (in no particular order), and the dense results with columns (and
    predecessor values) as positions in the node ids. With ``targets`` (node ids) it yields instead
    ``reduce(members, target positions in this part, distances to them)``. scipy's Dijkstra holds the GIL, so threads do not help; with a ``reduce`` that
    shrinks the dense results and enough work, the searches run in ``workers`` forked processes (default: the CPUs
    this process may use, at most 4) that inherit the graph and ``reduce`` and send back only what ``reduce``
    returns (:mod:`.parallel`, which says when that is safe).

    ``cut_limits`` (default ``limits``, never below them) sets the parts: sources with one cut limit share one
    renumbering of the graph and search only as far as their own limit. ``cache``, a dict the caller keeps (for
    graphs whose node coordinates ``xy`` do not change), keeps the renumberings between calls: a second pass over
    the same graph object with the same cut limits does not renumber it again.
    """
    sources = np.asarray(sources, dtype=np.int64)
    limits = np.asarray(limits, dtype=float)
    cut_limits = limits if cut_limits is None else np.maximum(np.asarray(cut_limits, dtype=float), limits)
    cuts = _cuts(csr, xy, sources, cut_limits, {} if cache is None else cache)
    if targets is not None:
        if predecessors:
            raise ValueError("local_searches: targets and predecessors do not go together")
        targets = np.asarray(targets, dtype=np.int64)
        for cut in cuts:
            if cut.perm is not None:
                ranks = cut.rank[targets]
                order = np.argsort(ranks, kind="stable")
                cut.targets = (order, ranks[order])
    tasks = _tasks(cuts, max_cells)
    n = csr.shape[0]
    scratch = {}  # per process: node -> position in the current part, all -1 between searches

    def search(task):
        where = scratch.get(os.getpid())
        if where is None:
            where = scratch[os.getpid()] = np.full(n, -1, dtype=np.int64)
        return _search(csr, cuts, sources, limits, targets, task, predecessors, reduce, where)

    # Forked workers pay only with a reduce that shrinks the dense results, and only for enough work; a task is a
    # few numbers: the worker cuts its part of the graph itself.
    forked = reduce is not None and _work(cuts) >= _FORK_MIN_WORK
    if not forked:
        yield from parallel.ordered_map(search, tasks, workers=1)
        return
    tasks = list(tasks)
    batch = max(1, len(tasks) // (8 * parallel.worker_count(workers)))  # 8 batches a worker: balanced, few hand-overs
    yield from parallel.ordered_map(search, tasks, workers=workers, batch=batch)


# Below this many node visits (sources × part sizes) forking costs more than it saves.
_FORK_MIN_WORK = 2.0e6


@dataclass
class _Cut:
    """The sources with one cut limit L, and how the graph is cut for them (each searches to its own limit).

    Nodes are bucketed in square cells of side L/2 and renumbered cell by cell (``perm``: new number -> node), so
    the part a tile of sources searches (its cell and two rings of cells around it, 5×5 cells) is five runs of
    consecutive rows of the renumbered graph ``graph``: cutting it copies slices instead of gathering rows one by
    one, which made cutting cost as much as searching. ``perm`` is None when the whole graph is searched.
    """
    tiles: list                       # (source positions, cell x, cell y)
    sizes: np.ndarray                 # nodes in each tile's part
    span: int = 0
    keys: Optional[np.ndarray] = None  # cell key of each renumbered node (ascending)
    perm: Optional[np.ndarray] = None
    rank: Optional[np.ndarray] = None  # node -> new number
    graph: Optional[sp.csr_matrix] = None
    targets: Optional[tuple] = None   # (target positions sorted by new number, their new numbers)

    def bounds(self, cx, cy):
        first = (np.asarray(cx)[..., None] + np.arange(-2, 3)) * self.span + np.asarray(cy)[..., None]
        return np.searchsorted(self.keys, first - 2), np.searchsorted(self.keys, first + 2, side="right")

    def part(self, cx: int, cy: int, sources: np.ndarray, where: np.ndarray, csr: sp.csr_matrix):
        """(node ids of the part, in the order of the cut graph's rows; the cut graph; the positions of the node ids
        ``sources`` in it; the renumbered runs). The cut graph has one more node, last, with no arcs out: every arc
        that leaves the part ends there, so no arc needs to be dropped. ``where`` is a scratch array of -1 over the
        graph's nodes, returned as it came. Without a renumbered ``graph`` the part's rows are gathered from ``csr``
        itself (parts that are few and small next to the graph do not pay for renumbering it)."""
        lo, hi = self.bounds(cx, cy)
        keep = hi > lo
        lo, hi = lo[keep], hi[keep]
        rows = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
        m = len(rows)
        runs = (lo, hi, np.r_[0, np.cumsum(hi - lo)[:-1]])  # renumbered ranges and where each starts in the part
        ids = self.perm[rows]
        if self.graph is None:  # rows gathered by node id: ``where`` is indexed by node ids
            sub = csr[ids]
            keys, cols, data, indptr, src = ids, sub.indices, sub.data, sub.indptr, sources
        else:  # slices of the renumbered graph: ``where`` is indexed by new numbers
            g = self.graph
            first = g.indptr[lo]
            cols = np.concatenate([g.indices[a:b] for a, b in zip(first, g.indptr[hi])])
            data = np.concatenate([g.data[a:b] for a, b in zip(first, g.indptr[hi])])
            base = np.r_[0, np.cumsum(g.indptr[hi] - first)]
            indptr = np.concatenate([g.indptr[a:b] - g.indptr[a] + base[k] for k, (a, b) in enumerate(zip(lo, hi))]
                                    + [base[-1:]])
            keys, src = rows, self.rank[sources]
        where[keys] = np.arange(m)
        local = where[cols]
        at = where[src]
        where[keys] = -1
        local[local < 0] = m
        indptr = np.r_[indptr, indptr[-1]]
        return ids, sp.csr_matrix((data, local, indptr), shape=(m + 1, m + 1)), at, runs


def _renumbered(csr, perm, rank):
    """``csr`` with node ``perm[i]`` renumbered i (rows and columns); ``rank`` is the inverse of ``perm``."""
    rows = csr[perm]
    return sp.csr_matrix((rows.data, rank[rows.indices], rows.indptr), shape=csr.shape)


def _cuts(csr, xy, sources, limits, cache: dict) -> list:
    limits = np.asarray(limits, dtype=float)
    n = csr.shape[0]
    cuts = []
    for lim in np.unique(limits):
        group = np.flatnonzero(limits == lim)
        whole = _Cut([(group, 0, 0)], np.array([n]))
        if xy is None or not np.isfinite(lim) or lim <= 0:
            cuts.append(whole)
            continue
        grid = cache.get((id(csr), float(lim)))
        if grid is None or grid["csr"] is not csr:
            side = lim / 2.0
            origin = np.nanmin(xy, axis=0) - 2 * lim
            ncell = np.floor((xy - origin) / side).astype(np.int64)
            span = int(ncell[:, 1].max()) + 5
            nkey = ncell[:, 0] * span + ncell[:, 1]
            norder = np.argsort(nkey, kind="stable")
            rank = np.empty(n, dtype=np.int64)
            rank[norder] = np.arange(n)
            grid = cache[(id(csr), float(lim))] = {"csr": csr, "side": side, "origin": origin, "span": span,
                                                   "keys": nkey[norder], "perm": norder, "rank": rank, "graph": None}
        side, origin, span = grid["side"], grid["origin"], grid["span"]
        cell = np.floor((xy[sources[group]] - origin) / side).astype(np.int64)
        skey = cell[:, 0] * span + cell[:, 1]
        order = np.argsort(skey, kind="stable")
        cuts_at = np.flatnonzero(np.r_[True, skey[order][1:] != skey[order][:-1], True])
        tiles = [(group[order[a:b]], *cell[order[a]]) for a, b in zip(cuts_at[:-1], cuts_at[1:])]
        cut = _Cut(tiles, np.zeros(len(tiles), np.int64), span, grid["keys"], grid["perm"])
        lo, hi = cut.bounds(np.array([t[1] for t in tiles]), np.array([t[2] for t in tiles]))
        cut.sizes = (hi - lo).sum(axis=1)
        # cutting the graph pays only when the parts are small next to it
        if cut.sizes.mean() > 0.35 * n:
            cuts.append(whole)
            continue
        cut.rank = grid["rank"]
        if grid["graph"] is None and cut.sizes.sum() >= n:
            # many or large parts: slices of a renumbered graph; few small ones (short limits, few sources) are
            # gathered from the graph as it is, which costs less than renumbering it
            grid["graph"] = _renumbered(csr, grid["perm"], grid["rank"])
        cut.graph = grid["graph"]
        cuts.append(cut)
    return cuts


def _tasks(cuts, max_cells: float):
    """(cut, tile, first and last member) for every batch of :func:`local_searches`, in source order per cut."""
    for ci, cut in enumerate(cuts):
        for ti, (members, _cx, _cy) in enumerate(cut.tiles):
            batch = max(1, int(max_cells // max(int(cut.sizes[ti]), 1)))
            for b in range(0, len(members), batch):
                yield ci, ti, b, b + batch


def _work(cuts) -> float:
    return float(sum(int(size) * len(members) for cut in cuts for size, (members, _, _) in zip(cut.sizes, cut.tiles)))


def _search(csr, cuts, sources, limits, targets, task, predecessors, reduce, where):
    ci, ti, b0, b1 = task
    cut = cuts[ci]
    members, cx, cy = cut.tiles[ti]
    members = members[b0:b1]
    limit = float(limits[members].max())
    if cut.perm is None:
        sub, nodes, local = csr, np.arange(csr.shape[0]), sources[members]
    else:
        nodes, sub, local, runs = cut.part(cx, cy, sources[members], where, csr)
    res = dijkstra(sub, directed=True, indices=local, limit=limit, return_predecessors=predecessors)
    if targets is not None:
        if cut.perm is None:
            cand, cols = np.arange(len(targets)), targets
        else:
            # the targets in the part, found by the renumbered ranges instead of a look-up of every target
            order, ranks = cut.targets
            lo, hi, start = runs
            a, b = np.searchsorted(ranks, lo), np.searchsorted(ranks, hi)
            cand = np.concatenate([order[i:j] for i, j in zip(a, b)])
            cols = np.concatenate([ranks[i:j] - l + o for i, j, l, o in zip(a, b, lo, start)])
        out = (members, cand, res[:, cols])
    else:
        m = len(nodes)  # the cut graph's last node stands for everything outside the part: not returned
        out = (members, nodes, res[0][:, :m], res[1][:, :m]) if predecessors else (members, nodes, res[:, :m])
    return out if reduce is None else reduce(*out)


# --------------------------------------------------------------------------------------------------
# Drive times (depot siting)
# --------------------------------------------------------------------------------------------------
@dataclass
class DriveTimes:
    minutes: np.ndarray        # (n origins, n targets), inf = unreachable
    snap_m: np.ndarray         # distance of each origin/target to the road (origins first); inf = no road
    n_nodes: int
    n_edges: int
    n_components: int


def drive_time_matrix(road_lines, road_kmh, origins, targets, *, access_kmh: float = 5.0,
                      snap_m: float = 2.0) -> DriveTimes:
    """Minutes from each origin point to each target point (shapely points, same projected CRS in metres).

    The network is :func:`build_network`'s (split at crossings, dangling ends within ``snap_m`` joined); each piece
    is driven at its road's ``road_kmh`` (snap connectors at the slowest road's speed); each point joins its nearest
    road by an access leg at ``access_kmh`` (:func:`attach_points`, :func:`walk_graph`, so points on one piece are
    joined directly). One Dijkstra from the targets (the fewer: the candidate sites) gives the whole matrix; roads
    are two-way, so that is also origin to target. Unreachable pairs are ``inf``.
    """
    lines = np.asarray(list(road_lines), dtype=object)
    kmh = np.asarray(road_kmh, dtype=float)
    usable = (kmh > 0) & ~shapely.is_missing(lines)
    lines, kmh = lines[usable], kmh[usable]
    net = build_network(lines, tolerance=snap_m)
    pts = np.concatenate([np.asarray(origins, dtype=object), np.asarray(targets, dtype=object)])
    n_o, n_t = len(origins), len(targets)
    acc = attach_points(net, pts)
    minutes = np.full((n_o, n_t), np.inf)
    if net.n_edges:
        edge_kmh = np.where(net.road >= 0, kmh[np.maximum(net.road, 0)], kmh.min())
        g, (node,) = walk_graph(net, [acc])
        # csgraph reads an explicit 0 as "no arc": points at one spot are joined by a tiny positive time instead
        arc_min = np.maximum(g.length / metres_per_minute(edge_kmh[g.edge]), 1e-9)
        access = acc.leg / metres_per_minute(access_kmh)
        o, t = np.flatnonzero(node[:n_o] >= 0), np.flatnonzero(node[n_o:] >= 0)
        if len(o) and len(t):
            dist = dijkstra(g.csr(weight=arc_min), directed=True, indices=node[n_o:][t])
            minutes[np.ix_(o, t)] = dist[:, node[:n_o][o]].T + access[:n_o][o, None] + access[n_o:][t][None, :]
    n_comp = len(net.components()[0]) if net.n_nodes else 0
    return DriveTimes(np.ascontiguousarray(minutes), acc.leg, net.n_nodes, net.n_edges, int(n_comp))


def straight_line_minutes(origins, targets, kmh: float) -> np.ndarray:
    """Straight-line minutes at ``kmh`` (the fallback when a package has no roads)."""
    o = shapely.get_coordinates(np.asarray(origins, dtype=object))
    t = shapely.get_coordinates(np.asarray(targets, dtype=object))
    d = np.hypot(o[:, None, 0] - t[None, :, 0], o[:, None, 1] - t[None, :, 1])
    return d / metres_per_minute(kmh)


# --------------------------------------------------------------------------------------------------
# Paths and their geometry
# --------------------------------------------------------------------------------------------------
def trace_paths(predecessors: np.ndarray, targets: np.ndarray, max_steps: Optional[int] = None):
    """Follow predecessors from every target at once (vectorised).

    Returns ``(which, tail, head)``: step k of target ``which`` goes from node ``tail`` to node ``head`` (the
    predecessor). Targets with no path (predecessor -9999 and not a source) yield no steps. With a search run on the
    *reversed* graph from the destination, (tail, head) are the walking order.
    """
    pred = np.asarray(predecessors)
    cur = np.asarray(targets, dtype=np.int64).copy()
    which = np.arange(len(cur))
    w_all, t_all, h_all = [], [], []
    steps = 0
    while len(cur):
        nxt = pred[cur]
        ok = nxt >= 0
        if not ok.any():
            break
        w_all.append(which[ok])
        t_all.append(cur[ok])
        h_all.append(nxt[ok])
        cur, which = nxt[ok], which[ok]
        steps += 1
        if max_steps is not None and steps >= max_steps:
            break
    if not w_all:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    return np.concatenate(w_all), np.concatenate(t_all), np.concatenate(h_all)


def root_labels(predecessors: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The first node below the search root on each node's path (pointer jumping, O(log depth) numpy passes).

    For a search from a super-source wired to several starts, this is the start each node was reached from.
    Unreached nodes give -1.
    """
    pred = np.asarray(predecessors, dtype=np.int64)
    n = len(pred)
    # jump[x] = pred[x] unless pred[x] is the root (whose pred is -9999) or x unreached
    parent = pred.copy()
    unreached = parent < 0
    parent[unreached] = np.arange(n)[unreached]
    is_top = np.zeros(n, dtype=bool)
    ok = ~unreached
    is_top[ok] = pred[parent[ok]] < 0  # my parent is the root
    jump = np.where(is_top | unreached, np.arange(n), parent)
    for _ in range(64):
        nj = jump[jump]
        if np.array_equal(nj, jump):
            break
        jump = nj
    nodes = np.asarray(nodes, dtype=np.int64)
    out = jump[nodes]
    out[unreached[nodes]] = -1
    return out


def arc_geometry(net: RoadNetwork, edge, t0, t1) -> np.ndarray:
    """The road line each arc covers (oriented t0 → t1); whole edges reuse the stored geometry."""
    edge, t0, t1 = np.asarray(edge, np.int64), np.asarray(t0, float), np.asarray(t1, float)
    out = np.empty(len(edge), dtype=object)
    out[:] = None
    valid = edge >= 0
    L = np.where(valid, net.length[np.maximum(edge, 0)], 0)
    whole_fwd = valid & (np.abs(t0) < 1e-6) & (np.abs(t1 - L) < 1e-6)
    whole_rev = valid & (np.abs(t1) < 1e-6) & (np.abs(t0 - L) < 1e-6)
    out[whole_fwd] = net.geometry[edge[whole_fwd]]
    if whole_rev.any():
        out[whole_rev] = shapely.reverse(net.geometry[edge[whole_rev]])
    part = np.flatnonzero(valid & ~whole_fwd & ~whole_rev)
    if len(part):
        out[part] = substrings(net.geometry[edge[part]], t0[part], t1[part])
    return out
