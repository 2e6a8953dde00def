"""What each village sheet says, as plain tables: one record per village and one row per table line.

Pure (pandas, geopandas, shapely): no qgis. The layout (``layout.py``) turns these frames into QGIS layers that
the .qpt templates' labels and attribute tables read with ``@atlas_feature``, so every text on a sheet comes from
here and the templates only say where it goes and how it looks.

Frames (all text already in Chinese, missing values as "—"):
    villages  one row per village to print: code, name, township, county, title, card (明白卡), alert (the red
              unserved line), exposure_note, route_note ..., geometry
    hazards   village_code, name, kind, level, households, people, monitor, phone   (隐患清单)
    shelters  village_code, name, class, capacity, assigned, distance               (避难场所)
    persons   village_code, role, name, phone                                        (叫应名单)
    exposure  village_code, hazard, l1..l5, total                                   (人口暴露)
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np
import pandas as pd

from ..errors import RiskOneMapError
from ..layers import model
from ..layers.package import Package
from . import sheet_card as sc
from . import sheet_lowpoints

DASH = "—"
WARNING_MEANS = "广播、鸣锣、吹哨、电话、短信/微信、入户敲门"
LOWPOINT_KIND = "低洼易涝点"
ROLE_MONITOR = "地灾群测群防员"
ROLE_LOWPOINT = "易涝点责任人"
ROLE_SHELTER = "避灾场所管理员"
# 叫应名单 order: village heads, grid staff, monitors, shelter managers, then anyone else.
ROLE_ORDER = ("村支书", "村主任", "网格员", "山洪预警员", ROLE_MONITOR, ROLE_LOWPOINT, ROLE_SHELTER, "危房联络员",
              "包保责任人")
SHELTER_CLASS_SHORT = {"emergency": "紧急", "short_term": "短期", "long_term": "长期"}
NEAREST_SHELTERS = 2  # shown when a village has none of its own and no evacuation result says where to go
EXPOSURE_LEVELS = (1, 2, 3, 4, 5)
ANALYSIS_LAYERS = ("exposure", "evacuation_routes", "evacuees", "shelter_load", "evacuation_zones")


@dataclass
class SheetData:
    villages: object  # GeoDataFrame
    hazards: pd.DataFrame
    shelters: pd.DataFrame
    persons: pd.DataFrame
    exposure: pd.DataFrame
    route_heads: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=sc.HEAD_COLUMNS))
    crs: object = None
    has_routes: bool = False
    has_exposure: bool = False
    notes: list = field(default_factory=list)

    def village(self, code: str) -> dict:
        row = self.villages[self.villages["code"] == code]
        if row.empty:
            raise KeyError(code)
        return row.iloc[0].to_dict()

    def rows(self, table: str, code: str) -> pd.DataFrame:
        frame = getattr(self, table)
        return frame[frame["village_code"] == code]


# ------------------------------------------------------------------------------------------------ helpers
def _text(value, default: str = DASH) -> str:
    return model.text_value(value) or default


def _int_text(value, default: str = DASH) -> str:
    try:
        if value is None or pd.isna(value):
            return default
        return f"{int(round(float(value)))}"
    except (TypeError, ValueError):
        return default


def _col(frame, *names):
    """The first of ``names`` that ``frame`` has, else None."""
    if frame is None:
        return None
    for name in names:
        if name in frame.columns:
            return name
    return None


def distance_text(metres: float) -> str:
    if metres is None or pd.isna(metres):
        return DASH
    if metres < 1.0:
        return "村内"
    if metres < 1000.0:
        return f"{metres:.0f} 米"
    return f"{metres / 1000.0:.1f} 公里"


def _assign_village(frame, villages, code_field: str = "village_code"):
    """A Series of village codes for ``frame``: its own ``village_code`` where set, else the village it lies in."""
    import geopandas as gpd
    codes = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if code_field in frame.columns:
        codes = frame[code_field].map(lambda v: _text(v, "") or None)
    missing = codes.isna()
    if missing.any() and hasattr(frame, "geometry") and frame.geometry is not None:
        pts = gpd.GeoDataFrame(geometry=frame.loc[missing].geometry.representative_point(), crs=frame.crs)
        joined = gpd.sjoin(pts, villages[["code", "geometry"]], how="left", predicate="within")
        joined = joined[~joined.index.duplicated(keep="first")]
        codes.loc[missing] = joined["code"].reindex(pts.index).values
    return codes


def _villages_inside(frame, villages) -> dict:
    """{row index: [codes of the villages whose inside a polygon feature's inside meets]} (points: none)."""
    import shapely
    if frame is None or len(frame) == 0 or not hasattr(frame, "geometry") or villages is None or len(villages) == 0:
        return {}
    geoms = np.asarray(frame.geometry.values, dtype=object)
    areal = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)  # Polygon, MultiPolygon
    if not areal.any():
        return {}
    vgeom = np.asarray(villages.geometry.values, dtype=object)
    rows = np.flatnonzero(areal)
    fi, vj = shapely.STRtree(vgeom).query(geoms[rows], predicate="intersects")
    inner = shapely.relate_pattern(geoms[rows][fi], vgeom[vj], "T********")  # not just a shared edge
    out: dict = {}
    codes = villages["code"].map(_text).to_numpy(object)
    for i, j in zip(fi[inner], vj[inner]):
        out.setdefault(frame.index[rows[i]], []).append(codes[j])
    return out


def _danger_level(row) -> str:
    level = _text(row.get("danger_level"), "")
    if level:
        return level
    people = row.get("threatened_people")
    try:
        if people is not None and not pd.isna(people):
            return model.danger_level_for_people(float(people))
    except (TypeError, ValueError):
        pass
    return DASH


# ------------------------------------------------------------------------------------------------ main entry
def build_sheet_data(package_dir, villages: Optional[Iterable[str]] = None, township: Optional[str] = None,
                     compile_unit: Optional[str] = None, date: Optional[str] = None, page: str = "A3") -> SheetData:
    """Read the package at ``package_dir`` and compute every village sheet's texts and tables.

    ``villages``: codes to print (default all); ``township``: a township code (its villages only); ``page``: the
    paper (A3/A4) whose table columns the cells are cut to (with an ellipsis).
    Raises RiskOneMapError naming the layer and field when a code is unknown or nothing is selected.
    """
    pkg = Package(package_dir).require()
    vil = pkg.read("villages")
    if vil.empty:
        raise RiskOneMapError("no villages to print", file=pkg.gpkg, layer="villages")
    vil = vil.copy()
    vil["code"] = vil["code"].map(_text)
    town = pkg.read("townships", required=False)
    county = pkg.read("county", required=False)
    county_name = _text(county["name"].iloc[0], "") if county is not None and len(county) else ""

    selected = _select(vil, villages, township, pkg, town)
    town_of, town_name, town_bounds = _townships_of(vil, town)
    date = date or _dt.date.today().strftime("%Y年%m月")
    unit = compile_unit or (f"{county_name}应急管理局" if county_name else "县（区）应急管理局")

    layers = set(pkg.layer_names())
    has_routes = "evacuation_routes" in layers
    has_exposure = "exposure" in layers
    hazards = _hazards(pkg, vil, layers)
    evac = sc.read_evacuation(pkg, layers, list(vil["code"]))
    shelters, destinations = _shelters(pkg, vil, layers, evac)
    persons = _persons(pkg, hazards, shelters, layers)
    exposure = _exposure(pkg, layers)
    known = [f for f in VULNERABLE if f in vil.columns and pd.to_numeric(vil[f], errors="coerce").notna().any()]
    vulnerable_at_risk = _vulnerable_at_risk(pkg, layers, known)
    has_zones = "risk_zones" in layers and len(pkg.read("risk_zones")) > 0
    clearance = _clearance_lines(pkg, layers, vil, town)
    exposure_any = "exposure" in layers and len(pkg.read("exposure")) > 0
    computed = [zh for key, zh in (("exposure", "人口暴露"), ("evacuation_routes", "撤离路线")) if key in layers]
    computed += sheet_lowpoints.computed_note(pkg, layers)
    approx = "boundary" in vil.columns and (vil["boundary"] == model.APPROX_VILLAGES).any()
    sources = ("村界为近似村界（由村点按最近距离划分，非实测）；" if approx else "") + \
        sc.sources_text(sc.source_names(pkg, layers), computed)
    footprint = sc.dem_footprint(pkg.dem_raster)

    # Sheet numbers: township order, then village order inside it, over the whole county (stable under selection).
    order = vil.assign(_t=vil["code"].map(town_of).fillna("")).sort_values(["_t", "code"])
    town_seq = {t: i + 1 for i, t in enumerate(dict.fromkeys(order["_t"]))}
    vil_seq = order.groupby("_t").cumcount() + 1
    sheet_no = {c: f"{town_seq[t]:02d}-{n:02d}" for c, t, n in zip(order["code"], order["_t"], vil_seq)}

    rows = []
    for _, v in selected.iterrows():
        code, name = v["code"], _text(v.get("name"), v["code"])
        tcode = town_of.get(code) or ""
        tname = town_name.get(tcode, "")
        bounds = town_bounds.get(tcode) or v.geometry.bounds
        hz = hazards[hazards["village_code"] == code]
        sh = shelters[shelters["village_code"] == code]
        pe = persons[persons["village_code"] == code]
        ev = evac.get(code)
        head = pe.iloc[0] if len(pe) else None
        contact = (f"{head['role']} {head['name']} {head['phone']}" if head is not None else
                   f"{tname or county_name}应急管理部门")
        alert = sc.unserved_alert(ev, contact)
        mine_routes = has_routes and ev is not None and bool(ev.destinations)
        map_notes = []
        if not has_routes and ev is None:
            map_notes.append("注：尚未进行撤离分析，本图未标注撤离路线。")
        elif ev is not None and ev.unserved > 0:
            map_notes.append(f"注：本村 {ev.unserved:,} 名须撤离人员无安置场所" + ("。" if mine_routes else
                                                                      "，图中无撤离路线。"))
        if code in clearance:
            map_notes.append(clearance[code])
        if sc.outside_dem(footprint, v.geometry.bounds):
            map_notes.append(sc.DEM_NOTE)
        rows.append({
            "code": code, "name": name, "township_code": tcode, "township": tname, "county": county_name,
            "title": f"{tname}{name}风险隐患一张图",
            "subtitle": "　".join(p for p in (county_name, tname, name, f"区划代码 {code}") if p)
            + ("　（村界为近似村界，由村点生成，非实测）" if _text(v.get("boundary"), "") == model.APPROX_VILLAGES else ""),
            "sheet_no": sheet_no.get(code, DASH), "date": date, "unit": unit,
            "footer": f"编制单位：{unit}　　编制日期：{date}　　图号：{sheet_no.get(code, DASH)}",
            "tx0": bounds[0], "ty0": bounds[1], "tx1": bounds[2], "ty1": bounds[3],
            "card": _card(hz, sh, pe, destinations.get(code, []), ev, mine_routes, date),
            "alert": alert,
            "route_note": "\n".join(map_notes),
            "exposure_note": sc.exposure_state(layers, int((exposure["village_code"] == code).sum()), exposure_any,
                                               has_zones),
            "population": _population_text(v, known, vulnerable_at_risk.get(code)),
            "sources": sources,
            "geometry": v.geometry,
        })
    import geopandas as gpd
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=vil.crs)
    notes = [] if has_routes else ["no evacuation results in the package: sheets print without routes"]
    codes = set(frame["code"])
    keep = lambda f: _clip_table(f[f["village_code"].isin(codes)].reset_index(drop=True), page)  # noqa: E731
    return SheetData(villages=frame, hazards=keep(hazards), shelters=keep(shelters), persons=keep(persons),
                     exposure=keep(exposure), route_heads=sc.route_heads(pkg, layers, codes), crs=vil.crs,
                     has_routes=has_routes, has_exposure=has_exposure, notes=notes)


