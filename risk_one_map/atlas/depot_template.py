"""The county depot siting sheet (应急物资储备点选址图), built in code: what scripts/make_layouts.py writes to
resources/layouts/depots_a3.qpt and depots_a4.qpt.

One landscape page: the whole county on the left; legend, the solver's result and the depot table on the right;
sources and compiling unit under the frame. Texts come from layout variables (``@depot_county``,
``@depot_result`` ..., set by ``depot_sheet.py`` from ``depot_data.py``); the table is an attribute table over
the ``sheet_depots`` layer. Items are found by the ids below, so a county office may move, restyle or delete any
of them in QGIS's layout designer (all but the main map). Needs QGIS (not the GUI).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import templates as T
from .depot_data import TABLE_COLUMNS
from .templates import Box

PAGES = ("A3", "A4")
LAYOUT_NAME = "应急物资储备点选址图"
DEPOT_TABLE, RESULT_BOX, RESULT_TITLE, RESULT_TEXT = "depot_table", "result_box", "result_title", "result_text"
SHEET_DEPOTS = "sheet_depots"
TABLE = (SHEET_DEPOTS, "储备点一览（车程：分钟）", "没有开放的储备点", TABLE_COLUMNS)


@dataclass(frozen=True)
class DepotPage(T.SheetSpec):
    """The depot sheet on one paper size: a SheetSpec plus the result box, the depot table and the sources."""
    result: Box
    table: Box
    sources: Box


A3 = DepotPage(
    name="A3", size="A3", landscape=True, width=420.0, height=297.0, frame=Box(10, 8, 400, 276),
    title=Box(10, 10, 400, 12), subtitle=Box(10, 22, 400, 6), main_map=Box(16, 31, 262, 249),
    legend=Box(284, 31, 122, 64), legend_columns=2, result=Box(284, 100, 122, 88), table=Box(284, 199, 122, 81),
    sources=Box(10, 286, 200, 8), footer=Box(212, 286, 198, 8), title_pt=24, text_pt=9, table_pt=8)
A4 = DepotPage(
    name="A4", size="A4", landscape=True, width=297.0, height=210.0, frame=Box(7, 6, 283, 194),
    title=Box(7, 7.5, 283, 9), subtitle=Box(7, 16, 283, 4.5), main_map=Box(11, 22, 184, 175),
    legend=Box(199, 22, 87, 44), legend_columns=2, result=Box(199, 70, 87, 63), table=Box(199, 141, 87, 56),
    sources=Box(7, 201.5, 150, 6), footer=Box(158, 201.5, 132, 6), title_pt=17, text_pt=6.4, table_pt=5.8)
SPECS = {"A3": A3, "A4": A4}


def spec_for(page: str) -> DepotPage:
    return T.pick_page(SPECS, page)


def template_path(page: str) -> Path:
    return T.LAYOUT_DIR / f"depots_{spec_for(page).name.lower()}.qpt"


def build_layout(project, page: str = "A3"):
    """A new QgsPrintLayout of the depot siting sheet for ``page`` (layers and texts are bound at print time)."""
    from qgis.core import QgsLayoutMultiFrame, QgsLayoutTable
    from qgis.PyQt.QtCore import Qt
    spec = spec_for(page)
    layout = T.new_layout(project, spec, f"{LAYOUT_NAME} {spec.name}")
    T._label(layout, T.TITLE, "[% @depot_county %]应急物资储备点选址图", spec.title, spec.title_pt, bold=True,
             centre=True)
    T._label(layout, T.SUBTITLE, "[% @depot_subtitle %]", spec.subtitle, spec.text_pt + 1, centre=True,
             colour="#333333")
    main = T._main_map(layout, spec)
    main.setAtlasDriven(False)
    T._legend(layout, spec, main)
    T._scale_and_north(layout, spec, main)
    table = T._table(layout, spec, DEPOT_TABLE, spec.table, TABLE)
    table.setFilterFeatures(False)
    table.setResizeMode(QgsLayoutMultiFrame.UseExistingFrames)  # one page: the printer shrinks the type instead
    columns = table.columns()
    for col in columns[2:]:  # the numbers
        col.setHAlignment(Qt.AlignRight)
    table.setColumns(columns)
    table.setCellStyle(QgsLayoutTable.LastRow, T.cell_style("#eef2f7"))  # the 合计 row
    _result_box(layout, spec)
    T._label(layout, T.SOURCES, "[% @depot_sources %]", spec.sources, spec.text_pt - 1, colour="#555555")
    T._label(layout, T.FOOTER, "编制单位：[% @depot_unit %]　　编制日期：[% @depot_date %]", spec.footer,
             spec.text_pt, right=True)
    return layout


def _result_box(layout, spec: DepotPage) -> None:
    """A titled, lightly filled box with the solver's result in plain words."""
    from qgis.core import QgsFillSymbol, QgsLayoutItemShape
    r = spec.result
    box = QgsLayoutItemShape(layout)
    box.setShapeType(QgsLayoutItemShape.Rectangle)
    box.setSymbol(QgsFillSymbol.createSimple({"color": "#f5f7fb", "outline_color": "#5b6f8f",
                                              "outline_width": "0.35"}))
    box.setId(RESULT_BOX)
    layout.addLayoutItem(box)
    T._place(box, r)
    head = 6.0 if spec.name == "A3" else 4.5
    T._label(layout, RESULT_TITLE, "选址结果与送达时限检验", Box(r.x, r.y + 0.5, r.w, head), spec.text_pt + 1.5,
             bold=True, centre=True, colour="#1f3a5f")
    T._label(layout, RESULT_TEXT, "[% @depot_result %]", Box(r.x + 1.5, r.y + head + 1, r.w - 3, r.h - head - 2),
             spec.text_pt)


def write_template(page: str, path=None) -> Path:
    """Build the layout for ``page`` and save it as a .qpt (what scripts/make_layouts.py calls)."""
    from qgis.core import QgsProject
    project = QgsProject()  # alive while the layout is saved
    return T.save_template(build_layout(project, page), Path(path) if path else template_path(page))
