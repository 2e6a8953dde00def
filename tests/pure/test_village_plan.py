"""Village plan (#18): 包保 pairing, clearance time, the plan's gaps, the drill's record round trip."""
from __future__ import annotations

import shutil

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from risk_one_map.analysis import clearance as ac
from risk_one_map.analysis import evacuation as ev
from risk_one_map.analysis import helper_pairing as hp
from risk_one_map.analysis import network as nw
from risk_one_map.errors import RiskOneMapError

CRS = "EPSG:4548"


def gdf(rows, geoms):
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(geoms), crs=CRS)


def test_clearance_equals_a_hand_computation_on_a_tiny_network():
    # One road 0..1000 m, the shelter at 0; H1 (vulnerable, 2.5 km/h) at 900 m, H2 (4 km/h) at 500 m.
    roads = [LineString([(0, 0), (1000, 0)])]
    hh = gdf({"id": ["H1", "H2"], "village_code": ["V1", "V1"], "people": [1, 3], "vulnerable": ["独居老人", ""]},
             [Point(900, 0), Point(500, 0)])
    zones = gdf({"zone_id": ["Z1@1"], "hazard_id": ["Z1"], "ring": [1.0]}, [box(400, -10, 950, 10)])
    shelters = gdf({"id": ["S1"], "name": ["村小学"], "shelter_class": ["short_term"], "capacity": [10]},
                   [Point(0, 0)])
    evacuees, _ = ev.households_in_zones(zones, hh)
    cap, _ = ev.shelter_capacity(shelters)
    plan = ev.plan_evacuation(nw.build_network(roads), zones, evacuees, cap)
    villages = gdf({"code": ["V1"], "name": ["一村"], "parent_code": ["T1"]}, [box(-10, -10, 1010, 10)])
    towns = gdf({"code": ["T1"], "name": ["一镇"]}, [box(-10, -10, 1010, 10)])
    res = ac.clearance_times(plan.evacuees, villages, towns, plan.unserved, prep_min=20)
    # by hand: 20 + 900 m / (2500 m / 60 min) = 41.6 min; 20 + 500 / (4000 / 60) = 27.5 min
    arrive = dict(zip(res.households.household_id, res.households.arrive_min))
    assert arrive == {"H1": pytest.approx(41.6), "H2": pytest.approx(27.5)}
    v = res.villages.iloc[0]
    assert v.clearance_min == pytest.approx(41.6) and v.last_ids.split(",")[0] == "H1"
    assert v.people == 4 and v.within_target == 1
    assert res.townships.iloc[0].clearance_min == pytest.approx(41.6)
    assert "H1（老弱病残） 到村小学 900 米，42 分钟" in res.village_line("V1")
    assert "准备 20 分钟（本次设定）" in res.settings_line() and "2.5 km/h（默认值）" in res.settings_line()
    # a household with no shelter place leaves the village without a clearance time: a gap, not a number
    shelters.loc[0, "capacity"] = 3
    cap, _ = ev.shelter_capacity(shelters)
    plan = ev.plan_evacuation(nw.build_network(roads), zones, evacuees, cap)
    res = ac.clearance_times(plan.evacuees, villages, towns, plan.unserved)
    assert res.villages.iloc[0].unserved_households == 1 and "无处安置" in res.village_line("V1")


def test_pairing_nearest_helper_with_free_places_and_gaps_said():
    hh = gdf({"id": [f"H{i}" for i in range(5)], "village_code": ["V1"] * 5, "people": [1] * 5,
              "vulnerable": ["独居老人", "卧床", "", "残疾", "留守儿童"]},
             [Point(0, 0), Point(10, 0), Point(500, 0), Point(1000, 0), Point(1010, 0)])
    persons = pd.DataFrame({"village_code": ["V1", "V1"], "name": ["甲", "乙"], "role": ["网格员", "包保责任人"],
                            "phone": ["1", "2"], "household_id": ["H0", "H3"]})
    res = hp.pair_helpers(hh, persons, capacity=1, village_names={"V1": "一村"}, priority={"H1", "H4"})
    pairs = res.pairs.set_index("household_id")
    assert set(pairs.index) == {"H0", "H1", "H3", "H4"}  # every vulnerable household, no other
    # one place each: the households that must move (H1, H4) first, each to its nearest helper
    assert pairs.loc["H1", "helper_name"] == "甲" and pairs.loc["H4", "helper_name"] == "乙"
    assert list(pairs.loc[["H0", "H3"], "source"]) == ["缺口", "缺口"]
    assert res.gaps == ["一村：2 户老弱病残（独居老人 1、残疾 1）未指定包保人——包保名额已满（2 人 × 每人 1 户）"]
    # staff's edit is kept on the next run, and counts against the helper's places
    edited = res.pairs.copy()
    edited.loc[edited.household_id == "H0", ["helper_name", "helper_phone"]] = ["丙", "3"]
    again = hp.pair_helpers(hh, persons, edited, capacity=1).pairs.set_index("household_id")
    assert again.loc["H0", "helper_name"] == "丙" and again.loc["H0", "kept"]
    assert again.loc["H1", "source"] == "自动建议" and again.loc["H1", "kept"]  # a proposal kept stays a proposal


