"""Evacuation on tiny readable cases: zones, who leaves, optimal assignment, barriers, isochrones, the job."""
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from risk_one_map.errors import MissingDependency, RiskOneMapError
import shapely
from shapely.geometry import LineString, Point, box

from risk_one_map.analysis import evacuation as ev
from risk_one_map.analysis import shelter_assignment
from risk_one_map.analysis import network as nw
from risk_one_map.layers import model

CRS = "EPSG:4548"


def gdf(rows, geoms):
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(geoms), crs=CRS)


def households(xy, people=None, vulnerable=None):
    n = len(xy)
    return gdf({"id": [f"H{i + 1}" for i in range(n)], "village_code": ["V1"] * n,
                "people": people or [1] * n, "vulnerable": vulnerable or [""] * n}, [Point(p) for p in xy])


def shelters(xy, capacity, cls="short_term"):
    n = len(xy)
    return gdf({"id": [f"S{i + 1}" for i in range(n)], "name": [f"shelter {i + 1}" for i in range(n)],
                "shelter_class": [cls] * n, "capacity": capacity}, [Point(p) for p in xy])


def zone(geom, hid="Z1"):
    return gdf({"zone_id": [f"{hid}@1"], "hazard_id": [hid], "ring": [1.0]}, [geom])


def plan(roads, zones, hh, sh, **kw):
    evacuees, _ = ev.households_in_zones(zones, hh)
    cap, _ = ev.shelter_capacity(sh)
    return ev.plan_evacuation(nw.build_network(roads), zones, evacuees, cap, **kw)


ROAD = [LineString([(0, 0), (100, 0)])]


def test_optimal_assignment_beats_greedy_nearest():
    # A at 0 takes 1 person, B at 100 takes 2. Greedy in list order: H1 (45 m) -> A, H2 -> B (90), H3 -> B (10) = 145.
    # The optimum sends H2 to A (10), H1 to B (55), H3 to B (10) = 75.
    p = plan(ROAD, zone(box(5, -5, 95, 5)), households([(45, 0), (10, 0), (90, 0)]),
             shelters([(0, 0), (100, 0)], [1, 2]))
    assert p.stats["total_person_m"] == pytest.approx(75.0)
    assert dict(zip(p.evacuees.household_id, p.evacuees.shelter_id)) == {"H1": "S2", "H2": "S1", "H3": "S2"}
    assert list(p.shelter_load.columns[:5]) == ["shelter_id", "name", "capacity", "assigned", "load_ratio"]
    assert list(p.shelter_load.assigned) == [1, 2] and list(p.shelter_load.load_ratio) == [1.0, 1.0]


def test_scipy_fallback_finds_the_same_optimum():
    h, s = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 0, 1])
    cost = np.array([45, 55, 10, 90, 90, 10])
    for solver in ("ortools", "scipy"):
        flow, unserved, _ = ev.solve_transport(h, s, cost, np.ones(3, int), np.array([1, 2]), 10_000, solver)
        assert (flow * cost).sum() == 75 and unserved.sum() == 0


def test_max_flow_with_min_cost_places_as_many_and_as_cheaply_as_the_unserved_arc_form():
    # scarce room: OR-Tools' max flow with min cost must leave out exactly whom the textbook form (an unserved arc
    # at a prohibitive cost, solved here by HiGHS) leaves out, at the same total cost
    rng = np.random.default_rng(7)
    H, S = 60, 6
    h = np.repeat(np.arange(H), 3)
    s = np.concatenate([rng.choice(S, 3, replace=False) for _ in range(H)])
    cost = rng.integers(1, 500, len(h))
    supply, capacity = rng.integers(1, 7, H), rng.integers(5, 40, S)
    assert capacity.sum() < supply.sum()
    out = {}
    for solver in ("ortools", "scipy"):
        flow, unserved, _ = ev.solve_transport(h, s, cost, supply, capacity, (2 * S + 2) * 500 + 1, solver)
        assert (np.bincount(h, flow, minlength=H) + unserved == supply).all()
        assert (np.bincount(s, flow, minlength=S) <= capacity).all()
        out[solver] = (int(flow.sum()), int((flow * cost).sum()))
    assert out["ortools"] == out["scipy"]


