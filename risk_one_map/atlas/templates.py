"""The village sheet layouts, built in code: what scripts/make_layouts.py writes to resources/layouts/*.qpt.

The .qpt files are what the exporter loads (``QgsLayout.loadFromTemplate``), so a county office can move, resize
or restyle anything in QGIS's layout designer. The code that fills a sheet finds items only by the ids below;
every text comes from the atlas feature (the ``sheet_villages`` layer of ``sheet_layers.py``) through
expressions such as ``[% "title" %]``, and every table is an attribute table over a ``sheet_*`` layer filtered
to the atlas village. Needs QGIS (not the GUI).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..layers import model

LAYOUT_DIR = Path(__file__).resolve().parent.parent / "resources" / "layouts"
PAGES = ("A3", "A4")
DEFAULT_FONT = "Noto Sans CJK SC"  # replaced at load time by the CJK family this machine has

# Item ids the code fills (also the names shown in the designer's item list).
FRAME, TITLE, SUBTITLE = "frame", "title", "subtitle"
MAIN_MAP, LOCATOR_MAP, LOCATOR_TITLE = "main_map", "locator_map", "locator_title"
LEGEND, SCALEBAR, SCALE_TEXT, NORTH_ARROW = "legend", "scalebar", "scale_text", "north_arrow"
HAZARD_TABLE, SHELTER_TABLE, PERSON_TABLE, EXPOSURE_TABLE = "hazard_table", "shelter_table", "person_table", "exposure_table"
CARD_BOX, CARD_TITLE, CARD_SIGNALS, CARD_TEXT = "card_box", "card_title", "card_signals", "card_text"
CARD_ALERT, EXPOSURE_NOTE = "card_alert", "exposure_note"
ROUTE_NOTE, POPULATION_TEXT, SOURCES, FOOTER = "route_note", "population_text", "sources", "footer"

# Sheet layers (built by layout.sheet_layers) the tables read, and their columns: (field, heading, share of the
# frame's width). Widths are fixed so that every page's table fills its frame the same way.
SHEET_VILLAGES = "sheet_villages"
TABLES = {
    HAZARD_TABLE: ("sheet_hazards", "隐患清单", "本村无登记的隐患点", (
        ("name", "名称", 22), ("kind", "类型", 11), ("level", "险情等级", 11), ("households", "威胁户数", 9),
        ("people", "威胁人数", 9), ("monitor", "监测人", 10), ("phone", "电话", 17))),
    SHELTER_TABLE: ("sheet_shelters", "避难场所", "无可用避难场所", (
        ("name", "名称", 30), ("class", "类别", 9), ("capacity", "容纳人数", 11), ("assigned", "安置人数", 15),
        ("distance", "距离(步行/直线)", 16))),
    PERSON_TABLE: ("sheet_persons", "责任人及电话（叫应名单）", "未登记责任人", (
        ("role", "职务", 34), ("name", "姓名", 14), ("phone", "电话", 22))),
    # The empty exposure table says nothing itself: the village's exposure_note (not analysed / analysed, none /
    # no data) is written over its empty row.
    EXPOSURE_TABLE: ("sheet_exposure", "人口暴露（人）", " ", (
        ("hazard", "灾种", 22),) + tuple((f"l{lv}", model.FIVE_LEVEL_LABELS[lv] + "风险", 10) for lv in (1, 2, 3, 4, 5))
        + (("total", "合计", 11),)),
}
TABLE_FILTER = "\"village_code\" = attribute(@atlas_feature, 'code')"
WARNING_SIGNALS = (
    "预警信号：蓝色（一般）、黄色（较重）、橙色（严重）、红色（特别严重）。发布方式：广播、鸣锣、吹哨、电话、"
    "短信/微信、入户敲门。听到预警立即按撤离路线转移，到安置地点报到，险情解除前不得返回。")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class SheetSpec:
    """What every sheet's page has, where it goes (mm from the page's top-left corner) and the type sizes (pt):
    all the shared builders below (frame, labels, main map, legend, scale bar, tables) read."""
    name: str
    size: str
    landscape: bool
    width: float
    height: float
    frame: Box
    title: Box
    subtitle: Box
    main_map: Box
    legend: Box
    legend_columns: int
    footer: Box
    title_pt: float
    text_pt: float
    table_pt: float


@dataclass(frozen=True)
class PageSpec(SheetSpec):
    """The village sheet on one paper size: a SheetSpec plus the locator map, tables, card and population line."""
    locator: Box
    tables: dict  # item id -> Box of its first frame (the title label sits just above it)
    card: Box
    population: Box


A3 = PageSpec(
    name="A3", size="A3", landscape=True, width=420.0, height=297.0,
    frame=Box(10, 8, 400, 276), title=Box(10, 10, 400, 12), subtitle=Box(10, 22, 400, 6),
    main_map=Box(16, 32, 246, 188), locator=Box(268, 36, 60, 62), legend=Box(331, 31, 75, 67), legend_columns=2,
    tables={HAZARD_TABLE: Box(268, 108, 138, 50), SHELTER_TABLE: Box(268, 166, 138, 38),
            PERSON_TABLE: Box(268, 212, 138, 68), EXPOSURE_TABLE: Box(160, 232, 102, 36)},
    card=Box(16, 226, 140, 56), population=Box(160, 269, 102, 12), footer=Box(150, 286, 260, 8),
    title_pt=24, text_pt=8, table_pt=7)

A4 = PageSpec(
    name="A4", size="A4", landscape=False, width=210.0, height=297.0,
    frame=Box(8, 8, 194, 276), title=Box(8, 10, 194, 9), subtitle=Box(8, 19, 194, 5),
    main_map=Box(12, 28, 186, 106), locator=Box(12, 142, 40, 40), legend=Box(55, 137, 143, 45), legend_columns=3,
    tables={HAZARD_TABLE: Box(12, 192, 92, 26), SHELTER_TABLE: Box(12, 227, 92, 20),
            PERSON_TABLE: Box(108, 192, 90, 40), EXPOSURE_TABLE: Box(12, 256, 92, 26)},
    card=Box(108, 236, 90, 46), population=Box(36, 250, 68, 6), footer=Box(112, 286, 90, 7),
    title_pt=17, text_pt=6.5, table_pt=5.8)
SPECS = {"A3": A3, "A4": A4}


def spec_for(page: str) -> PageSpec:
    return pick_page(SPECS, page)


def pick_page(specs: dict, page: str):
    """The spec of ``page`` (A3 or A4, any case) in ``specs``; a one-line error for any other page."""
    key = str(page).upper()
    if key not in specs:
        from ..errors import RiskOneMapError
        raise RiskOneMapError(f"unknown page {page!r}; use {' or '.join(specs)}")
    return specs[key]


def template_path(page: str) -> Path:
    return LAYOUT_DIR / f"village_{spec_for(page).name.lower()}.qpt"


# ------------------------------------------------------------------------------------------------ building
def build_layout(project, page: str = "A3"):
    """A new QgsPrintLayout of the village sheet for ``page`` (no layers bound yet: the exporter binds them)."""
    from qgis.core import QgsLayoutObject, QgsProperty
    from qgis.PyQt.QtCore import Qt
    spec = spec_for(page)
    layout = new_layout(project, spec, f"村风险隐患一张图 {spec.name}")
    _label(layout, TITLE, '[% "title" %]', spec.title, spec.title_pt, bold=True, centre=True)
    _label(layout, SUBTITLE, '[% "subtitle" %]', spec.subtitle, spec.text_pt + 1, centre=True, colour="#333333")
    main = _main_map(layout, spec)
    _locator(layout, spec)
    _legend(layout, spec, main)
    _scale_and_north(layout, spec, main)
    for item_id, box in spec.tables.items():
        _table(layout, spec, item_id, box)
    ex = spec.tables[EXPOSURE_TABLE]
    head = spec.table_pt * 0.3528 * 1.2 + 2 * (0.7 if spec.name == "A3" else 0.4)  # the header row's height
    note = _label(layout, EXPOSURE_NOTE, '[% "exposure_note" %]', Box(ex.x, ex.y + head - 0.2, ex.w, head),
                  spec.table_pt, centre=True)
    note.setMargin(0)  # one line in the empty row's height
    _card(layout, spec)
    beside_title = spec.population.h < 8  # A4: two small lines right of the exposure table's title
    _label(layout, POPULATION_TEXT, '[% "population" %]', spec.population,
           spec.table_pt - (1.2 if beside_title else 0), right=beside_title, colour="#333333")
    _label(layout, FOOTER, '[% "footer" %]', spec.footer, spec.text_pt, right=True)
    # Data sources and the no-routes note: under the main map, left, inside the frame.
    m = spec.main_map
    note_w = 26 * spec.text_pt * 0.3528 + 4  # up to two lines of about 26 characters
    note = _label(layout, ROUTE_NOTE, '[% "route_note" %]', Box(m.x + 1.5, m.y + m.h - 10.5, note_w, 9),
                  spec.text_pt, colour="#b00000", bold=True)
    note.setVAlign(Qt.AlignBottom)
    note.setBackgroundEnabled(True)
    props = note.dataDefinedProperties()  # a white box only when there is a note
    props.setProperty(QgsLayoutObject.BackgroundColor, QgsProperty.fromExpression(
        "if(length(\"route_note\") > 0, '255,255,255,230', '255,255,255,0')"))
    note.setDataDefinedProperties(props)
    _label(layout, SOURCES, '[% "sources" %]', Box(spec.frame.x, spec.footer.y, spec.footer.x - spec.frame.x - 2,
                                                   spec.footer.h), spec.text_pt - 1, colour="#555555")
    return layout


def new_layout(project, spec: SheetSpec, name: str):
    """An empty QgsPrintLayout named ``name``: one page of ``spec``'s size and orientation, with its frame."""
    from qgis.core import QgsLayoutItemPage, QgsPrintLayout
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName(name)
    layout.pageCollection().page(0).setPageSize(spec.size, QgsLayoutItemPage.Landscape if spec.landscape
                                                else QgsLayoutItemPage.Portrait)
    _frame(layout, spec)
    return layout


