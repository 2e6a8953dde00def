"""The DEM low points' per-cell passes compiled with numba: each gives exactly what the numpy pass it stands for in
``basins``/``depressions`` gives (same order, same ties, same float arithmetic), one loop over the cells instead of
a dozen numpy passes and their temporary grids (at 1e8 cells the numpy passes were memory-bound: 5 minutes, 8 GB).

numba is optional: without it (a QGIS whose installer did not bring it) ``ENABLED`` is False and the numpy passes
run; the tests hold both paths equal. ``RISK_ONE_MAP_NUMBA=0`` turns it off. Compiled once per machine: numba's
cache goes to the user's cache folder (set here, never beside the plugin, whose folder may be read-only), so a
second process loads the machine code instead of compiling again (compiling takes ~10 s).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def cache_dir() -> Path:
    """A folder the user can write for numba's cache: the platform's cache folder, else the temporary folder."""
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for folder in (base / "risk_one_map" / "numba", Path(tempfile.gettempdir()) / f"risk_one_map_numba_{os.getpid()}"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return Path(tempfile.mkdtemp(prefix="risk_one_map_numba_"))


try:
    if os.environ.get("RISK_ONE_MAP_NUMBA", "1") == "0":
        raise ImportError("turned off by RISK_ONE_MAP_NUMBA=0")
    import numba
    if not os.environ.get("NUMBA_CACHE_DIR"):  # the user's own choice wins
        numba.config.CACHE_DIR = str(cache_dir())
except Exception:  # noqa: BLE001 (ImportError, or an LLVM that does not load: the numpy passes run)
    numba = None

ENABLED = numba is not None


def _jit(fn):
    return numba.njit(cache=True, nogil=True)(fn) if numba is not None else fn


# The 8 neighbours in basins._EIGHT's order (the order decides ties between equally steep ways down).
_DR = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
_DC = np.array([1, 0, 1, -1, -1, 0, -1, 1], dtype=np.int64)


@_jit
def steepest_receiver(dem, valid, inv_dist, recv):
    """recv[i] = flat index of cell i's steepest strictly lower valid neighbour, -1 where none (basins.py's rule:
    slope (z - z_nb) * inv_dist[k] in float64, the first direction wins a tie)."""
    rows, cols = dem.shape
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            recv[i] = -1
            if not valid[r, c]:
                continue
            zc = np.float64(dem[r, c])
            best = 0.0
            for k in range(8):
                rr, cc = r + _DR[k], c + _DC[k]
                if rr < 0 or rr >= rows or cc < 0 or cc >= cols or not valid[rr, cc]:
                    continue
                s = (zc - np.float64(dem[rr, cc])) * inv_dist[k]
                if s > best:
                    best = s
                    recv[i] = rr * cols + cc


@_jit
def basin_numbers(recv, valid, basin):
    """basin[i] = number of the pit where cell i's steepest way down ends (pits numbered in flat order), -1 nodata;
    returns the pits. Each way is walked twice at most (find its pit, then write it), so the cost is linear."""
    n = recv.size
    nb = 0
    for i in range(n):
        if not valid[i]:
            basin[i] = -1
        elif recv[i] < 0:
            basin[i] = nb
            nb += 1
        else:
            basin[i] = -2  # not known yet
    pit = np.empty(nb, dtype=recv.dtype)
    for i in range(n):
        if basin[i] >= 0 and recv[i] < 0:
            pit[basin[i]] = i
    for i in range(n):
        if basin[i] != -2:
            continue
        j = i
        while basin[j] == -2:
            j = recv[j]
        b = basin[j]
        j = i
        while basin[j] == -2:
            basin[j] = b
            j = recv[j]
    return pit


@_jit
def lowest_outlets(valid, z, basin, nb):
    """Per basin its lowest outlet cell (raster edge or beside nodata; the first in flat order among equals), in
    basin order: basins.py's lexsort of the outlet cells by (basin, z)."""
    rows, cols = valid.shape
    best = np.full(nb, -1, dtype=np.int64)
    for r in range(rows):
        for c in range(cols):
            if not valid[r, c]:
                continue
            outlet = r == 0 or c == 0 or r == rows - 1 or c == cols - 1
            for k in range(8):
                if outlet:
                    break
                outlet = not valid[r + _DR[k], c + _DC[k]]
            if not outlet:
                continue
            i = r * cols + c
            b = basin[i]
            if best[b] < 0 or z[i] < z[best[b]]:
                best[b] = i
    return best[best >= 0]


