"""Depot siting: the four models against brute force on instances small enough to enumerate, bad input, and the job."""
from __future__ import annotations

import itertools
import json
import shutil

import numpy as np
import pytest
from scipy.optimize import linprog

from risk_one_map.analysis import siting as S
from risk_one_map.errors import RiskOneMapError


def instance(seed, n=8, m=6, n_fixed=0, zero_some=True):
    rng = np.random.default_rng(seed)
    d, f = rng.random((n, 2)), rng.random((m, 2))
    cost = np.round(np.hypot(d[:, None, 0] - f[None, :, 0], d[:, None, 1] - f[None, :, 1]) * 100, 1)
    w = rng.integers(1, 50, n).astype(float)
    if zero_some:
        w[rng.integers(n)] = 0.0
    fixed = np.zeros(m, bool)
    fixed[rng.choice(m, n_fixed, replace=False)] = True
    return cost, w, fixed


def subsets(fixed, k):
    free = np.flatnonzero(~fixed)
    for s in itertools.combinations(free, k):
        yield np.r_[np.flatnonzero(fixed), np.asarray(s, int)].astype(int)


CASES = [(seed, k, n_fixed) for seed in range(6) for k in (1, 2, 3) for n_fixed in (0, 1)]


@pytest.mark.parametrize("seed,k,n_fixed", CASES)
def test_p_median_matches_brute_force_and_the_heuristic_brackets_it(seed, k, n_fixed):
    cost, w, fixed = instance(seed, n_fixed=n_fixed)
    best = min(w @ cost[:, s].min(axis=1) for s in subsets(fixed, k))
    problem = S.from_cost_matrix(cost, w, fixed=fixed)
    sol = S.p_median(problem, k)
    assert sol.objective == pytest.approx(best, rel=1e-9)
    assert sol.optimal and sol.gap <= S.DEFAULT_GAP_TOL and sol.bound <= best + 1e-6
    assert set(np.flatnonzero(fixed)) <= set(sol.open) and sol.new.size == k
    heur = S.p_median(problem, k, method="heuristic")
    assert heur.objective >= best - 1e-9 and heur.bound <= best + 1e-6


@pytest.mark.parametrize("seed,k,n_fixed", CASES)
def test_mclp_and_p_center_match_brute_force(seed, k, n_fixed):
    cost, w, fixed = instance(seed, n_fixed=n_fixed)
    problem = S.from_cost_matrix(cost, w, fixed=fixed)
    T = float(np.median(cost))
    best_cover = max(w[(cost[:, s] <= T).any(axis=1)].sum() for s in subsets(fixed, k))
    sol = S.mclp(problem, k, T)
    assert sol.objective == pytest.approx(best_cover) and sol.optimal and sol.gap == 0
    assert sol.new.size == k  # filled up to k even when fewer sites already cover all that can be covered
    served = w > 0
    best_radius = min(cost[served][:, s].min(axis=1).max() for s in subsets(fixed, k))
    pc = S.p_center(problem, k)
    assert pc.objective == pytest.approx(best_radius) and pc.optimal and pc.bound == pytest.approx(best_radius)


@pytest.mark.parametrize("seed,n_fixed", [(s, f) for s in range(8) for f in (0, 1)])
def test_lscp_matches_brute_force(seed, n_fixed):
    cost, w, fixed = instance(seed, n_fixed=n_fixed)
    served = w > 0
    T = float(np.max(np.sort(cost[served], axis=1)[:, 0]))  # every demand has a site within T
    best = next(r for r in range(cost.shape[1] + 1) for s in itertools.combinations(np.flatnonzero(~fixed), r)
                if (cost[served][:, np.r_[np.flatnonzero(fixed), np.asarray(s, int)].astype(int)] <= T).any(axis=1).all())
    sol = S.lscp(S.from_cost_matrix(cost, w, fixed=fixed), T)
    assert sol.objective == best and sol.optimal and sol.gap == 0
    assert (sol.assigned_cost[served] <= T).all()


