"""The patrol round trip's decisions (巡查合并): what the phones recorded, and what of it changes the ledger.

Every record that comes back is kept (``patrol_records``), whatever happens to the status it asks for:
- a record already merged (its uuid is known) is skipped, so merging a folder twice changes nothing;
- a status change is applied through the ledger's workflow (analysis.ledger.apply_updates, with history) when
  it is the only one asked for its site in this merge and the site's status is still what the phone was given;
- two phones asking different statuses for one site, or a phone asking to change a status someone else has
  changed since the export, is a **conflict**: both records are kept and listed, the status stays, the office
  decides (in the workbook or QGIS). Nothing is overwritten silently;
- a new site found on patrol becomes a ledger site (id XC-<its record>, 待交办) with its photo and finder.

Pure: pandas, geopandas.
"""
from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..layers import model
from ..layers.model import text_value
from . import ledger as al

KEY_SEP = ":"
RECORD_FIELDS = model.layer_spec("patrol_records").field_names


def site_key(site_layer: str, site_id: str) -> str:
    return f"{site_layer}{KEY_SEP}{site_id}"


def patrol_sites(entries):
    """The ledger entries as the phone's list of places to inspect: key, name, status ... and a label
    (名称（类别，状态）) for the form's drop-down."""
    frame = entries[["site_layer", "site_id", "name", "category", "status", "village_code", "resp_name",
                     "deadline", "geometry"]].copy()
    frame.insert(0, "key", [site_key(a, b) for a, b in zip(frame["site_layer"], frame["site_id"])])
    cats = model.LEDGER_FIELD_LABELS["category"]
    frame["label"] = [f"{text_value(n) or b}（{cats.get(c, c)}，{model.LEDGER_STATUSES.get(s, s)}）"
                      for n, b, c, s in zip(frame["name"], frame["site_id"], frame["category"], frame["status"])]
    return frame.reset_index(drop=True)


@dataclass
class ReturnedFolder:
    path: Path
    export_id: str
    sites: object  # patrol_sites as exported: the status each site had on the phone
    inspections: object
    new_sites: object


@dataclass
class MergeReport:
    folders: list = field(default_factory=list)
    skipped: int = 0
    changes: list = field(default_factory=list)  # analysis.ledger.Change
    conflicts: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    new_sites: list = field(default_factory=list)
    recorded: int = 0
    missing_photos: list = field(default_factory=list)
    unknown_sites: list = field(default_factory=list)

    def nothing_new(self) -> bool:
        return not (self.recorded or self.changes or self.conflicts or self.refused or self.new_sites
                    or self.unknown_sites)

    def lines(self) -> list:
        if self.nothing_new():
            return [f"巡查合并：{len(self.folders)} 个巡查包没有新记录（已合并过的 {self.skipped} 条跳过），数据包未改动。"]
        status = [c for c in self.changes if c.field == "status"]
        lines = [f"巡查合并：{len(self.folders)} 个巡查包，新巡查记录 {self.recorded} 条（其中更新治理状态 {len(status)} 处），"
                 f"新增隐患 {len(self.new_sites)} 处，冲突 {len(self.conflicts)} 处待台账管理人员决定（双方记录都保留）"
                 + (f"，不符合流程未更新 {len(self.refused)} 条" if self.refused else "")
                 + (f"，已合并过而跳过 {self.skipped} 条" if self.skipped else "") + "。"]
        lines += [f"  状态 {c.line()}" for c in status]
        lines += [f"  新增 {s}" for s in self.new_sites]
        lines += [f"  冲突 {c}" for c in self.conflicts]
        lines += [f"  未更新 {r}" for r in self.refused]
        lines += [f"  不在台账 {u}" for u in self.unknown_sites]
        lines += [f"  缺照片 {p}" for p in self.missing_photos]
        return lines


