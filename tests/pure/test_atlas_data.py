"""The village sheet's texts and tables (pure), safe file names and the PDF text fix."""
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from risk_one_map.atlas import pdf_text
from risk_one_map.atlas.export import safe_filename, sheet_path
from risk_one_map.atlas.sheet_data import build_sheet_data, distance_text
from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers.package import write_package
from tests.tiny import CRS, X0, Y0, tiny_layers


def _with_hazards(layers):
    layers = dict(layers)
    layers["geohazard_points"] = gpd.GeoDataFrame(
        {"id": ["G1", "G2"], "name": ["后山滑坡", "沟口泥石流"], "kind": ["landslide", "debris_flow"],
         "threatened_households": [12, 3], "threatened_people": [40, 9], "village_code": [None, "110109001201"],
         "monitor_name": ["孙监测", "孙监测"], "monitor_phone": ["13900000001", "13900000001"]},
        geometry=[Point(X0 + 200, Y0 + 200), Point(X0 + 1500, Y0 + 1500)], crs=CRS)
    layers["flood_lowpoints"] = gpd.GeoDataFrame(
        {"id": ["L1"], "name": ["桥下低洼"], "max_depth_m": [0.8], "resp_name": ["钱责任"], "resp_phone": ["13700000002"]},
        geometry=[Point(X0 + 300, Y0 + 700)], crs=CRS)
    return layers


@pytest.fixture()
def pkg(tmp_path):
    return write_package(tmp_path / "pkg", _with_hazards(tiny_layers())).path


def test_every_village_gets_a_titled_record(pkg):
    data = build_sheet_data(pkg, date="2025年6月", compile_unit="样例县应急管理局")
    v = data.village("110109001201")
    assert v["title"] == "东镇东一村风险隐患一张图"
    assert v["county"] == "样例县" and v["township"] == "东镇"
    assert "编制单位：样例县应急管理局" in v["footer"] and "2025年6月" in v["footer"]
    assert v["sheet_no"] == "01-01"
    assert data.village("110109002202")["sheet_no"] == "02-02"
    assert "尚未进行撤离分析" in v["route_note"] and not data.has_routes


def test_hazards_come_from_points_and_low_points_with_chinese_kinds(pkg):
    data = build_sheet_data(pkg)
    mine = data.rows("hazards", "110109001201")
    assert list(mine["name"]) == ["后山滑坡", "沟口泥石流", "桥下低洼"]  # G1 by location, G2 by its code
    assert list(mine["kind"]) == ["滑坡", "泥石流", "低洼易涝点"]
    assert mine.iloc[0]["level"] == "小型" and mine.iloc[0]["people"] == "40"
    assert mine.iloc[2]["level"] == "积水0.8米"


def test_roster_merges_persons_monitors_and_managers(pkg):
    data = build_sheet_data(pkg)
    roster = data.rows("persons", "110109001201")
    assert roster.iloc[0]["role"] == "村支书" and roster.iloc[0]["name"] == "张三"
    assert ("孙监测", "13900000001") in set(zip(roster["name"], roster["phone"]))
    assert list(roster["name"]).count("孙监测") == 1  # one line per person
    assert "钱责任" in set(roster["name"])


def test_villages_without_a_shelter_get_the_nearest(pkg):
    data = build_sheet_data(pkg)
    own = data.rows("shelters", "110109001201")
    assert list(own["distance"]) == ["村内"]
    other = data.rows("shelters", "110109002202")
    assert list(other["name"]) == ["东一村小学"] and other.iloc[0]["distance"].endswith("（就近）")


def test_routes_and_exposure_when_the_package_has_them(tmp_path):
    layers = _with_hazards(tiny_layers())
    layers["evacuation_routes"] = gpd.GeoDataFrame(
        {"village_code": ["110109002201"], "shelter_id": ["S1"], "people": [120]},
        geometry=[LineString([(X0 + 1500, Y0 + 500), (X0 + 800, Y0 + 800)])], crs=CRS)
    layers["exposure"] = pd.DataFrame({
        "village_code": ["110109001201"] * 3, "hazard_type": ["flood", "flood", "any"], "risk_level": [1, 3, 1],
        "population": [30.0, 20.0, 30.0]})
    data = build_sheet_data(write_package(tmp_path / "pkg", layers).path)
    assert data.has_routes and data.village("110109002201")["route_note"] == ""
    west = data.rows("shelters", "110109002201")
    assert list(west["name"]) == ["东一村小学"] and list(west["assigned"]) == ["120"]
    assert "沿图中绿色箭头所示道路撤离至东一村小学" in data.village("110109002201")["card"]
    ex = data.rows("exposure", "110109001201")
    assert list(ex["hazard"]) == ["水旱", "合计（按最高等级）"]
    assert ex.iloc[0]["l1"] == "30" and ex.iloc[0]["l3"] == "20" and ex.iloc[0]["total"] == "50"


