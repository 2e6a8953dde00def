"""The printed village plan (村应急预案): A4, one or two pages and an appendix of the households to move.

Page 1: title, the village sheet's map (a PNG drawn by the printing door from the same sheet project the village
sheets use), the clearance figure, the gaps to fill in red, then the sections; the appendix lists every household
to move with its helper, shelter, distance and planned arrival, the last to arrive first.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.village_plan import GAP_MARK
from . import plan_pages as pp

GAP_COLOUR = "#c00000"
MAP_HEIGHT = 0.36  # of the page
APPENDIX_COLUMNS = (("住户编号", 3.2), ("人数", 1.0), ("老弱病残", 1.6), ("包保人", 2.8), ("避难场所", 2.6),
                    ("路程(米)", 1.3), ("预计到达(分钟)", 1.6))


def plan_pdf(plan, map_png, path: Path, footer: str, notes=()) -> Path:
    """Write ``plan`` (a ``village_plan.VillagePlan``) to ``path``; ``map_png``: the village sheet's map or None."""
    flow = pp.Flow(plan.title, footer, pp.font())
    flow.box.text(plan.title, size=16, bold=True)
    for note in notes:
        flow.para(note, size=8, color=GAP_COLOUR)
    if map_png is not None and Path(map_png).is_file():
        flow.image(map_png, MAP_HEIGHT, caption="本村风险隐患图（与本村一张图同源）：隐患点、危险区、避难场所、撤离路线（绿色箭头）")
    else:
        flow.para("（地图见本村风险隐患一张图）", size=8, color="#555555")
    flow.para(f"预计转移完成时间：{plan.clearance_line}", size=9.5, color="#1a5e1a")
    if plan.gaps:
        flow.para(f"待补缺口 {len(plan.gaps)} 项：" + "；".join(plan.gaps) + "。", size=9, color=GAP_COLOUR)
    for section in plan.sections:
        if section.title.startswith("五"):  # the figure is on top already; the basis follows here
            flow.heading(section.title, size=11)
            for line in section.lines[1:]:
                flow.para(line, size=8.5)
            continue
        flow.heading(section.title, size=11)
        for line in section.lines:
            flow.para(line, size=9, color=GAP_COLOUR if line.startswith(GAP_MARK) else "#000000")
        if section.table:
            header, rows = section.table
            flow.table(header, [[str(c) for c in r] for r in rows], _widths(header, rows), size=8,
                       highlight=lambda r: "#ffe5e5" if any(GAP_MARK in c for c in r) else None)
    hh = plan.households
    if hh is not None and len(hh):
        flow.heading("附表：须转移住户（最后到达的排在前面）", size=11)
        rows = [[r.household_id, str(r.people), r.vulnerable_note or "", r.helper or "", r.shelter_name or "",
                 f"{r.distance_m:.0f}", "—" if pd.isna(r.arrive_min) else f"{r.arrive_min:.0f}"]
                for r in hh.itertuples()]
        flow.table([c for c, _w in APPENDIX_COLUMNS], rows, [w for _c, w in APPENDIX_COLUMNS], size=7.5,
                   highlight=lambda r: "#ffe5e5" if GAP_MARK in r[3] else None)
    flow.para("签发：村（社区）党组织书记 __________    乡镇审核 __________    日期 __________", size=9)
    return flow.save(path, plan.title)


def _widths(header, rows) -> list:
    """Column widths from the longest text in each column (in ems), within bounds."""
    widths = []
    for k, h in enumerate(header):
        longest = max([sum(pp.char_em(c) for c in str(h))] + [sum(pp.char_em(c) for c in str(r[k])) for r in rows])
        widths.append(min(max(longest, 3.0), 22.0) + 1.0)
    return widths
