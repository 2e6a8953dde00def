"""预警叫应: from a warning to the villages it reaches, the households that must move or be told, the shelters to
open and the call list, top down, with phone numbers.

PURE: numpy, pandas, shapely, geopandas. Input: a ``warning_cap.Warning`` and the package's layers (a dict of
frames, any of them None); output: a ``WarningPlan`` of frames. Nothing here reads or writes files.

Rules (adjustable data in ``layers.model``):
* Villages reached: those the area overlaps by ``MIN_OVERLAP_M2`` or more (with the share of the village inside)
  and those named by a geocode (share 1).
* Households in scope: in a reached village and inside the area (a geocoded village: all of it).
* In scope, a household inside a danger zone of a warned hazard (the evacuation zones: geohazard danger zones and
  radii for geologic, flood low points for flood) moves or is told by ``WARNING_ACTIONS`` of the colour; so is one
  inside a census risk zone of a warned hazard at a high enough level. Moving households first, vulnerable first.
* Calls, by ``CALL_ORDER``: township/county persons on the roster, then 村支书/村主任 and grid workers of each
  reached village (villages with the most households to move first), monitors of the hazard points and low points
  inside the area, managers of the shelters to open. Villages with no one to call, or no phone, come first as gaps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import shapely

from ..layers import model
from . import evacuation as ev
from .warning_calls import GAP, call_roles, plan_calls
from .warning_cap import Warning

_text = model.text_value
HAZARD_OF_ZONE_LAYER = {"geohazard_zones": "geologic", "geohazard_points": "geologic", "flood_lowpoints": "flood"}
# An area drawn along village borders (or reprojected) overlaps its neighbours by slivers: below this the
# neighbour is not reached. A real warning's smallest circle is far larger.
MIN_OVERLAP_M2 = 100.0


@dataclass
class WarningPlan:
    warning: Warning
    area: object  # GeoDataFrame: one row, the warned area in the package CRS
    villages: object  # GeoDataFrame of reached villages
    households: object  # GeoDataFrame of households to move or tell, in call order
    calls: pd.DataFrame  # one row per call, in order
    shelters: pd.DataFrame  # shelters to open
    gaps: list = field(default_factory=list)  # villages with no one to call: one line each
    notes: list = field(default_factory=list)

    @property
    def stats(self) -> dict:
        h = self.households
        move = h[h["action"] == "move"] if len(h) else h
        return {"villages": len(self.villages), "townships": int(self.villages["township_code"].nunique())
                if len(self.villages) else 0,
                "move_households": len(move), "move_people": int(move["people"].sum()) if len(move) else 0,
                "move_vulnerable": int(move["vulnerable"].sum()) if len(move) else 0,
                "tell_households": len(h) - len(move), "calls": len(self.calls), "gaps": len(self.gaps),
                "household_calls": int((self.calls["group"] == "户主").sum()) if len(self.calls) else 0,
                "shelters": len(self.shelters)}


def empty_plan(warning: Warning) -> WarningPlan:
    """The plan of a warning that calls no one (a cancel message)."""
    import geopandas as gpd
    return WarningPlan(warning, gpd.GeoDataFrame(geometry=[]), gpd.GeoDataFrame({"township_code": []}, geometry=[]),
                       gpd.GeoDataFrame({"action": []}, geometry=[]), pd.DataFrame({"group": []}), pd.DataFrame())


def plan_warning(warning: Warning, layers: dict, crs, evacuated: Optional[dict] = None) -> WarningPlan:
    """The whole plan for one warning. ``layers``: the package's villages, townships, households, persons,
    risk_zones, geohazard_points, geohazard_zones, flood_lowpoints, shelters (any may be None). ``evacuated``:
    the evacuation's evacuation_zones and evacuees when it has run (their shelters and routes are used)."""
    import geopandas as gpd
    evacuated = evacuated or {}
    notes = list(warning.notes)
    villages = layers.get("villages")
    if villages is None or len(villages) == 0:
        from ..errors import RiskOneMapError
        raise RiskOneMapError("the package has no villages: a warning cannot be placed", layer="villages")
    area_geom = warning.area_geometry(crs)
    reached = _reached_villages(villages, area_geom, warning.geocodes, layers.get("townships"))
    if warning.geocodes and not reached["by_code"].any():
        notes.append(f"预警代码 {'、'.join(warning.geocodes)} 不在本图包的村代码中")
    whole_area = shapely.union_all([g for g in (area_geom, shapely.union_all(
        reached.loc[reached["by_code"], "geometry"].to_numpy()) if reached["by_code"].any() else None) if g])
    area = gpd.GeoDataFrame({"warning": [warning.key], "event": [warning.event], "level": [warning.level_zh],
                             "hazards": [",".join(warning.hazards)], "onset": [warning.onset],
                             "expires": [warning.expires], "source": [warning.source]},
                            geometry=[whole_area if whole_area is not None and not whole_area.is_empty else None],
                            crs=crs)
    households = _households(warning, layers, evacuated, reached, area_geom)
    shelters, nowhere = _shelters_to_open(households, layers.get("shelters"), reached)
    _village_counts(reached, households, shelters)
    names = dict(zip(reached["code"].astype(str), reached["name"]))
    if nowhere:
        notes.append("无处安置（本村无避难场所，转移分析也未安置）：" + "、".join(names.get(c, c) for c in nowhere))
    calls, gaps = plan_calls(warning, reached, households, shelters, layers, area_geom,
                             call_roles(layers.get("call_roles")))
    calls = calls.set_crs(crs, allow_override=True)
    if warning.hazards and not len(households):
        notes.append("预警范围内没有位于该灾种危险区或相应等级风险区的住户")
    if len(households) and evacuated.get("evacuees") is None:
        notes.append("尚未运行转移避险分析（evacuate）：住户未分配到避难场所，按本村场所估算到达人数")
    return WarningPlan(warning, area, reached, households, calls, shelters, gaps, notes)