def test_a_shelter_the_evacuation_could_not_use_says_why(tmp_path):
    layers = _with_hazards(tiny_layers())
    layers["shelter_load"] = pd.DataFrame({"shelter_id": ["S1"], "capacity": [300], "assigned": [0],
                                           "status": ["in danger zone"]})
    data = build_sheet_data(write_package(tmp_path / "pkg", layers).path)
    assert list(data.rows("shelters", "110109001201")["assigned"]) == ["停用（在危险区内）"]


def test_a_ponded_area_over_several_villages_is_on_each_ones_sheet(tmp_path):
    from shapely.geometry import box
    layers = tiny_layers()
    # over 东一村 and 西一村 (one code given, the other found); 东二村 only shares its edge
    layers["flood_lowpoints"] = gpd.GeoDataFrame(
        {"id": ["L9"], "name": ["下穿积水区"], "max_depth_m": [0.6], "village_code": ["110109001201"]},
        geometry=[box(X0 + 600, Y0 + 200, X0 + 1400, Y0 + 1000)], crs=CRS)
    data = build_sheet_data(write_package(tmp_path / "pkg", layers).path)
    for code in ("110109001201", "110109002201"):
        assert list(data.rows("hazards", code)["name"]) == ["下穿积水区"]
    assert data.rows("hazards", "110109001202").empty


def test_selection_by_township_and_unknown_codes(pkg):
    assert list(build_sheet_data(pkg, township="110109002000").villages["name"]) == ["西一村", "西二村"]
    with pytest.raises(RiskOneMapError, match="layer villages, field code: no village with code 999"):
        build_sheet_data(pkg, villages=["999"])
    with pytest.raises(RiskOneMapError, match="no township"):
        build_sheet_data(pkg, township="1")


@pytest.mark.parametrize("raw, safe", [
    ("东一村", "东一村"), ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"), ("CON", "_CON"), ("com1.txt", "_com1.txt"),
    ("  村. ", "村"), ("", "未命名"), ("..", "未命名")])
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe


def test_long_names_fit_a_file_system(tmp_path):
    path = sheet_path(tmp_path, "东" * 200, "110109001201", "村" * 200)
    assert len(path.name.encode()) <= 255 and len(path.parent.name.encode()) <= 255
    assert path.name.startswith("110109001201_") and path.suffix == ".pdf"


def test_distance_text():
    assert distance_text(0.0) == "村内" and distance_text(420.4) == "420 米" and distance_text(2345) == "2.3 公里"


def test_tounicode_radicals_become_ideographs(tmp_path):
    cmap = (b"/CIDInit /ProcSet findresource begin\n1 beginbfrange\n<0001> <0003> [<4E1C> <2F00> <2EDB> ]\n"
            b"endbfrange\nendcmap\n")
    body = (b"%PDF-1.4\n7 0 obj\n<< /Type /Font /ToUnicode 21 0 R>>\nendobj\n21 0 obj\n<< /Length "
            + str(len(cmap)).encode() + b" >>\nstream\n" + cmap + b"\nendstream\nendobj\ntrailer\n%%EOF\n")
    path = tmp_path / "t.pdf"
    path.write_bytes(body)
    assert pdf_text.fix_tounicode(path, {**pdf_text.kangxi_map(), 0x2EDB: 0x98CE}) == 2
    fixed = path.read_bytes()
    assert b"[<4E1C> <4E00> <98CE> ]" in fixed and len(fixed) == len(body)


