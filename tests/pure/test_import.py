"""The importer: encodings, CRSs, field mapping, geometry repair and the report, on small files made here."""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point, Polygon

from risk_one_map.errors import RiskOneMapError
from risk_one_map.layers import crs_detect, encoding, fieldmap
from risk_one_map.layers.importer import REPORT_CSV, import_sources
from risk_one_map.layers.package import Package

HAZARDS = {"隐患点编号": ["DZ001", "DZ002", "DZ003"], "名称": ["王家坡滑坡", "李村崩塌", "后沟泥石流"],
           "类型": ["滑坡", "崩塌", "泥石流"], "规模等级": ["小型", "中型", "小型"], "威胁户数": [3, 12, 5],
           "威胁人数": [10, 45, 18], "监测责任人": ["张三", "李四", "王五"], "电话": ["13800000001", "13800000002", "13800000003"]}
LONLAT = [Point(116.10, 39.93), Point(116.12, 39.95), Point(116.08, 39.91)]


def _shapefile(path: Path, enc: str, crs=4490, geoms=LONLAT, data=HAZARDS, keep_cpg=True, ldid=None) -> Path:
    gdf = gpd.GeoDataFrame(data, geometry=geoms, crs=crs)
    with warnings.catch_warnings():  # GDAL's notes on cut field names and on a missing CRS are expected here
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(gdf, path, encoding=enc)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        raw[29] = ldid
        dbf.write_bytes(bytes(raw))
    return path


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _rows(report, status=None):
    return [r for r in report.rows if status is None or r["status"] == status]


# -------------------------------------------------------------------------------------------------- encodings
@pytest.mark.parametrize("ldid, rule", [(0x00, "gb18030"), (0x4D, "ldid")])
def test_gbk_shapefile_without_cpg(tmp_path, ldid, rule):
    shp = _shapefile(tmp_path / "隐患点.shp", "GBK", keep_cpg=False, ldid=ldid)
    choice = encoding.shapefile_encoding(shp)
    assert (choice.encoding, choice.rule) == ("gb18030", rule)
    report = import_sources([shp], tmp_path / "out")
    gdf = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="geohazard_points")
    assert list(gdf["name"]) == HAZARDS["名称"]
    assert list(gdf["kind"]) == ["landslide", "rockfall", "debris_flow"]
    assert ("LDID 0x4D" if ldid else "no .cpg and no LDID") in report.summary()


def test_gbk_shapefile_with_wrong_cpg(tmp_path):
    shp = _shapefile(tmp_path / "geohazard.shp", "GBK")
    shp.with_suffix(".cpg").write_text("UTF-8")
    choice = encoding.shapefile_encoding(shp)
    assert choice.encoding == "gb18030" and choice.declared_wrong
    report = import_sources([shp], tmp_path / "out")
    assert "the .cpg is wrong" in report.summary()
    gdf = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="geohazard_points")
    assert gdf["name"].iloc[0] == "王家坡滑坡"


def test_utf8_shapefile_with_cut_field_names(tmp_path):
    # GDAL cuts UTF-8 field names at 10 bytes, mid-character: 隐患点编号 -> 隐患点 + half a character
    shp = _shapefile(tmp_path / "geohazard.shp", "UTF-8")
    assert encoding.shapefile_encoding(shp).encoding == "utf-8"
    import_sources([shp], tmp_path / "out")
    gdf = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="geohazard_points")
    assert list(gdf["id"]) == HAZARDS["隐患点编号"]
    assert list(gdf["threatened_people"]) == HAZARDS["威胁人数"]
    assert list(gdf["monitor_name"]) == HAZARDS["监测责任人"]


def test_declared_encoding_contradicted_by_utf8_bytes():
    text = "王家坡滑坡".encode("utf-8")
    assert encoding.choose_encoding(text, cpg="GBK").encoding == "utf-8"
    assert encoding.choose_encoding(text, ldid=0x57).rule == "utf8"
    assert encoding.choose_encoding(b"abc", cpg="GBK").rule == "ascii"
    with pytest.raises(RiskOneMapError, match="unknown encoding"):
        encoding.choose_encoding(text, forced="klingon")


