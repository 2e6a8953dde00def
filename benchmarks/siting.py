"""Depot siting against spopt (PuLP + HiGHS), one run, the same cost matrices for both.

    .venv/bin/pip install -r requirements-bench.txt -c .venv/constraints.txt
    .venv/bin/python benchmarks/siting.py            # the issue's sizes (several minutes: spopt is the slow side)
    .venv/bin/python benchmarks/siting.py --quick    # small sizes, under a minute

Cases (sizes from the command line):
1. p-median N×M, k (default 2000×200, k=10): both to the proven optimum; ratio of spopt's time to ours
   (target: ours ≤ 1/20 of spopt's).
2. MCLP N×M (default 5000×500, k=20, T=15 min): build and solve times apart (target: our build ≤ our solve).
3. large p-median N×M, k (default 5000×500, k=20): our heuristic + Lagrangian bound and our exact run with a time
   limit, against spopt with a time limit (``--large-spopt-limit``; the issue compares with a 240 s MIP run).
4. ``--graphs``: the classic sparse-graph family, generated here with the sizes of Beasley's OR-Library pmed1-40
   (n = 100-900 nodes, 2n²/100 edges (200 for n = 100), p = 5 to n/3, 40 instances): a random spanning tree plus
   random edges, integer edge lengths 1-100, all-pairs shortest paths, unit demand, every node a candidate. Each
   instance is solved to a proof of optimality within ``--graph-limit`` s (the issue's target: every one within
   60 s); time (wall and CPU), objective, bound, the branch and bound's nodes and the parts of the time per
   instance. ``--graph-check-n``: up to this n the
   optimum is checked by the textbook MIP solved by HiGHS alone (an independent proof).
Instances: demand points and candidate sites uniform in a 100 km square, straight-line minutes at 40 km/h, integer
populations 1..1000. Timings on a shared machine are noisy: compare within one run.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from risk_one_map.analysis import siting as S  # noqa: E402


def instance(n, m, seed):
    rng = np.random.default_rng(seed)
    d, f = rng.random((n, 2)) * 100.0, rng.random((m, 2)) * 100.0
    minutes = np.hypot(d[:, None, 0] - f[None, :, 0], d[:, None, 1] - f[None, :, 1]) / 40.0 * 60.0
    return minutes, rng.integers(1, 1001, n).astype(float)


# OR-Library pmed1-40 (Beasley 1985): nodes, edges, the p of each instance
PMED_FAMILY = [(100, 200, (5, 10, 10, 20, 33)), (200, 800, (5, 10, 20, 40, 67)), (300, 1800, (5, 10, 30, 60, 100)),
               (400, 3200, (5, 10, 40, 80, 133)), (500, 5000, (5, 10, 50, 100, 167)),
               (600, 7200, (5, 10, 60, 120, 200)), (700, 9800, (5, 10, 70, 140)), (800, 12800, (5, 10, 80)),
               (900, 16200, (5, 10, 90))]


def graph_instance(n, edges, seed):
    """All-pairs shortest paths of a connected random graph: a random spanning tree, then random extra edges (each
    pair once) up to ``edges``, integer lengths 1-100."""
    from scipy import sparse
    from scipy.sparse.csgraph import shortest_path
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    a = np.r_[order[1:], rng.integers(0, n, 3 * edges)]
    b = np.r_[order[rng.integers(0, np.arange(1, n))], rng.integers(0, n, 3 * edges)]
    _, first = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_index=True)
    first = np.sort(first[a[first] != b[first]])[:edges]   # the tree's edges come first, so they all stay
    length = rng.integers(1, 101, first.size).astype(float)
    roads = sparse.coo_array((length, (a[first], b[first])), shape=(n, n)).tocsr()
    return shortest_path(roads, directed=False)


def load_average():
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def parse_size(text):
    n, m = text.lower().split("x")
    return int(n), int(m)


# -------------------------------------------------------------------------------------------------- spopt side
def spopt_available():
    try:
        import pulp  # noqa: F401
        import spopt  # noqa: F401
        return True, ""
    except Exception as exc:  # pragma: no cover
        return False, f"spopt/pulp not importable ({exc}); pip install -r requirements-bench.txt"


def spopt_run(kind, cost, w, k, T=None, time_limit=None):
    import pulp
    from spopt.locate import MCLP, PMedian
    t0 = time.monotonic()
    if kind == "pmedian":
        model = PMedian.from_cost_matrix(cost, w, p_facilities=k)
    else:
        model = MCLP.from_cost_matrix(cost, w, service_radius=T, p_facilities=k)
    build = time.monotonic() - t0
    solver = pulp.HiGHS(msg=False, timeLimit=time_limit) if time_limit else pulp.HiGHS(msg=False)
    t1 = time.monotonic()
    status, error = None, None
    try:
        model.solve(solver)
        status = pulp.LpStatus[model.problem.status]
    except Exception as exc:  # spopt raises when PuLP reports no optimum (e.g. at the time limit)
        error = f"{type(exc).__name__}: {exc}"
    solve = time.monotonic() - t1
    # HiGHS's own numbers (PuLP's status is "Not Solved" at a time limit even with an incumbent)
    obj, bound, highs_s = None, None, None
    try:
        h = model.problem.solverModel
        info = h.getInfo()
        sign = -1.0 if kind == "mclp" else 1.0    # PuLP hands a maximisation to HiGHS negated
        if info.primal_solution_status == 2:      # feasible
            obj = sign * float(info.objective_function_value)
        bound = sign * float(info.mip_dual_bound)
        highs_s = float(h.getRunTime())
    except Exception:
        pass
    return {"build": build, "solve": solve, "objective": obj, "bound": bound, "status": status, "error": error,
            "highs_s": highs_s}


def textbook_mip(cost, w, k, time_limit):
    """The peer the issue names, "a 240 s MIP run": the textbook strong p-median (x_ij <= y_j for every pair, every
    x_ij a variable) handed straight to HiGHS through scipy.optimize.milp with a time limit; no modelling layer,
    so its build is seconds, not spopt's minutes. Returns HiGHS's incumbent, dual bound and times."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp
    t0 = time.monotonic()
    n, m = cost.shape
    nx = n * m
    i = np.repeat(np.arange(n), m)
    j = np.tile(np.arange(m), n)
    c = np.r_[(w[:, None] * cost).ravel(), np.zeros(m)]
    assign = sparse.csr_array((np.ones(nx), (i, np.arange(nx))), shape=(n, nx + m))
    link = sparse.csr_array((np.r_[np.ones(nx), -np.ones(nx)], (np.r_[np.arange(nx), np.arange(nx)],
                                                                 np.r_[np.arange(nx), nx + j])), shape=(nx, nx + m))
    count = sparse.csr_array((np.ones(m), (np.zeros(m, int), nx + np.arange(m))), shape=(1, nx + m))
    A = sparse.vstack([assign, link, count]).tocsr()
    lb = np.r_[np.ones(n), np.full(nx, -np.inf), [k]]
    ub = np.r_[np.ones(n), np.zeros(nx), [k]]
    integrality = np.r_[np.zeros(nx), np.ones(m)]
    build = time.monotonic() - t0
    t1 = time.monotonic()
    res = milp(c, constraints=LinearConstraint(A, lb, ub), integrality=integrality, bounds=Bounds(0, 1),
               options={"time_limit": time_limit, "disp": False})
    solve = time.monotonic() - t1
    obj = float(res.fun) if res.x is not None else None
    bound = getattr(res, "mip_dual_bound", None)
    return {"build": build, "solve": solve, "objective": obj, "bound": None if bound is None else float(bound),
            "status": res.message, "error": None, "highs_s": solve}


