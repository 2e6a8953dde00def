"""The import report: one row per input feature (kept, repaired, rejected, with the reason), and per source a summary.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


from . import model


KEPT, REPAIRED, REJECTED = "kept", "repaired", "rejected"
REPORT_LAYER = "import_report"
REPORT_CSV = "import_report.csv"
REPORT_COLUMNS = ("source_file", "source_layer", "source_fid", "target_layer", "status", "reason", "detail")


@dataclass
class SourceSummary:
    label: str
    target: str
    target_rule: str
    encoding: str = ""
    crs: str = ""
    fields: str = ""
    notes: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    went_to: list = field(default_factory=list)  # the layers its kept features went to (villages or village_points)


@dataclass
class ImportReport:
    """Every input feature's fate (``rows``), what was decided per input (``sources``) and what was written.

    A row: source_file, source_layer, source_fid (the OGR feature id: 0-based for shapefiles and GeoJSON,
    1-based for GeoPackages; for CSV/XLSX the spreadsheet row number, header = row 1), target_layer,
    status (kept / repaired / rejected), reason (what was wrong), detail (what was done or noted).
    """
    out: Path
    crs: str = ""
    rows: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    layers: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def counts(self) -> Counter:
        return Counter(r["status"] for r in self.rows)

    def frame(self):
        import pandas as pd
        frame = pd.DataFrame(self.rows, columns=list(REPORT_COLUMNS))
        # feature numbers stay whole numbers when a raster row (no feature) is among them, not 23.0
        fid = pd.to_numeric(frame["source_fid"], errors="coerce")
        if fid.notna().sum() == frame["source_fid"].notna().sum():
            frame["source_fid"] = fid.round().astype("Int64")
        return frame

    def summary(self) -> str:
        c = self.counts()
        lines = [f"imported {len(self.rows)} features from {len(self.sources)} inputs: {c[KEPT]} kept, "
                 f"{c[REPAIRED]} repaired, {c[REJECTED]} rejected -> {self.out}",
                 f"  package CRS: {self.crs}"]
        for s in self.sources:
            n = s.counts
            target = ", ".join(s.went_to) or s.target or "(not imported)"
            lines.append(f"  {s.label} -> {target}: {n[KEPT]} kept, {n[REPAIRED]} repaired, "
                         f"{n[REJECTED]} rejected" + (f"; encoding {s.encoding}" if s.encoding else "")
                         + (f"; CRS {s.crs}" if s.crs else ""))
            for note in s.notes:
                lines.append(f"      {note}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        if self.layers:
            lines.append("  layers: " + ", ".join(f"{k} {v}" for k, v in self.layers.items()))
        reasons = Counter(r["reason"].split(":")[0] for r in self.rows if r["status"] == REJECTED)
        if reasons:
            lines.append("  rejected because: " + "; ".join(f"{k} ({v})" for k, v in reasons.most_common(5)))
        # values left empty are said here too: a shelter whose capacity was '很多' takes nobody in an evacuation
        emptied = Counter(part.strip() for r in self.rows if r["status"] == REPAIRED
                          for part in str(r["reason"] or "").split(";") if "left empty" in part)
        if emptied:
            lines.append("  left empty: " + "; ".join(f"{k} ({v})" for k, v in emptied.most_common(5)))
        lines.append(f"  report: {self.out / REPORT_CSV} (and table {REPORT_LAYER} in {model.GPKG_NAME})")
        return "\n".join(lines)


@dataclass
class Record:
    """One input feature on its way to a layer."""
    layer: str
    values: dict
    extras: dict
    geom: object
    row: dict  # its report row
    problems: list = field(default_factory=list)  # repairs made (status 'repaired')
    notes: list = field(default_factory=list)     # detail

    def reject(self, reason: str) -> None:
        self.row["status"], self.row["reason"] = REJECTED, reason

    @property
    def rejected(self) -> bool:
        return self.row["status"] == REJECTED