def _clip_table(frame: pd.DataFrame, page: str) -> pd.DataFrame:
    """Cut every cell of a sheet table to its column's width on ``page`` (one line, ellipsis when cut), so a
    long real name neither runs past the cell edge nor wraps rows onto a second page."""
    from . import templates as T
    spec = T.spec_for(page)
    for item_id, (layer, _heading, _empty, columns) in T.TABLES.items():
        if not set(f for f, _h, _w in columns) <= set(frame.columns):
            continue
        box = spec.tables[item_id]
        margin = 0.7 if spec.name == "A3" else 0.4
        total = float(sum(w for _f, _h, w in columns))
        em = spec.table_pt * 0.3528  # mm per CJK character
        out = frame.copy()
        for f, _h, share in columns:
            if f in ("village_code",):
                continue
            budget = (box.w * share / total - 2 * margin - 0.3) / em
            out[f] = out[f].map(lambda t, b=budget: sc.clip(t, b))
        return out
    return frame


def _select(vil, villages, township, pkg, town):
    selected = vil
    if township:
        if "parent_code" in vil.columns and (vil["parent_code"].map(_text) == str(township)).any():
            selected = vil[vil["parent_code"].map(_text) == str(township)]
        elif town is not None and (town["code"].map(_text) == str(township)).any():
            poly = town[town["code"].map(_text) == str(township)].geometry.iloc[0]
            selected = vil[vil.geometry.representative_point().within(poly)]
        else:
            raise RiskOneMapError(f"no township with code {township}", file=pkg.gpkg, layer="townships", field="code")
    if villages:
        wanted = [str(c) for c in villages]
        unknown = [c for c in wanted if c not in set(vil["code"])]
        if unknown:
            raise RiskOneMapError(f"no village with code {', '.join(unknown)}", file=pkg.gpkg, layer="villages",
                                  field="code")
        selected = selected[selected["code"].isin(wanted)]
    if selected.empty:
        raise RiskOneMapError("the selection holds no village", file=pkg.gpkg, layer="villages", field="code")
    return selected.sort_values("code")


