"""Evacuation benchmark: one run, ratios against peers on the same graph.

    .venv/bin/pip install -r requirements-bench.txt -c .venv/constraints.txt   # networkx (the others ship already)
    .venv/bin/python benchmarks/evacuation.py                  # the issue's sizes (100k households, 500 shelters), ~4 min
    .venv/bin/python benchmarks/evacuation.py --side 320 --households 30000 --shelters 100   # a quick run, ~1.5 min

The targets are the issue's, at its sizes: 1.05x, 1.10x and 1.15x against the textbook flow and 169-215x against
QGIS's service area in session 3's last runs (distances 0.86-0.98 s; the flow alone 1.94-2.19 s in its textbook
form, 1.00-1.20 s in its max-flow form, against which the plan is 1.9-2.1x). On the quick run fixed costs weigh
more.

Session 6 (#21), at load 7-13 on the 2 cores (wall times swing 2-3x between rounds; the CPU ratio moves less):
grid 3.09-3.26x wall, 4.24-4.57x CPU (main the same day: 3.06-4.64x, 4.93-4.99x); Delaunay 5.08-5.77x wall,
6.03-6.38x CPU (main: 5.30-6.71x, 6.05-6.67x). The plan's CPU outside the flow is still 6-8 s: distances ~2 s
(one bounded Dijkstra per shelter, on two processes), attaching 100k households 1.5-2.4 s (two threads), network
0.7-0.9, barriers 0.4-0.6, the side work beside the flow 1.4-2.5 (components and the plain-graph search, in a
forked child while OR-Tools solves). All of it but the side work must finish before the flow can start: from these
CPU figures, with the two-CPU parts halved, about 3 s of wall before a flow of about 2 s, so an estimated 2.5x on an
idle machine (not measured idle: there was no idle machine).

Session 7 (#21), `--plan-only`, main and this code run in turn, best of 2 rounds each, at load 0.9-2.1 on the 2
cores (another engineer's single-core DEM benchmark and test suites ran throughout: compare within a row):

    case       main: plan s / ratio / CPU ratio (load)   now: plan s / ratio / CPU ratio (load)   now, first plan
    grid       5.63 / 3.79x / 5.44x  (0.9)               4.11 / 2.90x / 4.02x  (1.0)              6.75 s
    grid       5.81 / 3.17x / 4.27x  (1.4)               7.41 / 3.87x / 3.87x  (1.8, a spike)     7.44 s
    Delaunay   4.64 / 3.91x / 5.71x  (1.1)               3.50 / 2.76x / 4.14x  (1.1)              5.77 s
    Delaunay   5.99 / 3.87x / 5.55x  (1.8)               3.99 / 3.71x / 5.72x  (1.5)              6.69 s

The code one or two commits earlier, the same day: grid 3.59 s / 2.27x (load 1.3) and 4.37 s / 2.56x (1.5),
Delaunay 3.93 s / 3.54x (2.1) and 4.46 s / 3.83x (1.3); main in those rounds 5.33-5.72 s / 3.09-3.34x (grid) and
4.82-9.65 s / 4.18-6.44x (Delaunay).

Parts now (wall / CPU s, this session's runs), grid: network 0.36-0.52 (was 0.60-0.82), access 0.41-0.57 / 0.69-0.88
(was 0.78-1.01 / 1.20-1.54), barriers 0.28-0.33 (was 0.31-0.43), distances 0.82-0.92 / 1.41-1.58 (was 1.03-1.07 /
1.75-1.86), whole households 0.07-0.11 (was 0.18-0.26), the side work's CPU beside the flow 0.59-0.67 (was
1.15-1.39); Delaunay: network 0.35-0.49 (was 0.66-0.87), access 0.77-0.89 / 1.14-1.31 (was 0.96-1.28 / 1.44-1.93),
distances 0.69-0.85 / 1.10-1.31 (was 0.88-1.22 / 1.45-1.96). The flow alone took 1.07-1.99 s in these runs.

What 2x would take: the flow (1.4 s idle) cannot start before its arcs, and everything before it costs, with the
libraries that do it best here, about 2 s of wall on two free cores: the per-shelter bounded Dijkstra (scipy, holds
the GIL, so in a forked child beside this process) 0.7-0.9 s, attaching 100k households (GEOS, two threads)
0.4-0.6 s, the zone split and which edges lie in which zones (GEOS) 0.35-0.5 s, the walk and barrier graphs (numpy)
0.3 s. A compiled Dijkstra (numba, tried: the same pairs, 0.9-1.05 s on one thread against scipy's 1.5-1.7 s with its
graph cuts) would save ~0.5 s, but loading numba and its cached machine code costs 0.55 s in every fresh process, which
the evacuate command is. The first plan of a process was 1.6-3.5 s slower than the second: fresh memory, whose page
faults numpy's huge-page request made slow here (analysis/plain_pages.py); the plan now runs on plain pages.

Merged main, nothing else running (load 0.6-1.3, this benchmark included), best of 2 rounds: before plain pages grid
4.76 s / 2.61x and 5.42 s / 2.92x, Delaunay 4.76 s / 3.47x and 4.72 s / 3.82x, the first plan of the process
7.4-8.3 s; on plain pages grid 3.98 s / 2.76x, Delaunay 4.75 s / 3.26x, the first plan 5.5 s and 4.75 s.

Headline: the whole plan as the user waits for it (network split at zones, access legs, barrier graph, distances,
flow, whole households, tables; routes apart) against the fastest OR-Tools form alone on the same arcs (the issue's
target: <= 2x), with a line for each part of the plan's time, both OR-Tools forms checked to give the same optimum
and the load average printed (2 cores shared by several engineers: compare ratios within one run).

The graph (``--case grid``, default): a jittered square grid of ``side``² junctions, ``spacing`` m apart, with 8 % of the blocks' edges missing
(so it has dead ends and detours); ``zones`` circular danger zones of 150-400 m; ``households`` evacuee households
inside them (1-6 people, 10 % vulnerable); ``shelters`` shelters at random junctions (80 % fixed, 20 % emergency),
with room for about 1.1 × the people, so that capacities bind. Those inside a zone are closed, as in the product.
``--case delaunay``, generated independently of the grid: junctions scattered at random (the same mean density), roads
the Delaunay triangulation's edges shorter than 1.6 spacings with a third of the rest dropped (irregular blocks,
junctions of degree 1-8, edge lengths spread widely).

Cases:
1. nearest shelter for every junction: scipy.sparse.csgraph multi-source Dijkstra (``min_only``) vs networkx
   ``multi_source_dijkstra_path_length`` (networkx graph built beforehand, not timed).
2. optimal capacitated assignment including network distances (our barrier graph, one bounded Dijkstra per shelter,
   OR-Tools' max flow with min cost) vs OR-Tools' min-cost flow alone on the same arcs, written as the textbook
   does (an unserved arc per household; the issue's peer, target ≤ 1.5×), and vs OR-Tools' max-flow entry point
   alone (what the plan itself calls: the ratio then is 1 + distances/flow); scipy's HiGHS LP on the same arcs when
   they are few enough (``--lp-max-arcs``).
3. isochrones (``--minutes``) for every shelter: our one bounded search (cost follows the nodes reached) vs QGIS's
   ``native:serviceareafromlayer`` (one full search per start point) on ``--qgis-shelters`` of them: the same
   shelters, the same lines (target: ≥ 100× faster); polygons (buffered lines) timed apart.
Timings on a shared 2-core machine are noisy: compare within one run.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from risk_one_map.analysis import evacuation as ev  # noqa: E402
from risk_one_map.analysis import network as nw  # noqa: E402
from risk_one_map.analysis.parallel import worker_count  # noqa: E402

CRS = "EPSG:4548"


def version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


class Clock:
    def __init__(self):
        self.t = {}

    def __call__(self, name):
        clock = self

        class _Ctx:
            def __enter__(self):
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                clock.t[name] = time.perf_counter() - self.t0
        return _Ctx()


def grid_network(side: int, spacing: float, rng) -> nw.RoadNetwork:
    n = side * side
    ij = np.indices((side, side)).reshape(2, -1).T
    xy = ij * spacing + rng.uniform(-0.2, 0.2, (n, 2)) * spacing + 500_000.0
    idx = np.arange(n).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    keep = rng.random(len(u)) > 0.08
    u, v = u[keep], v[keep]
    geoms = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    return nw.RoadNetwork(xy, u.astype(np.int64), v.astype(np.int64), shapely.length(geoms), geoms,
                          np.arange(len(u), dtype=np.int64))


def delaunay_network(side: int, spacing: float, rng) -> nw.RoadNetwork:
    from scipy.spatial import Delaunay
    n = side * side
    xy = rng.uniform(0, side * spacing, (n, 2)) + 500_000.0
    tri = Delaunay(xy).simplices
    pairs = np.sort(np.r_[tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]], axis=1)
    pairs = np.unique(pairs, axis=0)
    length = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    keep = (length < 1.6 * spacing) & (rng.random(len(pairs)) > 1 / 3)
    u, v = pairs[keep, 0], pairs[keep, 1]
    geoms = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    return nw.RoadNetwork(xy, u.astype(np.int64), v.astype(np.int64), shapely.length(geoms), geoms,
                          np.arange(len(u), dtype=np.int64))


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the plan forks its searches): a measure the other
    engineers' load moves much less than the wall time."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load_average() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def scenario(args, rng):
    net = (delaunay_network if args.case == "delaunay" else grid_network)(args.side, args.spacing, rng)
    lo, hi = net.xy.min(axis=0), net.xy.max(axis=0)
    centres = rng.uniform(lo + 500, hi - 500, (args.zones, 2))
    radii = rng.uniform(150, 400, args.zones)
    zgeom = shapely.buffer(shapely.points(centres), radii, quad_segs=8)
    zones = gpd.GeoDataFrame({"zone_id": [f"Z{i}@1" for i in range(args.zones)],
                              "hazard_id": [f"Z{i}" for i in range(args.zones)], "ring": 1.0},
                             geometry=zgeom, crs=CRS)
    which = rng.integers(0, args.zones, args.households)
    ang, rad = rng.uniform(0, 2 * np.pi, args.households), np.sqrt(rng.random(args.households)) * radii[which] * 0.95
    hxy = centres[which] + np.c_[np.cos(ang), np.sin(ang)] * rad[:, None]
    people = rng.integers(1, 7, args.households)
    hh = gpd.GeoDataFrame({"id": [f"H{i}" for i in range(args.households)], "village_code": "V",
                           "people": people, "vulnerable": np.where(rng.random(args.households) < 0.1, "独居老人", "")},
                          geometry=shapely.points(hxy), crs=CRS)
    nodes = rng.choice(net.n_nodes, args.shelters, replace=False)
    cls = np.where(rng.random(args.shelters) < 0.2, "emergency", "short_term")
    cap = np.maximum(1, rng.dirichlet(np.ones(args.shelters)) * people.sum() * 1.1).astype(int)
    names = [f"S{i}" for i in range(args.shelters)]
    sh = gpd.GeoDataFrame({"id": names, "name": names,
                           "shelter_class": cls, "capacity": cap},
                          geometry=shapely.points(net.xy[nodes] + 15.0), crs=CRS)
    return net, zones, hh, sh


def qgis_service_area(net, points_xy, cost_m, clock):
    """native:serviceareafromlayer on the same lines and start points; None (with the reason) if QGIS is missing."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from qgis.core import (QgsApplication, QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingFeedback,
                               QgsVectorLayer)
        from risk_one_map.qgis_glue.app import ensure_app
    except ImportError as exc:
        return None, f"QGIS is not importable ({exc})"
    ensure_app(settings_dir=tempfile.mkdtemp(prefix="qgis-bench-"))
    plugins = Path(QgsApplication.pkgDataPath()) / "python" / "plugins"
    if str(plugins) not in sys.path:
        sys.path.append(str(plugins))
    try:
        import processing
        from processing.core.Processing import Processing
        Processing.initialize()
    except ImportError as exc:
        return None, f"QGIS Processing is not importable ({exc})"
    lines = QgsVectorLayer(f"LineString?crs={CRS}", "roads", "memory")
    feats = []
    for g in shapely.to_wkb(net.geometry):
        f = QgsFeature()
        geom = QgsGeometry()
        geom.fromWkb(g)
        f.setGeometry(geom)
        feats.append(f)
    lines.dataProvider().addFeatures(feats)
    pts = QgsVectorLayer(f"Point?crs={CRS}", "shelters", "memory")
    pfeats = []
    for x, y in points_xy:
        f = QgsFeature()
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(x), float(y))))
        pfeats.append(f)
    pts.dataProvider().addFeatures(pfeats)
    with clock("qgis"):
        res = processing.run("native:serviceareafromlayer", {
            "INPUT": lines, "STRATEGY": 0, "DEFAULT_DIRECTION": 2, "TOLERANCE": 0, "START_POINTS": pts,
            "TRAVEL_COST2": cost_m, "TRAVEL_COST": cost_m, "INCLUDE_BOUNDS": False,
            "OUTPUT_LINES": "TEMPORARY_OUTPUT"}, feedback=QgsProcessingFeedback())
    out = res["OUTPUT_LINES"]
    wkb = [bytes(f.geometry().asWkb()) for f in out.getFeatures()]
    length = shapely.length(shapely.union_all(shapely.from_wkb(wkb))) if wkb else 0.0  # each road once
    return length, None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--side", type=int, default=707,
                   help="junctions per grid side (default 707: ~500k nodes, the issue's; 320: ~100k)")
    p.add_argument("--spacing", type=float, default=50.0, help="grid spacing in metres (default 50)")
    p.add_argument("--households", type=int, default=100000, help="evacuee households (default 100000, the issue's)")
    p.add_argument("--shelters", type=int, default=500, help="shelters (default 500, the issue's)")
    p.add_argument("--zones", type=int, default=300, help="danger zones (default 300)")
    p.add_argument("--max-walk-m", type=float, default=3000.0, help="farthest walk to a fixed shelter (default 3000)")
    p.add_argument("--minutes", type=float, nargs="+", default=[5, 10, 15], help="isochrone bands (default 5 10 15)")
    p.add_argument("--qgis-shelters", type=int, default=5, help="shelters given to QGIS's service area (default 5)")
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds of the plan and the flows (best of)")
    p.add_argument("--lp-max-arcs", type=int, default=300_000, help="run the HiGHS LP peer up to this many arcs")
    p.add_argument("--no-polygons", action="store_true", help="skip the isochrone polygons (buffering is slow)")
    p.add_argument("--case", choices=("grid", "delaunay"), default="grid",
                   help="road network generator (default grid; delaunay: the independently generated second case)")
    p.add_argument("--plan-only", action="store_true", help="case 2's plan and flows only (no nearest-shelter "
                                                            "peers, route lines, LP or isochrones)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    clock = Clock()
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {version('scipy')}, "
          f"shapely {shapely.__version__}, ortools {version('ortools')}, networkx {version('networkx')}, "
          f"cpus {os.cpu_count()}; {load_average()}")
    with clock("scenario"):
        net, zones, hh, sh = scenario(args, rng)
    print(f"graph ({args.case}): {net.n_nodes} junctions, {net.n_edges} edges; {args.zones} danger zones; "
          f"{args.households} households; {args.shelters} shelters (scenario built in {clock.t['scenario']:.1f} s)")

    if not args.plan_only:
        nearest_shelter(net, sh, rng, clock)
    return assignment_and_isochrones(args, net, zones, hh, sh, clock)


