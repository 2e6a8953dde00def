"""What the county depot siting sheet (应急物资储备点选址图) says: texts, the depot table, village drive times.

Pure (pandas, geopandas): no qgis. Read from the package the results ``risk-one-map site-depots`` wrote
(``depot_sites``, ``depot_allocation`` and ``depot_siting.json``); ``depot_sheet.py`` puts them on the page.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ..errors import RiskOneMapError
from ..layers.package import Package
from .sheet_data import DASH, _text

SUMMARY_NAME = "depot_siting.json"  # as jobs/siting.py writes it (not imported: that module needs the solvers)
RUN_FIRST = "no depot siting results in this package: run `risk-one-map site-depots DIR --model pmedian -k 3` first"
MODEL_ZH = {"pmedian": "P-中位模型（人口加权车程最短）", "mclp": "最大覆盖模型（时限内覆盖人口最多）",
            "lscp": "集合覆盖模型（最少新增点覆盖全部人口）", "pcenter": "P-中心模型（最远车程最短）"}
DEMAND_ZH = {"population": "常住人口", "exposure": "1-3级风险区暴露人口"}
# objective_unit of depot_siting.json -> (what the objective is, its unit, whether larger is better)
OBJECTIVE_ZH = {"person-minutes": ("人口加权总车程", "人·分钟", False),
                "people within T": ("时限内覆盖人口", "人", True),
                "new depots": ("新增储备点数", "处", False),
                "minutes (worst)": ("最远车程", "分钟", False)}
STATUS_ZH = {"new": "新建", "existing": "现有"}
NICE_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240)  # minutes between drive-time classes
MAX_CLASSES = 6
# Light (near) to dark (far), ColorBrewer YlGnBu: away from the roads' orange and the depots' purple.
MINUTE_COLOURS = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8")
TABLE_COLUMNS = (("name", "储备点名称", 36), ("status", "类型", 9), ("villages", "服务村数", 12),
                 ("people", "服务人口", 14), ("mean", "平均车程", 13), ("worst", "最远车程", 13))
TOTAL = "合计"
MODEL_MEANS = {"pmedian": "P-中位：在候选址中新建 k 处，使全县人口到所属储备点的车程按人口加权之和最小。",
               "mclp": "最大覆盖：在候选址中新建 k 处，使时限内能送达的人口最多。",
               "lscp": "集合覆盖：用最少的新建储备点，使全部人口都在时限内能送达。",
               "pcenter": "P-中心：在候选址中新建 k 处，使车程最远的村的车程最短。"}
# Words of the solver names jobs/siting.py reports, in Chinese for the sheet (anything else stays as it is).
SOLVER_ZH = (("fast-swap interchange", "快速交换启发式"), (" on Lagrangian-reduced pairs", "（拉格朗日约简后）"),
             ("Lagrangian branch and bound", "拉格朗日分支定界"), (" on reduced pairs", "（约简后）"),
             ("Lagrangian bound", "拉格朗日下界"), ("and reductions", "及约简"), ("fast swap", "快速交换"),
             ("radius search", "半径搜索"), ("set-cover MILP", "集合覆盖整数规划"), ("HiGHS MILP", "HiGHS 整数规划"),
             (" (coverage)", "（覆盖）"), (" (set cover)", "（集合覆盖）"), (" (capacitated p-median)", "（有容量 P-中位）"),
             ("all sites open", "全部候选址开放"))


@dataclass
class DepotSheetData:
    variables: dict          # layout variables the template's labels read: depot_title, depot_result, ...
    depots: pd.DataFrame     # one row per open depot: TABLE_COLUMNS' fields, text
    villages: object         # GeoDataFrame: code, name, township_code, depot, minutes (NaN: not served), people
    breaks: list             # upper bounds of the drive-time classes, minutes
    summary: dict            # depot_siting.json as read
    crs: object = None
    notes: list = field(default_factory=list)

    @property
    def county(self) -> str:
        return self.variables["depot_county"]

    @property
    def n_depots(self) -> int:
        return int((self.depots["name"] != TOTAL).sum()) if len(self.depots) else 0

    def class_labels(self) -> list:
        return class_labels(self.breaks, self.villages["minutes"], self.villages["people"])


def number(x, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return DASH
    return f"{x:,.{digits}f}"


def percent(share) -> str:
    return DASH if share is None else f"{100 * share:.1f}%"


def minute_breaks(minutes, t_limit: Optional[float] = None) -> list:
    """Upper bounds of equal drive-time classes in a round step (at most MAX_CLASSES), covering the worst time;
    the model's time limit T becomes a bound too, so the map shows who is inside it."""
    values = np.asarray([m for m in minutes if m is not None and np.isfinite(m)], float)
    worst = float(values.max()) if values.size else 0.0
    worst = max(worst, 1e-9)
    step = next((s for s in NICE_STEPS if math.ceil(worst / s) <= MAX_CLASSES), None)
    if step is None:
        step = math.ceil(worst / MAX_CLASSES / 60.0) * 60
    bounds = [step * i for i in range(1, math.ceil(worst / step) + 1)]
    if t_limit is not None and 0 < t_limit < bounds[-1] and t_limit not in bounds:
        bounds = sorted(bounds + [float(t_limit)])
    return [float(b) for b in bounds]