@dataclass
class MergePlan:
    records: list  # new patrol records (dicts of RECORD_FIELDS + geometry, _folder, _export)
    new_sites: list  # new hazard_sites rows (dicts)
    updates: list  # analysis.ledger.Update for the ledger
    report: MergeReport

    def settle(self, changes: list, refused: list) -> None:
        """Outcomes once the ledger has applied the updates: applied, recorded (the status was already so),
        refused (the workflow's reason)."""
        self.report.changes = changes
        by_uuid = {r["uuid"]: r for r in self.records}
        changed = {c.record_id for c in changes if c.field == "status"}
        for rec in self.records:
            if rec["outcome"] == "applied" and rec["uuid"] not in changed:
                rec["outcome"] = "recorded"
        for up, why in refused:
            rec = by_uuid.get(up.record_id)
            if rec is not None:
                rec["outcome"], rec["outcome_note"] = "refused", why
                self.report.refused.append(f"{rec['site_id']}（{rec['inspector'] or ''} {rec['inspected_at'] or ''}）：{why}")


def plan_merge(folders, entries, records, history, now: str) -> MergePlan:
    """Decide what the returned ``folders`` change (see the module notes). ``entries``: the package's ledger
    entries; ``records``/``history``: its patrol_records and hazard_history (None when absent)."""
    seen = set()
    if records is not None and len(records):
        seen |= set(records["uuid"].map(text_value).dropna())
    if history is not None and len(history):
        seen |= set(history["record_id"].map(text_value).dropna())
    current = {site_key(a, b): s for a, b, s in zip(entries["site_layer"], entries["site_id"], entries["status"])}
    names = {site_key(a, b): text_value(n) or b for a, b, n in zip(entries["site_layer"], entries["site_id"],
                                                                  entries["name"])}
    report = MergeReport(folders=[str(f.path) for f in folders])
    new_records, new_sites = [], []
    for folder in folders:
        base = dict(zip(folder.sites["key"].map(text_value), folder.sites["status"].map(text_value)))
        for rec in _rows(folder, folder.inspections):
            if rec["uuid"] in seen:
                report.skipped += 1
                continue
            seen.add(rec["uuid"])
            key = text_value(rec.pop("site_key")) or ""
            layer, _, sid = key.partition(KEY_SEP)
            rec.update(site_layer=layer or None, site_id=sid or None, _key=key, _base=base.get(key),
                       outcome="applied" if rec.get("new_status") else "recorded", outcome_note=None)
            if key not in current:
                rec["outcome"], rec["outcome_note"] = "recorded", "巡查对象不在台账中"
                report.unknown_sites.append(f"{rec['uuid']}：{key}")
            new_records.append(rec)
        for rec in _rows(folder, folder.new_sites):
            if rec["uuid"] in seen:
                report.skipped += 1
                continue
            seen.add(rec["uuid"])
            rec["id"] = f"XC-{rec['uuid'][:8].upper()}"
            if rec["geometry"] is None or rec["geometry"].is_empty:  # a ledger site is a place on the map
                report.refused.append(f"新发现隐患“{rec.get('name') or rec['uuid']}”（{rec.get('finder') or ''}）没有点位，"
                                      f"未加入台账：请在地图上补点后再交回")
                seen.discard(rec["uuid"])  # merged again once it has its point
                continue
            new_sites.append(rec)
            report.new_sites.append(f"{rec['id']} {rec.get('name') or ''}（{model.LEDGER_FIELD_LABELS['category'].get(rec.get('category'), rec.get('category'))}，"
                                    f"{rec.get('finder') or ''} {rec.get('found_date') or ''}）")
    report.recorded = len(new_records)
    asking = {}
    for rec in new_records:
        if rec["outcome"] == "applied":
            asking.setdefault(rec["_key"], []).append(rec)
    for key, recs in asking.items():
        wanted = {r["new_status"] for r in recs}
        who = "；".join(f"{r['inspector'] or '?'} {r['inspected_at'] or ''} 要求改为"
                       f"“{model.LEDGER_STATUSES.get(r['new_status'], r['new_status'])}”" for r in recs)
        if len(wanted) > 1:
            note = f"同一隐患收到不同的状态变更：{who}"
        elif any(r["_base"] not in (None, current[key]) for r in recs) and wanted != {current[key]}:
            note = (f"导出后状态已改为“{model.LEDGER_STATUSES.get(current[key], current[key])}”，"
                    f"巡查时手机上为“{model.LEDGER_STATUSES.get(recs[0]['_base'], recs[0]['_base'])}”：{who}")
        else:
            continue
        for r in recs:
            r["outcome"], r["outcome_note"] = "conflict", note
        report.conflicts.append(f"{key.partition(KEY_SEP)[2]}（{names.get(key, '')}）{note}")
    updates = [al.Update(r["site_layer"], r["site_id"], {"status": r["new_status"]}, changed_by=r["inspector"],
                         changed_at=r["inspected_at"] or now, record_id=r["uuid"], note=r.get("finding"))
               for r in sorted(new_records, key=lambda r: str(r.get("inspected_at") or ""))
               if r["outcome"] == "applied"]
    for s in new_sites:
        category = model.LEDGER_CATEGORY_BY_KEY.get(s.get("category"))
        updates.append(al.Update(al.SITES, s["id"], {
            "sector": category.sector if category else None, "found_date": al.date_text(s.get("found_date")),
            "finder": s.get("finder"), "note": s.get("note")}, changed_by=s.get("finder"), record_id=s["uuid"]))
    for rec in new_records:
        rec["merged_at"] = now
    for s in new_sites:
        s["merged_at"] = now
    return MergePlan(new_records, new_sites, updates, report)