def _townships_of(vil, town):
    """{village code: township code}, {township code: name}, {township code: bounds}."""
    town_of, names, bounds = {}, {}, {}
    if town is not None and len(town):
        codes = town["code"].map(_text)
        names = dict(zip(codes, town["name"].map(lambda v: _text(v, ""))))
        bounds = {c: g.bounds for c, g in zip(codes, town.geometry)}
    if "parent_code" in vil.columns:
        town_of = {c: _text(p, "") for c, p in zip(vil["code"], vil["parent_code"]) if _text(p, "") in names}
    missing = [c for c in vil["code"] if c not in town_of]
    if missing and town is not None and len(town):
        sub = vil[vil["code"].isin(missing)]
        for c, pt in zip(sub["code"], sub.geometry.representative_point()):
            for tc, g in zip(town["code"].map(_text), town.geometry):
                if g.contains(pt):
                    town_of[c] = tc
                    break
    return town_of, names, bounds


def _hazards(pkg, vil, layers) -> pd.DataFrame:
    rows = []
    if "geohazard_points" in layers:
        gp = pkg.read("geohazard_points")
        gp = gp.assign(_v=_assign_village(gp, vil))
        for _, r in gp.iterrows():
            kind = r.get("kind")
            rows.append({"village_code": r["_v"], "name": _text(r.get("name")),
                         "kind": model.GEOHAZARD_KINDS.get(_text(kind, ""), _text(kind)),
                         "level": _danger_level(r), "households": _int_text(r.get("threatened_households")),
                         "people": _int_text(r.get("threatened_people")),
                         "monitor": _text(r.get("monitor_name")), "phone": _text(r.get("monitor_phone")),
                         "_role": ROLE_MONITOR, "_order": 0, "_people": r.get("threatened_people") or 0})
    dem = sheet_lowpoints.dem_rows(pkg, layers)  # the DEM's low points: who is in the water in the heaviest rain
    fl = pkg.read("flood_lowpoints") if "flood_lowpoints" in layers else None
    if fl is not None:
        own = _assign_village(fl, vil)
        also = _villages_inside(fl, vil)  # a ponded area over several villages is on each one's sheet
        for (idx, r), code in zip(fl.iterrows(), own):
            depth = r.get("max_depth_m")
            level = f"积水{float(depth):.1f}米" if depth is not None and not pd.isna(depth) else DASH
            found = dem.get(_text(r.get("id"), ""), {})
            for village in dict.fromkeys([code] + also.get(idx, [])):
                rows.append({"village_code": village, "name": _text(r.get("name")), "kind": LOWPOINT_KIND,
                             "level": found.get("level", level), "households": found.get("households", DASH),
                             "people": found.get("people", DASH),
                             "monitor": _text(r.get("resp_name")), "phone": _text(r.get("resp_phone")),
                             "_role": ROLE_LOWPOINT, "_order": 1, "_people": found.get("_people", 0)})
    for r in sheet_lowpoints.listed(dem, fl["id"] if fl is not None else ()):
        rows.append(r | {"_role": ROLE_LOWPOINT, "_order": 1})
    rows += _open_ledger_sites(pkg, layers)
    cols = ["village_code", "name", "kind", "level", "households", "people", "monitor", "phone", "_role"]
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows)
    frame["_people"] = pd.to_numeric(frame["_people"], errors="coerce").fillna(0)
    frame = frame[frame["village_code"].notna()]
    frame = frame.sort_values(["village_code", "_order", "_people", "name"], ascending=[True, True, False, True])
    return frame[cols].reset_index(drop=True)