def test_missing_ortools_is_named(monkeypatch):
    monkeypatch.setattr(shelter_assignment, "_ortools", lambda: None)  # where solve_transport looks
    with pytest.raises(MissingDependency, match="ortools"):
        ev.solve_transport([0], [0], [1], [1], [1], 10, solver="ortools")
    _, _, name = ev.solve_transport([0], [0], [1], [1], [1], 10, solver="auto")
    assert "scipy" in name


def test_capacity_overflow_is_unserved_no_capacity_and_households_stay_whole():
    p = plan(ROAD, zone(box(5, -5, 95, 5)), households([(40, 0), (60, 0), (50, 0)], people=[2, 2, 3]),
             shelters([(0, 0)], [4]))
    assert p.stats["assigned_people"] == 4  # the two households of 2 fit, the 3 does not
    assert list(p.unserved.household_id) == ["H3"] and list(p.unserved.reason) == [ev.NO_CAPACITY]
    assert p.stats["households"] == len(p.evacuees.dropna(subset=["shelter_id"])) + len(p.unserved)


def test_unreachable_household_is_unserved_no_route():
    roads = ROAD + [LineString([(500, 500), (600, 500)])]
    hh = households([(50, 0), (550, 501)])
    p = plan(roads, zone(box(5, -5, 95, 5)).pipe(lambda z: pd.concat([z, zone(box(540, 490, 560, 510), "Z2")])),
             hh, shelters([(0, 0)], [10]))
    assert list(p.unserved.household_id) == ["H2"] and p.unserved.reason.iloc[0] == ev.NO_ROUTE
    assert "reaches no open shelter" in p.unserved.detail.iloc[0]
    assert p.stats["road_components"] == 2


def test_a_route_never_passes_through_another_danger_zone():
    # a ring road: the direct way west from H (in Z1) to the shelter crosses zone Z2; the detour north does not
    roads = [LineString([(0, 0), (200, 0)]), LineString([(0, 0), (0, 100), (200, 100), (200, 0)])]
    zones = pd.concat([zone(box(180, -10, 220, 10), "Z1"), zone(box(80, -10, 120, 10), "Z2")], ignore_index=True)
    hh = households([(200, 0)])
    sh = shelters([(0, 0)], [10])
    blocked = plan(roads, zones, hh, sh)
    assert blocked.stats["total_person_m"] == pytest.approx(400.0)  # 100 up, 200 across, 100 down
    z2 = zones.geometry.iloc[1]
    assert not any(shapely.intersects(g, z2.buffer(-0.01)) for g in blocked.routes.geometry)
    free = plan(roads, zones, hh, sh, barriers=False)
    assert free.stats["total_person_m"] == pytest.approx(200.0)
    # the only way out through another zone: no route, and the reason says so
    cut = plan(roads[:1], zones, hh, sh)
    assert cut.unserved.reason.iloc[0] == ev.NO_ROUTE and "another danger zone" in cut.unserved.detail.iloc[0]


def test_a_household_far_from_every_road_has_no_route_and_says_how_far():
    # a road layer covering part of the area must not pull in people from beyond it along a straight line
    far = households([(50, 1500)])
    p = plan(ROAD, zone(box(0, 1400, 100, 1600)), far, shelters([(100, 0)], [10]))
    assert p.stats["assigned_households"] == 0 and p.stats["no_road_near"] == 1
    assert list(p.unserved.reason) == [ev.NO_ROUTE] and "1000 m of the household" in p.unserved.detail[0]
    p = plan(ROAD, zone(box(0, 1400, 100, 1600)), far, shelters([(100, 0)], [10]), max_leg_m=2000)
    assert p.stats["assigned_households"] == 1 and p.evacuees.distance_m[0] == pytest.approx(1500 + 50)


def test_vulnerable_walk_slower_and_the_standard_check_lists_them():
    p = plan(ROAD, zone(box(50, -5, 95, 5)), households([(80, 0), (81, 0)], vulnerable=["", "独居老人"]),
             shelters([(100, 0)], [10], cls="emergency"), walk_kmh=4.0, walk_kmh_vulnerable=0.1)
    e = p.evacuees.set_index("household_id")
    assert e.walk_min["H1"] == pytest.approx(20 / (4000 / 60), abs=0.05)
    assert e.walk_min["H2"] == pytest.approx(19 / (100 / 60), abs=0.05)
    assert bool(e.meets_standard["H1"]) and not bool(e.meets_standard["H2"])
    assert "vulnerable" in e.standard_note["H2"]