def class_labels(breaks, minutes=None, people=None) -> list:
    """Legend words of the drive-time classes; with ``minutes`` and ``people`` (per village) also how many villages
    and people each class holds."""
    out, lower = [], 0.0
    for b in breaks:
        label = f"≤ {b:g} 分钟" if lower == 0 else f"{lower:g} – {b:g} 分钟"
        if minutes is not None:
            m = np.asarray(minutes, float)
            inside = (m > lower if lower else m >= 0) & (m <= b)
            label += f"：{int(inside.sum())} 村 {number(float(np.asarray(people, float)[inside].sum()))} 人"
        out.append(label)
        lower = b
    return out


def class_colours(n: int) -> list:
    """``n`` colours spread over MINUTE_COLOURS, lightest first."""
    if n <= 1:
        return [MINUTE_COLOURS[2]]
    idx = np.round(np.linspace(0, len(MINUTE_COLOURS) - 1, n)).astype(int)
    return [MINUTE_COLOURS[i] for i in idx]


# ------------------------------------------------------------------------------------------------ reading
def missing_results(pkg: Package) -> Optional[RiskOneMapError]:
    """The error telling to run site-depots when the package lacks its results (layers or summary), else None."""
    names = set(pkg.layer_names())
    if "depot_sites" not in names or "depot_allocation" not in names:
        return RiskOneMapError(RUN_FIRST, file=pkg.gpkg, layer="depot_sites")
    if not (pkg.path / SUMMARY_NAME).is_file():
        return RiskOneMapError(RUN_FIRST, file=pkg.path / SUMMARY_NAME)
    return None


def read_results(pkg: Package):
    """(summary dict, depot_sites, depot_allocation); RiskOneMapError telling to run site-depots when absent."""
    missing = missing_results(pkg)
    if missing is not None:
        raise missing
    path = pkg.path / SUMMARY_NAME
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RiskOneMapError(f"cannot read the siting summary ({exc}); run `risk-one-map site-depots` again",
                              file=path) from exc
    if not isinstance(summary, dict) or "model" not in summary:
        raise RiskOneMapError("not a siting summary; run `risk-one-map site-depots` again", file=path)
    return summary, pkg.read("depot_sites"), pkg.read("depot_allocation")


