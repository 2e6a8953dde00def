"""The sample county: deterministic, internally consistent, and shaped like the one-map model says."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from risk_one_map.layers import model
from risk_one_map.sample.county import make_sample_county
from risk_one_map.sample.roster import FAKE_PHONE_PATTERN


@pytest.fixture(scope="module")
def county():
    """A small county (fast), the same size as the shared ``sample_package`` fixture."""
    return make_sample_county(villages=12, seed=1)


def test_same_seed_gives_identical_tables_and_rasters(county):
    again = make_sample_county(villages=12, seed=1)
    for name, frame in county.layers.items():
        pd.testing.assert_frame_equal(frame, again.layers[name], check_exact=True)
    for name, (array, transform, crs, nodata) in county.rasters.items():
        other = again.rasters[name]
        assert np.array_equal(array, other[0]) and transform == other[1] and nodata == other[3]


def test_default_county_is_big_enough_and_named_like_a_real_one():
    default = make_sample_county()  # 48 villages, seed 7: also checks the default builds at all
    townships, villages = default.layers["townships"], default.layers["villages"]
    assert len(townships) >= 4 and len(villages) >= 40
    assert default.crs.to_epsg() == model.default_projected_epsg(116.0) == 4548  # CGCS2000 3° GK CM 117°E
    assert villages["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,6}(村|社区)").all()
    assert (villages["name"].str.endswith("社区")).sum() >= 2
    assert townships["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,4}(镇|乡)").all()
    for _, names_in_township in villages.groupby("parent_code")["name"]:
        assert names_in_township.is_unique


def test_codes_are_a_12_digit_hierarchy(county):
    c, t, v = county.layers["county"], county.layers["townships"], county.layers["villages"]
    for frame in (c, t, v):
        assert frame["code"].str.fullmatch(r"\d{12}").all() and frame["code"].is_unique
    assert c["code"].iloc[0].endswith("000000")
    assert (t["parent_code"] == c["code"].iloc[0]).all()
    assert t["code"].str.startswith(c["code"].iloc[0][:6]).all() and t["code"].str.endswith("000").all()
    assert set(v["parent_code"]) == set(t["code"])
    assert (v["code"].str[:9] == v["parent_code"].str[:9]).all()
    communities = v["name"].str.endswith("社区")
    assert v.loc[communities, "code"].str[9].eq("0").all() and v.loc[~communities, "code"].str[9].eq("2").all()


def test_villages_tile_townships_and_townships_tile_the_county(county):
    c, t, v = (county.layers[n] for n in ("county", "townships", "villages"))
    area = c.geometry.area.iloc[0]
    assert v.geometry.area.sum() == pytest.approx(area, rel=1e-6)
    assert t.geometry.area.sum() == pytest.approx(area, rel=1e-6)
    assert shapely.union_all(v.geometry.to_numpy()).area == pytest.approx(area, rel=1e-6)  # no overlaps
    assert v.geometry.is_valid.all() and (v.geometry.geom_type == "Polygon").all()


def test_people_agree_across_households_villages_and_the_population_grid(county):
    households, villages = county.layers["households"], county.layers["villages"]
    grid, _, _, nodata = county.rasters["population.tif"]
    total = households["people"].sum()
    assert grid[grid != nodata].astype(np.float64).sum() == total
    assert villages["population"].sum() == total
    by_code = villages.set_index("code")
    per_village = households.groupby("village_code")["people"].sum().reindex(by_code.index)
    assert (by_code["population"] == per_village).all()
    assert (by_code["households"] == households.groupby("village_code").size().reindex(by_code.index)).all()
    assert households["people"].between(1, 6).all() and households["id"].is_unique
    assert (villages["pop_65_plus"] + villages["pop_0_14"] <= villages["population"]).all()
    disabled = households["vulnerable"].isin(["残疾", "卧床"]).groupby(households["village_code"]).sum()
    assert (by_code["disabled"] == disabled.reindex(by_code.index)).all()
    # each house really stands in the village it names
    joined = households.sjoin(villages[["code", "geometry"]], predicate="within")
    assert len(joined) == len(households) and (joined["village_code"] == joined["code"]).all()


def test_dem_is_a_mountain_county_in_metres(county):
    dem, transform, crs, nodata = county.rasters["dem.tif"]
    valid = dem[dem != nodata]
    assert dem.dtype == np.float32 and nodata is not None and (dem == nodata).any()
    assert 50 < valid.min() < 400 and 600 < valid.max() < 2000


def test_roads_form_one_connected_network_reaching_every_village(county):
    roads, villages = county.layers["roads"], county.layers["villages"]
    assert set(roads["kind"]) <= set(model.ROAD_DRIVE_KMH)
    assert (roads["drive_kmh"] == roads["kind"].map(model.ROAD_DRIVE_KMH)).all() and (roads["walkable"] == 1).all()
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), i)) for i in (0, -1)])
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.ravel()
    n = len(roads)
    graph = coo_matrix((np.ones(n), (node[:n], node[n:])), shape=(node.max() + 1,) * 2)
    n_parts, _ = connected_components(graph, directed=False)
    assert n_parts == 1
    touched = roads.sjoin(villages[["code", "geometry"]], predicate="intersects")["code"]
    assert set(touched) == set(villages["code"])


def test_all_six_hazard_types_zoned_without_overlaps_within_a_type(county):
    zones = county.layers["risk_zones"]
    assert set(zones["hazard_type"]) == {h.key for h in model.HAZARD_TYPES}
    assert zones["risk_level"].between(1, 5).all()
    for hazard, group in zones.groupby("hazard_type"):
        scale = 4 if hazard == "geologic" else 5
        assert (group["level_label"] == group["risk_level"].map(lambda lv: model.level_label(lv, scale))).all()
        union = shapely.union_all(group.geometry.to_numpy()).area
        assert group.geometry.area.sum() == pytest.approx(union, rel=1e-6)


def test_geohazards_threaten_the_houses_inside_their_danger_zones(county):
    points, zones = county.layers["geohazard_points"], county.layers["geohazard_zones"]
    households = county.layers["households"]
    assert len(points) > 0 and set(points["kind"]) <= set(model.GEOHAZARD_KINDS)
    assert points["id"].str.fullmatch(r"DZ-\d{6}-\d{3}").all()
    zone_of = zones.set_index("point_id").geometry
    for _, p in points.iterrows():
        inside = households[households.within(zone_of[p["id"]])]
        assert p["threatened_households"] == len(inside) > 0
        assert p["threatened_people"] == inside["people"].sum()
        assert p["danger_level"] == model.danger_level_for_people(p["threatened_people"])
        assert p["name"].endswith(model.GEOHAZARD_KINDS[p["kind"]])


def test_shelters_hold_area_divided_by_the_norm_and_stand_on_safe_ground(county):
    shelters, zones = county.layers["shelters"], county.layers["risk_zones"]
    per_person = np.where(shelters["shelter_class"] == "emergency",
                          model.default_value("m2_per_person_emergency"), model.default_value("m2_per_person_fixed"))
    assert np.allclose(shelters["capacity"], shelters["area_m2"] / per_person)
    assert set(shelters["shelter_class"]) == set(model.SHELTER_CLASSES)
    assert shelters["village_code"].isin(county.layers["villages"]["code"]).all()
    danger = zones[zones["hazard_type"].isin(["flood", "geologic"]) & (zones["risk_level"] <= 2)]
    unsafe = shelters.sjoin(danger[["geometry"]], predicate="intersects")
    assert unsafe.empty
    unsafe = shelters.sjoin(county.layers["geohazard_zones"][["geometry"]], predicate="intersects")
    assert unsafe.empty


def test_roster_names_the_people_on_every_other_layer_with_fake_phones(county):
    persons = county.layers["persons"]
    assert persons["phone"].str.fullmatch(FAKE_PHONE_PATTERN).all() and persons["phone"].is_unique
    roles = persons.groupby("village_code")["role"].agg(set)
    assert all({"村支书", "网格员"} <= r for r in roles)
    assert len(roles) == len(county.layers["villages"])
    on_roster = set(zip(persons["name"], persons["phone"]))
    for layer, name, phone in (("geohazard_points", "monitor_name", "monitor_phone"),
                               ("shelters", "manager_name", "manager_phone"),
                               ("flood_lowpoints", "resp_name", "resp_phone")):
        frame = county.layers[layer]
        assert set(zip(frame[name], frame[phone])) <= on_roster


def test_layers_carry_exactly_the_model_fields(county):
    for name, frame in county.layers.items():
        spec = model.layer_spec(name)
        columns = [c for c in frame.columns if c != "geometry"]
        assert set(columns) <= set(spec.field_names), (name, set(columns) - set(spec.field_names))
        for f in spec.fields:
            if f.required:
                assert f.name in frame.columns and frame[f.name].notna().all(), (name, f.name)


def test_build_writes_a_package_that_reads_back(sample_package):
    for name in ("county", "villages", "households", "roads", "risk_zones", "persons"):
        assert sample_package.has(name)
    assert sample_package.dem_raster.is_file() and sample_package.population_raster.is_file()
    villages = sample_package.read("villages")
    assert villages.crs.to_epsg() == 4548 and len(villages) == 12


def test_a_cancelled_build_writes_nothing(tmp_path):
    from risk_one_map.errors import Cancelled
    from risk_one_map.sample.county import build_sample_county
    calls = []
    with pytest.raises(Cancelled):
        build_sample_county(tmp_path / "out", villages=12, seed=1, progress=calls.append,
                            cancelled=lambda: len(calls) > 3)
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []
    assert calls == sorted(calls) and all(0.0 <= f <= 1.0 for f in calls)