def _font(size: float, bold: bool = False):
    from qgis.PyQt.QtGui import QFont
    font = QFont(DEFAULT_FONT)
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _text_format(size: float, bold: bool = False, colour: str = "#000000"):
    from qgis.core import QgsTextFormat
    from qgis.PyQt.QtGui import QColor
    fmt = QgsTextFormat()
    fmt.setFont(_font(size, bold))
    fmt.setSize(size)
    fmt.setColor(QColor(colour))
    return fmt


def _place(item, box: Box) -> None:
    from qgis.core import QgsLayoutPoint, QgsLayoutSize
    item.attemptMove(QgsLayoutPoint(box.x, box.y))
    item.attemptResize(QgsLayoutSize(box.w, box.h))


def _frame(layout, spec: SheetSpec) -> None:
    from qgis.core import QgsFillSymbol, QgsLayoutItemShape
    shape = QgsLayoutItemShape(layout)
    shape.setShapeType(QgsLayoutItemShape.Rectangle)
    shape.setSymbol(QgsFillSymbol.createSimple({"style": "no", "outline_color": "#000000", "outline_width": "0.7"}))
    shape.setId(FRAME)
    layout.addLayoutItem(shape)
    _place(shape, spec.frame)


def _label(layout, item_id: str, text: str, box: Box, size: float, bold: bool = False, centre: bool = False,
           right: bool = False, colour: str = "#000000", frame: bool = False):
    from qgis.core import QgsLayoutItemLabel
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtGui import QColor
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    label.setFont(_font(size, bold))
    label.setFontColor(QColor(colour))
    label.setHAlign(Qt.AlignHCenter if centre else (Qt.AlignRight if right else Qt.AlignLeft))
    label.setVAlign(Qt.AlignVCenter if (centre or right) else Qt.AlignTop)
    label.setMargin(0.8)
    label.setFrameEnabled(frame)
    label.setId(item_id)
    layout.addLayoutItem(label)
    _place(label, box)
    return label