def test_emergency_shelters_take_only_households_within_their_radius():
    p = plan([LineString([(0, 0), (2000, 0)])], zone(box(500, -5, 1500, 5)),
             households([(1000, 0)]), shelters([(0, 0), (2000, 0)], [10, 10], cls="emergency"))
    assert p.unserved.reason.iloc[0] == ev.NO_ROUTE
    p = plan([LineString([(0, 0), (3000, 0)])], zone(box(500, -5, 1500, 5)),
             households([(1000, 0)]), shelters([(0, 0)], [10], cls="short_term"))
    assert p.evacuees.distance_m.iloc[0] == 1000 and bool(p.evacuees.meets_standard.iloc[0])


def test_shelters_in_a_danger_zone_are_closed():
    p = plan(ROAD, zone(box(5, -5, 95, 5)), households([(50, 0)]), shelters([(60, 0), (100, 0)], [10, 10]))
    assert list(p.shelter_load.status) == ["in danger zone", "open"]
    assert p.evacuees.shelter_id.iloc[0] == "S2"


def test_isochrone_areas_grow_with_minutes_and_split_between_shelters():
    net = nw.build_network([LineString([(0, 0), (2000, 0)]), LineString([(1000, 0), (1000, 1500)])])
    sh = shelters([(0, 0), (2000, 0)], [10, 10])
    sh["shelter_id"] = sh["id"]
    iso = ev.shelter_isochrones(net, sh, minutes=(5, 10, 15), walk_kmh=4.0, width_m=10)
    for sid in ("S1", "S2"):
        area = iso[iso.shelter_id == sid].sort_values("minutes").area_m2.to_numpy()
        assert len(area) == 3 and (np.diff(area) > 0).all()
    # at 15 min (1000 m) each reaches the middle; the two areas touch and do not overlap
    s1, s2 = (iso[(iso.shelter_id == s) & (iso.minutes == 15)].geometry.iloc[0] for s in ("S1", "S2"))
    assert s1.intersection(s2).area < 10 * 10 * 4 + 1
    roads = iso[iso.minutes == 5].road_m.to_numpy()
    assert np.allclose(roads, 5 * 4000 / 60, atol=0.5)


def test_isochrones_in_forked_workers_are_the_same_polygons(monkeypatch):
    import sys
    if not sys.platform.startswith("linux"):
        return
    from risk_one_map.analysis import parallel
    step = 200.0
    lines = [LineString([(0, y), (6000, y)]) for y in np.arange(0, 6001, step)] + \
        [LineString([(x, 0), (x, 6000)]) for x in np.arange(0, 6001, step)]
    net = nw.build_network(lines)
    xy = [(x, y) for x in np.arange(300, 6000, 1100) for y in np.arange(300, 6000, 1100)]  # 36 shelters
    sh = shelters(xy, [10] * len(xy))
    sh["shelter_id"] = sh["id"]
    monkeypatch.setenv("RISK_ONE_MAP_NO_FORK", "1")
    in_turn = ev.shelter_isochrones(net, sh, minutes=(5, 10), walk_kmh=4.0, width_m=20)
    monkeypatch.delenv("RISK_ONE_MAP_NO_FORK")
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    forked = ev.shelter_isochrones(net, sh, minutes=(5, 10), walk_kmh=4.0, width_m=20)
    assert len(in_turn) == 2 * len(xy)
    pd.testing.assert_frame_equal(in_turn.drop(columns="geometry"), forked.drop(columns="geometry"))
    assert all(a.equals(b) for a, b in zip(in_turn.geometry, forked.geometry))


