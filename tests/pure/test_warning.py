"""预警叫应: CAP files the tests write (each coding of area and level, several info blocks, cancel, hostile XML),
and the call plan on the small sample county, checked against what is in its layers."""
from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from risk_one_map.analysis import warning_cap as wc
from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers import model


def cap(info: str, msg_type: str = "Alert", identifier: str = "TEST-1", extra: str = "") -> bytes:
    return (f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>{identifier}</identifier>
<sender>县气象台</sender><sent>2026-07-03T12:00:00+08:00</sent><status>Actual</status>
<msgType>{msg_type}</msgType><scope>Public</scope>{extra}{info}</alert>""").encode("utf-8")


def info(event="暴雨", severity="Severe", headline="", params="", area="", language="zh-CN"):
    return (f"<info><language>{language}</language><category>Met</category><event>{event}</event>"
            f"<urgency>Immediate</urgency><severity>{severity}</severity><certainty>Likely</certainty>"
            f"<onset>2026-07-03T12:00:00+08:00</onset><expires>2026-07-04T12:00:00+08:00</expires>"
            f"<headline>{headline}</headline>{params}<area><areaDesc>测试区</areaDesc>{area}</area></info>")


POLYGON = "<polygon>39.9,115.9 40.1,115.9 40.1,116.0 39.9,116.0 39.9,115.9</polygon>"


def write(tmp_path, data: bytes, name="warning.xml"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------------------ parsing
def test_polygon_is_read_latitude_first_and_colour_from_the_headline(tmp_path):
    w = wc.read_cap(write(tmp_path, cap(info(headline="县气象台发布暴雨橙色预警信号", area=POLYGON))))
    assert w.level == 2 and w.level_zh == "橙色" and w.hazards == ("flood",)
    assert w.polygons[0].bounds == (115.9, 39.9, 116.0, 40.1)  # lon, lat: CAP writes lat,lon
    assert w.onset.startswith("2026-07-03") and w.expires.startswith("2026-07-04")
    assert w.title() == "暴雨橙色预警" and w.notes == []


def test_circle_and_colour_from_a_parameter(tmp_path):
    params = "<parameter><valueName>预警级别</valueName><value>红色</value></parameter>"
    w = wc.read_cap(write(tmp_path, cap(info(event="山洪灾害气象预警", severity="Moderate", params=params,
                                             area="<circle>40.0,116.0 5</circle>"))))
    assert w.level == 1 and w.hazards == ("flood",)
    c = w.circles[0]
    assert (c.lon, c.lat, c.radius_km) == (116.0, 40.0, 5.0)
    area = w.area_geometry("EPSG:4548")
    assert area.area == pytest.approx(np.pi * 5000 ** 2, rel=0.01)


def test_geocodes_of_each_length_and_level_from_severity_said(tmp_path):
    area = ("<geocode><valueName>行政区划代码</valueName><value>130696102000</value></geocode>"
            "<geocode><valueName>code</valueName><value>130696103201</value></geocode>"
            "<geocode><valueName>code</valueName><value>130697</value></geocode>")
    w = wc.read_cap(write(tmp_path, cap(info(event="地质灾害气象风险预警", severity="Moderate", area=area))))
    assert w.geocodes == ["130696102", "130696103201", "130697"]
    assert w.hazards == ("geologic",) and w.level == 3
    assert "severity" in w.notes[0]


def test_several_info_blocks_the_chinese_one_speaks_all_areas_count(tmp_path):
    en = info(event="Rainstorm", language="en-US", headline="Blue rainstorm warning",
              area="<circle>40.0,116.0 1</circle>")
    zh = info(event="暴雨", headline="暴雨黄色预警", area=POLYGON)
    w = wc.read_cap(write(tmp_path, cap(en + zh)))
    assert w.event == "暴雨" and w.level == 3
    assert len(w.polygons) == 1 and len(w.circles) == 1


def test_no_colour_and_no_severity_is_said(tmp_path):
    w = wc.read_cap(write(tmp_path, cap(info(event="暴雨", severity="Unknown", area=POLYGON))))
    assert w.level is None and w.title() == "暴雨预警（未定级）" and "按蓝色处理" in w.notes[0]


def test_english_colour_words_are_whole_words():
    assert model.warning_level("Red warning") == 1
    assert model.warning_level("heavy rain predicted") is None
    assert model.warning_hazards("地质灾害气象风险预警") == ("geologic",)
    assert model.warning_hazards("台风") == ("meteorological", "flood")


def test_cancel_message_and_unknown_event(tmp_path):
    w = wc.read_cap(write(tmp_path, cap("", msg_type="Cancel")))
    assert w.cancelled
    w = wc.read_cap(write(tmp_path, cap(info(event="沙尘暴", headline="沙尘暴黄色预警", area=POLYGON))))
    assert w.hazards == () and "不在灾种对照表" in w.notes[0]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""


@pytest.mark.parametrize("data, words", [
    (BILLION_LAUGHS, "refused"), (EXTERNAL, "refused"), (b"not xml at all", "not a readable XML"),
    (b"<html><body/></html>", "root element is <html>"), (b"", "not a readable XML"),
    (cap(info(area="<polygon>39.9,115.9 a,b</polygon>")), "latitude,longitude"),
    (cap(info(area="<polygon>115.9,39.9 116.0,39.9 116.0,40.1</polygon>")), "CAP writes latitude first"),
    (cap(info(area="<polygon>39.0,196.0 40.0,116.1 40.1,116.0 39.0,196.0</polygon>")), "outside latitude"),
    (cap(info(area="")), "has no area"),
])
def test_broken_or_hostile_files_say_one_line_naming_the_file(tmp_path, data, words):
    path = write(tmp_path, data)
    with pytest.raises(RiskOneMapError) as err:
        wc.read_cap(path)
    text = str(err.value)
    assert words in text and str(path) in text and "\n" not in text


def test_an_oversized_file_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(wc, "MAX_CAP_BYTES", 100)
    with pytest.raises(RiskOneMapError, match="limit is 100"):
        wc.read_cap(write(tmp_path, cap(info(area=POLYGON))))


def test_the_command_line_says_a_hostile_file_in_one_line(tmp_path, sample_package, capsys):
    from risk_one_map.cli import main
    path = write(tmp_path, BILLION_LAUGHS)
    assert main(["warn", str(sample_package.path), "--cap", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "refused" in err and "Traceback" not in err


def test_manual_warning_checks_its_words():
    w = wc.manual_warning(codes=["130696102000"], level="red", hazard="flood")
    assert (w.level, w.hazards, w.geocodes, w.event) == (1, ("flood",), ["130696102"], "暴雨洪涝")
    with pytest.raises(RiskOneMapError, match="not one of"):
        wc.manual_warning(codes=["130696"], level="紫", hazard="flood")
    with pytest.raises(RiskOneMapError, match="6, 9 or 12 digits"):
        wc.manual_warning(codes=["1306"], level="红", hazard="flood")


# ------------------------------------------------------------------------------------------------ the plan
@pytest.fixture()
def package(sample_package, tmp_path):
    dst = tmp_path / "county"
    shutil.copytree(sample_package.path, dst)
    return dst


def read(package, layer):
    return gpd.read_file(package / model.GPKG_NAME, layer=layer)


def test_every_household_in_a_warned_danger_zone_is_listed_once_vulnerable_first(package):
    from risk_one_map.analysis.evacuation import evacuation_zones
    from risk_one_map.jobs.warning import run
    w = wc.manual_warning(codes=["130696"], level="橙", hazard="geologic")
    result = run(package, w)
    hh = result.plan.households
    # What the package says independently: households within the ring-1 zones of the geohazard points.
    zones, _ = evacuation_zones(read(package, "geohazard_points"), read(package, "geohazard_zones"), None)
    zones = zones[zones["ring"] == 1.0]
    households = read(package, "households")
    inside = gpd.sjoin(households, zones[["geometry"]], predicate="within")["id"].unique()
    move = hh[hh["action"] == "move"]
    assert len(inside) > 20
    assert sorted(move["household_id"][move["reason"].str.contains("危险区")]) == sorted(inside)
    assert hh["household_id"].is_unique
    assert (move["vulnerable"].to_numpy()[:move["vulnerable"].sum()] == 1).all()  # vulnerable ones first
    assert list(hh["action"].iloc[:len(move)]) == ["move"] * len(move)
    assert result.plan.stats["move_households"] == len(move)
    # The layers went into the package, the call list's first calls are the village heads of the most moved.
    written = read(package, "warning_households")
    assert len(written) == len(hh)
    calls = result.plan.calls
    top = result.plan.villages.sort_values("move_households", ascending=False).iloc[0]
    assert calls.iloc[0]["village_code"] == top["code"] and calls.iloc[0]["role"] == "村支书"
    monitors = read(package, "geohazard_points")["monitor_phone"]
    assert set(monitors) <= set(calls["phone"])  # every point's monitor is called
    assert calls["phone"][calls["phone"] != ""].is_unique
    assert (calls["message"].str.len() <= model.SMS_MAX_CHARS).all()


def test_yellow_tells_and_red_moves_risk_zones_too(package):
    from risk_one_map.jobs.warning import run
    red = run(package, wc.manual_warning(codes=["130696"], level="红", hazard="flood")).plan.stats
    yellow = run(package, wc.manual_warning(codes=["130696"], level="黄", hazard="flood")).plan.stats
    assert yellow["move_households"] == 0 and yellow["tell_households"] > 0
    # Yellow tells the danger zones and the highest risk zones; red moves those and the next level down.
    assert red["move_households"] >= yellow["tell_households"] > 0


def test_a_village_with_no_roster_is_a_gap_called_first(package):
    from risk_one_map.jobs.warning import run
    from risk_one_map.layers.package import Package
    persons = read(package, "persons")
    persons = pd.DataFrame(persons[persons["village_code"] != "130696102203"].drop(columns="geometry",
                                                                                   errors="ignore"))
    Package(package).write_layers({"persons": persons})
    result = run(package, wc.manual_warning(codes=["130696102"], level="红", hazard="flood"))
    calls = result.plan.calls
    assert calls.iloc[0]["group"] == "缺口" and calls.iloc[0]["village_name"] == "叶家坨村"
    assert len(result.plan.gaps) == 1 and "叶家坨村" in result.plan.gaps[0]
    assert "先补缺口" in "\n".join(result.summary_lines())
    assert set(result.plan.villages["code"]) == {"130696102201", "130696102202", "130696102203", "130696102204"}
    # Who calls whom where the roster is thin: up the tree to the next person there, else the township desk
    from risk_one_map.analysis.warning_calls import CallTree, call_roles
    tree = CallTree(call_roles())
    assert tree.caller("户主", {}) == model.TOWNSHIP_DESK
    assert tree.caller("户主", {"村支书": "王一"}) == "王一"  # no grid worker: the secretary
    assert tree.caller("网格员", {"村主任": "李二"}) == "李二"  # no secretary: the head in the same place
    assert tree.caller("护林员", {"村支书": "王一"}) == "王一"  # a role the order does not know


def test_household_heads_are_called_by_their_villages_grid_workers_in_runs_of_neighbours(package):
    from risk_one_map.jobs.warning import run
    result = run(package, wc.manual_warning(codes=["130696102"], level="红", hazard="flood"))
    calls, hh = result.plan.calls, result.plan.households
    heads = calls[calls["group"] == "户主"]
    households = read(package, "households").set_index("id")
    # every household on the list: one call to its head, in the list's order (moving first, vulnerable first)
    assert list(heads["phone"]) == list(households.loc[hh["household_id"], "head_phone"])
    assert (heads["order"].to_numpy() > calls.loc[calls["group"] != "户主", "order"].max()).all()
    persons = read(package, "persons")
    grid = persons[persons["role"] == "网格员"].groupby("village_code")["name"].apply(list)
    for code, mine in heads.assign(id=hh["household_id"].to_numpy()).groupby("village_code"):
        assert set(mine["caller"]) <= set(grid[code])
        runs = mine.sort_values("id")["caller"].tolist()  # by house number: each worker one unbroken run
        assert runs == sorted(runs, key=grid[code].index)
    # the call tree on the map: township -> village heads, village -> each household
    lines = read(package, "warning_calls")
    first_head = lines[lines["group"] == "户主"].iloc[0]
    point = households.loc[hh["household_id"].iloc[0], "geometry"]
    assert first_head.geometry.geoms[-1].coords[-1] == pytest.approx((point.x, point.y))
    assert lines.loc[lines["group"] == "村干部", "geometry"].notna().all()
    assert result.plan.stats["household_calls"] == len(heads)


def test_households_without_a_head_phone_field_are_listed_but_not_called(package):
    from risk_one_map.jobs.warning import run
    from risk_one_map.layers.package import Package
    Package(package).write_layers({"households": read(package, "households").drop(columns=["head_name",
                                                                                           "head_phone"])})
    plan = run(package, wc.manual_warning(codes=["130696102"], level="红", hazard="flood")).plan
    assert len(plan.households) > 0 and plan.stats["household_calls"] == 0 and "户主" not in set(plan.calls["group"])


def test_the_packages_call_order_table_says_who_calls_whom(package):
    from risk_one_map.jobs.warning import run
    from risk_one_map.layers.package import Package
    roles = pd.DataFrame({"role": ["村支书", "网格员", "户主"], "order": [1, 2, 6],
                          "caller": [model.TOWNSHIP_DESK, "村支书", "村支书"]})
    Package(package).write_layers({"call_roles": roles})
    calls = run(package, wc.manual_warning(codes=["130696102"], level="红", hazard="flood")).plan.calls
    secretaries = calls[calls["role"] == "村支书"].set_index("village_code")["name"]
    heads = calls[calls["group"] == "户主"]
    assert (heads["caller"].to_numpy() == secretaries.loc[heads["village_code"]].to_numpy()).all()
    Package(package).write_layers({"call_roles": roles.assign(order=["1", "二", "6"])})
    with pytest.raises(RiskOneMapError, match="call_roles.*feature 2.*order"):
        run(package, wc.manual_warning(codes=["130696102"], level="红", hazard="flood"))


def test_polygon_area_reaches_villages_with_their_share(package, tmp_path):
    from risk_one_map.jobs.warning import run
    villages = read(package, "villages")
    one = villages[villages["code"] == "130696103201"].to_crs(4490).geometry.iloc[0]
    ring = " ".join(f"{y},{x}" for x, y in one.exterior.coords) if one.geom_type == "Polygon" else " ".join(
        f"{y},{x}" for x, y in one.geoms[0].exterior.coords)
    w = wc.read_cap(write(tmp_path, cap(info(headline="暴雨红色预警", area=f"<polygon>{ring}</polygon>"))))
    reached = run(package, w).plan.villages.set_index("code")
    assert list(reached.index) == ["130696103201"]  # its neighbours share a border, no more
    assert reached.loc["130696103201", "share_inside"] == pytest.approx(1.0, abs=0.001)


def test_call_log_keeps_answers_across_runs_and_files_are_excel_safe(package, tmp_path):
    from risk_one_map.jobs.warning import excel_safe, run
    w = wc.manual_warning(codes=["130696102"], level="橙", hazard="flood")
    first = run(package, w)
    phone = first.plan.calls["phone"].iloc[0]
    run(package, w, answered=[phone], moved={phone: 42}, now="2026-07-03 12:05")
    again = run(package, w, out_dir=tmp_path / "out")  # a third run keeps what was recorded
    row = again.log[again.log["phone"] == phone].iloc[0]
    assert (row["answered"], row["called_at"], row["moved_people"]) == ("是", "2026-07-03 12:05", 42)
    assert f"叫应记录：已回应 1，未回应 0，未拨打 {len(again.log) - 1}；报告已转移 42 人。" in again.summary_lines()
    other = run(package, wc.manual_warning(codes=["130696103"], level="黄", hazard="flood"))
    log = read(package, "call_log")
    assert set(log["warning"]) == {w.key, other.plan.warning.key}
    with pytest.raises(RiskOneMapError, match="not on this warning's call list"):
        run(package, w, answered=["10086"])
    assert excel_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and excel_safe("-1") == "'-1" and excel_safe("王") == "王"
    import openpyxl
    sheet = openpyxl.load_workbook(tmp_path / "out" / "叫应名单.xlsx")["叫应名单"]
    header = [c.value for c in sheet[1]]
    assert header[:9] == ["序号", "优先级", "类别", "乡镇", "村（社区）", "村代码", "职务", "姓名", "电话"]
    assert sheet.cell(2, 9).data_type == "s" and sheet.cell(2, 9).value == again.plan.calls["phone"].iloc[0]
    assert (tmp_path / "out" / "叫应摘要.txt").read_text(encoding="utf-8").startswith("暴雨洪涝橙色预警")
    # The printed sheet of the township: its calls, searchable (a duty officer finds a name or a phone).
    import subprocess
    sheet = tmp_path / "out" / "叫应单_北佛镇.pdf"
    done = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True)
    assert "暴雨洪涝橙色预警" in done.stdout and phone in done.stdout and "是否回应" in done.stdout
    # One embedded font, really TrueType (the CFF font declared TrueType made poppler warn of a mismatch)
    fonts = subprocess.run(["pdffonts", str(sheet)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert len(fonts) == 1 and "CID TrueType" in fonts[0] and "Mismatch" not in done.stderr


def test_sheet_font_is_the_chinese_face_cut_to_the_characters_used(tmp_path):
    from fontTools.ttLib import TTFont
    from risk_one_map.jobs.pdf_font import subset_font
    font = TTFont(subset_font(["直骨 叫应单", "13800000001"], tmp_path / "f.ttf"))
    assert font["name"].getDebugName(1).endswith("SC")  # not the collection's first face, Japanese
    assert "glyf" in font and "CFF " not in font
    cmap = font.getBestCmap()
    assert {ord(c) for c in "直骨叫应单1A"} <= set(cmap) and ord("风") not in cmap


def test_cancel_writes_nothing(package, tmp_path):
    from risk_one_map.jobs.warning import run
    before = (package / model.GPKG_NAME).stat().st_mtime_ns
    w = wc.read_cap(write(tmp_path, cap("", msg_type="Cancel")))
    result = run(package, w)
    assert "预警已解除" in result.summary_lines()[0]
    assert (package / model.GPKG_NAME).stat().st_mtime_ns == before


def test_command_line_from_an_area_file_and_from_codes(package, tmp_path, capsys):
    from risk_one_map.cli import main
    villages = read(package, "villages")
    area = tmp_path / "area.geojson"
    villages[villages["code"] == "130696103201"].to_crs(4490).to_file(area, driver="GeoJSON")
    assert main(["warn", str(package), "--area", str(area), "--level", "橙", "--hazard", "flood",
                 "--out", str(tmp_path / "out"), "--no-sheets"]) == 0
    out = capsys.readouterr().out
    assert "暴雨洪涝橙色预警：涉及 1 个乡镇 1 个村" in out and "叫应名单.xlsx" in out
    assert not list((tmp_path / "out").glob("*.pdf"))
    assert main(["warn", str(package), "--codes", "130696102"]) == 1
    assert "--level is needed" in capsys.readouterr().err
    assert main(["warn", str(package), "--area", str(tmp_path / "none.shp"), "--level", "红"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "none.shp" in err


def test_township_persons_are_called_before_the_villages(package):
    from risk_one_map.jobs.warning import run
    from risk_one_map.layers.package import Package
    persons = pd.DataFrame(read(package, "persons").drop(columns="geometry", errors="ignore"))
    extra = pd.DataFrame([{"village_code": "130696102000", "name": "镇长甲", "role": "镇长", "phone": "13912340000"},
                          {"village_code": "130696103000", "name": "镇长乙", "role": "镇长", "phone": "13912340001"},
                          {"village_code": "130696102000", "name": '=HYPERLINK("http://x")', "role": "@副镇长",
                           "phone": "13912340002"}])
    Package(package).write_layers({"persons": pd.concat([persons, extra], ignore_index=True)})
    result = run(package, wc.manual_warning(codes=["130696102"], level="红", hazard="flood"),
                 out_dir=package / "out", sheets=False)
    calls, stats = result.plan.calls, result.plan.stats
    # A name or role a spreadsheet would run as a formula is written as text, in the CSV and the XLSX.
    import openpyxl
    assert "'=HYPERLINK(\"\"http://x\"\")" in (package / "out" / "叫应名单.csv").read_text(encoding="utf-8-sig")
    sheet = openpyxl.load_workbook(package / "out" / "叫应名单.xlsx")["叫应名单"]
    values = {c.value for row in sheet.iter_rows(min_row=2) for c in row}
    assert "'@副镇长" in values and '\'=HYPERLINK("http://x")' in values
    first = calls.iloc[0]
    assert (first["name"], first["group"]) == ("镇长甲", "乡镇") and "镇长乙" not in set(calls["name"])
    assert f"北佛镇4个村须转移{stats['move_households']}户{stats['move_people']}人" in first["message"]
    assert len(first["message"]) <= model.SMS_MAX_CHARS
