"""The walkable road graph on graphs small enough to draw on paper."""
import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point, box

from risk_one_map.analysis import network as nw
from risk_one_map.analysis import network_search
from risk_one_map.analysis import parallel


def test_crossing_roads_are_split_into_four_edges():
    net = nw.build_network([LineString([(0, 0), (10, 0)]), LineString([(5, -5), (5, 5)])])
    assert net.n_nodes == 5 and net.n_edges == 4
    assert sorted(net.length) == [5, 5, 5, 5]
    d = dijkstra(net.csr(), indices=0)
    assert np.isfinite(d).all()


def test_near_miss_end_is_snapped_and_reported():
    bar = LineString([(0, 0), (100, 0)])
    stem = LineString([(50, 1.5), (50, 50)])  # stops 1.5 m short of the bar
    net = nw.build_network([bar, stem], tolerance=2.0)
    table, _ = net.components()
    assert len(table) == 1
    assert len(net.snapped) == 1 and net.snapped[0]["gap_m"] == 1.5 and net.snapped[0]["joined_to"] == "edge"
    # the connector is counted: from the bar's west end to the stem's top = 50 + 1.5 + 48.5
    top = int(np.flatnonzero((net.xy == [50, 50]).all(axis=1))[0])
    west = int(np.flatnonzero((net.xy == [0, 0]).all(axis=1))[0])
    assert dijkstra(net.csr(), indices=west)[top] == 100.0
    loose = nw.build_network([bar, stem], tolerance=1.0)
    assert len(loose.components()[0]) == 2 and not loose.snapped


def test_near_miss_next_to_an_end_node_joins_that_node():
    net = nw.build_network([LineString([(0, 0), (10, 0)]), LineString([(10.5, 0.5), (20, 0)])], tolerance=1.0)
    assert net.snapped and net.snapped[0]["joined_to"] == "node" and net.n_nodes == 4


def test_disconnected_piece_is_reported_with_its_size():
    net = nw.build_network([LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)]),
                            LineString([(500, 500), (530, 500)])])
    table, labels = net.components()
    assert list(table.nodes) == [3, 2] and list(table.length_m) == [200.0, 30.0] and list(table.main) == [True, False]
    assert labels[net.u[-1]] in (0, 1)


def test_bad_road_geometries_are_reported_not_fatal():
    net = nw.build_network([LineString([(0, 0), (1, 0)]), None, Point(3, 3), LineString()])
    assert net.n_edges == 1
    assert sorted(d["road"] for d in net.dropped) == [1, 2, 3]


def test_parallel_edges_keep_the_shorter_one():
    net = nw.build_network([LineString([(0, 0), (10, 0)]), LineString([(0, 0), (5, 8), (10, 0)])])
    assert net.n_edges == 2 and dijkstra(net.csr(), indices=0)[1] == 10.0


def test_points_on_one_edge_are_joined_directly_and_legs_are_counted():
    net = nw.build_network([LineString([(0, 0), (100, 0)])])
    acc = nw.attach_points(net, [Point(30, 4), Point(70, -3)])
    assert list(acc.edge) == [0, 0] and list(acc.t) == [30, 70] and list(acc.leg) == [4, 3]
    g, (nodes,) = nw.walk_graph(net, [acc])
    d = dijkstra(g.csr(), indices=nodes[0])
    assert d[nodes[1]] == 40.0  # along the road between them, not via an end
    assert g.n == net.n_nodes + 2


def test_split_at_polygons_cuts_edges_at_the_boundary():
    net = nw.build_network([LineString([(0, 0), (100, 0)])])
    cut = nw.split_at_polygons(net, [box(40, -10, 60, 10)])
    assert cut.n_edges == 3 and sorted(np.round(cut.length, 6)) == [20, 40, 40]
    inside = nw.edge_polygons(cut, [box(40, -10, 60, 10)]).toarray().ravel()
    assert inside.sum() == 1 and cut.length[inside][0] == 20


