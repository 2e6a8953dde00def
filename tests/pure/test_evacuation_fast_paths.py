"""The evacuation's faster paths give what the plain ones give, to the bit, on cases small enough to read."""
import os
import sys

import numpy as np
import scipy.sparse as sp
import shapely

from risk_one_map.analysis import network as nw
from risk_one_map.analysis import network_access, parallel
from risk_one_map.analysis.network_build import _first_of_pairs


def _sorted_csr(tail, head, weight, n):
    """The sorted way arcs_csr takes when there are parallel arcs, for every case."""
    keep = _first_of_pairs(tail, head, weight)
    m = sp.csr_matrix((weight[keep], (tail[keep], head[keep])), shape=(n, n))
    m.sort_indices()
    return m


def _same_matrix(a, b):
    return (a.indices.dtype == b.indices.dtype and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data))


def test_arcs_without_parallel_ones_give_the_sorted_matrix():
    rng = np.random.default_rng(3)
    pairs = np.unique(rng.integers(0, 40, (150, 2)), axis=0)
    pairs = pairs[rng.permutation(len(pairs))]
    w = rng.random(len(pairs)) * 10
    w[::7] = 0.0  # zero-length exits stay arcs
    fast = nw.arcs_csr(pairs[:, 0], pairs[:, 1], w, 40)
    assert fast.nnz == len(pairs) and _same_matrix(fast, _sorted_csr(pairs[:, 0], pairs[:, 1], w, 40))


def test_parallel_arcs_keep_the_lightest_not_their_sum():
    tail, head, w = np.array([0, 1, 0, 2]), np.array([1, 2, 1, 0]), np.array([5.0, 1.0, 3.0, 2.0])
    m = nw.arcs_csr(tail, head, w, 3)
    assert m[0, 1] == 3.0 and m.nnz == 3 and _same_matrix(m, _sorted_csr(tail, head, w, 3))


def _split_one_by_one(net, edges, positions):
    """What split_edges did edge by edge before it worked on arrays: the new nodes and pieces, in order."""
    nodes, next_node, by_edge, pieces, cuts_made = np.empty(len(edges), np.int64), net.n_nodes, {}, [], []
    for k in range(len(edges)):
        if positions[k] <= 1e-3:
            nodes[k] = net.u[edges[k]]
        elif positions[k] >= net.length[edges[k]] - 1e-3:
            nodes[k] = net.v[edges[k]]
        else:
            by_edge.setdefault(int(edges[k]), []).append(k)
    for e, ks in by_edge.items():
        cuts, ids = [], []
        for k in sorted(ks, key=lambda k: positions[k]):
            if cuts and positions[k] - cuts[-1] <= 1e-3:
                nodes[k] = ids[-1]
                continue
            cuts.append(positions[k])
            cuts_made.append((e, positions[k]))
            ids.append(next_node)
            nodes[k] = next_node
            next_node += 1
        chain, bounds = [int(net.u[e])] + ids + [int(net.v[e])], [0.0] + cuts + [float(net.length[e])]
        pieces += [(a, b, e, s, t) for a, b, s, t in zip(chain[:-1], chain[1:], bounds[:-1], bounds[1:])]
    return nodes, pieces, cuts_made


def test_split_edges_numbers_nodes_and_pieces_as_one_edge_at_a_time():
    net = nw.build_network([shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)]),
                            shapely.LineString([(0, 100), (60, 100), (60, 160)])])
    # edges out of order, ties, an end, cuts a hair apart: 20.0008 joins 20, 20.0016 is a cut, 20.0024 joins it
    edges = np.array([2, 0, 2, 0, 0, 1, 0, 2, 0, 0])
    pos = np.array([90.0, 20.0, 30.0, 20.0008, 20.0016, 100.0, 20.0, 0.0, 70.0, 20.0024])
    new, nodes = nw.split_edges(net, edges, pos)
    want_nodes, pieces, cuts = _split_one_by_one(net, edges, pos)
    assert nodes.tolist() == want_nodes.tolist()
    split = len(pieces)
    assert new.n_edges == net.n_edges - len({p[2] for p in pieces}) + split
    assert new.u[-split:].tolist() == [p[0] for p in pieces] and new.v[-split:].tolist() == [p[1] for p in pieces]
    assert new.road[-split:].tolist() == net.road[[p[2] for p in pieces]].tolist()
    want_len = shapely.length(nw.substrings(net.geometry[[p[2] for p in pieces]], [p[3] for p in pieces],
                                            [p[4] for p in pieces]))
    assert np.array_equal(new.length[-split:], want_len)
    at = shapely.line_interpolate_point(net.geometry[[e for e, _ in cuts]], [t for _, t in cuts])
    assert np.array_equal(new.xy[net.n_nodes:], shapely.get_coordinates(at)) and len(cuts) == 5


