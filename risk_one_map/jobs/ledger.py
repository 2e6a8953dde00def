"""The ledger jobs (隐患排查治理台账): the package's ledger out as a workbook, and an edited workbook back in.

``export(package, out)`` writes 台账.xlsx (jobs/ledger_workbook.py); ``import_workbook(package, xlsx)`` reads
the same layout back and applies what the office changed to ``hazard_treatment`` (and the names, categories and
places of the ledger's own sites), appending every status change to ``hazard_history``. A row that asks for a
change the workflow refuses, a cell that is no known word, or one entry edited differently on two sheets is
reported and left as it was: nothing is guessed, nothing overwritten silently.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd

from ..analysis import ledger as al
from ..errors import RiskOneMapError
from ..layers import model
from ..layers.package import Package, atomic_path
from ..progress import Steps
from . import names_the_package

REPORT_NAME = "台账导入报告.txt"


def _need_openpyxl() -> None:
    """openpyxl is an optional component of the plugin (nothing else needs it): say what to install."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise RiskOneMapError("the ledger workbook needs openpyxl (pip install openpyxl; in QGIS: 插件 → 风险隐患一张图 "
                              "→ 安装所需组件, with the optional components)") from None


def read_entries(pkg: Package, today: Optional[dt.date] = None):
    """Every ledger entry of the package (analysis.ledger.ledger_entries)."""
    linked = {name: pkg.read(name, required=False) for name in model.LEDGER_LINKED_LAYERS}
    return al.ledger_entries(pkg.read(al.SITES, required=False), pkg.read("hazard_treatment", required=False),
                             linked, pkg.read("villages", required=False), pkg.read("townships", required=False),
                             today=today)


def county_title(pkg: Package) -> str:
    county = pkg.read("county", required=False)
    name = model.text_value(county["name"].iloc[0]) if county is not None and len(county) else None
    return f"{name or ''}隐患排查治理台账"


@dataclass
class LedgerResult:
    package: Path
    entries: pd.DataFrame
    files: list = field(default_factory=list)

    def summary_lines(self) -> list:
        e = self.entries
        if not len(e):
            return ["台账为空：数据包中没有隐患点位（hazard_sites）、地质灾害隐患点或低洼易涝点。"]
        counts = e["status"].map(model.LEDGER_STATUSES).value_counts()
        by_status = "，".join(f"{zh} {counts.get(zh, 0)}" for zh in model.LEDGER_STATUSES.values())
        return [f"隐患排查治理台账：共 {len(e)} 处（{by_status}）；逾期未整改 {(e['overdue_days'] > 0).sum()} 处。"]


@names_the_package
def export(package_dir, out, *, today: Optional[dt.date] = None, progress=None, cancelled=None) -> LedgerResult:
    """Write the ledger workbook of the package to ``out`` (see jobs/ledger_workbook.py)."""
    from .ledger_workbook import write_workbook
    steps = Steps(progress, cancelled, weights=[1, 2])
    pkg = Package(package_dir).require()
    _need_openpyxl()
    today = today or dt.date.today()
    steps.next()
    entries = read_entries(pkg, today)
    steps.next()
    out = Path(out)
    with atomic_path(out, suffix=".xlsx") as tmp:
        write_workbook(entries, tmp, county_title(pkg), today)
    steps.done()
    return LedgerResult(pkg.path, entries, [out])


# ------------------------------------------------------------------------------------------------ import
@dataclass
class ImportResult:
    package: Path
    changes: list
    problems: list
    files: list = field(default_factory=list)

    def summary_lines(self) -> list:
        sites = {(c.site_layer, c.site_id) for c in self.changes}
        lines = [f"台账导入：{len(sites)} 处隐患有变更，共 {len(self.changes)} 项"
                 + (f"；{len(self.problems)} 处未导入（见下）" if self.problems else "") + "。"]
        lines += [f"  变更 {c.line()}" for c in self.changes]
        lines += [f"  未导入 {p}" for p in self.problems]
        return lines