def _open_ledger_sites(pkg, layers) -> list:
    """The ledger's own sites still open (待交办, 已交办, 整改中), with their status (and 逾期) where the
    census sheets put the danger level; their responsible units are county offices, not the village's 叫应名单."""
    if "hazard_sites" not in layers:
        return []
    from ..jobs.ledger import read_entries
    entries = read_entries(pkg)
    entries = entries[(entries["site_layer"] == "hazard_sites")
                      & entries["status"].isin(model.LEDGER_OPEN_STATUSES)]
    return [{"village_code": r.village_code, "name": _text(r.name),
             "kind": model.ledger_label(model.LEDGER_FIELD_LABELS["category"], r.category),
             "level": model.LEDGER_STATUSES[r.status] + ("·逾期" if r.overdue_days > 0 else ""),
             "households": DASH, "people": DASH, "monitor": _text(r.resp_name), "phone": _text(r.resp_phone),
             "_role": None, "_order": 2, "_people": 0} for r in entries.itertuples()]


def _route_destinations(pkg, vil, layers) -> dict:
    """{village code: {shelter id: people}} from the evacuation results (evacuees, else routes), if any."""
    out: dict = {}
    for name in ("evacuees", "evacuation_routes"):
        if name not in layers:
            continue
        frame = pkg.read(name)
        sid = _col(frame, "shelter_id", "shelter", "to_shelter", "dest_id")
        if sid is None:
            continue
        vcol = _col(frame, "village_code", "from_village", "village")
        codes = frame[vcol].map(lambda v: _text(v, "") or None) if vcol else None
        if (codes is None or codes.isna().all()) and hasattr(frame, "geometry") and frame.geometry is not None:
            codes = _assign_village(frame.assign(village_code=None), vil)
        if codes is None:
            continue
        people = _col(frame, "people", "evacuees", "assigned", "population")
        weights = pd.to_numeric(frame[people], errors="coerce").fillna(0) if people else pd.Series(0, index=frame.index)
        for c, s, w in zip(codes, frame[sid].map(_text), weights):
            if c and s != DASH:
                out.setdefault(c, {}).setdefault(s, 0.0)
                out[c][s] += float(w)
        if out:
            break
    return out


