"""Nested depressions (a large basin holding small ones): the hierarchy inside each top-level depression.

As water rises in a basin, separate ponds join at saddles. Walking the spill tree's edges inside each depression in
order of height (Kruskal's order, union-find over the basins of its local lows) finds every join. At a join the
pond with the lower bottom goes on (the "elder rule" of merge trees) and the other, if both pass the filters (depth, area, cells), is kept as a nested
depression of it, with that saddle as its spill elevation; the deepest pond of a depression is the depression
itself. Ponds that do not pass the filters simply grow into their neighbour. The loop over the basins of the flooded
cells runs compiled (flow_kernels.merge_ponds) or, without numba, in Python; the same ponds either way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from . import flow_kernels
from .basins import heights_by_key, index_type

# saddle_cell / beyond_cell: the flat indices of the two cells of the saddle where the pond joins its parent, on its
# side and on the other (over the rim: its deepest cell and the parent's), for where overflow lands.
COLUMNS = ["id", "parent", "depression", "level", "spill_elev_m", "bottom_elev_m", "max_depth_m", "cells",
           "area_m2", "volume_m3", "deepest_row", "deepest_col", "saddle_cell", "beyond_cell"]


def nested_depressions(z: np.ndarray, labels: np.ndarray, cells: np.ndarray, cell_basin: np.ndarray, pit: np.ndarray,
                       edges: tuple, table: pd.DataFrame, cell_area: float, filters: dict):
    """A table with one row per nested depression (never the top level itself): ``parent`` is the id of the
    depression it lies in (a top-level id, or a nested one's), ``depression`` its top-level id, ``level`` 1 for the
    top level's children; ids continue after the top-level ones. And each one's cells (flat indices). ``z`` and
    ``labels`` are 2-D; ``cells`` the flooded cells (``labels > 0``) in flat order and ``cell_basin`` the basin of
    each (4-byte numbers while they fit), ``pit`` the end cell of each basin, ``edges`` the spill tree's (basin a,
    basin b, weight, cell a, cell b) (``basins``)."""
    shape = z.shape
    zf, lf = z.ravel(), labels.ravel()
    if not cells.size:
        return pd.DataFrame(columns=COLUMNS), []
    # Basins: a cell with a lower neighbour never starts a pond of its own, so every pond is a union of basins and
    # the joins are between basins: the union-find runs over the basins (a few per cent of the cells), not every cell.
    present = np.zeros(pit.size, dtype=bool)  # the basins of the flooded cells, numbered 0.. in order
    present[cell_basin] = True
    ids = np.flatnonzero(present)
    basin = (np.cumsum(present) - 1).astype(cell_basin.dtype)[cell_basin]  # 4 bytes a flooded cell
    del present
    lows = np.searchsorted(cells, pit[ids])  # positions in ``cells``
    nb = lows.size
    # Each basin's heights, sorted (how far a pond up to a level reaches), and its bounding box.
    zs, starts = heights_by_key(zf, cells, basin, nb, zf.dtype)
    if flow_kernels.ENABLED:  # one pass over the cells, without two grids of rows and columns
        r0, c0, r1, c1 = flow_kernels.key_boxes(cells, basin, nb, shape[1]).T.tolist()
    else:  # every basin has a cell: reduceat is safe
        rr, cc = np.divmod(cells[np.argsort(basin, kind="stable")], shape[1])
        r0, c0 = np.minimum.reduceat(rr, starts[:-1]).tolist(), np.minimum.reduceat(cc, starts[:-1]).tolist()
        r1, c1 = np.maximum.reduceat(rr, starts[:-1]).tolist(), np.maximum.reduceat(cc, starts[:-1]).tolist()
        del rr, cc
    del basin

    # The spill tree's edges between two basins of one depression, in compact basin numbers.
    ea, eb, w, cell_a, cell_b = edges
    pa, pb = np.searchsorted(ids, ea), np.searchsorted(ids, eb)
    ok = (pa < nb) & (pb < nb)
    ok[ok] = (ids[pa[ok]] == ea[ok]) & (ids[pb[ok]] == eb[ok])
    a, b, w, cell_a, cell_b = pa[ok], pb[ok], w[ok], cell_a[ok], cell_b[ok]
    same = lf[cells[lows[a]]] == lf[cells[lows[b]]]
    a, b, w, cell_a, cell_b = a[same], b[same], w[same], cell_a[same], cell_b[same]
    order = np.argsort(w, kind="stable")

    min_depth, min_area, min_cells = filters["min_depth_m"], filters["min_area_m2"], filters["min_cells"]
    need = max(min_cells, min_area / cell_area)
    merge = _merge_compiled if flow_kernels.ENABLED else _merge
    find, passes, close, kids, minz, mincell, nodes = merge(
        (a, b, w, cell_a, cell_b), order, starts, zs, zf[cells[lows]], cells[lows], (r0, c0, r1, c1), min_depth,
        need)

    # What is still apart inside a depression joins at its spill elevation, over the rim.
    spill = dict(zip(table["id"].to_numpy().tolist(), table["spill_elev_m"].to_numpy().tolist()))
    roots: dict = {}
    for r in {find(i) for i in range(nb)}:
        roots.setdefault(int(lf[mincell[r]]), []).append(r)
    top_kids = {}
    for dep, rs in roots.items():
        level = spill[dep]
        elder = min(rs, key=lambda r: minz[r])
        top_kids[dep] = [k for r in rs for k in (
            [close(r, level, mincell[r], mincell[elder])] if r != elder and passes(r, level) and passes(elder, level) else kids[r])]

    first_id = int(table["id"].max()) + 1
    rows = []
    for dep, children in top_kids.items():
        stack = [(k, dep, 1) for k in children]
        while stack:
            k, par, lev = stack.pop()
            mc, level, grand, box, own_side, other_side = nodes[k]
            nid = first_id + k
            rows.append(_measure(z, labels, box, dep, mc, level, cell_area) | {
                "id": nid, "parent": par, "depression": dep, "level": lev, "saddle_cell": own_side,
                "beyond_cell": other_side})
            stack.extend((g, nid, lev + 1) for g in grand)
    if not rows:
        return pd.DataFrame(columns=COLUMNS), []
    frame = pd.DataFrame(rows).sort_values("id").reset_index(drop=True)
    return frame[COLUMNS], frame["_cells"].tolist()


def _merge(edges, order, starts, zs, minz, mincell, box, min_depth, need):
    """The union-find over the basins in order of their spill edges (the elder rule), in Python. Returns find,
    passes (whether a root is a pond deep and large enough up to a level), close (make a root a nested pond),
    each root's ponds, its lowest elevation and cell, and the ponds (nodes) made so far."""
    a, b, w, cell_a, cell_b = edges
    nb = minz.size
    parent = list(range(nb))
    members = [[i] for i in range(nb)]
    total = np.diff(starts).tolist()
    minz, mincell = minz.tolist(), mincell.tolist()
    r0, c0, r1, c1 = box
    passed = [False] * nb
    kids: list = [()] * nb
    nodes = []  # (deepest cell, spill, kids, bounding box, saddle cell on its side, on the other side)

    find_root = getattr(flow_kernels.find_root, "py_func", flow_kernels.find_root)  # the Python function itself

    def find(i):
        return find_root(parent, i)

    def passes(r, level):
        """Deep, large and many-celled enough as a pond up to ``level``; once true it stays true as water rises."""
        if level - minz[r] < min_depth:
            return False
        if not passed[r] and total[r] >= need:
            below = sum(int(np.searchsorted(zs[starts[k]:starts[k + 1]], level)) for k in members[r])
            passed[r] = below >= need
        return passed[r]

    def close(r, level, own_side, other_side):
        nodes.append((mincell[r], level, kids[r], (slice(r0[r], r1[r] + 1), slice(c0[r], c1[r] + 1)), own_side,
                      other_side))
        return len(nodes) - 1

    for k in order.tolist():
        ra, rb = find(int(a[k])), find(int(b[k]))
        if ra == rb:
            continue
        level = float(w[k])
        # The elder rule: the pond with the lower bottom goes on; the other, if it passes, is kept as nested.
        young, elder = (ra, rb) if minz[ra] > minz[rb] else (rb, ra)
        if passes(young, level) and passes(elder, level):
            sides = (int(cell_a[k]), int(cell_b[k])) if young == ra else (int(cell_b[k]), int(cell_a[k]))
            joined = kids[elder] + (close(young, level, *sides),)
        else:
            joined = kids[elder] + kids[young]
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] += members[rb]
        members[rb] = []
        total[ra] += total[rb]
        passed[ra] = passed[ra] or passed[rb]
        if minz[rb] < minz[ra]:
            minz[ra], mincell[ra] = minz[rb], mincell[rb]
        r0[ra], c0[ra] = min(r0[ra], r0[rb]), min(c0[ra], c0[rb])
        r1[ra], c1[ra] = max(r1[ra], r1[rb]), max(c1[ra], c1[rb])
        kids[ra] = joined
    return find, passes, close, kids, minz, mincell, nodes