# -------------------------------------------------------------------------------------------------- our side
def ours(kind, cost, w, k, T=None, **options):
    t0 = time.monotonic()
    problem = S.from_cost_matrix(cost, w)
    t1 = time.monotonic()
    sol = S.mclp(problem, k, T, **options) if kind == "mclp" else S.p_median(problem, k, **options)
    t2 = time.monotonic()
    return sol, t1 - t0, t2 - t1


def fmt(x, digits=6):
    return "n/a" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{digits}g}"


def line(label, sol, setup, total):
    print(f"  ours   {label:<28} total {total:7.2f} s (setup {setup:.2f}, build {sol.build_seconds:.2f}, "
          f"solve {sol.solve_seconds:.2f}" + (f", of which HiGHS {sol.stats['milp_seconds']:.2f}"
                                              if "milp_seconds" in sol.stats else "")
          + f")  objective {fmt(sol.objective, 10)}  bound {fmt(sol.bound, 10)}  "
          f"gap {100 * sol.gap:.4g}%  {'OPTIMAL' if sol.optimal else 'not proven'}  [{sol.solver}]")


def spopt_line(r, limit=None):
    gap = None
    if r["objective"] is not None and r["bound"] is not None:
        gap = abs(r["objective"] - r["bound"]) / max(abs(r["objective"]), 1e-12)
    print(f"  spopt  {'PuLP + HiGHS' + (f' (limit {limit:g} s)' if limit else ''):<28} total "
          f"{r['build'] + r['solve']:7.2f} s (build {r['build']:.2f}, solve {r['solve']:.2f} of which HiGHS "
          f"{fmt(r['highs_s'], 4)} s)  objective "
          f"{fmt(r['objective'], 10)}  HiGHS bound {fmt(r['bound'], 10)}  gap {fmt(None if gap is None else 100 * gap, 4)}%"
          f"  status {r['status']}" + (f"  ({r['error'][:60]})" if r["error"] else ""))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pmedian", default="2000x200", help="p-median size NxM (default 2000x200)")
    p.add_argument("--k", type=int, default=10, help="p-median k (default 10)")
    p.add_argument("--spopt-limit", type=float, default=900.0,
                   help="spopt's time limit on case 1 (s, default 900): past it the ratio is a lower bound")
    p.add_argument("--mclp", default="5000x500", help="MCLP size NxM (default 5000x500)")
    p.add_argument("--mclp-k", type=int, default=20)
    p.add_argument("--mclp-minutes", type=float, default=15.0)
    p.add_argument("--large", default="5000x500", help="large p-median size NxM (default 5000x500)")
    p.add_argument("--large-k", type=int, default=20)
    p.add_argument("--large-limit", type=float, default=60.0, help="our time limit on the large case (s)")
    p.add_argument("--large-spopt-limit", type=float, default=120.0,
                   help="spopt's time limit on the large case (s; the issue's target compares with 240)")
    p.add_argument("--large-mip-limit", type=float, default=240.0,
                   help="time limit of the textbook MIP run on the large case (s; the issue's 240; 0 skips it)")
    p.add_argument("--graphs", action="store_true", help="case 4 only: the sparse-graph family (pmed sizes)")
    p.add_argument("--graph-limit", type=float, default=60.0, help="time limit per graph instance (s, default 60)")
    p.add_argument("--graph-max-n", type=int, default=900, help="largest n of the graph family to run (default 900)")
    p.add_argument("--graph-check-n", type=int, default=0,
                   help="check the optimum with the textbook MIP (HiGHS alone) up to this n (default 0: no check)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-spopt", action="store_true", help="our side only")
    p.add_argument("--skip", action="append", default=[], choices=("pmedian", "mclp", "large"))
    p.add_argument("--quick", action="store_true", help="small sizes: 500x60 k=5, MCLP 1000x100, large 1500x150")
    a = p.parse_args(argv)
    if a.quick:
        a.pmedian, a.k, a.mclp, a.large, a.large_k = "500x60", 5, "1000x100", "1500x150", 10
        a.large_limit, a.large_spopt_limit = 20.0, 20.0
    import scipy
    have, why = (False, "--no-spopt") if a.no_spopt else spopt_available()
    vers = [f"python {platform.python_version()}", f"numpy {np.__version__}", f"scipy {scipy.__version__}"]
    if have:
        import highspy
        import pulp
        import spopt
        vers += [f"spopt {spopt.__version__}", f"pulp {pulp.__version__}",
                 f"highspy {importlib.metadata.version('highspy')}"]
    print("versions: " + ", ".join(vers) + "; " + load_average())
    if a.graphs:
        return graph_family(a)
    if not have:
        print(f"spopt side skipped: {why}")

    if "pmedian" not in a.skip:
        n, m = parse_size(a.pmedian)
        cost, w = instance(n, m, a.seed)
        print(f"\n1. p-median {n} x {m}, k={a.k} (to the proven optimum; our gap tolerance {S.DEFAULT_GAP_TOL:g}, "
              f"spopt's HiGHS default 1e-4)")
        sol, setup, total = ours("pmedian", cost, w, a.k, time_limit=600)
        line("exact", sol, setup, total)
        heur, hs, ht = ours("pmedian", cost, w, a.k, method="heuristic")
        line("heuristic + Lagrangian", heur, hs, ht)
        if have:
            r = spopt_run("pmedian", cost, w, a.k, time_limit=a.spopt_limit)
            spopt_line(r, a.spopt_limit)
            sp = r["build"] + r["solve"]
            proven = r["status"] == "Optimal"
            print(f"  ratio  spopt / ours (exact) = {'' if proven else '>= '}{sp / total:.1f}x  (target >= 20x); objectives "
                  f"{'agree' if r['objective'] is not None and abs(r['objective'] - sol.objective) <= 1e-4 * sol.objective else 'DIFFER'}"
                  f"; heuristic found the optimum: {abs(heur.objective - sol.objective) <= 1e-9 * sol.objective}"
                  f" in {ht:.2f} s")

    if "mclp" not in a.skip:
        n, m = parse_size(a.mclp)
        cost, w = instance(n, m, a.seed + 1)
        print(f"\n2. MCLP {n} x {m}, k={a.mclp_k}, T={a.mclp_minutes:g} min")
        sol, setup, total = ours("mclp", cost, w, a.mclp_k, T=a.mclp_minutes, time_limit=600)
        line("exact", sol, setup, total)
        print(f"  ours   build {sol.build_seconds:.3f} s vs solve {sol.solve_seconds:.3f} s: build "
              f"{'<=' if sol.build_seconds <= sol.solve_seconds else '>'} solve")
        if have:
            r = spopt_run("mclp", cost, w, a.mclp_k, T=a.mclp_minutes)
            spopt_line(r)
            print(f"  ratio  spopt / ours: build {r['build'] / max(sol.build_seconds + setup, 1e-9):.0f}x, "
                  f"solve {r['solve'] / max(sol.solve_seconds, 1e-9):.1f}x, total "
                  f"{(r['build'] + r['solve']) / total:.1f}x")

    if "large" not in a.skip:
        n, m = parse_size(a.large)
        cost, w = instance(n, m, a.seed + 2)
        print(f"\n3. large p-median {n} x {m}, k={a.large_k}")
        heur, hs, ht = ours("pmedian", cost, w, a.large_k, method="heuristic", time_limit=a.large_limit)
        line("heuristic + Lagrangian", heur, hs, ht)
        sol, setup, total = ours("pmedian", cost, w, a.large_k, time_limit=a.large_limit)
        line(f"exact (limit {a.large_limit:g} s)", sol, setup, total)
        best = min(heur.objective, sol.objective)

        def versus(r, who):
            if r["objective"] is None:
                print(f"  {who} found no solution within its limit: ours {fmt(best, 10)} stands alone")
                return
            verdict = ("better than" if best < r["objective"] - 1e-9 * best else
                       "equal to" if abs(best - r["objective"]) <= 1e-9 * best else "WORSE than")
            print(f"  ours {verdict} {who}: {fmt(best, 10)} vs {fmt(r['objective'], 10)}; our honest bound "
                  f"{fmt(max(heur.bound, sol.bound), 10)}, its bound {fmt(r['bound'], 10)}")
        if a.large_mip_limit > 0:
            r = textbook_mip(cost, w, a.large_k, a.large_mip_limit)
            print(f"  MIP    textbook x_ij<=y_j, HiGHS {a.large_mip_limit:g} s  total {r['build'] + r['solve']:7.2f} s "
                  f"(build {r['build']:.2f}, solve {r['solve']:.2f})  objective {fmt(r['objective'], 10)}  "
                  f"bound {fmt(r['bound'], 10)}  [{r['status']}]")
            versus(r, f"the {a.large_mip_limit:g} s MIP run")
        if have:
            r = spopt_run("pmedian", cost, w, a.large_k, time_limit=a.large_spopt_limit)
            spopt_line(r, a.large_spopt_limit)
            versus(r, "spopt's time-limited run")