def nearest_shelter(net, sh, rng, clock):
    """Case 1: nearest shelter for every junction, scipy vs networkx."""
    csr = net.csr()
    s_nodes = np.unique(shapely.STRtree(shapely.points(net.xy)).query_nearest(sh.geometry.values)[1])
    with clock("scipy_nearest"):
        d_scipy = dijkstra(csr, directed=False, indices=s_nodes, min_only=True)
    print(f"\n1. nearest shelter for every junction ({len(s_nodes)} sources)")
    print(f"   scipy multi-source Dijkstra   {clock.t['scipy_nearest'] * 1000:9.0f} ms")
    try:
        import networkx as nx
        G = nx.from_scipy_sparse_array(csr)
        with clock("nx_nearest"):
            d_nx = nx.multi_source_dijkstra_path_length(G, set(s_nodes.tolist()))
        probe = rng.choice(net.n_nodes, 1000)
        same = all(abs(d_nx[int(k)] - d_scipy[k]) < 1e-6 if np.isfinite(d_scipy[k]) else int(k) not in d_nx
                   for k in probe)
        print(f"   networkx multi_source_dijkstra {clock.t['nx_nearest'] * 1000:8.0f} ms   "
              f"ratio networkx/scipy {clock.t['nx_nearest'] / clock.t['scipy_nearest']:.1f}x  (same distances: {same})")
        del G, d_nx
    except ImportError:
        print("   networkx not installed: pip install -r requirements-bench.txt (skipped)")