def test_capacitated_p_median_matches_brute_force_over_transport_lps():
    cost, w, fixed = instance(3, n=7, m=5, zero_some=False)
    cap = np.array([60.0, 80.0, 50.0, np.nan, 70.0])  # site 3 unlimited
    k = 2
    best = np.inf
    for s in subsets(fixed, k):
        # splittable assignment of each demand to the open sites within capacity: a transportation LP
        n, m = len(w), len(s)
        A_eq = np.kron(np.eye(n), np.ones(m))
        rows = [np.kron(w, np.eye(m)[j]) for j in range(m) if np.isfinite(cap[s[j]])]
        ub = [cap[s[j]] for j in range(m) if np.isfinite(cap[s[j]])]
        res = linprog((w[:, None] * cost[:, s]).ravel(), A_ub=np.array(rows) if rows else None,
                      b_ub=ub if rows else None, A_eq=A_eq, b_eq=np.ones(n), bounds=(0, 1), method="highs")
        if res.status == 0:
            best = min(best, res.fun)
    sol = S.p_median(S.from_cost_matrix(cost, w, capacity=cap), k)
    assert sol.objective == pytest.approx(best, rel=1e-7) and sol.optimal
    d, s_idx, amount = sol.allocation
    served = np.bincount(s_idx, weights=amount, minlength=5)
    assert np.all(served[np.isfinite(cap)] <= cap[np.isfinite(cap)] + 1e-6)
    assert np.bincount(d, weights=amount, minlength=len(w)) == pytest.approx(w)


def test_a_larger_case_is_proven_by_the_milp_not_only_the_lagrangian():
    rng = np.random.default_rng(5)
    d, f = rng.random((300, 2)) * 100, rng.random((40, 2)) * 100
    cost = np.hypot(d[:, None, 0] - f[None, :, 0], d[:, None, 1] - f[None, :, 1])
    problem = S.from_cost_matrix(cost, rng.integers(1, 100, 300))
    exact = S.p_median(problem, 5, lagrangian_iterations=20)
    heur = S.p_median(problem, 5, method="heuristic")
    assert exact.optimal and exact.gap <= S.DEFAULT_GAP_TOL
    assert heur.objective >= exact.objective - 1e-6 and heur.bound <= exact.objective + 1e-6


def test_bad_input_is_refused_in_one_line():
    cost, w, fixed = instance(1)
    problem = S.from_cost_matrix(cost, w, fixed=fixed)
    with pytest.raises(RiskOneMapError, match="k=9 is larger than the 6 candidate sites"):
        S.p_median(problem, 9)
    with pytest.raises(RiskOneMapError, match="zero demand everywhere"):
        S.p_median(S.from_cost_matrix(cost, np.zeros(len(w))), 2)
    with pytest.raises(RiskOneMapError, match="NaN"):
        S.from_cost_matrix(np.full((2, 2), np.nan))
    names = [f"村{i}" for i in range(len(w))]
    far = cost.copy()
    far[2] += 1000  # village 2 is far from every site
    w[2] = 5
    with pytest.raises(RiskOneMapError, match="LSCP is infeasible.*村2") as err:
        S.lscp(S.from_cost_matrix(far, w, demand_names=names, cost_unit=" min"), 200)
    assert "\n" not in str(err.value) and "200 min" in str(err.value)


def test_unreachable_pairs_are_infinite_and_reported_never_a_wrong_optimum():
    cost, w, _ = instance(2, zero_some=False)
    cost[0, :] = np.inf           # village 0: no road to any site
    cost[1, 1:] = np.inf          # village 1: only site 0 reaches it
    problem = S.from_cost_matrix(cost, w, demand_names=[f"v{i}" for i in range(len(w))])
    sol = S.p_median(problem, 2)
    assert any("v0" in x for x in sol.warnings)
    assert 0 in sol.open and np.isfinite(sol.objective) and sol.optimal
    live = np.arange(1, len(w))
    best = min(w[live] @ cost[live][:, s].min(axis=1) for s in subsets(np.zeros(6, bool), 2))
    assert sol.objective == pytest.approx(best)
    assert sol.assignment[0] == -1 and np.isinf(sol.assigned_cost[0])


def test_every_answer_carries_a_bound_and_a_gap():
    cost, w, fixed = instance(4, n_fixed=1)
    problem = S.from_cost_matrix(cost, w, fixed=fixed)
    for model, kw in (("pmedian", {"k": 2}), ("mclp", {"k": 2, "max_cost": 40.0}), ("lscp", {"max_cost": 60.0}),
                      ("pcenter", {"k": 2})):
        sol = S.solve(problem, model, **kw)
        assert np.isfinite(sol.bound) and sol.gap == pytest.approx(0.0, abs=1e-6) and sol.optimal, model


