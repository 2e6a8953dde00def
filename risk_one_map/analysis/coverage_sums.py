"""Exact sums over one layer, and over the intersections of two layers, from their pieces."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .coverage_grid import _EPS_SIDE, Pieces, _contrib, _ragged_arange


# -------------------------------------------------------------------------------------------------- one layer
def layer_sums(pieces: Pieces, n_labels: int):
    """Exact (pop, area, known) per label 0..n (index = label), area in cells."""
    pop, area, known = pieces.sums()
    out = []
    for v in (pop, area, known):
        out.append(np.zeros(n_labels + 1) if v is None else np.bincount(pieces.label, v, minlength=n_labels + 1))
    return out


# -------------------------------------------------------------------------------------------------- two layers
def _carry_labels(query: Pieces, other: Pieces, idx=None):
    """Label of ``other`` at the cells of ``query``'s pieces (all, or those at ``idx``), from the label carry.

    Returns (label, count, hi, hi2): label sum and coverage count (1 inside one region, 0 outside, >1 where regions
    overlap) valid where ``other`` has no piece in the same cell; [hi, hi2) are the positions of ``other``'s pieces
    in that cell, so ``hi2 > hi`` marks cells crossed by both layers.
    """
    keys, _, lab, cnt = other.sorted_carry()
    qkeys = query.key if idx is None else query.key[idx]  # sorted: searchsorted walks memory in order
    qcol = query.col if idx is None else query.col[idx]
    colstart = _column_starts(other, query)
    hi = np.searchsorted(keys, qkeys, "left")
    lo = colstart[qcol]
    same = keys[np.minimum(hi, len(keys) - 1)] == qkeys if len(keys) else np.zeros(len(qkeys), dtype=bool)
    hi2 = hi.copy()
    if same.any():
        hi2[same] = np.searchsorted(keys, qkeys[same], "right")
    return lab[hi] - lab[lo], cnt[hi] - cnt[lo], hi, hi2


def _column_starts(other: Pieces, query: Pieces):
    """Index of the first piece of ``other`` in each column (and one past the last column)."""
    ncol = int(max(query.col.max(initial=0), other.col.max(initial=0))) + 2
    return np.searchsorted(other.key, np.arange(ncol, dtype=np.int64) * (other.height + 1), "left")


def _within_rows(query: Pieces, other: Pieces) -> np.ndarray:
    """Pieces of ``query`` lying in a column where ``other`` has pieces, between its first and last row there:
    only those can be inside ``other`` (a cheap filter before the label lookups)."""
    starts = _column_starts(other, query)
    first, last = starts[:-1], starts[1:]
    has = last > first
    rmin = np.full(len(first), np.iinfo(np.int64).max)
    rmax = np.full(len(first), -1, dtype=np.int64)
    rmin[has] = other.row[first[has]]
    rmax[has] = other.row[last[has] - 1]
    return np.flatnonzero((query.row >= rmin[query.col]) & (query.row <= rmax[query.col]))


def _pairs_in_cells(hi, hi2, idx):
    """(query piece, other piece in sorted order) pairs for query pieces ``idx`` sharing a cell with the other layer."""
    counts = (hi2 - hi)[idx]
    qi = np.repeat(idx, counts)
    oi = np.repeat(hi[idx], counts) + _ragged_arange(counts)
    return qi, oi


def _intersection_params(ax0, ay0, ax1, ay1, bx0, by0, bx1, by1, tol: float = 1e-9):
    """Parameters along segments a and b (pairs) where each must be cut so that no fragment crosses the other.

    Distance-based, so that (nearly) coincident and touching segments, common where zones were clipped to village
    boundaries, are cut where the other one starts, ends or touches. Returns (ta, tb), each (n, 3), NaN = no cut.
    """
    rx, ry = ax1 - ax0, ay1 - ay0
    sx, sy = bx1 - bx0, by1 - by0
    lr = np.hypot(rx, ry)
    ls = np.hypot(sx, sy)
    with np.errstate(divide="ignore", invalid="ignore"):
        # signed distances of each end point from the other segment's line
        db0 = (rx * (by0 - ay0) - ry * (bx0 - ax0)) / lr
        db1 = (rx * (by1 - ay0) - ry * (bx1 - ax0)) / lr
        da0 = (sx * (ay0 - by0) - sy * (ax0 - bx0)) / ls
        da1 = (sx * (ay1 - by0) - sy * (ax1 - bx0)) / ls
        on_b0, on_b1 = np.abs(db0) <= tol, np.abs(db1) <= tol
        on_a0, on_a1 = np.abs(da0) <= tol, np.abs(da1) <= tol
        # proper crossing: the end points of each lie strictly on both sides of the other's line
        cross = (db0 * db1 < 0) & (da0 * da1 < 0) & ~(on_b0 | on_b1 | on_a0 | on_a1)
        t_cross = db0 / (db0 - db1)  # along b
        u_cross = da0 / (da0 - da1)  # along a
        rr, ss = lr * lr, ls * ls
        proj_b0 = ((bx0 - ax0) * rx + (by0 - ay0) * ry) / rr  # b's ends projected on a
        proj_b1 = ((bx1 - ax0) * rx + (by1 - ay0) * ry) / rr
        proj_a0 = ((ax0 - bx0) * sx + (ay0 - by0) * sy) / ss  # a's ends projected on b
        proj_a1 = ((ax1 - bx0) * sx + (ay1 - by0) * sy) / ss
    nan = np.nan
    ta = np.stack([np.where(cross, u_cross, nan), np.where(on_b0, proj_b0, nan), np.where(on_b1, proj_b1, nan)], 1)
    tb = np.stack([np.where(cross, t_cross, nan), np.where(on_a0, proj_a0, nan), np.where(on_a1, proj_a1, nan)], 1)
    return ta, tb


def _fragments(pc: Pieces, idx, extra_piece, extra_t):
    """Cut pieces ``idx`` at parameters ``extra_t`` (belonging to pieces ``extra_piece``); fragments inherit the cell."""
    ok = np.isfinite(extra_t) & (extra_t > 1e-12) & (extra_t < 1 - 1e-12)
    piece = np.concatenate([idx, idx, extra_piece[ok]])
    t = np.concatenate([np.zeros(len(idx)), np.ones(len(idx)), extra_t[ok]])
    order = np.lexsort((t, piece))
    piece, t = piece[order], t[order]
    nxt = (piece[1:] == piece[:-1]) & (t[1:] > t[:-1])
    src = piece[:-1][nxt]
    ta, tb = t[:-1][nxt], t[1:][nxt]
    dua, dra = pc.ub[src] - pc.ua[src], pc.rb[src] - pc.ra[src]
    ua, ra = pc.ua[src] + ta * dua, pc.ra[src] + ta * dra
    ub, rb = pc.ua[src] + tb * dua, pc.ra[src] + tb * dra
    return src, ua, ra, ub, rb


def _interior_point(ua, ra, ub, rb, side: float):
    """Midpoint of fragments moved a hair towards their interior side (side=+1) or away from it (-1).

    In map units the interior is on the left; grid units flip r, so there it is on the right: normal (dr, -du).
    """
    du, dr = ub - ua, rb - ra
    n = np.hypot(du, dr)
    n[n == 0] = 1.0
    mu, mr = 0.5 * (ua + ub), 0.5 * (ra + rb)
    return mu + side * _EPS_SIDE * dr / n, mr - side * _EPS_SIDE * du / n


def _contains(geoms_by_label, labels, u, r):
    """contains_xy of geometry ``labels`` (1-based) at points (u, r), vectorised over pairs."""
    if len(labels) == 0:
        return np.zeros(0, dtype=bool)
    return shapely.contains_xy(geoms_by_label[labels - 1], u, r)


@dataclass
class Joint:
    """Exact sums over intersections a ∩ b: arrays of shape (n_a + 1, n_b + 1), index = label, cells as area unit."""
    pop: np.ndarray
    area: np.ndarray
    crossed_cells: int = 0
    overlap_pieces: int = 0


def joint_sums(A: Pieces, B: Pieces, geoms_a, geoms_b, n_a: int, n_b: int, tree_a=None, tree_b=None) -> Joint:
    """Raster sums and areas over every a ∩ b, for two labelled polygon layers on the same grid.

    ``geoms_a``/``geoms_b``: arrays of the layers' geometries in grid units, indexed by label - 1 (prepared here).
    Layer B's regions must not overlap (hazard levels made disjoint); layer A's regions may (reported).
    """
    for g in (geoms_a, geoms_b):
        shapely.prepare(g)
    shape = (n_a + 1, n_b + 1)
    pop = np.zeros(shape)
    area = np.zeros(shape)

    def add(la, lb, contrib):
        flat = la * shape[1] + lb
        for acc, v in zip((pop, area), contrib):
            if v is not None and len(flat):
                acc += np.bincount(flat, v, minlength=shape[0] * shape[1]).reshape(shape)

    # --- pieces of A, labelled by B (where B has no boundary in the cell, from B's label carry) ------------
    sub = _within_rows(A, B)
    labB, cntB, hiB, hi2B = _carry_labels(A, B, sub)
    crossed_a = hi2B > hiB
    # B regions are disjoint: count is 0 or 1; pieces outside B, or in crossed cells, go to the dump bin (0, 0)
    use = ~crossed_a & (np.rint(cntB) == 1)
    flat = np.where(use, A.label[sub] * shape[1] + np.rint(labB).astype(np.int64), 0)
    pa, aa, _ = A.sums()
    for acc, v in zip((pop, area), (pa, aa)):
        if v is not None:
            acc += np.bincount(flat, v[sub], minlength=shape[0] * shape[1]).reshape(shape)
    pop[0, 0] = area[0, 0] = 0.0

    # --- pieces of B, labelled by A -------------------------------------------------------------------------
    labA, cntA, hiA, hi2A = _carry_labels(B, A)
    crossed_b = hi2A > hiA
    la = np.rint(labA).astype(np.int64)
    ca = np.rint(cntA)
    simple_b = ~crossed_b & (ca == 1) & (la >= 1)
    overlap_b = ~crossed_b & (ca >= 2)
    pb, ab, _ = B.sums()
    add(la[simple_b], B.label[simple_b], [None if x is None else x[simple_b] for x in (pb, ab)])

    # pieces of B inside overlapping A regions: locate with a tree
    n_overlap = int(overlap_b.sum())
    if n_overlap:
        idx = np.flatnonzero(overlap_b)
        mu, mr = 0.5 * (B.ua[idx] + B.ub[idx]), 0.5 * (B.ra[idx] + B.rb[idx])
        tree = tree_a if tree_a is not None else shapely.STRtree(geoms_a)
        qi, gi = tree.query(shapely.points(mu, mr), predicate="intersects")
        contrib = [None if x is None else x[idx][qi] for x in (pb, ab)]
        add(gi.astype(np.int64) + 1, B.label[idx][qi], contrib)

    # --- cells crossed by both layers: cut at mutual intersections, locate fragments exactly -------------------
    ca_idx = np.flatnonzero(crossed_a)
    ia = sub[ca_idx]
    if len(ia):
        qa, bi = _pairs_in_cells(hiB, hi2B, ca_idx)  # A piece (position in sub), B piece in the same cell
        qa = sub[qa]
        ta, tb = _intersection_params(A.ua[qa], A.ra[qa], A.ub[qa], A.rb[qa],
                                      B.ua[bi], B.ra[bi], B.ub[bi], B.rb[bi])
        # A fragments, located in B (interior side)
        src, ua, ra, ub, rb = _fragments(A, ia, np.repeat(qa, 3), ta.ravel())
        _add_located(add, A, src, ua, ra, ub, rb, cand_piece=qa, cand_label=B.label[bi], geoms=geoms_b,
                     this_is_a=True)
        # B fragments in those cells, located in A: both sides must be inside (on a boundary of A: counted via A)
        ib = np.unique(bi)
        # candidates for B pieces: the A pieces sharing their cell
        srcb, ub_, rb_, ub2, rb2 = _fragments(B, ib, np.repeat(bi, 3), tb.ravel())
        _add_located(add, B, srcb, ub_, rb_, ub2, rb2, cand_piece=bi, cand_label=A.label[qa], geoms=geoms_a,
                     this_is_a=False)
    return Joint(pop, area, crossed_cells=len(np.unique(A.key[ia])) if len(ia) else 0,
                 overlap_pieces=n_overlap)


def _add_located(add, pc: Pieces, src, ua, ra, ub, rb, cand_piece, cand_label, geoms, this_is_a: bool):
    """Locate fragments (of pieces ``src``) among candidate regions of the other layer and add their sums."""
    # candidate labels per source piece: unique (piece, label) pairs
    pairs = np.unique(np.stack([cand_piece, cand_label], 1), axis=0)
    # fragments x candidates
    order = np.argsort(src, kind="stable")
    src_s = src[order]
    first = np.searchsorted(pairs[:, 0], src_s, "left")
    last = np.searchsorted(pairs[:, 0], src_s, "right")
    counts = last - first
    fi = np.repeat(order, counts)
    ci = np.repeat(first, counts) + _ragged_arange(counts)
    lab = pairs[ci, 1]
    u1, r1 = _interior_point(ua[fi], ra[fi], ub[fi], rb[fi], +1.0)
    inside = _contains(geoms, lab, u1, r1)
    if not this_is_a:
        u2, r2 = _interior_point(ua[fi], ra[fi], ub[fi], rb[fi], -1.0)
        inside &= _contains(geoms, lab, u2, r2)
    fi, lab = fi[inside], lab[inside]
    s = src[fi]
    contrib = _contrib(ub[fi] - ua[fi], 0.5 * (ra[fi] + rb[fi]), pc.row[s], pc.S[s], pc.p[s], pc.K[s], pc.k[s])[:2]
    if this_is_a:
        add(pc.label[s], lab, contrib)
    else:
        add(lab, pc.label[s], contrib)
