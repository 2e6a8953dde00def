"""A minimal drive-time matrix over the road network, for depot siting. Pure: numpy, shapely 2, scipy.

Private stop-gap: risk_one_map/analysis/network.py (road graph, snapping, access legs for evacuation) is being written
beside this; the two should merge into it once it exists.

Roads are noded (``shapely.node``: cut at every crossing), end points within ``snap_m`` are merged, every noded
piece becomes an undirected edge weighted by minutes at its speed. Each origin and target point joins the network at
its nearest point on the nearest piece (an access leg at ``access_kmh``, then along the piece to either end); points
on the same piece also get the direct leg along it. One ``scipy.sparse.csgraph.dijkstra`` from the targets (the
fewer: the candidate sites) gives the whole matrix. Unreachable pairs are ``inf``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra


@dataclass
class DriveTimes:
    minutes: np.ndarray        # (n origins, n targets), inf = unreachable
    snap_m: np.ndarray         # distance of each origin/target to the road (origins first)
    n_nodes: int
    n_edges: int
    n_components: int


def _pieces(lines, speeds):
    """Noded pieces of the road lines, each with the highest speed of the roads it lies on."""
    lines = np.asarray(lines, dtype=object)
    noded = shapely.get_parts(shapely.node(shapely.GeometryCollection(list(lines))))
    noded = noded[shapely.length(noded) > 0]
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(lines)
    pi, li = tree.query_nearest(mids, all_matches=True)
    speed = np.zeros(noded.size)
    np.maximum.at(speed, pi, np.asarray(speeds, float)[li])
    return noded, speed


def drive_time_matrix(road_lines, road_kmh, origins, targets, *, access_kmh: float = 5.0,
                      snap_m: float = 1.0) -> DriveTimes:
    """Minutes from each origin point to each target point (shapely points, same projected CRS in metres)."""
    lines = np.asarray([g for g in road_lines], dtype=object)
    kmh = np.asarray(road_kmh, float)
    ok = ~shapely.is_empty(lines) & (kmh > 0)
    lines = lines[ok]
    pieces, speed = _pieces(lines, kmh[ok])
    # nodes: piece end points merged on a snap grid
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(pieces, 0)),
                           shapely.get_coordinates(shapely.get_point(pieces, -1))])
    keyed = np.round(ends / snap_m).astype(np.int64)
    _, node = np.unique(keyed, axis=0, return_inverse=True)
    node = node.ravel()
    n_p = pieces.size
    u, v = node[:n_p], node[n_p:]
    length = shapely.length(pieces)
    edge_min = length / (speed * 1000.0 / 60.0)
    n_nodes = int(node.max()) + 1 if node.size else 0
    # points: origins then targets
    pts = np.concatenate([np.asarray(origins, dtype=object), np.asarray(targets, dtype=object)])
    n_o, n_t = len(origins), len(targets)
    tree = shapely.STRtree(pieces)
    near = tree.query_nearest(pts, return_distance=False, all_matches=False)
    p_idx, e_idx = near
    edge_of = np.empty(pts.size, dtype=np.int64)
    edge_of[p_idx] = e_idx
    along = shapely.line_locate_point(pieces[edge_of], pts)           # metres from the piece's start
    snapped = shapely.line_interpolate_point(pieces[edge_of], along)
    snap = shapely.distance(pts, snapped)
    access = snap / (access_kmh * 1000.0 / 60.0)
    frac = np.where(length[edge_of] > 0, along / length[edge_of], 0.0)
    pnode = n_nodes + np.arange(pts.size)
    to_u = access + frac * edge_min[edge_of]
    to_v = access + (1.0 - frac) * edge_min[edge_of]
    rows = [u, pnode, pnode]
    cols = [v, u[edge_of], v[edge_of]]
    w = [edge_min, to_u, to_v]
    # points on the same piece: the direct leg along it
    order = np.argsort(edge_of, kind="stable")
    same = edge_of[order]
    start = np.r_[0, np.flatnonzero(same[1:] != same[:-1]) + 1]
    sizes = np.diff(np.r_[start, same.size])
    for s0, size in zip(start[sizes > 1], sizes[sizes > 1]):
        grp = order[s0:s0 + size]
        a, b = np.triu_indices(size, 1)
        ia, ib = grp[a], grp[b]
        rows.append(pnode[ia])
        cols.append(pnode[ib])
        w.append(access[ia] + access[ib] + np.abs(frac[ia] - frac[ib]) * edge_min[edge_of[ia]])
    total = n_nodes + pts.size
    r, c, wt = np.concatenate(rows), np.concatenate(cols), np.concatenate(w)
    wt = np.maximum(wt, 1e-9)  # csgraph reads an explicit 0 as "no edge"
    graph = _min_coo(r, c, wt, total)
    n_comp = connected_components(graph, directed=False, return_labels=False)
    dist = dijkstra(graph, directed=False, indices=pnode[n_o:])       # (n targets, total)
    minutes = dist[:, pnode[:n_o]].T
    return DriveTimes(np.ascontiguousarray(minutes), snap, n_nodes, n_p, int(n_comp))


def _min_coo(r, c, w, n):
    """Symmetric-safe sparse graph keeping the smallest weight of parallel edges."""
    a, b = np.minimum(r, c), np.maximum(r, c)
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    return sparse.csr_array((w[first], (a[first], b[first])), shape=(n, n))


def straight_line_minutes(origins, targets, kmh: float) -> np.ndarray:
    """Straight-line minutes at ``kmh`` (the fallback when a package has no roads)."""
    o = shapely.get_coordinates(np.asarray(origins, dtype=object))
    t = shapely.get_coordinates(np.asarray(targets, dtype=object))
    d = np.hypot(o[:, None, 0] - t[None, :, 0], o[:, None, 1] - t[None, :, 1])
    return d / (kmh * 1000.0 / 60.0)