# -------------------------------------------------------------------------------------------------- the job
def test_job_on_the_tiny_package_writes_sites_allocation_and_summary(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from risk_one_map.jobs.siting import run
    from risk_one_map.layers.package import write_package
    from tests.tiny import CRS, X0, Y0, tiny_layers
    layers = tiny_layers()
    layers["depot_candidates"] = gpd.GeoDataFrame(
        {"id": ["C1", "C2", "C3"], "name": ["东仓", "西仓", "北仓"], "capacity": [500.0, 500.0, np.nan]},
        geometry=[Point(X0 + 300, Y0 + 1000), Point(X0 + 1700, Y0 + 1000), Point(X0 + 1000, Y0 + 1900)], crs=CRS)
    layers["depots"] = gpd.GeoDataFrame({"id": ["D1"], "name": ["县储备库"], "level": ["县级"]},
                                        geometry=[Point(X0 + 1000, Y0 + 1000)], crs=CRS)
    pkg = write_package(tmp_path / "pkg", layers)
    res = run(pkg.path, model="pmedian", k=1)
    s = json.loads((pkg.path / "depot_siting.json").read_text(encoding="utf-8"))
    assert s["optimal"] and s["gap"] == pytest.approx(0, abs=1e-6) and s["n_existing_kept"] == 1 and s["n_new"] == 1
    assert s["reach_check"]["county"]["share"] == 1.0 and s["reach_check"]["county"]["limit_h"] == 6.0
    sites = pkg.read("depot_sites")
    assert set(sites["status"]) == {"existing", "new"} and "县储备库" in set(sites["name"])
    alloc = pkg.read("depot_allocation")
    assert len(alloc) == 4 and alloc["population"].sum() == pytest.approx(1000.0)
    assert (alloc["time_min"] > 0).all() and "drive time over 1 roads" in s["costs"]
    assert sites["served_population"].sum() == pytest.approx(1000.0)
    assert res.summary_lines()[0].startswith("model: p-median")
    # capacities: 500 people each for the candidates, the kept depot unlimited
    cap = run(pkg.path, model="pmedian", k=2, people_per_capacity=1.0)
    assert cap.summary["optimal"]
    served = cap.sites.set_index("id")["served_population"]
    assert all(served.get(c, 0) <= 500 + 1e-6 for c in ("C1", "C2"))
    with pytest.raises(RiskOneMapError, match="k=5 is larger"):
        run(pkg.path, model="pcenter", k=5)
    with pytest.raises(RiskOneMapError, match="exposure"):
        run(pkg.path, model="pmedian", k=1, demand="exposure")


def test_job_without_roads_falls_back_to_straight_lines_and_says_so(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from risk_one_map.jobs.siting import run
    from risk_one_map.layers.package import write_package
    from tests.tiny import CRS, X0, Y0, tiny_layers
    layers = tiny_layers()
    del layers["roads"]
    layers["depot_candidates"] = gpd.GeoDataFrame({"id": ["C1", "C2"], "name": ["东仓", "西仓"]},
                                                  geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 1500, Y0 + 1500)],
                                                  crs=CRS)
    pkg = write_package(tmp_path / "pkg", layers)
    res = run(pkg.path, model="lscp", max_minutes=2.5)  # 1250 m at 30 km/h: a corner each
    assert "STRAIGHT LINES" in " ".join(res.summary["warnings"]) and res.summary["optimal"]
    assert res.summary["objective"] == 2


def test_job_on_the_sample_county_all_models(sample_package, tmp_path):
    from risk_one_map.jobs.siting import run
    pkg_dir = tmp_path / "county"
    shutil.copytree(sample_package.path, pkg_dir)
    for model, kw in (("pmedian", {"k": 2}), ("lscp", {"max_minutes": 60})):  # mclp, pcenter: brute-force tests
        res = run(pkg_dir, model=model, **kw)
        s = res.summary
        assert s["optimal"] and s["bound"] is not None and s["gap"] is not None, (model, s)
        assert s["n_existing_kept"] >= 1 and len(res.allocation) > 0
    assert (pkg_dir / "depot_siting.json").is_file()