def test_evacuation_zones_rules_and_reports():
    pts = gdf({"id": ["P1", "P2", "P3", "P4"], "name": ["a", "b", "c", "d"],
               "kind": ["landslide", "rockfall", "debris_flow", "landslide"],
               "evac_radius_m": [None, 120.0, None, None]}, [Point(0, 0), Point(1000, 0), Point(2000, 0), None])
    dz = gdf({"id": ["DZ1"], "point_id": ["P1"], "kind": ["landslide"]}, [box(-50, -50, 50, 80)])
    lows = gdf({"id": ["L1", "L2"], "name": ["deep", "shallow"], "max_depth_m": [0.6, 0.05], "area_m2": [400.0, 50.0]},
               [Point(5000, 0), Point(6000, 0)])
    zones, issues = ev.evacuation_zones(pts, dz, lows, rings=(1.0, 2.0))
    r1 = zones[zones.ring == 1.0].set_index("hazard_id")
    assert r1.basis["P1"] == "danger zone polygon" and r1.geometry["P1"].equals(box(-50, -50, 50, 80))
    assert r1.basis["P2"] == "evac_radius_m" and r1.radius_m["P2"] == 120 and not r1.radius_is_default["P2"]
    assert r1.radius_is_default["P3"] and r1.radius_m["P3"] == model.default_value("evac_radius_debris_flow_m")
    assert "L2" not in r1.index and r1.radius_m["L1"] == pytest.approx(np.sqrt(400 / np.pi) + 100)
    assert "P4" not in r1.index
    assert {(i["feature"], i["field"]) for i in issues} == {("P4", "geometry"), ("L2", "max_depth_m")}
    r2 = zones[zones.ring == 2.0].set_index("hazard_id")
    assert r2.geometry["P2"].area == pytest.approx(np.pi * 240 ** 2, rel=0.01)
    zones, _ = ev.evacuation_zones(pts, None, None, radii={"debris_flow": 50})
    assert zones[zones.ring == 1.0].set_index("hazard_id").radius_m["P3"] == 50