# Why the evacuation did not use a shelter (shelter_load.status), in the sheet's 安置 column.
SHELTER_UNUSABLE = {"in danger zone": "停用（在危险区内）", "no capacity": "停用（无容量）",
                    "no road": "停用（离路过远）", "no location": "停用（无位置）"}


def _shelters(pkg, vil, layers, evac: Optional[dict] = None):
    """(rows per village, {village code: [names of the shelters the evacuation placed its people in]}).

    ``evac``: read_evacuation's result; without it (a package holding only routes) the routes say where people
    go. A shelter the evacuation could not use keeps its reason; it is never a destination."""
    cols = ["village_code", "name", "class", "capacity", "assigned", "distance", "_manager", "_phone"]
    if "shelters" not in layers:
        return pd.DataFrame(columns=cols), {}
    sh = pkg.read("shelters")
    if sh.empty:
        return pd.DataFrame(columns=cols), {}
    sh = sh.assign(_id=sh["id"].map(_text) if "id" in sh.columns else sh.index.astype(str),
                   _v=_assign_village(sh, vil))
    load, unusable = {}, {}
    if "shelter_load" in layers:
        sl = pkg.read("shelter_load")
        key = _col(sl, "shelter_id", "id")
        if key and "assigned" in sl.columns:
            load = dict(zip(sl[key].map(_text), sl["assigned"]))
        if key and "status" in sl.columns:  # shelters the evacuation could not use, and why
            unusable = {k: SHELTER_UNUSABLE.get(st, st) for k, st in zip(sl[key].map(_text), sl["status"].map(_text))
                        if st and st != "open"}
    evac = {} if evac is None else evac
    dest = {c: e.destinations for c, e in evac.items() if e.destinations} or _route_destinations(pkg, vil, layers)
    for code, places in dest.items():  # routes only (no evacuees): they are the evacuation
        if code not in evac:
            evac[code] = sc.VillageEvacuation(analysed=True, people=sum(places.values()),
                                              placed=sum(places.values()), destinations=dict(places))
    by_id = sh.set_index("_id", drop=False)
    rows, destinations = [], {}
    for _, v in vil.iterrows():
        code, poly = v["code"], v.geometry
        mine = {s: n for s, n in dest.get(code, {}).items() if s not in unusable}
        walk = evac[code].walk_m if code in evac else {}
        ids = list(dict.fromkeys(list(sh.loc[sh["_v"] == code, "_id"]) + list(mine)))
        nearest = False
        if not ids:
            dist = sh.geometry.distance(poly)
            ids = list(sh.loc[dist.sort_values().index[:NEAREST_SHELTERS], "_id"])
            nearest = True
        for sid in ids:
            if sid not in by_id.index:
                continue
            s = by_id.loc[sid]
            if isinstance(s, pd.DataFrame):
                s = s.iloc[0]
            if sid in unusable:
                assigned = unusable[sid]
            elif mine:
                assigned = _int_text(mine.get(sid, 0), "0")
            elif load:
                assigned = _int_text(load.get(sid), DASH) + ("（全场）" if sid in load else "")
            else:
                assigned = DASH
            cls = _text(s.get("shelter_class"), "")
            if sid in walk:
                dist_text = "步行" + distance_text(walk[sid])
            else:
                straight = s.geometry.distance(poly)
                dist_text = distance_text(straight) if straight < 1.0 else "直线" + distance_text(straight)
            rows.append({"village_code": code, "name": _text(s.get("name")),
                         "class": SHELTER_CLASS_SHORT.get(cls, cls or DASH),
                         "capacity": _int_text(s.get("capacity")), "assigned": assigned,
                         "distance": dist_text + ("（就近）" if nearest else ""),
                         "_manager": _text(s.get("manager_name")), "_phone": _text(s.get("manager_phone"))})
        destinations[code] = [_text(by_id.loc[s, "name"]) if not isinstance(by_id.loc[s], pd.DataFrame)
                              else _text(by_id.loc[s].iloc[0]["name"]) for s in mine if s in by_id.index]
    return pd.DataFrame(rows, columns=cols), destinations