def test_p_median_needs_a_choice_that_reaches_everyone_or_says_so():
    cost = np.array([[1.0, np.inf, np.inf], [np.inf, 1.0, np.inf], [np.inf, np.inf, 1.0]])
    problem = S.from_cost_matrix(cost, [1, 1, 1])
    sol = S.p_median(problem, 3)
    assert sol.objective == 3 and sol.optimal
    with pytest.raises(RiskOneMapError, match="no choice of 2 new sites reaches every demand point"):
        S.p_median(problem, 2)
    heur = S.p_median(problem, 2, method="heuristic")
    assert not heur.optimal and np.isinf(heur.objective) and heur.warnings


def test_p_median_with_probing_and_few_starts_matches_brute_force(monkeypatch):
    """Weak starts and a short Lagrangian leave work to the reductions and HiGHS; still the optimum. (The gaps they
    leave would send these cases to the branch and bound, tested below: the switch is raised to keep this path.)"""
    monkeypatch.setattr(S, "BNB_GAP", np.inf)
    monkeypatch.setattr(S, "PROBE_PAIRS", 0)   # these cases leave HiGHS few pairs: probe them all the same
    rng = np.random.default_rng(7)
    probed = 0
    for trial in range(30):
        cost, w, fixed = instance(100 + trial, n=int(rng.integers(15, 40)), m=int(rng.integers(9, 13)),
                                  n_fixed=int(trial % 4 == 0), zero_some=False)
        k = int(rng.integers(2, 5))
        best = min(w @ cost[:, s].min(axis=1) for s in subsets(fixed, k))
        sol = S.p_median(S.from_cost_matrix(cost, w, fixed=fixed), k, starts=1, lagrangian_iterations=30)
        probed += sol.stats.get("sites_ruled_out_by_probing", 0)
        assert sol.objective == pytest.approx(best, rel=1e-9) and sol.optimal, (trial, sol.stats)
    assert probed > 0


def test_a_new_site_serving_nobody_is_never_reported_as_a_recommendation(tmp_path):
    """Three new sites asked for, but the kept depot sits where two of the candidates would be no nearer for
    anyone: those are reported as serving nobody, with why, and left out of depot_sites."""
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    from risk_one_map.jobs.siting import run
    from risk_one_map.layers.package import write_package
    from tests.tiny import CRS, X0, Y0, tiny_layers
    layers = tiny_layers()
    layers["depot_candidates"] = gpd.GeoDataFrame(
        {"id": ["C1", "C2", "C3"], "name": ["东仓", "远仓一", "远仓二"]},
        geometry=[Point(X0 + 300, Y0 + 1000), Point(X0 + 9000, Y0 + 1000), Point(X0 + 9500, Y0 + 1000)], crs=CRS)
    layers["roads"] = gpd.GeoDataFrame({"id": ["R1"], "kind": ["county"], "walkable": [1], "drive_kmh": [60.0]},
                                       geometry=[LineString([(X0, Y0 + 1000), (X0 + 10000, Y0 + 1000)])], crs=CRS)
    pkg = write_package(tmp_path / "pkg", layers)
    res = run(pkg.path, model="pmedian", k=3)
    s = res.summary
    assert s["n_new"] == 1 and [x["name"] for x in s["new_sites"]] == ["东仓"]
    assert sorted(x["name"] for x in s["idle_sites"]) == ["远仓一", "远仓二"]
    assert set(pkg.read("depot_sites")["name"]) == {"东仓"}
    text = "\n".join(res.summary_lines())
    assert "depots: 0 existing kept + 1 new (东仓)" in text
    assert "only 1 of the new sites serve anyone" in text and "only 1 of the 3 candidates are the nearest" in text


def graph_instance(seed, n):
    """Shortest paths of a small connected road graph with integer lengths (ties everywhere, as in pmed)."""
    from scipy import sparse
    from scipy.sparse.csgraph import shortest_path
    rng = np.random.default_rng(seed)
    u = np.r_[np.arange(1, n), rng.integers(0, n, n)]
    v = np.r_[[rng.integers(0, i) for i in range(1, n)], rng.integers(0, n, n)]
    keep = u != v
    roads = sparse.coo_array((rng.integers(1, 20, keep.sum()).astype(float), (u[keep], v[keep])), shape=(n, n))
    return shortest_path(roads.tocsr(), directed=False)