# -------------------------------------------------------------------------------------------------- geometry
def test_geojson_bowtie_repaired_and_null_rejected(tmp_path):
    bowtie = Polygon([(116.0, 39.9), (116.1, 40.0), (116.1, 39.9), (116.0, 40.0)])
    square = Polygon([(116.2, 39.9), (116.3, 39.9), (116.3, 40.0), (116.2, 40.0)])
    gdf = gpd.GeoDataFrame({"灾种": ["地质灾害", "洪涝", "地震"], "风险等级": ["高风险区", "中风险", "低"]},
                           geometry=[bowtie, None, square], crs=4490)
    path = tmp_path / "风险区划.geojson"
    gdf.to_file(path, driver="GeoJSON")
    before = _digest(tmp_path)
    report = import_sources([path], tmp_path / "out")
    assert _digest(tmp_path) == before  # inputs untouched, nothing written beside them
    status = {r["source_fid"]: r for r in report.rows}
    assert status[0]["status"] == "repaired" and "Self-intersection" in status[0]["reason"]
    assert status[1]["status"] == "rejected" and "no geometry" in status[1]["reason"]
    assert status[2]["status"] == "kept"
    zones = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="risk_zones")
    assert zones.geometry.is_valid.all() and len(zones) == 2
    assert list(zones["hazard_type"]) == ["geologic", "earthquake"]
    assert list(zones["risk_level"]) == [1, 5] and list(zones["level_label"]) == ["高风险区", "低"]


def test_wrong_geometry_type_rejected(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["a"], "类型": ["滑坡"], "编号": ["H1"]},
                           geometry=[Polygon([(116, 39), (116.01, 39), (116.01, 39.01)])], crs=4490)
    path = tmp_path / "隐患点.geojson"
    gdf.to_file(path, driver="GeoJSON")
    report = import_sources([path], tmp_path / "out")
    assert report.rows[0]["status"] == "rejected"
    assert report.rows[0]["reason"] == "wrong geometry type: Polygon, geohazard_points needs Point"


# -------------------------------------------------------------------------------------------------- tables
def test_csv_gb18030_with_lonlat(tmp_path):
    text = "名称,避难场所类型,容纳人数,经度,纬度\n大峪公园,紧急避难场所,1200人,116.10,39.93\n" \
           "城子广场,固定,800,39.95,116.12\n空地,紧急,100,,\n"
    path = tmp_path / "避难场所.csv"
    path.write_bytes(text.encode("gb18030"))
    report = import_sources([path], tmp_path / "out")
    shelters = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="shelters")
    assert list(shelters["name"]) == ["大峪公园", "城子广场"]
    assert list(shelters["shelter_class"]) == ["emergency", "short_term"]
    assert list(shelters["capacity"]) == [1200.0, 800.0]
    assert "gb18030" in report.summary() and "EPSG:4490" in report.summary()
    by_row = {r["source_fid"]: r for r in report.rows}  # spreadsheet row numbers
    assert by_row[3]["status"] == "repaired" and "swapped" in by_row[3]["reason"]
    assert by_row[4]["status"] == "rejected" and "经度/纬度" in by_row[4]["reason"]
    xy = shapely.get_coordinates(shelters.geometry.values)
    assert ((xy[:, 0] > 3.5e5) & (xy[:, 0] < 6.5e5)).all()  # the swapped row landed in Mentougou too


