"""The hazard ledger (隐患排查治理台账) as plain tables: its entries, the status workflow, changes with history.

An entry is a feature of ``hazard_sites`` or of a linked layer (geohazard points, low points: their features are
ledger entries as they are, found by layer and id, never copied), with its one treatment record in
``hazard_treatment`` (an entry without one is 待交办, owned by its category's usual sector). Every status change
is appended to ``hazard_history``; nothing there is ever rewritten, so the ledger can always say who moved a
hazard from where to where, and when.

Pure: pandas, geopandas, shapely. The words users read come from ``layers.model``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

import pandas as pd

from ..layers import model
from ..layers.model import text_value

SITES = "hazard_sites"
KEY = ["site_layer", "site_id"]
TREATMENT_FIELDS = tuple(model.layer_spec("hazard_treatment").field_names)
HISTORY_FIELDS = tuple(model.layer_spec("hazard_history").field_names)
# What an office (the workbook) or a patrol may change, per entry; site fields only for the ledger's own sites.
TREATMENT_EDITABLE = tuple(f for f in TREATMENT_FIELDS if f not in ("site_layer", "site_id", "status_date"))
SITE_EDITABLE = ("name", "category", "address")
# The responsible person of a linked layer's feature, when its treatment record names none.
LINKED_PERSON = {"geohazard_points": ("monitor_name", "monitor_phone"), "flood_lowpoints": ("resp_name", "resp_phone")}
ENTRY_COLUMNS = (KEY + ["name", "category", "kind", "sector", "village_code", "village_name", "township_code",
                        "township_name", "address", "photo"]
                 + [f for f in TREATMENT_FIELDS if f not in ("site_layer", "site_id", "sector")] + ["overdue_days"])


def status_change_problem(old: Optional[str], new: Optional[str]) -> Optional[str]:
    """Why ``old`` -> ``new`` is not a status change the workflow allows (a Chinese sentence), or None.

    Any move between the statuses is allowed (forward by several steps, back when a check fails or a hazard
    returns) except striking a hazard off (已销号) before its rectification was seen done (已整改)."""
    if new not in model.LEDGER_STATUSES:
        return f"“{new}”不是治理状态（应为 {'、'.join(model.LEDGER_STATUSES.values())}）"
    if new == old:
        return None
    if new == "closed" and old not in model.LEDGER_CLOSE_FROM:
        return (f"不能从“{model.ledger_label(model.LEDGER_STATUSES, old) or '待交办'}”直接销号："
                f"须先核实为“{model.LEDGER_STATUSES['fixed']}”")
    return None


def parse_date(value) -> Optional[dt.date]:
    """A date from text (2026-05-01, 2026/5/1, 2026年5月1日, 20260501), a datetime or a spreadsheet date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = text_value(value)
    if text is None:
        return None
    text = text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    text = text.split(" ")[0].split("T")[0]
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def date_text(value) -> Optional[str]:
    """A date as the ledger stores it (YYYY-MM-DD); text that is no date is kept as written."""
    day = parse_date(value)
    return day.isoformat() if day is not None else text_value(value)


def overdue_days(deadline, status, today: dt.date) -> int:
    """Days past the deadline of an open entry (0 when not overdue, closed, or without a deadline)."""
    day = parse_date(deadline)
    if day is None or status not in model.LEDGER_OPEN_STATUSES:
        return 0
    return max(0, (today - day).days)