def test_lagrangian_branch_and_bound_matches_brute_force_from_a_poor_start():
    """The branch and bound alone, from a deliberately poor incumbent and a short root relaxation: it finds the
    optimum, proves it (finished, bound = optimum), and with fixed sites counts only the new ones in k."""
    from risk_one_map.analysis import _siting_bnb as bnb
    from risk_one_map.analysis import _siting_heuristic as heur
    nodes = 0
    for trial in range(12):
        n = 14
        cost = graph_instance(trial, n)
        w = np.random.default_rng(trial).integers(1, 5, n).astype(float)
        fixed = np.zeros(n, bool)
        fixed[trial % n] = trial % 3 == 0
        k = 2 + trial % 3
        best = min(w @ cost[:, s].min(axis=1) for s in subsets(fixed, k))
        start = fixed.copy()
        start[np.flatnonzero(~fixed)[-k:]] = True     # the last k sites: rarely good
        upper = float(w @ cost[:, start].min(axis=1))
        _, ls = heur.lagrangian_bound(cost, w, fixed, k, upper, iterations=5)
        mask, value, lower, finished, stats = bnb.branch_and_bound(cost, w, fixed, k, upper, start, ls["lam"],
                                                                   time_limit=None, gap_tol=1e-9)
        assert finished and value == pytest.approx(best) and lower == pytest.approx(best, rel=1e-8)
        assert w @ cost[:, mask].min(axis=1) == pytest.approx(best)
        assert (mask & ~fixed).sum() == k and (mask[fixed]).all()
        nodes += stats["nodes"]
    assert nodes > 12   # it branched, not only bounded the root


def test_p_median_through_the_branch_and_bound_matches_brute_force(monkeypatch):
    """With the switch lowered, p_median hands every case with a gap to the branch and bound (as it does pmed-like
    road graphs, whose LP gap is 0.5-1 %): still the optimum, proven."""
    monkeypatch.setattr(S, "BNB_GAP", -1.0)
    used = 0
    for trial in range(10):
        n = 16
        cost = graph_instance(50 + trial, n)
        k = 2 + trial % 3
        best = min(cost[:, s].min(axis=1).sum() for s in subsets(np.zeros(n, bool), k))
        sol = S.p_median(S.from_cost_matrix(cost), k, starts=1, lagrangian_iterations=10)
        used += "branch_and_bound" in sol.stats
        assert sol.objective == pytest.approx(best) and sol.optimal, (trial, sol.stats)
    assert used > 0


def test_branch_and_bound_pairs_give_the_dense_lagrangian():
    """The branch and bound's sorted pairs: the prefix cheaper than each multiplier gives the same rho_j as the
    dense sum over every pair, and a node drops the pairs to shut sites and those beyond an open site."""
    from risk_one_map.analysis._siting_bnb import SortedPairs
    rng = np.random.default_rng(3)
    WC = rng.integers(0, 30, (9, 7)).astype(float)
    WC[rng.random(WC.shape) < 0.2] = np.inf
    pairs = SortedPairs.of_matrix(WC)
    for lam in (rng.random(9) * 40 - 5, np.full(9, 1e9), np.full(9, -3.0)):
        rho, _, _ = pairs.lagrangian(lam, 7)
        assert (rho == np.minimum(WC - lam[:, None], 0.0).sum(axis=0)).all()   # bit for bit
    opened, closed = np.zeros(7, bool), np.zeros(7, bool)
    opened[2], closed[5] = True, True
    node = pairs.below_node(WC, opened, closed)
    kept = {(i, j) for i, j in zip(node.row, node.col)}
    assert kept == {(i, j) for i in range(9) for j in range(7)
                    if j != 5 and np.isfinite(WC[i, j]) and WC[i, j] <= WC[i, 2]}


def test_the_multi_start_split_over_two_calls_runs_the_same_starts():
    """p_median runs the first starts, then the rest only where the relaxation's sites did worse: the two calls
    together find what one call finds."""
    from risk_one_map.analysis import _siting_heuristic as heur
    for seed in range(4):
        cost, w, fixed = instance(300 + seed, n=40, m=15, zero_some=False)
        one, cost_one, stats_one = heur.interchange(cost, w, fixed, 4, starts=7, seed=seed)
        first, cost_first, _ = heur.interchange(cost, w, fixed, 4, starts=3, seed=seed)
        rest, cost_rest, stats_rest = heur.interchange(cost, w, fixed, 4, starts=7, seed=seed, first_start=3)
        assert stats_rest["starts"] == 4 and min(cost_first, cost_rest) == pytest.approx(cost_one, rel=1e-12)
        assert (one == (first if cost_first <= cost_rest else rest)).all()