def test_census_village_table_joins_and_derives_parents(tmp_path):
    villages = gpd.GeoDataFrame({"代码": ["110109001001", "110109001002"], "名称": ["甲村", "乙村"]},
                                geometry=[Polygon([(116.0, 39.9), (116.05, 39.9), (116.05, 39.95), (116.0, 39.95)]),
                                          Polygon([(116.05, 39.9), (116.1, 39.9), (116.1, 39.95), (116.05, 39.95)])],
                                crs=4490)
    vpath = tmp_path / "村界.gpkg"
    villages.to_file(vpath, driver="GPKG", layer="villages")
    census = tmp_path / "社区减灾资源.csv"
    census.write_text("统计用区划代码,村名称,常住人口,总户数,0-14岁,65岁以上,残障人数\n"
                      "110109001001,甲村,1200,400,150,300,12\n110109001003,丙村,800,300,90,200,5\n",
                      encoding="utf-8-sig")
    hazards = gpd.GeoDataFrame({"编号": ["H1"], "名称": ["甲村滑坡"], "类型": ["不稳定斜坡"]},
                               geometry=[Point(116.02, 39.92)], crs=4490)
    hpath = tmp_path / "geohazard.geojson"
    hazards.to_file(hpath, driver="GeoJSON")
    report = import_sources([vpath, f"villages={census}", hpath], tmp_path / "out")
    gpkg = tmp_path / "out" / "onemap.gpkg"
    v = pyogrio.read_dataframe(gpkg, layer="villages").set_index("code")
    assert v.loc["110109001001", "population"] == 1200 and v.loc["110109001001", "pop_65_plus"] == 300
    assert v.loc["110109001002", "parent_code"] == "110109001000"
    units = pyogrio.read_dataframe(gpkg, layer="admin_units", read_geometry=False)
    assert set(units["code"]) == {"110109001001", "110109001003"}
    h = pyogrio.read_dataframe(gpkg, layer="geohazard_points")
    assert h["kind"].iloc[0] == "landslide" and h["village_code"].iloc[0] == "110109001001"
    assert len(report.rows) == 5


def test_admin_code_table(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,parent,name,level,longitude,latitude\n110109000000,110100000000,门头沟区,county,116.1,39.9\n"
                    "110109001000,110109000000,大峪街道,town,,\n110109001001,110109001000,德露苑社区,village,116.11,39.92\n",
                    encoding="utf-8")
    report = import_sources([path], tmp_path / "out")
    units = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="admin_units", read_geometry=False)
    assert list(units["level"]) == ["county", "township", "village"]
    assert [r["target_layer"] for r in report.rows] == ["admin_units"] * 3


# -------------------------------------------------------------------------------------------------- CRS
def test_gauss_kruger_zone_from_eight_digit_easting(tmp_path):
    geoms = [Point(39_500_000 + 1000 * i, 4_420_000 + 500 * i) for i in range(3)]
    shp = _shapefile(tmp_path / "隐患点.shp", "GBK", crs=None, geoms=geoms)
    assert not shp.with_suffix(".prj").exists()
    report = import_sources([shp], tmp_path / "out")
    assert "zone 39" in report.summary() and "EPSG:4527" in report.summary()
    info = pyogrio.read_info(tmp_path / "out" / "onemap.gpkg", layer="geohazard_points")
    assert info["crs"] == "EPSG:4527"  # the inputs' own projected CGCS2000 CRS is kept


def test_lonlat_without_prj_is_an_error(tmp_path):
    shp = _shapefile(tmp_path / "隐患点.shp", "GBK", crs=None)
    with pytest.raises(RiskOneMapError) as err:
        import_sources([shp], tmp_path / "out")
    assert "隐患点.shp" in str(err.value) and "--crs" in str(err.value)
    assert not (tmp_path / "out").exists()
    report = import_sources([shp], tmp_path / "out", crs="EPSG:4490")
    assert len(_rows(report, "kept")) == 3


def test_declared_crs_checked_against_coordinates(tmp_path):
    shp = _shapefile(tmp_path / "隐患点.shp", "GBK", crs=4326, geoms=[Point(39_500_000, 4_420_000)] * 3)
    with pytest.raises(RiskOneMapError, match="EPSG:4527"):
        import_sources([shp], tmp_path / "out")


def test_zone_helpers():
    assert crs_detect.gk_zone_from_easting(39_512_345.0) == (3, 39, 4527)
    assert crs_detect.gk_zone_from_easting(20_512_345.0) == (6, 20, 4498)
    assert crs_detect.gk_zone_from_easting(512_345.0) is None