def build_depot_data(package_dir, compile_unit: Optional[str] = None, date: Optional[str] = None) -> DepotSheetData:
    """Read the package's siting results and compose every text, table row and class of the sheet."""
    pkg = Package(package_dir).require()
    summary, sites, alloc = read_results(pkg)
    county = pkg.read("county", required=False)
    county_name = _text(county["name"].iloc[0], "") if county is not None and len(county) else ""
    villages = pkg.read("villages")
    date = date or _dt.date.today().strftime("%Y年%m月")
    unit = compile_unit or (f"{county_name}应急管理局" if county_name else "县（区）应急管理局")
    notes = []

    alloc = alloc.assign(village_code=alloc["village_code"].map(_text),
                         time_min=pd.to_numeric(alloc["time_min"], errors="coerce"),
                         population=pd.to_numeric(alloc["population"], errors="coerce").fillna(0.0))
    first = alloc.drop_duplicates("village_code").set_index("village_code")
    codes = villages["code"].map(_text)
    vil = villages[["geometry"]].copy()
    vil["code"], vil["name"] = codes.to_numpy(), villages["name"].map(_text).to_numpy()
    vil["township_code"] = villages["parent_code"].map(_text).to_numpy() if "parent_code" in villages else DASH
    vil["depot"] = codes.map(first["depot_name"].map(_text)).fillna(DASH).to_numpy()
    vil["minutes"] = codes.map(first["time_min"]).astype(float).to_numpy()
    vil["people"] = codes.map(first["population"]).astype(float).fillna(0.0).to_numpy()
    unserved = int(vil["minutes"].isna().sum())
    if unserved:
        notes.append(f"{unserved} villages have no depot (no demand or no route): drawn grey")

    t_limit = summary.get("max_minutes")
    breaks = minute_breaks(vil["minutes"], t_limit if summary.get("model") in ("mclp", "lscp") else None)
    depots = _depot_rows(sites, alloc)
    variables = {
        "depot_county": county_name or "本县",
        "depot_subtitle": _subtitle(summary, date),
        "depot_result": result_text(summary),
        "depot_unit": unit, "depot_date": date,
        "depot_sources": _sources(summary),
    }
    return DepotSheetData(variables=variables, depots=depots, villages=vil, breaks=breaks, summary=summary,
                          crs=villages.crs, notes=notes)


