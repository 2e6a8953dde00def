"""Fast heuristics and bounds for depot siting (used by analysis/siting.py). Pure numpy/scipy.

- ``interchange``: multi-start Teitz-Bart vertex substitution in the "fast swap" form of Whitaker / Resende-Werneck:
  every swap (in, out) is priced at once from each demand's best and second-best open distance, so one
  best-improvement step costs a few passes over the cost matrix.
- ``lagrangian_bound``: the classical Lagrangian relaxation of the assignment constraints of the p-median, by
  subgradient steps; every iterate is a valid lower bound.
- ``greedy_fill``: add sites one by one, each time the one that cuts the weighted distance most.
- ``gonzalez``: farthest-first construction for the p-center (a start for the radius search).

All take a dense cost matrix ``C`` (n demand × m candidates, finite: callers replace "unreachable" by a large
penalty), demand weights ``w``, and boolean masks ``fixed`` (always open) over the candidates.
"""
from __future__ import annotations

import time

import numpy as np
from scipy import sparse


def best_two(C: np.ndarray, open_idx: np.ndarray):
    """Per demand: best distance, its candidate index, second-best distance (inf if one site is open)."""
    sub = C[:, open_idx]
    n = C.shape[0]
    if sub.shape[1] == 1:
        return sub[:, 0].copy(), np.full(n, open_idx[0]), np.full(n, np.inf)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    a = np.take_along_axis(sub, part, axis=1)
    swap = a[:, 1] < a[:, 0]
    first = np.where(swap, part[:, 1], part[:, 0])
    d1 = np.where(swap, a[:, 1], a[:, 0])
    d2 = np.where(swap, a[:, 0], a[:, 1])
    return d1, open_idx[first], d2


def weighted_cost(C, w, open_idx) -> float:
    return float(w @ C[:, open_idx].min(axis=1))


def greedy_fill(C, w, open_mask, n_more, allowed=None):
    """Open ``n_more`` further sites greedily (largest cut of the weighted distance first). Returns the new mask."""
    open_mask = open_mask.copy()
    allowed = np.ones(C.shape[1], bool) if allowed is None else allowed
    d1 = C[:, open_mask].min(axis=1) if open_mask.any() else np.full(C.shape[0], np.inf)
    for _ in range(int(n_more)):
        choice = allowed & ~open_mask
        if not choice.any():
            break
        base = np.where(np.isfinite(d1), d1, np.nanmax(C[np.isfinite(C)]) * 10 + 1)
        gain = w @ np.maximum(base[:, None] - C, 0.0)
        gain[~choice] = -1.0
        j = int(np.argmax(gain))
        open_mask[j] = True
        d1 = np.minimum(d1, C[:, j])
    return open_mask


def _swap_once(C, w, open_idx, free_open, closed, eps):
    """The best (gain, out, in) swap, or None when no swap cuts the cost by more than ``eps``."""
    d1, a1, d2 = best_two(C, open_idx)
    d2 = np.where(np.isfinite(d2), d2, d1 + C.max() + 1.0)
    cc = C[:, closed]                  # a copy: the n x |closed| steps below work in it and one buffer, in place
    buf = np.subtract(d1[:, None], cc)
    gain = w @ np.maximum(buf, 0.0, out=buf)  # inserting `in` alone
    # demands grouped by their best site: what they lose if it closes, and what `in` gives back
    out_pos = np.full(C.shape[1], -1)
    out_pos[free_open] = np.arange(free_open.size)
    rows = out_pos[a1]
    keep = rows >= 0
    group = sparse.csr_matrix((w[keep], (rows[keep], np.flatnonzero(keep))), shape=(free_open.size, C.shape[0]))
    loss = np.asarray(group @ (d2 - d1)).ravel()
    extra_each = np.maximum(np.subtract(d2[:, None], np.maximum(cc, d1[:, None], out=cc), out=cc), 0.0, out=cc)
    extra = np.asarray(group @ extra_each)
    profit = gain[None, :] - loss[:, None] + extra
    o, i = np.unravel_index(int(np.argmax(profit)), profit.shape)
    if profit[o, i] <= eps:
        return None
    return float(profit[o, i]), int(free_open[o]), int(closed[i])


