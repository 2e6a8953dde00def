"""演练: a drill plan for one village, hazard and warning level, and the evaluation of what happened.

PURE: pandas, numpy. The plan (``drill_plan``): the scenario, a timeline (``plan_model.DRILL_TIMELINE`` with the
village's preparation and clearance times), the roles and who holds them, a checklist, and the households to reach,
each with its planned arrival (the clearance analysis's); the target is the village's clearance time rounded up to
5 minutes. The record (``read_record``): per household, when it was reached and when it arrived, in minutes after
the drill's start or as clock times (HH:MM) on the drill's day. The evaluation (``evaluate``): reached / not
reached, arrived / not, actual against planned times, and the bottlenecks (not reached, not arrived, or more than
``LATE_MIN`` minutes later than planned).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ..errors import RiskOneMapError
from ..layers import model, plan_model

_text = model.text_value
LATE_MIN = 10.0  # later than planned by more than this: a bottleneck
RECORD_COLUMNS = {"household_id": ("household_id", "住户编号", "户号", "编号"),
                  "reached": ("reached", "reached_min", "通知到", "通知时间", "通知到(分钟)", "叫应时间"),
                  "arrived": ("arrived", "arrived_min", "到达", "到达时间", "到达(分钟)")}
TARGET_COLUMNS = ["household_id", "village_code", "people", "vulnerable", "helper", "shelter_name", "distance_m",
                  "planned_min", "action"]


@dataclass
class DrillPlan:
    drill_id: str
    village_code: str
    village: str
    hazard: str
    level: int
    start: str  # "YYYY-MM-DD HH:MM"
    scenario: str
    timeline: list  # [(minute, what, who)]
    roles: list  # [(card role title, names)]
    checklist: list
    targets: pd.DataFrame  # TARGET_COLUMNS (+ geometry when known)
    target_min: float
    gaps: list = field(default_factory=list)

    def summary_lines(self) -> list:
        move = (self.targets["action"] == "move").sum() if len(self.targets) else 0
        return [f"演练 {self.drill_id}：{self.village} {self.scenario}",
                f"须通知 {len(self.targets)} 户，其中转移 {move} 户；目标 {self.target_min:.0f} 分钟内全部到达避难场所。"] \
            + [f"缺口：{g}" for g in self.gaps]


def drill_id(village_code: str, hazard: str, start: str) -> str:
    stamp = start.replace("-", "").replace(" ", "").replace(":", "")[:12]
    return f"{village_code}-{hazard}-{stamp}"


def drill_plan(code: str, hazard: str, level: int, plan, clearance, evacuees=None, zones=None, pairing=None,
               start: Optional[str] = None) -> DrillPlan:
    """The drill of village ``code`` (its ``village_plan.VillagePlan``) for ``hazard`` at warning ``level``."""
    if hazard not in model.HAZARD_BY_KEY:
        raise RiskOneMapError(f"unknown hazard {hazard!r}; use one of {', '.join(model.HAZARD_BY_KEY)}")
    if level not in model.WARNING_LEVEL_ZH:
        raise RiskOneMapError(f"warning level must be 1-4 (红 橙 黄 蓝), not {level!r}")
    start = start or dt.datetime.now().strftime("%Y-%m-%d 09:00")
    action = "move" if model.WARNING_ACTIONS[level].move_danger_zones else "tell"
    targets = _targets(code, hazard, evacuees, zones, pairing, clearance, action)
    gaps = []
    if not len(targets):
        gaps.append(f"转移分析中本村没有{model.HAZARD_BY_KEY[hazard].zh}撤离区内的住户：演练只能练叫应和集合")
    planned = float(targets["planned_min"].max()) if len(targets) and targets["planned_min"].notna().any() else \
        float(model.default_value("clearance_target_min"))
    target = 5.0 * math.ceil(planned / 5.0)
    prep = clearance.settings["prep_min"] if clearance is not None else float(model.default_value("prep_min"))
    timeline = [(_minute(t, prep, target), what, who) for t, what, who in plan_model.DRILL_TIMELINE]
    if action == "tell":  # a yellow or blue warning moves nobody: the drill stops at telling every household
        timeline = [step for step in timeline if "出发" not in step[1] and "到达" not in step[1]]
    hz = model.WARNING_EVENT_OF_HAZARD.get(hazard, model.HAZARD_BY_KEY[hazard].zh)
    scenario = (f"假设{start[:10]}发布{hz}{model.WARNING_LEVEL_ZH[level]}预警，{plan.name}"
                f"{'撤离区住户立即转移' if action == 'move' else '告知住户做好转移准备'}；科目："
                + "、".join(plan_model.DRILL_SUBJECTS) + "。")
    roles = _roles(plan, pairing)
    return DrillPlan(drill_id(code, hazard, start), code, plan.name, hazard, level, start, scenario,
                     sorted(timeline, key=lambda s: s[0]), roles, list(plan_model.DRILL_CHECKLIST), targets,
                     target, gaps + [g for g in plan.gaps if "包保" in g])


def _minute(t, prep: float, clearance: float) -> float:
    if isinstance(t, (int, float)):
        return float(t)
    base, _plus, extra = t.partition("+")
    return {"prep": prep, "clearance": clearance}[base] + (float(extra) if extra else 0.0)


def _roles(plan, pairing) -> list:
    out = []
    for section in plan.sections:
        if section.title.startswith("二") and section.table:
            for key, title, roles in plan_model.CARD_ROLES:
                names = [f"{name}" for role, name, *_r in section.table[1] if role in roles]
                if names:
                    out.append((title, "、".join(names)))
    if pairing is not None and len(pairing.pairs):
        mine = pairing.pairs[(pairing.pairs["village_code"] == plan.code) & (pairing.pairs["source"] != "缺口")]
        if len(mine) and not any(t == plan_model.CARD_ROLE_TITLE["helper"] for t, _n in out):
            out.append((plan_model.CARD_ROLE_TITLE["helper"], "、".join(dict.fromkeys(mine["helper_name"]))))
    return out


ZONE_LAYER_HAZARD = {"geohazard_zones": "geologic", "geohazard_points": "geologic", "flood_lowpoints": "flood"}


def household_hazards(evacuees, zones) -> pd.Series:
    """The hazard keys of the evacuation zones each evacuee is in (its ``zone_ids``), as a set per household."""
    of_zone = dict(zip(zones["zone_id"].map(_text),
                       zones["hazard_layer"].map(lambda v: ZONE_LAYER_HAZARD.get(v, v))))
    return evacuees["zone_ids"].map(lambda ids: {of_zone.get(z) for z in re.split(r"[,;\s]+", str(ids or ""))
                                                 if z} - {None})


def _targets(code, hazard, evacuees, zones, pairing, clearance, action):
    if evacuees is None or not len(evacuees):
        return pd.DataFrame(columns=TARGET_COLUMNS)
    ev = evacuees[evacuees["village_code"].map(_text) == code]
    if zones is not None and len(zones) and "zone_ids" in ev:
        ev = ev[household_hazards(ev, zones).map(lambda keys: hazard in keys)]
    out = ev[["household_id", "village_code", "people", "vulnerable", "shelter_name", "distance_m"]].copy()
    out["household_id"] = out["household_id"].map(_text)
    out["helper"] = ""
    if pairing is not None and len(pairing.pairs):
        p = pairing.pairs.set_index("household_id")
        out["helper"] = out["household_id"].map(p["helper_name"].fillna("")).fillna("")
    out["planned_min"] = np.nan
    if clearance is not None and len(clearance.households):
        out["planned_min"] = out["household_id"].map(clearance.households.set_index("household_id")["arrive_min"])
    out["action"] = action
    if hasattr(ev, "geometry"):
        out["geometry"] = ev.geometry
    return out.sort_values("planned_min", ascending=False).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ records
def record_template(plan: DrillPlan) -> pd.DataFrame:
    """The sheet staff fill in during the drill (演练记录表): one row per household, times left blank."""
    t = plan.targets
    return pd.DataFrame({"住户编号": t["household_id"], "人数": t["people"],
                         "老弱病残": np.where(t["vulnerable"].astype(bool), "是", ""), "包保人": t["helper"],
                         "避难场所": t["shelter_name"], "计划到达(分钟)": t["planned_min"].round(0),
                         "通知到(分钟)": "", "到达(分钟)": ""})


def read_record(frame: pd.DataFrame, start: str, source: str = "record") -> pd.DataFrame:
    """household_id, reached_min, arrived_min from a filled-in record: minutes after ``start``, or HH:MM clock
    times on its day; a blank is "not reached" / "not arrived". One line naming the row and column otherwise."""
    cols = {}
    for key, names in RECORD_COLUMNS.items():
        found = [c for c in frame.columns if str(c).strip() in names]
        if not found:
            raise RiskOneMapError(f"the drill record has no {names[1]} ({key}) column", file=source, field=key)
        cols[key] = found[0]
    t0 = dt.datetime.strptime(start, "%Y-%m-%d %H:%M")
    rows = []
    for k, r in enumerate(frame.to_dict("records")):
        hid = _text(r[cols["household_id"]])
        if hid is None:
            continue
        out = {"household_id": hid}
        for key in ("reached", "arrived"):
            out[f"{key}_min"] = _minutes_after(r[cols[key]], t0, source, k + 2, cols[key])
        rows.append(out)
    return pd.DataFrame(rows, columns=["household_id", "reached_min", "arrived_min"])


def _minutes_after(value, t0, source, row, column) -> float:
    text = _text(value)
    if text is None:
        return np.nan
    try:
        minutes = float(text)
    except ValueError:
        try:
            clock = dt.datetime.strptime(text, "%H:%M").time()
        except ValueError:
            raise RiskOneMapError(f"row {row}: {text!r} is neither minutes after the start nor a time HH:MM",
                                  file=source, field=column) from None
        minutes = (dt.datetime.combine(t0.date(), clock) - t0).total_seconds() / 60.0
    if not math.isfinite(minutes) or minutes < 0:
        raise RiskOneMapError(f"row {row}: {text!r} is before the drill's start", file=source, field=column)
    return round(minutes, 1)


@dataclass
class DrillEvaluation:
    drill_id: str
    rows: pd.DataFrame  # targets + reached_min, arrived_min, late_min, result
    target_min: float
    planned_min: float
    actual_min: float  # the last arrival (NaN if nobody arrived)
    unknown: list = field(default_factory=list)  # record rows naming a household not in the drill

    @property
    def counts(self) -> dict:
        r = self.rows
        return {"households": len(r), "reached": int(r["reached_min"].notna().sum()),
                "arrived": int(r["arrived_min"].notna().sum()), "bottlenecks": int((r["result"] != "按时").sum()),
                "moving": int((r["action"] == "move").sum())}

    def summary_lines(self) -> list:
        c = self.counts
        lines = [f"演练评估 {self.drill_id}：通知到 {c['reached']}/{c['households']} 户，"
                 f"到达避难场所 {c['arrived']}/{c['moving']} 户；"
                 f"最后到达 {'—' if pd.isna(self.actual_min) else f'{self.actual_min:.0f} 分钟'}"
                 f"（计划 {self.planned_min:.0f} 分钟，目标 {self.target_min:.0f} 分钟）。"]
        worst = self.rows[self.rows["result"] != "按时"].head(5)
        if len(worst):
            lines.append("卡点：" + "；".join(f"{r.household_id} {r.result}" for r in worst.itertuples()))
        if self.unknown:
            lines.append(f"记录中 {len(self.unknown)} 个编号不在本次演练名单中：" + "、".join(self.unknown[:5]))
        return lines


def evaluate(plan_targets: pd.DataFrame, record: pd.DataFrame, drill: str, target_min: float) -> DrillEvaluation:
    """Compare the record with the plan, household by household (see the module notes)."""
    t = plan_targets.copy()
    rec = record.drop_duplicates("household_id", keep="last").set_index("household_id")
    unknown = sorted(set(rec.index) - set(t["household_id"]))
    t["reached_min"] = t["household_id"].map(rec["reached_min"]).astype(float)
    t["arrived_min"] = t["household_id"].map(rec["arrived_min"]).astype(float)
    t["late_min"] = (t["arrived_min"] - t["planned_min"]).round(1)
    moving = t["action"] == "move"
    result = np.where(t["reached_min"].isna() & t["arrived_min"].isna(), "未通知到",
                      np.where(moving & t["arrived_min"].isna(), "未到达",
                               np.where(moving & (t["late_min"] > LATE_MIN), "晚到", "按时")))
    t["result"] = result
    late_text = t["late_min"].map(lambda m: "" if pd.isna(m) else f"（晚 {m:.0f} 分钟）")
    t.loc[t["result"] == "晚到", "result"] = "晚到" + late_text[t["result"] == "晚到"]
    order = {"未通知到": 0, "未到达": 1}
    t = t.assign(_o=t["result"].map(lambda r: order.get(r, 2 if r != "按时" else 3)), _l=-t["late_min"].fillna(0))
    t = t.sort_values(["_o", "_l"]).drop(columns=["_o", "_l"]).reset_index(drop=True)
    planned = float(t["planned_min"].max()) if t["planned_min"].notna().any() else np.nan
    actual = float(t["arrived_min"].max()) if t["arrived_min"].notna().any() else np.nan
    return DrillEvaluation(drill, t, target_min, planned, actual, unknown)
