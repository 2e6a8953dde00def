"""Lagrangian branch-and-bound for the uncapacitated p-median (used by analysis/siting.py). Pure numpy.

Each node fixes some sites open and some closed; its bound is the Lagrangian dual of the assignment rows
(subgradient steps warm-started from the parent's multipliers), the same relaxation as the LP of the strong
formulation but about a hundred times cheaper to evaluate than HiGHS's simplex on it. Every node also proposes the
sites its relaxation picks (an upper bound) and fixes more sites by reduced costs. Nodes are taken best bound first,
so the smallest bound among the open nodes is a valid lower bound at any time.
"""
from __future__ import annotations

import heapq
import time

import numpy as np


def _node_bound(WC, lam, must, allowed, k_left):
    """Lagrangian value, reduced site costs rho and the picked sites for multipliers ``lam``."""
    red = np.minimum(WC - lam[:, None], 0.0)
    rho = red.sum(axis=0)
    pick = must.copy()
    cand = np.flatnonzero(allowed & ~must)
    if k_left > 0 and cand.size:
        take = min(k_left, cand.size)
        sel = cand[np.argpartition(rho[cand], take - 1)[:take]]
        sel = sel[rho[sel] < 0] if take < cand.size else sel
        pick[sel] = True
    value = float(lam.sum() + rho[pick].sum())
    return value, rho, pick, red


def branch_and_bound(C, w, fixed, k, lam0, upper, upper_mask, *, gap_tol=1e-6, time_limit=None, cancelled=None,
                     iterations=60, max_nodes=100000):
    """Minimise sum_i w_i min_{j open} C_ij with k sites besides ``fixed``; C may hold inf (pair not allowed).

    Returns (best mask, best cost, lower bound, stats). The bound is proven: it is the smallest bound of the nodes
    left open (or the best cost when none is left)."""
    t0 = time.monotonic()
    n, m = C.shape
    WC = w[:, None] * C
    Cf = np.where(np.isfinite(C), C, np.inf)
    best_mask, best = upper_mask.copy(), float(upper)
    tol = gap_tol * max(1.0, abs(best))

    def evaluate(mask):
        d = Cf[:, mask].min(axis=1) if mask.any() else np.full(n, np.inf)
        return float(w @ d) if np.isfinite(d).all() else np.inf

    heap = [(-np.inf, 0, fixed.copy(), np.ones(m, bool), lam0.copy(), 1.0)]
    counter, nodes, iters = 1, 0, 0
    while heap:
        bound, _, must, allowed, lam, theta = heapq.heappop(heap)
        if bound >= best - tol:
            continue
        if (time_limit is not None and time.monotonic() - t0 > time_limit) or (cancelled is not None and cancelled()):
            heapq.heappush(heap, (bound, counter, must, allowed, lam, theta))
            break
        nodes += 1
        if nodes > max_nodes:
            heapq.heappush(heap, (bound, counter, must, allowed, lam, theta))
            break
        k_left = k - int((must & ~fixed).sum())
        # a demand that no allowed site can serve makes the node infeasible
        if not np.isfinite(Cf[:, allowed]).any(axis=1).all():
            continue
        Wn = np.where(allowed[None, :], WC, np.inf)
        node_best, best_lam, stall = -np.inf, lam, 0
        for _ in range(iterations):
            iters += 1
            value, rho, pick, red = _node_bound(Wn, lam, must, allowed, k_left)
            if value > node_best + 1e-12 * max(1.0, abs(node_best)) or not np.isfinite(node_best):
                node_best, best_lam, best_rho, best_pick, stall = value, lam.copy(), rho, pick, 0
            else:
                stall += 1
                if stall >= 8:
                    theta, stall = theta * 0.5, 0
            if node_best >= best - tol or theta < 1e-5:
                break
            g = 1.0 - (red[:, pick] < 0).sum(axis=1)
            norm = float(g @ g)
            if norm == 0:
                break
            lam = np.maximum(lam + theta * max(best - value, tol) / norm * g, 0.0)
        bound = max(bound, node_best)
        # the relaxation's sites, filled up to k, are a solution
        cand = best_pick.copy()
        short = k - int((cand & ~fixed).sum())
        if short > 0:
            extra = np.flatnonzero(allowed & ~cand)
            cand[extra[np.argsort(best_rho[extra])[:short]]] = True
        val = evaluate(cand)
        if val < best - 1e-12 * max(1.0, abs(best)):
            best, best_mask = val, cand
            tol = gap_tol * max(1.0, abs(best))
        if bound >= best - tol:
            continue
        # reduced-cost fixing, then branch on the picked free site nearest to the cut-off
        free_pick = np.flatnonzero(best_pick & ~must)
        out = np.flatnonzero(allowed & ~best_pick)
        k_now = k - int((must & ~fixed).sum())
        kth = best_rho[free_pick].max() if (free_pick.size and free_pick.size >= k_now) else 0.0
        nxt = best_rho[out].min() if out.size else 0.0
        allowed = allowed & ~((~best_pick) & (node_best + best_rho - kth > best - tol))
        must = must | (best_pick & ~must & (node_best + np.minimum(nxt, 0.0) - best_rho > best - tol))
        free_pick = np.flatnonzero(best_pick & ~must)
        if free_pick.size == 0:
            # all picked sites are forced: the relaxation is tight here only if it serves everyone once; branch on
            # the most attractive unpicked allowed site instead
            cand_j = np.flatnonzero(allowed & ~must)
            if cand_j.size == 0 or k - int((must & ~fixed).sum()) <= 0:
                continue
            j = int(cand_j[np.argmin(best_rho[cand_j])])
        else:
            j = int(free_pick[np.argmax(best_rho[free_pick])])
        closed_child = allowed.copy()
        closed_child[j] = False
        open_child = must.copy()
        open_child[j] = True
        heapq.heappush(heap, (bound, counter, must, closed_child, best_lam, min(1.0, theta * 2)))
        counter += 1
        if int((open_child & ~fixed).sum()) <= k:
            heapq.heappush(heap, (bound, counter, open_child, allowed, best_lam, min(1.0, theta * 2)))
            counter += 1
    lower = min([h[0] for h in heap], default=best)
    lower = min(max(lower, -np.inf), best)
    return best_mask, best, lower, {"nodes": nodes, "iterations": iters, "open_nodes": len(heap),
                                    "seconds": time.monotonic() - t0}
