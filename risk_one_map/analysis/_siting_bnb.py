"""Lagrangian branch and bound for the p-median (used by analysis/siting.py when HiGHS cannot close the gap).

On sparse road graphs with unit demand (the classic pmed family) the LP relaxation of the strong formulation is
0.5-1 % below the optimum and HiGHS spends 20-30 s on the root LP alone (it is highly degenerate), so the MILP
step runs out of time without a proof. Branching on sites with the Lagrangian bound needs no LP at all: each node
re-optimises the multipliers warm-started from its parent (a few dozen subgradient steps), fixes sites by reduced
costs, and is pruned as soon as its bound reaches the incumbent. A node works on its parent's pairs less those to
sites shut and those farther than a site already open, and each step reads only the pairs cheaper than their
demand's multiplier (``SortedPairs``). Hand-written: no library offers a Lagrangian branch and bound, and HiGHS's LP
based one is the slow path above.

Pure numpy. Costs may hold inf (pairs ruled out at the root: no solution cheaper than the incumbent uses them).
"""
from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np


class SortedPairs:
    """The finite (demand, site) pairs of a weighted cost matrix, sorted by demand and, within a demand, by cost, so
    that the pairs with a cost below the demand's multiplier (the only ones that enter the Lagrangian) are a prefix
    of its run: one ``searchsorted`` finds them all. At a bound near the optimum a demand is cheaper than its
    multiplier at a few dozen sites, against the hundreds the root's reductions leave it (pmed39: about 30 of 330),
    so each subgradient step reads a tenth of the pairs. The search runs on integer keys (the demand and the rank of
    the cost among all costs), not on demand * span + cost in floats, whose rounding could take a pair just below
    a multiplier for one just above it: the prefix is exactly the pairs with cost < multiplier, and rho_j summed
    over it by ``np.bincount`` (in demand order) equals the dense column sum bit for bit."""

    def __init__(self, row, col, val, n, levels=None, rank=None):
        self.row, self.col, self.val, self.n = row, col, val, n
        self.levels = np.unique(val) if levels is None else levels
        rank = np.searchsorted(self.levels, val) if rank is None else rank
        self.rank = rank
        self.key = row * (self.levels.size + 1) + rank
        self.start = np.searchsorted(row, np.arange(n))

    @classmethod
    def of_matrix(cls, WC):
        row, col = np.nonzero(np.isfinite(WC))
        val = WC[row, col]
        order = np.lexsort((val, row))
        return cls(row[order], col[order], val[order], WC.shape[0])

    def below_node(self, WC, opened, closed):
        """The pairs left below a node (from its parent's): none to a shut site, and none farther than the demand's
        nearest site already forced open (every solution serves a demand from its nearest open site). Dropping
        those lifts the open child's bound beyond the site's own reduced cost."""
        keep = ~closed[self.col]
        if opened.any():
            keep &= self.val <= WC[:, opened].min(axis=1)[self.row]
        return SortedPairs(self.row[keep], self.col[keep], self.val[keep], self.n, self.levels, self.rank[keep])

    def cheaper_than(self, lam):
        """Indices of the pairs whose cost is below the demand's multiplier (the rest add 0 to every rho_j)."""
        below = np.searchsorted(self.levels, lam)            # how many distinct costs lie below lam_i
        end = np.searchsorted(self.key, np.arange(self.n) * (self.levels.size + 1) + below)
        length = end - self.start
        return np.arange(int(length.sum())) + np.repeat(self.start - np.cumsum(length) + length, length)

    def lagrangian(self, lam, m):
        """rho_j = sum_i min(0, cost_ij - lam_i) for every site, and the pairs that enter it (row, column)."""
        idx = self.cheaper_than(lam)
        r, c = self.row[idx], self.col[idx]
        return np.bincount(c, self.val[idx] - lam[r], minlength=m), r, c


def _node_bound(pairs, lam, k_left, opened, free, upper, iterations, theta):
    """Subgradient ascent of the node's Lagrangian dual from ``lam`` on the node's ``pairs``: sites ``opened`` are
    open, ``k_left`` more are picked among ``free``. Returns (best bound, its multipliers, its pick, rho at the
    best, how many demands each site serves in the relaxation at the best)."""
    m, n = opened.size, pairs.n
    best, best_lam, best_pick, best_rho, best_served = -np.inf, lam, None, None, None
    stall = 0
    for _ in range(iterations):
        rho, r, c = pairs.lagrangian(lam, m)
        pick = opened.copy()
        if k_left > 0:
            pick[free[np.argpartition(rho[free], k_left - 1)[:k_left]]] = True
        value = float(lam.sum() + rho[pick].sum())
        if value > best + 1e-12 * max(1.0, abs(best)) or best_pick is None:
            best, best_lam, best_pick, best_rho, stall = max(best, value), lam, pick, rho, 0
            best_served = np.bincount(c, minlength=m)
        else:
            stall += 1
            if stall >= 5:
                theta, stall = theta / 2.0, 0
        if best >= upper or theta < 1e-3:
            break
        g = 1.0 - np.bincount(r[pick[c]], minlength=n)
        norm = float(g @ g)
        if norm == 0:
            break   # the relaxation's assignment is feasible: its value is the node's optimum
        lam = lam + theta * max(upper - value, 1e-9 * abs(upper)) / norm * g
    return best, best_lam, best_pick, best_rho, best_served


