"""简明实用的村应急预案: what one village's plan says, every statement read from the package.

PURE: pandas, shapely. Input: the package's layers (a dict of frames, any of them None), the evacuation's results,
the 包保 pairs (``helper_pairing``) and the clearance times (``clearance``); output: a ``VillagePlan``, sections of
plain Chinese lines and small tables, and the gaps. A missing piece is never filled in: it becomes a line in
``gaps`` ("3 户老弱病残未指定包保人") and, in its section, a line saying what to fill. Lists that are an adjustable
default rather than the village's own (signals, what to take) say so (``plan_model.DEFAULT_NOTE``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ..layers import model, plan_model

_text = model.text_value
GAP_MARK = "【待补】"
NEAREST_DEPOTS = 2


@dataclass
class Section:
    title: str
    lines: list = field(default_factory=list)
    table: Optional[tuple] = None  # (header, rows): a small table printed under the lines


@dataclass
class VillagePlan:
    code: str
    name: str
    township: str
    county: str
    sections: list = field(default_factory=list)
    gaps: list = field(default_factory=list)
    clearance_line: str = ""
    households: Optional[pd.DataFrame] = None  # the households to move, for the plan's appendix
    hazards: Optional[pd.DataFrame] = None  # id, name, hazard, kind, threat, person, phone
    hazard_keys: list = field(default_factory=list)  # the hazards the plan has a transfer rule for
    upper_contacts: list = field(default_factory=list)  # [(unit + role, name, phone)] of township and county

    @property
    def title(self) -> str:
        return f"{self.county}{self.township}{self.name}应急预案（简明版）"

    def gap(self, text: str) -> str:
        """Record a gap and return the line that stands in its place."""
        self.gaps.append(text)
        return f"{GAP_MARK}{text}"


def _rows(frame, code: str, field_name: str = "village_code"):
    if frame is None or not len(frame) or field_name not in frame:
        return frame.iloc[0:0] if frame is not None else pd.DataFrame()
    return frame[frame[field_name].map(_text) == code]


def _inside(frame, village_geom, code):
    """Rows of a point/polygon layer in the village: by village_code, else by location."""
    if frame is None or not len(frame):
        return pd.DataFrame()
    by_code = frame["village_code"].map(_text) == code if "village_code" in frame else False
    by_place = frame.geometry.intersects(village_geom) if village_geom is not None else False
    if "village_code" in frame:  # a coded row belongs where its code says; an uncoded one where it lies
        by_place = by_place & frame["village_code"].map(_text).isna()
    return frame[by_code | by_place]


def build_plan(code: str, layers: dict, *, pairing=None, clearance=None, evacuated: Optional[dict] = None,
               exposure=None) -> VillagePlan:
    """The plan of village ``code`` (see the module notes). ``layers``: the package's model layers by name;
    ``evacuated``: evacuees, shelter_load (or None: no evacuation run); ``exposure``: the exposure table."""
    villages = layers["villages"]
    row = villages[villages["code"].map(_text) == code]
    if not len(row):
        raise KeyError(code)
    v = row.iloc[0]
    town_code = _text(v.get("parent_code")) or code[:9] + "000"
    towns = layers.get("townships")
    town = towns[towns["code"].map(_text) == town_code] if towns is not None and len(towns) else None
    county = layers.get("county")
    plan = VillagePlan(code=code, name=_text(v["name"]) or code,
                       township=_text(town["name"].iloc[0]) if town is not None and len(town) else "",
                       county=_text(county["name"].iloc[0]) if county is not None and len(county) else "")
    evacuated = evacuated or {}
    geom = v.geometry
    persons = _rows(layers.get("persons"), code)
    hazards = plan.hazards = _hazard_rows(layers, geom, code)
    plan.sections.append(_risks(plan, v, hazards, _rows(exposure, code)))
    plan.sections.append(_organisation(plan, persons, pairing, code))
    plan.sections.append(_signals(plan, persons, hazards))
    evac = _rows(evacuated.get("evacuees"), code)
    plan.sections.append(_transfer(plan, evac, hazards, pairing, code, layers, evacuated))
    plan.clearance_line = clearance.village_line(code) if clearance is not None else plan.gap(
        "未做转移分析，无法计算预计转移完成时间（先运行 evacuate）")
    lines = [plan.clearance_line] + ([clearance.settings_line()] if clearance is not None else [])
    town = clearance.townships[clearance.townships["code"] == town_code] if clearance is not None else None
    if town is not None and len(town) and not pd.isna(town["clearance_min"].iloc[0]):
        t = town.iloc[0]
        lines.append(f"全{plan.township or '乡镇'}：预计 {t.clearance_min:.0f} 分钟完成转移"
                     f"（最后是{t.deciding_village}）。")
    plan.sections.append(Section("五、预计转移完成时间", lines))
    plan.sections.append(_shelters(plan, layers, evacuated, evac, geom, code))
    plan.sections.append(_depots(plan, layers.get("depots"), geom))
    plan.sections.append(_contacts(plan, layers.get("persons"), town_code, county))
    plan.households = _household_table(evac, pairing, clearance, code)
    return plan


# ------------------------------------------------------------------------------------------------ sections
def _hazard_rows(layers, geom, code) -> pd.DataFrame:
    """The village's hazards: geologic hazard points and flood low points, one row each."""
    rows = []
    for r in _inside(layers.get("geohazard_points"), geom, code).itertuples(index=False):
        rows.append({"id": _text(r.id), "name": _text(r.name), "hazard": "geologic",
                     "kind": model.GEOHAZARD_KINDS.get(_text(r.kind), _text(r.kind) or "地质灾害"),
                     "threat": _threat(getattr(r, "threatened_households", None), getattr(r, "threatened_people", None)),
                     "person": _text(getattr(r, "monitor_name", None)), "phone": _text(getattr(r, "monitor_phone", None))})
    for r in _inside(layers.get("flood_lowpoints"), geom, code).itertuples(index=False):
        depth = pd.to_numeric(getattr(r, "max_depth_m", None), errors="coerce")
        rows.append({"id": _text(r.id), "name": _text(r.name), "hazard": "flood", "kind": "低洼易涝点",
                     "threat": f"最大积水 {depth:.1f} 米" if not pd.isna(depth) else "",
                     "person": _text(getattr(r, "resp_name", None)), "phone": _text(getattr(r, "resp_phone", None))})
    return pd.DataFrame(rows, columns=["id", "name", "hazard", "kind", "threat", "person", "phone"])