# ------------------------------------------------------------------------------------------------ villages
def _reached_villages(villages, area_geom, geocodes, townships):
    codes = villages["code"].astype(str)
    by_code = np.zeros(len(villages), bool)
    for prefix in geocodes:
        by_code |= codes.str.startswith(prefix).to_numpy()
    share = np.zeros(len(villages))
    geoms = villages.geometry.to_numpy()
    if area_geom is not None:
        hit = shapely.intersects(geoms, area_geom)
        inter = np.zeros(len(villages))
        inter[hit] = shapely.area(shapely.intersection(geoms[hit], area_geom))
        share = np.where(inter >= MIN_OVERLAP_M2, inter / np.maximum(shapely.area(geoms), 1e-9), 0.0)
    share = np.where(by_code, 1.0, share)
    keep = share > 0
    out = villages.loc[keep, ["code", "name", "geometry"]].copy()
    out["township_code"] = [_township_code(c) for c in out["code"].astype(str)]
    tnames = {}
    if townships is not None and len(townships):
        tnames = dict(zip(townships["code"].astype(str), townships["name"]))
    out["township_name"] = out["township_code"].map(lambda c: tnames.get(c, c))
    out["share_inside"] = np.round(share[keep], 4)
    out["by_code"] = by_code[keep]
    return out.reset_index(drop=True)


def _township_code(code: str) -> str:
    return code[:9] + "000" if len(code) == 12 else code