def _main_map(layout, spec: SheetSpec):
    from qgis.core import QgsLayoutItemMap, QgsLayoutItemMapGrid
    from qgis.PyQt.QtGui import QColor
    m = QgsLayoutItemMap(layout)
    m.setId(MAIN_MAP)
    m.setFrameEnabled(True)
    m.setFrameStrokeWidth(_mm(0.35))
    m.setBackgroundColor(QColor("#ffffff"))
    layout.addLayoutItem(m)
    _place(m, spec.main_map)
    _initial_extent(m, spec.main_map)
    m.setAtlasDriven(True)
    m.setAtlasScalingMode(QgsLayoutItemMap.Auto)
    m.setAtlasMargin(0.12)
    grid = QgsLayoutItemMapGrid("坐标格网", m)
    grid.setStyle(QgsLayoutItemMapGrid.FrameAnnotationsOnly)
    grid.setUnits(QgsLayoutItemMapGrid.DynamicPageSizeBased)
    grid.setMinimumIntervalWidth(35)
    grid.setMaximumIntervalWidth(90)
    grid.setFrameStyle(QgsLayoutItemMapGrid.InteriorTicks)
    grid.setFrameWidth(1.5)
    grid.setFramePenSize(0.3)
    grid.setAnnotationEnabled(True)
    grid.setAnnotationFormat(QgsLayoutItemMapGrid.Decimal)
    grid.setAnnotationPrecision(0)
    grid.setAnnotationTextFormat(_text_format(spec.table_pt - 1, colour="#333333"))
    grid.setAnnotationFrameDistance(0.8)
    for side in (QgsLayoutItemMapGrid.Left, QgsLayoutItemMapGrid.Right):
        grid.setAnnotationPosition(QgsLayoutItemMapGrid.InsideMapFrame, side)
        grid.setAnnotationDirection(QgsLayoutItemMapGrid.Vertical, side)
    for side in (QgsLayoutItemMapGrid.Top, QgsLayoutItemMapGrid.Bottom):
        grid.setAnnotationPosition(QgsLayoutItemMapGrid.InsideMapFrame, side)
        grid.setAnnotationDirection(QgsLayoutItemMapGrid.Horizontal, side)
    m.grids().addGrid(grid)
    return m