# -------------------------------------------------------------------------------------------------- mapping
def test_mapping_file_and_required_fields(tmp_path):
    gdf = gpd.GeoDataFrame({"sid": ["bj1", "bj2"], "mc": ["公园", None]}, geometry=LONLAT[:2], crs=4326)
    path = tmp_path / "shelters_pt.geojson"
    gdf.to_file(path, driver="GeoJSON")
    report = import_sources([path], tmp_path / "a")  # no class, no name column: assumed and named, and said
    assert [r["status"] for r in report.rows] == ["kept", "kept"]
    shelters = Package(tmp_path / "a").read("shelters")
    assert list(shelters["shelter_class"]) == ["emergency"] * 2
    assert list(shelters["name"]) == ["shelters_pt 避难场所 1", "shelters_pt 避难场所 2"]
    assert "every shelter assumed 紧急避难场所" in report.summary() and "named from their place" in report.summary()
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"shelters": {"sid": "id", "mc": "name", "=长期": "shelter_class"}}))
    report = import_sources([path], tmp_path / "b", mapping=str(mapping))
    assert [r["status"] for r in report.rows] == ["kept", "kept"]
    assert list(Package(tmp_path / "b").read("shelters")["name"]) == ["公园", "shelters_pt 避难场所 1"]
    bad = tmp_path / "bad.csv"
    bad.write_text("layer,source,target\nshelters,sid,nonsense\n")
    with pytest.raises(RiskOneMapError, match="nonsense"):
        import_sources([path], tmp_path / "c", mapping=str(bad))


def test_layer_detection():
    assert fieldmap.layer_from_name("XX镇应急避难场所") == "shelters"
    assert fieldmap.layer_from_name("地质灾害隐患点2023") == "geohazard_points"
    assert fieldmap.layer_from_name("易涝点") == "flood_lowpoints"
    assert fieldmap.layer_from_name("乡村道路") == "roads"
    assert fieldmap.layer_from_name("社区") == "villages"
    assert fieldmap.layer_from_name("门头沟区") == "county"
    assert fieldmap.layer_from_name("data") is None


def test_unknown_file_is_an_error(tmp_path):
    path = tmp_path / "data.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=LONLAT[:1], crs=4326).to_file(path, driver="GeoJSON")
    with pytest.raises(RiskOneMapError, match="data.geojson.*shelters=data.geojson"):
        import_sources([path], tmp_path / "out")
    report = import_sources([path], tmp_path / "out", layer_for=[f"{path}=depots"])
    assert report.rows[0]["target_layer"] == "depots"


# -------------------------------------------------------------------------------------------------- the report
def test_report_has_one_row_per_input_feature(tmp_path):
    shp = _shapefile(tmp_path / "隐患点.shp", "GBK", keep_cpg=False)
    gj = tmp_path / "risk.geojson"
    gpd.GeoDataFrame({"hazard_type": ["flood", "flood", "nonsense"], "risk_level": [1, 9, 2]},
                     geometry=[Polygon([(116, 39.9), (116.1, 39.9), (116.1, 40)])] * 3, crs=4490
                     ).to_file(gj, driver="GeoJSON")
    report = import_sources([shp, gj], tmp_path / "out")
    assert len(report.rows) == 6
    assert {(r["source_file"], r["source_fid"]) for r in report.rows} == \
        {(str(shp), i) for i in range(3)} | {(str(gj), i) for i in range(3)}
    rejected = {r["source_fid"]: r["reason"] for r in report.rows if r["status"] == "rejected"}
    assert "risk_level" in rejected[1] and "9" in rejected[1]
    assert "hazard_type" in rejected[2] and "nonsense" in rejected[2]
    csv = tmp_path / "out" / REPORT_CSV
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(pd.read_csv(csv, encoding="utf-8-sig")) == 6
    table = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="import_report", read_geometry=False)
    assert len(table) == 6
    with pytest.raises(RiskOneMapError, match="not empty"):
        import_sources([shp], tmp_path / "out")
    import_sources([shp], tmp_path / "out", overwrite=True)


def test_duplicate_ids_renamed(tmp_path):
    data = dict(HAZARDS, 隐患点编号=["DZ001", "DZ001", "DZ003"])
    shp = _shapefile(tmp_path / "隐患点.shp", "GBK", data=data)
    report = import_sources([shp], tmp_path / "out")
    assert report.rows[1]["status"] == "repaired" and "DZ001-2" in report.rows[1]["reason"]