def test_points_attached_in_two_threads_within_their_own_bounds_as_in_one_thread_in_rounds(monkeypatch):
    """Two threads, and each point missed by the first round searched within the distance to its nearest junction:
    the same edges, positions and legs as one thread searching in rounds (a 200 m grid: many points are more than
    25 m from a road, some beyond max_leg_m, some far outside)."""
    rng = np.random.default_rng(5)
    lines = [shapely.LineString([(x, 0), (x, 1000)]) for x in range(0, 1001, 200)] + \
        [shapely.LineString([(0, y), (1000, y)]) for y in range(0, 1001, 200)] + \
        [shapely.LineString([(100, 100), (130, 170), (100, 190)])]
    net = nw.build_network(lines)
    pts = list(shapely.points(rng.uniform(-300, 1300, (400, 2)))) + [shapely.Point(), None, shapely.box(10, 10, 30, 30),
                                                                      shapely.Point(9e5, 9e5)]
    pts = np.array(pts, dtype=object)
    allowed = rng.random(net.n_edges) > 0.3
    monkeypatch.setattr(network_access, "_BOUND_MIN_POINTS", 10 ** 9)
    one = [nw.attach_points(net, pts, max_leg_m=60.0), nw.attach_points(net, pts, allowed_edges=allowed)]
    monkeypatch.setattr(network_access, "_BOUND_MIN_POINTS", 0)
    monkeypatch.setattr(network_access, "_THREAD_MIN_POINTS", 0)
    monkeypatch.setattr(parallel, "worker_count", lambda workers=None: 2)
    two = [nw.attach_points(net, pts, max_leg_m=60.0), nw.attach_points(net, pts, allowed_edges=allowed)]
    monkeypatch.setattr(network_access, "_KD_MIN_POINTS", 0)  # bounds by the nearest junction, not road
    two_kd = [nw.attach_points(net, pts, max_leg_m=60.0), nw.attach_points(net, pts)]
    one.append(nw.attach_points(net, pts))
    two.append(two_kd[1])
    for a, b in zip(one + one[:1], two + two_kd[:1]):
        for f in ("edge", "t", "leg", "xy", "point_xy"):
            assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    assert (one[0].edge == -1).sum() > 10 and (one[1].edge >= 0).sum() == 402  # far ones dropped; the box counts
    assert (one[1].leg[:400] > 25).sum() > 100


def test_work_in_background_gives_its_value_and_is_redone_here_if_the_child_fails(monkeypatch):
    if not sys.platform.startswith("linux"):
        return
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    monkeypatch.setattr(parallel, "worker_count", lambda workers=None: 2)
    parent = os.getpid()
    job = parallel.in_background(lambda: (os.getpid(), np.arange(5)))
    pid, value = job.result()
    assert pid != parent and value.tolist() == [0, 1, 2, 3, 4]

    def fails_in_the_child():
        if os.getpid() != parent:
            os._exit(1)  # dies without a word
        return "here"
    assert parallel.in_background(fails_in_the_child).result() == "here"
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert parallel.in_background(lambda: os.getpid()).result() == parent