# ------------------------------------------------------------------------------------------------ what a sheet may say
def _evacuated(layers, placed: dict, must_leave: dict, status=None):
    """Evacuation results as the evacuation job writes them: one evacuee row per village (``placed``: people
    placed in S1, ``must_leave``: people who must leave) and the shelter's status."""
    layers = dict(layers)
    codes = list(must_leave)
    layers["evacuees"] = gpd.GeoDataFrame(
        {"household_id": [f"h{i}" for i in range(2 * len(codes))], "village_code": codes * 2,
         "people": [placed.get(c, 0) for c in codes] + [must_leave[c] - placed.get(c, 0) for c in codes],
         "shelter_id": ["S1" if placed.get(c) else None for c in codes] + [None] * len(codes),
         "distance_m": [640.0] * len(codes) + [None] * len(codes)},
        geometry=[Point(X0 + 100, Y0 + 100)] * (2 * len(codes)), crs=CRS)
    layers["evacuation_villages"] = pd.DataFrame({"village_code": codes, "people": list(must_leave.values())})
    layers["shelter_load"] = pd.DataFrame({"shelter_id": ["S1"], "capacity": [3000], "assigned": [sum(placed.values())],
                                           "status": [status or "open"]})
    if any(placed.values()):
        layers["evacuation_routes"] = gpd.GeoDataFrame(
            {"shelter_id": ["S1"], "people": [sum(placed.values())]},
            geometry=[LineString([(X0 + 100, Y0 + 100), (X0 + 800, Y0 + 800)])], crs=CRS)
    return layers


def test_a_closed_shelter_is_never_the_place_to_go_and_unserved_people_are_in_red(tmp_path):
    layers = _evacuated(_with_hazards(tiny_layers()), {}, {"110109001201": 3757}, status="in danger zone")
    data = build_sheet_data(write_package(tmp_path / "pkg", layers).path)
    v = data.village("110109001201")
    assert list(data.rows("shelters", "110109001201")["assigned"]) == ["停用（在危险区内）"]
    assert "安置地点：无" in v["card"] and "东一村小学" not in v["card"]
    assert "绿色箭头" not in v["card"]  # no arrows are drawn for this village
    assert v["alert"] == ("须撤离 3,757 人，已安排安置 0 人，3,757 人无安置场所！请立即联系村支书 张三 13800000001")
    assert "3,757 名须撤离人员无安置场所，图中无撤离路线" in v["route_note"]


def test_the_place_to_go_is_where_the_evacuation_put_this_villages_people(tmp_path):
    layers = _evacuated(_with_hazards(tiny_layers()), {"110109002201": 120}, {"110109002201": 150,
                                                                            "110109001202": 0})
    data = build_sheet_data(write_package(tmp_path / "pkg", layers).path)
    west = data.village("110109002201")
    assert "沿图中绿色箭头所示道路撤离至东一村小学" in west["card"] and "安置地点：东一村小学" in west["card"]
    assert west["alert"].startswith("须撤离 150 人，已安排安置 120 人，30 人无安置场所")
    shelter = data.rows("shelters", "110109002201").iloc[0]
    assert shelter["assigned"] == "120" and shelter["distance"] == "步行640 米"
    nobody = data.village("110109001202")  # analysed: nobody there must leave
    assert nobody["alert"] == "" and "本村无人位于撤离区内" in nobody["card"] and "绿色箭头" not in nobody["card"]


def test_exposure_not_analysed_analysed_none_and_no_data_are_three_sentences(tmp_path):
    layers = tiny_layers()
    assert build_sheet_data(write_package(tmp_path / "a", layers).path).village(
        "110109001202")["exposure_note"] == "尚未进行人口暴露分析"
    layers["exposure"] = pd.DataFrame({"village_code": ["110109001201"], "hazard_type": ["flood"],
                                       "risk_level": [1], "population": [30.0]})
    data = build_sheet_data(write_package(tmp_path / "b", layers).path)
    assert data.village("110109001202")["exposure_note"] == "已分析：本村无人口位于风险区内"
    assert data.village("110109001201")["exposure_note"] == ""  # the table has rows
    no_zones = {k: v for k, v in layers.items() if k != "risk_zones"}
    no_zones["exposure"] = layers["exposure"].iloc[:0]
    assert build_sheet_data(write_package(tmp_path / "c", no_zones).path).village(
        "110109001202")["exposure_note"] == "无风险区划数据，未能分析人口暴露"


