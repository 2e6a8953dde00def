"""重点岗位应急处置卡: one card per person in a key role of a village, with the steps in order for each warning
level, the hazard's danger signs, the names and phones they need and their households.

PURE: pandas. Input: a ``village_plan.VillagePlan``'s village, the package layers, the evacuation's evacuees, the
包保 pairs; output: ``Card`` records. The steps are ``plan_model.ROLE_STEPS`` (adjustable defaults) with the
village's own shelter, households and target filled in. A role nobody holds gets a card that says so (a gap).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..layers import model, plan_model

_text = model.text_value


@dataclass
class Card:
    village: str
    role_key: str
    role: str  # the roster's role (村支书, 网格员, ...)
    name: str
    phone: str
    steps: dict  # level group title -> [step, ...]
    signs: list  # danger signs, one line per hazard of the village
    contacts: list  # [(who, name, phone)]
    households: list = field(default_factory=list)  # lines: the households this person looks after
    gap: bool = False

    @property
    def title(self) -> str:
        return f"应急处置卡 · {plan_model.CARD_ROLE_TITLE[self.role_key]}"


def _fill(text: str, values: dict) -> str:
    return text.format(**values)


def village_cards(plan, layers: dict, evacuees=None, pairing=None, target_min=None) -> list:
    """Cards for every person of the village in a card role (``plan_model.CARD_ROLES``), heads first; a card
    marked ``gap`` for a role nobody holds (no head, no grid worker; helpers only where pairs exist)."""
    code = plan.code
    persons = layers.get("persons")
    persons = persons[persons["village_code"].map(_text) == code] if persons is not None and len(persons) else \
        pd.DataFrame(columns=["role", "name", "phone"])
    evac = evacuees[evacuees["village_code"].map(_text) == code] if evacuees is not None and len(evacuees) else None
    shelters = "、".join(dict.fromkeys(evac["shelter_name"].map(_text).dropna())) if evac is not None and len(evac) \
        else ""
    values = {"village": plan.name, "shelter": shelters or "指定避难场所",
              "households": len(evac) if evac is not None else 0,
              "people": int(evac["people"].sum()) if evac is not None and len(evac) else 0,
              "target": f"{float(target_min or model.default_value('clearance_target_min')):.0f}"}
    signs = [plan_model.HAZARD_SIGNS[h] for h in plan.hazard_keys if h in plan_model.HAZARD_SIGNS]
    heads = persons[persons["role"].map(_text).isin(("村支书", "村主任"))]
    contacts = [(_text(r.role), _text(r.name), _text(r.phone) or "") for r in heads.itertuples(index=False)]
    contacts += plan.upper_contacts[:2] or [("乡镇联系人", "【待补】", "")]  # the plan lists the same gap
    pairs = pairing.pairs[pairing.pairs["village_code"] == code] if pairing is not None and len(pairing.pairs) \
        else None
    cards = []
    for key, _title, roles in plan_model.CARD_ROLES:
        holders = persons[persons["role"].map(_text).isin(roles)]
        people = [(_text(r.role), _text(r.name), _text(r.phone) or "") for r in holders.itertuples(index=False)]
        if key == "helper" and pairs is not None:  # grid workers proposed as helpers carry a helper card too
            for (name, phone), _g in pairs[pairs["source"] != "缺口"].groupby(["helper_name", "helper_phone"]):
                if (name, phone) not in {(n, p) for _r, n, p in people}:
                    people.append(("包保责任人", name, phone))
        if not people and key in ("head", "grid"):
            people = [(plan_model.CARD_ROLE_TITLE[key], "", "")]
        for role, name, phone in people:
            steps = {title: [_fill(s, values) for s in plan_model.ROLE_STEPS[key][group]]
                     for group, title, _levels in plan_model.LEVEL_GROUPS}
            card = Card(plan.name, key, role, name or "", phone, steps, signs,
                        [c for c in contacts if c[1] != name], gap=not name)
            card.households = _households_of(key, name, phone, pairs, evac, plan, layers)
            cards.append(card)
    return cards


def _households_of(key, name, phone, pairs, evac, plan, layers) -> list:
    if key == "helper" and pairs is not None:
        mine = pairs[(pairs["helper_name"] == name) & (pairs["helper_phone"] == phone)]
        return [f"{r.household_id}（{r.vulnerable_note}，{r.people} 人）" for r in mine.itertuples(index=False)]
    if key == "grid" and pairs is not None:
        mine = pairs[(pairs["helper_name"] == name) & (pairs["helper_phone"] == phone)]
        return [f"另包保老弱病残 {len(mine)} 户，见本人的包保责任人卡"] if len(mine) else []
    if key == "head" and evac is not None and len(evac):
        return [f"全村须转移 {len(evac)} 户 {int(evac['people'].sum())} 人，"
                f"老弱病残 {int(evac['vulnerable'].astype(bool).sum())} 户（名单见预案附表）"]
    if key == "shelter":
        shelters = layers.get("shelters")
        if shelters is None or evac is None or not len(evac):
            return []
        mine = shelters[shelters["manager_name"].map(_text) == name] if "manager_name" in shelters else shelters[:0]
        out = []
        for s in mine.itertuples(index=False):
            arriving = evac[evac["shelter_name"].map(_text) == _text(s.name)]
            cap = pd.to_numeric(getattr(s, "capacity", None), errors="coerce")
            out.append(f"{_text(s.name)}：本村预计到达 {len(arriving)} 户 {int(arriving['people'].sum())} 人，"
                       f"容量 {'—' if pd.isna(cap) else f'{cap:.0f}'} 人")
        return out
    if key == "monitor" and plan.hazards is not None:
        mine = plan.hazards[plan.hazards["person"] == name]
        return [f"{h.name}（{h.kind}）{h.threat}" for h in mine.itertuples(index=False)]
    return []