def interchange(C, w, fixed, k, *, starts=5, seed=0, time_limit=None, cancelled=None, allowed=None, initial=None,
                first_start=0):
    """Multi-start fast-swap p-median heuristic: a greedy start (or ``initial``), then random starts (local optima on
    county-size instances differ by 1 % or more, so many starts pay). ``first_start``: run only the starts from this
    one on, the same ones a single call would run (the random stream is drawn as if the earlier ones had run), so
    that starts can be split over two calls. Returns (best open mask, best cost, stats)."""
    n, m = C.shape
    allowed = ~fixed if allowed is None else (allowed & ~fixed)
    free = np.flatnonzero(allowed)
    rng = np.random.default_rng(seed)
    t0 = time.monotonic()
    best_mask, best_cost, swaps, done_starts = None, np.inf, 0, 0
    eps = 1e-9 * max(1.0, float(w.sum()) * float(C.max()))
    for s in range(max(1, int(starts))):
        if s < first_start:
            if s > 0:
                rng.choice(free, size=k, replace=False)
            continue
        if s == 0 and initial is not None:
            mask = initial.copy()
        elif s == 0:
            mask = greedy_fill(C, w, fixed.copy(), k, allowed)
        else:
            mask = fixed.copy()
            mask[rng.choice(free, size=k, replace=False)] = True
        while k > 0 and k < free.size:
            if cancelled is not None and cancelled():
                break
            if time_limit is not None and time.monotonic() - t0 > time_limit and best_mask is not None:
                break
            open_idx = np.flatnonzero(mask)
            step = _swap_once(C, w, open_idx, np.flatnonzero(mask & allowed), np.flatnonzero(~mask & allowed), eps)
            if step is None:
                break
            _, out, inn = step
            mask[out], mask[inn] = False, True
            swaps += 1
        cost = weighted_cost(C, w, np.flatnonzero(mask))
        done_starts += 1
        if cost < best_cost - eps:
            best_mask, best_cost = mask.copy(), cost
        if time_limit is not None and time.monotonic() - t0 > time_limit:
            break
        if cancelled is not None and cancelled():
            break
    return best_mask, best_cost, {"starts": done_starts, "swaps": swaps, "seconds": time.monotonic() - t0}


def lagrangian_bound(C, w, fixed, k, upper, *, iterations=300, time_limit=None, cancelled=None, lam0=None, theta=2.0):
    """A lower bound on the p-median optimum by subgradient optimisation of the Lagrangian dual.

    Relaxing "each demand is assigned once" with multipliers lam gives
    L(lam) = sum(lam) + sum_{fixed} rho_j + (sum of the k smallest rho_j over free sites), rho_j = sum_i min(0, w_i c_ij - lam_i),
    a valid lower bound for any lam. ``C`` may hold inf (unreachable pairs).
    """
    t0 = time.monotonic()
    WC = w[:, None] * C
    n = C.shape[0]
    srt = np.sort(np.where(np.isfinite(WC), WC, np.nan), axis=1)
    lam = np.nan_to_num(srt[:, min(1, C.shape[1] - 1)], nan=0.0) if lam0 is None else lam0.copy()
    free = np.flatnonzero(~fixed)
    best, stall = -np.inf, 0
    best_lam = lam.copy()
    red = np.empty_like(WC)   # one buffer for every iteration: the n x m temporaries were half the time
    for it in range(int(iterations)):
        np.subtract(WC, lam[:, None], out=red)
        np.minimum(red, 0.0, out=red)  # inf - lam -> inf -> 0
        rho = red.sum(axis=0)
        pick = fixed.copy()
        take = min(k, free.size)  # fewer sites than k left (probing): all of them
        if take > 0:
            pick[free[np.argpartition(rho[free], take - 1)[:take]]] = True
        value = float(lam.sum() + rho[pick].sum())
        if not np.isfinite(best) or value > best + 1e-12 * max(1.0, abs(best)):
            best, stall = max(best, value), 0
            best_lam = lam.copy()
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        g = 1.0 - (red[:, pick] < 0).sum(axis=1)
        norm = float(g @ g)
        if norm == 0 or theta < 1e-4 or (np.isfinite(upper) and upper - best <= 1e-9 * max(1.0, abs(upper))):
            break
        lam = lam + theta * max(upper - value, 1e-9 * abs(upper)) / norm * g
        if (time_limit is not None and time.monotonic() - t0 > time_limit) or (cancelled is not None and cancelled()):
            break
    return best, {"iterations": it + 1, "seconds": time.monotonic() - t0, "n": n, "lam": best_lam}


