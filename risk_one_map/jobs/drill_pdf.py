"""The printed drill plan (演练方案) and evaluation (演练评估): A4, plain pages; the evaluation's map shows the
bottlenecks (households not reached, not arrived, or late) over the village, its roads and shelters."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..layers import model
from . import plan_pages as pp
from .warning_sheet import _patch

RESULT_COLOUR = {"按时": "#1a9641", "未通知到": "#c00000", "未到达": "#ff8c00", "晚到": "#c51b7d"}


def drill_plan_pdf(d, plan, inputs, path: Path) -> Path:
    event = model.WARNING_EVENT_OF_HAZARD.get(d.hazard, model.HAZARD_BY_KEY[d.hazard].zh)
    title = f"{plan.name}{event}{model.WARNING_LEVEL_ZH[d.level]}预警演练方案"
    flow = pp.Flow(title, inputs.footer, pp.font())
    flow.box.text(title, size=15, bold=True)
    flow.para(f"演练编号：{d.drill_id}    时间：{d.start}", size=9)
    flow.heading("一、情景")
    flow.para(d.scenario)
    flow.heading("二、时间线（分钟，自发布预警起）")
    flow.table(("时间", "做什么", "谁"), [(f"T+{m:.0f}", what, who) for m, what, who in d.timeline], (2, 12, 5))
    flow.heading("三、角色")
    flow.table(("岗位", "人员"), d.roles or [("—", "【待补】名单中没有本村岗位人员")], (4, 16))
    flow.heading("四、目标")
    flow.para(f"须通知 {len(d.targets)} 户；{d.target_min:.0f} 分钟内全部到达避难场所"
              f"（依据本村预计转移完成时间，向上取整到 5 分钟）。{plan.clearance_line}")
    for gap in d.gaps:
        flow.para(f"【待补】{gap}", color="#c00000")
    flow.heading("五、检查清单")
    for item in d.checklist:
        flow.para(f"□ {item}")
    flow.heading("六、须通知的住户（演练记录表，计划到达最晚的在前）")
    rows = [(r.household_id, str(r.people), "是" if r.vulnerable else "", r.helper or "", r.shelter_name or "",
             "—" if pd.isna(r.planned_min) else f"{r.planned_min:.0f}", "", "")
            for r in d.targets.itertuples()]
    flow.table(("住户编号", "人数", "老弱病残", "包保人", "避难场所", "计划到达", "通知到", "到达"), rows,
               (3.2, 1, 1.5, 2, 3, 1.5, 1.5, 1.5), size=7.5)
    return flow.save(path, title)


def evaluation_pdf(ev, drill_row, inputs, path: Path) -> Path:
    title = f"{drill_row['village_name']}演练评估（{drill_row['drill_id']}）"
    flow = pp.Flow(title, inputs.footer, pp.font())
    flow.box.text(title, size=15, bold=True)
    for line in ev.summary_lines():
        flow.para(line, size=9.5)
    _map(flow.axes(0.38), ev, inputs, drill_row["village_code"], flow.font)
    flow.heading("逐户对比（卡点在前）")
    rows = [(r.household_id, "—" if pd.isna(r.planned_min) else f"{r.planned_min:.0f}",
             "—" if pd.isna(r.reached_min) else f"{r.reached_min:.0f}",
             "—" if pd.isna(r.arrived_min) else f"{r.arrived_min:.0f}", r.result) for r in ev.rows.itertuples()]
    flow.table(("住户编号", "计划到达(分钟)", "通知到(分钟)", "实际到达(分钟)", "结果"), rows, (4, 2, 2, 2, 3),
               size=7.5, highlight=lambda r: None if r[4] == "按时" else "#ffe5e5")
    return flow.save(path, title)


def _map(ax, ev, inputs, code, font) -> None:
    villages = inputs.layers["villages"]
    village = villages[villages["code"] == code]
    for g in village.geometry:
        _patch(ax, g, facecolor="#f4f4f4", edgecolor="#777777", lw=0.8)
    rows = ev.rows
    kind = rows["result"].map(lambda r: next((k for k in RESULT_COLOUR if str(r).startswith(k)), "按时"))
    for result, group in rows.groupby(kind):
        pts = [g for g in group.geometry if g is not None and not g.is_empty]
        if pts:
            ax.scatter([p.x for p in pts], [p.y for p in pts], s=6 if result == "按时" else 16,
                       c=RESULT_COLOUR[result], label=f"{result} {len(pts)} 户", zorder=3)
    shelters = inputs.layers.get("shelters")
    if shelters is not None and len(shelters):
        used = set(rows["shelter_name"])
        s = shelters[shelters["name"].isin(used)]
        ax.scatter(s.geometry.x, s.geometry.y, marker="s", s=40, c=model.SHELTER_COLOUR, label="避难场所", zorder=4)
        for p, name in zip(s.geometry, s["name"]):
            ax.annotate(name, (p.x, p.y), fontproperties=font, fontsize=7, xytext=(4, 4), textcoords="offset points")
    # The households and their shelters, with a margin: the village may be far larger than its evacuation zones.
    import shapely
    pts = [g for g in rows.geometry if g is not None] + (list(s.geometry) if shelters is not None and len(shelters)
                                                         else [])
    minx, miny, maxx, maxy = (shapely.union_all(pts).buffer(300).bounds if pts else village.total_bounds)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(prop=font, fontsize=7, loc="best")
    ax.set_xlabel("卡点分布：红 未通知到，橙 未到达，紫红 晚到，绿 按时；绿方块为避难场所", fontproperties=font,
                  fontsize=8)
