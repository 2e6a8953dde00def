"""The hazard ledger (台账): status workflow and history, the workbook written and read back."""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from risk_one_map.analysis import ledger as al
from risk_one_map.jobs import ledger as jl
from risk_one_map.layers.package import Package, write_package
from tests.tiny import CRS, X0, Y0, tiny_layers

TODAY = dt.date(2026, 6, 1)


def ledger_layers() -> dict:
    layers = tiny_layers()
    layers["hazard_sites"] = gpd.GeoDataFrame({
        "id": ["YH001", "YH002", "YH003"], "name": ["=HYPERLINK(\"x\")小餐馆", "在建学校工地", "老街燃气管"],
        "category": ["small_restaurant", "construction_site", "gas"],
        "village_code": ["110109001201", None, "110109002202"], "address": ["东街1号", None, None],
        "source": ["office"] * 3},
        geometry=[Point(X0 + 100, Y0 + 100), Point(X0 + 1500, Y0 + 500), Point(X0 + 1500, Y0 + 1500)], crs=CRS)
    layers["geohazard_points"] = gpd.GeoDataFrame({
        "id": ["GH1"], "name": ["后山滑坡"], "kind": ["landslide"], "village_code": ["110109001202"],
        "monitor_name": ["钱七"], "monitor_phone": ["13900000007"]}, geometry=[Point(X0 + 500, Y0 + 1500)], crs=CRS)
    layers["hazard_treatment"] = pd.DataFrame({
        "site_layer": ["hazard_sites", "hazard_sites"], "site_id": ["YH001", "YH002"],
        "sector": [None, "housing"], "deadline": ["2026-05-01", "2099-07-01"],
        "status": ["in_progress", "assigned"], "resp_phone": ["13800000011", None]})
    return layers


@pytest.fixture()
def package(tmp_path):
    return write_package(tmp_path / "pkg", ledger_layers()).path


def test_status_workflow_refuses_closing_before_fixed():
    assert al.status_change_problem("pending", "in_progress") is None  # forward by two steps
    assert al.status_change_problem("fixed", "in_progress") is None  # the check failed: back
    assert al.status_change_problem("fixed", "closed") is None
    assert "销号" in al.status_change_problem("in_progress", "closed")
    assert al.status_change_problem("pending", "done") is not None


def test_entries_link_geohazard_points_without_copying_them(package):
    entries = jl.read_entries(Package(package), TODAY)
    assert list(entries["site_id"]) == ["YH001", "GH1", "YH002", "YH003"]  # by township, village
    gh = entries[entries["site_id"] == "GH1"].iloc[0]
    assert (gh["site_layer"], gh["category"], gh["status"]) == ("geohazard_points", "flash_flood_geohazard", "pending")
    assert (gh["resp_name"], gh["sector"]) == ("钱七", "natural_resources")  # the monitor; the category's sector
    site2 = entries[entries["site_id"] == "YH002"].iloc[0]
    assert (site2["village_code"], site2["township_name"]) == ("110109002201", "西镇")  # found by location
    assert dict(zip(entries["site_id"], entries["overdue_days"])) == {"YH001": 31, "GH1": 0, "YH002": 0, "YH003": 0}
    assert not Package(package).has("hazard_history")


def test_every_status_change_is_kept_in_history():
    treatment, history, _, changes, refused = al.apply_updates(
        None, None, None, [al.Update("hazard_sites", "A", {"status": "assigned"}, changed_by="甲",
                                     changed_at="2026-05-01 09:00")], "office", {})
    treatment, history, _, changes, refused = al.apply_updates(
        treatment, history, None, [al.Update("hazard_sites", "A", {"status": "in_progress"}, changed_by="乙",
                                             changed_at="2026-05-03 10:00"),
                                   al.Update("hazard_sites", "A", {"status": "closed"}, changed_by="丙")],
        "office", {})
    assert list(treatment["status"]) == ["in_progress"] and treatment["status_date"][0] == "2026-05-03"
    assert list(zip(history["old_status"], history["new_status"], history["changed_by"])) == [
        ("pending", "assigned", "甲"), ("assigned", "in_progress", "乙")]
    assert len(refused) == 1 and "销号" in refused[0][1]