def branch_and_bound(C, w, fixed, k, upper, incumbent, lam, *, time_limit: Optional[float], gap_tol: float,
                     opened_root=None, iterations: int = 30, cancelled: Optional[Callable[[], bool]] = None):
    """Prove ``incumbent`` (a mask over the columns of ``C``, cost ``upper``) optimal or find a better choice.
    ``opened_root``: free sites the root's reductions proved open in every better solution (they count in k).

    Returns (best mask, best cost, lower bound, finished, {nodes, seconds}). ``finished``: the whole tree was explored, so the
    lower bound is the optimum up to ``gap_tol`` (nodes whose bound came within it of the incumbent were pruned)."""
    t0 = time.monotonic()
    WC = w[:, None] * C                        # inf where a pair is ruled out
    n, m = C.shape
    pairs = SortedPairs.of_matrix(WC)
    best_mask, best = incumbent.copy(), float(upper)
    tol = gap_tol * max(1.0, abs(best))
    # a node: (sites open, sites closed, multipliers, step size, its parent's pairs); depth first, the "open" child
    # explored first
    stack = [(fixed | (opened_root if opened_root is not None else False), np.zeros(m, bool), lam.copy(), 1.0, pairs)]
    pruned_low, nodes = np.inf, 0              # the lowest bound among nodes pruned within the tolerance
    fixed_any = False                          # sites fixed within the tolerance: the bound is best - tol at most
    finished = True
    while stack:
        if (time_limit is not None and time.monotonic() - t0 > time_limit) or (cancelled is not None and cancelled()):
            finished = False
            break
        opened, closed, lam_n, theta, parent_pairs = stack.pop()
        nodes += 1
        k_left = k - int((opened & ~fixed).sum())
        if k_left < 0 or k_left > int((~opened & ~closed).sum()):
            continue
        free = np.flatnonzero(~opened & ~closed)
        node_pairs = parent_pairs.below_node(WC, opened, closed)
        bound, lam_b, pick, rho, served = _node_bound(node_pairs, lam_n, k_left, opened, free, best - tol, iterations,
                                                      theta)
        # the relaxation's sites are a solution: keep it if it beats the incumbent
        d = C[:, pick].min(axis=1)
        if np.isfinite(d).all():
            cost = float(w @ d)
            if cost < best - 1e-9 * max(1.0, abs(best)):
                best, best_mask = cost, pick.copy()
                tol = gap_tol * max(1.0, abs(best))
        if bound >= best - tol:
            pruned_low = min(pruned_low, bound)
            continue
        # reduced-cost fixing within the subtree: a site whose opening (closing) alone lifts the bound past the
        # incumbent stays shut (open) below this node
        srt = np.sort(rho[free])
        kth = srt[k_left - 1] if k_left > 0 else -np.inf
        nxt = srt[k_left] if k_left < srt.size else np.inf
        closed = closed.copy()
        opened = opened.copy()
        shut_now = ~pick[free] & (bound + rho[free] - kth >= best - tol)
        open_now = pick[free] & (bound + nxt - rho[free] >= best - tol)
        fixed_any |= bool(shut_now.any() or open_now.any())
        closed[free] |= shut_now
        opened[free] |= open_now
        k_left = k - int((opened & ~fixed).sum())
        if k_left < 0 or k_left > int((~opened & ~closed).sum()):
            continue
        if k_left == 0:
            # every site is decided: the node holds one solution
            d = C[:, opened].min(axis=1) if opened.any() else np.full(n, np.inf)
            if np.isfinite(d).all() and float(w @ d) < best - 1e-9 * max(1.0, abs(best)):
                best, best_mask = float(w @ d), opened.copy()
                tol = gap_tol * max(1.0, abs(best))
            continue
        cand = np.flatnonzero(pick & ~opened & ~fixed)
        if cand.size == 0:   # the fixings moved the pick: bound the node again as it now stands
            stack.append((opened, closed, lam_b, theta, node_pairs))
            continue
        # branch on the relaxation's site with the most demands cheaper there than their multipliers: opening it
        # drops the most pairs (see SortedPairs.below_node), so the "open" child's bound rises most, and its "shut" child
        # loses the most. Against the surest site (most negative rho): pmed3's size 21 nodes instead of 751, pmed22's
        # 243 instead of 377, pmed39's 1419 instead of 2127
        j = cand[np.argmax(served[cand])]
        shut, keep = closed.copy(), opened.copy()
        shut[j], keep[j] = True, True
        stack.append((opened, shut, lam_b, theta, node_pairs))     # explored second
        stack.append((keep, closed, lam_b, theta, node_pairs))     # explored first
    lower = best if finished else -np.inf
    if finished:   # every solution left out costs at least its pruning threshold (best - tol, best only falls)
        lower = min(best, pruned_low, best - tol if fixed_any else np.inf)
    return best_mask, best, lower, finished, {"nodes": nodes, "seconds": time.monotonic() - t0}