@_jit
def key_boxes(cells, key, size, cols):
    """Per key 0..size-1 (each held by a cell) the bounding box of its ``cells`` (flat numbers): first row, first
    column, last row, last column."""
    box = np.empty((size, 4), dtype=np.int64)
    box[:, :2] = np.iinfo(np.int64).max
    box[:, 2:] = -1
    for i in range(cells.size):
        r, c = divmod(cells[i], cols)
        k = key[i]
        box[k, 0], box[k, 1] = min(box[k, 0], r), min(box[k, 1], c)
        box[k, 2], box[k, 3] = max(box[k, 2], r), max(box[k, 3], c)
    return box


@_jit
def sorted_runs(z, cells, key, starts, out):
    """out[starts[k]:starts[k + 1]] = the heights of the cells with key k, sorted: a counting sort by key, then
    each run sorted on its own (runs of a few hundred cells sort in cache; one argsort of every flooded cell by
    height, 46M at 1e8 cells, was 9 s of random access)."""
    nxt = starts[:-1].copy()
    for i in range(cells.size):
        k = key[i]
        out[nxt[k]] = z[cells[i]]
        nxt[k] += 1
    for k in range(starts.size - 1):
        out[starts[k]:starts[k + 1]].sort()


@_jit
def lowest_cells(z, cells, key, size):
    """Per key 0..size-1 its lowest cell (the first in flat order among equally low ones), -1 where none."""
    best = np.full(size, -1, dtype=np.int64)
    for i in range(cells.size):
        k = key[i]
        if best[k] < 0 or z[cells[i]] < z[best[k]]:
            best[k] = cells[i]
    return best


@_jit
def _crossing_pairs(basin2d, out_cell, low_end, place, slot_of, hi_of, code_of):
    """Walk every pair of 8-neighbours in two different basins (direction by direction over basins._HALF, row by
    row), then each basin's outlet cell: without ``place`` count them per lower basin (``low_end``); with it store
    each one in its lower basin's bucket (``slot_of``: the next free position per basin), its higher basin in
    ``hi_of`` and its cells as code = cell_a * 5 + direction (4: an outlet)."""
    rows, cols = basin2d.shape
    flat = basin2d.ravel()
    nb = low_end.size - 1
    half_r = (0, 1, 1, 1)
    half_c = (1, 0, 1, -1)
    for k in range(4):
        dr, dc = half_r[k], half_c[k]
        for r in range(rows - dr):
            for c in range(max(0, -dc), cols - max(0, dc)):
                ba, bb = basin2d[r, c], basin2d[r + dr, c + dc]
                if ba == bb or ba < 0 or bb < 0:
                    continue
                lo = min(ba, bb)
                if not place:
                    low_end[lo] += 1
                    continue
                e = slot_of[lo]
                slot_of[lo] += 1
                hi_of[e] = max(ba, bb)
                code_of[e] = (r * cols + c) * 5 + k
    for cell in out_cell:
        lo = flat[cell]
        if not place:
            low_end[lo] += 1
            continue
        e = slot_of[lo]
        slot_of[lo] += 1
        hi_of[e] = nb
        code_of[e] = cell * 5 + 4


