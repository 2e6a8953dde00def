"""What a village sheet may promise: where its people go, by which arrows, who has no place, what was analysed.

A sheet is posted on a wall and followed in an emergency, so every sentence here comes from what the package
really holds: the evacuation's results (``evacuation_villages``, ``evacuees``, ``shelter_load``), the exposure
table, the import report, and the DEM's footprint. Pure (pandas, shapely, rasterio); no qgis.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd

from ..layers import model

DASH = "—"


def _em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.55


def text_width(text: str) -> float:
    """Width in em: a CJK character is 1, a narrow one 0.55."""
    return sum(_em(c) for c in text)


def clip(text, budget: float) -> str:
    """``text`` cut to ``budget`` em with an ellipsis when cut, so a table cell shows one line and says that it
    was shortened."""
    text = "" if text is None else str(text)
    if text_width(text) <= budget:
        return text
    out, used = [], 1.0  # room for "…"
    for ch in text:
        if used + _em(ch) > budget:
            break
        out.append(ch)
        used += _em(ch)
    return "".join(out).rstrip() + "…"


# ------------------------------------------------------------------------------------------------ evacuation
@dataclass
class VillageEvacuation:
    """One village's evacuation as the package stores it (None fields: the evacuation was not run)."""
    analysed: bool = False
    people: float = 0.0          # who must leave
    placed: float = 0.0          # who has a shelter
    destinations: dict = field(default_factory=dict)  # {shelter id: people}, only shelters that took people
    walk_m: dict = field(default_factory=dict)        # {shelter id: people-weighted walking distance}

    @property
    def unserved(self) -> int:
        return max(0, int(round(self.people - self.placed)))


def read_evacuation(pkg, layers, village_codes) -> dict:
    """{village code: VillageEvacuation} from ``evacuation_villages`` and ``evacuees`` (empty when not run)."""
    if "evacuation_villages" not in layers and "evacuees" not in layers:
        return {}
    out = {code: VillageEvacuation(analysed=True) for code in village_codes}
    ev = pkg.read("evacuees", required=False)
    if ev is not None and len(ev) and "village_code" in ev.columns:
        ev = pd.DataFrame(ev.drop(columns="geometry", errors="ignore"))
        ev["village_code"] = ev["village_code"].map(lambda v: model.text_value(v) or "")
        ev["people"] = pd.to_numeric(ev.get("people"), errors="coerce").fillna(0)
        sid = ev["shelter_id"].map(lambda v: model.text_value(v) or "") if "shelter_id" in ev.columns else ""
        ev["_sid"] = sid
        dist = pd.to_numeric(ev["distance_m"], errors="coerce") if "distance_m" in ev.columns else None
        for code, rows in ev.groupby("village_code"):
            if code not in out:
                continue
            v = out[code]
            v.people = float(rows["people"].sum())
            placed = rows[rows["_sid"] != ""]
            v.placed = float(placed["people"].sum())
            for s, part in placed.groupby("_sid"):
                if part["people"].sum() <= 0:
                    continue
                v.destinations[s] = float(part["people"].sum())
                if dist is not None:
                    d = dist.loc[part.index]
                    ok = d.notna()
                    if ok.any():
                        w = part.loc[ok, "people"].clip(lower=1e-9)
                        v.walk_m[s] = float((d[ok] * w).sum() / w.sum())
    return out


def card_lines(evac: Optional[VillageEvacuation], destination_names: list, open_nearby: list,
               has_routes: bool) -> tuple:
    """(撤离路线 text, 安置地点 text) that only promise what the evacuation found for this village."""
    if evac is None or not evac.analysed:
        places = "、".join(open_nearby[:3]) if open_nearby else ""
        return ("撤离路线尚未分析，听从村委会指挥，沿主要道路撤离",
                f"尚未进行撤离分析，听从村委会安排（附近避难场所：{places}）" if places else
                "尚未进行撤离分析，听从村委会安排")
    if evac.people <= 0:
        places = "、".join(open_nearby[:3])
        return ("本村无人位于撤离区内；遇险情听从村委会指挥",
                f"如需转移，到{places}" if places else "本村附近无可用避难场所，听从村委会安排")
    if destination_names:
        places = "、".join(destination_names[:3]) + ("等" if len(destination_names) > 3 else "")
        route = f"沿图中绿色箭头所示道路撤离至{places}" if has_routes else f"沿主要道路撤离至{places}"
        return route, places
    return ("本村须撤离人员无可到达的避难场所，图中无撤离路线；听从村委会指挥转移至安全地带",
            "无（本村须撤离人员没有可用的避难场所）")