def _persons(pkg, hazards, shelters, layers) -> pd.DataFrame:
    rows = []
    if "persons" in layers:
        pe = pkg.read("persons")
        for _, r in pe.iterrows():
            rows.append({"village_code": _text(r.get("village_code"), ""), "role": _text(r.get("role")),
                         "name": _text(r.get("name")), "phone": _text(r.get("phone"))})
    for _, h in hazards.iterrows():
        if h["monitor"] != DASH and h["_role"] is not None:  # a ledger site's owner is no village person
            rows.append({"village_code": h["village_code"], "role": h["_role"], "name": h["monitor"],
                         "phone": h["phone"]})
    for _, s in shelters.iterrows():
        if s["_manager"] != DASH:
            rows.append({"village_code": s["village_code"], "role": ROLE_SHELTER, "name": s["_manager"],
                         "phone": s["_phone"]})
    cols = ["village_code", "role", "name", "phone"]
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows)
    frame = frame[frame["name"] != DASH]
    rank = {r: i for i, r in enumerate(ROLE_ORDER)}
    frame["_rank"] = frame["role"].map(lambda r: rank.get(r, len(rank)))
    frame = frame.sort_values(["village_code", "_rank"], kind="stable")
    # One line per person: the same name and phone under several roles reads "监测员、避难场所管理员".
    merged = (frame.groupby(["village_code", "name", "phone"], sort=False)
              .agg(role=("role", lambda s: "、".join(dict.fromkeys(s))), _rank=("_rank", "min")).reset_index())
    merged = merged.sort_values(["village_code", "_rank"], kind="stable")
    return merged[cols].reset_index(drop=True)