def test_barrier_graph_blocks_other_zones_and_lets_own_zone_out():
    # a 0-100 road, zone A over 10-30, zone B over 60-80
    net = nw.build_network([LineString([(0, 0), (100, 0)])])
    zones = [box(10, -5, 30, 5), box(60, -5, 80, 5)]
    net = nw.split_at_polygons(net, zones)
    acc = nw.attach_points(net, [Point(20, 0), Point(0, 0), Point(100, 0)])
    g, (nodes,) = nw.walk_graph(net, [acc])
    bg = nw.barrier_graph(g, nw.edge_polygons(net, zones), [[0]])
    start = bg.node_for(0, nodes[:1])[0]
    d = dijkstra(bg.graph.csr(), indices=start)
    assert d[nodes[1]] == 20.0  # out of its own zone A to the west
    assert np.isinf(d[nodes[2]])  # east goes through zone B
    plain = dijkstra(g.csr(), indices=nodes[0])
    assert plain[nodes[2]] == 80.0


def test_trace_paths_and_root_labels():
    # tree from a root 0: 0 -> 1 -> 2 -> 3, 0 -> 4 -> 5
    pred = np.array([-9999, 0, 1, 2, 0, 4])
    which, tail, head = nw.trace_paths(pred, np.array([3, 5]))
    assert [(t, h) for w, t, h in zip(which, tail, head) if w == 0] == [(3, 2), (2, 1), (1, 0)]
    assert list(nw.root_labels(pred, np.arange(6))) == [-1, 1, 1, 1, 4, 4]


def test_arc_geometry_cuts_the_covered_piece():
    net = nw.build_network([LineString([(0, 0), (100, 0)])])
    g = nw.arc_geometry(net, [0, 0, 0], [0, 100, 20], [100, 0, 50])
    assert g[0].equals(net.geometry[0]) and shapely.get_coordinates(g[1])[0].tolist() == [100, 0]
    assert g[2].length == 30


def test_substrings_cut_bent_lines_both_ways():
    bent = LineString([(0, 0), (10, 0), (10, 10), (20, 10)])
    a, b, c, d = nw.substrings([bent, bent, bent, None], [5, 18, 0, 0], [15, 2, 30, 1])
    assert shapely.get_coordinates(a).tolist() == [[5, 0], [10, 0], [10, 5]]
    assert shapely.get_coordinates(b).tolist() == [[10, 8], [10, 0], [2, 0]]
    assert c.equals(bent) and d is None


def _grid(side: int, step: float = 100.0):
    ij = np.indices((side, side)).reshape(2, -1).T.astype(float) * step
    lines = [LineString([p, p + [step, 0]]) for p in ij if p[0] < (side - 1) * step] + \
        [LineString([p, p + [0, step]]) for p in ij if p[1] < (side - 1) * step]
    return nw.build_network(lines)


def test_local_searches_match_a_whole_graph_search():
    rng = np.random.default_rng(0)
    net = _grid(30)
    csr = net.csr()
    src = rng.choice(net.n_nodes, 12, replace=False)
    limits = np.where(np.arange(12) % 2, 250.0, 700.0)
    full = dijkstra(csr, indices=src)
    # both ways of cutting a part: rows gathered (short limit) and slices of the renumbered graph (long limit)
    assert [c.graph is None for c in nw._cuts(csr, net.xy, src, limits, {})] == [True, False]
    for members, nodes, dist in nw.local_searches(csr, net.xy, src, limits):
        for r, m in enumerate(members):
            want = np.where(full[m] <= limits[m], full[m], np.inf)
            got = np.full(net.n_nodes, np.inf)
            got[nodes] = dist[r]
            assert np.allclose(np.where(np.isfinite(want), want, -1), np.where(np.isfinite(got), got, -1))


