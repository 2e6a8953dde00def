"""Drive times for depot siting, and paths traced from predecessors with their road geometry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from .network_access import attach_points, walk_graph
from .network_build import RoadNetwork, build_network, metres_per_minute, substrings


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
