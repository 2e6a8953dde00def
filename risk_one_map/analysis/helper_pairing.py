"""包保: pair every vulnerable household (独居老人、残疾、卧床、留守儿童 ...) with a one-on-one helper.

PURE: numpy, pandas, scipy. Input: the package's households and persons, and the ``helpers`` table a previous run
wrote and staff may have edited; output: one row per vulnerable household, with its helper or marked as a gap.

The rule, printed with the result (``PairingResult.rule``):
* Pairs already in the ``helpers`` table (typed in by staff, or proposed earlier) are kept as they are.
* The others are proposed among the village's 包保责任人 and 网格员 (``plan_model.HELPER_ROLES``), each taking at
  most ``capacity`` households (a default), the nearest helper preferred and, among helpers about as near, the
  one with fewer households (every household already given costs ``LOAD_PENALTY_M`` metres more): one
  assignment problem per village (scipy's ``linear_sum_assignment`` over the helpers' free places).
* Where a helper lives: the household named in the roster's optional ``household_id`` column; a helper without
  one stands for one part of the village (the village's households split into as many parts as such helpers,
  k-means, each helper at a part's centre), so the proposal stays local even when homes are not known.
* When places run short, households that must move (``priority``: in an evacuation zone) are served first.
* A household left over (no helper in the village, or every place taken) is a gap, written as a gap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ..layers import model, plan_model

_text = model.text_value
LOAD_PENALTY_M = 300.0  # a helper 300 m farther but with one household fewer is as good
KEPT, PROPOSED, GAP = "已有", "自动建议", "缺口"
COLUMNS = ("village_code", "household_id", "people", "vulnerable_note", "helper_name", "helper_phone",
           "helper_role", "distance_m", "source")


@dataclass
class PairingResult:
    pairs: object  # GeoDataFrame, one row per vulnerable household (COLUMNS + geometry)
    loads: pd.DataFrame  # village_code, helper_name, helper_phone, helper_role, households, people, capacity
    gaps: list = field(default_factory=list)  # one line per village with unpaired households
    capacity: int = 3

    @property
    def rule(self) -> str:
        d = model.DEFAULTS["helper_capacity"]
        return (f"包保建议规则：已填写的包保关系保留；其余老弱病残户由本村包保责任人、网格员就近包保，每人最多 "
                f"{self.capacity} 户（{'默认值，可调整' if self.capacity == d.value else '本次设定'}），"
                f"距离相近时优先包保户数少的人；网格员住址未知时按其负责片区中心计距离。")

    def summary_lines(self) -> list:
        p = self.pairs
        n_gap = int((p["source"] == GAP).sum()) if len(p) else 0
        kept = int(p["kept"].sum()) if len(p) else 0
        lines = [f"包保：老弱病残 {len(p)} 户，有包保人 {len(p) - n_gap} 户（沿用 helpers 表 {kept} 户），"
                 f"缺口 {n_gap} 户。"]
        if len(self.loads):
            top = self.loads.sort_values("households", ascending=False).iloc[0]
            lines.append(f"包保人 {len(self.loads)} 名，最多一人包保 {int(top.households)} 户（{top.helper_name}）。")
        return lines + self.gaps + [self.rule]


def vulnerable_households(households):
    """The households with a vulnerable person (the ``vulnerable`` text is not blank, 否, 0, no ...)."""
    from .evacuees import _is_vulnerable
    if households is None or not len(households) or "vulnerable" not in households:
        return households.iloc[0:0] if households is not None else None
    return households[households["vulnerable"].map(_is_vulnerable)]


def pair_helpers(households, persons, existing=None, capacity: Optional[int] = None,
                 villages: Optional[set] = None, village_names: Optional[dict] = None,
                 priority: Optional[set] = None) -> PairingResult:
    """Pair the vulnerable households of ``villages`` (default all) with helpers; see the module notes.
    ``village_names``: code -> name, for the gap lines."""
    import geopandas as gpd
    capacity = int(capacity if capacity is not None else model.default_value("helper_capacity"))
    if capacity < 1:
        raise ValueError("helper capacity must be at least 1")
    vul = vulnerable_households(households)
    crs = getattr(households, "crs", None)
    if vul is None or not len(vul):
        empty = gpd.GeoDataFrame(pd.DataFrame(columns=list(COLUMNS) + ["kept"]), geometry=[], crs=crs)
        return PairingResult(empty, _loads([], capacity), capacity=capacity)
    vul = vul.assign(household_id=vul["id"].map(lambda v: _text(v) or ""),
                     village_code=vul["village_code"].map(lambda v: _text(v) or ""))
    if villages is not None:
        vul = vul[vul["village_code"].isin(villages)]
    kept = _kept_pairs(existing, set(vul["household_id"]))
    roster = _helper_roster(persons)
    rows, gaps = [], []
    for code, group in vul.groupby("village_code", sort=True):
        helpers = roster[roster["village_code"] == code].reset_index(drop=True)
        rows += _pair_village(group, helpers, kept, capacity, households, gaps, (village_names or {}).get(code),
                              priority or set())
    pairs = pd.DataFrame(rows, columns=list(COLUMNS) + ["kept", "geometry"])
    pairs["kept"] = pairs["kept"].eq(True)  # from the helpers table, not proposed now
    pairs = gpd.GeoDataFrame(pairs, geometry="geometry", crs=crs)
    return PairingResult(pairs, _loads(rows, capacity), gaps, capacity)


def _kept_pairs(existing, household_ids: set) -> dict:
    """household_id -> (name, phone, role, source) of the pairs kept: a helper's name filled in, household still
    vulnerable."""
    if existing is None or not len(existing) or "helper_name" not in existing:
        return {}
    out = {}
    for r in existing.itertuples(index=False):
        hid, name = _text(getattr(r, "household_id", None)), _text(r.helper_name)
        if hid in household_ids and name:
            source = _text(getattr(r, "source", None))
            out[hid] = (name, _text(getattr(r, "helper_phone", None)) or "",
                        _text(getattr(r, "helper_role", None)) or "包保责任人",
                        source if source in (KEPT, PROPOSED) else KEPT)
    return out


def _helper_roster(persons) -> pd.DataFrame:
    cols = ["village_code", "name", "phone", "role", "household_id"]
    if persons is None or not len(persons):
        return pd.DataFrame(columns=cols)
    p = pd.DataFrame(persons.drop(columns="geometry", errors="ignore")).copy()
    p["household_id"] = p["household_id"].map(_text) if "household_id" in p else None
    for c in ("village_code", "name", "phone", "role"):
        p[c] = p[c].map(_text) if c in p else None
    p = p[p["role"].isin(plan_model.HELPER_ROLES) & p["name"].notna()]
    rank = p["role"].map({r: k for k, r in enumerate(plan_model.HELPER_ROLES)})
    return p.assign(_rank=rank).sort_values(["village_code", "_rank"], kind="stable")[cols]


def _helper_places(helpers: pd.DataFrame, village_households) -> np.ndarray:
    """(n, 2) coordinates of each helper: home household, else the centre of one part of the village."""
    xy = np.full((len(helpers), 2), np.nan)
    if village_households is None or not len(village_households):
        return xy
    hx = np.column_stack([village_households.geometry.x, village_households.geometry.y])
    ids = village_households["id"].map(_text).to_numpy(object)
    home = {h: k for k, h in enumerate(ids)}
    for k, hid in enumerate(helpers["household_id"]):
        if hid in home:
            xy[k] = hx[home[hid]]
    free = np.flatnonzero(np.isnan(xy[:, 0]))
    if len(free):
        from scipy.cluster.vq import kmeans2
        if len(free) == 1 or len(hx) <= len(free):
            centres = np.resize(hx.mean(axis=0, keepdims=True) if len(free) == 1 else hx, (len(free), 2))
        else:
            # Deterministic: k-means++ seeded by a fixed number, so the same package gives the same proposal.
            centres, _ = kmeans2(hx, len(free), seed=np.random.default_rng(18), minit="++")
            centres = centres[np.lexsort((centres[:, 0], -centres[:, 1]))]  # north to south, west to east
        xy[free] = centres
    return xy


def _pair_village(group, helpers, kept, capacity, households, gaps, village_name=None, priority=frozenset()) -> list:
    from scipy.optimize import linear_sum_assignment
    rows = []
    load = {}
    todo = []
    for r in group.itertuples(index=False):
        base = [r.village_code, r.household_id, _people(r.people), _text(r.vulnerable) or "", None, None, None,
                np.nan]
        if r.household_id in kept:
            name, phone, role, source = kept[r.household_id]
            rows.append(dict(zip(COLUMNS, base[:4] + [name, phone, role, np.nan, source]), kept=True,
                             geometry=r.geometry))
            load[(name, phone)] = load.get((name, phone), 0) + 1
        else:
            todo.append((base, r.geometry))
    if not todo:
        return rows
    village_households = households[households["village_code"].map(_text) == group["village_code"].iloc[0]]
    places = _helper_places(helpers, village_households)
    slots = [(k, s) for k in range(len(helpers))
             for s in range(load.get((helpers.at[k, "name"], helpers.at[k, "phone"]), 0), capacity)]
    chosen = {}
    if slots:
        hx = np.array([[g.x, g.y] for _b, g in todo])
        helper_of_slot = np.array([k for k, _s in slots])
        dist = np.hypot(hx[:, None, 0] - places[helper_of_slot, 0], hx[:, None, 1] - places[helper_of_slot, 1])
        cost = np.nan_to_num(dist, nan=1e7) + LOAD_PENALTY_M * np.array([s for _k, s in slots])[None, :]
        urgent = np.array([b[1] in priority for b, _g in todo])
        cost[urgent] -= 1e8  # a place given to a household that must move saves more than any distance
        ri, ci = linear_sum_assignment(cost)
        chosen = {i: (helper_of_slot[j], dist[i, j]) for i, j in zip(ri, ci)}
    for i, (base, geom) in enumerate(todo):
        if i in chosen:
            k, d = chosen[i]
            h = helpers.iloc[k]
            rows.append(dict(zip(COLUMNS, base[:4] + [h["name"], h["phone"], h["role"],
                                                     round(float(d), 1) if np.isfinite(d) else np.nan, PROPOSED]),
                             geometry=geom))
        else:
            rows.append(dict(zip(COLUMNS, base[:7] + [np.nan, GAP]), geometry=geom))
    left = [base for i, (base, _g) in enumerate(todo) if i not in chosen]
    if left:
        kinds = pd.Series([b[3] for b in left]).value_counts()
        what = "、".join(f"{k} {n}" for k, n in kinds.items())
        why = ("本村名单中没有包保责任人或网格员" if not len(helpers)
               else f"包保名额已满（{len(helpers)} 人 × 每人 {capacity} 户）")
        gaps.append(f"{village_name or left[0][0]}：{len(left)} 户老弱病残（{what}）未指定包保人——{why}")
    return rows


def _people(v) -> int:
    n = pd.to_numeric(v, errors="coerce")
    return 1 if pd.isna(n) or n < 0 else int(round(float(n)))


def _loads(rows, capacity) -> pd.DataFrame:
    cols = ["village_code", "helper_name", "helper_phone", "helper_role", "households", "people", "capacity"]
    frame = pd.DataFrame([r for r in rows if r["source"] != GAP], columns=list(COLUMNS))
    if not len(frame):
        return pd.DataFrame(columns=cols)
    out = frame.groupby(["village_code", "helper_name", "helper_phone", "helper_role"], dropna=False, sort=True) \
        .agg(households=("household_id", "size"), people=("people", "sum")).reset_index()
    out["capacity"] = capacity
    return out[cols]
