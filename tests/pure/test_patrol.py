"""The patrol round trip (巡查): a township's folder out, two phones' copies back, one conflict, merged twice."""
from __future__ import annotations

import shutil

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from risk_one_map.errors import RiskOneMapError
from risk_one_map.jobs import ledger as jl
from risk_one_map.jobs import patrol as jp
from risk_one_map.layers import model
from risk_one_map.layers.package import Package, write_package
from tests.pure.test_ledger import ledger_layers
from tests.tiny import CRS, X0, Y0

EAST = "110109001000"  # 东镇: 东一村 (YH001, 整改中) and 东二村 (GH1, 待交办)


@pytest.fixture()
def package(tmp_path):
    return write_package(tmp_path / "pkg", ledger_layers()).path


@pytest.fixture()
def folder(package, tmp_path):
    jp.export(package, EAST, tmp_path / "巡查包")
    return tmp_path / "巡查包"


def phone(folder, name, inspections=(), new_sites=()):
    """A copy of the folder as a phone brings it back, with these records added (as QField writes them)."""
    copy = shutil.copytree(folder, folder.parent / name)
    gpkg = copy / model.GPKG_NAME
    for layer, rows in (("inspections", inspections), ("new_sites", new_sites)):
        if rows:
            fields = model.PATROL_LAYER_BY_NAME[layer].field_names
            frame = gpd.GeoDataFrame([{f: r.get(f) for f in fields} for r in rows], columns=fields,
                                     geometry=[Point(*r["xy"]) if r.get("xy") else None for r in rows], crs=CRS)
            pyogrio.write_dataframe(frame, gpkg, layer=layer, append=True)
    return copy


def test_export_holds_the_township_and_empty_forms(folder):
    data = Package(folder)
    assert set(data.read("villages")["name"]) == {"东一村", "东二村"}
    sites = data.read("patrol_sites")
    assert list(sites["key"]) == ["hazard_sites:YH001", "geohazard_points:GH1"]
    assert sites["label"][0].endswith("（小餐饮场所，整改中）")
    for layer in ("inspections", "new_sites"):
        info = pyogrio.read_info(folder / model.GPKG_NAME, layer=layer)
        assert info["features"] == 0 and info["geometry_type"] == "Point"
        assert list(info["fields"]) == model.PATROL_LAYER_BY_NAME[layer].field_names
    assert data.read(model.PATROL_META)["township_name"][0] == "东镇"


def test_unknown_township_is_one_clear_line(package, tmp_path):
    with pytest.raises(RiskOneMapError, match="no township with code '999'.*110109001000 东镇"):
        jp.export(package, "999", tmp_path / "x")


