"""The warning job (预警叫应): a package and a warning in, the call plan out and into the package.

Writes into ``onemap.gpkg``: warning_area, warning_villages, warning_households, warning_calls (this warning) and
call_log (every warning's calls, kept across runs: answers recorded by staff, in QGIS or with ``--answered``, stay).
Beside it, when asked (``out_dir``): 叫应名单.csv / 叫应名单.xlsx (Excel-safe), 住户转移清单.csv and 叫应摘要.txt.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd

from ..analysis import warning as aw
from ..analysis.warning_cap import Warning, short_time
from ..errors import RiskOneMapError
from . import names_the_package
from ..layers import model
from ..layers.package import Package, atomic_path
from ..progress import Steps

OUTPUT_LAYERS = ("warning_area", "warning_villages", "warning_households", "warning_calls", "call_log")
LOG_FIELDS = ("called_at", "answered", "answered_by", "moved_people", "note")
CALL_COLUMNS_ZH = {"order": "序号", "priority": "优先级", "group": "类别", "township_name": "乡镇",
                   "village_name": "村（社区）", "village_code": "村代码", "role": "职务", "name": "姓名",
                   "phone": "电话", "caller": "由谁叫应", "reason": "事由", "message": "短信内容",
                   "called_at": "拨打时间", "answered": "是否回应", "answered_by": "接听人",
                   "moved_people": "已转移人数", "note": "备注"}
HOUSEHOLD_COLUMNS_ZH = {"order": "序号", "township_name": "乡镇", "village_name": "村（社区）",
                        "household_id": "住户编号", "people": "人数", "vulnerable_note": "脆弱人群",
                        "action_zh": "要求", "reason": "所在危险区/风险区", "shelter_name": "安置场所",
                        "walk_min": "步行时间(分钟)", "head_name": "户主", "head_phone": "户主电话"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class WarningResult:
    package: Path
    plan: aw.WarningPlan
    log: pd.DataFrame
    files: list = field(default_factory=list)

    def summary_lines(self) -> list:
        """The Chinese summary a duty officer reads first: what, who first, how many, which shelters."""
        w, p, s = self.plan.warning, self.plan, self.plan.stats
        if w.cancelled:
            return [f"预警已解除（{w.identifier or w.source}）：无需叫应；叫应记录保留在 call_log 中。"]
        lines = [f"{w.title()}：涉及 {s['townships']} 个乡镇 {s['villages']} 个村；"
                 f"须立即转移 {s['move_households']} 户 {s['move_people']} 人（其中有老弱病残的 "
                 f"{s['move_vulnerable']} 户），告知并做好转移准备 {s['tell_households']} 户。"]
        if s["townships"] > 1:  # per township: who has the most to move
            t = p.villages.groupby("township_name").agg(v=("code", "size"), h=("move_households", "sum"),
                                                        n=("move_people", "sum")).sort_values("h", ascending=False)
            lines.append("按乡镇：" + "；".join(f"{name} {r.v} 个村、转移 {r.h} 户 {r.n} 人"
                                              for name, r in t.head(8).iterrows()) + ("……" if len(t) > 8 else ""))
        if w.onset or w.expires:
            lines.append(f"生效 {short_time(w.onset)}，截止 {short_time(w.expires)}。")
        if p.gaps:
            lines.append(f"先补缺口：{len(p.gaps)} 个村无人可叫应——" + "；".join(p.gaps[:5])
                         + ("……" if len(p.gaps) > 5 else ""))
        first = p.calls[(p.calls["group"] != aw.GAP)].head(5)
        if len(first):
            lines.append("先打：" + "；".join(f"{r.village_name}{r.role}{r.name} {r.phone}"
                                            for r in first.itertuples()))
        lines.append(f"共 {s['calls']} 个电话（叫应名单）。")
        if len(p.shelters):
            lines.append("开放避难场所：" + "；".join(
                f"{r.name}（预计 {int(r.expected)} 人，容量 {_cap(r.capacity)}）"
                for r in p.shelters.head(8).itertuples()) + ("……" if len(p.shelters) > 8 else ""))
        elif s["move_households"]:
            lines.append("没有可开放的避难场所：请乡镇另行安排安置点。")
        lines += self.log_lines()
        lines += p.notes
        return lines


    def log_lines(self) -> list:
        """What the 叫应记录 says so far: reached, not reached, not yet called, people reported moved."""
        log = self.log
        if not len(log) or log["answered"].isna().all() and pd.to_numeric(log["moved_people"]).isna().all():
            return []
        yes, no = int((log["answered"] == "是").sum()), int((log["answered"] == "否").sum())
        moved = pd.to_numeric(log["moved_people"], errors="coerce").sum()
        return [f"叫应记录：已回应 {yes}，未回应 {no}，未拨打 {len(log) - yes - no}；报告已转移 {moved:.0f} 人。"]


def _cap(v) -> str:
    return "未知" if pd.isna(v) else f"{float(v):.0f}"


def read_layers(pkg: Package) -> tuple:
    layers = {name: pkg.read(name, required=False) for name in (
        "villages", "townships", "households", "persons", "risk_zones", "geohazard_points", "geohazard_zones",
        "flood_lowpoints", "shelters", "call_roles")}
    evacuated = {name: pkg.read(name, required=False) for name in ("evacuation_zones", "evacuees")}
    return layers, {k: v for k, v in evacuated.items() if v is not None}


@names_the_package
def run(package_dir, warning: Warning, *, out_dir=None, sheets: bool = True, answered: Sequence[str] = (),
        not_answered: Sequence[str] = (), moved: Optional[dict] = None, now: Optional[str] = None, progress=None,
        cancelled=None) -> WarningResult:
    """Plan the calls for ``warning`` and write them (see the module notes). ``answered``/``not_answered``:
    phone numbers whose call is recorded now (time ``now``, default the clock) in call_log for this warning.
    ``sheets``: with ``out_dir``, also the printed 叫应单 per township (about 0.3 s of CPU each)."""
    steps = Steps(progress, cancelled, weights=[2, 2, 1, 1])
    pkg = Package(package_dir).require()
    if warning.cancelled:  # a cancel message: nobody is called, the log of the warning it lifts is kept as it is
        steps.done()
        return WarningResult(pkg.path, aw.empty_plan(warning), pd.DataFrame({"answered": []}))
    steps.next()
    layers, evacuated = read_layers(pkg)
    log = pkg.read("call_log", required=False)
    steps.next()
    plan = aw.plan_warning(warning, layers, pkg.crs(), evacuated)
    steps.next()
    log = merge_call_log(log, warning.key, plan.calls)
    log = record_answers(log, warning.key, answered, not_answered, now, moved)
    calls = plan.calls.merge(log[log["warning"] == warning.key][["order", *LOG_FIELDS]], on="order", how="left")
    steps.check()
    villages = plan.villages.drop(columns=["by_code"])
    pkg.write_layers({"warning_area": plan.area, "warning_villages": villages,
                      "warning_households": plan.households, "warning_calls": calls, "call_log": log})
    files = [pkg.gpkg]
    result = WarningResult(pkg.path, plan, log[log["warning"] == warning.key], files)
    steps.next()
    if out_dir is not None:
        files += write_call_files(Path(out_dir), calls, plan.households, result.summary_lines())
    if out_dir is not None and sheets:
        from .warning_sheet import township_sheets
        try:
            files += township_sheets(plan, layers["villages"], Path(out_dir))
        except RiskOneMapError as exc:  # no CJK font: the call lists are there, the printed sheets are not
            plan.notes.append(f"叫应单 PDF 未生成：{exc}")
    steps.done()
    return result


def run_request(package_dir, *, cap=None, codes: Sequence[str] = (), areas_wkb: Sequence = (), level=None,
                hazard=None, source: str = "", **kwargs) -> WarningResult:
    """``run`` for the plugin's dialog: the warning is made here, in the background task, from what the user gave
    (a CAP file; or codes and/or polygons as (WKB, CRS WKT), with a level and a hazard), so the dialog itself
    imports none of the analysis packages."""
    from ..analysis.warning_cap import manual_warning, read_cap
    if cap:
        warning = read_cap(cap)
    else:
        import shapely
        areas = [(shapely.from_wkb(bytes(wkb)), crs) for wkb, crs in areas_wkb]
        warning = manual_warning(codes=list(codes), areas=areas, level=level, hazard=hazard,
                                 source=source or ("codes" if codes else "area"))
    return run(package_dir, warning, **kwargs)


# ------------------------------------------------------------------------------------------------ call log
def merge_call_log(log, key: str, calls: pd.DataFrame) -> pd.DataFrame:
    """This warning's calls, with what staff recorded for the same person (phone and role) kept; other warnings'
    rows untouched."""
    cols = ["warning", "order", "village_code", "village_name", "role", "name", "phone", *LOG_FIELDS]
    log = pd.DataFrame(log.drop(columns="geometry", errors="ignore")) if log is not None else pd.DataFrame(
        columns=cols)
    for c in cols:
        if c not in log:
            log[c] = None
    log = log[cols]
    old = log[log["warning"] == key]
    new = calls[["order", "village_code", "village_name", "role", "name", "phone"]].copy()
    new.insert(0, "warning", key)
    ident = ["village_code", "role", "name", "phone"]
    if len(old):
        kept = old.drop_duplicates(ident)[ident + list(LOG_FIELDS)]
        new = new.merge(kept.astype({c: str for c in ident}), on=ident, how="left")
    for c in LOG_FIELDS:
        if c not in new:
            new[c] = None
    others = log[log["warning"] != key]
    out = pd.concat([others.astype(object), new[cols].astype(object)], ignore_index=True) if len(others) else \
        new[cols].reset_index(drop=True)
    # Typed columns, so that an empty log (every value None) is not written as text and read back as text.
    out["order"] = pd.to_numeric(out["order"], errors="coerce").astype("Int64")
    out["moved_people"] = pd.to_numeric(out["moved_people"], errors="coerce").astype("Int64")
    for c in ("called_at", "answered", "answered_by", "note"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def record_answers(log, key: str, answered: Sequence[str], not_answered: Sequence[str], now=None,
                   moved: Optional[dict] = None):
    """Record calls of this warning by phone: answered (是) or not (否) at ``now``; ``moved``: {phone: people
    the person reports moved}."""
    now = now or dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    log = log.copy()
    mine = log["warning"] == key

    def rows_of(phone):
        hit = mine & (log["phone"].astype(str) == str(phone).strip())
        if not hit.any():
            raise RiskOneMapError(f"phone {phone} is not on this warning's call list", layer="call_log",
                                  field="phone")
        return hit

    for phones, value in ((answered, "是"), (not_answered, "否")):
        for phone in phones:
            hit = rows_of(phone)
            log.loc[hit, "answered"] = value
            log.loc[hit, "called_at"] = now
    for phone, people in (moved or {}).items():
        log.loc[rows_of(phone), "moved_people"] = int(people)
    log["moved_people"] = pd.to_numeric(log["moved_people"], errors="coerce").astype("Int64")
    return log


# ------------------------------------------------------------------------------------------------ files
def excel_safe(value):
    """A text cell a spreadsheet would run as a formula (= + - @ tab CR first) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda col: col.map(excel_safe) if col.dtype == object else col)


