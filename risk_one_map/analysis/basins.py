"""The spill tree over drainage basins instead of over cells: the same fill, a graph a few per cent the size.

Every cell flows to its steepest lower neighbour; the cell where that way ends (a pit, a flat cell, or a low cell
of the county edge) names its basin. Water in a basin reaches its pit without ever rising, so the lowest level at
which a cell can leave the county (its filled level) is ``max(z, pass(basin))``, where ``pass`` is the minimax
("lowest pass") path from the basin to the outlet in the graph of basins: two neighbouring basins are joined by
their lowest boundary pair (weight max(z_a, z_b)), a basin with an outlet cell (raster edge, beside nodata) is
joined to the outlet at that cell's height. The minimum spanning tree of that graph (scipy, compiled) gives the
passes, the order in which depressions spill, and each spill's saddle. Proof sketch: a path from a cell to the
outlet crosses basins through boundary pairs, each at least the pair's weight; conversely a basin's cells are
reached from its pit without rising above them, so any sequence of boundary pairs is walkable at its own heights.

This replaces a spanning tree of the 4n cell-to-cell edges (sorting 4n weights was most of the time); the per-cell
work here is one compiled loop each (flow_kernels, numba) or, without numba, vectorised numpy passes giving the
same arrays; the graph only holds the boundary pairs between basins.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from . import flow_kernels

_HALF = ((0, 1), (1, 0), (1, 1), (1, -1))
_EIGHT = _HALF + tuple((-dr, -dc) for dr, dc in _HALF)
_SQUARE = np.ones((3, 3), dtype=bool)


def index_type(n: int):
    """Cell indices in 4 bytes while they fit (a 1e8-cell DEM: 400 MB an array instead of 800)."""
    return np.int32 if n < 2**31 - 1 else np.int64


def radix_argsort(key: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative integers, 16 bits a pass: numpy sorts 16-bit keys stably by radix in linear
    time (larger integers by timsort, n log n), and here the keys are cell, basin and pond numbers."""
    key = np.asarray(key)
    order = np.arange(key.size)
    top = int(key.max()) if key.size else 0
    shift = 0
    while True:
        digit = ((key[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
        if top >> shift == 0:
            return order


def heights_by_key(z: np.ndarray, cells: np.ndarray, key: np.ndarray, size: int, dtype):
    """The heights of ``cells`` grouped by ``key`` (integers 0..size-1) and sorted within each group, as ``dtype``,
    and where each group starts. Only the heights are kept, so which of two equal heights comes first never
    matters: no cell order has to be carried from one grouping to the next."""
    starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=size), out=starts[1:])
    if flow_kernels.ENABLED:
        out = np.empty(cells.size, dtype=dtype)
        flow_kernels.sorted_runs(z, cells, key, starts, out)
        return out, starts
    zc = z[cells]
    return zc[np.lexsort((zc, key))].astype(dtype), starts


def lowest_cells(z: np.ndarray, cells: np.ndarray, key: np.ndarray, size: int) -> np.ndarray:
    """Per key 0..size-1 its lowest cell of ``cells`` (the first in flat order among equally low ones)."""
    if flow_kernels.ENABLED:
        return flow_kernels.lowest_cells(z, cells, key, size)
    order = np.lexsort((z[cells], key))  # stable: equal heights stay in flat order
    first = np.full(size, -1, dtype=np.int64)
    first[key[order][::-1]] = cells[order][::-1]  # the last write wins: each key's first
    return first


def outlet_cells(valid: np.ndarray) -> np.ndarray:
    """Valid cells on the raster edge or beside a nodata cell: where water leaves the county."""
    padded = np.pad(~valid, 1, constant_values=True)
    return valid & ndimage.binary_dilation(padded, structure=_SQUARE)[1:-1, 1:-1]


def steepest_receiver(dem: np.ndarray, valid: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Flat index of each cell's steepest strictly lower valid neighbour, -1 where there is none."""
    rows, cols = dem.shape
    if flow_kernels.ENABLED:
        recv = np.empty(dem.size, dtype=index_type(dem.size))
        inv = np.array([1.0 / float(np.hypot(dr * dy, dc * dx)) for dr, dc in _EIGHT])
        flow_kernels.steepest_receiver(dem, np.ascontiguousarray(valid), inv, recv)
        return recv
    padded = np.full((rows + 2, cols + 2), np.inf)  # nodata and the outside are never lower
    big = padded[1:-1, 1:-1]
    np.copyto(big, dem, where=valid)
    best = np.zeros(dem.shape)
    way = np.full(dem.shape, -1, dtype=np.int8)  # which neighbour; the flat index is added once at the end
    slope = np.empty(dem.shape)
    for k, (dr, dc) in enumerate(_EIGHT):
        nb = padded[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols]
        with np.errstate(invalid="ignore"):  # inf - inf beside nodata: never chosen
            np.subtract(big, nb, out=slope)
        slope *= 1.0 / float(np.hypot(dr * dy, dc * dx))
        better = slope > best  # NaN (nodata beside nodata) compares False
        better &= valid
        np.copyto(best, slope, where=better)
        way[better] = k
    del best, slope, padded, big
    kind = index_type(dem.size)
    offset = np.array([dr * cols + dc for dr, dc in _EIGHT], dtype=kind)
    recv = np.arange(dem.size, dtype=kind)
    flat = way.ravel()
    has = flat >= 0
    recv[has] += offset[flat[has]]
    recv[~has] = -1
    return recv


def ends_of(recv: np.ndarray) -> np.ndarray:
    """Where each cell's steepest way down ends (itself if it has no lower neighbour), by pointer jumping: only the
    cells not yet at their end are revisited, so the passes shrink."""
    own = np.arange(recv.size, dtype=recv.dtype)
    end = np.where(recv >= 0, recv, own)
    todo = np.flatnonzero(end != own).astype(recv.dtype)
    del own
    while todo.size:
        nxt = end[end[todo]]
        moved = nxt != end[todo]
        end[todo] = nxt
        todo = todo[moved]
    return end


@dataclass
class BasinTree:
    """Per cell: ``basin`` (0..n_basins-1, -1 nodata). Per basin: ``pit`` (its end cell), ``parent`` (the basin it
    spills to, -1 = out of the county), ``saddle``/``beyond`` (the boundary pair it spills over, -1 for the
    outlet: its outlet cell), ``passes`` (the level it fills to before spilling), ``depth`` (edges to the outlet),
    ``weight`` (of its spill edge)."""
    basin: np.ndarray
    pit: np.ndarray
    parent: np.ndarray
    saddle: np.ndarray
    beyond: np.ndarray
    passes: np.ndarray
    depth: np.ndarray
    weight: np.ndarray


def basin_tree(z: np.ndarray, valid: np.ndarray, recv: np.ndarray) -> BasinTree:
    """The spill tree of the basins of ``recv`` on the flat elevations ``z`` (2-D ``valid``)."""
    rows, cols = valid.shape
    n = z.size
    vflat = valid.ravel()
    kind = index_type(n)
    if flow_kernels.ENABLED:
        basin = np.empty(n, dtype=kind)
        pit = flow_kernels.basin_numbers(recv, vflat, basin)
        del recv  # the caller holds none: 0.4 GB at 1e8 cells, let go before the boundary pairs are made
        nb = pit.size
        out_cell = flow_kernels.lowest_outlets(valid, z, basin, nb)
        ea, eb, w, ca, cb = flow_kernels.lowest_boundary_pairs(basin.reshape(valid.shape), z.reshape(valid.shape),
                                                               out_cell, nb)
    else:
        basin, pit = _basins(recv, vflat, kind)
        del recv
        nb = pit.size
        ea, eb, w, ca, cb = _boundary_pairs(basin, z, valid)
        out = np.flatnonzero(outlet_cells(valid).ravel())
        ob = basin[out]
        first = np.lexsort((z[out], ob))
        keep = np.r_[True, ob[first][1:] != ob[first][:-1]]
        out_cell = out[first][keep]
        # The outlet (node nb): each basin with outlet cells, at its lowest one.
        ea = np.concatenate([ea, basin[out_cell]])
        eb = np.concatenate([eb, np.full(out_cell.size, nb)])
        w = np.concatenate([w, z[out_cell]])
        ca = np.concatenate([ca, out_cell])
        cb = np.concatenate([cb, np.full(out_cell.size, -1)])
        # One edge per basin pair, its lowest (scipy would add duplicate entries up): one sort by pair, then the
        # lowest of each run of equal pairs.
        sel = _lowest_per_pair(ea, eb, w, nb)
        ea, eb, w, ca, cb = ea[sel], eb[sel], w[sel], ca[sel], cb[sel]
        del sel
    # csgraph drops zero weights: shift every weight to >= 1. Ties only decide between equally low passes.
    zmin = float(z[vflat].min())
    graph = sparse.coo_matrix((w.astype(np.float64) - zmin + 1.0, (ea, eb)), shape=(nb + 1, nb + 1)).tocsr()
    tree = csgraph.minimum_spanning_tree(graph)
    del graph
    _order, pred = csgraph.breadth_first_order(tree, nb, directed=False, return_predecessors=True)
    pred = pred[:nb].astype(np.int64)
    parent = np.where(pred == nb, -1, pred)
    # The edge each basin spills over: look its pair up among the kept edges (sorted by pair key).
    key = np.minimum(ea, eb).astype(np.int64) * (nb + 1) + np.maximum(ea, eb)
    by_key = radix_argsort(key)
    mine = np.arange(nb)
    want = np.minimum(mine, pred) * (nb + 1) + np.maximum(mine, pred)
    e = by_key[np.searchsorted(key[by_key], want)]
    weight = w[e]
    on_a = ea[e] == mine  # which end of the pair lies in this basin
    saddle = np.where(on_a, ca[e], cb[e])
    beyond = np.where(on_a, cb[e], ca[e])
    # The level each basin fills to: the highest spill edge on its way to the outlet, and how many edges that way
    # has; pointer jumping (each basin holds the max and length of its way up to ``anc``), log2(depth) passes.
    passes, depth, anc = weight.copy(), np.ones(nb, dtype=np.int64), parent.copy()
    todo = np.flatnonzero(anc >= 0)
    while todo.size:
        up = anc[todo]
        passes[todo] = np.maximum(passes[todo], passes[up])
        depth[todo] += depth[up]
        anc[todo] = anc[up]
        todo = todo[anc[todo] >= 0]
    return BasinTree(basin=basin, pit=pit, parent=parent, saddle=saddle, beyond=beyond, passes=passes, depth=depth,
                     weight=weight)


def _basins(recv: np.ndarray, vflat: np.ndarray, kind):
    """Each cell's basin number (pits numbered in flat order, -1 nodata) and the pits (numpy pass)."""
    n = recv.size
    end = ends_of(recv)
    pit = np.flatnonzero(vflat & (end == np.arange(n, dtype=kind)))
    number = np.full(n, -1, dtype=kind)
    number[pit] = np.arange(pit.size, dtype=kind)
    basin = number[end]
    del end, number
    basin[~vflat] = -1
    return basin, pit


def _boundary_pairs(basin: np.ndarray, z: np.ndarray, valid: np.ndarray):
    """Boundary pairs between basins, direction by direction: (basin a, basin b, weight, cell a, cell b)."""
    rows, cols = valid.shape
    parts = []
    b2 = basin.reshape(valid.shape)
    z2 = z.reshape(valid.shape)
    for dr, dc in _HALF:
        r1, c0, c1 = rows - dr, max(0, -dc), cols - max(0, dc)
        ba, bb = b2[:r1, c0:c1], b2[dr:dr + r1, c0 + dc:c1 + dc]
        cross = ba != bb
        cross &= ba >= 0
        cross &= bb >= 0
        za, zb = z2[:r1, c0:c1][cross], z2[dr:dr + r1, c0 + dc:c1 + dc][cross]
        # Flat indices of the pair from the positions inside this window (no index grid of the whole DEM).
        rr, cc = np.divmod(np.flatnonzero(cross), c1 - c0)
        cell_a = rr * cols + (cc + c0)
        parts.append((ba[cross], bb[cross], np.maximum(za, zb), cell_a, cell_a + (dr * cols + dc)))
        del cross, za, zb, rr, cc
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(5))


def _lowest_per_pair(ea, eb, w, nb) -> np.ndarray:
    """Positions of the lowest edge of each basin pair (scipy would add duplicate entries up), the first of equals,
    in pair order: one stable sort by pair, then the lowest of each run of equal pairs."""
    key = np.minimum(ea, eb).astype(np.int64) * (nb + 1) + np.maximum(ea, eb)
    order = radix_argsort(key)
    key, ws = key[order], w[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lowest = np.minimum.reduceat(ws, starts)
    run = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, key.size]))
    hit = np.flatnonzero(ws == lowest[run])
    first = hit[np.r_[True, run[hit][1:] != run[hit][:-1]]]
    return order[first]