"""#18's doors: riskonemap:villageplan and riskonemap:drill through processing.run give the jobs' numbers; the plan
PDF's text is searchable Chinese. The dock's buttons: test_village_plan_dock.py (the plugin registers its own
provider, which this module's ``provider`` fixture would duplicate)."""
from __future__ import annotations

import subprocess

from tests.pure.test_village_plan import evacuated_sample  # noqa: F401 (fixture: the sample county, evacuated)


def _busiest_village(package) -> str:
    from risk_one_map.layers.package import Package
    return Package(package).read("evacuees")["village_code"].value_counts().index[0]


def test_processing_plan_and_cards_match_the_job(evacuated_sample, tmp_path, provider):
    import processing
    from risk_one_map.jobs.village_plan import read_inputs
    code = _busiest_village(evacuated_sample)
    result = processing.run("riskonemap:villageplan", {"PACKAGE": str(evacuated_sample), "VILLAGES": code,
                                                        "OUTPUT": str(tmp_path)})
    plan_pdf = next(tmp_path.rglob(f"{code}_*_应急预案.pdf"))
    assert next(tmp_path.rglob(f"{code}_*_应急处置卡.pdf")).stat().st_size > 10000
    job = read_inputs(evacuated_sample, [code])
    plan = job.plan(code)
    text = subprocess.run(["pdftotext", "-layout", str(plan_pdf), "-"], capture_output=True, text=True).stdout
    minutes = job.clearance.villages.set_index("code").loc[code, "clearance_min"]
    assert plan.title in text.replace(" ", "") and f"预计接到预警后 {minutes:.0f} 分钟" in text
    assert "【待补】" in text  # the sample roster has no township contacts: a gap, printed
    assert f"预计 " in result["SUMMARY"] and "written:" in result["SUMMARY"]
    # the map came from the village sheet's project: a picture on page 1
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(plan_pdf)], capture_output=True,
                            text=True).stdout.splitlines()
    assert len(images) > 2


def test_processing_drill_plan_then_evaluation(evacuated_sample, tmp_path, provider):
    import pandas as pd
    import processing
    code = _busiest_village(evacuated_sample)
    first = processing.run("riskonemap:drill", {"PACKAGE": str(evacuated_sample), "VILLAGE": code, "HAZARD": 3,
                                                 "LEVEL": 0, "START": "2026-06-01 09:00", "OUTPUT": str(tmp_path)})
    assert "水旱" not in first["SUMMARY"] and "须通知" in first["SUMMARY"]
    sheet = next(tmp_path.glob("演练记录表_*.csv"))
    table = pd.read_csv(sheet, dtype=str)
    table["通知到(分钟)"], table["到达(分钟)"] = "3", table["计划到达(分钟)"]
    table.to_csv(sheet, index=False)
    second = processing.run("riskonemap:drill", {"PACKAGE": str(evacuated_sample), "VILLAGE": code, "RECORD": str(sheet),
                                                  "OUTPUT": str(tmp_path)})
    assert f"通知到 {len(table)}/{len(table)} 户" in second["SUMMARY"]
    assert next(tmp_path.glob("演练评估_*.pdf")).stat().st_size > 10000
