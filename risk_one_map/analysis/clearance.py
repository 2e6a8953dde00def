"""预计转移完成时间 (clearance time): how long after the warning the last household of a village reaches shelter.

PURE: numpy, pandas. Input: the evacuation's results (``evacuees``: each household's shelter and walking distance
along the roads, already within the shelters' capacities; ``unserved``: who has no route or no room), the
villages and townships; output: per household its arrival time, per village and township the clearance time and
the households that decide it (the last to arrive).

    arrival (min) = preparation time after the warning + road distance ÷ walking speed
    walking speed = ``walk_kmh``, or ``walk_kmh_vulnerable`` for a household with a vulnerable person
    village clearance = the latest arrival of its households; township = its latest village

Shelter capacity enters through the evacuation's assignment (a full shelter sends households farther, which
lengthens their walk) and through ``unserved``: a village with a household that has no shelter place or no
route has no clearance time, it has a gap ("N 户无处安置"), since no walk ends it. All times are model defaults
unless given (``prep_min``, ``walk_kmh``, ``walk_kmh_vulnerable``; the target ``clearance_target_min``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ..layers import model

_text = model.text_value
DECIDING = 3  # households named as the ones that decide the time


@dataclass
class ClearanceResult:
    households: pd.DataFrame  # household_id, village_code, people, vulnerable, shelter_name, distance_m, walk_kmh, arrive_min
    villages: pd.DataFrame  # code, name, township_code, township, households, people, vulnerable_households, clearance_min, ...
    townships: pd.DataFrame  # code, name, villages, households, people, clearance_min, deciding_village, ...
    settings: dict = field(default_factory=dict)  # prep_min, walk_kmh, walk_kmh_vulnerable, target_min (+ *_default)

    def settings_line(self) -> str:
        s = self.settings
        mark = lambda key: "（默认值）" if s.get(f"{key}_default") else "（本次设定）"  # noqa: E731
        return (f"计算依据：接到预警后准备 {s['prep_min']:g} 分钟{mark('prep_min')}，步行 {s['walk_kmh']:g} km/h"
                f"{mark('walk_kmh')}，老弱病残 {s['walk_kmh_vulnerable']:g} km/h{mark('walk_kmh_vulnerable')}，"
                f"路程为转移分析的道路距离（已按避难场所容量分配）；目标 {s['target_min']:g} 分钟内完成"
                f"{mark('target_min')}。")

    def village_line(self, code: str) -> str:
        """The figure for one village, in the words of the plan and the sheet."""
        row = self.villages[self.villages["code"] == code]
        if not len(row):
            return "本村没有须转移的住户（转移分析未划入撤离区）。"
        return village_sentence(row.iloc[0], self.settings["target_min"])

    def summary_lines(self) -> list:
        lines = [village_sentence(r, self.settings["target_min"], named=True) for _i, r in self.villages.iterrows()]
        lines += [f"{r['name']}：预计 {_minutes(r['clearance_min'])} 完成转移（最后是 {r['deciding_village']}）"
                  for _i, r in self.townships.iterrows()]
        return lines + [self.settings_line()]


def _minutes(v) -> str:
    return "—" if pd.isna(v) else f"{float(v):.0f} 分钟"


def village_sentence(r, target_min: float, named: bool = False) -> str:
    who = f"{r['name']}：" if named else ""
    if r["unserved_households"]:
        text = (f"{who}须转移 {int(r['households'])} 户 {int(r['people'])} 人，其中 {int(r['unserved_households'])} 户 "
                f"{int(r['unserved_people'])} 人无处安置或无路可达（缺口），转移无法按时完成")
        if not pd.isna(r["clearance_min"]):
            text += f"；其余住户预计 {r['clearance_min']:.0f} 分钟到齐"
        return text + "。"
    verdict = (f"超过 {target_min:g} 分钟目标" if r["clearance_min"] > target_min
               else f"在 {target_min:g} 分钟目标内")
    return (f"{who}须转移 {int(r['households'])} 户 {int(r['people'])} 人，预计接到预警后 {r['clearance_min']:.0f} 分钟"
            f"全部到达避难场所，{verdict}；最后到达：{r['last_households']}。")


def _setting(value, key: str):
    return (float(value) if value is not None else float(model.default_value(key))), value is None


def clearance_times(evacuees, villages, townships=None, unserved=None, *, prep_min: Optional[float] = None,
                    walk_kmh: Optional[float] = None, walk_kmh_vulnerable: Optional[float] = None,
                    target_min: Optional[float] = None) -> ClearanceResult:
    """Clearance times from the evacuation's ``evacuees`` (and ``unserved``); see the module notes."""
    settings = {}
    for key, value, default_key in (("prep_min", prep_min, "prep_min"), ("walk_kmh", walk_kmh, "walk_kmh"),
                                    ("walk_kmh_vulnerable", walk_kmh_vulnerable, "walk_kmh_vulnerable"),
                                    ("target_min", target_min, "clearance_target_min")):
        settings[key], settings[f"{key}_default"] = _setting(value, default_key)
        if not np.isfinite(settings[key]) or settings[key] < 0 or (key.startswith("walk") and settings[key] == 0):
            raise ValueError(f"{key} must be a positive number, not {value}")
    hh = _households(evacuees, settings)
    un = _unserved(unserved)
    names = _village_names(villages, townships)
    rows = []
    for code in sorted(set(hh["village_code"]) | set(un["village_code"])):
        mine, lost = hh[hh["village_code"] == code], un[un["village_code"] == code]
        last = mine.sort_values("arrive_min", ascending=False).head(DECIDING)
        name, town_code, town = names.get(code, (code or "（村外）", "", ""))
        rows.append({
            "code": code, "name": name, "township_code": town_code, "township": town,
            "households": len(mine) + len(lost), "people": int(mine["people"].sum() + lost["people"].sum()),
            "vulnerable_households": int(mine["vulnerable"].sum() + lost["vulnerable"].sum()),
            "clearance_min": round(float(mine["arrive_min"].max()), 1) if len(mine) else np.nan,
            "longest_walk_m": round(float(mine["distance_m"].max()), 1) if len(mine) else np.nan,
            "last_households": "；".join(_who(r) for r in last.itertuples()),
            "last_ids": ",".join(last["household_id"]),
            "unserved_households": len(lost), "unserved_people": int(lost["people"].sum()),
            "within_target": int(len(lost) == 0 and len(mine) > 0
                                 and float(mine["arrive_min"].max()) <= settings["target_min"])})
    vil = pd.DataFrame(rows, columns=["code", "name", "township_code", "township", "households", "people",
                                      "vulnerable_households", "clearance_min", "longest_walk_m", "last_households",
                                      "last_ids", "unserved_households", "unserved_people", "within_target"])
    return ClearanceResult(hh, vil, _townships(vil), settings)