def _threat(households, people) -> str:
    h, p = pd.to_numeric(households, errors="coerce"), pd.to_numeric(people, errors="coerce")
    parts = [f"威胁 {h:.0f} 户" if not pd.isna(h) else "", f"{p:.0f} 人" if not pd.isna(p) else ""]
    return " ".join(x for x in parts if x)


def _risks(plan, v, hazards, exposure) -> Section:
    s = Section("一、本村风险")
    pop = pd.to_numeric(v.get("population"), errors="coerce")
    hh = pd.to_numeric(v.get("households"), errors="coerce")
    basics = [f"常住人口 {pop:.0f} 人" if not pd.isna(pop) else "", f"{hh:.0f} 户" if not pd.isna(hh) else ""]
    old = pd.to_numeric(v.get("pop_65_plus"), errors="coerce")
    if not pd.isna(old):
        basics.append(f"65岁以上 {old:.0f} 人")
    s.lines.append("本村" + "，".join(b for b in basics if b) + "。" if any(basics) else
                   plan.gap("村界图层缺常住人口、户数（villages 的 population、households）"))
    if len(exposure):
        e = exposure[(exposure["hazard_type"] != "any") & (pd.to_numeric(exposure["risk_level"]) <= 2)]
        by = e.groupby("hazard_type")["population"].sum()
        by = by[by.round() > 0].sort_values(ascending=False)
        if len(by):
            s.lines.append("风险普查：" + "；".join(
                f"{model.HAZARD_BY_KEY[k].zh if k in model.HAZARD_BY_KEY else k}1-2级风险区约 {n:.0f} 人"
                for k, n in by.items()) + "。")
        else:
            s.lines.append("风险普查：本村无人居住在1-2级（高、中高）风险区。")
    else:
        s.lines.append(plan.gap("未做人口暴露分析，风险区内人数不详（先运行 exposure）"))
    if len(hazards):
        s.table = (("隐患", "类型", "威胁", "监测/责任人", "电话"),
                   [(h.name or h.id, h.kind, h.threat or "—", h.person or GAP_MARK, h.phone or GAP_MARK)
                    for h in hazards.itertuples()])
        for h in hazards.itertuples():
            if not h.person or not h.phone:
                plan.gap(f"{h.name or h.id}（{h.kind}）未填监测/责任人或电话")
    else:
        s.lines.append("隐患台账中本村没有地质灾害隐患点和低洼易涝点。")
    return s