def test_two_phones_merge_with_one_conflict_and_a_second_merge_changes_nothing(package, folder):
    a = phone(folder, "A", inspections=[
        {"uuid": "a-1", "site_key": "hazard_sites:YH001", "inspected_at": "2026-06-02", "inspector": "巡查员甲",
         "finding": "灭火器已配齐", "new_status": "fixed", "photo": "DCIM/a1.jpg", "xy": (X0 + 100, Y0 + 100)},
        {"uuid": "a-2", "site_key": "geohazard_points:GH1", "inspected_at": "2026-06-02", "inspector": "巡查员甲",
         "finding": "坡脚无新裂缝", "xy": (X0 + 500, Y0 + 1500)}],
        new_sites=[{"uuid": "b7e5c0de-1111", "name": "东二村废弃砖窑", "category": "small_workshop",
                    "village_code": "110109001202", "finder": "巡查员甲", "found_date": "2026-06-02",
                    "photo": "DCIM/kiln.jpg", "xy": (X0 + 300, Y0 + 1300)}])
    (a / "DCIM").mkdir()
    (a / "DCIM" / "a1.jpg").write_bytes(b"jpeg a1")
    (a / "DCIM" / "kiln.jpg").write_bytes(b"jpeg kiln")
    b = phone(folder, "B", inspections=[
        {"uuid": "b-1", "site_key": "hazard_sites:YH001", "inspected_at": "2026-06-03", "inspector": "巡查员乙",
         "finding": "仍有电动车室内充电", "new_status": "assigned", "xy": (X0 + 100, Y0 + 100)},
        {"uuid": "b-2", "site_key": "geohazard_points:GH1", "inspected_at": "2026-06-03", "inspector": "巡查员乙",
         "finding": "已通知村里", "new_status": "assigned", "xy": (X0 + 500, Y0 + 1500)}])
    result = jp.merge(package, [a, b], now="2026-06-05 10:00")
    text = "\n".join(result.summary_lines())
    assert "新巡查记录 4 条（其中更新治理状态 1 处），新增隐患 1 处，冲突 1 处待" in text
    assert "YH001" in text and "巡查员甲" in text and "巡查员乙" in text  # both sides of the conflict shown
    pkg = Package(package)
    entries = jl.read_entries(pkg).set_index("site_id")
    assert entries.loc["YH001", "status"] == "in_progress"  # the office decides
    assert entries.loc["GH1", "status"] == "assigned"
    new = entries.loc["XC-B7E5C0DE"]
    assert (new["status"], new["category"], new["finder"], new["village_code"]) == (
        "pending", "small_workshop", "巡查员甲", "110109001202")
    records = pkg.read("patrol_records").set_index("uuid")
    assert dict(records["outcome"]) == {"a-1": "conflict", "a-2": "recorded", "b-1": "conflict", "b-2": "applied",
                                        "b7e5c0de-1111": "new_site"}
    assert (package / records.loc["a-1", "photo"]).read_bytes() == b"jpeg a1"
    assert (package / pkg.read("hazard_sites").set_index("id").loc["XC-B7E5C0DE", "photo"]).read_bytes() == b"jpeg kiln"
    history = pkg.read("hazard_history")
    assert list(zip(history["site_id"], history["new_status"], history["changed_by"], history["record_id"])) == [
        ("GH1", "assigned", "巡查员乙", "b-2")]
    from risk_one_map.layers.check import check_package
    assert not check_package(package).errors  # the merged ledger follows the model
    before = (package / model.GPKG_NAME).read_bytes()
    again = jp.merge(package, [a, b])
    assert "没有新记录" in again.summary_lines()[0] and not again.files
    assert (package / model.GPKG_NAME).read_bytes() == before


def test_a_status_changed_in_the_office_since_the_export_is_a_conflict(package, folder):
    c = phone(folder, "C", inspections=[
        {"uuid": "c-1", "site_key": "geohazard_points:GH1", "inspected_at": "2026-06-03", "inspector": "巡查员丙",
         "finding": "已治理", "new_status": "fixed", "xy": (X0 + 500, Y0 + 1500)}])
    from risk_one_map.analysis import ledger as al
    pkg = Package(package)
    treatment, history, *_ = al.apply_updates(pkg.read("hazard_treatment"), None, None, [
        al.Update("geohazard_points", "GH1", {"status": "in_progress"}, changed_by="办公室")], "office", {})
    pkg.write_layers({"hazard_treatment": treatment, "hazard_history": history})
    result = jp.merge(package, [c])
    assert "导出后状态已改为“整改中”，巡查时手机上为“待交办”" in "\n".join(result.summary_lines())
    assert jl.read_entries(pkg).set_index("site_id").loc["GH1", "status"] == "in_progress"


def test_a_folder_that_is_no_patrol_folder_is_refused(package, tmp_path):
    with pytest.raises(RiskOneMapError, match="not a patrol folder"):
        jp.merge(package, [package])


def test_a_new_site_without_a_point_is_reported_not_added(package, folder):
    d = phone(folder, "D", new_sites=[{"uuid": "d-1", "name": "无点位的小作坊", "category": "small_workshop",
                                       "village_code": "110109001201", "finder": "巡查员丁", "found_date": "2026-06-03"}])
    result = jp.merge(package, [d])
    assert "没有点位，未加入台账" in "\n".join(result.summary_lines())
    assert "无点位的小作坊" not in set(Package(package).read("hazard_sites")["name"])
