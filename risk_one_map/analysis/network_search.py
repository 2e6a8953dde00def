"""Bounded shortest-path searches on cuts of the graph, in forked workers where that pays."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from . import parallel


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
    shrinks the dense results and enough work, the searches are shared between this process and ``workers - 1`` forked
    children (default: the CPUs this process may use, at most 4) that inherit the graph and
    ``reduce`` and send back only what ``reduce`` returns (:func:`.parallel.shared_map`, which says when that is
    safe).

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
    yield from parallel.shared_map(search, tasks, workers=workers)


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
