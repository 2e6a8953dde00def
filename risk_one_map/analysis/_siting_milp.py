"""Exact MILP formulations for depot siting, built directly as scipy.sparse matrices and solved by HiGHS
through scipy.optimize.milp (used by analysis/siting.py). Pure numpy/scipy, no modelling layer.

- ``pmedian_on_pairs``: the strong p-median formulation (x_ij <= y_j) on the (demand, site) pairs that Lagrangian
  reduced costs and probing leave possible. (A radius formulation (Elloumi 2010), cut to each demand's nearest levels and widened
  where the cut bound, was tried first: on 2000 x 200 it took about twice as long in HiGHS as this one.)
- ``capacitated_pmedian``: splittable assignment x_ij with x_ij <= y_j and sum_i w_i x_ij <= Q_j y_j.
- ``coverage``: MCLP (max covered weight with at most k sites) and set cover (LSCP, fewest sites) on a 0/1 coverage
  matrix with duplicate rows merged.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass
class MilpOutcome:
    x: Optional[np.ndarray]   # solution vector (None if HiGHS found none)
    objective: float          # objective of x in the formulation's own terms (inf if none)
    bound: float              # HiGHS's dual bound (a valid bound of the formulation; -inf if unknown)
    status: int               # scipy: 0 optimal, 1 limit reached, 2 infeasible, 3 unbounded, 4 other
    message: str
    seconds: float
    n_vars: int
    n_rows: int
    nnz: int


def solve(c, A, lb, ub, integrality, var_lb, var_ub, *, time_limit, gap_tol, constant=0.0, known=None,
          presolve=True, cutoff=None) -> MilpOutcome:
    """Solve with HiGHS. ``known``: the objective of a solution known to be feasible (same terms, minimised). If HiGHS
    claims an optimum or a bound worse than it, the answer cannot be right (the HiGHS 1.8 bundled with scipy 1.15 has
    presolve bugs, e.g. on duplicate columns): solve again without presolve and say so in the message.
    ``cutoff``: an objective value (formulation terms, constant excluded) that no wanted solution exceeds; HiGHS prunes
    with it from the start (option objective_bound, passed through scipy verbatim) and skips its primal heuristics."""
    t0 = time.monotonic()
    A = sparse.csr_array(A) if not isinstance(A, sparse.csr_array) else A
    options = {"disp": False, "presolve": bool(presolve), "mip_rel_gap": float(gap_tol)}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 0.05)
    if cutoff is not None and np.isfinite(cutoff):
        options.update(objective_bound=float(cutoff), mip_heuristic_effort=0.0)
    with warnings.catch_warnings():  # scipy warns that it passes HiGHS options it does not know verbatim
        warnings.simplefilter("ignore", RuntimeWarning)
        res = milp(c=np.asarray(c, float), integrality=integrality, bounds=Bounds(var_lb, var_ub),
                   constraints=[LinearConstraint(A, lb, ub)] if A.shape[0] else None, options=options)
    x = None if res.x is None else np.asarray(res.x)
    obj = float(res.fun) + constant if (x is not None and res.fun is not None) else np.inf
    if res.status == 0 and x is not None:
        bound = res.mip_dual_bound if res.mip_dual_bound is not None else res.fun
        bound = float(bound) + constant
    elif res.status == 2:
        bound = np.inf
    else:
        bound = float(res.mip_dual_bound) + constant if res.mip_dual_bound is not None and np.isfinite(
            res.mip_dual_bound) else -np.inf
    out = MilpOutcome(x, obj, bound, int(res.status), str(res.message), time.monotonic() - t0,
                      int(A.shape[1]), int(A.shape[0]), int(A.nnz))
    suspicious = out.status == 2  # "infeasible" is checked again too
    if known is not None and np.isfinite(known):
        tol = 1e-7 * max(1.0, abs(known))
        suspicious |= (out.status == 0 and out.objective > known + tol) or out.bound > known + tol
    if presolve and suspicious:
        again = solve(c, A, lb, ub, integrality, var_lb, var_ub, time_limit=time_limit, gap_tol=gap_tol,
                      constant=constant, presolve=False, cutoff=cutoff)
        again.seconds += out.seconds
        again.message += (" (checked again without presolve: HiGHS 1.8 presolve said infeasible or contradicted a "
                          "known solution)")
        return again
    return out


# -------------------------------------------------------------------------------------------------- p-median
def pmedian_on_pairs(C, w, fixed, k, pairs, forced_open=None):
    """The strong p-median formulation on the allowed (demand, site) pairs only:
    min sum w_i c_ij x_ij, sum_j x_ij = 1, x_ij <= y_j (free j), sum_free y_j = k, y binary, x continuous.

    ``pairs`` (bool n × m) comes from Lagrangian reduced costs: a pair left out cannot serve in any solution better
    than the incumbent, so the optimum over the pairs is the true optimum whenever it beats or ties the incumbent.
    Returns (c, A, lb, ub, integrality, var_lb, var_ub, y_sites, (pi, pj), build seconds)."""
    t0 = time.monotonic()
    n, m = C.shape
    free = ~fixed
    pi, pj = np.nonzero(pairs & np.isfinite(C))
    sites = np.flatnonzero(free & np.isin(np.arange(m), pj))   # free sites that serve someone
    y_col = np.full(m, -1)
    y_col[sites] = np.arange(sites.size)
    n_y, n_x = sites.size, pi.size
    xcol = n_y + np.arange(n_x)
    vub = np.flatnonzero(free[pj])
    rows = np.concatenate([pi, n + np.arange(vub.size), n + np.arange(vub.size), np.full(n_y, n + vub.size)])
    cols = np.concatenate([xcol, xcol[vub], y_col[pj[vub]], np.arange(n_y)])
    vals = np.concatenate([np.ones(n_x), np.ones(vub.size), -np.ones(vub.size), np.ones(n_y)])
    n_rows = n + vub.size + 1
    A = sparse.csr_array((vals, (rows, cols)), shape=(n_rows, n_y + n_x))
    lb = np.concatenate([np.ones(n), np.full(vub.size, -np.inf), [-np.inf]])   # at most k: extra sites never cost more
    ub = np.concatenate([np.ones(n), np.zeros(vub.size), [k]])
    c = np.concatenate([np.zeros(n_y), w[pi] * C[pi, pj]])
    integrality = np.concatenate([np.ones(n_y), np.zeros(n_x)])
    var_lb = np.zeros(n_y + n_x)
    if forced_open is not None:
        var_lb[:n_y] = forced_open[sites].astype(float)
    var_ub = np.ones(n_y + n_x)
    return c, A, lb, ub, integrality, var_lb, var_ub, sites, (pi, pj), time.monotonic() - t0


def capacitated_pmedian(C, w, fixed, k, capacity):
    """Splittable capacitated p-median: min sum w_i c_ij x_ij, sum_j x_ij = 1, x_ij <= y_j, sum_i w_i x_ij <= Q_j y_j."""
    t0 = time.monotonic()
    n, m = C.shape
    free = ~fixed
    n_y = int(free.sum())
    y_col = np.full(m, -1)
    y_col[free] = np.arange(n_y)
    pi, pj = np.nonzero(np.isfinite(C))
    n_x = pi.size
    xcol = n_y + np.arange(n_x)
    c = np.concatenate([np.zeros(n_y), w[pi] * C[pi, pj]])
    rows, cols, vals, lbs, ubs = [], [], [], [], []
    r = 0
    # assignment rows
    rows.append(pi + r); cols.append(xcol); vals.append(np.ones(n_x)); lbs.append(np.ones(n)); ubs.append(np.ones(n))
    r += n
    # x_ij - y_j <= 0 for free j
    fr = np.flatnonzero(free[pj])
    rows += [r + np.arange(fr.size)] * 2
    cols += [xcol[fr], y_col[pj[fr]]]
    vals += [np.ones(fr.size), -np.ones(fr.size)]
    lbs.append(np.full(fr.size, -np.inf)); ubs.append(np.zeros(fr.size))
    r += fr.size
    # capacity rows: sum_i w_i x_ij - Q_j y_j <= 0 (free), <= Q_j (fixed)
    cap = np.flatnonzero(np.isfinite(capacity))
    cap_row = np.full(m, -1)
    cap_row[cap] = r + np.arange(cap.size)
    sel = np.flatnonzero(cap_row[pj] >= 0)
    rows.append(cap_row[pj[sel]]); cols.append(xcol[sel]); vals.append(w[pi[sel]])
    cf = cap[free[cap]]
    rows.append(cap_row[cf]); cols.append(y_col[cf]); vals.append(-capacity[cf])
    lbs.append(np.full(cap.size, -np.inf)); ubs.append(np.where(fixed[cap], capacity[cap], 0.0))
    r += cap.size
    # cardinality
    rows.append(np.full(n_y, r)); cols.append(np.arange(n_y)); vals.append(np.ones(n_y))
    lbs.append([k]); ubs.append([k])
    r += 1
    A = sparse.coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(r, n_y + n_x)).tocsr()
    integrality = np.concatenate([np.ones(n_y), np.zeros(n_x)])
    return (c, A, np.concatenate(lbs).astype(float), np.concatenate(ubs).astype(float), integrality,
            n_y, pi, pj, time.monotonic() - t0)


# -------------------------------------------------------------------------------------------------- coverage
def unique_rows(cover: sparse.csr_array, w: np.ndarray):
    """Merge demands with identical coverage sets: (unique 0/1 rows as CSR, summed weights, inverse index)."""
    dense = np.asarray(cover.todense(), dtype=bool) if sparse.issparse(cover) else np.asarray(cover, bool)
    packed = np.packbits(dense, axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    weights = np.bincount(inverse, weights=w, minlength=first.size)
    return sparse.csr_array(dense[first]), weights, inverse


def _distinct_cover_columns(U: sparse.csr_array) -> np.ndarray:
    dense = np.asarray(U.todense(), dtype=bool)
    nonempty = np.flatnonzero(dense.any(axis=0))
    _, first = np.unique(np.packbits(dense[:, nonempty].T, axis=1), axis=0, return_index=True)
    return np.sort(nonempty[first])


def mclp(cover, w, k, *, time_limit, gap_tol, known=None) -> tuple:
    """max sum w_i u_i, u_i <= sum_j a_ij y_j, sum y <= k. Returns (outcome with objective = covered weight, y, build s).

    ``known``: the covered weight of a feasible choice (a greedy one), to catch a wrong answer."""
    t0 = time.monotonic()
    U, wu, _ = unique_rows(cover, w)
    m_all = U.shape[1]
    cols = _distinct_cover_columns(U)          # identical sites are interchangeable: keep one of each
    U = U[:, cols]
    n_u, m = U.shape
    # rows: u_i - sum_j a_ij y_j <= 0 ; sum y <= k
    Acov = sparse.hstack([-U.astype(float), sparse.eye_array(n_u, format="csr")], format="csr")
    Acard = sparse.csr_array((np.ones(m), (np.zeros(m, int), np.arange(m))), shape=(1, m + n_u))
    A = sparse.vstack([Acov, Acard], format="csr")
    ub = np.concatenate([np.zeros(n_u), [k]])
    lb = np.full(n_u + 1, -np.inf)
    c = np.concatenate([np.zeros(m), -wu])
    integrality = np.concatenate([np.ones(m), np.zeros(n_u)])
    build = time.monotonic() - t0
    out = solve(c, A, lb, ub, integrality, np.zeros(m + n_u), np.ones(m + n_u), time_limit=time_limit, gap_tol=gap_tol,
                known=None if known is None else -known)
    out.objective, out.bound = -out.objective, -out.bound
    y = None
    if out.x is not None:
        y = np.zeros(m_all, bool)
        y[cols[out.x[:m] > 0.5]] = True
    return out, y, build


def set_cover(cover, *, time_limit, gap_tol, known=None) -> tuple:
    """min sum y, sum_j a_ij y_j >= 1 (every row must have a non-zero). ``known``: a feasible count (greedy)."""
    t0 = time.monotonic()
    U, _, _ = unique_rows(cover, np.ones(cover.shape[0]))
    m_all = U.shape[1]
    cols = _distinct_cover_columns(U)
    U = U[:, cols]
    n_u, m = U.shape
    build = time.monotonic() - t0
    out = solve(np.ones(m), U.astype(float), np.ones(n_u), np.full(n_u, np.inf), np.ones(m), np.zeros(m), np.ones(m),
                time_limit=time_limit, gap_tol=gap_tol, known=known)
    y = None
    if out.x is not None:
        y = np.zeros(m_all, bool)
        y[cols[out.x[:m] > 0.5]] = True
    return out, y, build


def greedy_cover(cover: np.ndarray) -> np.ndarray:
    """Chvátal's greedy set cover on a dense 0/1 matrix whose rows all have a non-zero: chosen columns (bool)."""
    left = np.ones(cover.shape[0], bool)
    chosen = np.zeros(cover.shape[1], bool)
    while left.any():
        j = int(np.argmax(cover[left].sum(axis=0)))
        chosen[j] = True
        left &= ~cover[:, j]
    return chosen


def greedy_coverage(cover: np.ndarray, w: np.ndarray, k: int) -> float:
    """Covered weight of the greedy choice of k columns (a feasible MCLP value)."""
    left = np.ones(cover.shape[0], bool)
    total = 0.0
    for _ in range(int(k)):
        gain = (w * left) @ cover
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        total += float(gain[j])
        left &= ~cover[:, j]
    return total