# ------------------------------------------------------------------------------------------------ entries
def ledger_entries(sites, treatment, linked: dict, villages=None, townships=None,
                   today: Optional[dt.date] = None):
    """Every ledger entry with its treatment record, village, township and days overdue (a GeoDataFrame in
    the sites' CRS). ``linked``: {layer name: frame} of the linked layers present."""
    import geopandas as gpd
    today = today or dt.date.today()
    parts = []
    if sites is not None and len(sites):
        own = sites.copy()
        own["site_layer"], own["site_id"] = SITES, own["id"].map(text_value)
        parts.append(own)
    for layer, frame in linked.items():
        if frame is None or not len(frame):
            continue
        name_col, phone_col = LINKED_PERSON[layer]
        part = frame.copy()
        part["site_layer"], part["site_id"] = layer, part["id"].map(text_value)
        part["category"] = model.LEDGER_LINKED_LAYERS[layer]
        part["_person"], part["_phone"] = part.get(name_col), part.get(phone_col)
        if "address" not in part:
            part["address"] = None
        if part.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any():
            part = part.set_geometry(part.geometry.representative_point())
        parts.append(part)
    crs = next((p.crs for p in parts if getattr(p, "crs", None) is not None), None)
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in ENTRY_COLUMNS}, geometry=gpd.GeoSeries([], crs=crs))
    cols = KEY + ["name", "category", "village_code", "address", "photo", "_person", "_phone", "geometry"]
    frame = pd.concat([p.reindex(columns=cols) for p in parts], ignore_index=True)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    frame = frame.merge(_treatment_frame(treatment).drop_duplicates(KEY, keep="last"), on=KEY, how="left")
    frame["status"] = frame["status"].where(frame["status"].notna(), "pending")
    frame["sector"] = [text_value(s) or model.LEDGER_CATEGORY_BY_KEY.get(c, model.LEDGER_CATEGORIES[0]).sector
                       for s, c in zip(frame["sector"], frame["category"])]
    frame["kind"] = [model.LEDGER_CATEGORY_BY_KEY[c].kind if c in model.LEDGER_CATEGORY_BY_KEY else None
                     for c in frame["category"]]
    frame["resp_name"] = frame["resp_name"].where(frame["resp_name"].notna(), frame["_person"])
    frame["resp_phone"] = frame["resp_phone"].where(frame["resp_phone"].notna(), frame["_phone"])
    _place(frame, villages, townships)
    frame["overdue_days"] = [overdue_days(d, s, today) for d, s in zip(frame["deadline"], frame["status"])]
    return frame[list(ENTRY_COLUMNS) + ["geometry"]].sort_values(
        ["township_code", "village_code", "site_layer", "site_id"], na_position="last").reset_index(drop=True)


def _treatment_frame(treatment) -> pd.DataFrame:
    if treatment is None or not len(treatment):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TREATMENT_FIELDS})
    frame = pd.DataFrame(treatment.drop(columns="geometry", errors="ignore")).reindex(columns=TREATMENT_FIELDS)
    return frame.astype(object).where(frame.notna(), None)


def _place(frame, villages, townships) -> None:
    """village_code where the entry has none (the village it lies in), then the village and township names."""
    codes = frame["village_code"].map(text_value)
    if villages is not None and len(villages) and codes.isna().any():
        import geopandas as gpd
        todo = frame[codes.isna() & frame.geometry.notna()]
        if len(todo):
            hit = gpd.sjoin(todo[["geometry"]], villages[["code", "geometry"]].to_crs(frame.crs),
                            how="left", predicate="within")
            hit = hit[~hit.index.duplicated()]
            codes = codes.where(codes.notna(), hit["code"].reindex(frame.index).map(text_value))
    frame["village_code"] = codes
    names, parents = {}, {}
    if villages is not None and len(villages):
        names = dict(zip(villages["code"].map(text_value), villages["name"].map(text_value)))
        if "parent_code" in villages:
            parents = dict(zip(villages["code"].map(text_value), villages["parent_code"].map(text_value)))
    towns = {}
    if townships is not None and len(townships):
        towns = dict(zip(townships["code"].map(text_value), townships["name"].map(text_value)))
    frame["village_name"] = codes.map(names)
    frame["township_code"] = codes.map(parents)
    frame["township_name"] = frame["township_code"].map(towns)


# ------------------------------------------------------------------------------------------------ changes
@dataclass
class Change:
    """One change to the ledger, as the import and merge reports list it."""
    site_layer: str
    site_id: str
    name: str
    field: str
    old: Optional[str]
    new: Optional[str]
    source: str
    record_id: Optional[str] = None

    def line(self) -> str:
        zh = _FIELD_ZH.get(self.field, self.field)
        return (f"{self.site_id}（{self.name}）{zh}：{_shown(self.field, self.old) or '（空）'} → "
                f"{_shown(self.field, self.new) or '（空）'}")


_FIELD_ZH = {**model.layer_spec("hazard_treatment").aliases, **model.layer_spec(SITES).aliases}
_CODED = {"status": model.LEDGER_STATUSES, "measure": model.LEDGER_MEASURES, "sector": model.LEDGER_SECTORS,
          "risk_grade": model.LEDGER_RISK_GRADES,
          "category": {c.key: c.zh for c in model.LEDGER_CATEGORIES}}