def _initial_extent(m, box: Box) -> None:
    """An extent of the item's own shape: atlas auto-scaling and data-defined extents keep the ratio they find."""
    from qgis.core import QgsRectangle
    m.setExtent(QgsRectangle(0, 0, box.w * 100.0, box.h * 100.0))


def locator_extent_expressions(box: Box, pad: float = 1.08) -> dict:
    """Data-defined extent of the locator map: the township's bounds (tx0..ty1 of the atlas feature), padded to
    the item's width/height ratio so that QGIS does not stretch it."""
    r = box.w / box.h
    half_w = f"(max(\"tx1\" - \"tx0\", (\"ty1\" - \"ty0\") * {r:.6f}) * {pad / 2:.4f})"
    half_h = f"({half_w} / {r:.6f})"
    cx, cy = "((\"tx0\" + \"tx1\") / 2)", "((\"ty0\" + \"ty1\") / 2)"
    return {"xmin": f"{cx} - {half_w}", "xmax": f"{cx} + {half_w}", "ymin": f"{cy} - {half_h}",
            "ymax": f"{cy} + {half_h}"}


def _locator(layout, spec: PageSpec) -> None:
    from qgis.core import QgsLayoutItemMap, QgsLayoutObject, QgsProperty
    from qgis.PyQt.QtGui import QColor
    box = spec.locator
    _label(layout, LOCATOR_TITLE, '位置示意图（[% "township" %]）', Box(box.x, box.y - 5, box.w, 5), spec.text_pt,
           bold=True)
    m = QgsLayoutItemMap(layout)
    m.setId(LOCATOR_MAP)
    m.setFrameEnabled(True)
    m.setFrameStrokeWidth(_mm(0.3))
    m.setBackgroundColor(QColor("#f4f4f4"))
    layout.addLayoutItem(m)
    _place(m, box)
    _initial_extent(m, box)
    ex = locator_extent_expressions(box)
    props = m.dataDefinedProperties()
    props.setProperty(QgsLayoutObject.MapXMin, QgsProperty.fromExpression(ex["xmin"]))
    props.setProperty(QgsLayoutObject.MapXMax, QgsProperty.fromExpression(ex["xmax"]))
    props.setProperty(QgsLayoutObject.MapYMin, QgsProperty.fromExpression(ex["ymin"]))
    props.setProperty(QgsLayoutObject.MapYMax, QgsProperty.fromExpression(ex["ymax"]))
    m.setDataDefinedProperties(props)