def _exposure(pkg, layers) -> pd.DataFrame:
    cols = ["village_code", "hazard"] + [f"l{lv}" for lv in EXPOSURE_LEVELS] + ["total"]
    if "exposure" not in layers:
        return pd.DataFrame(columns=cols)
    ex = pkg.read("exposure")
    need = {"village_code", "hazard_type", "risk_level", "population"}
    if ex is None or not need.issubset(ex.columns):
        return pd.DataFrame(columns=cols)
    ex = ex.assign(village_code=ex["village_code"].map(_text),
                   risk_level=pd.to_numeric(ex["risk_level"], errors="coerce"),
                   population=pd.to_numeric(ex["population"], errors="coerce").fillna(0))
    ex = ex[ex["risk_level"].isin(EXPOSURE_LEVELS)]
    pivot = ex.pivot_table(index=["village_code", "hazard_type"], columns="risk_level", values="population",
                           aggfunc="sum", fill_value=0)
    hazard_rank = {h.key: i for i, h in enumerate(model.HAZARD_TYPES)}
    hazard_rank["any"] = len(hazard_rank)
    rows = []
    for (code, hazard), values in pivot.iterrows():
        total = float(values.sum())
        if total <= 0 and hazard != "any":
            continue
        h = model.HAZARD_BY_KEY.get(hazard)
        row = {"village_code": code, "hazard": h.zh if h else ("合计（按最高等级）" if hazard == "any" else hazard),
               "_rank": hazard_rank.get(hazard, len(hazard_rank) - 1)}
        for lv in EXPOSURE_LEVELS:
            n = float(values.get(lv, 0))
            row[f"l{lv}"] = ("<1" if n < 0.5 else _int_text(n)) if n > 0 else ""
        row["total"] = _int_text(total)
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows).sort_values(["village_code", "_rank"], kind="stable")
    return frame[cols].reset_index(drop=True)