def unserved_alert(evac: Optional[VillageEvacuation], contact: str) -> str:
    """The red line of the sheet: how many must leave and have no place, and whom to call. '' when none."""
    if evac is None or not evac.analysed or evac.unserved <= 0:
        return ""
    return (f"须撤离 {int(round(evac.people)):,} 人，已安排安置 {int(round(evac.placed)):,} 人，"
            f"{evac.unserved:,} 人无安置场所！请立即联系{contact}")


HEAD_COLUMNS = ["village_code", "shelter", "people", "label", "x", "y", "angle"]
HEAD_BACK_M = 60.0


def route_heads(pkg, layers, village_codes) -> pd.DataFrame:
    """One arrow per village and shelter, at the shelter, pointing from where that village's placed people live
    (their people-weighted centre) and labelled with how many: the routes themselves are drawn as plain lines, so
    many households going to one shelter read as one arrow with a count, not a star of arrowheads."""
    import numpy as np
    if "evacuees" not in layers or "shelters" not in layers:
        return pd.DataFrame(columns=HEAD_COLUMNS)
    ev = pkg.read("evacuees")
    sh = pkg.read("shelters")
    if ev is None or not len(ev) or "shelter_id" not in ev.columns or sh is None or not len(sh):
        return pd.DataFrame(columns=HEAD_COLUMNS)
    ev = ev[ev["shelter_id"].notna() & ev["village_code"].isin(set(village_codes))]
    ev = ev.assign(people=pd.to_numeric(ev["people"], errors="coerce").fillna(0), x=ev.geometry.x, y=ev.geometry.y,
                   village_code=ev["village_code"].map(lambda v: model.text_value(v) or ""),
                   shelter_id=ev["shelter_id"].map(lambda v: model.text_value(v) or ""))
    ev = ev[ev["people"] > 0]
    ids = sh["id"].map(lambda v: model.text_value(v) or "") if "id" in sh.columns else sh.index.astype(str)
    where = dict(zip(ids, sh.geometry.representative_point()))
    names = dict(zip(ids, sh["name"].astype(str))) if "name" in sh.columns else {}
    rows = []
    for (code, sid), part in ev.groupby(["village_code", "shelter_id"]):
        if sid not in where:
            continue
        w = part["people"].to_numpy(float)
        ox, oy = float(np.average(part["x"], weights=w)), float(np.average(part["y"], weights=w))
        p = where[sid]
        dx, dy = p.x - ox, p.y - oy
        dist = float(np.hypot(dx, dy))
        bearing = float(np.degrees(np.arctan2(dx, dy))) % 360.0  # clockwise from north
        back = min(HEAD_BACK_M, 0.3 * dist) / dist if dist > 0 else 0.0  # just before the shelter, not on it
        rows.append({"village_code": code, "shelter": names.get(sid, sid), "people": float(w.sum()),
                     "label": f"{w.sum():,.0f} 人", "x": p.x - dx * back, "y": p.y - dy * back, "angle": bearing})
    return pd.DataFrame(rows, columns=HEAD_COLUMNS)


# ------------------------------------------------------------------------------------------------ exposure
EXPOSURE_NOT_RUN = "尚未进行人口暴露分析"
EXPOSURE_NONE = "已分析：本村无人口位于风险区内"
EXPOSURE_NO_ZONES = "无风险区划数据，未能分析人口暴露"
EXPOSURE_NO_PEOPLE = "无人口数据，未能分析人口暴露"