def _legend(layout, spec: SheetSpec, main) -> None:
    from qgis.core import QgsLayoutItemLegend, QgsLegendStyle
    legend = QgsLayoutItemLegend(layout)
    legend.setId(LEGEND)
    legend.setTitle("图例")
    legend.setLinkedMap(main)
    legend.setLegendFilterByMapEnabled(True)
    legend.setColumnCount(spec.legend_columns)
    legend.setSplitLayer(True)
    legend.setEqualColumnWidth(False)
    legend.setSymbolWidth(6 if spec.name == "A3" else 4.5)
    legend.setSymbolHeight(3.5 if spec.name == "A3" else 2.8)
    legend.setWrapString("~")
    legend.setResizeToContents(False)
    legend.setFrameEnabled(True)
    legend.setFrameStrokeWidth(_mm(0.25))
    legend.setBoxSpace(1.5)
    legend.setColumnSpace(2.0)
    sizes = {QgsLegendStyle.Title: (spec.text_pt + 2, True), QgsLegendStyle.Group: (spec.table_pt + 0.5, True),
             QgsLegendStyle.Subgroup: (spec.table_pt, True), QgsLegendStyle.SymbolLabel: (spec.table_pt, False)}
    for style, (size, bold) in sizes.items():
        legend.setStyleFont(style, _font(size, bold))
    legend.rstyle(QgsLegendStyle.Subgroup).setMargin(QgsLegendStyle.Top, 1.2)
    legend.rstyle(QgsLegendStyle.Symbol).setMargin(QgsLegendStyle.Top, 0.8)
    layout.addLayoutItem(legend)
    _place(legend, spec.legend)