def test_xlsx_and_geopackage_layers(tmp_path):
    xlsx = tmp_path / "易涝点台账.xlsx"
    pd.DataFrame({"编号": ["L1", "L2"], "名称": ["桥下", "路口"], "最大积水深度(米)": [0.6, "约0.3m"],
                  "来源": ["历史积水", "模型"], "经度": [116.1, "116°06′36″"], "纬度": [39.93, 39.94]}
                 ).to_excel(xlsx, index=False)
    gpkg = tmp_path / "county.gpkg"
    gpd.GeoDataFrame({"name": ["乙村"]}, geometry=LONLAT[:1], crs=4490).to_file(gpkg, layer="roads_old", driver="GPKG")
    gpd.GeoDataFrame({"id": ["S1"], "name": ["广场"], "shelter_class": ["long_term"]}, geometry=LONLAT[1:2],
                     crs=4490).to_file(gpkg, layer="shelters", driver="GPKG")
    gpd.GeoDataFrame({"x": [1]}, geometry=LONLAT[2:], crs=4490).to_file(gpkg, layer="misc", driver="GPKG")
    report = import_sources([xlsx, gpkg], tmp_path / "out")
    low = pyogrio.read_dataframe(tmp_path / "out" / "onemap.gpkg", layer="flood_lowpoints")
    assert list(low["max_depth_m"]) == [0.6, 0.3] and list(low["source"]) == ["ledger", "model"]
    by = {(r["source_layer"], r["source_fid"]): r for r in report.rows}
    assert by[("roads_old", 1)]["reason"].startswith("wrong geometry type")
    assert by[("misc", 1)]["status"] == "rejected" and "not recognised" in by[("misc", 1)]["reason"]
    assert by[("shelters", 1)]["status"] == "kept"


def test_depth_classes_of_flood_simulations_give_their_deepest_bound():
    read = fieldmap.VALUE_READERS[("flood_lowpoints", "max_depth_m")]
    assert read("0.15 m ~ 0.30 m")[0] == 0.3 and "deepest bound" in read("0.15 m ~ 0.30 m")[1]
    assert read("35 cm") == (0.35, "depth 0.35 m taken from '35 cm'")
    assert read(0.6) == (0.6, None) and read("约0.3m") == (0.3, None) and read("deep") == (None, None)


def test_a_flood_simulation_is_told_where_it_belongs_and_points_say_where_they_went(tmp_path):
    import json
    from risk_one_map.layers.importer import import_sources
    sim = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"Name": "0.15 m ~ 0.30 m", "F_depth": "0.15 m ~ 0.30 m"},
         "geometry": {"type": "Polygon", "coordinates": [[[116.0, 40.0], [116.001, 40.0], [116.001, 40.001],
                                                          [116.0, 40.0]]]}}]}
    (tmp_path / "flood_simulate_78.geojson").write_text(json.dumps(sim), encoding="utf-8")
    pts = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "110109001201", "name": "东一村"},
         "geometry": {"type": "Point", "coordinates": [116.0005, 40.0005]}}]}
    (tmp_path / "villages_pt.geojson").write_text(json.dumps(pts), encoding="utf-8")
    report = import_sources([tmp_path / "flood_simulate_78.geojson", tmp_path / "villages_pt.geojson"],
                            tmp_path / "pkg")
    text = report.summary()
    assert "a flood simulation (1 polygons with depth classes in 'F_depth')" in text and "risk_zones=FILE" in text
    assert "villages_pt.geojson -> village_points: 1 kept" in text
    assert "F_depth->max_depth_m" in text  # the deepest bound of the class: 0.3 m
    assert list(Package(tmp_path / "pkg").read("flood_lowpoints")["max_depth_m"]) == [0.3]