def test_workbook_sheets_counts_overdue_marks_and_formula_safe_cells(package, tmp_path):
    from openpyxl import load_workbook
    out = tmp_path / "台账.xlsx"
    result = jl.export(package, out, today=TODAY)
    assert "共 4 处" in result.summary_lines()[0] and "逾期未整改 1 处" in result.summary_lines()[0]
    wb = load_workbook(out)
    assert wb["导出时内容"].sheet_state == "veryHidden"  # what was exported, to tell the office's edits apart
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == ["汇总", "全部隐患", "分区域-东镇", "分区域-西镇", "分灾种-地质灾害", "分灾种-火灾",
                             "分灾种-房屋建筑安全", "分灾种-燃气安全", "分行业-市场监管", "分行业-住房和城乡建设",
                             "分行业-自然资源"]
    summary = wb["汇总"]
    rows = [[c.value for c in r] for r in summary.iter_rows(min_row=4, max_row=5)]
    assert rows[0] == ["按状态（全县）", "待交办", "已交办", "整改中", "已整改", "已销号", "合计", "逾期"]
    assert rows[1] == ["合计", 2, 1, 1, 0, 0, 4, 1]
    ws = wb["全部隐患"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    first = {h: c for h, c in zip(header, ws[2])}
    assert first["隐患编号"].value == "YH001" and first["逾期天数"].value == 31
    assert first["治理状态"].value == "整改中" and first["行业领域"].value == "市场监管"
    assert first["隐患名称"].value.startswith("'=")  # never run as a formula
    assert first["联系电话"].data_type == "s" and first["整改时限"].value.date() == dt.date(2026, 5, 1)
    assert first["序号"].fill.fgColor.rgb.endswith("FFC7CE")  # overdue: red
    second = {h: c for h, c in zip(header, ws[3])}
    assert second["逾期天数"].value is None and not second["序号"].fill.fgColor.rgb.endswith("FFC7CE")


def _edit(path, sheet, site_id, **cells):
    from openpyxl import load_workbook
    wb = load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("隐患编号")].value == site_id:
            for name, value in cells.items():
                row[header.index(name)].value = value
    wb.save(path)


def test_workbook_comes_back_with_a_report_of_what_changed(package, tmp_path):
    out = tmp_path / "台账.xlsx"
    jl.export(package, out, today=TODAY)
    _edit(out, "全部隐患", "GH1", 治理状态="已交办", 责任单位="东镇自然资源所", 整改时限="2026-08-01")
    _edit(out, "分区域-西镇", "YH002", 治理状态="已整改")
    _edit(out, "全部隐患", "YH003", 治理状态="已销号")  # refused: never fixed
    _edit(out, "全部隐患", "YH001", 责任人="孙八")
    _edit(out, "分区域-东镇", "YH001", 责任人="周九")  # the same cell changed differently on two sheets
    result = jl.import_workbook(package, out, now="2026-06-02 08:00")
    lines = "\n".join(result.summary_lines())
    assert "2 处隐患有变更" in lines and "GH1（后山滑坡）治理状态：待交办 → 已交办" in lines
    assert "YH003" in lines and "销号" in lines and "孙八" in lines and "周九" in lines
    pkg = Package(package)
    history = pkg.read("hazard_history")
    assert set(zip(history["site_id"], history["old_status"], history["new_status"])) == {
        ("GH1", "pending", "assigned"), ("YH002", "assigned", "fixed")}
    entries = jl.read_entries(pkg, TODAY).set_index("site_id")
    assert entries.loc["GH1", "resp_unit"] == "东镇自然资源所" and pd.isna(entries.loc["YH001", "resp_name"])
    assert (package / jl.REPORT_NAME).is_file()
    again = jl.import_workbook(package, out)
    assert not again.changes and len(pkg.read("hazard_history")) == 2


def test_village_sheet_lists_open_ledger_sites_with_their_status(package):
    from risk_one_map.atlas.sheet_data import build_sheet_data
    al_rows = pd.DataFrame({"site_layer": ["hazard_sites"], "site_id": ["YH003"], "status": ["closed"]})
    pkg = Package(package)
    pkg.write_layers({"hazard_treatment": pd.concat([pkg.read("hazard_treatment"), al_rows], ignore_index=True)})
    data = build_sheet_data(package)
    hazards = data.hazards.set_index("name")
    assert hazards.loc["在建学校工地", "level"] == "已交办" and hazards.loc["在建学校工地", "kind"] == "在建工地"
    assert hazards.loc["在建学校工地", "village_code"] == "110109002201"
    assert "逾期" in hazards.loc["=HYPERLINK(\"x\")小餐馆", "level"]
    assert "老街燃气管" not in hazards.index  # 已销号: off the wall
    assert "孙八" not in set(data.persons["name"])


def test_office_rows_that_cannot_be_applied_are_reported_and_left(package, tmp_path):
    from openpyxl import load_workbook
    out = tmp_path / "台账.xlsx"
    jl.export(package, out, today=TODAY)
    wb = load_workbook(out)
    ws = wb["全部隐患"]
    header = [c.value for c in ws[1]]
    ws.append({header.index("隐患名称") + 1: "新开的网吧", header.index("隐患类别") + 1: "小网吧"})  # no id, no point
    wb.save(out)
    _edit(out, "全部隐患", "YH002", 治理状态="已办结")  # no such status
    _edit(out, "全部隐患", "YH001", 整改时限="2026-09-30")
    pkg = Package(package)  # meanwhile the office moved YH001's deadline in QGIS
    table = pkg.read("hazard_treatment")
    table.loc[table["site_id"] == "YH001", "deadline"] = "2026-08-31"
    pkg.write_layers({"hazard_treatment": table})
    result = jl.import_workbook(package, out)
    lines = "\n".join(result.summary_lines())
    assert not result.changes and "0 处隐患有变更" in lines
    assert "没有台账来源或隐患编号" in lines and "“已办结”不是可选值" in lines
    assert "导出后在数据包中已改为“2026-08-31”，表格中为“2026-09-30”" in lines
    assert jl.read_entries(pkg).set_index("site_id").loc["YH001", "deadline"] == "2026-08-31"