def test_households_outside_villages_and_cells_without_households():
    from affine import Affine
    villages = gdf({"code": ["V1", "V2"], "name": ["one", "two"]}, [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    hh = gdf({"id": ["H1", "H2"], "people": [3, None], "vulnerable": ["残疾", ""]}, [Point(50, 50), Point(500, 50)])
    zones = zone(box(0, 0, 600, 100))
    pop = np.full((1, 6), 4.0)  # 100 m cells over x 0..600
    ev_, issues = ev.households_in_zones(zones, hh, villages, (pop, Affine(100, 0, 0, 0, -100, 100), -1))
    e = ev_.set_index("household_id")
    assert e.village_code["H1"] == "V1" and bool(e.vulnerable["H1"]) and e.people["H2"] == 1
    assert e.village_code["H2"] is None
    assert {i["field"] for i in issues} == {"people", "village_code"}
    # V1 has a household point, so its cell adds nobody; V2 has none, so its cell becomes a pseudo-household;
    # cells outside every village add nobody while there is a households layer
    pseudo = e[e.pseudo]
    assert "cell:0:1" in pseudo.index and "cell:0:0" not in pseudo.index and pseudo.people.eq(4).all()


def test_shelter_capacity_from_area_or_reported():
    sh = gdf({"id": ["A", "B", "C"], "name": ["a", "b", "c"], "shelter_class": ["emergency", "short_term", "紧急"],
              "capacity": [None, 0, None], "area_m2": [300.0, 300.0, None]}, [Point(0, 0)] * 3)
    cap, issues = ev.shelter_capacity(sh)
    assert list(cap.capacity) == [300, 150, 0] and list(cap.shelter_class) == ["emergency", "short_term", "emergency"]
    assert [i["severity"] for i in issues] == ["warning", "warning", "error"]


def test_conservation_on_a_mixed_case():
    rng = np.random.default_rng(3)
    xy = np.c_[rng.uniform(0, 1000, 60), rng.uniform(-20, 20, 60)]
    roads = [LineString([(0, 0), (1000, 0)]), LineString([(500, 0), (500, 500)]), LineString([(2000, 0), (2100, 0)])]
    hh = households([tuple(p) for p in xy] + [(2050, 5)], people=list(rng.integers(1, 5, 61)))
    p = plan(roads, zone(box(100, -30, 900, 30)).pipe(lambda z: pd.concat([z, zone(box(2000, -30, 2100, 30), "Z9")])),
             hh, shelters([(0, 0), (500, 500), (1000, 0)], [30, 20, 10]))
    placed = p.evacuees.dropna(subset=["shelter_id"])
    assert len(placed) + len(p.unserved) == p.stats["households"]
    assert placed.people.sum() + p.unserved.people.sum() == p.stats["people"]
    load = p.shelter_load.set_index("shelter_id")
    assert (load.assigned <= load.capacity).all()
    assert set(p.unserved.reason) <= {ev.NO_ROUTE, ev.NO_CAPACITY}


def _tiny_package(tmp_path):
    from risk_one_map.layers.package import write_package
    from tests.tiny import X0, Y0, tiny_layers
    layers = tiny_layers()
    layers["roads"] = gpd.GeoDataFrame({"id": ["R1", "R2", "R3"], "kind": ["county", "village", "path"],
                                        "walkable": [1, 1, 0]},
                                       geometry=[LineString([(X0, Y0 + 1000), (X0 + 2000, Y0 + 1000)]),
                                                 LineString([(X0 + 300, Y0 + 1000), (X0 + 300, Y0 + 1800)]),
                                                 LineString([(X0, Y0), (X0 + 2000, Y0 + 2000)])], crs=CRS)
    layers["shelters"] = gpd.GeoDataFrame({"id": ["S1", "S2"], "name": ["东一村小学", "西二村广场"],
                                           "shelter_class": ["short_term", "emergency"], "area_m2": [3000.0, 800.0],
                                           "capacity": [None, 0.0]},
                                          geometry=[Point(X0 + 800, Y0 + 1010), Point(X0 + 1900, Y0 + 1000)], crs=CRS)
    layers["geohazard_points"] = gpd.GeoDataFrame(
        {"id": ["G1", "G2"], "name": ["后山滑坡", "无坐标点"], "kind": ["landslide", "rockfall"],
         "evac_radius_m": [150.0, None]}, geometry=[Point(X0 + 300, Y0 + 1700), None], crs=CRS)
    layers["households"] = gpd.GeoDataFrame(
        {"id": ["H1", "H2", "H3"], "village_code": ["110109001202", None, "110109001202"], "people": [3, 2, 4],
         "vulnerable": ["独居老人", "", ""]},
        geometry=[Point(X0 + 320, Y0 + 1650), Point(X0 + 280, Y0 + 1750), Point(X0 + 1500, Y0 + 500)], crs=CRS)
    return write_package(tmp_path / "pkg", layers)


def test_job_writes_every_output_with_spec_columns(tmp_path):
    import pyogrio
    from risk_one_map.jobs import evacuation as job
    pkg = _tiny_package(tmp_path)
    with pytest.raises(RiskOneMapError, match="layer geohazard_points, feature 2 \\(id=G2\\).*geometry is empty"):
        job.run(pkg.path)  # check's rule, applied by the job: a hazard point with no location is refused
    points = pkg.read("geohazard_points")
    pkg.write_layers({"geohazard_points": points[points.id == "G1"]})
    res = job.run(pkg.path)
    names = set(pkg.layer_names())
    assert set(job.OUTPUT_LAYERS) <= names and {"households", "roads"} <= names
    load = pyogrio.read_dataframe(pkg.gpkg, layer="shelter_load", read_geometry=False)
    assert list(load.columns[:5]) == ["shelter_id", "name", "capacity", "assigned", "load_ratio"]
    assert list(load.capacity) == [1500, 800]  # from the areas, at 2 and 1 m² per person
    csv = pd.read_csv(pkg.path / "shelter_load.csv", encoding="utf-8-sig")
    assert list(csv.columns[:5]) == ["shelter_id", "name", "capacity", "assigned", "load_ratio"]
    assert (pkg.path / "unserved.csv").is_file()
    evac = pyogrio.read_dataframe(pkg.gpkg, layer="evacuees")
    assert {"household_id", "shelter_id", "distance_m", "walk_min"} <= set(evac.columns)
    assert sorted(evac.household_id) == ["H1", "H2"] and set(evac.shelter_id) == {"S1"}
    routes = pyogrio.read_dataframe(pkg.gpkg, layer="evacuation_routes")
    assert routes.people.max() == 5 and set(routes.shelter_id) == {"S1"}
    iso = pyogrio.read_dataframe(pkg.gpkg, layer="shelter_isochrones")
    assert set(iso.minutes) == {5, 10, 15}
    issues = pyogrio.read_dataframe(pkg.gpkg, layer="evacuation_issues", read_geometry=False)
    assert {"S1", "S2"} <= set(issues.feature.dropna())
    assert res.stats["households"] == 2 and res.summary_lines()
    assert not any("--max-walk-m" in line for line in res.summary_lines())
    res.plan.stats.update(candidate_arcs=6_000_000, max_walk_m=None)  # a big county with no walking limit
    assert any("--max-walk-m 5000" in line for line in res.summary_lines())


def test_job_on_the_sample_county(sample_package, tmp_path):
    from risk_one_map.jobs import evacuation as job
    pkg = shutil.copytree(sample_package.path, tmp_path / "county")
    res = job.run(pkg, max_walk_m=None)
    s = res.stats
    assert s["households"] > 0 and s["assigned_households"] > 0
    assert s["assigned_households"] + s["unserved_households"] == s["households"]
    load = res.plan.shelter_load
    assert (load.assigned <= load.capacity).all()
    assert len(res.isochrones) and len(res.plan.routes)


def test_job_without_roads_shelters_or_households_reports_and_never_crashes(tmp_path):
    from affine import Affine
    from risk_one_map.jobs import evacuation as job
    from risk_one_map.layers.package import write_package
    from tests.tiny import X0, Y0, tiny_layers
    layers = tiny_layers()
    del layers["roads"], layers["shelters"]
    layers["geohazard_points"] = gpd.GeoDataFrame({"id": ["G1"], "name": ["滑坡"], "kind": ["landslide"]},
                                                  geometry=[Point(X0 + 500, Y0 + 500)], crs=CRS)
    pop = np.full((20, 20), 2.0, dtype="float32")  # 100 m cells over the county
    pkg = write_package(tmp_path / "pkg", layers,
                        rasters={"population.tif": (pop, Affine(100, 0, X0, 0, -100, Y0 + 2000), CRS, -1.0)})
    res = job.run(pkg.path)
    s = res.stats
    assert s["households"] > 0 and s["assigned_households"] == 0 and s["no_route"] == s["households"]
    assert res.plan.evacuees.pseudo.all()
    assert {i["layer"] for i in res.issues if i["severity"] == "error"} >= {"roads", "shelters"}
    assert (pkg.path / "unserved.csv").is_file()
    # people from population cells: the zones count them too, and the summary says they are cells
    ring1 = res.zones[res.zones.ring == 1.0]
    assert ring1.people.sum() == res.plan.evacuees.people.sum() > 0
    assert (res.zones.groupby("ring").people.sum().diff().dropna() >= 0).all()  # outer rings hold at least as many
    assert f"({s['households']} of them population cells)" in res.summary_lines()[0]


def test_job_with_no_hazards_writes_empty_layers(tmp_path):
    import pyogrio
    from risk_one_map.jobs import evacuation as job
    from risk_one_map.layers.package import write_package
    from tests.tiny import tiny_layers
    pkg = write_package(tmp_path / "pkg", tiny_layers())
    res = job.run(pkg.path)
    assert res.stats["households"] == 0 and res.summary_lines()[0] == f"evacuation: {job.NO_ZONES}"
    assert set(job.OUTPUT_LAYERS) <= set(pkg.layer_names())
    assert len(pyogrio.read_dataframe(pkg.gpkg, layer="evacuees")) == 0


def test_a_flood_simulations_adjacent_pieces_are_one_water_body_with_the_flood_area_margin():
    """Three depth classes that touch (one water body) plus a separate pond: two zones, each sized by itself,
    with the flood-area margin, not the low-point radius around every piece."""
    shallow = shapely.MultiPolygon([box(0, 0, 100, 100), box(1000, 0, 1020, 20)])  # a far-off puddle too
    deep = box(100, 0, 150, 100)  # touches the shallow class
    lows = gpd.GeoDataFrame({"id": ["1", "2"], "name": ["0.15-0.3 m", "0.3-1 m"], "max_depth_m": [0.3, 1.0]},
                            geometry=[shallow, deep], crs="EPSG:4548")
    zones, issues = ev.evacuation_zones(None, None, lows, rings=(1.0, 2.0))
    ring1 = zones[zones.ring == 1.0].sort_values("radius_m")
    margin = model.default_value("evac_radius_flood_area_m")
    assert margin == 30.0 and list(ring1.kind) == ["flood_area", "flood_area"]
    assert list(ring1.hazard_id) == ["1#1", "1+2#1"] and ring1.iloc[1].hazard_name == "0.15-0.3 m、0.3-1 m"
    assert ring1.iloc[1].geometry.area == pytest.approx(150 * 100 + 2 * 30 * 250 + np.pi * 30 ** 2, rel=0.001)
    assert ring1.iloc[0].radius_m == pytest.approx((400 / np.pi) ** 0.5 + margin)
    assert any("3 ponded pieces of 2 features dissolved into 2 water bodies" in i["message"] for i in issues)


def test_a_plan_moving_an_implausible_share_says_so():
    from risk_one_map.jobs.evacuation import implausible_share
    assert implausible_share(4_000, 100_000) == ""
    text = implausible_share(602_969, 2_581_270)
    assert text.startswith("602,969 people must leave, 23% of the 2,581,270 in the package") and "check" in text
