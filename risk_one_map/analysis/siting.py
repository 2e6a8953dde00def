"""Supply-depot siting (应急物资储备点选址): p-median, MCLP, LSCP and p-center on a travel-time matrix.

Pure numpy/scipy. The core follows spopt's ``from_cost_matrix`` pattern::

    problem = from_cost_matrix(minutes, population, fixed=is_existing_depot, capacity=people_per_site)
    sol = p_median(problem, k=3)             # or mclp(problem, k, max_cost), lscp(problem, max_cost), p_center(problem, k)
    sol.objective, sol.bound, sol.gap, sol.optimal

``k`` counts the NEW sites to open; sites marked ``fixed`` (existing depots kept) are always open on top of them.
Costs are any non-negative unit (minutes in this project); ``np.inf`` marks an unreachable pair.

Exact answers come from HiGHS (scipy.optimize.milp) on sparse matrices built here directly; for the p-median a
multi-start fast-swap heuristic and a Lagrangian bound first rule out most sites and pairs (see ``p_median``), and
with ``method="heuristic"`` they are the whole answer (large cases). Every answer carries its objective, a
proven bound and the gap; ``optimal`` is True only when the gap is within ``gap_tol``.
Demand points with zero weight are left out (nobody to supply); all-zero demand is an error.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy import sparse

from ..errors import RiskOneMapError
from . import _siting_bnb as bnb
from . import _siting_heuristic as heur
from . import _siting_milp as mip

MODELS = ("pmedian", "mclp", "lscp", "pcenter")
MODEL_NAMES = {"pmedian": "p-median (minimise population-weighted travel time)",
               "mclp": "MCLP (maximise population reached within T)",
               "lscp": "LSCP (fewest depots reaching everyone within T)",
               "pcenter": "p-center (minimise the worst travel time)"}
DEFAULT_GAP_TOL = 1e-6
MILP_PAIRS_PER_SECOND = 2000  # p-median: HiGHS gets at most this many (demand, site) pairs per second left
# p-median: above this gap between the incumbent and the Lagrangian bound after the reductions, the LP relaxation is
# weak (it equals the Lagrangian dual) and HiGHS must branch after a slow, degenerate root LP (20-30 s on sparse
# graphs of 500-900 nodes): the Lagrangian branch and bound goes first. Below it (county cases: the gap is
# closed or nearly) HiGHS finishes in well under a second.
BNB_GAP = 1e-3
# p-median, exact: this many starts first; the rest only where the relaxation's own sites, polished, do worse (on
# the sparse graphs they beat or tie them, and the other starts were most of the time: pmed30's size 20 of 29 CPU s)
FIRST_STARTS = 4
# p-median: probe only where the reduced costs leave HiGHS more pairs (1500 x 150: 9,767 pairs, 1.1 s in HiGHS, or
# 0.4 s probing and 1,504); on the sparse graphs with p = 60-200 (385-4,508 left) probing took seconds for nothing
PROBE_PAIRS = 5000
_NAMES_SHOWN = 12


@dataclass(frozen=True)
class SitingProblem:
    cost: np.ndarray            # (n demand, m candidates), inf = unreachable
    weights: np.ndarray         # (n,) people (or any demand weight)
    fixed: np.ndarray           # (m,) bool: always open (existing depots kept)
    capacity: np.ndarray        # (m,) people a site can supply; nan = unlimited
    demand_names: tuple
    candidate_names: tuple
    cost_unit: str = ""         # for messages, e.g. " min"

    @property
    def n_demand(self) -> int:
        return self.cost.shape[0]

    @property
    def n_candidates(self) -> int:
        return self.cost.shape[1]

    @property
    def n_free(self) -> int:
        return int((~self.fixed).sum())


@dataclass
class SitingSolution:
    model: str
    k: Optional[int]
    max_cost: Optional[float]
    open: np.ndarray            # indices of open sites (fixed ones included), sorted
    fixed: np.ndarray           # indices of the fixed sites
    assignment: np.ndarray      # per demand: index of its serving site (nearest open), -1 if none reachable
    assigned_cost: np.ndarray   # per demand: cost to that site (inf if none)
    allocation: tuple           # (demand idx, site idx, weight) arrays; several rows per demand when capacities split it
    objective: float
    bound: float
    gap: float
    optimal: bool
    solver: str
    build_seconds: float
    solve_seconds: float
    warnings: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def new(self) -> np.ndarray:
        return np.setdiff1d(self.open, self.fixed)

    def served_weight(self, n_sites: int) -> np.ndarray:
        d, s, wt = self.allocation
        return np.bincount(s, weights=wt, minlength=n_sites)


# -------------------------------------------------------------------------------------------------- problem
def from_cost_matrix(cost, weights=None, *, fixed=None, capacity=None, demand_names=None,
                     candidate_names=None, cost_unit: str = "") -> SitingProblem:
    """Check and wrap a cost matrix (n demand × m candidates; inf = unreachable, NaN not allowed)."""
    C = np.array(cost, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] == 0 or C.shape[1] == 0:
        raise RiskOneMapError(f"the cost matrix must be 2-D with at least one demand and one candidate, got shape {C.shape}")
    n, m = C.shape
    if np.isnan(C).any():
        raise RiskOneMapError("the cost matrix has NaN values; use inf for unreachable pairs")
    if (C < 0).any():
        raise RiskOneMapError("the cost matrix has negative travel times")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (n,):
        raise RiskOneMapError(f"{w.size} demand weights for {n} demand points")
    if not np.isfinite(w).all() or (w < 0).any():
        raise RiskOneMapError("demand weights must be finite and non-negative")
    fx = np.zeros(m, bool) if fixed is None else np.asarray(fixed, dtype=bool).ravel()
    if fx.shape != (m,):
        raise RiskOneMapError(f"{fx.size} fixed flags for {m} candidates")
    cap = np.full(m, np.nan) if capacity is None else np.asarray(capacity, dtype=np.float64).ravel()
    if cap.shape != (m,):
        raise RiskOneMapError(f"{cap.size} capacities for {m} candidates")
    if (cap[np.isfinite(cap)] < 0).any():
        raise RiskOneMapError("candidate capacities must be non-negative")
    cap = np.where(np.isinf(cap), np.nan, cap)
    dn = tuple(str(x) for x in demand_names) if demand_names is not None else tuple(f"demand {i}" for i in range(n))
    cn = tuple(str(x) for x in candidate_names) if candidate_names is not None else tuple(f"site {j}" for j in range(m))
    if len(dn) != n or len(cn) != m:
        raise RiskOneMapError("demand_names / candidate_names do not match the cost matrix")
    return SitingProblem(C, w, fx, cap, dn, cn, str(cost_unit))


def _names(problem, idx) -> str:
    idx = list(idx)
    shown = ", ".join(problem.demand_names[i] for i in idx[:_NAMES_SHOWN])
    return shown + (f" and {len(idx) - _NAMES_SHOWN} more" if len(idx) > _NAMES_SHOWN else "")


def _active(problem, *, drop_unreachable=True):
    """Demands to serve (weight > 0 and reachable from some candidate), with warnings for the rest."""
    w = problem.weights
    if not (w > 0).any():
        raise RiskOneMapError("zero demand everywhere: every demand point has weight (population) 0; nothing to site for")
    reach = np.isfinite(problem.cost).any(axis=1)
    warnings = []
    if drop_unreachable and ((w > 0) & ~reach).any():
        bad = np.flatnonzero((w > 0) & ~reach)
        warnings.append(f"{bad.size} demand point(s) with {w[bad].sum():.0f} people cannot reach any candidate site by "
                        f"road and are left out: {_names(problem, bad)}")
    act = np.flatnonzero((w > 0) & (reach if drop_unreachable else True))
    return act, warnings


def _check_k(problem, k, model) -> int:
    if k is None:
        raise RiskOneMapError(f"{model} needs k, the number of new sites to open")
    k = int(k)
    if k < 0:
        raise RiskOneMapError(f"k must be 0 or more, got {k}")
    if k > problem.n_free:
        raise RiskOneMapError(f"k={k} is larger than the {problem.n_free} candidate sites available"
                              + (f" (besides the {int(problem.fixed.sum())} kept open)" if problem.fixed.any() else ""))
    if k == 0 and not problem.fixed.any():
        raise RiskOneMapError("k=0 and no existing depot kept: nothing would be open")
    return k


def _gap(objective, bound, maximise=False) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return np.inf
    diff = (bound - objective) if maximise else (objective - bound)
    return max(0.0, diff) / max(abs(objective), abs(bound), 1e-12)


def _nearest_allocation(problem, open_mask):
    C = problem.cost[:, open_mask]
    idx = np.flatnonzero(open_mask)
    if idx.size == 0:
        n = problem.n_demand
        return np.full(n, -1), np.full(n, np.inf)
    j = np.argmin(C, axis=1)
    d = C[np.arange(C.shape[0]), j]
    a = np.where(np.isfinite(d), idx[j], -1)
    return a, d


def _finish(problem, model, k, max_cost, open_mask, objective, bound, *, maximise=False, solver, build, solve,
            gap_tol, warnings, stats, allocation=None) -> SitingSolution:
    a, d = _nearest_allocation(problem, open_mask)
    if allocation is None:
        ok = (a >= 0) & (problem.weights > 0)
        allocation = (np.flatnonzero(ok), a[ok], problem.weights[ok])
    gap = _gap(objective, bound, maximise)
    return SitingSolution(model, k, max_cost, np.flatnonzero(open_mask), np.flatnonzero(problem.fixed), a, d,
                          allocation, float(objective), float(bound), float(gap), bool(gap <= gap_tol), solver,
                          float(build), float(solve), list(warnings), dict(stats))


def _finite_penalised(C):
    finite = C[np.isfinite(C)]
    big = (finite.max() if finite.size else 1.0) * 100.0 + 1.0
    return np.where(np.isfinite(C), C, big), big


# -------------------------------------------------------------------------------------------------- p-median
def p_median(problem: SitingProblem, k, *, method: str = "exact", time_limit: Optional[float] = 120.0,
             gap_tol: float = DEFAULT_GAP_TOL, starts: int = 16, seed: int = 0, lagrangian_iterations: int = 1000,
             probe_iterations: int = 60,
             progress: Optional[Callable[[float], None]] = None,
             cancelled: Optional[Callable[[], bool]] = None) -> SitingSolution:
    """Minimise the weighted travel cost with k new sites (fixed ones kept).

    method "exact": (1) multi-start fast swap, also started from the relaxation's sites (upper bound; the starts
    after the first ``FIRST_STARTS`` run only where the relaxation's sites came out worse than those); (2) Lagrangian
    relaxation of the assignment rows (lower bound); (3) reduced-cost tests and probing (each site forced the other
    way, a few warm-started subgradient steps) rule out the sites and (demand, site) pairs that cannot beat the
    incumbent, and the bound is re-optimised without them; (4) HiGHS solves the strong formulation (x_ij <= y_j) on
    what is left, with the incumbent as cut-off, until the gap closes or ``time_limit`` runs out; where the gap
    after (2) stays above ``BNB_GAP`` (sparse road graphs with unit demand: the LP relaxation itself is weak there)
    or too many pairs are left for HiGHS, a Lagrangian branch and bound (``_siting_bnb``) replaces (3)'s probing and
    (4). On 2000 x 200, k=10
    this leaves ~5,000 of 400,000 pairs. The closer the incumbent, the stronger (3): starts are worth their time.
    method "heuristic": (1) and (2) only.
    Capacities (any finite ``problem.capacity``) switch to the capacitated MILP.
    """
    if method not in ("exact", "heuristic"):
        raise RiskOneMapError(f"unknown method {method!r}; use 'exact' or 'heuristic'")
    k = _check_k(problem, k, "p-median")
    t_start = time.monotonic()
    progress = progress or (lambda f: None)
    act, warnings = _active(problem)
    C, w, fixed = problem.cost[act], problem.weights[act], problem.fixed
    if np.isfinite(problem.capacity).any():
        if method == "heuristic":
            warnings.append("capacities given: solved with the capacitated MILP instead of the heuristic")
        return _capacitated(problem, k, act, warnings, time_limit, gap_tol)
    stats = {"n_demand": int(act.size), "n_candidates": problem.n_candidates}
    Cp, big = _finite_penalised(C)
    progress(0.02)
    # 1. upper bound: multi-start interchange
    heur_limit = None if time_limit is None else (0.6 if method == "heuristic" else 0.25) * time_limit
    first = starts if method == "heuristic" else min(starts, FIRST_STARTS)
    more_starts = True   # the starts after the first: not where the relaxation's own sites do as well
    mask, _, hs = heur.interchange(Cp, w, fixed, k, starts=first, seed=seed, time_limit=heur_limit, cancelled=cancelled)
    stats["heuristic"] = hs
    seconds = stats["seconds"] = {"heuristic": hs["seconds"]}   # the parts of the time, for the benchmark
    best_mask, best_ub = mask, _true_cost(C, w, mask)
    progress(0.3)
    # 2. lower bound: Lagrangian relaxation of the assignment rows (every iterate is a valid bound)
    if k == problem.n_free:
        lb, lam = best_ub, None  # every site open: nothing to choose
    elif not np.isfinite(best_ub):
        lb, lam = -np.inf, np.zeros(C.shape[0])  # no incumbent reaches everyone: the MILP decides
    else:
        share = 0.9 if method == "heuristic" else 0.5   # of the time limit, by the end of the bound
        remaining = None if time_limit is None else max(1.0, share * time_limit - (time.monotonic() - t_start))
        lb, ls = heur.lagrangian_bound(C, w, fixed, k, best_ub, iterations=lagrangian_iterations,
                                       time_limit=remaining, cancelled=cancelled)
        lam = ls.pop("lam")
        lam_best = lam
        stats["lagrangian"] = ls
        seconds["lagrangian"] = ls["seconds"]
        t_part = time.monotonic()
        # the relaxation's own sites, polished by the interchange, often beat the multi-start
        lmask, _, _ = heur.interchange(Cp, w, fixed, k, starts=1, initial=heur.lagrangian_pick(C, w, fixed, k, lam),
                                       time_limit=None if time_limit is None else 0.1 * time_limit,
                                       cancelled=cancelled)
        lval = _true_cost(C, w, lmask)
        stats["lagrangian_start_improved"] = bool(lval < best_ub)
        more_starts = bool(lval > best_ub)
        seconds["lagrangian_start"] = time.monotonic() - t_part
        if lval < best_ub:
            best_mask, best_ub = lmask, lval
    if first < starts and more_starts and _gap(best_ub, lb) > gap_tol:
        # the rest of the starts; their best replaces the first ones' as a single call's would
        rest_limit = None if heur_limit is None else max(0.0, heur_limit - hs["seconds"])
        mask, cost, more = heur.interchange(Cp, w, fixed, k, starts=starts, seed=seed, time_limit=rest_limit,
                                            cancelled=cancelled, first_start=first)
        for key in ("starts", "swaps", "seconds"):
            hs[key] += more[key]
        seconds["heuristic"] = hs["seconds"]
        if mask is not None and cost < _true_cost(Cp, w, best_mask) - 1e-9 * max(1.0, float(w.sum()) * float(Cp.max())):
            best_mask, best_ub = mask, _true_cost(C, w, mask)
    progress(0.5)
    if method == "heuristic" and not np.isfinite(best_ub):
        warnings.append("some demand points cannot reach any chosen site by road; the objective is infinite")
    if method == "heuristic" or lam is None or _gap(best_ub, lb) <= gap_tol:
        progress(1.0)
        solver = "fast-swap interchange + Lagrangian bound" if lam is not None else "all sites open"
        return _finish(problem, "pmedian", k, None, best_mask, best_ub, lb, solver=solver, build=0.0,
                       solve=time.monotonic() - t_start, gap_tol=gap_tol, warnings=warnings, stats=stats)
    # 3. exact: reduced costs rule out sites and (demand, site) pairs that cannot beat the incumbent; HiGHS does the rest
    t_part = time.monotonic()
    if np.isfinite(best_ub):
        closed, opened, _, pairs = heur.lagrangian_fixing(C, w, fixed, k, lam, best_ub)
        # probing: each remaining site forced the other way, a few warm-started subgradient steps each. Not where
        # the gap sends the case to the branch and bound, which fixes sites node by node: on pmed39's size probing
        # took half the CPU and left the tree hardly smaller (5355 nodes with it, 4893 without). Nor below PROBE_PAIRS
        keep = np.flatnonzero(~closed)
        probe_limit = None if time_limit is None else 0.15 * time_limit
        if _gap(best_ub, lb) > BNB_GAP or int(pairs.sum()) <= PROBE_PAIRS:
            pc, po = np.zeros(keep.size, bool), np.zeros(keep.size, bool)
        else:
            pc, po = heur.lagrangian_probe(C[:, keep], w, fixed[keep], k, lam, best_ub, best_mask[keep],
                                           iterations=probe_iterations, time_limit=probe_limit, cancelled=cancelled)
        stats["sites_ruled_out_by_probing"] = int(pc.sum())
        closed[keep[pc]] = True
        opened[keep[po]] = True
        if pc.any():  # without those sites the Lagrangian bound rises: re-optimise it and rule out more pairs
            keep = np.flatnonzero(~closed)
            lb2, ls2 = heur.lagrangian_bound(C[:, keep], w, fixed[keep], k, best_ub, iterations=300, lam0=lam,
                                             time_limit=probe_limit, cancelled=cancelled)
            if lb2 > lb:   # the multipliers of the higher bound start the branch and bound
                lam_best = ls2["lam"]
            lb = max(lb, min(lb2, best_ub))
            c2, o2, _, p2 = heur.lagrangian_fixing(C[:, keep], w, fixed[keep], k, ls2["lam"], best_ub)
            closed[keep[c2]] = True
            opened[keep[o2]] = True
            pairs = np.zeros_like(pairs)
            pairs[:, keep] = p2
        pairs &= ~closed[None, :]
    else:
        closed, opened, pairs = np.zeros_like(fixed), np.zeros_like(fixed), np.isfinite(C)
    seconds["reductions"] = time.monotonic() - t_part
    c, A, rlb, rub, integ, vlb, vub, sites, (pi, pj), build_s = mip.pmedian_on_pairs(C, w, fixed, k, pairs, opened)
    stats.update(sites_ruled_out=int(closed.sum()), sites_fixed_open=int(opened.sum()), pairs=int(pi.size),
                 pairs_full=int(np.isfinite(C).sum()), n_vars=int(c.size), n_rows=int(A.shape[0]), nnz=int(A.nnz))
    remaining = None if time_limit is None else max(0.5, time_limit - (time.monotonic() - t_start))
    too_large = remaining is not None and np.isfinite(best_ub) and pi.size > MILP_PAIRS_PER_SECOND * remaining
    if np.isfinite(best_ub) and (too_large or _gap(best_ub, lb) > BNB_GAP):
        # 4'. Lagrangian branch and bound on what the reductions left (see _siting_bnb)
        keep = np.flatnonzero(~closed)
        sub = np.where(pairs, C, np.inf)[:, keep]
        m_best, v_best, lo, finished, bs = bnb.branch_and_bound(
            sub, w, fixed[keep], k, best_ub, best_mask[keep], lam_best, time_limit=remaining, gap_tol=gap_tol * 0.5,
            opened_root=opened[keep], cancelled=cancelled)
        stats["branch_and_bound"] = bs
        seconds["branch_and_bound"] = bs["seconds"]
        if v_best < best_ub:
            best_mask = np.zeros_like(fixed)
            best_mask[keep[m_best]] = True
            best_mask |= fixed
            best_ub = _true_cost(C, w, best_mask)
        if finished:
            lb = max(lb, min(lo, best_ub))
        else:
            warnings.append(f"time limit reached: the answer is within {100 * _gap(best_ub, lb):.3g}% of the "
                            f"optimum, not proven optimal")
        progress(1.0)
        return _finish(problem, "pmedian", k, None, best_mask, best_ub, lb,
                       solver="Lagrangian branch and bound on reduced pairs + fast swap", build=build_s,
                       solve=time.monotonic() - t_start - build_s, gap_tol=gap_tol, warnings=warnings, stats=stats)
    if too_large:
        # HiGHS (1.8 in scipy, 1.16 too) does not stop its root LP at the time limit: a model this large would
        # overrun it by minutes. Answer with the incumbent and the Lagrangian bound instead, and say so.
        warnings.append(f"time limit: the exact step was skipped ({pi.size} pairs left for {remaining:.0f} s); the "
                        f"answer is within {100 * _gap(best_ub, lb):.3g}% of the optimum, not proven optimal")
        stats["milp_status"] = "skipped: too large for the time left"
        progress(1.0)
        return _finish(problem, "pmedian", k, None, best_mask, best_ub, lb,
                       solver="fast-swap interchange + Lagrangian bound and reductions", build=build_s,
                       solve=time.monotonic() - t_start - build_s, gap_tol=gap_tol, warnings=warnings, stats=stats)
    out = mip.solve(c, A, rlb, rub, integ, vlb, vub, time_limit=remaining, gap_tol=gap_tol * 0.5,
                    known=best_ub if np.isfinite(best_ub) else None,
                    cutoff=best_ub * (1 + 1e-7) + 1e-9 if np.isfinite(best_ub) else None)
    stats["milp_status"] = out.message
    stats["milp_seconds"] = round(out.seconds, 3)
    seconds["milp"] = out.seconds
    if out.x is not None and out.status in (0, 1):
        cand = fixed.copy()
        cand[sites[out.x[:sites.size] > 0.5]] = True
        cand = heur.greedy_fill(Cp, w, cand, k - int((cand & ~fixed).sum()), ~fixed)
        val = _true_cost(C, w, cand)
        if val < best_ub:
            best_mask, best_ub = cand, val
    if out.status == 0:
        # HiGHS proved nothing on the pairs beats out.bound; pairs left out cannot beat the incumbent
        lb = max(lb, min(out.bound, best_ub))
    elif out.status == 2:
        if not np.isfinite(best_ub):
            raise RiskOneMapError(f"no choice of {k} new sites reaches every demand point by road; raise k, add "
                                  f"candidate sites or check the road network (layer roads)", layer="depot_candidates")
        lb = best_ub  # nothing on the pairs is feasible below the incumbent: the incumbent is optimal
    else:
        lb = max(lb, min(out.bound, best_ub))
        warnings.append(f"time limit reached: the answer is within {100 * _gap(best_ub, lb):.3g}% of the optimum, "
                        f"not proven optimal")
    progress(1.0)
    return _finish(problem, "pmedian", k, None, best_mask, best_ub, lb,
                   solver="HiGHS MILP on Lagrangian-reduced pairs + fast swap", build=build_s,
                   solve=time.monotonic() - t_start - build_s,
                   gap_tol=gap_tol, warnings=warnings, stats=stats)


def _true_cost(C, w, mask) -> float:
    if not mask.any():
        return np.inf
    d = C[:, mask].min(axis=1)
    return float(w @ d) if np.isfinite(d[w > 0]).all() else np.inf


def _capacitated(problem, k, act, warnings, time_limit, gap_tol) -> SitingSolution:
    C, w, fixed, cap = problem.cost[act], problem.weights[act], problem.fixed, problem.capacity
    if not np.isfinite(cap).all():
        pass  # sites without a capacity are unlimited (no capacity row)
    else:
        top = np.sort(cap[~fixed])[::-1][:k].sum() + cap[fixed].sum()
        if top < w.sum() - 1e-9:
            raise RiskOneMapError(f"the {k} largest candidate capacities plus the kept depots hold {top:.0f} people, "
                                  f"less than the {w.sum():.0f} to supply; raise k or the capacities")
    c, A, lb, ub, integ, n_y, pi, pj, build = mip.capacitated_pmedian(C, w, fixed, k, cap)
    out = mip.solve(c, A, lb, ub, integ, np.zeros(c.size), np.ones(c.size), time_limit=time_limit, gap_tol=gap_tol * 0.5)
    if out.status == 2:
        raise RiskOneMapError(f"no choice of {k} new sites can supply everyone within the capacities (or by road); "
                              f"raise k or the capacities", layer="depot_candidates", field="capacity")
    if out.x is None:
        raise RiskOneMapError(f"the capacitated p-median found no feasible answer within the time limit ({out.message})")
    mask = fixed.copy()
    mask[np.flatnonzero(~fixed)[out.x[:n_y] > 0.5]] = True
    x = out.x[n_y:]
    keep = x > 1e-7
    allocation = (act[pi[keep]], pj[keep], w[pi[keep]] * x[keep])
    stats = {"n_vars": out.n_vars, "n_rows": out.n_rows, "nnz": out.nnz, "milp_status": out.message, "capacitated": True}
    if out.status == 1:
        warnings.append("time limit reached: not proven optimal")
    sol = _finish(problem, "pmedian", k, None, mask, out.objective, out.bound, solver="HiGHS MILP (capacitated p-median)",
                  build=build, solve=out.seconds, gap_tol=gap_tol, warnings=warnings, stats=stats, allocation=allocation)
    # the serving site of a split demand is the one that supplies most of it
    d_idx, s_idx, wt = allocation
    order = np.lexsort((-wt, d_idx))
    first = order[np.r_[True, d_idx[order][1:] != d_idx[order][:-1]]]
    sol.assignment[d_idx[first]] = s_idx[first]
    sol.assigned_cost[d_idx[first]] = problem.cost[d_idx[first], s_idx[first]]
    return sol


# -------------------------------------------------------------------------------------------------- MCLP / LSCP
def _cover(problem, act, max_cost):
    if max_cost is None or not np.isfinite(max_cost) or max_cost < 0:
        raise RiskOneMapError(f"a maximum travel time T (>= 0) is needed, got {max_cost}")
    return problem.cost[act] <= max_cost


def mclp(problem: SitingProblem, k, max_cost, *, time_limit: Optional[float] = 120.0, gap_tol: float = DEFAULT_GAP_TOL,
         progress=None, cancelled=None) -> SitingSolution:
    """Maximise the weight within ``max_cost`` of an open site, with k new sites (kept ones count as covering)."""
    k = _check_k(problem, k, "MCLP")
    act, warnings = _active(problem, drop_unreachable=False)
    t0 = time.monotonic()
    cov = _cover(problem, act, max_cost)
    w = problem.weights[act]
    free = ~problem.fixed
    by_fixed = cov[:, problem.fixed].any(axis=1)
    rest = ~by_fixed & cov[:, free].any(axis=1)
    base = float(w[by_fixed].sum())
    never = ~by_fixed & ~rest
    if never.any():
        warnings.append(f"{int(never.sum())} demand point(s) with {w[never].sum():.0f} people have no candidate within "
                        f"{max_cost:g}{problem.cost_unit}: {_names(problem, act[never])}")
    mask = problem.fixed.copy()
    stats = {"n_demand": int(act.size), "covered_by_kept": base}
    if rest.any() and k > 0:
        sub = cov[np.ix_(rest, free)]
        known = mip.greedy_coverage(sub, w[rest], k)
        build = time.monotonic() - t0
        out, y, build2 = mip.mclp(sparse.csr_array(sub), w[rest], k, time_limit=time_limit, gap_tol=gap_tol * 0.5,
                                  known=known)
        build += build2
        stats.update(n_vars=out.n_vars, n_rows=out.n_rows, nnz=out.nnz, milp_status=out.message)
        if y is None:
            raise RiskOneMapError(f"MCLP found no answer within the time limit ({out.message})")
        mask[np.flatnonzero(free)[y]] = True
        objective, bound, solve_s = base + out.objective, base + out.bound, out.seconds
        if out.status == 1:
            warnings.append("time limit reached: not proven optimal")
    else:
        build, solve_s = time.monotonic() - t0, 0.0
        objective = bound = base
    mask = _fill(problem, act, mask, k)
    objective = max(objective, float(w[cov[:, mask].any(axis=1)].sum()))
    return _finish(problem, "mclp", k, float(max_cost), mask, objective, bound, maximise=True,
                   solver="HiGHS MILP (coverage)", build=build, solve=solve_s, gap_tol=gap_tol, warnings=warnings,
                   stats=stats)


def _fill(problem, act, mask, k):
    """Open the sites the exact model left unused (it needed fewer than k) where they cut the weighted time most."""
    n_more = k - int((mask & ~problem.fixed).sum())
    if n_more <= 0:
        return mask
    Cp, _ = _finite_penalised(problem.cost[act])
    return heur.greedy_fill(Cp, problem.weights[act], mask, n_more, ~problem.fixed)


def lscp(problem: SitingProblem, max_cost, *, time_limit: Optional[float] = 120.0, gap_tol: float = DEFAULT_GAP_TOL,
         progress=None, cancelled=None) -> SitingSolution:
    """The fewest new sites so that every demand point is within ``max_cost`` of an open site (kept ones included).

    Raises RiskOneMapError naming the demand points that no candidate reaches within ``max_cost``.
    """
    act, warnings = _active(problem, drop_unreachable=False)
    t0 = time.monotonic()
    cov = _cover(problem, act, max_cost)
    free = ~problem.fixed
    need = ~cov[:, problem.fixed].any(axis=1)
    orphan = need & ~cov[:, free].any(axis=1)
    if orphan.any():
        raise RiskOneMapError(f"LSCP is infeasible: no candidate site within {max_cost:g}{problem.cost_unit} of "
                              f"{int(orphan.sum())} demand point(s): {_names(problem, act[orphan])}; "
                              f"add candidate sites near them or raise the time limit T")
    mask = problem.fixed.copy()
    stats = {"n_demand": int(act.size), "covered_by_kept": int((~need).sum())}
    if need.any():
        sub = cov[np.ix_(need, free)]
        out, y, build = mip.set_cover(sparse.csr_array(sub), time_limit=time_limit, gap_tol=gap_tol * 0.5,
                                      known=float(mip.greedy_cover(sub).sum()))
        build = time.monotonic() - t0 - out.seconds
        stats.update(n_vars=out.n_vars, n_rows=out.n_rows, nnz=out.nnz, milp_status=out.message)
        if y is None:
            raise RiskOneMapError(f"LSCP found no answer within the time limit ({out.message})")
        mask[np.flatnonzero(free)[y]] = True
        objective, bound, solve_s = float(y.sum()), float(np.ceil(out.bound - 1e-6)), out.seconds
        if out.status == 1:
            warnings.append("time limit reached: not proven optimal")
    else:
        build, solve_s, objective, bound = time.monotonic() - t0, 0.0, 0.0, 0.0
    sol = _finish(problem, "lscp", int(objective), float(max_cost), mask, objective, bound, solver="HiGHS MILP (set cover)",
                  build=build, solve=solve_s, gap_tol=gap_tol, warnings=warnings, stats=stats)
    if objective == 0 and bound == 0:
        sol.gap, sol.optimal = 0.0, True
    return sol


# -------------------------------------------------------------------------------------------------- p-center
def p_center(problem: SitingProblem, k, *, time_limit: Optional[float] = 120.0, gap_tol: float = DEFAULT_GAP_TOL,
             progress=None, cancelled=None) -> SitingSolution:
    """Minimise the worst cost to the nearest open site, with k new sites: binary search over the distinct costs,
    each step a set-cover MILP ("can k sites reach everyone within R?"), from a farthest-first start."""
    k = _check_k(problem, k, "p-center")
    t0 = time.monotonic()
    progress = progress or (lambda f: None)
    act, warnings = _active(problem)
    C, fixed = problem.cost[act], problem.fixed
    free = ~fixed
    n = C.shape[0]
    Cp, big = _finite_penalised(C)
    start = heur.gonzalez(Cp, fixed, k)
    start = heur.greedy_fill(Cp, problem.weights[act], start, k - int((start & free).sum()), free)
    best_mask, best_val = start, float(C[:, start].min(axis=1).max())
    lower = float(C.min(axis=1).max())               # each demand's nearest candidate
    values = np.unique(C[np.isfinite(C)])
    values = values[(values >= lower) & (values <= best_val)]
    lo, hi = 0, values.size - 1                      # answer in values[lo..hi]; values[hi] is feasible (best_val)
    proven_lo = lo
    checks, build_s, solve_s = 0, 0.0, 0.0
    while lo < hi:
        if cancelled is not None and cancelled():
            from ..errors import Cancelled
            raise Cancelled()
        mid = (lo + hi) // 2
        R = values[mid]
        cov = C <= R
        need = ~cov[:, fixed].any(axis=1)
        remaining = None if time_limit is None else max(0.5, time_limit - (time.monotonic() - t0))
        checks += 1
        proven = True
        if not need.any():
            feasible, y = True, np.zeros(int(free.sum()), bool)
        elif not cov[need][:, free].any(axis=1).all():
            feasible, y = False, None
        else:
            sub = cov[np.ix_(need, free)]
            greedy = mip.greedy_cover(sub)
            if greedy.sum() <= k:  # the greedy cover already fits: no MILP needed
                feasible, y = True, greedy
            else:
                feasible, y, proven, b, sec = _cover_check(sub, k, remaining, float(greedy.sum()))
                build_s += b
                solve_s += sec
        if feasible:
            hi = mid
            mask = fixed.copy()
            mask[np.flatnonzero(free)[y]] = True
            mask = heur.greedy_fill(Cp, problem.weights[act], mask, k - int((mask & free).sum()), free)
            best_mask, best_val = mask, float(C[:, mask].min(axis=1).max())
        else:
            lo = mid + 1
            if proven:  # infeasible at R means infeasible below R too
                proven_lo = max(proven_lo, lo)
        progress(min(0.95, checks / max(1.0, np.log2(max(values.size, 2)) + 1)))
        if time_limit is not None and time.monotonic() - t0 > time_limit:
            warnings.append("time limit reached during the radius search")
            break
    bound = float(values[min(proven_lo, values.size - 1)]) if values.size else best_val
    bound = min(max(bound, lower), best_val)
    stats = {"n_demand": int(n), "radius_checks": checks, "distinct_costs": int(values.size)}
    progress(1.0)
    return _finish(problem, "pcenter", k, None, best_mask, best_val, bound, solver="radius search + HiGHS set-cover MILP",
                   build=build_s, solve=time.monotonic() - t0 - build_s, gap_tol=gap_tol, warnings=warnings,
                   stats=stats)


def _cover_check(sub, k, time_limit, greedy_count):
    """Can k sites cover every row of ``sub``? (feasible, chosen columns, proven, build s, solve s)."""
    out, y, build = mip.set_cover(sparse.csr_array(sub), time_limit=time_limit, gap_tol=0.0, known=greedy_count)
    if out.status == 0:
        return bool(y.sum() <= k), y, True, build, out.seconds
    if np.ceil(out.bound - 1e-6) > k:
        return False, y, True, build, out.seconds
    if y is not None and y.sum() <= k:
        return True, y, True, build, out.seconds
    return False, y, False, build, out.seconds  # unknown: search on, but the bound stays where it was proven


# -------------------------------------------------------------------------------------------------- dispatch
def solve(problem: SitingProblem, model: str, *, k=None, max_cost=None, **options) -> SitingSolution:
    """One entry point for the four models (``model`` in MODELS)."""
    if model == "pmedian":
        return p_median(problem, k, **options)
    if model == "mclp":
        return mclp(problem, k, max_cost, **_only(options, "time_limit", "gap_tol", "progress", "cancelled"))
    if model == "lscp":
        return lscp(problem, max_cost, **_only(options, "time_limit", "gap_tol", "progress", "cancelled"))
    if model == "pcenter":
        return p_center(problem, k, **_only(options, "time_limit", "gap_tol", "progress", "cancelled"))
    raise RiskOneMapError(f"unknown siting model {model!r}; use one of {', '.join(MODELS)}")


def _only(options, *names):
    return {n: options[n] for n in names if n in options}


def reach_shares(solution: SitingSolution, weights, limits: dict) -> dict:
    """Share of the weight within each limit {name: max cost} of its serving site, and the demand indices beyond."""
    w = np.asarray(weights, float)
    total = float(w.sum()) or 1.0
    d = solution.assigned_cost
    out = {}
    for name, limit in limits.items():
        ok = d <= limit
        out[name] = {"limit": float(limit), "share": float(w[ok].sum() / total),
                     "beyond": np.flatnonzero(~ok & (w > 0)).tolist()}
    return out