def assignment_and_isochrones(args, net, zones, hh, sh, clock):
    # 2. the capacitated assignment
    print(f"\n2. optimal assignment, {args.households} households x {args.shelters} shelters, "
          f"fixed shelters within {args.max_walk_m:g} m, emergency within 500 m")
    with clock("who"):
        evac, _ = ev.households_in_zones(zones, hh)
        cap, _ = ev.shelter_capacity(sh)
    cpu = {}
    c0 = cpu_seconds()
    with clock("plan"):
        plan = ev.plan_evacuation(net, zones, evac, cap, max_walk_m=args.max_walk_m, routes=False)
    cpu["plan"] = cpu_seconds() - c0
    first = clock.t["plan"]  # a fresh process's first plan: what the evacuate command waits for
    st = plan.stats
    print(f"   barrier graph {st['graph_nodes']} nodes ({st['groups']} evacuee groups); "
          f"{st['candidate_arcs']} household-shelter arcs; placed {st['assigned_households']}, "
          f"unserved {st['unserved_households']} ({st['no_route']} no route, {st['no_capacity']} no capacity); "
          f"split households repaired {st['split_repaired']}/{st['split_households']}")
    # the flow alone, on the same arcs, as a peer would run it given the costs
    # the plan keeps its arcs internal: recompute them with the same public pieces on the same graph
    with clock("arcs"):
        pieces = _arcs(net, zones, evac, cap, plan, args.max_walk_m)
    ph, ps, pdist = pieces
    cost = np.rint(pdist * 10).astype(np.int64)
    people = evac["people"].to_numpy(np.int64)
    S = len(cap)
    capacity = np.where(plan.shelter_load["status"].to_numpy() == "open", cap["capacity"].to_numpy(np.int64), 0)
    M = (2 * S + 2) * int(cost.max()) + 1
    # rounds alternate ours and the peers, so that a load spike hits both; each figure is its best round
    best = {}
    for r in range(max(1, args.rounds)):
        if r:
            c0 = cpu_seconds()
            with clock("plan"):
                plan = ev.plan_evacuation(net, zones, evac, cap, max_walk_m=args.max_walk_m, routes=False)
            cpu["plan"] = min(cpu["plan"], cpu_seconds() - c0)
        if clock.t["plan"] < best.get("plan", np.inf):   # the parts of the best round
            best["plan"], best["parts"] = clock.t["plan"], dict(plan.stats["seconds"])
            best["cpu_parts"] = dict(plan.stats.get("cpu_seconds", {}))
        c0 = cpu_seconds()
        with clock("flow_alone"):
            flow, unserved, _ = ev.solve_transport(ph, ps, cost, people, capacity, M, "ortools")
        c1 = cpu_seconds()
        with clock("textbook"):
            flow_tb = _textbook_flow(ph, ps, cost, people, capacity, M)
        cpu["flow_alone"] = min(cpu.get("flow_alone", np.inf), c1 - c0)
        cpu["textbook"] = min(cpu.get("textbook", np.inf), cpu_seconds() - c1)
        for k in ("flow_alone", "textbook"):
            best[k] = min(best.get(k, np.inf), clock.t[k])
    obj_ortools = int((flow * cost).sum())
    same = int((flow_tb * cost).sum()) == obj_ortools and flow_tb.sum() == flow.sum()
    same_arcs = len(ph) == st["candidate_arcs"]
    fastest = min(best["flow_alone"], best["textbook"])
    form = "max flow with min cost" if best["flow_alone"] <= best["textbook"] else "textbook min-cost flow"
    parts = best["parts"]
    print(f"   whole plan end to end (graph, barriers, distances, flow, tables)  {best['plan']:7.2f} s   "
          f"(best of {max(1, args.rounds)}; the first, in this fresh process as the command runs it: {first:.2f} s)")
    cpu_parts = best["cpu_parts"]
    for name in ("network", "access", "barriers", "distances", "assignment", "tables"):
        extra = (f" (of which whole households {parts['whole_households']:.2f} s)" if name == "assignment" else "")
        print(f"     {name:<12} {parts.get(name, float('nan')):7.2f} s   CPU {cpu_parts.get(name, float('nan')):6.2f} s"
              f"{extra}")
    print("     (CPU: this process and the children it reaped in the part: the forked searches in distances; the "
          "side work done beside the flow, why some have no shelter, in tables)")
    print(f"     {'the rest':<12} {best['plan'] - sum(parts.get(k, 0) for k in ('network', 'access', 'barriers', 'distances', 'assignment', 'tables')):7.2f} s"
          f"   (outside the plan's own clocks)")
    print(f"   OR-Tools min-cost flow alone, textbook form  {best['textbook']:7.2f} s   "
          f"(one unserved arc per household at a prohibitive cost)")
    print(f"   OR-Tools max flow with min cost alone       {best['flow_alone']:7.2f} s   "
          f"(same optimum as the textbook form: {same}; same arcs as the plan: {same_arcs})")
    print(f"   HEADLINE whole plan / fastest OR-Tools form alone ({form}): {best['plan'] / fastest:.2f}x  "
          f"(target <= 2x); / textbook form {best['plan'] / best['textbook']:.2f}x; {load_average()}")
    print(f"   in CPU seconds (best rounds): plan {cpu['plan']:.2f} (its searches in {worker_count()} processes), "
          f"max flow with min cost {cpu['flow_alone']:.2f}, textbook {cpu['textbook']:.2f}: plan / fastest form "
          f"{cpu['plan'] / min(cpu['flow_alone'], cpu['textbook']):.2f}x")
    if args.plan_only:
        return 0
    if len(ph) <= args.lp_max_arcs:
        with clock("lp"):
            flow_lp, _, _ = ev.solve_transport(ph, ps, cost, people, capacity, M, "scipy")
        print(f"   scipy HiGHS LP, same arcs                    {clock.t['lp']:7.2f} s   ratio LP/OR-Tools "
              f"{clock.t['lp'] / clock.t['flow_alone']:.1f}x  "
              f"(same objective: {int((flow_lp * cost).sum()) == obj_ortools})")
    else:
        print(f"   scipy HiGHS LP skipped ({len(ph)} arcs > --lp-max-arcs {args.lp_max_arcs})")
    with clock("routes"):
        plan_r = ev.plan_evacuation(net, zones, evac, cap, max_walk_m=args.max_walk_m, routes=True)
    print(f"   route lines for every placed household      {plan_r.stats['seconds']['routes']:7.2f} s "
          f"({len(plan_r.routes)} route features)")

    # 3. isochrones
    open_sh = cap[(plan.shelter_load["status"] == "open").to_numpy()].reset_index(drop=True)
    open_sh["shelter_id"] = open_sh["id"]
    T = max(args.minutes) * 4000 / 60
    print(f"\n3. isochrones {args.minutes} min at 4 km/h around {len(open_sh)} open shelters "
          f"(farthest {T:.0f} m)")
    pts = np.array([g for g in open_sh.geometry.values], dtype=object)
    with clock("reach_all"):
        pieces_all, _, _ = ev.reach_pieces(net, pts, args.minutes, 4.0)
    iso = []
    if not args.no_polygons:
        with clock("polygons"):
            iso = ev.shelter_isochrones(net, open_sh, minutes=args.minutes, walk_kmh=4.0)
    k = min(args.qgis_shelters, len(open_sh))
    # far-apart shelters so that each one's area is its own (QGIS does not split areas between shelters)
    chosen = _spread(pts, k, T * 2.5)
    with clock("reach_k"):
        pieces_k, _, _ = ev.reach_pieces(net, pts[chosen], [max(args.minutes)], 4.0)
    ours_len = float((pieces_k.t1 - pieces_k.t0).sum())
    print(f"   ours, lines, all {len(open_sh)} shelters, {len(args.minutes)} bands   {clock.t['reach_all']:7.3f} s "
          f"({clock.t['reach_all'] / max(len(open_sh), 1) * 1000:.1f} ms per shelter)")
    if not args.no_polygons:
        print(f"   ours, polygons (buffered lines) as well       {clock.t['polygons']:7.3f} s ({len(iso)} polygons)")
    print(f"   ours, lines, the {len(chosen)} shelters given to QGIS    {clock.t['reach_k']:7.3f} s "
          f"({ours_len / 1000:.1f} km of road)")
    length, why = qgis_service_area(net, [(g.x, g.y) for g in pts[chosen[:1]]], T, clock)
    if length is None:
        print(f"   QGIS native:serviceareafromlayer skipped: {why}")
    else:
        t1 = clock.t["qgis"]
        length, _ = qgis_service_area(net, [(g.x, g.y) for g in pts[chosen]], T, clock)
        tk = clock.t["qgis"]
        marginal_q = (tk - t1) / max(len(chosen) - 1, 1)
        per_o = clock.t["reach_all"] / max(len(open_sh), 1)
        print(f"   QGIS native:serviceareafromlayer, 1 shelter  {t1:7.2f} s; {len(chosen)} shelters {tk:7.2f} s "
              f"({length / 1000:.1f} km of road; one graph per run, one full search per shelter)")
        print(f"   ratio QGIS/ours, the same {len(chosen)} shelters, end to end: {tk / clock.t['reach_k']:.0f}x  "
              f"(target >= 100x)")
        if marginal_q <= 0:
            print("   per extra shelter: QGIS's extra searches are below the timing noise of its graph building here")
            return 0
        print(f"   per extra shelter: QGIS {marginal_q * 1000:.0f} ms vs ours {per_o * 1000:.2f} ms "
              f"(all {len(open_sh)} in one search): {marginal_q / per_o:.0f}x; QGIS for all {len(open_sh)} would take "
              f"~{t1 + marginal_q * (len(open_sh) - 1):.0f} s vs our {clock.t['reach_all']:.2f} s: "
              f"{(t1 + marginal_q * (len(open_sh) - 1)) / clock.t['reach_all']:.0f}x")
    return 0


