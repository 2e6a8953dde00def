"""The road network: lines to a noded graph (pieces, nodes, arcs), snapping, splitting at polygons."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components



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
    _split_from: object = field(default=None, repr=False, compare=False)  # (network, its edges kept as they were)

    @property
    def tree(self) -> shapely.STRtree:
        """An STRtree of the edge geometries, built once."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.geometry)
        return self._tree

    @property
    def index(self):
        """What finds edges near geometries, for callers to whom the order of the answers does not matter (``query``
        as STRtree's): this network's tree if built; for a network split from another (``split_at_polygons``), that
        one's tree plus a small one of the new pieces, instead of a tree of all edges again (0.1-0.3 s at 1 M)."""
        if self._tree is not None or self._split_from is None:
            return self.tree
        if not isinstance(self._split_from, _SplitIndex):
            base, kept = self._split_from
            new_id = np.where(kept, np.cumsum(kept) - 1, -1)
            self._split_from = _SplitIndex(base, new_id, self.geometry[int(kept.sum()):])
        return self._split_from

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
    # Without parallel arcs scipy's own conversion (a counting sort) gives the same canonical matrix as the sorted
    # path below, 4-5x faster than sorting the keys (2 M arcs: 0.1 s against 0.5 s); with any it adds them up, so
    # the count of stored entries tells.
    m = sp.csr_matrix((weight, (tail, head)), shape=(n, n))
    if m.nnz == len(tail):
        m.sort_indices()
        return m
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
        net2._split_from = None  # the network before snapping is not kept alive for its index
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
    if len(inner) == 0:
        return net, out_nodes
    # edges in the order they first come, positions in order along each (ties: input order), as arrays: a Python
    # loop per split edge took 0.3-0.8 s for the 12k edges the 300 zones cut
    e_in, p_in = edges[inner], positions[inner]
    uniq, first = np.unique(e_in, return_index=True)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
    group = rank[np.searchsorted(uniq, e_in)]
    order = np.lexsort((np.arange(len(inner)), p_in, group))
    k_s, g_s, p_s = inner[order], group[order], p_in[order]
    starts = np.r_[True, g_s[1:] != g_s[:-1]]
    kept = _kept_cuts(p_s, starts)
    new_id = net.n_nodes + np.cumsum(kept) - 1  # a merged position takes the node of the last cut before it
    out_nodes[k_s] = new_id
    e_g = uniq[np.argsort(rank)]  # the split edges, in the order they first come
    cut_pos, cut_g, cut_id = p_s[kept], g_s[kept], new_id[kept]
    n_cuts = np.bincount(cut_g, minlength=len(e_g))
    # the chain of each split edge: u -> its cuts in order -> v; pieces = cuts + 1 per edge
    piece_g = np.repeat(np.arange(len(e_g)), n_cuts + 1)
    first_piece = np.r_[0, np.cumsum(n_cuts + 1)[:-1]]
    last_piece = first_piece + n_cuts
    is_first = np.zeros(len(piece_g), dtype=bool)
    is_first[first_piece] = True
    is_last = np.zeros(len(piece_g), dtype=bool)
    is_last[last_piece] = True
    nu = np.empty(len(piece_g), dtype=np.int64)
    nv = np.empty(len(piece_g), dtype=np.int64)
    n0 = np.empty(len(piece_g))
    n1 = np.empty(len(piece_g))
    nu[is_first], n0[is_first] = net.u[e_g], 0.0
    nu[~is_first], n0[~is_first] = cut_id, cut_pos
    nv[is_last], n1[is_last] = net.v[e_g], net.length[e_g]
    nv[~is_last], n1[~is_last] = cut_id, cut_pos
    ng = e_g[piece_g]
    keep = np.ones(net.n_edges, dtype=bool)
    keep[e_g] = False
    xy = [net.xy, shapely.get_coordinates(shapely.line_interpolate_point(net.geometry[e_g[cut_g]], cut_pos))]
    nr = net.road[ng]
    ng = substrings(net.geometry[ng], n0, n1)
    ints = {"dtype": np.int64, "copy": False}  # already int64 as a rule: no second copy of a million edges
    new = RoadNetwork(np.vstack(xy), np.r_[net.u[keep], nu].astype(**ints), np.r_[net.v[keep], nv].astype(**ints),
                      np.r_[net.length[keep], shapely.length(ng)], np.r_[net.geometry[keep], ng],
                      np.r_[net.road[keep], nr].astype(**ints), list(net.snapped), list(net.dropped))
    new._split_from = (net, keep)  # for its edge index (RoadNetwork.index)
    return new, out_nodes


def _kept_cuts(pos, starts) -> np.ndarray:
    """Which sorted positions become cuts: the first of each edge and any more than a millimetre past the last cut
    of its edge (chained: not past the previous position). Only edges with a gap of a millimetre or less need the
    walk along them."""
    kept = starts | (np.diff(pos, prepend=-np.inf) > 1e-3)
    close = np.flatnonzero(~kept)
    if len(close) == 0:
        return kept
    first_of = np.maximum.accumulate(np.where(starts, np.arange(len(pos)), 0))
    for a in np.unique(first_of[close]):
        b = a + 1
        last = pos[a]
        while b < len(pos) and not starts[b]:
            kept[b] = pos[b] - last > 1e-3
            last = pos[b] if kept[b] else last
            b += 1
    return kept


class _SplitIndex:
    """The edges of a network split from ``base`` (its kept edges first, in order, then the new pieces): ``base``'s
    tree for the kept edges, a tree of the pieces for the rest. The same pairs as a tree of all the edges, in
    another order."""

    def __init__(self, base: RoadNetwork, new_id: np.ndarray, pieces: np.ndarray):
        self.base, self.new_id, self.n_kept = base, new_id, int((new_id >= 0).sum())
        self.pieces = shapely.STRtree(pieces)

    def query(self, geoms, predicate=None, distance=None) -> np.ndarray:
        qa, ea = self.base.tree.query(geoms, predicate=predicate, distance=distance)
        ea = self.new_id[ea]
        kept = ea >= 0
        qb, eb = self.pieces.query(geoms, predicate=predicate, distance=distance)
        return np.vstack([np.r_[qa[kept], qb], np.r_[ea[kept], eb + self.n_kept]])

    def nearest_distance(self, points) -> np.ndarray:
        """Distance of each point to the nearest line: the base network's lines are the same lines."""
        return nearest_distance(self.base.tree, points)


def nearest_distance(tree, points) -> np.ndarray:
    """Distance of each point to the nearest geometry of an STRtree (or a ``_SplitIndex``); inf with none."""
    if isinstance(tree, _SplitIndex):
        return tree.nearest_distance(points)
    out = np.full(len(points), np.inf)
    if len(points):
        (pi, _pj), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
        out[pi] = dist
    return out


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
    near = np.unique(net.index.query(polys[valid], predicate="intersects")[1])  # only edges near a polygon
    mid = shapely.line_interpolate_point(net.geometry[near], 0.5, normalized=True)
    tree = shapely.STRtree(np.where(valid, polys, shapely.Point()))
    ei, pj = tree.query(mid, predicate="within")
    keep = valid[pj]
    return sp.csr_matrix((np.ones(keep.sum(), dtype=bool), (near[ei[keep]], pj[keep])), shape=(m, len(polys)))