# -------------------------------------------------------------------------------------------------- real headers
def _taipei_like(tmp_path):
    """Two districts and three 里 with Taiwan's MOI headers (CPTID/TNAME, CPTVID/VNAME, pop_2021_03) and no
    county file: the shape of the Taipei open data."""
    from shapely.geometry import box
    towns = gpd.GeoDataFrame({"CPTID": ["6300100", "6301200"], "TNAME": ["松山區", "北投區"], "PNAME": ["臺北市"] * 2},
                             geometry=[box(121.50, 25.00, 121.51, 25.01), box(121.51, 25.00, 121.52, 25.01)], crs=4326)
    vil = gpd.GeoDataFrame({
        "CPTVID": ["6300100001", "6300100002", "6301200042"], "CPTID": ["6300100", "6300100", "6301200"],
        "VNAME": ["莊敬里", "東榮里", "湖田里"], "pop_2021_03": [900.0, 800.0, 916.0], "pop_u15": [60.0, 50.0, 64.0],
        "pop_65p": [200.0, 150.0, 216.0]},
        geometry=[box(121.50, 25.00, 121.505, 25.01), box(121.505, 25.00, 121.51, 25.01),
                  box(121.51, 25.00, 121.52, 25.01)], crs=4326)
    towns.to_file(tmp_path / "taipei_town.geojson", driver="GeoJSON")
    vil.to_file(tmp_path / "taipei_village.geojson", driver="GeoJSON")
    return [tmp_path / "taipei_village.geojson", tmp_path / "taipei_town.geojson"]


def test_taiwan_style_headers_short_codes_and_no_county_import_without_a_mapping(tmp_path):
    from risk_one_map.layers.check import check_package
    report = import_sources(_taipei_like(tmp_path), tmp_path / "pkg")
    text = report.summary()
    assert "CPTVID->code, VNAME->name, CPTID->parent_code" in text and "pop_2021_03->population" in text
    assert "pop_u15->pop_0_14" in text and "pop_65p->pop_65_plus" in text and "CPTID->code, TNAME->name" in text
    pkg = Package(tmp_path / "pkg")
    towns, vil, county = pkg.read("townships"), pkg.read("villages"), pkg.read("county")
    assert sorted(towns["code"]) == ["630000001000", "630000012000"]
    assert dict(zip(vil["name"], vil["code"]))["湖田里"] == "630000012042"
    assert set(vil["parent_code"]) == set(towns["code"]) and set(vil["source_code"]) >= {"6301200042"}
    assert "2 codes were not" not in text and "codes were not 12-digit 统计用区划代码 and were padded" in text
    assert list(county["name"]) == ["臺北市"] and list(county["code"]) == ["630000000000"]
    assert "county 臺北市 (630000000000) made from the 2 townships" in text
    assert not check_package(pkg.path).errors


def test_english_and_pinyin_headers_national_classes_and_hectares(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["中心公园", "一小操场", "体育场"], "class": ["Ⅰ类", "Ⅲ类", "II类"],
                            "capacity": [20000, 2000, 8000], "area": [5.0, 2500.0, 1.2]},
                           geometry=LONLAT, crs=4326)
    path = tmp_path / "shelters.geojson"
    gdf.to_file(path, driver="GeoJSON")
    report = import_sources([path], tmp_path / "pkg")
    sh = Package(tmp_path / "pkg").read("shelters").set_index("name")
    assert list(sh["shelter_class"]) == ["long_term", "emergency", "short_term"]
    assert sh.loc["中心公园", "area_m2"] == 50000.0 and sh.loc["一小操场", "area_m2"] == 2500.0
    assert "5 m² for 20000 people is not plausible; read as hectares" in " ".join(report.frame()["reason"])
    assert fieldmap.match_fields("villages", ["ADCODE99", "NAME99"])[0] == {"code": "ADCODE99", "name": "NAME99"}
    assert fieldmap.match_fields("villages", ["cundm", "cunmc"])[0] == {"code": "cundm", "name": "cunmc"}


def test_nameless_points_are_named_from_their_village(tmp_path):
    paths = _taipei_like(tmp_path)
    pts = gpd.GeoDataFrame({"depth": [0.5, 0.4, 0.6]},
                           geometry=[Point(121.515, 25.005), Point(121.516, 25.006), Point(121.502, 25.005)], crs=4326)
    pts.to_file(tmp_path / "内涝点.geojson", driver="GeoJSON")
    report = import_sources(paths + [tmp_path / "内涝点.geojson"], tmp_path / "pkg")
    names = list(Package(tmp_path / "pkg").read("flood_lowpoints")["name"])
    assert names == ["湖田里 内涝点 1", "湖田里 内涝点 2", "莊敬里 内涝点 1"]
    assert "3 features had no name and were named from their place" in report.summary()