def _textbook_flow(h, s, cost, supply, capacity, unserved_cost):
    """OR-Tools' min-cost flow as the textbook writes the capacitated assignment: every household may also send its
    people to the sink over an 'unserved' arc at a prohibitive cost, so that supply always meets demand."""
    from ortools.graph.python import min_cost_flow
    H, S = len(supply), len(capacity)
    m = min_cost_flow.SimpleMinCostFlow()
    sink = H + S
    m.add_arcs_with_capacity_and_unit_cost(np.r_[h, H + np.arange(S), np.arange(H)],
                                           np.r_[H + s, np.full(S, sink), np.full(H, sink)],
                                           np.r_[supply[h], capacity, supply],
                                           np.r_[cost, np.zeros(S, np.int64), np.full(H, unserved_cost, np.int64)])
    m.set_nodes_supplies(np.r_[np.arange(H), sink], np.r_[supply, -supply.sum()])
    if m.solve() != m.OPTIMAL:
        raise RuntimeError("OR-Tools' min-cost flow failed")
    return m.flows(np.arange(len(h)))


def _spread(pts, k, gap):
    xy = shapely.get_coordinates(pts)
    chosen = [0]
    for i in range(1, len(xy)):
        if len(chosen) >= k:
            break
        if np.min(np.hypot(*(xy[chosen] - xy[i]).T)) > gap:
            chosen.append(i)
    return np.array(chosen)


