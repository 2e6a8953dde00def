"""The depot siting sheet's words and classes (pure: no QGIS)."""
from __future__ import annotations

import json
import shutil

import pytest

from risk_one_map.atlas.depot_data import (build_depot_data, class_labels, minute_breaks, result_text,
                                           solver_text)
from risk_one_map.errors import RiskOneMapError

SUMMARY = {"model": "mclp", "model_name": "MCLP", "k": 2, "max_minutes": 30.0, "demand": "exposure",
           "total_demand": 1234.0, "n_villages": 12, "objective": 1100.0, "objective_unit": "people within T",
           "bound": 1150.0, "gap": 0.0435, "optimal": False, "solver": "HiGHS MILP (coverage)", "solve_seconds": 1.5,
           "n_existing_kept": 1, "n_new": 2, "new_sites": [{"id": "a", "name": "甲仓库"}, {"id": "b", "name": "乙校舍"}],
           "mean_minutes": 12.3, "worst_minutes": 44.0, "share_within_T": 0.891,
           "reach_check": {"county": {"zh": "县级", "limit_h": 6.0, "share": 0.95, "villages_beyond": ["丙村"]},
                           "city": {"zh": "市级", "limit_h": 8.0, "share": 1.0, "villages_beyond": []},
                           "province": {"zh": "省级", "limit_h": 10.0, "share": 1.0, "villages_beyond": []}},
           "costs": "drive time over 5 roads", "notes": [], "warnings": []}


def test_result_text_says_the_gap_in_plain_words():
    text = result_text(SUMMARY)
    assert "新建 2 处（甲仓库、乙校舍），保留现有 1 处。" in text
    assert "目标值（时限内覆盖人口）：1,100 人；上界 1,150；未证明最优，差距 4.35%" in text
    assert "已证明最优" not in text and "时限 30 分钟内可送达人口占 89.1%" in text
    assert "县级 6 小时内 95.0%，市级 8 小时内 100.0%，省级 10 小时内 100.0%" in text
    assert "超出县级时限的村：丙村（共 1 个）" in text and "HiGHS 整数规划（覆盖）" in text
    proven = result_text(dict(SUMMARY, optimal=True, gap=0.0, objective_unit="person-minutes", model="pmedian"))
    assert "下界 1,150；已证明最优。" in proven and "未证明最优" not in proven
    assert "没有可用的界" in result_text(dict(SUMMARY, bound=None, gap=None))
    assert solver_text("fast-swap interchange + Lagrangian bound") == "快速交换启发式 + 拉格朗日下界"


def test_minute_classes_are_round_cover_the_worst_and_include_t():
    assert minute_breaks([2.4, 9.0, 32.0]) == [10.0, 20.0, 30.0, 40.0]
    assert minute_breaks([1.0, 4.0]) == [1.0, 2.0, 3.0, 4.0]
    assert minute_breaks([50.0, 400.0]) == [120.0, 240.0, 360.0, 480.0]
    assert minute_breaks([5.0, 44.0], t_limit=25.0) == [10.0, 20.0, 25.0, 30.0, 40.0, 50.0]
    assert class_labels([10.0, 20.0], [3.0, 10.0, 15.0, float("nan")], [100, 200, 300, 400]) == [
        "≤ 10 分钟：2 村 300 人", "10 – 20 分钟：1 村 300 人"]


def test_a_package_without_results_says_to_run_site_depots(sample_package, tmp_path):
    with pytest.raises(RiskOneMapError, match="run `risk-one-map site-depots"):
        build_depot_data(sample_package.path)


def test_depot_table_has_new_sites_first_and_a_total(sample_package, tmp_path):
    from risk_one_map.jobs.siting import run
    pkg = shutil.copytree(sample_package.path, tmp_path / "county")
    run(pkg, model="pmedian", k=2, time_limit_s=30)
    data = build_depot_data(pkg, compile_unit="某局", date="2026年1月")
    summary = json.loads((pkg / "depot_siting.json").read_text(encoding="utf-8"))
    table = data.depots
    assert data.n_depots == len(table) - 1 == summary["n_existing_kept"] + summary["n_new"]
    assert list(table["status"][:2]) == ["新建", "新建"] and table["name"].iloc[-1] == "合计"
    assert table["villages"].iloc[-1] == str(summary["n_villages"])
    assert data.variables["depot_unit"] == "某局" and data.variables["depot_date"] == "2026年1月"
    assert data.variables["depot_subtitle"].startswith("P-中位模型") and "新增储备点 2 处" in data.variables[
        "depot_subtitle"]