def test_evacuee_groups_are_numbered_as_np_unique_numbers_them():
    from risk_one_map.analysis.evacuation import _groups
    keys = ["3", "10,2", "", "2", "10,2", "3", "10", "1,3", ""]
    values, inverse = _groups(keys)
    want_values, want_inverse = np.unique(np.array(keys, dtype=object), return_inverse=True)
    assert values.tolist() == want_values.tolist() and inverse.tolist() == want_inverse.tolist()


def test_points_attached_to_the_nearest_road_by_the_definition():
    """Candidates from boxes, each distance computed once: each point on its nearest edge (ties: the lowest index)
    within max_leg_m, as measuring every edge gives it; the same through a split network's own index."""
    rng = np.random.default_rng(11)
    lines = [shapely.LineString([(x, 0), (x, 600)]) for x in range(0, 601, 100)] + \
        [shapely.LineString([(0, y), (600, y)]) for y in range(0, 601, 150)] + \
        [shapely.LineString([(20, 20), (70, 90), (40, 130)])]
    net = nw.build_network(lines)
    zone = shapely.Point(300, 300).buffer(120)
    split = nw.split_at_polygons(net, [zone])
    assert split._split_from is not None and split.n_edges > net.n_edges
    grid = [(x, y) for x in (0.0, 50.0, 100.0) for y in (0.0, 75.0)]  # on roads, between two at equal distance
    pts = shapely.points(np.r_[rng.uniform(-200, 800, (300, 2)), grid])
    for g in (net, split):
        got = nw.attach_points(g, pts, max_leg_m=90.0)
        d = shapely.distance(pts[:, None], g.geometry[None, :])
        want = np.where(d.min(axis=1) <= 90.0, np.argmin(d, axis=1), -1)  # argmin: the first of equal ones
        assert np.array_equal(got.edge, want) and (want == -1).sum() > 20
        ok = want >= 0
        assert np.array_equal(got.leg[ok], d.min(axis=1)[ok])
        assert np.array_equal(got.t[ok], shapely.line_locate_point(g.geometry[want[ok]], pts[ok]))
    plain = nw.RoadNetwork(split.xy, split.u, split.v, split.length, split.geometry, split.road)
    a, b = nw.attach_points(split, pts), nw.attach_points(plain, pts)
    assert all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True) for f in ("edge", "t", "leg", "xy"))