def _merge_compiled(edges, order, starts, zs, minz, mincell, box, min_depth, need):
    """``_merge``'s loop compiled (flow_kernels.merge_ponds); the same roots and ponds in the same order."""
    minz, mincell = minz.astype(np.float64), mincell.astype(np.int64)
    box = np.stack([np.asarray(x, dtype=np.int64) for x in box], axis=1)
    (parent, total, passed, mhead, mnext, khead, knext, node_cell, node_level, node_box, node_sides,
     node_kids) = flow_kernels.merge_ponds(*edges, order, starts, zs, minz, mincell, box, min_depth, need)
    knext = knext.tolist()

    def walk(head):
        out = []
        while head >= 0:
            out.append(head)
            head = knext[head]
        return tuple(out)

    root = parent.tolist()
    kids = [walk(h) if root[i] == i else () for i, h in enumerate(khead.tolist())]
    nodes = [(c, lev, walk(h), (slice(bx[0], bx[2] + 1), slice(bx[1], bx[3] + 1)), own, other)
             for c, lev, h, bx, (own, other) in zip(node_cell.tolist(), node_level.tolist(), node_kids.tolist(),
                                                   node_box.tolist(), node_sides.tolist())]
    minz_l, mincell_l, box_l = minz.tolist(), mincell.tolist(), box.tolist()

    def passes(r, level):
        if level - minz_l[r] < min_depth:
            return False
        if not passed[r] and total[r] >= need:
            passed[r] = flow_kernels.count_below(r, level, mhead, mnext, zs, starts) >= need
        return bool(passed[r])

    def close(r, level, own_side, other_side):
        r0, c0, r1, c1 = box_l[r]
        nodes.append((mincell_l[r], level, kids[r], (slice(r0, r1 + 1), slice(c0, c1 + 1)), own_side, other_side))
        return len(nodes) - 1

    return root.__getitem__, passes, close, kids, minz_l, mincell_l, nodes