def _organisation(plan, persons, pairing, code) -> Section:
    s = Section("二、组织与职责")
    present = set(persons["role"].map(_text)) if len(persons) else set()
    rows = []
    for r in persons.itertuples(index=False):
        role = _text(r.role) or ""
        deputy = plan_model.DEPUTY_OF.get(role)
        deputy_name = "—"
        if deputy:
            d = persons[persons["role"].map(_text) == deputy]
            deputy_name = (f"{_text(d['name'].iloc[0])}（{deputy}）" if len(d) else
                           plan.gap(f"{role}的 B 角（{deputy}）未在名单中") if role == "村支书" else "—")
        rows.append((role, _text(r.name) or GAP_MARK, _text(r.phone) or GAP_MARK, deputy_name,
                     (_text(getattr(r, "duty", None)) or "")[:30]))
    s.table = (("职务", "姓名", "电话", "B角（替补）", "职责"), rows) if rows else None
    if not ({"村支书", "村主任"} & present):
        s.lines.append(plan.gap("名单中没有村支书或村主任（总指挥）"))
    if "网格员" not in present:
        s.lines.append(plan.gap("名单中没有网格员"))
    for r in persons.itertuples(index=False):
        if not _text(r.phone):
            plan.gap(f"{_text(r.role)}{_text(r.name)}没有电话")
    s.lines.append(f"总指挥：{_names(persons, ('村支书', '村主任')) or GAP_MARK}；入户叫应：网格员；"
                   f"一对一转移老弱病残：包保责任人（见第四部分）。")
    return s


def _names(persons, roles) -> str:
    sel = persons[persons["role"].map(_text).isin(roles)] if len(persons) else persons
    return "、".join(f"{_text(r.name)} {_text(r.phone) or ''}".strip() for r in sel.itertuples(index=False))


def _signals(plan, persons, hazards) -> Section:
    s = Section("三、预警信号与发布")
    head = _names(persons, ("村支书", "村主任"))
    s.lines.append(f"乡镇预警到村：村支书/村主任 {head or GAP_MARK} 5分钟内回复乡镇（叫应），再向全村发布。")
    if len(hazards):
        watchers = "；".join(f"{h.name}：{h.person or GAP_MARK} {h.phone or ''}".strip() for h in hazards.itertuples())
        s.lines.append(f"隐患点发现险情，监测/责任人可直接鸣锣、吹哨发出撤离信号：{watchers}。")
    s.table = (("信号", "方式" + plan_model.DEFAULT_NOTE), list(plan_model.WARNING_SIGNALS))
    return s


def _hazards_of(hazards, evac) -> list:
    keys = list(dict.fromkeys(hazards["hazard"])) if len(hazards) else []
    return keys or (["flood"] if len(evac) else [])