def _scale_and_north(layout, spec: SheetSpec, main) -> None:
    from qgis.core import QgsLayoutItemPicture, QgsLayoutItemScaleBar, QgsScaleBarSettings, QgsUnitTypes
    m = spec.main_map
    bar = QgsLayoutItemScaleBar(layout)
    bar.setId(SCALEBAR)
    bar.setStyle("Single Box")
    bar.setLinkedMap(main)
    bar.setUnits(QgsUnitTypes.DistanceMeters)
    bar.setUnitLabel("米")
    bar.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeFitWidth)
    bar.setMinimumBarWidth(25 if spec.name == "A3" else 18)
    bar.setMaximumBarWidth(50 if spec.name == "A3" else 36)
    bar.setNumberOfSegments(2)
    bar.setNumberOfSegmentsLeft(0)
    bar.setHeight(1.8)
    bar.setTextFormat(_text_format(spec.table_pt))
    bar.setBackgroundEnabled(True)
    bar.setFrameEnabled(False)
    layout.addLayoutItem(bar)
    bw = 62 if spec.name == "A3" else 44
    _place(bar, Box(m.x + m.w - bw - 3, m.y + m.h - 12, bw, 9))
    _label(layout, SCALE_TEXT, "比例尺 1:[% format_number(item_variables('main_map')['map_scale'], 0) %]",
           Box(m.x + m.w - bw - 3, m.y + m.h - 17, bw, 5), spec.table_pt, right=True)
    north = QgsLayoutItemPicture(layout)
    north.setId(NORTH_ARROW)
    north.setPicturePath("arrows/NorthArrow_02.svg")
    north.setLinkedMap(main)
    north.setNorthMode(QgsLayoutItemPicture.GridNorth)
    north.setBackgroundEnabled(False)
    layout.addLayoutItem(north)
    size = 14 if spec.name == "A3" else 10
    _place(north, Box(m.x + m.w - size - 3, m.y + 3, size, size * 1.3))


def cell_style(colour: str):
    """A new enabled table cell style in ``colour``. Not the table's own cellStyle() changed and set back:
    setCellStyle deletes the old style before copying the new one, so a style that is the old one is read after
    it is freed (the header row then came out enabled or not at random)."""
    from qgis.core import QgsLayoutTableStyle
    from qgis.PyQt.QtGui import QColor
    style = QgsLayoutTableStyle()
    style.enabled, style.cellBackgroundColor = True, QColor(colour)
    return style


def _table(layout, spec: SheetSpec, item_id: str, box: Box, definition=None):
    """An attribute table titled above ``box``: ``definition`` (layer, heading, empty text, columns) or
    ``TABLES[item_id]``. Returns the table (its frame has id ``item_id``)."""
    from qgis.core import (QgsLayoutFrame, QgsLayoutItemAttributeTable, QgsLayoutMultiFrame, QgsLayoutTable,
                           QgsLayoutTableColumn)
    from qgis.PyQt.QtGui import QColor
    layer_name, heading, empty, columns = definition or TABLES[item_id]
    _label(layout, item_id + "_title", heading, Box(box.x, box.y - 5.5, box.w, 5.5), spec.text_pt + 1, bold=True)
    table = QgsLayoutItemAttributeTable.create(layout)
    layout.addMultiFrame(table)
    table.setCustomProperty("risk_one_map/layer", layer_name)  # the sheet layer bound at load time
    table.setFilterFeatures(True)
    table.setFeatureFilter(TABLE_FILTER)
    table.setMaximumNumberOfFeatures(500)
    margin, stroke = (0.7 if spec.name == "A3" else 0.4), 0.15
    usable = box.w - len(columns) * 2 * margin - (len(columns) + 1) * stroke - 0.2
    total = float(sum(share for _f, _h, share in columns))
    cols = []
    for field, head, share in columns:
        col = QgsLayoutTableColumn(head)
        col.setAttribute(f'"{field}"')
        col.setWidth(round(usable * share / total, 2))
        cols.append(col)
    table.setColumns(cols)
    table.setHeaderTextFormat(_text_format(spec.table_pt, bold=True))
    table.setContentTextFormat(_text_format(spec.table_pt))
    table.setHeaderHAlignment(QgsLayoutTable.HeaderCenter)
    table.setCellMargin(margin)
    table.setGridStrokeWidth(stroke)
    table.setGridColor(QColor("#606060"))
    table.setEmptyTableBehavior(QgsLayoutTable.ShowMessage)
    table.setEmptyTableMessage(empty)
    table.setWrapBehavior(QgsLayoutTable.WrapText)
    table.setResizeMode(QgsLayoutMultiFrame.ExtendToNextPage)  # long tables continue on a second page
    table.setHeaderMode(QgsLayoutTable.AllFrames)  # the continuation repeats the header
    table.setCellStyle(QgsLayoutTable.HeaderRow, cell_style("#e8eef5"))
    frame = QgsLayoutFrame(layout, table)
    frame.setId(item_id)
    _place(frame, box)
    table.addFrame(frame)
    return table


