"""The ledger workbook (台账.xlsx): written for county offices, read back after they have filled it in.

Sheets: 汇总 (counts by status, by township, hazard kind and sector), 全部隐患, then one sheet per township
(分区域), per hazard kind (分灾种) and per sector (分行业领域), all with the same columns. Every sheet has its
header frozen and a filter on it; an overdue row is filled red and says by how many days. Excel- and WPS-safe:
plain cells (no macros, no external links), dates as real dates, codes and phones as text (never 1.38E+10), text
a spreadsheet would run as a formula (= + - @ first) written with a leading apostrophe (layers.tables).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ..analysis import ledger as al
from ..errors import RiskOneMapError
from ..layers import model
from ..layers.tables import safe_cell

SUMMARY_SHEET, ALL_SHEET, BASE_SHEET = "汇总", "全部隐患", "导出时内容"
# (entry column, header, width). 所在图层 and 隐患编号 say which entry a row is when the workbook comes back.
COLUMNS = (("seq", "序号", 6), ("site_layer", "台账来源", 15), ("site_id", "隐患编号", 14),
           ("name", "隐患名称", 22), ("township_name", "乡镇（街道）", 12), ("village_name", "村（社区）", 12),
           ("category", "隐患类别", 16), ("kind", "灾种", 12), ("sector", "行业领域", 14), ("address", "具体位置", 18),
           ("found_date", "发现日期", 12), ("finder", "发现人", 10), ("risk_grade", "隐患等级", 10),
           ("measure", "治理措施", 10), ("resp_unit", "责任单位", 16), ("resp_name", "责任人", 10),
           ("resp_phone", "联系电话", 14), ("deadline", "整改时限", 12), ("status", "治理状态", 10),
           ("status_date", "状态日期", 12), ("overdue_days", "逾期天数", 9), ("note", "备注", 24))
HEADER_OF = {key: zh for key, zh, _ in COLUMNS}
KEY_OF_HEADER = {zh: key for key, zh, _ in COLUMNS}
CODED = {"category": {c.key: c.zh for c in model.LEDGER_CATEGORIES}, "kind": model.LEDGER_KINDS,
         "sector": model.LEDGER_SECTORS, "risk_grade": model.LEDGER_RISK_GRADES,
         "measure": model.LEDGER_MEASURES, "status": model.LEDGER_STATUSES,
         "site_layer": {al.SITES: "台账点位", **{name: model.layer_title(name) for name in model.LEDGER_LINKED_LAYERS}}}
DATES = ("found_date", "deadline", "status_date")
TEXT = ("site_id", "resp_phone")  # text even when it looks like a number
OVERDUE_FILL, HEADER_FILL = "FFC7CE", "DDEBF7"
BASE_COLUMNS = ["site_layer", "site_id", *dict.fromkeys(al.TREATMENT_EDITABLE + al.SITE_EDITABLE)]
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(prefix: str, name, used: set) -> str:
    """A sheet title Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = _BAD_SHEET_CHARS.sub("_", f"{prefix}-{name or '未知'}")[:31]
    title, n = base, 2
    while title in used:
        title = f"{base[:28]}({n})"
        n += 1
    used.add(title)
    return title


def write_workbook(entries: pd.DataFrame, path: Path, title: str, today: dt.date) -> None:
    """Write the ledger workbook of ``entries`` (analysis.ledger.ledger_entries) to ``path``."""
    from openpyxl import Workbook
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY_SHEET
    rows = pd.DataFrame(entries.drop(columns="geometry", errors="ignore"))
    _summary(summary, rows, title, today)
    used = {SUMMARY_SHEET, ALL_SHEET}
    _entry_sheet(wb.create_sheet(ALL_SHEET), rows)
    for prefix, column, labels in (("分区域", "township_name", None), ("分灾种", "kind", model.LEDGER_KINDS),
                                   ("分行业", "sector", model.LEDGER_SECTORS)):
        values = rows[column].fillna("未知")
        order = list(labels) if labels else list(dict.fromkeys(values))  # model order; townships by code
        for value in sorted(set(values), key=lambda v: order.index(v) if v in order else len(order)):
            name = labels.get(value, value) if labels else value
            _entry_sheet(wb.create_sheet(sheet_name(prefix, name, used)), rows[values == value])
    _base_sheet(wb.create_sheet(BASE_SHEET), rows)
    wb.properties.title = title
    wb.save(path)


def _base_sheet(ws, rows: pd.DataFrame) -> None:
    """The entries as exported, in keys, on a sheet users do not see: reading the workbook back, a cell is an
    office's edit when it differs from this, not from the package (the unedited copies on the other sheets,
    and changes made in the package since, are then told apart from the office's)."""
    ws.append(BASE_COLUMNS)
    for values in rows.reindex(columns=BASE_COLUMNS).itertuples(index=False):
        ws.append([model.text_value(v) for v in values])
    ws.sheet_state = "veryHidden"


def _entry_sheet(ws, rows: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    red = PatternFill("solid", fgColor=OVERDUE_FILL)
    for col, (_key, zh, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=zh)
        cell.font, cell.fill = bold, head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, (_, entry) in enumerate(rows.iterrows(), start=2):
        overdue = int(entry.get("overdue_days") or 0) > 0
        for col, (key, _zh, _w) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=r, column=col, value=_cell_value(key, r - 1 if key == "seq" else entry.get(key)))
            if key in DATES and isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            if isinstance(cell.value, str):
                cell.data_type = "s"
            if overdue:
                cell.fill = red
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, len(rows) + 1)}"
    ws.print_title_rows = "1:1"  # the header on every printed page
    _print_setup(ws, "landscape")