def test_forked_searches_give_what_searches_in_turn_give(monkeypatch):
    """The parallel path (a forked child that sends back only what ``reduce`` returns, this process doing its own
    share meanwhile) changes nothing but time."""
    import os
    import sys
    if not sys.platform.startswith("linux"):
        return
    rng = np.random.default_rng(1)
    net = _grid(30)
    csr = net.csr()
    src = rng.choice(net.n_nodes, 40, replace=False)
    limits = np.where(np.arange(40) % 2, 250.0, 700.0)

    def reached(members, nodes, dist):
        r, c = np.nonzero(np.isfinite(dist))
        return os.getpid(), (members[r], nodes[c], dist[r, c])

    def run():
        parts = list(nw.local_searches(csr, net.xy, src, limits, reduce=reached, workers=2, max_cells=5000))
        pids = {pid for pid, _ in parts}
        found = sorted(zip(*(np.concatenate(x).tolist() for x in zip(*(p for _, p in parts)))))
        return pids, found

    monkeypatch.setenv("RISK_ONE_MAP_NO_FORK", "1")
    pids, in_turn = run()
    assert pids == {os.getpid()} and len(in_turn) > 1000
    monkeypatch.delenv("RISK_ONE_MAP_NO_FORK")
    monkeypatch.setattr(network_search, "_FORK_MIN_WORK", 0.0)  # where local_searches reads it
    monkeypatch.setattr(parallel, "can_fork", lambda: True)  # also when this test process has QGIS loaded
    pids, forked = run()
    assert len(pids - {os.getpid()}) == 1 and forked == in_turn


def test_drive_times_follow_the_roads_at_their_speeds():
    """Two roads in an L: 1 km at 60 km/h then 1 km at 30 km/h; origins 100 m off the road walk at 5 km/h."""
    roads = [LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 1000)]),
             LineString([(5000, 5000), (6000, 5000)])]  # an island nobody can drive to
    origins = [shapely.Point(0, -100), shapely.Point(500, 0), shapely.Point(5500, 5000)]
    targets = [shapely.Point(1000, 1000)]
    dt = nw.drive_time_matrix(roads, [60, 30, 50], origins, targets, access_kmh=5.0)
    walk = 100 / (5000 / 60)
    assert dt.minutes[0, 0] == pytest.approx(walk + 1.0 + 2.0)
    assert dt.minutes[1, 0] == pytest.approx(0.5 + 2.0)
    assert np.isinf(dt.minutes[2, 0]) and dt.n_components == 2
    assert dt.snap_m.tolist() == pytest.approx([100, 0, 0, 0])
    assert nw.straight_line_minutes(origins[:1], targets, 60.0)[0, 0] == pytest.approx(np.hypot(1000, 1100) / 1000)


def test_a_worker_that_dies_costs_time_not_results(monkeypatch, tmp_path):
    """A forked worker killed mid-run (out of memory, say): its searches are done again in this process."""
    import os
    import sys
    if not sys.platform.startswith("linux"):
        return
    net = _grid(30)
    csr = net.csr()
    src = np.random.default_rng(2).choice(net.n_nodes, 30, replace=False)
    limits = np.full(30, 500.0)
    parent, flag = os.getpid(), tmp_path / "died"

    def reached(members, nodes, dist):
        if os.getpid() != parent and not flag.exists():
            flag.touch()
            os._exit(1)  # the first worker to get here dies without a word
        r, c = np.nonzero(np.isfinite(dist))
        return members[r], nodes[c], dist[r, c]

    def run():
        parts = list(nw.local_searches(csr, net.xy, src, limits, reduce=reached, workers=2, max_cells=3000))
        return sorted(zip(*(np.concatenate(x).tolist() for x in zip(*parts))))

    monkeypatch.setenv("RISK_ONE_MAP_NO_FORK", "1")
    in_turn = run()
    monkeypatch.delenv("RISK_ONE_MAP_NO_FORK")
    monkeypatch.setattr(network_search, "_FORK_MIN_WORK", 0.0)  # where local_searches reads it
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    assert run() == in_turn and flag.exists()


def test_ordered_map_in_batches_keeps_order_and_survives_a_dead_worker(monkeypatch, tmp_path):
    """Tasks go to forked workers a batch at a time; results come back one per task, in task order, and the
    tasks of a batch whose worker died are done here."""
    import os
    import sys
    if not sys.platform.startswith("linux"):
        return
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    parent, flag = os.getpid(), tmp_path / "died"

    def square(k):
        if k == 11 and os.getpid() != parent and not flag.exists():
            flag.touch()
            os._exit(1)
        return os.getpid(), k * k

    out = list(parallel.ordered_map(square, range(40), workers=2, batch=7))
    assert [v for _, v in out] == [k * k for k in range(40)] and flag.exists()
    assert {pid for pid, _ in out} - {parent}  # most of it in the workers