@_jit
def lowest_boundary_pairs(basin2d, z2d, out_cell, nb):
    """Per pair of neighbouring basins, and per basin to the outlet (node ``nb``) at its lowest outlet cell
    ``out_cell``, the lowest boundary pair: (basin a, basin b, weight max(z), cell a, cell b; b = nb and cell b = -1
    for the outlet), one row per pair in pair order (lower basin, then higher), the first of equally low ones in
    basins.py's order (direction by direction, row by row, then the outlets): what basins.py's numpy passes give.

    Bucketed by the pair's lower basin (a counting sort) and each bucket's lowest per higher basin picked with a
    scratch slot per basin: no array of every boundary pair in scan order, sorted twice (at 1e8 cells 38.7M pairs
    for 1.3M basin pairs: 1.2 GB of pair arrays and 1.9 GB of sort keys and orders, against 0.5 GB here)."""
    cols = basin2d.shape[1]
    flat_b, flat_z = basin2d.ravel(), z2d.ravel()
    start = np.zeros(nb + 2, dtype=np.int64)
    _crossing_pairs(basin2d, out_cell, start[1:], False, start, np.empty(0, np.int32), np.empty(0, np.int64))
    for b in range(nb + 1):
        start[b + 1] += start[b]
    slot_of = start[:-1].copy()
    hi_of = np.empty(start[-1], dtype=np.int32)
    code_of = np.empty(start[-1], dtype=np.int64)
    _crossing_pairs(basin2d, out_cell, start[1:], True, slot_of, hi_of, code_of)
    step = (1, cols, cols + 1, cols - 1)
    best = np.full(nb + 1, -1, dtype=np.int64)  # per higher basin: the bucket position of its lowest pair so far
    best_w = np.empty(nb + 1, dtype=z2d.dtype)
    m = 0  # the kept pairs are written over the front of the buckets (never past the bucket being read)
    for b in range(nb):
        s, e = start[b], start[b + 1]
        if s == e:
            continue
        for i in range(s, e):
            cell, k = divmod(code_of[i], 5)
            wi = flat_z[cell] if k == 4 else max(flat_z[cell], flat_z[cell + step[k]])
            h = hi_of[i]
            if best[h] < 0 or wi < best_w[h]:
                best[h] = i
                best_w[h] = wi
        his = np.unique(hi_of[s:e])  # sorted: the pair order
        codes = np.empty(his.size, dtype=np.int64)
        for j in range(his.size):
            codes[j] = code_of[best[his[j]]]
            best[his[j]] = -1
        for j in range(his.size):
            hi_of[m + j] = his[j]
            code_of[m + j] = codes[j]
        m += his.size
    ea = np.empty(m, dtype=basin2d.dtype)
    eb = np.empty(m, dtype=np.int64)
    w = np.empty(m, dtype=z2d.dtype)
    ca = np.empty(m, dtype=np.int64)
    cb = np.empty(m, dtype=np.int64)
    for j in range(m):
        cell, k = divmod(code_of[j], 5)
        ca[j] = cell
        if k == 4:
            ea[j], eb[j], w[j], cb[j] = flat_b[cell], nb, flat_z[cell], -1
        else:
            cb[j] = cell + step[k]
            ea[j], eb[j] = flat_b[cell], flat_b[cb[j]]
            w[j] = max(flat_z[cell], flat_z[cb[j]])
    return ea, eb, w, ca, cb


@_jit
def filled_level(z, valid, basin, passes, level):
    """level = max(z, the pass of the cell's basin) on valid cells, z elsewhere."""
    for i in range(z.size):
        level[i] = max(z[i], passes[basin[i]]) if valid[i] else z[i]


@_jit
def find_root(parent, i):
    """The root of ``i`` in the union-find forest ``parent``; the way there is pointed at it (path compression)."""
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


@_jit
def count_below(r, level, mhead, mnext, zs, starts):
    """Cells lower than ``level`` in the basins of pond ``r`` (its members, a linked list)."""
    below = 0
    m = mhead[r]
    while m >= 0:
        below += np.searchsorted(zs[starts[m]:starts[m + 1]], level)
        m = mnext[m]
    return below


@_jit
def _passes(r, level, minz, min_depth, passed, total, need, mhead, mnext, zs, starts):
    if level - minz[r] < min_depth:
        return False
    if not passed[r] and total[r] >= need:
        passed[r] = count_below(r, level, mhead, mnext, zs, starts) >= need
    return passed[r]


@_jit
def _joined(head_a, tail_a, head_b, tail_b, knext):
    """Two linked lists of ponds as one (head, tail)."""
    if head_a < 0:
        return head_b, tail_b
    if head_b >= 0:
        knext[tail_a] = head_b
        return head_a, tail_b
    return head_a, tail_a