def test_a_figure_the_package_does_not_have_is_unregistered_not_zero(tmp_path):
    layers = tiny_layers()
    layers["villages"] = layers["villages"].assign(pop_65_plus=[10.0, 20.0, 30.0, 40.0])
    layers["exposure"] = pd.DataFrame({"village_code": ["110109001201"], "hazard_type": ["any"], "risk_level": [1],
                                       "population": [30.0], "pop_65_plus": [5.0], "disabled": [0.0]})
    text = build_sheet_data(write_package(tmp_path / "pkg", layers).path).village("110109001201")["population"]
    assert "65岁以上 10 人" in text and "残障 未登记" in text and "0-14岁 未登记" in text
    assert "残障 0" not in text and "高、中高风险区内 65岁以上 5 人" in text


def test_the_footer_names_the_packages_real_sources(tmp_path):
    from risk_one_map.layers import model
    layers = tiny_layers()
    layers["import_report"] = pd.DataFrame({
        "source_file": ["/d/村界.shp", "/d/村界.shp", "/d/避难场所.csv", "/d/坏.csv"],
        "target_layer": ["villages", "villages", "shelters", "shelters"],
        "status": ["kept", "repaired", "kept", "rejected"]})
    text = build_sheet_data(write_package(tmp_path / "a", layers).path).village("110109001201")["sources"]
    assert text == "数据来源：村界（村（社区））、避难场所（应急避难场所）。"
    layers = {k: v for k, v in tiny_layers().items()}
    layers[model.SOURCES_TABLE] = pd.DataFrame({"source": [model.SAMPLE_SOURCE]})
    assert "示例数据" in build_sheet_data(write_package(tmp_path / "b", layers).path).village("110109001201")["sources"]
    plain = build_sheet_data(write_package(tmp_path / "c", tiny_layers()).path).village("110109001201")["sources"]
    assert "普查" not in plain and "未登记" in plain


def test_long_names_are_cut_with_an_ellipsis_to_their_column(tmp_path):
    from risk_one_map.atlas.sheet_card import clip, text_width
    assert clip("东一村小学", 10) == "东一村小学" and clip("臺北市私立恆安老人長期照顧中心(養護型)", 8) == "臺北市私立恆安…"
    layers = tiny_layers()
    long = "臺北市政府社會局附設臺北市東明住宿長照機構(委託財團法人台北市私立愛愛院經營管理)"
    layers["shelters"] = layers["shelters"].assign(name=[long])
    a3 = build_sheet_data(write_package(tmp_path / "pkg", layers).path).rows("shelters", "110109001201")
    a4 = build_sheet_data(tmp_path / "pkg", page="A4").rows("shelters", "110109001201")
    assert a3.iloc[0]["name"].endswith("…") and long.startswith(a3.iloc[0]["name"][:-1])
    assert text_width(a4.iloc[0]["name"]) < text_width(a3.iloc[0]["name"]) < text_width(long)


def test_a_map_leaving_the_dem_says_so(tmp_path):
    import numpy as np
    from rasterio.transform import from_origin
    layers = tiny_layers()
    dem = np.full((20, 10), 50.0, dtype="float32")  # covers the west half of the county only
    pkg = write_package(tmp_path / "pkg", layers, {"dem.tif": (dem, from_origin(X0 - 200, Y0 + 2200, 120, 120), CRS,
                                                              -9999.0)}).path
    data = build_sheet_data(pkg)
    assert "超出高程数据范围" in data.village("110109002201")["route_note"]
    assert "超出高程数据范围" not in build_sheet_data(
        write_package(tmp_path / "nodem", layers).path).village("110109002201")["route_note"]


def test_many_households_to_one_shelter_make_one_arrow_with_a_count(tmp_path):
    layers = _evacuated(_with_hazards(tiny_layers()), {"110109002201": 120}, {"110109002201": 150})
    heads = build_sheet_data(write_package(tmp_path / "pkg", layers).path).route_heads
    assert len(heads) == 1
    head = heads.iloc[0]
    assert head["village_code"] == "110109002201" and head["label"] == "120 人" and head["shelter"] == "东一村小学"
    assert head["angle"] == pytest.approx(45.0)  # from the evacuee at (100, 100) to the shelter at (800, 800)
    assert head["x"] < X0 + 800 and head["y"] < Y0 + 800  # just before the shelter, not on its symbol