def graph_family(a):
    print(f"\n4. p-median on sparse random graphs (pmed sizes), unit demand, every node a candidate; "
          f"limit {a.graph_limit:g} s each (target: every instance proven optimal within 60 s)")
    print(f"  {'inst':>5} {'n':>4} {'edges':>6} {'p':>4} {'objective':>10} {'bound':>12} {'proven':>6} "
          f"{'total s':>8} {'CPU s':>7} {'nodes':>6}  parts of the time (s)")
    rows, number = [], 0
    for n, edges, ps in PMED_FAMILY:
        for p in ps:
            number += 1
            if n > a.graph_max_n:
                continue
            cost = graph_instance(n, edges, a.seed * 1000 + number)
            cpu = time.process_time()
            sol, setup, total = ours("pmedian", cost, np.ones(n), p, time_limit=a.graph_limit)
            cpu = time.process_time() - cpu
            parts = ", ".join(f"{k} {v:.2f}" for k, v in sol.stats.get("seconds", {}).items())
            nodes = sol.stats.get("branch_and_bound", {}).get("nodes", 0)   # 0: proven without branching
            check = ""
            if n <= a.graph_check_n:
                r = textbook_mip(cost, np.ones(n), p, 600.0)
                check = (f"  textbook MIP {r['objective']:.0f} in {r['solve']:.1f} s: "
                         f"{'same' if r['objective'] is not None and abs(r['objective'] - sol.objective) < 1e-6 else 'DIFFERENT'}")
            print(f"  pmed{number:<2} {n:4d} {edges:6d} {p:4d} {sol.objective:10.0f} {sol.bound:12.4f} "
                  f"{'yes' if sol.optimal else 'NO':>6} {total:8.2f} {cpu:7.2f} {nodes:6d}  {parts}{check}", flush=True)
            rows.append((sol.optimal, total, cpu))
    proven = sum(o for o, _, _ in rows)
    print(f"  {proven} of {len(rows)} proven optimal; slowest {max(t for _, t, _ in rows):.1f} s "
          f"({max(c for _, _, c in rows):.1f} CPU s); proven within 60 s: {sum(o and t <= 60 for o, t, _ in rows)} of "
          f"{len(rows)}; {load_average()} (the wall time follows the machine's load; the CPU seconds do less)")


if __name__ == "__main__":
    main()