@_jit
def merge_ponds(a, b, w, cell_a, cell_b, order, starts, zs, minz, mincell, box, min_depth, need):
    """depression_tree's union-find over the basins in order of their spill edges (the elder rule), compiled: the
    same unions, the same roots, the same ponds in the same order. Lists (members of a root, ponds under a root or
    a pond) are linked lists in arrays, so joining two is O(1). ``minz``, ``mincell``, ``box`` (r0, c0, r1, c1 per
    basin) are updated in place. Returns the arrays the Python part goes on with."""
    nb = minz.size
    parent = np.arange(nb)
    msize = np.ones(nb, dtype=np.int64)
    mhead = np.arange(nb)
    mtail = np.arange(nb)
    mnext = np.full(nb, -1, dtype=np.int64)
    total = (starts[1:] - starts[:-1]).astype(np.int64)
    passed = np.zeros(nb, dtype=np.bool_)
    khead = np.full(nb, -1, dtype=np.int64)
    ktail = np.full(nb, -1, dtype=np.int64)
    knext = np.full(nb, -1, dtype=np.int64)
    node_cell = np.empty(nb, dtype=np.int64)
    node_level = np.empty(nb, dtype=np.float64)
    node_box = np.empty((nb, 4), dtype=np.int64)
    node_sides = np.empty((nb, 2), dtype=np.int64)
    node_kids = np.empty(nb, dtype=np.int64)
    nn = 0
    for k in order:
        ra, rb = find_root(parent, a[k]), find_root(parent, b[k])
        if ra == rb:
            continue
        level = np.float64(w[k])
        young, elder = (ra, rb) if minz[ra] > minz[rb] else (rb, ra)
        if (_passes(young, level, minz, min_depth, passed, total, need, mhead, mnext, zs, starts)
                and _passes(elder, level, minz, min_depth, passed, total, need, mhead, mnext, zs, starts)):
            node_cell[nn], node_level[nn], node_box[nn] = mincell[young], level, box[young]
            node_sides[nn, 0], node_sides[nn, 1] = (cell_a[k], cell_b[k]) if young == ra else (cell_b[k], cell_a[k])
            node_kids[nn] = khead[young]
            knext[nn] = -1
            jh, jt = _joined(khead[elder], ktail[elder], nn, nn, knext)
            nn += 1
        else:
            jh, jt = _joined(khead[elder], ktail[elder], khead[young], ktail[young], knext)
        if msize[ra] < msize[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        mnext[mtail[ra]] = mhead[rb]
        mtail[ra] = mtail[rb]
        msize[ra] += msize[rb]
        total[ra] += total[rb]
        passed[ra] = passed[ra] or passed[rb]
        if minz[rb] < minz[ra]:
            minz[ra], mincell[ra] = minz[rb], mincell[rb]
        box[ra, 0], box[ra, 1] = min(box[ra, 0], box[rb, 0]), min(box[ra, 1], box[rb, 1])
        box[ra, 2], box[ra, 3] = max(box[ra, 2], box[rb, 2]), max(box[ra, 3], box[rb, 3])
        khead[ra], ktail[ra] = jh, jt
    for i in range(nb):
        find_root(parent, i)
    return (parent, total, passed, mhead, mnext, khead, knext, node_cell[:nn], node_level[:nn], node_box[:nn],
            node_sides[:nn], node_kids[:nn])


@_jit
def pond_cells(z, labels, r0, c0, r1, c1, depression, deepest_row, deepest_col, spill_elev):
    """Flat indices, in flat order, of the cells of ``depression`` lower than ``spill_elev`` 8-connected to the
    deepest cell inside the box (depression_tree.node_mask's component, by a flood fill instead of labelling the
    whole box)."""
    h, wd = r1 - r0, c1 - c0
    seen = np.zeros((h, wd), dtype=np.bool_)
    stack = np.empty(h * wd, dtype=np.int64)
    seen[deepest_row - r0, deepest_col - c0] = True
    stack[0] = (deepest_row - r0) * wd + (deepest_col - c0)
    top = 1
    count = 1
    while top:
        top -= 1
        r, c = divmod(stack[top], wd)
        for k in range(8):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= wd or seen[rr, cc]:
                continue
            if labels[r0 + rr, c0 + cc] == depression and z[r0 + rr, c0 + cc] < spill_elev:
                seen[rr, cc] = True
                stack[top] = rr * wd + cc
                top += 1
                count += 1
    out = np.empty(count, dtype=np.int64)
    m = 0
    cols = z.shape[1]
    for r in range(h):
        for c in range(wd):
            if seen[r, c]:
                out[m] = (r0 + r) * cols + c0 + c
                m += 1
    return out


@_jit
def stage_sums(own_z, own_start):
    """fill_spill._stage_volume's running sums (``own_csum``) in one loop, the same float operations in the same
    order (so the same bits)."""
    size = own_z.size
    own_csum = np.empty(size + 1)
    own_csum[0] = 0.0
    for r in range(own_start.size - 1):
        s, e = own_start[r], own_start[r + 1]
        if s == e:
            continue
        base = np.float64(own_z[min(s, max(size - 1, 0))])
        for i in range(s, e):
            own_csum[i + 1] = own_csum[i] + (np.float64(own_z[i]) - base)
    return own_csum


@_jit
def _volume_at(own_z, own_csum, s, e, i, spill, cell_area):
    """fill_spill._stage_volume's ``own_vol[i]`` for a pond's own cells ``s:e``: the water they hold when it
    reaches the next cell's height (the last: ``spill``), the same float operations (so the same bits)."""
    base = np.float64(own_z[s])
    nxt = np.float64(own_z[i + 1]) if i < e - 1 else spill
    k = np.float64(i + 1) - np.float64(s)
    return ((((nxt - base) * k) - own_csum[i + 1]) + own_csum[s]) * cell_area


@_jit
def stage_volume(own_z, own_start, spill, cell_area):
    """fill_spill._stage_volume compiled: ``own_csum`` and ``own_vol`` (the stage-volume curve, made only where it
    is asked for: the compiled rain computes the points of it that its binary search visits)."""
    own_csum = stage_sums(own_z, own_start)
    own_vol = np.empty(own_z.size)
    for r in range(own_start.size - 1):
        s, e = own_start[r], own_start[r + 1]
        for i in range(s, e):
            own_vol[i] = _volume_at(own_z, own_csum, s, e, i, spill[r], cell_area)
    return own_csum, own_vol


@_jit
def catchment_grids(basin, pond_of_basin, top_of, pond_catch, catch, size):
    """pond_catch = the pond of each cell's basin, catch = that pond's depression (-1 nodata: basin -1); returns
    the cells per depression id (0..size-1) and per pond id (0..top_of.size-1)."""
    counts = np.zeros(size, dtype=np.int64)
    per_pond = np.zeros(top_of.size, dtype=np.int64)
    for i in range(basin.size):
        if basin[i] < 0:
            pond_catch[i] = -1
            catch[i] = -1
            continue
        p = pond_of_basin[basin[i]]
        pond_catch[i] = p
        catch[i] = top_of[p]
        counts[catch[i]] += 1
        per_pond[p] += 1
    return counts, per_pond


@_jit
def depth_sums(key, cells, level, z, size):
    """np.bincount(key, weights=level[cells].astype(float64) - z[cells], minlength=size): each bin added up in the
    cells' order, without the three temporary copies."""
    out = np.zeros(size)
    for i in range(key.size):
        out[key[i]] += np.float64(level[cells[i]]) - np.float64(z[cells[i]])
    return out


@_jit
def true_cells(mask, out):
    """np.flatnonzero(mask) written into ``out`` (as long as the count, in its dtype: 4-byte cell numbers without
    numpy's 8-byte copy first)."""
    k = 0
    for i in range(mask.size):
        if mask[i]:
            out[k] = i
            k += 1


@_jit
def sums_by(key, cells, z, size):
    """np.bincount(key, weights=z[cells], minlength=size): float64 sums, each bin added up in the cells' order."""
    out = np.zeros(size)
    for i in range(key.size):
        out[key[i]] += np.float64(z[cells[i]])
    return out


@_jit
def own_levels(rows, water, own_start, own_z, own_csum, spill, cell_area):
    """fill_spill._own_levels compiled: the level of ``water`` over each row's own cells, the same operations. The
    binary search is numpy's searchsorted (left) over the stage-volume curve, its points computed as visited: the
    curve is not held (at 1e8 cells 46M points, 0.37 GB)."""
    out = np.empty(rows.size)
    for i in range(rows.size):
        r, w = rows[i], water[i]
        s, e = own_start[r], own_start[r + 1]
        key = w * (1 - 1e-12)
        lo, hi = s, e
        while lo < hi:
            mid = lo + ((hi - lo) >> 1)
            if _volume_at(own_z, own_csum, s, e, mid, spill[r], cell_area) < key:
                lo = mid + 1
            else:
                hi = mid
        j = min(lo, e - 1)
        h = own_z[s] + (w / cell_area + own_csum[j + 1] - own_csum[s]) / (j - s + 1)
        out[i] = min(h, spill[r])
    return out


@_jit
def own_wet(level, own_start, own_z):
    """fill_spill._own_wet compiled: own cells of each row lower than its level (0 where it is NaN)."""
    wet = np.zeros(level.size, dtype=np.int64)
    for r in range(level.size):
        if not np.isnan(level[r]):
            wet[r] = np.searchsorted(own_z[own_start[r]:own_start[r + 1]], level[r])
    return wet