def _print_setup(ws, orientation: str) -> None:
    """A4, one page wide (as many long as it takes): what an office prints without touching the settings."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def _cell_value(key: str, value):
    if key == "overdue_days":
        return int(value) if value else None
    if key in DATES:
        day = al.parse_date(value)
        return day if day is not None else safe_cell(model.text_value(value))
    text = model.text_value(value)
    if text is None:
        return None
    if key in CODED:
        text = model.ledger_label(CODED[key], text)
    return safe_cell(text) if key != "seq" else value


def _summary(ws, rows: pd.DataFrame, title: str, today: dt.date) -> None:
    from openpyxl.styles import Font, PatternFill
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    ws.cell(row=1, column=1, value=safe_cell(title)).font = Font(bold=True, size=14)
    open_ = rows["status"].isin(model.LEDGER_OPEN_STATUSES).sum()
    ws.cell(row=2, column=1, value=f"统计日期 {today.isoformat()}：共 {len(rows)} 处隐患，未整改 {open_} 处，"
                                   f"逾期 {(rows['overdue_days'] > 0).sum()} 处（逾期行在各分表中标红）")
    ws.column_dimensions["A"].width = 22
    statuses = list(model.LEDGER_STATUSES)
    header = ["", *model.LEDGER_STATUSES.values(), "合计", "逾期"]
    r = 4
    for label, column, labels in (("按状态（全县）", None, None), ("分区域（乡镇）", "township_name", None),
                                  ("分灾种", "kind", model.LEDGER_KINDS),
                                  ("分行业领域", "sector", model.LEDGER_SECTORS)):
        header[0] = label
        for col, text in enumerate(header, start=1):
            cell = ws.cell(row=r, column=col, value=text)
            cell.font, cell.fill = bold, head_fill
        r += 1
        counted = rows.assign(_all="合计").sort_values("township_code")
        table = al.status_counts(counted, column or "_all")
        order = list(labels) if labels else list(dict.fromkeys(counted[column or "_all"].fillna("（未知）")))
        table = table.loc[sorted(table.index, key=lambda v: order.index(v) if v in order else len(order))]
        for value, counts in table.iterrows():
            ws.cell(row=r, column=1, value=safe_cell(labels.get(value, value) if labels else value))
            for col, key in enumerate(statuses + ["total", "overdue"], start=2):
                cell = ws.cell(row=r, column=col, value=int(counts[key]))
                if key == "overdue" and counts[key]:
                    cell.fill = PatternFill("solid", fgColor=OVERDUE_FILL)
            r += 1
        r += 1
    _print_setup(ws, "portrait")


# ------------------------------------------------------------------------------------------------ reading back
def read_workbook(path: Path) -> tuple:
    """The entry rows of a ledger workbook: ``(rows, problems, base)``; rows keyed as the entries (site_layer, site_id,
    status ... as keys, dates as YYYY-MM-DD), one per (sheet, row), with ``_sheet`` and ``_row``; problems are
    Chinese lines for cells that are no known word (an unknown status ...); base: {(site_layer, site_id):
    {field: value as exported}} from the hidden sheet (empty for a workbook made by hand in the same layout)."""
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook, damaged, encrypted
        raise RiskOneMapError(f"cannot read the workbook ({' '.join(str(exc).split())[:200]})", file=path) from None
    records, problems, base = [], [], {}
    try:
        for ws in wb.worksheets:
            if ws.title == BASE_SHEET:
                rows = ws.iter_rows(values_only=True)
                keys = [str(h) for h in next(rows, ())]
                for values in rows:
                    rec = dict(zip(keys, values))
                    base[(rec.get("site_layer"), rec.get("site_id"))] = rec
                continue
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            if not header or "隐患编号" not in header:
                continue  # the summary sheet, or a sheet the office added
            keys = [KEY_OF_HEADER.get(str(h).strip()) if h is not None else None for h in header]
            for n, values in enumerate(rows, start=2):
                rec = {k: v for k, v in zip(keys, values) if k is not None}
                if all(model.text_value(v) is None for v in rec.values()):
                    continue
                rec = _decode(rec, ws.title, n, problems)
                rec.update(_sheet=ws.title, _row=n)
                records.append(rec)
    finally:
        wb.close()
    return pd.DataFrame(records), problems, base


def _decode(rec: dict, sheet: str, row: int, problems: list) -> dict:
    out = {}
    for key, value in rec.items():
        if isinstance(value, str) and value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
            value = value[1:]  # the apostrophe our writer put before a formula-like text
        if key in DATES:
            out[key] = al.date_text(value)
        elif key in CODED:
            text = model.text_value(value)
            found = model.ledger_key(CODED[key], text)
            if text is not None and found is None and key not in ("kind",):
                problems.append(f"{sheet} 第 {row} 行“{HEADER_OF[key]}”：“{text}”不是可选值"
                                f"（{'、'.join(CODED[key].values())}），未导入该格")
            out[key] = found
        elif key == "overdue_days" or key == "seq":
            continue
        else:
            out[key] = model.text_value(value if not isinstance(value, float) or not value.is_integer()
                                        else int(value))
    return out