def _transfer(plan, evac, hazards, pairing, code, layers, evacuated) -> Section:
    s = Section("四、转移避险")
    plan.hazard_keys = _hazards_of(hazards, evac)
    for key in plan.hazard_keys:
        zh = model.HAZARD_BY_KEY[key].zh
        s.lines.append(f"【{zh}】何时转移：{when_to_move()}发现险情征兆不等预警，立即转移。"
                       f"{plan_model.HAZARD_SIGNS.get(key, '')}。")
    if "evacuees" not in evacuated:
        s.lines.append(plan.gap("未做转移分析：谁转移、去哪里、走哪条路不详（先运行 evacuate）"))
    elif not len(evac):
        s.lines.append("转移分析：本村没有住户在撤离区内。")
    else:
        vul = evac["vulnerable"].astype(bool)
        groups = evac.groupby("shelter_name", dropna=False).agg(h=("household_id", "size"), p=("people", "sum"),
                                                                d=("distance_m", "max"))
        s.lines.append(f"谁转移：撤离区内 {len(evac)} 户 {int(evac['people'].sum())} 人，其中老弱病残 {int(vul.sum())} 户"
                       f"（名单见附表）。去哪里、走哪条路：" + "；".join(
                           f"到{name or GAP_MARK} {int(g.h)} 户 {int(g.p)} 人，沿图中绿色路线，最远 {g.d:.0f} 米"
                           for name, g in groups.iterrows()) + "。")
    unserved = _rows(evacuated.get("unserved"), code)
    if len(unserved):
        s.lines.append(plan.gap(f"{len(unserved)} 户 {int(pd.to_numeric(unserved['people']).sum())} 人无处安置或无路可达"
                                f"，须另找安置点"))
    if layers.get("households") is None or not len(layers["households"]):
        s.lines.append(plan.gap("包中没有住户图层（households），老弱病残户和包保人无从列出"))
    elif pairing is not None:
        mine = pairing.pairs[pairing.pairs["village_code"] == code] if len(pairing.pairs) else pairing.pairs
        gap = mine[mine["source"] == "缺口"] if len(mine) else mine
        s.lines.append(f"老弱病残包保：本村 {len(mine)} 户，已有或建议包保人 {len(mine) - len(gap)} 户。"
                       f"{pairing.rule}")
        loads = pairing.loads[pairing.loads["village_code"] == code]
        if len(loads):
            s.table = (("包保责任人", "电话", "职务", "包保户数", "人数"), [
                (r.helper_name, r.helper_phone or "—", r.helper_role, str(r.households), str(r.people))
                for r in loads.itertuples(index=False)])
        if len(gap):
            kinds = gap["vulnerable_note"].value_counts()
            s.lines.append(plan.gap(f"{len(gap)} 户老弱病残未指定包保人（" +
                                    "、".join(f"{k} {n}" for k, n in kinds.items()) + "）"))
    s.lines.append(f"随身带{plan_model.DEFAULT_NOTE}：{plan_model.TAKE_ALONG}。")
    return s


def when_to_move() -> str:
    """What each warning colour asks, in words, from ``model.WARNING_ACTIONS`` (the warning call list's rules)."""
    parts = []
    for level in sorted(model.WARNING_ACTIONS):
        a = model.WARNING_ACTIONS[level]
        move = (["危险区（撤离区）"] if a.move_danger_zones else []) + \
            ([f"{'1' if a.move_risk_max == 1 else f'1-{a.move_risk_max}'}级风险区"] if a.move_risk_max else [])
        tell = a.tell_risk_max > a.move_risk_max
        text = f"{'、'.join(move)}住户立即转移" if move else ""
        if tell:
            span = f"{a.move_risk_max + 1}" if a.tell_risk_max == a.move_risk_max + 1 else \
                f"{a.move_risk_max + 1}-{a.tell_risk_max}"
            text += f"{'，' if text else ''}{span}级风险区住户做好转移准备"
        parts.append(f"{model.WARNING_LEVEL_ZH[level]}预警，{text or '关注预警、加强巡查'}")
    return "；".join(parts) + "。"