def _shown(field: str, value) -> Optional[str]:
    return model.ledger_label(_CODED[field], value) if field in _CODED else text_value(value)


@dataclass
class Update:
    """What one office row or patrol record asks to change on one entry: {field: new value} (keys, not words)."""
    site_layer: str
    site_id: str
    values: dict
    changed_by: Optional[str] = None
    changed_at: Optional[str] = None
    record_id: Optional[str] = None
    note: Optional[str] = None


def apply_updates(treatment, history, sites, updates: Iterable[Update], source: str, names: dict,
                  now: Optional[str] = None):
    """Apply ``updates`` to the treatment records (and, for fields in SITE_EDITABLE, to ``sites``).

    Returns ``(treatment, history, sites, changes, refused)``: new frames, the list of Change, and
    [(update, Chinese reason)] for status changes the workflow refuses (nothing of such an update is applied).
    A status change appends a row to history (changed_at, old, new, who, source, record_id); an update whose
    record_id is in history already was applied before and changes nothing."""
    now = now or dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    table = _treatment_frame(treatment).reset_index(drop=True)
    hist = _history_frame(history)
    sites = sites.copy() if sites is not None else None
    seen = set(hist["record_id"].dropna().map(str))
    changes, refused, new_history = [], [], []
    for up in updates:
        if up.record_id and up.record_id in seen:
            continue
        hit = (table["site_layer"] == up.site_layer) & (table["site_id"] == up.site_id)
        if hit.any():
            row = table.index[hit][-1]
        else:
            row = len(table)
            table.loc[row] = {c: None for c in TREATMENT_FIELDS}
            table.loc[row, ["site_layer", "site_id", "status"]] = [up.site_layer, up.site_id, "pending"]
        old_status = table.at[row, "status"]
        new_status = up.values.get("status")
        if new_status is not None:
            problem = status_change_problem(old_status, new_status)
            if problem:
                refused.append((up, problem))
                if not hit.any():
                    table = table.drop(index=row)
                continue
        when = up.changed_at or now
        name = names.get((up.site_layer, up.site_id), "")
        for field, value in up.values.items():
            value = text_value(value)
            if field in SITE_EDITABLE and up.site_layer == SITES:
                at = sites.index[sites["id"].map(text_value) == up.site_id]
                old = text_value(sites.at[at[0], field]) if len(at) and field in sites else None
                if len(at) and old != value and value is not None:
                    sites.loc[at, field] = value
                    changes.append(Change(up.site_layer, up.site_id, name, field, old, value, source, up.record_id))
                continue
            if field not in TREATMENT_EDITABLE:
                continue
            old = text_value(table.at[row, field])
            if old == value or (value is None and field == "status"):
                continue
            table.at[row, field] = value
            changes.append(Change(up.site_layer, up.site_id, name, field, old, value, source, up.record_id))
            if field == "status":
                table.at[row, "status_date"] = when[:10]
                new_history.append({"site_layer": up.site_layer, "site_id": up.site_id, "changed_at": when,
                                    "old_status": old, "new_status": value, "changed_by": up.changed_by,
                                    "source": source, "record_id": up.record_id, "note": up.note})
        if up.record_id:
            seen.add(up.record_id)
    if new_history:
        hist = pd.concat([hist, pd.DataFrame(new_history, columns=HISTORY_FIELDS)], ignore_index=True)
    return table.reset_index(drop=True), hist, sites, changes, refused


def _history_frame(history) -> pd.DataFrame:
    if history is None or not len(history):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_FIELDS})
    frame = pd.DataFrame(history.drop(columns="geometry", errors="ignore")).reindex(columns=HISTORY_FIELDS)
    return frame.astype(object).where(frame.notna(), None)


def status_counts(entries: pd.DataFrame, by: str) -> pd.DataFrame:
    """Entries counted by ``by`` (a column) and status, with 合计 and 逾期 columns, statuses in workflow order."""
    table = pd.crosstab(entries[by].fillna("（未知）"), entries["status"])
    table = table.reindex(columns=list(model.LEDGER_STATUSES), fill_value=0)
    table["total"] = table.sum(axis=1)
    table["overdue"] = entries.assign(_o=entries["overdue_days"] > 0).groupby(
        entries[by].fillna("（未知）"))["_o"].sum().reindex(table.index).fillna(0).astype(int)
    return table
