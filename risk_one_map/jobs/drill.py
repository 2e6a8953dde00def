"""The drill job (演练): a drill plan for a village, hazard and warning level, and its evaluation afterwards.

``plan_drill`` writes a row into the package's ``drills`` table (one per drill, kept as history) and the drill's
households into ``drill_records`` (planned arrival, reached/arrived blank); with ``out_dir``, 演练方案_<id>.pdf and
演练记录表_<id>.csv (the sheet to fill in during the drill). ``record_drill`` reads the filled-in sheet (CSV or
XLSX, or times typed as HOUSEHOLD=MINUTES), stores reached/arrived in ``drill_records``, marks the drill evaluated
and, with ``out_dir``, writes 演练评估_<id>.pdf (reached / not reached, actual against planned, the bottlenecks on
the map).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..analysis import drill as ad
from ..errors import RiskOneMapError
from ..layers import model
from ..layers.package import Package, atomic_path
from . import names_the_package
from .village_plan import read_inputs

DRILL_COLUMNS = ["drill_id", "village_code", "village_name", "hazard", "level", "start", "scenario", "target_min",
                 "planned_min", "households", "status", "reached", "arrived", "actual_min", "evaluated_at"]
RECORD_FIELDS = ["drill_id", "household_id", "village_code", "people", "vulnerable", "helper", "shelter_name",
                 "distance_m", "planned_min", "action", "reached_min", "arrived_min", "late_min", "result"]


@dataclass
class DrillResult:
    package: Path
    lines: list
    files: list = field(default_factory=list)

    def summary_lines(self) -> list:
        return self.lines


def _drills(pkg) -> pd.DataFrame:
    old = pkg.read("drills", required=False)
    return pd.DataFrame(columns=DRILL_COLUMNS) if old is None else pd.DataFrame(old.drop(columns="geometry",
                                                                                           errors="ignore"))


def _records(pkg):
    return pkg.read("drill_records", required=False)


def _replace_rows(old, new, drill_id: str):
    """``old`` without this drill's rows, then ``new``: other drills' history stays as it was."""
    import geopandas as gpd
    if old is None or not len(old):
        return new
    keep = old[old["drill_id"] != drill_id]
    frame = pd.concat([keep, new], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=new.crs) if hasattr(new, "crs") else frame


@names_the_package
def plan_drill(package_dir, village: str, hazard: str, level, *, out_dir=None, start: Optional[str] = None,
               progress=None, cancelled=None) -> DrillResult:
    import geopandas as gpd
    hazard_key = model.hazard_key(hazard)
    level_no = model.warning_level(level)
    if hazard_key is None:
        raise RiskOneMapError(f"unknown hazard {hazard!r}: use flood, geologic, forest_fire ... or 山洪, 地灾 ...")
    if level_no is None:
        raise RiskOneMapError(f"unknown warning level {level!r}: use red, orange, yellow, blue or 红 橙 黄 蓝")
    if start is not None:
        _check_start(start)
    inputs = read_inputs(package_dir, [village])
    plan = inputs.plan(village)
    zones = inputs.evacuated.get("evacuation_zones")
    d = ad.drill_plan(village, hazard_key, level_no, plan, inputs.clearance, inputs.evacuated.get("evacuees"),
                      zones, inputs.pairing, start)
    pkg = inputs.pkg
    drills = _drills(pkg)
    row = {"drill_id": d.drill_id, "village_code": village, "village_name": plan.name, "hazard": hazard_key,
           "level": level_no, "start": d.start, "scenario": d.scenario, "target_min": d.target_min,
           "planned_min": float(d.targets["planned_min"].max()) if len(d.targets) else np.nan,
           "households": len(d.targets), "status": "planned"}
    others = drills[drills["drill_id"] != d.drill_id]
    drills = pd.concat([others, pd.DataFrame([row])], ignore_index=True) if len(others) else pd.DataFrame([row])
    drills = drills.reindex(columns=DRILL_COLUMNS)
    targets = d.targets.assign(drill_id=d.drill_id, reached_min=np.nan, arrived_min=np.nan, late_min=np.nan,
                               result="")
    records = gpd.GeoDataFrame(targets[RECORD_FIELDS], geometry=list(targets["geometry"]) if "geometry" in targets
                               else [None] * len(targets), crs=pkg.crs())
    pkg.write_layers({"drills": drills[DRILL_COLUMNS], "drill_records": _replace_rows(_records(pkg), records,
                                                                                       d.drill_id)})
    result = DrillResult(pkg.path, d.summary_lines(), [pkg.gpkg])
    if out_dir is not None:
        from .drill_pdf import drill_plan_pdf
        out = Path(out_dir)
        sheet = out / f"演练记录表_{d.drill_id}.csv"
        with atomic_path(sheet) as tmp:
            ad.record_template(d).to_csv(tmp, index=False, encoding="utf-8-sig")
        result.files += [drill_plan_pdf(d, plan, inputs, out / f"演练方案_{d.drill_id}.pdf"), sheet]
    result.lines.append(f"演练后：填写 演练记录表_{d.drill_id}.csv，再运行 risk-one-map drill {pkg.path} "
                        f"--village {village} --record 演练记录表_{d.drill_id}.csv")
    return result


def _check_start(start: str) -> None:
    try:
        dt.datetime.strptime(start, "%Y-%m-%d %H:%M")
    except ValueError:
        raise RiskOneMapError(f"the drill's start {start!r} is not a time like 2026-06-01 09:00") from None


def read_record_file(path) -> pd.DataFrame:
    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, dtype=str)
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except FileNotFoundError:
        raise RiskOneMapError("the drill record file does not exist", file=path) from None
    except Exception as exc:  # pandas' own words: not a CSV, bad encoding
        raise RiskOneMapError(f"cannot read the drill record ({' '.join(str(exc).split())})", file=path) from None


@names_the_package
def record_drill(package_dir, village: str, *, drill_id: Optional[str] = None, record=None, typed=None,
                 out_dir=None, progress=None, cancelled=None) -> DrillResult:
    """Evaluate a drill of ``village`` (``drill_id``, default its latest) from ``record`` (a file) or ``typed``
    ({household_id: (reached_min, arrived_min)})."""
    import geopandas as gpd
    pkg = Package(package_dir).require()
    drills = _drills(pkg)
    mine = drills[drills["village_code"].astype(str) == village]
    if drill_id:
        mine = mine[mine["drill_id"] == drill_id]
    if not len(mine):
        raise RiskOneMapError(f"no drill {drill_id or ''} planned for village {village}: plan it first "
                              f"(risk-one-map drill --village {village} --hazard H --level L)", layer="drills",
                              field="drill_id")
    row = mine.sort_values("start").iloc[-1]
    did = row["drill_id"]
    records = _records(pkg)
    targets = records[records["drill_id"] == did].copy()
    source = str(record) if record is not None else "typed times"
    frame = read_record_file(record) if record is not None else pd.DataFrame(
        [{"household_id": h, "reached": r, "arrived": a} for h, (r, a) in (typed or {}).items()])
    rec = ad.read_record(frame, row["start"], source)
    ev = ad.evaluate(targets.drop(columns=["reached_min", "arrived_min", "late_min", "result"]), rec, did,
                     float(row["target_min"]))
    c = ev.counts
    drills = drills.astype({c: object for c in ("status", "reached", "arrived", "actual_min", "evaluated_at")})
    drills.loc[drills["drill_id"] == did, ["status", "reached", "arrived", "actual_min", "evaluated_at"]] = \
        ["evaluated", c["reached"], c["arrived"], ev.actual_min, dt.datetime.now().strftime("%Y-%m-%d %H:%M")]
    evaluated = gpd.GeoDataFrame(ev.rows[RECORD_FIELDS], geometry=list(ev.rows.geometry), crs=records.crs)
    pkg.write_layers({"drills": drills[DRILL_COLUMNS], "drill_records": _replace_rows(records, evaluated, did)})
    result = DrillResult(pkg.path, ev.summary_lines(), [pkg.gpkg])
    if out_dir is not None:
        from .drill_pdf import evaluation_pdf
        inputs = read_inputs(package_dir, [village])
        result.files.append(evaluation_pdf(ev, row, inputs, Path(out_dir) / f"演练评估_{did}.pdf"))
    return result