def write_xlsx(path, sheets: dict) -> None:
    """Frames as sheets, streamed (openpyxl's write-only mode: pandas' to_excel made a cell object for each of a
    county's 200,000 cells, 70 % of the job). Text stays text (phones and codes never become 1.38E+10); missing
    values are empty cells."""
    import openpyxl
    book = openpyxl.Workbook(write_only=True)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append([str(c) for c in frame.columns])
        values = frame.astype(object).where(frame.notna(), None)
        for row in values.itertuples(index=False, name=None):
            sheet.append(row)
    book.save(path)


def write_call_files(out: Path, calls: pd.DataFrame, households, summary: Sequence[str]) -> list:
    out.mkdir(parents=True, exist_ok=True)
    table = _safe_frame(calls[[c for c in CALL_COLUMNS_ZH if c in calls]].rename(columns=CALL_COLUMNS_ZH))
    hh = pd.DataFrame(households.drop(columns="geometry", errors="ignore"))
    hh_table = _safe_frame(hh[[c for c in HOUSEHOLD_COLUMNS_ZH if c in hh]].rename(columns=HOUSEHOLD_COLUMNS_ZH))
    written = []
    for name, frame in (("叫应名单.csv", table), ("住户转移清单.csv", hh_table)):
        with atomic_path(out / name) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        written.append(out / name)
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        pass  # the CSV is there; XLSX needs openpyxl (an optional component)
    else:
        with atomic_path(out / "叫应名单.xlsx") as tmp:
            write_xlsx(tmp, {"叫应名单": table, "住户转移清单": hh_table})
        written.append(out / "叫应名单.xlsx")
    with atomic_path(out / "叫应摘要.txt") as tmp:
        tmp.write_text("\n".join(summary) + "\n", encoding="utf-8")
    written.append(out / "叫应摘要.txt")
    return written
