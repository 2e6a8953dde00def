"""The call tree of a warning (叫应链), top down: who calls whom, in what order, with what SMS. PURE.

Order and callers by role come from ``call_roles`` (``model.CALL_TREE`` by default, or the package's own table):
the county's and townships' persons on the roster first (called by 县值班室), then every reached village (most
households to move first): villages with no one to call, or no phone, as gaps for the township to visit; the
village heads (called by 乡镇值班员), grid workers and others (called by the head), the monitors of the warned hazard
points and low points in the area, the managers of the shelters to open, and last the household heads, each called
by one grid worker of the village (the village's households split among its grid workers in runs of neighbouring
house numbers: an adjustable default), households to move first, vulnerable first.

Each call is a line on the map from the caller's place to the called person's: county -> township -> village ->
household, village -> hazard point, township -> shelter (null where both are the same place: a village's own grid
workers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..errors import RiskOneMapError
from ..layers import model

_text = model.text_value
GAP = "缺口"
DESKS = (model.TOWNSHIP_DESK, model.COUNTY_DESK)
COLUMNS = ["group", "order_key", "village_code", "village_name", "township_name", "role", "name", "phone", "caller",
           "reason", "message", "_from", "_to"]


def call_roles(table=None) -> dict:
    """{role: (order, caller role)}: the package's ``call_roles`` table (role, order, caller) when it has one,
    else ``model.CALL_TREE``. A row that is not usable is named in one line."""
    if table is None or len(table) == 0:
        return {role: (order, caller) for role, order, caller in model.CALL_TREE}
    for col in ("role", "order", "caller"):
        if col not in table:
            raise RiskOneMapError(f"the call order table has no column “{col}” (role, order, caller)",
                                  layer="call_roles", field=col)
    out = {}
    for i, row in enumerate(table.to_dict("records")):
        role, caller = _text(row["role"]), _text(row["caller"])
        order = pd.to_numeric(pd.Series([row["order"]]), errors="coerce").iloc[0]
        if not role or not caller or pd.isna(order):
            bad = "role" if not role else "caller" if not caller else "order"
            raise RiskOneMapError("a call order row needs a role, a number and a caller", layer="call_roles",
                                  feature=i + 1, field=bad)
        out[role] = (int(order), caller)
    return out


class CallTree:
    """Callers by role for one plan: who a role's caller is in a village, resolved up the tree."""

    def __init__(self, roles: dict):
        self.roles = roles
        self.head_order = min((o for o, c in roles.values() if c in DESKS), default=1)

    def order(self, role: str) -> int:
        return self.roles.get(role, (model.CALL_ORDER_LAST, None))[0]

    def caller(self, role: str, present: dict) -> str:
        """The name of who calls ``role`` in a village whose roster is ``present`` ({role: first name}): the caller
        role's person, else that role's own caller, ..., else the township desk."""
        first_head = next((present[r] for r, (o, _c) in self.roles.items() if o == self.head_order and r in present),
                          None)
        caller = self.roles.get(role, (None, None))[1]
        if caller is None:  # a role the table does not know: the village's head calls it
            return first_head or model.TOWNSHIP_DESK
        seen = set()
        while caller not in DESKS and caller not in present and caller not in seen:
            seen.add(caller)
            peer = self._peer(caller, present)  # no 村支书 on the roster: the 村主任 (same place in the order)
            if peer is not None:
                return present[peer]
            caller = self.roles.get(caller, (None, model.TOWNSHIP_DESK))[1]
        return present.get(caller, caller if caller in DESKS else model.TOWNSHIP_DESK)

    def _peer(self, role: str, present: dict):
        order = self.order(role)
        return next((r for r in present if r != role and self.order(r) == order), None)