def test_layer_option_takes_the_bare_file_name_and_files_after_it(tmp_path, capsys):
    from risk_one_map.cli import main
    paths = _taipei_like(tmp_path)
    roads = gpd.GeoDataFrame(geometry=[shapely.LineString([(121.50, 25.005), (121.52, 25.005)])], crs=4326)
    roads.to_file(tmp_path / "osm.geojson", driver="GeoJSON")
    code = main(["import", str(paths[0]), "--layer", "osm.geojson=roads", str(tmp_path / "osm.geojson"),
                 str(paths[1]), "--out", str(tmp_path / "pkg")])
    assert code == 0 and "osm.geojson -> roads: 1 kept" in capsys.readouterr().out
    with pytest.raises(RiskOneMapError, match="no input file is named other.geojson"):
        import_sources(paths, tmp_path / "b", layer_for=["other.geojson=roads"])


def test_village_points_without_boundaries_become_approximate_areas_and_every_output_says_so(tmp_path, capsys):
    from shapely.geometry import box

    from risk_one_map.atlas.sheet_data import build_sheet_data
    from risk_one_map.cli import main
    from risk_one_map.layers import model
    from risk_one_map.layers.check import check_package
    county = gpd.GeoDataFrame({"code": ["110109000000"], "name": ["门头沟区"]},
                              geometry=[box(116.00, 39.90, 116.06, 39.96)], crs=4326)
    county.to_file(tmp_path / "county_boundary.geojson", driver="GeoJSON")
    pts = gpd.GeoDataFrame({"code": ["110109001001", "110109001002", "110109002001"],
                            "name": ["东村", "西村", "北村"], "parent": ["110109001000"] * 2 + ["110109002000"],
                            "population": [100.0, 200.0, 300.0]},
                           geometry=[Point(116.05, 39.91), Point(116.01, 39.91), Point(116.03, 39.95)], crs=4326)
    pts.to_file(tmp_path / "villages_pt.geojson", driver="GeoJSON")
    report = import_sources([tmp_path / "county_boundary.geojson", tmp_path / "villages_pt.geojson"], tmp_path / "pkg")
    assert "3 近似村界 made from the village points" in report.summary()
    pkg = Package(tmp_path / "pkg")
    vil, towns = pkg.read("villages"), pkg.read("townships")
    assert set(vil["boundary"]) == {model.APPROX_VILLAGES} and set(towns["boundary"]) == {model.APPROX_TOWNSHIPS}
    assert vil.geometry.area.sum() == pytest.approx(pkg.read("county").geometry.area.sum(), rel=1e-6)
    assert sorted(towns["code"]) == ["110109001000", "110109002000"] and pkg.approximate_villages()
    assert not check_package(pkg.path).errors
    main(["evacuate", str(pkg.path)])
    assert capsys.readouterr().out.splitlines()[0].startswith("note: 村界为近似村界")
    v = build_sheet_data(pkg.path).village("110109001001")
    assert "近似村界" in v["subtitle"] and v["sources"].startswith("村界为近似村界")


def test_english_names_cut_at_10_bytes_by_a_dbf_are_recognised():
    mapping, how = fieldmap.match_fields("shelters", ["SHELTER_CL", "CAPACITY", "NAME"], allow_prefix=True)
    assert mapping["shelter_class"] == "SHELTER_CL" and how["shelter_class"].endswith("cut at 10 bytes)")
    assert fieldmap.match_fields("villages", ["VILLAGE_NA", "VILLAGE_CO"], allow_prefix=True)[0] == {
        "name": "VILLAGE_NA", "code": "VILLAGE_CO"}
    assert "name" not in fieldmap.match_fields("villages", ["VILL"], allow_prefix=True)[0]  # too short to tell