def _who(r) -> str:
    kind = "（老弱病残）" if r.vulnerable else ""
    return f"{r.household_id}{kind} 到{r.shelter_name} {r.distance_m:.0f} 米，{r.arrive_min:.0f} 分钟"


def _households(evacuees, settings) -> pd.DataFrame:
    cols = ["household_id", "village_code", "people", "vulnerable", "shelter_name", "distance_m"]
    if evacuees is None or not len(evacuees):
        frame = pd.DataFrame(columns=cols)
    else:
        frame = pd.DataFrame(evacuees.drop(columns="geometry", errors="ignore"))
        frame = frame[frame["shelter_id"].map(_text).notna()] if "shelter_id" in frame else frame
        for c in cols:
            if c not in frame:
                frame[c] = None
        frame = frame[cols].copy()
    frame["household_id"] = frame["household_id"].map(lambda v: _text(v) or "")
    frame["village_code"] = frame["village_code"].map(lambda v: _text(v) or "")
    frame["people"] = pd.to_numeric(frame["people"], errors="coerce").fillna(1).astype(int)
    frame["vulnerable"] = frame["vulnerable"].map(_truthy).astype(bool)
    frame["shelter_name"] = frame["shelter_name"].map(lambda v: _text(v) or "避难场所")
    frame["distance_m"] = pd.to_numeric(frame["distance_m"], errors="coerce").astype(float)
    speed = np.where(frame["vulnerable"], settings["walk_kmh_vulnerable"], settings["walk_kmh"])
    frame["walk_kmh"] = speed
    frame["arrive_min"] = (settings["prep_min"] + frame["distance_m"] / (speed * 1000.0 / 60.0)).round(1)
    return frame


def _truthy(v) -> bool:
    from .evacuees import _is_vulnerable
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(v) and not pd.isna(v)
    return _is_vulnerable(v)


def _unserved(unserved) -> pd.DataFrame:
    cols = ["household_id", "village_code", "people", "vulnerable"]
    if unserved is None or not len(unserved):
        return pd.DataFrame({"household_id": [], "village_code": [], "people": [], "vulnerable": []})
    frame = pd.DataFrame(unserved.drop(columns="geometry", errors="ignore"))
    for c in cols:
        if c not in frame:
            frame[c] = None
    frame = frame[cols].copy()
    frame["village_code"] = frame["village_code"].map(lambda v: _text(v) or "")
    frame["people"] = pd.to_numeric(frame["people"], errors="coerce").fillna(1).astype(int)
    frame["vulnerable"] = frame["vulnerable"].map(_truthy).astype(bool)
    return frame


def _village_names(villages, townships) -> dict:
    if villages is None or not len(villages):
        return {}
    towns = {}
    if townships is not None and len(townships):
        towns = dict(zip(townships["code"].map(_text), townships["name"].map(_text)))
    out = {}
    for code, name, parent in zip(villages["code"].map(_text), villages["name"].map(_text),
                                  villages.get("parent_code", pd.Series([None] * len(villages))).map(_text)):
        town_code = parent or (code[:9] + "000" if code and len(code) == 12 else "")
        out[code] = (name or code, town_code, towns.get(town_code, ""))
    return out


def _townships(vil: pd.DataFrame) -> pd.DataFrame:
    cols = ["code", "name", "villages", "households", "people", "clearance_min", "deciding_village",
            "unserved_households"]
    rows = []
    for code, group in vil.groupby("township_code", sort=True):
        timed = group.dropna(subset=["clearance_min"])
        worst = timed.sort_values("clearance_min", ascending=False).head(1)
        rows.append({"code": code, "name": group["township"].iloc[0] or code, "villages": len(group),
                     "households": int(group["households"].sum()), "people": int(group["people"].sum()),
                     "clearance_min": float(worst["clearance_min"].iloc[0]) if len(worst) else np.nan,
                     "deciding_village": worst["name"].iloc[0] if len(worst) else "—",
                     "unserved_households": int(group["unserved_households"].sum())})
    return pd.DataFrame(rows, columns=cols)


def sheet_lines(result: ClearanceResult) -> dict:
    """code -> the one short line a village sheet prints under its map, from the default times (the plan gives
    the whole sentence, with the households that decide it). The A4 sheet's note box holds two short lines."""
    out = {}
    for r in result.villages.itertuples(index=False):
        if r.unserved_households:  # the sheet's own note and red line already say who has no place
            continue
        if not pd.isna(r.clearance_min):
            out[r.code] = f"预计转移完成时间：约{r.clearance_min:.0f}分钟（默认值估算）"
    return out