def _depot_rows(sites, alloc) -> pd.DataFrame:
    """The depot table: new sites first, then existing ones; each by people served."""
    alloc = alloc.assign(_w=alloc["population"] * alloc["time_min"], depot_id=alloc["depot_id"].map(_text))
    per = alloc.groupby("depot_id").agg(n=("village_code", "size"), people=("population", "sum"),
                                        w=("_w", "sum"), worst=("time_min", "max"))
    rows = []
    for _, s in sites.iterrows():
        sid = _text(s.get("id"))
        p = per.loc[sid] if sid in per.index else None
        people = float(p["people"]) if p is not None else 0.0
        mean = float(p["w"] / people) if p is not None and people > 0 else float("nan")
        status = _text(s.get("status"), "")
        rows.append({"name": _text(s.get("name")), "status": STATUS_ZH.get(status, status or DASH),
                     "villages": str(int(p["n"])) if p is not None else "0", "people": number(people),
                     "mean": number(mean, 1), "worst": number(float(p["worst"]) if p is not None else None, 1),
                     "_new": status == "new", "_people": people})
    frame = pd.DataFrame(rows, columns=[c for c, _h, _w in TABLE_COLUMNS] + ["_new", "_people"])
    frame = frame.sort_values(["_new", "_people"], ascending=[False, False], kind="stable")
    people = float(alloc["population"].sum())
    total = {"name": TOTAL, "status": f"{len(frame)} 处", "villages": str(int(per["n"].sum()) if len(per) else 0),
             "people": number(people), "mean": number(float(alloc["_w"].sum()) / people if people > 0 else None, 1),
             "worst": number(float(alloc["time_min"].max()) if len(alloc) else None, 1)}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return frame[[c for c, _h, _w in TABLE_COLUMNS]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ texts
def _subtitle(s: dict, date: str) -> str:
    model = s.get("model")
    parts = [MODEL_ZH.get(model, _text(s.get("model_name")))]
    n_new = s.get("n_new", len(s.get("new_sites") or []))
    # No "k = 3" or "T = 30": Qt writes digits shaped in a Latin run without their text, unsearchable in the PDF.
    parts.append(f"新增储备点 {n_new if model == 'lscp' else s.get('k')} 处")
    if s.get("max_minutes") is not None and model in ("mclp", "lscp"):
        parts.append(f"时限 {s['max_minutes']:g} 分钟")
    parts.append(f"需求：{DEMAND_ZH.get(s.get('demand'), _text(s.get('demand')))}")
    parts.append(date)
    return "　｜　".join(parts)


def result_text(s: dict) -> str:
    """The solver's result in plain words, one statement a line, under three headings."""
    model = s.get("model")
    what, unit, larger_better = OBJECTIVE_ZH.get(s.get("objective_unit"), ("目标值", "", False))
    kept = s.get("n_existing_kept")
    new = [x.get("name", DASH) for x in s.get("new_sites") or []]
    lines = ["【选址结果】", f"模型：{MODEL_ZH.get(model, _text(s.get('model_name')))}",
             f"新建 {len(new)} 处" + (f"（{'、'.join(new)}）" if new else "")
             + (f"，保留现有 {kept} 处" if kept is not None else "") + "。"]
    objective, bound, gap = s.get("objective"), s.get("bound"), s.get("gap")
    digits = 1 if model == "pcenter" else 0
    line = f"目标值（{what}）：{number(objective, digits)} {unit}".rstrip()
    if bound is not None:
        line += f"；{'上界' if larger_better else '下界'} {number(bound, digits)}"
    if s.get("optimal"):
        line += "；已证明最优。"
    elif gap is not None:
        line += f"；未证明最优，差距 {100 * gap:.3g}%（求解时限内的最好结果）。"
    else:
        line += "；未证明最优（没有可用的界）。"
    lines.append(line)
    lines.append(f"需求：{DEMAND_ZH.get(s.get('demand'), '人口')} {number(s.get('total_demand'))} 人，"
                 f"{s.get('n_villages', DASH)} 个村；平均车程 {number(s.get('mean_minutes'), 1)} 分钟，"
                 f"最远 {number(s.get('worst_minutes'), 1)} 分钟。")
    if s.get("share_within_T") is not None and s.get("max_minutes") is not None:
        lines.append(f"时限 {s['max_minutes']:g} 分钟内可送达人口占 {percent(s['share_within_T'])}。")
    lines += _reach_lines(s.get("reach_check") or {})
    lines.append("【说明】")
    if model in MODEL_MEANS:
        lines.append(MODEL_MEANS[model])
    lines.append("差距为目标值与最优值之界的相对差；差距为 0 时，结果就是最优解。")
    if str(s.get("costs", "")).startswith("straight line"):
        lines.append("注意：包内没有道路数据，车程按直线距离估算。")
    else:
        lines.append("车程沿道路按各级道路车速计算，村到最近道路按步行速度计。")
    seconds = s.get("solve_seconds")
    lines.append(f"求解器：{solver_text(s.get('solver'))}"
                 + (f"，用时 {seconds:.2f} 秒" if isinstance(seconds, (int, float)) else "") + "。")
    return "\n".join(lines)


def _reach_lines(reach: dict) -> list:
    """The 2024 guidance check: share of people reached within 6 h (county), 8 h (city), 10 h (province)."""
    parts = []
    for key in ("county", "city", "province"):
        chk = reach.get(key)
        if chk:
            parts.append(f"{chk.get('zh', key)} {chk.get('limit_h', DASH):g} 小时内 {percent(chk.get('share'))}")
    if not parts:
        return []
    lines = ["【首批物资送达时限检验（2024年指导意见）】", "人口占比：" + "，".join(parts) + "。"]
    beyond = (reach.get("county") or {}).get("villages_beyond") or []
    if beyond:
        lines.append(f"超出县级时限的村：{'、'.join(beyond[:8])}{'等' if len(beyond) > 8 else ''}"
                     f"（共 {len(beyond)} 个）。")
    return lines


def solver_text(solver) -> str:
    text = _text(solver)
    for en, zh in SOLVER_ZH:
        text = text.replace(en, zh)
    return text


def _sources(s: dict) -> str:
    people = "人口暴露分析（1-3级风险区）" if s.get("demand") == "exposure" else "村人口"
    return f"数据来源：行政区划、道路、应急物资储备点及候选址台账、{people}；选址与车程由风险隐患一张图计算。"