# ------------------------------------------------------------------------------------------------ households
def _households(warning, layers, evacuated, reached, area_geom):
    import geopandas as gpd
    cols = ["household_id", "village_code", "village_name", "township_name", "people", "vulnerable",
            "vulnerable_note", "action", "action_zh", "reason", "shelter_id", "shelter_name", "walk_min", "order",
            "head_name", "head_phone"]
    hh = layers.get("households")
    if hh is None or len(hh) == 0 or not warning.hazards or len(reached) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=getattr(hh, "crs", None))
    codes = hh["village_code"].astype(str) if "village_code" in hh else pd.Series([""] * len(hh), index=hh.index)
    in_scope = codes.isin(set(reached.loc[reached["by_code"], "code"].astype(str))).to_numpy()
    if area_geom is not None:
        shapely.prepare(area_geom)
        in_village = codes.isin(set(reached["code"].astype(str))).to_numpy()
        in_village[in_village] = shapely.contains(area_geom, hh.geometry.to_numpy()[in_village])
        in_scope |= in_village
    hh = hh[in_scope]  # only households in scope are looked at further
    vcode = codes.to_numpy()[in_scope]
    pts = hh.geometry.to_numpy()
    action = model.WARNING_ACTIONS[warning.level or 4]
    move = np.zeros(len(hh), bool)
    tell = np.zeros(len(hh), bool)
    reason = np.full(len(hh), "", dtype=object)

    zones = _danger_zones(warning, layers, evacuated)
    if len(zones):
        tree = shapely.STRtree(zones.geometry.to_numpy())
        hi, zi = tree.query(pts, predicate="within")
        names = zones["hazard_name"].astype(str).to_numpy()
        inside = np.zeros(len(hh), bool)
        inside[hi] = True
        for h, z in zip(hi, zi):
            reason[h] = (reason[h] + "、" if reason[h] else "") + f"{names[z]}危险区"
        (move if action.move_danger_zones else tell)[inside] = True
    rz = layers.get("risk_zones")
    if rz is not None and len(rz) and action.tell_risk_max:
        rz = rz[rz["hazard_type"].isin(warning.hazards) & (pd.to_numeric(rz["risk_level"], errors="coerce")
                                                           <= action.tell_risk_max)]
        if len(rz):
            tree = shapely.STRtree(rz.geometry.to_numpy())
            hi, zi = tree.query(pts, predicate="within")
            lv = pd.to_numeric(rz["risk_level"]).to_numpy()[zi]
            best = np.full(len(hh), 99)
            np.minimum.at(best, hi, lv)
            has = best < 99
            move |= has & (best <= action.move_risk_max)
            tell |= has
            for h in np.flatnonzero(has):
                label = f"{model.HAZARD_BY_KEY[warning.hazards[0]].zh}{model.level_label(best[h])}风险区"
                reason[h] = (reason[h] + "、" if reason[h] else "") + label
    tell &= ~move
    keep = move | tell
    notes = (hh["vulnerable"] if "vulnerable" in hh else pd.Series([None] * len(hh))).fillna("").astype(str)
    notes = notes.str.strip().to_numpy()
    vul = np.array([ev._is_vulnerable(v) for v in notes[keep]], bool)
    out = gpd.GeoDataFrame({
        "household_id": hh["id"].astype(str).to_numpy()[keep], "village_code": vcode[keep],
        "people": pd.to_numeric(hh["people"], errors="coerce").fillna(0).astype(int).to_numpy()[keep],
        "vulnerable": vul.astype(int), "vulnerable_note": notes[keep].astype(object),
        "action": np.where(move[keep], "move", "tell"), "reason": reason[keep]}, geometry=pts[keep], crs=hh.crs)
    for c in ("head_name", "head_phone"):  # the household head, called by the grid worker (optional fields)
        out[c] = [_text(v) or "" for v in hh[c].to_numpy()[keep]] if c in hh else None  # None: no such field
    names = dict(zip(reached["code"].astype(str), reached["name"]))
    towns = dict(zip(reached["code"].astype(str), reached["township_name"]))
    out["village_name"] = out["village_code"].map(names)
    out["township_name"] = out["village_code"].map(towns)
    out["action_zh"] = out["action"].map(model.HOUSEHOLD_ACTIONS)
    out["shelter_id"], out["shelter_name"], out["walk_min"] = None, None, np.nan
    evacuees = evacuated.get("evacuees")
    if evacuees is not None and len(evacuees):
        e = pd.DataFrame(evacuees.drop(columns="geometry", errors="ignore")).drop_duplicates("household_id")
        e = e.set_index(e["household_id"].astype(str))
        out["shelter_id"] = out["household_id"].map(e["shelter_id"])
        out["shelter_name"] = out["household_id"].map(e["shelter_name"])
        out["walk_min"] = out["household_id"].map(pd.to_numeric(e["walk_min"], errors="coerce"))
    # Moving first, vulnerable first, then by village and id: the order a grid worker knocks on doors.
    out = out.sort_values(["action", "vulnerable", "township_name", "village_code", "household_id"],
                          ascending=[True, False, True, True, True], key=None).reset_index(drop=True)
    out["order"] = np.arange(1, len(out) + 1)
    return out[cols + ["geometry"]]


