"""Province roll-ups from the county packages' own outputs: one workbook and one A3 map.

Read after a province run (every county that has the outputs, including those finished in an earlier run):
exposure by county x hazard x level, people who must move and who could not be placed, shelter shortfall and
depot reach per county. Written into ``<province>/province_summary/``: 省级汇总.xlsx and 省级风险汇总图.pdf
(counties shaded by the people at risk level 1-2 of any hazard). Nothing of Dask here: plain reading and writing.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..layers import model
from ..sample.province import PROVINCE_FILE
from .province import SUMMARY_DIR, find_counties

XLSX_NAME = "省级汇总.xlsx"
PDF_NAME = "省级风险汇总图.pdf"


def _layer(county: Path, name: str, columns=None):
    import pyogrio
    gpkg = county / model.GPKG_NAME
    if name not in {row[0] for row in pyogrio.list_layers(gpkg)}:
        return None
    return pyogrio.read_dataframe(gpkg, layer=name, columns=columns, read_geometry=False)


def county_tables(province_dir) -> dict:
    """{sheet name: DataFrame}: the roll-ups, one row per county (or county x hazard x level)."""
    exposure, moves, depots = [], [], []
    for county in find_counties(province_dir):
        head = _layer(county, "county", ["code", "name"])
        code, name = (str(head["code"].iloc[0]), str(head["name"].iloc[0])) if head is not None and len(head) \
            else ("", county.name)
        ex = _layer(county, "exposure")
        if ex is not None and len(ex):
            by = ex.groupby(["hazard_type", "risk_level"], as_index=False)[["population", "households"]].sum()
            by.insert(0, "县名称", name)
            by.insert(0, "县代码", code)
            by["hazard_type"] = [model.HAZARD_BY_KEY[h].zh if h in model.HAZARD_BY_KEY else "任一灾种"
                                 for h in by["hazard_type"]]
            exposure.append(by)
        evacuees, unserved, load = (_layer(county, n) for n in ("evacuees", "unserved", "shelter_load"))
        if evacuees is not None:
            lacking = unserved[unserved["reason"].astype(str).str.contains("capacity")] if unserved is not None \
                else None
            moves.append({"县代码": code, "县名称": name,
                          "需转移人数": float(evacuees["people"].sum()),  # the unserved are evacuees too
                          "已安置人数": float(evacuees.loc[evacuees["shelter_id"].notna(), "people"].sum()),
                          "未安置人数": _people(unserved),
                          "避难场所容量": float(load["capacity"].sum()) if load is not None else 0.0,
                          "避难场所缺口（人）": _people(lacking)})
        siting = county / "depot_siting.json"
        if siting.is_file():
            s = json.loads(siting.read_text(encoding="utf-8"))
            reach = s.get("reach_check", {}).get("county", {})
            depots.append({"县代码": code, "县名称": name, "模型": s.get("model"), "新增储备点数": s.get("n_new"),
                           "新增储备点": "、".join(x["name"] for x in s.get("new_sites", [])),
                           "平均车程（分钟）": s.get("mean_minutes"), "最远车程（分钟）": s.get("worst_minutes"),
                           "6小时内覆盖人口比例": reach.get("share")})
    columns = {"hazard_type": "灾种", "risk_level": "风险等级", "population": "人口", "households": "户数"}
    exposure = pd.concat(exposure, ignore_index=True).rename(columns=columns) if exposure else pd.DataFrame()
    return {"人口暴露（县×灾种×等级）": exposure, "转移避险": pd.DataFrame(moves), "物资储备点": pd.DataFrame(depots)}


def _people(frame) -> float:
    return float(frame["people"].sum()) if frame is not None and len(frame) else 0.0


def write_rollups(province_dir) -> list:
    """Write the workbook and the A3 map; their paths."""
    from ..layers.package import atomic_path
    province = Path(province_dir)
    out = province / SUMMARY_DIR
    tables = county_tables(province)
    with atomic_path(out / XLSX_NAME) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for sheet, frame in tables.items():
                frame.to_excel(xl, sheet_name=sheet[:31], index=False)
    with atomic_path(out / PDF_NAME) as tmp:
        summary_map(province, tables, tmp)
    return [out / XLSX_NAME, out / PDF_NAME]


def at_risk_by_county(tables: dict) -> pd.Series:
    """People at risk level 1-2 of any hazard, per county code."""
    ex = tables["人口暴露（县×灾种×等级）"]
    if ex.empty:
        return pd.Series(dtype=float)
    sel = ex[(ex["灾种"] == "任一灾种") & (ex["风险等级"] <= 2)]
    return sel.groupby("县代码")["人口"].sum()


def summary_map(province: Path, tables: dict, pdf: Path) -> None:
    """A3 landscape: the counties shaded by people at risk level 1-2, named, with the roll-up table beside."""
    import geopandas as gpd
    from matplotlib import colormaps
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patheffects import withStroke
    from .exposure_charts import cjk_font_path
    font = FontProperties(fname=cjk_font_path())
    frames = [gpd.read_file(c / model.GPKG_NAME, layer="county") for c in find_counties(province)]
    counties = pd.concat(frames, ignore_index=True)
    at_risk = at_risk_by_county(tables)
    counties["at_risk"] = counties["code"].astype(str).map(at_risk).fillna(0.0)
    fig = Figure(figsize=(16.54, 11.69))  # A3 landscape, inches
    FigureCanvasPdf(fig)
    fig.text(0.5, 0.955, "全省风险隐患汇总图（风险等级 1-2 级人口，任一灾种）", ha="center", fontsize=22,
             fontproperties=font)
    ax = fig.add_axes([0.03, 0.06, 0.6, 0.86])
    norm = Normalize(0, max(1.0, float(counties["at_risk"].max())))
    cmap = colormaps["YlOrRd"]
    for geom, value in zip(counties.geometry, counties["at_risk"]):
        gpd.GeoSeries([geom]).plot(ax=ax, color=cmap(norm(value)), edgecolor="#444444", linewidth=0.6)
    boundary = province / PROVINCE_FILE  # optional: the province's own outline, drawn over the counties
    if boundary.is_file():
        gpd.read_file(boundary).to_crs(counties.crs).boundary.plot(ax=ax, color="#222222", linewidth=1.6)
    for geom, name, value in zip(counties.geometry, counties["name"], counties["at_risk"]):
        p = geom.representative_point()
        ax.text(p.x, p.y, f"{name}\n{value:,.0f} 人", ha="center", va="center", fontproperties=font, size=12,
                path_effects=[withStroke(linewidth=3, foreground="white")])  # readable on any shade
    ax.set_aspect("equal")
    ax.set_axis_off()
    from matplotlib.cm import ScalarMappable
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.03, pad=0.01)
    bar.set_label("风险等级 1-2 级人口（人）", fontproperties=font)
    _table(fig, tables, font)
    fig.text(0.03, 0.02, f"共 {len(counties)} 个县；数据来自各县一张图包的分析结果", fontsize=10, fontproperties=font)
    fig.savefig(pdf, format="pdf")


def _table(fig, tables: dict, font) -> None:
    moves = tables["转移避险"]
    ex = at_risk_by_county(tables)
    rows = []
    for _, r in moves.iterrows():
        rows.append([r["县名称"], f"{ex.get(r['县代码'], 0.0):,.0f}", f"{r['需转移人数']:,.0f}",
                     f"{r['未安置人数']:,.0f}", f"{r['避难场所缺口（人）']:,.0f}"])
    ax = fig.add_axes([0.66, 0.1, 0.32, 0.8])
    ax.set_axis_off()
    if not rows:
        ax.text(0, 1, "尚无转移避险结果", fontproperties=font, va="top")
        return
    rows = rows[:40]  # the workbook has them all
    table = ax.table(cellText=rows, colLabels=["县", "1-2级人口", "需转移", "未安置", "容量缺口"], loc="upper center",
                     cellLoc="center")
    table.auto_set_font_size(False)
    for cell in table.get_celld().values():
        cell.set_text_props(fontproperties=font, fontsize=11)
    table.scale(1, 1.6)