def lagrangian_pick(C, w, fixed, k, lam):
    """The sites the Lagrangian relaxation opens at ``lam`` (a good start for the interchange)."""
    rho = np.minimum(w[:, None] * C - lam[:, None], 0.0).sum(axis=0)
    pick = fixed.copy()
    free = np.flatnonzero(~fixed)
    if k > 0:
        pick[free[np.argpartition(rho[free], k - 1)[:k]]] = True
    return pick


def lagrangian_fixing(C, w, fixed, k, lam, upper):
    """Sites that the Lagrangian bound at ``lam`` proves closed (y_j = 0) or open (y_j = 1) in every solution
    cheaper than ``upper``. Returns (closed mask, open mask, bound)."""
    rho = np.minimum(w[:, None] * C - lam[:, None], 0.0).sum(axis=0)
    free = np.flatnonzero(~fixed)
    srt = np.sort(rho[free])
    base = float(lam.sum() + rho[fixed].sum() + srt[:k].sum())
    k = min(k, srt.size)
    kth = srt[k - 1] if k > 0 else -np.inf
    nxt = srt[k] if k < srt.size else np.inf
    tol = 1e-9 * max(1.0, abs(upper))
    in_pick = np.zeros(C.shape[1], bool)
    if k > 0:
        in_pick[free[np.argpartition(rho[free], k - 1)[:k]]] = True
    closed = ~fixed & ~in_pick & (base + rho - kth > upper + tol)
    opened = in_pick & (base + nxt - rho > upper + tol)
    # pair (i, j): serving i from j costs at least base + max(0, w_i c_ij - lam_i) (+ rho_j - kth if j is not picked)
    extra = np.where(in_pick | fixed, 0.0, np.maximum(rho - kth, 0.0))
    with np.errstate(invalid="ignore"):
        pair_ok = base + np.maximum(w[:, None] * C - lam[:, None], 0.0) + extra[None, :] <= upper + tol
    pair_ok &= np.isfinite(C) & ~closed[None, :]
    return closed, opened, base, pair_ok


def lagrangian_probe(C, w, fixed, k, lam, upper, incumbent, *, iterations=40, time_limit=None, cancelled=None):
    """Stronger than reduced costs: for each site, re-optimise the Lagrangian with that site forced the other way
    than in the incumbent (open if closed, closed if open), warm-started from ``lam``. A site whose forced bound
    exceeds ``upper`` is fixed as in the incumbent for every better solution. Returns (closed mask, open mask)."""
    t0 = time.monotonic()
    m = C.shape[1]
    closed, opened = np.zeros(m, bool), np.zeros(m, bool)
    tol = 1e-9 * max(1.0, abs(upper))
    target = upper + 1e-6 * max(1.0, abs(upper))  # aim the steps just above the incumbent
    for j in np.flatnonzero(~fixed):
        if (time_limit is not None and time.monotonic() - t0 > time_limit) or (cancelled is not None and cancelled()):
            break
        if incumbent[j]:
            cols = np.flatnonzero(np.arange(m) != j)
            b, _ = lagrangian_bound(C[:, cols], w, fixed[cols], k, target, iterations=iterations, lam0=lam, theta=2.0)
            opened[j] = b > upper + tol
        else:
            fx = fixed.copy()
            fx[j] = True
            b, _ = lagrangian_bound(C, w, fx, k - 1, target, iterations=iterations, lam0=lam, theta=2.0)
            closed[j] = b > upper + tol
    return closed, opened


def gonzalez(C, fixed, k, allowed=None):
    """Farthest-first: open the candidate nearest to the worst-served demand, k times."""
    allowed = ~fixed if allowed is None else (allowed & ~fixed)
    mask = fixed.copy()
    d = C[:, mask].min(axis=1) if mask.any() else np.full(C.shape[0], np.inf)
    for _ in range(int(k)):
        i = int(np.argmax(d))
        row = np.where(allowed & ~mask, C[i], np.inf)
        j = int(np.argmin(row))
        if not np.isfinite(row[j]):
            break
        mask[j] = True
        d = np.minimum(d, C[:, j])
    return mask
