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
    for a, b in zip(one, two):
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