def _rows(folder: ReturnedFolder, frame) -> list:
    """The records of one layer of a returned folder as dicts, each with a uuid (a record without one, a phone
    that skipped the default, gets one made from the folder's export and its content: the same on every merge)."""
    out = []
    if frame is None or not len(frame):
        return out
    plain = pd.DataFrame(frame.drop(columns="geometry"))
    for (_, row), geom in zip(plain.iterrows(), frame.geometry):
        rec = {k: text_value(v) for k, v in row.items()}
        if not rec.get("uuid"):
            rec["uuid"] = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{folder.export_id}|{sorted(rec.items())}"))
        rec.update(geometry=geom, _folder=str(folder.path), _export=folder.export_id, folder=folder.path.name)
        out.append(rec)
    return out


def new_site_record(site: dict) -> dict:
    """A new site's own line in patrol_records, so that it holds everything that came back from the phones."""
    return {"uuid": site["uuid"], "site_layer": al.SITES, "site_id": site["id"], "inspected_at": site.get("found_date"),
            "inspector": site.get("finder"), "finding": site.get("name"), "photo": site.get("photo"),
            "note": site.get("note"), "folder": site.get("folder"), "merged_at": site.get("merged_at"),
            "outcome": "new_site", "geometry": site["geometry"]}


def add_new_sites(sites, new_sites: list, crs):
    """hazard_sites with the patrol's new sites added (source patrol)."""
    import geopandas as gpd
    cols = model.layer_spec(al.SITES).field_names
    rows = [{**{c: s.get(c) for c in cols}, "source": "patrol", "geometry": s["geometry"]} for s in new_sites]
    new = gpd.GeoDataFrame(rows, columns=cols + ["geometry"], geometry="geometry", crs=crs)
    if sites is None or not len(sites):
        return new
    return gpd.GeoDataFrame(pd.concat([sites, new], ignore_index=True), geometry="geometry", crs=sites.crs)


def records_frame(existing, records: list, crs):
    """patrol_records with the new records appended (the new sites' own records included by the caller)."""
    import geopandas as gpd
    rows = [{**{c: r.get(c) for c in RECORD_FIELDS}, "geometry": r["geometry"]} for r in records]
    new = gpd.GeoDataFrame(rows, columns=RECORD_FIELDS + ["geometry"], geometry="geometry", crs=crs)
    if existing is None or not len(existing):
        return new
    return gpd.GeoDataFrame(pd.concat([existing, new], ignore_index=True), geometry="geometry", crs=existing.crs)