@pytest.fixture(scope="module")
def evacuated_sample(sample_package, tmp_path_factory):
    from risk_one_map.jobs import evacuation
    out = tmp_path_factory.mktemp("plan") / "county"
    shutil.copytree(sample_package.path, out)
    evacuation.run(out)
    return out


def test_sample_county_every_vulnerable_household_has_a_helper_or_is_a_gap(evacuated_sample):
    from risk_one_map.analysis.evacuees import _is_vulnerable
    from risk_one_map.jobs import village_plan
    from risk_one_map.layers.package import Package
    res = village_plan.run_plan(evacuated_sample)
    pkg = Package(evacuated_sample)
    hh, helpers = pkg.read("households"), pkg.read("helpers")
    vulnerable = set(hh.loc[hh["vulnerable"].map(_is_vulnerable), "id"])
    assert set(helpers["household_id"]) == vulnerable and len(helpers) == len(vulnerable)
    named = helpers["helper_name"].notna() & (helpers["helper_name"] != "")
    assert (named | (helpers["source"] == "缺口")).all() and (named != (helpers["source"] == "缺口")).all()
    assert res.inputs.pairing.loads["households"].max() <= 5  # the default capacity
    gaps = helpers[helpers["source"] == "缺口"].groupby("village_code").size()
    said = sum(int(g.split("：")[1].split(" 户")[0]) for g in res.inputs.pairing.gaps)
    assert said == gaps.sum()
    # the clearance tables are in the package and a village's plan says its figure and its gaps
    cv = pkg.read("clearance_villages")
    assert len(cv) and (cv["clearance_min"].dropna() > 20).all()
    code = cv.sort_values("clearance_min").iloc[-1]["code"]
    plan = res.inputs.plan(code)
    assert f"{cv.set_index('code').loc[code, 'clearance_min']:.0f} 分钟" in plan.clearance_line
    assert any("乡镇、县的联系人" in g for g in plan.gaps)  # the sample roster has none: a gap, not a name
    town = res.inputs.clearance.townships.set_index("code")
    five = next(sec for sec in plan.sections if sec.title.startswith("五"))
    town_min = town.loc[cv.set_index("code").loc[code, "township_code"], "clearance_min"]
    assert any(line.startswith("全") and f"预计 {town_min:.0f} 分钟完成转移" in line for line in five.lines)
    four = next(sec for sec in plan.sections if sec.title.startswith("四"))
    assert four.table[0][:4] == ("包保责任人", "电话", "职务", "包保户数")  # the load per helper, shown
    # role cards: one per key person, heads first; a helper's card lists exactly the households paired with them
    from risk_one_map.analysis.role_cards import village_cards
    cards = village_cards(plan, res.inputs.layers, res.inputs.evacuated["evacuees"], res.inputs.pairing)
    assert cards[0].role_key == "head" and {"head", "grid", "helper"} <= {c.role_key for c in cards}
    helper = next(c for c in cards if c.role_key == "helper")
    paired = helpers[(helpers["helper_name"] == helper.name) & (helpers["helper_phone"] == helper.phone)]
    assert len(helper.households) == len(paired) > 0
    assert set(helper.steps) == {"蓝色/黄色预警", "橙色/红色预警"} and all(helper.steps.values())