def node_mask(z: np.ndarray, labels: np.ndarray, box, depression: int, deepest_row: int, deepest_col: int,
              spill_elev: float):
    """(row slice, col slice, mask) of a nested depression: the cells of its top-level depression below its spill
    elevation, connected to its deepest cell, inside ``box`` (row and column slices holding it)."""
    rows, cols = box
    win = (labels[rows, cols] == depression) & (z[rows, cols] < spill_elev)
    lab, _ = ndimage.label(win, structure=np.ones((3, 3), bool))
    return rows, cols, lab == lab[deepest_row - rows.start, deepest_col - cols.start]


def _measure(z, labels, box, dep, mincell, level, cell_area) -> dict:
    r, c = divmod(int(mincell), z.shape[1])
    rows, cols = box
    if flow_kernels.ENABLED and labels[r, c] == dep and z[r, c] < level:  # else node_mask's other component
        cells = flow_kernels.pond_cells(z, labels, rows.start, cols.start, rows.stop, cols.stop, dep, r, c, level)
    else:
        rows, cols, mask = node_mask(z, labels, box, dep, r, c, level)
        rr, cc = np.nonzero(mask)
        cells = (rr + rows.start) * z.shape[1] + cc + cols.start
    water = level - z.ravel()[cells].astype(np.float64)  # the mask's cells in flat order, summed as numpy does
    n = int(cells.size)
    # Kept for the whole run (52,723 ponds at 1e8 cells): 4-byte cell numbers while they fit.
    cells = cells.astype(index_type(z.size), copy=False)
    return {"_cells": cells, "spill_elev_m": level,
            "bottom_elev_m": float(z[r, c]), "max_depth_m": float(level) - float(z[r, c]),
            "cells": n, "area_m2": n * cell_area, "volume_m3": float(water.sum() * cell_area),
            "deepest_row": r, "deepest_col": c}
