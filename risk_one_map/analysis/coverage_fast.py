"""The fast mode: each cell counted wholly where its centre is, from centre-line crossings."""
from __future__ import annotations


import numpy as np

from .coverage_grid import Crossings, Edges, _ragged_arange


# -------------------------------------------------------------------------------------------------- fast mode
def centre_crossings(geoms_grid, labels, height: int, stride: int = 1) -> Crossings:
    """Crossings of polygon rings (grid units) with the column centre lines (see Edges.crossings)."""
    return Edges.of(geoms_grid, labels).crossings(height, stride=stride)


def centre_rows(r):
    """First row whose centre lies at or below depth r."""
    return np.ceil(r - 0.5).astype(np.int64)


def highest_level_labels(cross: Crossings, n_levels: int) -> np.ndarray:
    """For crossings of overlapping zones labelled by level (1 = highest): the level in force after each crossing,
    i.e. the smallest level whose zones cover the line there (0: none). One coverage count per level, so the zones
    need no dissolving first."""
    level_of = np.rint(np.abs(cross.dlabel) / np.maximum(np.abs(cross.dcount), 1)).astype(np.int64)
    out = np.zeros(len(cross.col), dtype=np.int64)
    for level in range(n_levels, 0, -1):  # lower priority first; higher levels overwrite
        count = np.cumsum(np.where(level_of == level, cross.dcount, 0.0))
        out[np.rint(count) > 0] = level
    return out


def fast_layer_sums(cross: Crossings, n: int, G, Kg, labels=None):
    """Centre-of-cell sums per label of one layer from its crossings; ``G``/``Kg``: column sums above each
    crossing's row; ``labels``: the label after each crossing if not the running sum of ``dlabel``.
    Returns (pop, cells, known_cells), each of length n + 1 (index = label)."""
    lab = np.rint(np.cumsum(cross.dlabel)).astype(np.int64) if labels is None else labels
    rows = centre_rows(cross.r)
    nxt = cross.col[1:] == cross.col[:-1]
    lab = lab[:-1][nxt]
    ok = (lab >= 1) & (lab <= n)  # ties at shared boundaries briefly sum two labels over zero-length intervals
    out = []
    for v in ((G[1:] - G[:-1]), (rows[1:] - rows[:-1]).astype(np.float64), (Kg[1:] - Kg[:-1])):
        out.append(np.bincount(lab[ok], v[nxt][ok], minlength=n + 1))
    return out


def fast_joint(cross_a: Crossings, ga, ka, cross_b: Crossings, gb, kb, n_a: int, n_b: int, labels_b=None):
    """Centre-of-cell sums per (a, b) without merging all of a's crossings with b's.

    Along a centre line the label pair is constant between events, so a pair's total telescopes into
    sum over events of G * ([pair before] - [pair after]). Only b's crossings and a's crossings lying inside b's
    regions change a pair with b > 0, so those are the only events visited. ``ga``/``ka`` (``gb``/``kb``): column
    sums above each crossing of a (b). Returns (pop, cells, known_cells), shape (n_a + 1, n_b + 1).
    """
    shape = (n_a + 1, n_b + 1)
    la = np.rint(np.cumsum(cross_a.dlabel)).astype(np.int64)  # a's label after each of its crossings
    lb = np.rint(np.cumsum(cross_b.dlabel)).astype(np.int64) if labels_b is None else labels_b
    la_pad = np.concatenate([[0], la])  # la_pad[i] = a's label before its crossing i (and after all: la_pad[-1])
    la_before = la_pad[:-1]
    lb_before = np.concatenate([[0], lb[:-1]])
    ra = centre_rows(cross_a.r).astype(np.float64)
    rb = centre_rows(cross_b.r).astype(np.float64)
    # a's label at each b crossing: a's crossings up to the same key count as before it
    j = np.searchsorted(cross_a.key, cross_b.key, "right")
    a_at_b = la_pad[j]  # a band may hold crossings of b and none of a
    # a's crossings inside b's regions: between b crossing i and i + 1 of the same column, with lb[i] > 0
    inside = np.flatnonzero((lb[:-1] > 0) & (lb[:-1] <= n_b) & (cross_b.col[1:] == cross_b.col[:-1]))
    counts = j[inside + 1] - j[inside]
    m = np.repeat(j[inside], counts) + _ragged_arange(counts)  # index of a's crossing
    l_m = np.repeat(lb[inside], counts)
    # events: (label before, label after, G, rows, K). Where crossings tie (one region exits as the next enters at
    # the same point) labels are briefly sums: those go to the dump bin (0, 0); their contributions cancel.
    def flat(a, b):
        ok = (a >= 0) & (a <= n_a) & (b >= 0) & (b <= n_b)
        return np.where(ok, a * shape[1] + b, 0)
    before = np.concatenate([flat(a_at_b, lb_before), flat(la_before[m], l_m)])
    after = np.concatenate([flat(a_at_b, lb), flat(la[m], l_m)])
    out = []
    for vals_b, vals_a in ((gb, ga), (rb, ra), (kb, ka)):
        v = np.concatenate([vals_b, vals_a[m]])
        acc = np.bincount(before, v, minlength=shape[0] * shape[1]) - np.bincount(after, v, minlength=shape[0] * shape[1])
        acc = acc.reshape(shape)
        acc[0, :] = 0.0
        acc[:, 0] = 0.0
        out.append(acc)
    return out


def overlap_cells(cross: Crossings) -> int:
    """Cells (by centre) covered by two or more polygons of one layer: a cheap overlap check."""
    cnt = np.rint(np.cumsum(cross.dcount)).astype(np.int64)
    rows = centre_rows(cross.r)
    over = (cross.col[1:] == cross.col[:-1]) & (cnt[:-1] >= 2)
    return int((rows[1:] - rows[:-1])[over].sum())