def _norm(field: str, value):
    return al.date_text(value) if field in ("found_date", "deadline") else model.text_value(value)


@names_the_package
def import_workbook(package_dir, workbook, *, changed_by: str = "台账表格", now: Optional[str] = None,
                    progress=None, cancelled=None) -> ImportResult:
    """Apply an edited ledger workbook to the package (see the module notes). Importing it twice changes
    nothing the second time."""
    from .ledger_workbook import HEADER_OF, read_workbook
    steps = Steps(progress, cancelled, weights=[2, 1, 1])
    pkg = Package(package_dir).require()
    _need_openpyxl()
    workbook = Path(workbook)
    if not workbook.is_file():
        raise RiskOneMapError("no such workbook", file=workbook)
    steps.next()
    rows, problems, base = read_workbook(workbook)
    entries = read_entries(pkg)
    steps.next()
    names = {(a, b): model.text_value(n) or "" for a, b, n in
             zip(entries["site_layer"], entries["site_id"], entries["name"])}
    current = {(a, b): r for (a, b), r in zip(zip(entries["site_layer"], entries["site_id"]),
                                                entries.to_dict("records"))}
    updates = []
    for key, group in (rows.groupby(["site_layer", "site_id"], sort=False, dropna=False) if len(rows) else []):
        where = "、".join(f"{s} 第 {r} 行" for s, r in zip(group["_sheet"], group["_row"]))
        if not isinstance(key[0], str) or not isinstance(key[1], str):
            problems.append(f"{where}：没有台账来源或隐患编号（新增隐患请在 QGIS 中或巡查时添加点位，再导出台账）")
            continue
        if key not in current:
            problems.append(f"{where}：数据包中没有{HEADER_OF['site_layer']}“{model.layer_title(key[0])}”"
                            f"编号“{key[1]}”的隐患")
            continue
        fields = al.TREATMENT_EDITABLE + (al.SITE_EDITABLE if key[0] == al.SITES else ())
        values = {}
        for name in fields:
            if name not in group:
                continue
            now_value = _norm(name, current[key].get(name))
            was = _norm(name, base[key].get(name)) if key in base else now_value
            asked = {v for v in group[name].map(model.text_value) if v is not None} - {was}
            if len(asked) > 1:  # the same entry changed differently on two sheets: the office decides
                problems.append(f"{key[1]}（{names[key]}）“{HEADER_OF.get(name, name)}”在各分表中改得不一样："
                                f"{'、'.join(sorted(asked))}（{where}），未导入")
            elif asked and now_value != was and asked != {now_value}:  # changed in the package since the export
                problems.append(f"{key[1]}（{names[key]}）“{HEADER_OF.get(name, name)}”导出后在数据包中已改为"
                                f"“{now_value}”，表格中为“{asked.pop()}”，未导入（请核对后再导出）")
            elif asked and asked != {now_value}:
                values[name] = asked.pop()
        if values:
            updates.append(al.Update(key[0], key[1], values, changed_by=changed_by))
    treatment, history, sites, changes, refused = al.apply_updates(
        pkg.read("hazard_treatment", required=False), pkg.read("hazard_history", required=False),
        pkg.read(al.SITES, required=False), updates, "workbook", names, now=now)
    problems += [f"{up.site_id}（{names.get((up.site_layer, up.site_id), '')}）：{why}，该行未导入"
                 for up, why in refused]
    steps.next()
    files = []
    if changes:
        layers = {"hazard_treatment": treatment, "hazard_history": history}
        if sites is not None and any(c.site_layer == al.SITES and c.field in al.SITE_EDITABLE for c in changes):
            layers[al.SITES] = sites
        pkg.write_layers(layers)
        files.append(pkg.gpkg)
    result = ImportResult(pkg.path, changes, problems, files)
    report = pkg.path / REPORT_NAME
    with atomic_path(report) as tmp:
        tmp.write_text(f"{workbook.name}\n" + "\n".join(result.summary_lines()) + "\n", encoding="utf-8")
    result.files.append(report)
    steps.done()
    return result