def test_drill_record_round_trip(evacuated_sample, tmp_path):
    from risk_one_map.jobs import drill
    from risk_one_map.layers.package import Package
    pkg = Package(evacuated_sample)
    ev_ = pkg.read("evacuees")
    code = ev_["village_code"].value_counts().index[0]
    res = drill.plan_drill(evacuated_sample, code, "flood", "红", out_dir=tmp_path, start="2026-06-01 09:00")
    sheet = next(p for p in res.files if p.suffix == ".csv")
    table = pd.read_csv(sheet, dtype=str)
    assert len(table) > 2 and table["通知到(分钟)"].isna().all()
    table["通知到(分钟)"] = "5"
    table.loc[0, "通知到(分钟)"] = None  # not reached
    table["到达(分钟)"] = table["计划到达(分钟)"]
    table.loc[0, "到达(分钟)"] = None
    table.loc[1, "到达(分钟)"] = "10:30"  # a clock time: 90 minutes after 09:00
    table.to_csv(sheet, index=False)
    out = drill.record_drill(evacuated_sample, code, record=sheet, out_dir=tmp_path)
    rec = pkg.read("drill_records").set_index("household_id")
    first, second = table.loc[0, "住户编号"], table.loc[1, "住户编号"]
    assert rec.loc[first, "result"] == "未通知到" and pd.isna(rec.loc[first, "arrived_min"])
    assert rec.loc[second, "arrived_min"] == 90.0 and rec.loc[second, "result"].startswith("晚到")
    assert (rec.drop(index=[first, second])["result"] == "按时").all()
    drills = pkg.read("drills")
    assert list(drills["status"]) == ["evaluated"] and int(drills["reached"].iloc[0]) == len(table) - 1
    assert out.summary_lines()[0].startswith(f"演练评估 {drills['drill_id'].iloc[0]}：通知到 {len(table) - 1}/")
    assert any(p.name.startswith("演练评估_") for p in out.files)
    # a second drill is added beside the first: history, one row per drill
    drill.plan_drill(evacuated_sample, code, "flood", "橙", start="2026-09-01 09:00")
    assert list(pkg.read("drills")["status"]) == ["evaluated", "planned"]
    with pytest.raises(RiskOneMapError, match="row 2: 'soon' is neither"):
        pd.DataFrame({"住户编号": [first], "通知到(分钟)": ["soon"], "到达(分钟)": [""]}).to_csv(sheet, index=False)
        drill.record_drill(evacuated_sample, code, record=sheet)


def test_cli_refuses_an_unknown_village_in_one_line(evacuated_sample, capsys):
    from risk_one_map.cli import main
    assert main(["drill", str(evacuated_sample), "--village", "999999999999", "--hazard", "flood",
                 "--level", "red"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "village 999999999999 is not in the package" in err[0] and "layer villages" in err[0]


def test_the_village_sheet_prints_the_same_clearance_figure(evacuated_sample):
    from risk_one_map.atlas.sheet_data import build_sheet_data
    from risk_one_map.jobs.village_plan import read_inputs
    inputs = read_inputs(evacuated_sample)
    timed = inputs.clearance.villages.dropna(subset=["clearance_min"])
    timed = timed[timed["unserved_households"] == 0]
    code = timed["code"].iloc[0]
    note = build_sheet_data(evacuated_sample, villages=[code]).villages["route_note"].iloc[0]
    assert f"预计转移完成时间：约{timed['clearance_min'].iloc[0]:.0f}分钟" in note
    assert "默认值估算" in note


def test_cli_drill_times_typed_in(evacuated_sample, capsys):
    from risk_one_map.cli import main
    from risk_one_map.layers.package import Package
    code = Package(evacuated_sample).read("evacuees")["village_code"].value_counts().index[-1]
    assert main(["drill", str(evacuated_sample), "--village", code, "--hazard", "flood", "--level", "red",
                 "--start", "2026-07-01 08:00"]) == 0
    first = Package(evacuated_sample).read("drill_records")
    first = first[first["village_code"] == code]
    hid = first["household_id"].iloc[0]
    capsys.readouterr()
    assert main(["drill", str(evacuated_sample), "--village", code, "--reached", f"{hid}=4",
                 "--arrived", f"{hid}=08:31"]) == 0
    out = capsys.readouterr().out
    assert f"通知到 1/{len(first)} 户" in out
    rec = Package(evacuated_sample).read("drill_records").set_index("household_id")
    assert rec.loc[hid, "reached_min"] == 4.0 and rec.loc[hid, "arrived_min"] == 31.0