VULNERABLE = {"pop_65_plus": "65岁以上", "pop_0_14": "0-14岁", "disabled": "残障"}


def _vulnerable_at_risk(pkg, layers, known) -> dict:
    """{village code: text} of vulnerable people living where any hazard is at level 1-2 (the exposure 'any' rows).
    Only the groups the villages layer records (``known``): the exposure table carries every group, as 0 where
    the package has no figure, and 0 is not 'unknown'."""
    if "exposure" not in layers:
        return {}
    ex = pkg.read("exposure")
    cols = [f for f in known if f in ex.columns]
    if not cols or not {"village_code", "hazard_type", "risk_level"}.issubset(ex.columns):
        return {}
    high = ex[(ex["hazard_type"] == "any") & pd.to_numeric(ex["risk_level"], errors="coerce").isin((1, 2))]
    sums = high.assign(village_code=high["village_code"].map(_text)).groupby("village_code")[cols].sum()
    return {code: "高、中高风险区内 " + "，".join(f"{VULNERABLE[f]} {_int_text(row[f])} 人" for f in cols)
            for code, row in sums.iterrows()}


def _population_text(v, known, at_risk: Optional[str] = None) -> str:
    """常住 and the vulnerable groups; a group with no figure reads 未登记 (never 0)."""
    parts = []
    pop, hh = v.get("population"), v.get("households")
    if pop is not None and not pd.isna(pop):
        parts.append(f"常住 {_int_text(pop)} 人" + (f" {_int_text(hh)} 户" if hh is not None and not pd.isna(hh) else ""))
    else:
        parts.append("常住人口：未登记")
    groups = []
    for f, word in VULNERABLE.items():
        value = v.get(f) if f in known else None
        groups.append(f"{word} {_int_text(value)} 人" if value is not None and not pd.isna(value) else f"{word} 未登记")
    parts.append("，".join(groups))
    if at_risk:
        parts.append(at_risk)
    return "；".join(parts)


def _clearance_lines(pkg, layers, vil, town) -> dict:
    """预计转移完成时间 per village (#18), from the evacuation's results as they are now, with the default times."""
    if "evacuees" not in layers:
        return {}
    from ..analysis.clearance import clearance_times, sheet_lines
    unserved = pkg.read("unserved") if "unserved" in layers else None
    return sheet_lines(clearance_times(pkg.read("evacuees"), vil, town, unserved))


def _card(hazards, shelters, persons, destinations, evac, has_routes, date) -> str:
    """The 明白卡 items for one village, one per line: routes and places only as the evacuation found them."""
    watched = hazards[hazards["_role"].notna()] if "_role" in hazards else hazards  # not a ledger site's owner
    monitors = [f"{m} {p}" for m, p in dict.fromkeys(zip(watched["monitor"], watched["phone"])) if m != DASH]
    head = persons.iloc[0] if len(persons) else None
    usable = [n for n, a in zip(shelters["name"], shelters["assigned"]) if n != DASH and not str(a).startswith("停用")]
    route, places = sc.card_lines(evac, destinations, list(dict.fromkeys(usable)), has_routes)
    lines = [
        f"撤离路线：{route}",
        f"安置地点：{places}",
        f"监测人：{'；'.join(monitors[:3]) + ('等' if len(monitors) > 3 else '') if monitors else DASH}",
        f"负责人：{(head['role'] + ' ' + head['name']) if head is not None else '未登记'}",
        f"联系电话：{head['phone'] if head is not None else '未登记'}",
    ]  # the date is the footer's 编制日期: the card's last lines make room for the red unserved line
    return "\n".join(lines)