def plan_calls(warning, reached, households, shelters, layers, area_geom, roles: dict):
    """(calls GeoDataFrame in order, gap lines). See the module notes."""
    tree = CallTree(roles)
    persons = _persons(layers.get("persons"), tree)
    ctx = context(warning)
    places = _Places(reached, layers.get("townships"))
    names = dict(zip(reached["code"].astype(str), reached["name"]))
    towns = dict(zip(reached["code"].astype(str), reached["township_name"]))
    rows, gaps = [], []
    shelter_of_village = _shelters_of_villages(households, shelters)
    any_shelter = shelters["name"].iloc[0] if len(shelters) else "就近避难场所"

    def add(group, p, village_code, reason, message, caller, start, end):
        rows.append({"group": group, "order_key": tree.order(p["role"]), "village_code": village_code,
                     "village_name": names.get(village_code, ""), "township_name": towns.get(village_code, ""),
                     "role": p["role"], "name": p["name"], "phone": p["phone"], "caller": caller, "reason": reason,
                     "message": message, "_from": start, "_to": end})

    # Township and county persons on the roster (their code is a township's or the county's).
    county = {c[:6] + "000000" for c in reached["code"].astype(str)}
    tnames = dict(zip(reached["township_code"], reached["township_name"]))
    for p in persons[persons["village_code"].isin(set(tnames) | county)].to_dict("records"):
        code = p["village_code"]
        part = reached[reached["township_code"] == code] if code in tnames else reached
        fill = dict(town=tnames.get(code, "全县"), villages=len(part), move=int(part["move_households"].sum()),
                    people=int(part["move_people"].sum()), shelter=any_shelter)
        rows.append({"group": "乡镇" if code in tnames else "县", "order_key": 0, "village_code": code,
                     "village_name": fill["town"], "township_name": tnames.get(code, ""), "role": p["role"],
                     "name": p["name"], "phone": p["phone"], "caller": model.COUNTY_DESK if code in tnames else "",
                     "reason": f"{fill['town']}{fill['villages']}个村须转移{fill['move']}户{fill['people']}人",
                     "message": message("township", ctx, **fill), "_from": places.county,
                     "_to": places.township(code) if code in tnames else None})
    # Villages: most households to move first; every village reached is called.
    order = reached.sort_values(["move_households", "share_inside", "code"], ascending=[False, False, True])
    by_village = {}
    for p in persons[persons["village_code"].isin(set(order["code"].astype(str)))].to_dict("records"):
        by_village.setdefault(p["village_code"], []).append(p)
    heads = {}
    for v in order.itertuples(index=False):
        code = str(v.code)
        people = by_village.get(code, [])
        here, town = places.village(code), places.township(_township_code(code))
        if not any(p["phone"] for p in people):
            why = "责任人无电话" if people else "名单中无责任人"
            gaps.append(f"{v.township_name}{v.name}（{code}）：{why}，须乡镇派人直接通知")
            rows.append({"group": GAP, "order_key": -1, "village_code": code, "village_name": v.name,
                         "township_name": v.township_name, "role": "", "name": "", "phone": "",
                         "caller": model.TOWNSHIP_DESK, "reason": f"{why}：须乡镇派人上门通知", "message": "",
                         "_from": town, "_to": here})
            continue
        present = {}
        for p in people:
            present.setdefault(p["role"], p["name"])
        fill = dict(village=v.name, move=int(v.move_households), people=int(v.move_people),
                    shelter=shelter_of_village.get(code, any_shelter))
        watch = "" if v.move_households else "_watch"  # nobody to move here: tell and get ready
        texts = {kind: message(kind + watch, ctx, **fill) for kind in ("officials", "grid")}
        for p in people:
            caller = tree.caller(p["role"], present)
            if p["order_key"] <= tree.head_order:
                heads.setdefault(code, p["name"])
                add("村干部", p, code, f"本村须转移{int(v.move_households)}户{int(v.move_people)}人，"
                                     f"告知{int(v.tell_households)}户", texts["officials"], caller, town, here)
            elif p["order_key"] == tree.order(roles_caller(tree, model.HOUSEHOLD_HEAD)):  # who knocks on doors
                add("网格", p, code, "入户叫应，老弱病残先转" if v.move_households else "传达到户，做好转移准备",
                    texts["grid"], caller, here, None)
            elif p["role"] in ("地灾群测群防员", "避灾场所管理员"):
                continue  # called for their hazard point or shelter below, when it is warned or opened
            elif "山洪" in p["role"] and "flood" not in warning.hazards:
                continue
            else:
                add("监测", p, code, "预警到达，加密巡查", message("monitor", ctx, point=v.name), caller, here, None)
    _monitor_calls(warning, reached, layers, area_geom, tree, heads, ctx, add, places, by_village)
    _shelter_calls(shelters, layers.get("shelters"), tree, ctx, add, places)
    _household_calls(households, by_village, tree, ctx, add, places, shelter_of_village, any_shelter)
    return _ordered(rows), gaps


def roles_caller(tree: CallTree, role: str) -> str:
    return tree.roles.get(role, (None, "网格员"))[1]


def _persons(persons, tree: CallTree) -> pd.DataFrame:
    if persons is None or len(persons) == 0:
        persons = pd.DataFrame({c: [] for c in ("village_code", "name", "role", "phone", "duty")})
    persons = pd.DataFrame(persons.drop(columns="geometry", errors="ignore")).copy()
    persons["village_code"] = persons["village_code"].astype(str)
    for c in ("phone", "name", "role"):
        persons[c] = persons[c].map(lambda v: _text(v) or "")
    persons["order_key"] = persons["role"].map(tree.order)
    return persons