def _arcs(net, zones, evac, cap, plan, max_walk_m):
    """The household-shelter arcs of the plan, recomputed with the same public pieces (not timed as ours)."""
    zgeom = np.asarray(zones.geometry.values, dtype=object)
    cut = nw.split_at_polygons(net, zgeom)
    ez = nw.edge_polygons(cut, zgeom)
    free = np.asarray(ez.sum(axis=1)).ravel() == 0
    acc_h = nw.attach_points(cut, evac.geometry.values)
    zone_sets = [tuple(z) for z in evac["zone_index"]]
    ezl = ez.tolil().rows
    bad = np.array([e >= 0 and not set(ezl[e]) <= set(zs) for e, zs in zip(acc_h.edge, zone_sets)], dtype=bool)
    if bad.any():
        again = nw.attach_points(cut, evac.geometry.values[bad], allowed_edges=free)
        acc_h.edge[bad], acc_h.t[bad], acc_h.leg[bad] = again.edge, again.t, again.leg
    status = plan.shelter_load["status"].to_numpy()
    spt = np.asarray(cap.geometry.values, dtype=object)
    acc_s = nw.attach_points(cut, spt, allowed_edges=free)
    acc_s.edge[status != "open"] = -1
    g, (h_node, s_node) = nw.walk_graph(cut, [acc_h, acc_s])
    keys = np.array([",".join(map(str, z)) for z in zone_sets], dtype=object)
    groups, group_of = np.unique(keys, return_inverse=True)
    bg = nw.barrier_graph(g, ez, [[int(z) for z in k.split(",") if z] for k in groups])
    start = np.full(len(evac), -1, dtype=np.int64)
    for gi in range(len(groups)):
        m = group_of == gi
        start[m] = bg.node_for(gi, h_node[m])
    use = np.flatnonzero((status == "open") & (acc_s.edge >= 0))
    lim = np.where(cap["shelter_class"].to_numpy()[use] == "emergency", 500.0, max_walk_m)
    rows = np.flatnonzero(start >= 0)
    r, c, d = ev.shelter_distances(bg.graph.csr(transpose=True), s_node[use], acc_s.leg[use], lim, start[rows],
                                   acc_h.leg[rows])
    return rows[c], use[r], d


if __name__ == "__main__":
    sys.exit(main())