def _danger_zones(warning, layers, evacuated):
    """Ring-1 evacuation zones of the warned hazards: the evacuation's own when it has run, else made now."""
    zones = evacuated.get("evacuation_zones")
    if zones is None or len(zones) == 0:
        zones, _issues = ev.evacuation_zones(layers.get("geohazard_points"), layers.get("geohazard_zones"),
                                             layers.get("flood_lowpoints"))
    if len(zones) == 0:
        return zones
    zones = zones[pd.to_numeric(zones["ring"], errors="coerce") == 1.0]
    hazard = zones["hazard_layer"].map(HAZARD_OF_ZONE_LAYER)
    return zones[hazard.isin(warning.hazards).to_numpy()].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ shelters
def _shelters_to_open(households, shelters, reached):
    """Shelters to open, with expected arrivals: the evacuation's shelter for each household it placed; for the
    others (no evacuation run, or moved by a risk zone the evacuation does not know) their village's shelters, the
    village's people shared out by capacity. Returns (shelters, villages with people to move and no shelter)."""
    cols = ["shelter_id", "name", "village_code", "capacity", "expected", "manager_name", "manager_phone", "basis"]
    move = households[households["action"] == "move"] if len(households) else households
    if len(move) == 0:
        return pd.DataFrame({c: [] for c in cols}), []
    if shelters is None or len(shelters) == 0:
        return pd.DataFrame({c: [] for c in cols}), sorted(set(move["village_code"]))
    s = pd.DataFrame(shelters.drop(columns="geometry", errors="ignore")).copy()
    s["shelter_id"] = s["id"].astype(str)
    s["village_code"] = s["village_code"].astype(str) if "village_code" in s else ""
    s["capacity"] = pd.to_numeric(s.get("capacity"), errors="coerce")
    placed = move[move["shelter_id"].notna()]
    by_evacuation = placed.groupby(placed["shelter_id"].astype(str))["people"].sum()
    per_village = move[move["shelter_id"].isna()].groupby("village_code")["people"].sum()
    local = s[s["village_code"].isin(per_village.index)]
    weight = local["capacity"].fillna(1.0).clip(lower=1.0)
    share = weight / weight.groupby(local["village_code"]).transform("sum")
    by_village = (local["village_code"].map(per_village) * share).groupby(local["shelter_id"]).sum()
    expected = by_evacuation.add(by_village, fill_value=0).round().astype(int)
    s = s[s["shelter_id"].isin(expected.index)].copy()
    s["expected"] = s["shelter_id"].map(expected)
    s["basis"] = np.where(s["shelter_id"].isin(by_evacuation.index), "转移分析安置", "本村场所")
    for c in ("manager_name", "manager_phone"):
        if c not in s:
            s[c] = None
    nowhere = sorted(set(per_village.index) - set(local["village_code"]))
    return s.sort_values(["expected", "shelter_id"], ascending=[False, True])[cols].reset_index(drop=True), nowhere


def _village_counts(reached, households, shelters) -> None:
    h = households
    for c in ("move_households", "move_people", "move_vulnerable", "tell_households", "shelters"):
        reached[c] = 0
    if len(h):
        codes = reached["code"].astype(str)
        m = h[h["action"] == "move"]
        reached["move_households"] = codes.map(m.groupby("village_code").size()).fillna(0).astype(int)
        reached["move_people"] = codes.map(m.groupby("village_code")["people"].sum()).fillna(0).astype(int)
        reached["move_vulnerable"] = codes.map(m.groupby("village_code")["vulnerable"].sum()).fillna(0).astype(int)
        reached["tell_households"] = codes.map(h[h["action"] == "tell"].groupby("village_code").size()
                                               ).fillna(0).astype(int)
        if len(m):
            placed = m[m["shelter_id"].notna()].groupby("village_code").size()
            reached["unplaced_households"] = reached["move_households"] - codes.map(placed).fillna(0).astype(int)
    if len(shelters):
        reached["shelters"] = reached["code"].astype(str).map(shelters.groupby("village_code").size()
                                                              ).fillna(0).astype(int)