def _shelters_of_villages(households, shelters) -> dict:
    """Where a village's people go: the evacuation's most used shelter, else the village's own."""
    out = {}
    placed = households[households["shelter_name"].notna()] if len(households) else households
    if len(placed):
        out = placed.groupby("village_code")["shelter_name"].agg(lambda x: x.value_counts().index[0]).to_dict()
    for s in shelters.itertuples(index=False):
        out.setdefault(str(s.village_code), s.name)
    return out


def _monitor_calls(warning, reached, layers, area_geom, tree, heads, ctx, add, places, by_village) -> None:
    """Monitors of the hazard points and low points inside the area, of the warned hazards."""
    for layer, hz, name_f, phone_f, role in (
            ("geohazard_points", "geologic", "monitor_name", "monitor_phone", "地灾群测群防员"),
            ("flood_lowpoints", "flood", "resp_name", "resp_phone", "易涝点责任人")):
        pts = layers.get(layer)
        if pts is None or len(pts) == 0 or hz not in warning.hazards:
            continue
        codes = pts["village_code"].astype(str) if "village_code" in pts else pd.Series([""] * len(pts))
        inside = codes.isin(set(reached["code"].astype(str))).to_numpy()
        if area_geom is not None:
            inside = inside & (shapely.intersects(pts.geometry.to_numpy(), area_geom)
                               | codes.isin(set(reached.loc[reached["by_code"], "code"].astype(str))).to_numpy())
        geoms = pts.geometry.to_numpy()
        for i in np.flatnonzero(inside):
            p = pts.iloc[i]
            code = codes.iloc[i]
            person = {"role": role, "name": _text(p.get(name_f)) or "", "phone": _text(p.get(phone_f)) or ""}
            present = {q["role"]: q["name"] for q in reversed(by_village.get(code, []))}
            add("监测", person, code, f"监测{_text(p.get('name'))}",
                message("monitor", ctx, point=_text(p.get("name")) or ""),
                heads.get(code) or tree.caller(role, present), places.village(code), _point(geoms[i]))


def _shelter_calls(shelters, shelter_layer, tree, ctx, add, places) -> None:
    where = {}
    if shelter_layer is not None and len(shelter_layer):
        where = dict(zip(shelter_layer["id"].astype(str), shelter_layer.geometry.to_numpy()))
    for s in shelters.itertuples(index=False):
        person = {"role": "避灾场所管理员", "name": _text(s.manager_name) or "", "phone": _text(s.manager_phone) or ""}
        code = str(s.village_code)
        add("场所", person, code, f"开放{s.name}，预计{int(s.expected)}人，容量{_num(s.capacity)}",
            message("shelter", ctx, shelter=s.name, people=int(s.expected)), tree.caller("避灾场所管理员", {}),
            places.township(_township_code(code)), _point(where.get(str(s.shelter_id))))


def _household_calls(households, by_village, tree, ctx, add, places, shelter_of_village, any_shelter) -> None:
    """Every household on the list, by the grid worker its house number falls to (runs of neighbours). A package
    whose households carry no 户主电话 field has no household calls: its grid workers go by the household list."""
    if not len(households) or households["head_phone"].isna().all():
        return
    callers = roles_caller(tree, model.HOUSEHOLD_HEAD)
    hh = households.reset_index(drop=True)
    worker = np.full(len(hh), "", dtype=object)
    for code, idx in hh.groupby("village_code").indices.items():
        roster = by_village.get(code, [])
        present = {}
        for p in roster:
            present.setdefault(p["role"], p["name"])
        workers = [p["name"] for p in roster if p["role"] == callers] or [tree.caller(model.HOUSEHOLD_HEAD,
                                                                                       present)]
        by_number = idx[np.argsort(hh["household_id"].to_numpy()[idx], kind="stable")]
        for k, chunk in enumerate(np.array_split(by_number, len(workers))):
            worker[chunk] = workers[k]
    xy = shapely.get_coordinates(hh.geometry.to_numpy())  # households are points, one pair each
    texts = {}  # one SMS per (kind, shelter): thousands of households share a handful
    for i, h in enumerate(hh.itertuples(index=False)):
        code = str(h.village_code)
        moves = h.action == "move"
        shelter = h.shelter_name if isinstance(h.shelter_name, str) and h.shelter_name else \
            shelter_of_village.get(code, any_shelter)
        phone = h.head_phone or ""  # already text (analysis.warning)
        name = h.head_name or ""
        reason = f"{h.action_zh}：{int(h.people)}人" + ("，有老弱病残" if h.vulnerable else "") + (
            f"，去{shelter}" if moves else "") + ("" if phone else "；无电话，上门通知")
        kind = "household" if moves else "household_watch"
        if (kind, shelter) not in texts:
            texts[kind, shelter] = message(kind, ctx, shelter=shelter)
        add("户主", {"role": model.HOUSEHOLD_HEAD, "name": name, "phone": phone}, code, reason,
            texts[kind, shelter], worker[i], places.village(code), tuple(xy[i]))