def _shelters(plan, layers, evacuated, evac, geom, code) -> Section:
    s = Section("六、避难场所")
    shelters = layers.get("shelters")
    load = evacuated.get("shelter_load")
    used = set(evac["shelter_name"].map(_text)) if len(evac) else set()
    if shelters is None or not len(shelters):
        s.lines.append(plan.gap("包中没有避难场所图层"))
        return s
    mine = shelters[(shelters["village_code"].map(_text) == code if "village_code" in shelters else False)
                    | shelters["name"].map(_text).isin(used)]
    if not len(mine):
        s.lines.append(plan.gap("本村没有避难场所，转移分析也未指定场所"))
        return s
    rows = []
    for r in mine.itertuples(index=False):
        cap = pd.to_numeric(getattr(r, "capacity", None), errors="coerce")
        assigned = "—"
        if load is not None and len(load):
            hit = load[load["shelter_id"].map(_text) == _text(r.id)]
            if len(hit):
                assigned = f"{int(hit['assigned'].iloc[0])}"
        manager, phone = _text(getattr(r, "manager_name", None)), _text(getattr(r, "manager_phone", None))
        if not manager or not phone:
            plan.gap(f"避难场所{_text(r.name)}未填管理人或电话")
        rows.append((_text(r.name), model.SHELTER_CLASSES.get(_text(r.shelter_class), "—"),
                     "—" if pd.isna(cap) else f"{cap:.0f}", assigned, manager or GAP_MARK, phone or GAP_MARK))
    s.table = (("名称", "类别", "容纳人数", "本次分配人数", "管理人", "电话"), rows)
    return s


def _depots(plan, depots, geom) -> Section:
    s = Section("七、应急物资")
    if depots is None or not len(depots) or geom is None:
        s.lines.append(plan.gap("包中没有应急物资储备点"))
        return s
    centre = geom.representative_point()
    d = depots.geometry.distance(centre)
    near = depots.assign(dist_m=d).sort_values("dist_m").head(NEAREST_DEPOTS)
    s.lines.append("就近物资储备点（直线距离）：" + "；".join(
        f"{_text(r.name)}（{_text(getattr(r, 'level', None)) or '—'}，{r.dist_m / 1000:.1f} 公里）"
        for r in near.itertuples(index=False)) + "。")
    return s


def _contacts(plan, persons, town_code, county) -> Section:
    s = Section("八、乡镇和县联系人")
    county_code = _text(county["code"].iloc[0]) if county is not None and len(county) else None
    codes = {c for c in (town_code, county_code) if c}
    up = persons[persons["village_code"].map(_text).isin(codes)] if persons is not None and len(persons) else None
    if up is None or not len(up):
        s.lines.append(plan.gap("名单中没有乡镇、县的联系人（persons 中 village_code 为乡镇或县代码的行）"))
    else:
        s.table = (("单位", "职务", "姓名", "电话"), [
            ("乡镇" if _text(r.village_code) == town_code else "县", _text(r.role), _text(r.name), _text(r.phone))
            for r in up.itertuples(index=False)])
        plan.upper_contacts = [(unit + role, name, phone) for unit, role, name, phone in s.table[1]]
    return s


def _household_table(evac, pairing, clearance, code) -> pd.DataFrame:
    cols = ["household_id", "people", "vulnerable_note", "helper", "shelter_name", "distance_m", "arrive_min"]
    if not len(evac):
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(evac.drop(columns="geometry", errors="ignore"))[
        ["household_id", "people", "vulnerable", "shelter_name", "distance_m"]].copy()
    out["vulnerable_note"] = np.where(out["vulnerable"].astype(bool), "是", "")
    out["helper"] = ""
    if pairing is not None and len(pairing.pairs):
        p = pairing.pairs[pairing.pairs["village_code"] == code].set_index("household_id")
        out["vulnerable_note"] = out["household_id"].map(p["vulnerable_note"]).fillna(out["vulnerable_note"])
        helper = p["helper_name"].fillna("") + " " + p["helper_phone"].fillna("")
        helper = helper.str.strip().replace("", GAP_MARK + "包保人")
        out["helper"] = out["household_id"].map(helper).fillna("")
    out["arrive_min"] = np.nan
    if clearance is not None and len(clearance.households):
        t = clearance.households.set_index("household_id")["arrive_min"]
        out["arrive_min"] = out["household_id"].map(t)
    return out.sort_values(["arrive_min"], ascending=False)[cols].reset_index(drop=True)