def _card(layout, spec: PageSpec) -> None:
    """The 明白卡 box: a titled frame with the warning signals (editable fixed text) and the village's items."""
    from qgis.core import QgsFillSymbol, QgsLayoutItemShape
    c = spec.card
    box = QgsLayoutItemShape(layout)
    box.setShapeType(QgsLayoutItemShape.Rectangle)
    box.setSymbol(QgsFillSymbol.createSimple({"color": "#fffdf0", "outline_color": "#c8a000", "outline_width": "0.4"}))
    box.setId(CARD_BOX)
    layout.addLayoutItem(box)
    _place(box, c)
    title_h = 6 if spec.name == "A3" else 5
    _label(layout, CARD_TITLE, "防灾避险明白卡", Box(c.x, c.y, c.w, title_h), spec.text_pt + 1.5, bold=True,
           centre=True, colour="#7a5a00")
    sig_h = 11 if spec.name == "A3" else 10
    _label(layout, CARD_SIGNALS, WARNING_SIGNALS, Box(c.x + 1, c.y + title_h, c.w - 2, sig_h), spec.table_pt)
    _swatches(layout, spec, Box(c.x + 1.5, c.y + title_h + sig_h, c.w - 3, 3.2))
    top = c.y + title_h + sig_h + 4
    alert_h = 9 if spec.name == "A3" else 7
    _label(layout, CARD_TEXT, '[% "card" %]', Box(c.x + 1, top, c.w - 2, c.y + c.h - top - alert_h - 0.5),
           spec.text_pt)
    # Who must leave and has no place: the most important line when there is one, in red.
    alert = _label(layout, CARD_ALERT, '[% "alert" %]', Box(c.x + 1, c.y + c.h - alert_h - 0.5, c.w - 2, alert_h),
                   spec.text_pt, bold=True, colour="#c00000")
    alert.setMargin(0.3)  # two lines fit on A4 too


def _swatches(layout, spec: PageSpec, box: Box) -> None:
    """Four warning colours (GB/T 37230-2018), each with its word."""
    from qgis.core import QgsFillSymbol, QgsLayoutItemShape
    words = {4: "蓝色预警", 3: "黄色预警", 2: "橙色预警", 1: "红色预警"}
    step = box.w / 4
    for i, level in enumerate((4, 3, 2, 1)):
        shape = QgsLayoutItemShape(layout)
        shape.setShapeType(QgsLayoutItemShape.Rectangle)
        shape.setSymbol(QgsFillSymbol.createSimple({"color": model.WARNING_COLOURS[level], "outline_style": "no"}))
        shape.setId(f"signal_{level}")
        layout.addLayoutItem(shape)
        _place(shape, Box(box.x + i * step, box.y, 5, box.h))
        _label(layout, f"signal_{level}_text", words[level], Box(box.x + i * step + 5.5, box.y - 0.8, step - 6,
                                                                 box.h + 1.6), spec.table_pt)


def _mm(value: float):
    from qgis.core import QgsLayoutMeasurement
    return QgsLayoutMeasurement(value)


def write_template(page: str, path=None) -> Path:
    """Build the layout for ``page`` and save it as a .qpt (what scripts/make_layouts.py calls)."""
    from qgis.core import QgsProject
    project = QgsProject()  # alive while the layout is saved
    return save_template(build_layout(project, page), Path(path) if path else template_path(page))


def save_template(layout, path: Path) -> Path:
    """Save ``layout`` as a .qpt at ``path``."""
    from qgis.core import QgsReadWriteContext
    path.parent.mkdir(parents=True, exist_ok=True)
    if not layout.saveAsTemplate(str(path), QgsReadWriteContext()):
        raise OSError(f"could not write {path}")
    return path