def test_a_split_networks_index_finds_the_pairs_a_tree_of_all_its_edges_finds():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 1000, (60, 2))
    net = nw.build_network(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    zones = shapely.buffer(shapely.points(rng.uniform(200, 800, (4, 2))), 120)
    split = nw.split_at_polygons(net, zones)
    tree = shapely.STRtree(split.geometry)
    probes = shapely.points(rng.uniform(0, 1000, (200, 2)))
    for kind in ({"predicate": "intersects"}, {"predicate": "dwithin", "distance": 40.0}, {}):
        geoms = zones if kind.get("predicate") == "intersects" else shapely.buffer(probes, 5) if not kind else probes
        want = {tuple(p) for p in tree.query(geoms, **kind).T.tolist()}
        assert {tuple(p) for p in split.index.query(geoms, **kind).T.tolist()} == want and want
    assert np.array_equal(nw.edge_polygons(split, zones).toarray(),
                          nw.edge_polygons(nw.RoadNetwork(split.xy, split.u, split.v, split.length, split.geometry,
                                                          split.road), zones).toarray())


def test_nearest_shelter_near_the_targets_as_over_the_whole_graph(monkeypatch):
    """The side work's search over the part of the graph near the households: the distances of the whole search."""
    from risk_one_map.analysis import evacuation
    from scipy.sparse.csgraph import dijkstra
    rng = np.random.default_rng(4)
    side = 50
    ij = np.indices((side, side)).reshape(2, -1).T
    xy = ij * 40.0 + rng.uniform(-8, 8, (side * side, 2))
    idx = np.arange(side * side).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    keep = rng.random(len(u)) > 0.15
    u, v = u[keep], v[keep]
    length = np.hypot(*(xy[u] - xy[v]).T) * rng.uniform(1.0, 1.3, len(u))  # roads longer than the straight line
    g = nw.WalkGraph(side * side, side * side, np.r_[u, v], np.r_[v, u], np.r_[length, length], np.r_[u, u] * 0,
                     np.zeros(2 * len(u)), np.zeros(2 * len(u)), np.arange(side * side), xy)
    sources, targets = rng.choice(side * side, 150, replace=False), rng.choice(side * side, 25, replace=False)
    whole = []
    monkeypatch.setattr(evacuation, "dijkstra", lambda csr, **kw: (whole.append(csr.shape[0] == side * side),
                                                                  dijkstra(csr, **kw))[1])
    for limit, some in ((150.0, targets[:3]), (250.0, targets[:2]), (900.0, targets), (np.inf, targets)):
        want = dijkstra(g.csr(transpose=True), indices=sources, min_only=True, limit=limit)[some]
        assert np.array_equal(evacuation._nearest_shelter_near(g, sources, some, limit), want)
        assert np.isfinite(want).any() and (limit > 200 or (~np.isfinite(want)).any())
    assert whole == [False, False, True, True]  # the part near a few households; the whole graph when they are all over


def test_whole_households_follow_their_rule():
    """Split households, largest first, go whole to their cheapest shelter with room; then the households left out
    that fit somewhere, cheapest arc first, each to its cheapest shelter with room (stated here loop by loop)."""
    from risk_one_map.analysis.shelter_assignment import _whole_households
    rng = np.random.default_rng(8)
    for _ in range(200):
        H, S, A = int(rng.integers(1, 30)), int(rng.integers(1, 6)), int(rng.integers(0, 90))
        h, s, cost = rng.integers(0, H, A), rng.integers(0, S, A), rng.integers(0, 15, A)
        supply, cap = rng.integers(0, 6, H), rng.integers(0, 12, S)
        flow = np.minimum(supply[h], rng.integers(0, 3, A))
        unserved = np.maximum(supply - np.bincount(h, weights=flow, minlength=H).astype(np.int64), 0)
        chosen, n_split, _ = _whole_households(h, s, cost, flow, unserved, supply, cap)
        arcs = [[a for a in range(A) if h[a] == k] for k in range(H)]
        parts = [sum(flow[a] > 0 for a in arcs[k]) + (unserved[k] > 0) for k in range(H)]
        want = [next(a for a in arcs[k] if flow[a] > 0) if parts[k] == 1 and unserved[k] == 0 else -1
                for k in range(H)]
        room = list(cap)
        for k in range(H):
            if want[k] >= 0:
                room[s[want[k]]] -= supply[k]

        def place(k):
            for a in sorted(arcs[k], key=lambda a: cost[a]):
                if room[s[a]] >= supply[k]:
                    want[k] = a
                    room[s[a]] -= supply[k]
                    return
        split = [k for k in range(H) if parts[k] > 1]
        for k in sorted(split, key=lambda k: -supply[k]):
            place(k)
        if split:
            fits = [any(room[s[a]] >= supply[k] for a in arcs[k]) for k in range(H)]
            left = [k for k in range(H) if want[k] < 0 and fits[k]]
            for k in sorted(left, key=lambda k: min(cost[a] for a in arcs[k])):
                place(k)
        assert chosen.tolist() == want and n_split == len(split)


def test_work_shared_with_a_child_comes_back_in_order_and_a_dead_childs_share_is_done_here(monkeypatch):
    import time
    if not sys.platform.startswith("linux"):
        return
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    parent = os.getpid()

    def slow(k):
        time.sleep(0.02)  # long enough that both processes take some
        return k * k, os.getpid()
    out = parallel.shared_map(slow, range(12), workers=2)
    assert [v for v, _ in out] == [k * k for k in range(12)]
    assert parent in {pid for _, pid in out} and len({pid for _, pid in out}) == 2

    def dies_in_the_child(k):
        if os.getpid() != parent:
            os._exit(1)
        time.sleep(0.01)
        return k + 1
    assert parallel.shared_map(dies_in_the_child, range(6), workers=2) == [1, 2, 3, 4, 5, 6]
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert parallel.shared_map(lambda k: os.getpid(), range(4), workers=2) == [parent] * 4