def exposure_state(layers, exposure_rows: int, package_has_rows: bool, has_zones: bool) -> str:
    """The sentence under the empty exposure table: not analysed, analysed and none, or no data ('' with rows)."""
    if exposure_rows:
        return ""
    if "exposure" not in layers:
        return EXPOSURE_NOT_RUN
    if not has_zones:
        return EXPOSURE_NO_ZONES
    if not package_has_rows:
        return EXPOSURE_NO_PEOPLE
    return EXPOSURE_NONE


# ------------------------------------------------------------------------------------------------ sources


def source_names(pkg, layers) -> list:
    """What the package came from: the import report's files (with the layer each fed), the sample generator's
    mark, or nothing known."""
    if model.SOURCES_TABLE in layers:
        t = pkg.read(model.SOURCES_TABLE)
        if t is not None and "source" in t.columns and len(t):
            return list(dict.fromkeys(str(s) for s in t["source"] if str(s)))
    report = pkg.read("import_report", required=False) if "import_report" in layers else None
    if report is None:
        csv = Path(pkg.path) / "import_report.csv"
        if csv.is_file():
            report = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    if report is None or not len(report) or "source_file" not in report.columns:
        return []
    kept = report[report["status"].isin(("kept", "repaired"))] if "status" in report.columns else report
    out = {}
    for src, target in zip(kept["source_file"], kept.get("target_layer", [""] * len(kept))):
        spec = model.LAYER_BY_NAME.get(str(target))
        out.setdefault(Path(str(src)).stem, spec.zh if spec else "")
    return [f"{name}（{zh}）" if zh else name for name, zh in out.items()]


SOURCES_BUDGET = 100  # em: two lines of the footer's small type on A3


def sources_text(names: list, computed: list, budget: float = SOURCES_BUDGET) -> str:
    """数据来源 as the package has them; when the list is long, the first ones and how many more."""
    tail = ("；" + "、".join(computed) + "由风险隐患一张图计算" if computed else "") + "。"
    if not names:
        return "数据来源：未登记（本图包没有导入报告）" + tail
    shown = names[:1]
    for name in names[1:]:
        more = f"等 {len(names)} 个文件（见 import_report.csv）"
        if text_width("数据来源：" + "、".join(shown + [name]) + more + tail) > budget:
            break
        shown.append(name)
    more = f"等 {len(names)} 个文件（见 import_report.csv）" if len(shown) < len(names) else ""
    return "数据来源：" + "、".join(shown) + more + tail


# ------------------------------------------------------------------------------------------------ DEM footprint
DEM_NOTE = "注：图中灰色平涂部分超出高程数据范围，无地形。"


def dem_footprint(path: Path):
    """The area where the DEM has values (a shapely geometry, coarse), or None without a DEM."""
    if not Path(path).is_file():
        return None
    import numpy as np
    import rasterio
    import shapely
    from rasterio import features
    from rasterio.enums import Resampling
    with rasterio.open(path) as src:
        step = max(1, int(max(src.width, src.height) // 400))
        shape = (max(1, src.height // step), max(1, src.width // step))
        mask = src.read_masks(1, out_shape=shape, resampling=Resampling.nearest) > 0
        transform = src.transform * src.transform.scale(src.width / shape[1], src.height / shape[0])
    if mask.all():
        return shapely.box(*rasterio.transform.array_bounds(shape[0], shape[1], transform))
    polys = [shapely.geometry.shape(g) for g, v in features.shapes(mask.astype(np.uint8), mask=mask,
                                                                     transform=transform) if v]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def outside_dem(footprint, bounds, margin: float = 0.12) -> bool:
    """True when the main map's extent (the village's bounds plus the atlas margin) leaves the DEM's footprint."""
    if footprint is None:
        return False
    import shapely
    x0, y0, x1, y1 = bounds
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    extent = shapely.box(x0 - dx, y0 - dy, x1 + dx, y1 + dy)
    return extent.difference(footprint).area > 0.02 * extent.area