def _ordered(rows) -> object:
    """The calls in order, one per phone (a grid worker who also keeps a low point is called once, told both
    duties), with the call tree's lines."""
    import geopandas as gpd
    calls = pd.DataFrame(rows, columns=COLUMNS)
    if len(calls):
        calls["_first"] = np.arange(len(calls))
        calls = calls.sort_values(["order_key", "_first"], kind="stable")
        phoned = calls[calls["phone"] != ""]
        twice = phoned[phoned["phone"].duplicated(keep=False)]  # a handful: joined in Python
        reasons = twice.groupby("phone", sort=False)["reason"].agg(lambda r: "；".join(dict.fromkeys(r)))
        first = phoned.drop_duplicates("phone").copy()
        first["reason"] = first["phone"].map(reasons).fillna(first["reason"])
        calls = pd.concat([first, calls[calls["phone"] == ""]]).sort_values(["order_key", "_first"],
                                                                            kind="stable").drop(columns="_first")
    calls = calls.reset_index(drop=True)
    calls.insert(0, "order", np.arange(1, len(calls) + 1))
    calls["priority"] = calls["order_key"].map(lambda k: 0 if k < 0 else k)
    calls["missing_phone"] = (calls["phone"] == "").astype(int)
    lines = np.full(len(calls), None, dtype=object)
    both = [i for i, (a, b) in enumerate(zip(calls["_from"], calls["_to"])) if a is not None and b is not None
            and a != b]
    if both:
        ends = np.array([[calls["_from"].iat[i], calls["_to"].iat[i]] for i in both], dtype=float)
        lines[both] = shapely.linestrings(ends)
    return gpd.GeoDataFrame(calls.drop(columns=["order_key", "_from", "_to"]), geometry=lines)


class _Places:
    """Where callers and called sit: a village's and a township's representative point, the county's middle."""

    def __init__(self, reached, townships):
        self.villages = dict(zip(reached["code"].astype(str),
                                 (_point(g) for g in reached.geometry.representative_point())))
        self.townships = {}
        if townships is not None and len(townships):
            self.townships = dict(zip(townships["code"].astype(str),
                                      (_point(g) for g in townships.geometry.representative_point())))
        for code, p in self.villages.items():  # a township the layer lacks: its first reached village
            self.townships.setdefault(_township_code(code), p)
        pts = [p for p in self.townships.values() if p is not None]
        self.county = tuple(np.mean(pts, axis=0)) if pts else None

    def village(self, code):
        return self.villages.get(code)

    def township(self, code):
        return self.townships.get(code)


def _point(geom):
    if geom is None or geom.is_empty:
        return None
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return (p.x, p.y)


def _township_code(code: str) -> str:
    return code[:9] + "000" if len(code) == 12 else code


def _num(v) -> str:
    try:
        return f"{float(v):.0f}人"
    except (TypeError, ValueError):
        return "未知"


def context(w) -> dict:
    event = (w.event or "预警").replace("预警", "").replace("信号", "")
    for word in ("红色", "橙色", "黄色", "蓝色"):
        event = event.replace(word, "")
    return {"level": w.level_zh, "event": event[:8] or "预警", "action": model.HOUSEHOLD_ACTIONS["move"]
            if model.WARNING_ACTIONS[w.level or 4].move_danger_zones else "做好转移准备"}


def message(kind: str, ctx: dict, **fill) -> str:
    """The role's SMS, cut to one SMS: long place names are shortened first, then the text."""
    values = dict(ctx, **{k: str(v) for k, v in fill.items()})
    values.setdefault("point", "")
    template = model.CALL_TEMPLATES[kind]
    text = template.format(**values)
    for key in ("shelter", "point", "village"):
        if len(text) <= model.SMS_MAX_CHARS:
            break
        over = len(text) - model.SMS_MAX_CHARS
        values[key] = values.get(key, "")[:max(2, len(values.get(key, "")) - over)]
        text = template.format(**values)
    return text[:model.SMS_MAX_CHARS]
