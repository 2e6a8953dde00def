"""Raw files -> a clean one-map package, with an ``import_report`` of every input feature.

``import_sources(inputs, out, ...)`` reads every input (:mod:`.readers`), decides encodings (:mod:`.encoding`),
CRSs (:mod:`.crs_detect`) and field meanings (:mod:`.fieldmap`), then, feature by feature:
- maps fields to the model, reads values (Chinese labels -> model keys), generates missing ids;
- reprojects to the one package CRS, repairs invalid polygons with ``shapely.make_valid`` (keeping the
  polygonal part) and turns one-point MultiPoints into Points;
- rejects, with the field and value named, features whose geometry is empty or of the wrong type, or whose
  required field is missing or not understood.
Every input feature gets exactly one report row: ``kept``, ``repaired`` or ``rejected``, with the reason.

Administrative units: polygons go to county / townships / villages; units known only as points go to
county_points / township_points / village_points (points are not boundaries, and boundaries are not invented
from them); rows of a code table (code, parent, level) go to the ``admin_units`` table and fill in the names,
parent codes and census figures of the polygons with the same code. Parent codes are derived from 12-digit
codes when missing.

The package is written atomically (``write_package``), then ``import_report.csv`` (UTF-8 with BOM, for Excel)
beside onemap.gpkg. Inputs are never modified. Pure: no qgis.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from ..progress import Steps
from . import crs_detect, fieldmap, model, raster_import
from .package import atomic_path, outputs_together, write_package
from .readers import Source, parse_inputs, read_input
from .tables import write_csv

KEPT, REPAIRED, REJECTED = "kept", "repaired", "rejected"
REPORT_LAYER = "import_report"
REPORT_CSV = "import_report.csv"
REPORT_COLUMNS = ("source_file", "source_layer", "source_fid", "target_layer", "status", "reason", "detail")
CODE_FIELDS = {"code", "parent_code", "village_code"}
RESERVED = {"fid", "geom", "geometry", "ogc_fid"}
ADMIN_LEVEL_WORD = {"county": "county", "townships": "township", "villages": "village"}


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# The door
# --------------------------------------------------------------------------------------------------
def import_sources(inputs, out, mapping=None, crs=None, encoding=None, overwrite: bool = False, layer_for=(),
                   progress=None, cancelled=None) -> ImportReport:
    """Read ``inputs`` (paths, or 'LAYER=path'), write a clean package to ``out``, return the report.

    ``mapping``: a JSON/CSV field-mapping file, or a dict {layer: {source field: model field}};
    ``crs``: the CRS of inputs that have none (e.g. 'EPSG:4490'); ``encoding``: force the shapefile/CSV encoding;
    ``layer_for``: ['FILE=LAYER', ...]. Raises RiskOneMapError on input that can't be read at all.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise RiskOneMapError("the output folder exists and is not empty (use --overwrite to replace it)", file=out)
    if crs:
        crs_detect.parse_crs(crs)
    user = mapping if isinstance(mapping, dict) else (fieldmap.load_mapping(mapping) if mapping else {})
    files = parse_inputs(inputs, layer_for)
    rasters = [raster_import.raster_target(path, layer) for path, layer in files if raster_import.is_raster(path)]
    files = [(path, layer) for path, layer in files if not raster_import.is_raster(path)]
    if not files:
        raise RiskOneMapError("give at least one vector file (villages, hazards...) beside the rasters: "
                              "the package CRS and extent come from them", file=rasters[0].path if rasters else None)
    out_resolved = out.resolve()
    for path, _ in files:
        if out_resolved in path.resolve().parents:
            raise RiskOneMapError("an input lies inside the output folder, which import replaces; write elsewhere",
                                  file=path)
    steps = Steps(progress, cancelled, weights=[2, 3, 2])
    steps.next()
    sources = []
    for i, (path, layer) in enumerate(files):
        steps.sub(i / len(files))
        sources.extend(read_input(path, layer, encoding=encoding, crs=crs))
    centre = _centre_lon(sources)
    if centre is None and rasters:
        centre = raster_import.centre_lon(rasters[0], crs)
    target, crs_note = crs_detect.target_crs([s.crs for s in sources if s.crs is not None], centre)
    report = ImportReport(out, crs=crs_note)
    records = []
    steps.next()
    for i, source in enumerate(sources):
        steps.sub(i / len(sources))
        records.extend(_convert(source, target, user.get(source.target, {}) if source.target else {}, report))
    steps.next()
    _post_process(records, report)
    layers = _assemble(records, target)
    _approximate_villages(layers, report)
    _county_from_units(layers, report)
    report.layers = {k: len(v) for k, v in layers.items()}
    for s in report.sources:
        s.counts.update(r.row["status"] for r in records if r.row.get("_source") is s)
        s.went_to = list(dict.fromkeys(r.row["target_layer"] for r in records
                                       if r.row.get("_source") is s and not r.rejected and r.row["target_layer"]))
    for r in report.rows:
        r.pop("_source", None)
    warped = {}
    for item in rasters:
        steps.check()
        array, transform, rcrs, nodata, note = raster_import.warp(item, target, crs)
        name = raster_import.RASTER_TARGETS[item.target]
        if name in warped:
            raise RiskOneMapError(f"two rasters for {name}; give one", file=item.path)
        warped[name] = (array, transform, rcrs, nodata)
        same = raster_import.source_crs(item, crs) == target
        report.rows.append({"source_file": str(item.path), "source_layer": "band 1", "source_fid": None,
                            "target_layer": name, "status": KEPT if same else REPAIRED,
                            "reason": "resampled on the package grid (already in the package CRS)" if same
                            else "reprojected into the package CRS",
                            "detail": f"{item.target} ({item.rule}): {note}"})
        report.notes.append(f"{item.path.name} -> {name}: {note}")
    layers[REPORT_LAYER] = report.frame()
    steps.check()
    with outputs_together():
        write_package(out, layers, rasters=warped, overwrite=overwrite)
        with atomic_path(out / REPORT_CSV, suffix=".csv") as tmp:
            write_csv(report.frame(), tmp)
    steps.done()
    return report


def _centre_lon(sources) -> Optional[float]:
    """Centre longitude of all inputs (from their bounds in CGCS2000 degrees)."""
    import shapely
    from pyproj import Transformer
    lons = []
    for s in sources:
        if s.geoms is None or s.crs is None:
            continue
        valid = np.array([g for g in s.geoms if g is not None and not g.is_empty], dtype=object)
        if not len(valid):
            continue
        x0, y0, x1, y1 = shapely.total_bounds(valid)
        tr = Transformer.from_crs(s.crs.crs, model.CGCS2000_GEOGRAPHIC, always_xy=True)
        lon, _ = tr.transform([x0, x1, x0, x1], [y0, y0, y1, y1])
        lons.extend(v for v in lon if math.isfinite(v))
    return (min(lons) + max(lons)) / 2.0 if lons else None


# --------------------------------------------------------------------------------------------------
# One source -> records
# --------------------------------------------------------------------------------------------------
def _fields_of(layer: str) -> tuple:
    base = fieldmap.POINT_BASE.get(layer, "villages" if layer == fieldmap.ADMIN_UNITS else layer)
    return model.LAYER_BY_NAME[base].fields


def _convert(source: Source, target_crs, user: dict, report: ImportReport) -> list:
    summary = SourceSummary(source.label, source.target or "", source.target_rule,
                            encoding=source.encoding.describe() if source.encoding else "",
                            crs=source.crs.describe() if source.crs else "", notes=list(source.notes))
    report.sources.append(summary)
    frame = source.frame
    fids = list(frame.index)

    def new_row(fid, layer):
        row = dict(source_file=str(source.file), source_layer=source.layer, source_fid=_fid(fid),
                   target_layer=layer or "", status=KEPT, reason="", detail="", _source=summary)
        report.rows.append(row)
        return row

    if source.target is None:
        summary.notes.append("no one-map layer recognised for this layer; its features are not imported")
        return [Record("", {}, {}, None, _reject(new_row(fid, ""), "layer not recognised: name it with LAYER=FILE"))
                for fid in fids]
    layer = source.target
    spec = model.LAYER_BY_NAME.get(layer)
    if source.geoms is None and spec is not None and spec.geometry and layer not in fieldmap.ADMIN_LAYERS:
        raise RiskOneMapError(f"{layer} need coordinates, but the table has no 经度/纬度 (lon/lat, X/Y) columns; "
                              f"columns: {', '.join(map(str, frame.columns))}", file=source.file,
                              layer=None if source.layer == source.file.stem else source.layer)
    geoms = _reproject(source, target_crs)
    mapping, how = fieldmap.match_fields(layer, frame.columns, user, allow_prefix=source.kind == "shapefile")
    summary.notes.extend(_constants_from_name(source, layer, mapping, how))
    summary.notes.extend(_flood_simulation_note(layer, frame, geoms))
    summary.fields = ", ".join(f"{mapping[t]}->{t}" for t in mapping)
    if mapping:
        summary.notes.append("fields: " + summary.fields)
    used = {c for c in mapping.values() if not str(c).startswith("=")}
    used |= set(frame.attrs.get("coordinate_columns", ()))
    extras_cols = [c for c in frame.columns if c not in used and c != "__deleted__"]
    scale = _level_scale(frame[mapping["risk_level"]]) if "risk_level" in mapping and \
        not mapping["risk_level"].startswith("=") else 5
    spec_fields = _fields_of(layer)
    missing = [f.name for f in spec_fields if f.required and f.name not in mapping and f.name != "id"
               and not (layer == "risk_zones" and f.name == "risk_level" and "depth_class" in mapping)
               and not (f.name == "name" and layer in NAMED_FROM_PLACE)
               and (layer, f.name) != ("shelters", "shelter_class")]
    if "name" not in mapping and layer in NAMED_FROM_PLACE:
        summary.notes.append(f"no name column: each feature is named from its place (<村> {NAMED_FROM_PLACE[layer]} n)")
    if "shelter_class" not in mapping and layer == "shelters":
        summary.notes.append(f"no class column: every shelter assumed "
                             f"{model.SHELTER_CLASSES[ASSUMED_SHELTER_CLASS]} (the smallest service radius); "
                             "map the right column with --mapping if the ledger has one")
    if missing:
        summary.notes.append(f"no column for required field(s) {', '.join(missing)}: those features are rejected")
    records = []
    deleted = frame["__deleted__"] if "__deleted__" in frame.columns else None
    for i, fid in enumerate(fids):
        row_values = frame.iloc[i]
        target_layer = layer
        geom = geoms[i] if geoms is not None else None
        if layer in fieldmap.ADMIN_LAYERS and geoms is not None and geom is not None and \
                _family(geom) == "Point":
            target_layer = fieldmap.POINT_ADMIN_LAYERS[layer]
        elif layer in fieldmap.ADMIN_LAYERS and geoms is None:
            target_layer = fieldmap.ADMIN_UNITS
        rec = Record(target_layer, {}, {}, geom, new_row(fid, target_layer))
        records.append(rec)
        if deleted is not None and bool(deleted.iloc[i]):
            rec.reject("deleted record: marked deleted in the .dbf")
            continue
        _read_values(rec, row_values, mapping, spec_fields, scale, source, fid)
        if rec.rejected:
            continue
        if target_layer == fieldmap.ADMIN_UNITS:
            lvl = rec.values.pop("level", None)
            rec.values["level"] = ADMIN_LEVEL_WORD.get(
                fieldmap.admin_level_of(lvl, rec.values.get("code")) or (layer if not source.admin_table else ""),
                lvl or "")
        else:
            rec.values.pop("level", None)
        rec.extras = {_safe_name(c, spec_fields): _scalar(row_values[c]) for c in extras_cols}
        if source.swapped is not None and bool(source.swapped[i]):
            rec.problems.append("longitude and latitude were swapped; swapped back")
        if target_layer != fieldmap.ADMIN_UNITS:
            _check_geometry(rec, source, layer)
        if target_layer in fieldmap.POINT_ADMIN_LAYERS.values():
            rec.notes.append(f"a point, not a boundary: written to {target_layer}")
    return records


def _flood_simulation_note(layer: str, frame, geoms) -> list:
    """Polygons with depth classes going to flood_lowpoints are a flood simulation: say what that means and where
    else it could go, since both are defensible and the user should choose."""
    if layer != "flood_lowpoints" or geoms is None:
        return []
    depth, _how = fieldmap.match_fields("risk_zones", frame.columns)
    polygons = sum(1 for g in geoms if g is not None and _family(g) == "Polygon")
    if "depth_class" not in depth or not polygons:
        return []
    return [f"a flood simulation ({polygons} polygons with depth classes in {depth['depth_class']!r}): as "
            "flood_lowpoints its adjacent pieces are dissolved into water bodies, each evacuated with the "
            "flood-area margin (evac_radius_flood_area_m); to map it as risk levels by depth class instead, "
            "import it as risk_zones=FILE"]


def _reject(row: dict, reason: str) -> dict:
    row["status"], row["reason"] = REJECTED, reason
    return row


def _fid(fid):
    try:
        return int(fid)
    except (TypeError, ValueError):
        return fid


def _finish_row(rec: Record) -> None:
    if rec.rejected:
        return
    if rec.problems:
        rec.row["status"] = REPAIRED
        rec.row["reason"] = "; ".join(rec.problems)
    rec.row["detail"] = "; ".join(rec.notes)


def _constants_from_name(source: Source, layer: str, mapping: dict, how: dict) -> None:
    """risk_zones without a hazard-type column: the file or layer name may tell ('地质灾害风险区', 'flood_...')."""
    if layer != "risk_zones" or "hazard_type" in mapping:
        return []
    for name in (source.inner, source.file.stem):
        key = model.hazard_key(name) if name else None
        if key is None and name:
            for token in re.split(r"[^a-z]+", name.lower()):
                key = key or model.hazard_key(token)
        if key:
            mapping["hazard_type"], how["hazard_type"] = f"={key}", "file name"
            return [f"hazard_type {key} taken from the name {name!r} (no hazard-type column)"]
    return []


def _level_scale(column) -> int:
    return 4 if any("极高" in str(v) for v in column if v is not None) else 5


_NUMBER_TEXT = re.compile(r"^\d+(\.\d*)?([eE][+]?\d+)?$")


def _code_text(value):
    """(code, note): a code as its digits. A spreadsheet or a JSON number turns 130699101001 into
    '130699101001.0' or '1.30699101001e+11'; written back as the whole number it was, said in the report."""
    text = fieldmap.normalise_code(value)
    if text is None or text.isdigit() or not _NUMBER_TEXT.match(text):
        return text, None
    try:
        number = float(text)
    except (ValueError, OverflowError):
        return text, None
    if not number.is_integer() or number >= 1e15:
        return text, None  # a code with a fraction or too long to be exact: left as it is; check says so
    digits = str(int(number))
    return digits, f"{text!r} read as the code {digits}"


def _read_values(rec: Record, row, mapping: dict, spec_fields, scale: int, source: Source, fid) -> None:
    layer = source.target
    raw = {}
    for name, col in mapping.items():
        raw[name] = col[1:] if str(col).startswith("=") else _scalar(row[col])
    for f in spec_fields:
        value = raw.get(f.name)
        if layer == "risk_zones" and f.name in ("risk_level", "level_label"):
            continue  # read together below
        if f.name in CODE_FIELDS:
            value, note = _code_text(value)
            if note:
                rec.problems.append(f"{f.name}: {note}")
        reader = fieldmap.VALUE_READERS.get((layer, f.name))
        if value is None:
            rec.values[f.name] = None
            continue
        if reader is not None:
            read, note = reader(value)
            if note:
                rec.notes.append(f"{f.name}: {note}")
            if read is None:
                if f.required:
                    return rec.reject(f"{f.name}: value {value!r} not understood (column {mapping[f.name]}); "
                                      f"expected one of {_choices_zh(layer, f.name)}")
                rec.problems.append(f"{f.name}: value {value!r} not understood, left empty")
            value = read
        elif f.type in ("int", "float"):
            number = _number(value)
            if number is None:
                rec.problems.append(f"{f.name}: {value!r} is not a number, left empty")
            elif f.min is not None and number < f.min or f.max is not None and number > f.max:
                rec.problems.append(f"{f.name}: {value!r} is out of range, left empty")
                number = None
            value = number if number is None or f.type == "float" else int(round(number))
        else:
            value = fieldmap._text(value)
        rec.values[f.name] = value
    if layer == "risk_zones":
        _risk_level(rec, raw, mapping, scale)
    if layer == "shelters":
        _shelter_area_unit(rec, mapping)
    if fieldmap.POINT_BASE.get(layer, layer) in fieldmap.ADMIN_LAYERS or layer == fieldmap.ADMIN_UNITS \
            or source.admin_table:
        rec.values["level"] = raw.get("level")
    if rec.rejected:
        return
    for f in spec_fields:
        if not f.required or rec.values.get(f.name) not in (None, ""):
            continue
        if f.name == "name" and layer in NAMED_FROM_PLACE:
            continue  # named from its place once every village is known (_names_from_place)
        if (layer, f.name) == ("shelters", "shelter_class") and f.name not in mapping:
            rec.values[f.name] = ASSUMED_SHELTER_CLASS
            rec.notes.append(f"shelter_class: no column; assumed {model.SHELTER_CLASSES[ASSUMED_SHELTER_CLASS]}")
            continue
        if f.name == "id":
            rec.values["id"] = f"{source.file.stem}-{_fid(fid)}"
            (rec.problems if "id" in mapping else rec.notes).append(
                f"id {'was empty' if 'id' in mapping else 'not in the input'}: generated {rec.values['id']}")
            continue
        col = mapping.get(f.name)
        if col:
            return rec.reject(f"{f.name}: empty (column {col})")
        absent = [g.name for g in spec_fields if g.required and g.name != "id" and g.name not in mapping
                  and not (g.name == "risk_level" and "depth_class" in mapping)]
        return rec.reject(f"{', '.join(absent)}: required, and the input has no column for "
                          f"{'it' if len(absent) == 1 else 'them'} (looked for "
                          f"{'; '.join(_synonyms(layer, n) for n in absent)}; or map one with --mapping)")


def _shelter_area_unit(rec: Record, mapping: dict) -> None:
    """Areas in hectares become m²: by the header (公顷, ha), or by plausibility (a 5 m² shelter for 2,000 people
    is 5 ha), each with what was assumed."""
    area, people = rec.values.get("area_m2"), rec.values.get("capacity")
    if area is None or area <= 0:
        return
    header = str(mapping.get("area_m2", ""))
    if fieldmap.HECTARE_HEADER.search(header):
        rec.values["area_m2"] = area * 10000.0
        rec.notes.append(f"area_m2: column {header!r} is in hectares: {area:g} ha = {area * 10000:,.0f} m²")
    elif people and area / people < 0.05 <= area * 10000.0 / people <= 100.0:
        rec.values["area_m2"] = area * 10000.0
        rec.problems.append(f"area_m2: {area:g} m² for {people:g} people is not plausible; read as hectares "
                            f"({area * 10000:,.0f} m²)")


def _risk_level(rec: Record, raw: dict, mapping: dict, scale: int) -> None:
    label = raw.get("risk_level")
    level = model.risk_level_from_label(label, scale=scale) if label is not None else None
    if label is not None and level is None:
        return rec.reject(f"risk_level: value {label!r} not understood (column {mapping['risk_level']}); "
                          "expected 1..5 or 高/中高/中/中低/低 (极高/高/中/低)")
    text = fieldmap._text(raw.get("level_label"))
    if level is not None:
        rec.values["risk_level"] = level
        rec.values["level_label"] = text or (fieldmap._text(label) if not _number(label) else
                                             model.level_label(level, scale))
        return
    depth = raw.get("depth_class")
    if depth is not None:
        level, note = fieldmap.level_from_depth_class(depth)
        if level is None:
            return rec.reject(f"risk_level: depth class {depth!r} not understood (column {mapping['depth_class']})")
        rec.values["risk_level"] = level
        rec.values["level_label"] = text or fieldmap._text(depth)
        rec.notes.append(note)


def _choices_zh(layer: str, name: str) -> str:
    if name == "kind":
        return "/".join(model.GEOHAZARD_KINDS.values())
    if name == "shelter_class":
        return "紧急/短期/长期 (emergency/short_term/long_term)"
    if name == "hazard_type":
        return "/".join(h.zh for h in model.HAZARD_TYPES)
    return ", ".join(model.LAYER_BY_NAME[layer].field(name).choices)


def _synonyms(layer: str, name: str) -> str:
    return ", ".join(fieldmap.PRESETS.get(layer, {}).get(name, (name,))[:4])


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _number(value) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    text = str(value).replace(",", "").replace("，", "").strip()
    m = _NUMBER.search(text)
    if not m or len(_NUMBER.findall(text)) > 1:  # "1-2" or "10~20" is not one number
        return None
    return float(m.group())


def _scalar(value):
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return None
    return value


def _safe_name(column: str, spec_fields) -> str:
    names = {f.name.lower() for f in spec_fields} | RESERVED | {"level"}
    text = str(column)
    return f"src_{text}" if text.lower() in names else text


# --------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------
def _reproject(source: Source, target_crs):
    import shapely
    from pyproj import Transformer
    if source.geoms is None:
        return None
    geoms = shapely.force_2d(np.asarray(source.geoms, dtype=object))
    if source.crs is None or source.crs.crs == target_crs:
        return geoms
    tr = Transformer.from_crs(source.crs.crs, target_crs, always_xy=True)

    def fn(coords):
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geoms, fn)


def _family(geom) -> Optional[str]:
    t = geom.geom_type
    return {"Point": "Point", "MultiPoint": "Point", "LineString": "LineString", "LinearRing": "LineString",
            "MultiLineString": "LineString", "Polygon": "Polygon", "MultiPolygon": "Polygon"}.get(t)


def _check_geometry(rec: Record, source: Source, layer: str) -> None:
    import shapely
    spec = model.LAYER_BY_NAME.get(fieldmap.POINT_BASE.get(layer, layer))
    families = spec.geometry if spec is not None else ()
    if rec.layer in fieldmap.POINT_ADMIN_LAYERS.values():
        families = ("Point",)
    if layer in fieldmap.ADMIN_LAYERS and rec.layer == layer:
        families = ("Polygon",)
    g = rec.geom
    if not families:  # an attribute table (persons): geometry, if any, is dropped
        if g is not None and not g.is_empty:
            rec.notes.append("geometry dropped: persons is a table")
        rec.geom = None
        return
    if g is None or g.is_empty:
        cols = source.frame.attrs.get("coordinate_columns")
        if not cols:
            return rec.reject("no geometry (null)")
        fid = rec.row.get("source_fid")
        values = [source.frame.at[fid, c] if fid in source.frame.index else None for c in cols]
        shown = ", ".join("empty" if v is None else repr(v) for v in values)
        return rec.reject(f"no geometry: {cols[0]}/{cols[1]} of row {fid} are {shown}, not a coordinate pair")
    if not np.all(np.isfinite(shapely.get_coordinates(g))):
        return rec.reject("coordinates outside the CRS's valid area (could not be reprojected)")
    family = _family(g)
    if g.geom_type == "GeometryCollection":
        parts = [p for p in shapely.get_parts(g) if _family(p) in families]
        if not parts:
            return rec.reject(f"wrong geometry type: a collection with no {'/'.join(families)} part")
        fam = _family(parts[0])
        parts = [p for p in parts if _family(p) == fam]
        g = shapely.union_all(parts) if fam == "Polygon" else shapely.geometrycollections(parts)
        g = _single(g) if fam == "Point" else g
        rec.problems.append(f"geometry collection: kept its {fam} parts")
        family = fam
    if family not in families:
        return rec.reject(f"wrong geometry type: {g.geom_type}, {rec.layer} needs {' or '.join(families)}")
    if g.geom_type == "MultiPoint":
        n = shapely.get_num_geometries(g)
        if n != 1:
            return rec.reject(f"wrong geometry type: MultiPoint with {n} points, {rec.layer} needs one point each")
        g = shapely.get_geometry(g, 0)
        rec.problems.append("a one-point MultiPoint made a Point")
    if family == "Polygon" and not shapely.is_valid(g):
        reason = shapely.is_valid_reason(g)
        fixed = _polygonal(shapely.make_valid(g))
        if fixed is None or fixed.is_empty:
            return rec.reject(f"invalid polygon that could not be repaired: {reason}")
        rec.problems.append(f"invalid polygon ({reason}) repaired with make_valid")
        a0, a1 = abs(_signed_area(g)), fixed.area
        rec.notes.append(f"area {a0:.0f} -> {a1:.0f} m2 after repair")
        g = fixed
    if family == "Polygon" and g.area <= 0:
        return rec.reject("degenerate polygon: zero area")
    rec.geom = g


def _single(g):
    import shapely
    return shapely.get_geometry(g, 0)


def _polygonal(g):
    import shapely
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return None
    out = shapely.union_all(parts)
    return out if out.geom_type in ("Polygon", "MultiPolygon") else _polygonal(out)


def _signed_area(g) -> float:
    """Shoelace area of the exterior rings (what an invalid polygon 'meant' before repair)."""
    import shapely
    total = 0.0
    for p in shapely.get_parts(g):
        xy = shapely.get_coordinates(p.exterior)
        total += 0.5 * abs(float(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1])))
    return total


# --------------------------------------------------------------------------------------------------
# Across sources: admin hierarchy, unique keys, village codes
# --------------------------------------------------------------------------------------------------
def _post_process(records, report: ImportReport) -> None:
    live = [r for r in records if not r.rejected and r.layer]
    _pad_codes(live, report)
    _fill_admin(live)
    _unique_keys(live)
    _village_codes(live, report)
    _names_from_place(live, report)
    for r in records:
        _finish_row(r)


def _approximate_villages(layers: dict, report: ImportReport) -> None:
    """Village points and no village boundaries (统计用区划 tables with points are common; boundaries are not):
    each village gets the area nearer its point than any other of its township's (Voronoi cells inside the
    township, or inside the county when townships are only points too), marked 近似村界. Townships with no
    boundary become the union of their villages' cells (近似乡镇界)."""
    if "villages" in layers or "village_points" not in layers or not len(layers["village_points"]):
        return
    import geopandas as gpd
    import pandas as pd
    import shapely
    pts = layers["village_points"]
    pts = pts[~pts.geometry.is_empty & pts.geometry.notna()]
    pts = pts[~pts.geometry.duplicated()]  # two villages on one spot cannot be told apart
    towns = layers.get("townships")
    county = layers.get("county")
    if towns is not None and len(towns):
        regions = [(code, g) for code, g in zip(towns["code"].astype(str), towns.geometry)]
    elif county is not None and len(county):
        regions = [(None, shapely.union_all(county.geometry.to_numpy()))]
    else:
        return
    cells = pd.Series([None] * len(pts), index=pts.index, dtype=object)
    for code, region in regions:
        mine = pts if code is None else pts[pts["parent_code"].astype(str) == code]
        if not len(mine):
            continue
        if len(mine) == 1:
            cells[mine.index[0]] = region
            continue
        parts = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(list(mine.geometry)),
                                                           extend_to=region))
        tree = shapely.STRtree(parts)
        for idx, point in zip(mine.index, mine.geometry):
            hit = tree.query(point, predicate="intersects")
            if len(hit):
                cells[idx] = _polygonal(shapely.intersection(parts[int(hit[0])], region))
    keep = cells.notna()
    fields = [f.name for f in model.LAYER_BY_NAME["villages"].fields if f.name in pts.columns]
    villages = gpd.GeoDataFrame(pts.loc[keep, fields].assign(boundary=model.APPROX_VILLAGES),
                                geometry=list(cells[keep]), crs=pts.crs).reset_index(drop=True)
    layers["villages"] = villages
    report.notes.append(f"no village boundaries: {len(villages)} {model.APPROX_VILLAGES} made from the village points "
                        f"(each the area nearer its point than any other in its "
                        f"{'township' if towns is not None else 'county'}); every output says so")
    if towns is None or not len(towns):
        names = {}
        for name in ("admin_units", "township_points"):
            if name in layers and len(layers[name]):
                names.update(zip(layers[name]["code"].astype(str), layers[name]["name"].astype(str)))
        parent = villages["parent_code"].astype(str)
        merged = villages.assign(_p=parent).dissolve("_p")
        layers["townships"] = gpd.GeoDataFrame(
            {"code": merged.index, "name": [names.get(c, c) for c in merged.index],
             "parent_code": [c[:6] + "000000" for c in merged.index], "boundary": model.APPROX_TOWNSHIPS},
            geometry=list(merged.geometry), crs=villages.crs).reset_index(drop=True)
        report.notes.append(f"no township boundaries: {len(merged)} {model.APPROX_TOWNSHIPS} made from their villages' "
                            "approximate areas")


COUNTY_NAME_COLUMNS = ("PNAME", "county_name", "COUNTYNAME", "县名称", "区县名称", "所属县")


def _county_from_units(layers: dict, report: ImportReport) -> None:
    """No county boundary: the union of the townships (else the villages), coded by their shared 6 digits and named
    by a column they all agree on, with a report line."""
    if "county" in layers:
        return
    units = next((layers[n] for n in ("townships", "villages") if n in layers and len(layers[n])), None)
    if units is None:
        return
    import geopandas as gpd
    import shapely
    codes = units["code"].astype(str)
    prefix = codes.str[:6].mode().iloc[0] if len(codes) else ""
    names = [units[c].dropna().astype(str).unique() for c in COUNTY_NAME_COLUMNS if c in units.columns]
    source = "townships" if units is layers.get("townships") else "villages"
    name = next((n[0] for n in names if len(n) == 1), None) or \
        f"县界（由{'乡镇' if source == 'townships' else '村'}合成）"
    geom = shapely.union_all(shapely.make_valid(units.geometry.to_numpy()))
    layers["county"] = gpd.GeoDataFrame({"code": [prefix + "000000"], "name": [name], "parent_code": [None]},
                                        geometry=[_polygonal(geom) or geom], crs=units.crs)
    report.notes.append(f"no county boundary among the inputs: county {name} ({prefix}000000) made from the "
                        f"{len(units)} {source} (their union)")


def _township_codes12(codes) -> dict:
    """{short township code: 12 digits}: the digits all share are the county (6 digits), what differs (less the
    zeros every code ends with) the township (3): 6300100..6301200 -> 630000 001..012 000. {} if they do not fit."""
    import os
    codes = sorted(set(c for c in codes if c.isdigit() and len(c) < 12))
    if not codes:
        return {}
    prefix = os.path.commonprefix(codes) if len(codes) > 1 else codes[0][:-3]
    tails = [c[len(prefix):] for c in codes]
    zeros = min(len(t) - len(t.rstrip("0")) for t in tails)
    zeros = min(zeros, min(len(t) for t in tails) - 1)
    tails = [t[:len(t) - zeros] if zeros > 0 else t for t in tails]
    if len(prefix) > 6 or max(len(t) for t in tails) > 3 or len(set(tails)) < len(codes):
        return {}
    return {c: prefix.ljust(6, "0") + t.rjust(3, "0") + "000" for c, t in zip(codes, tails)}


def _village_code12(code: str, parent12: Optional[str], parent_raw: Optional[str]) -> Optional[str]:
    """A village's short code under its township's new code: what it adds to the township's own digits."""
    if not code.isdigit() or not parent12 or not parent_raw or not code.startswith(parent_raw):
        return None
    own = code[len(parent_raw):]
    return parent12[:9] + own.rjust(3, "0") if 0 < len(own) <= 3 else None


def _pad_codes(records, report: ImportReport) -> None:
    """Codes that are not 12 digits (7-digit towns, 10-digit villages) padded so the hierarchy still reads, each
    with its original kept in ``source_code`` and a report line."""
    admin = [r for r in records if fieldmap.POINT_BASE.get(r.layer, r.layer) in fieldmap.ADMIN_LAYERS]
    short = [r for r in admin if r.values.get("code") and not (len(r.values["code"]) == 12
                                                                and r.values["code"].isdigit())]
    if not short:
        return
    level = lambda r: fieldmap.POINT_BASE.get(r.layer, r.layer)  # noqa: E731
    new = _township_codes12(r.values["code"] for r in short if level(r) == "townships")
    for r in short:
        raw = r.values["code"]
        padded = new.get(raw) if level(r) == "townships" else \
            _village_code12(raw, new.get(r.values.get("parent_code")), r.values.get("parent_code")) \
            if level(r) == "villages" else None
        if padded is None:
            continue
        new[raw] = padded
        r.values["code"] = padded
        r.extras["source_code"] = raw
        r.notes.append(f"code {raw} is not 12 digits: padded to {padded} (original in source_code)")
    for r in admin:  # parents follow their township's new code
        if r.values.get("parent_code") in new:
            r.values["parent_code"] = new[r.values["parent_code"]]
    for r in records:
        if r.values.get("village_code") in new:
            r.values["village_code"] = new[r.values["village_code"]]
    if new:
        example = next(iter(new.items()))
        report.notes.append(f"{len(new)} codes were not 12-digit 统计用区划代码 and were padded keeping their "
                            f"digits (e.g. {example[0]} -> {example[1]}); the originals are in source_code")


NAMED_FROM_PLACE = {"flood_lowpoints": "内涝点", "geohazard_points": "隐患点", "shelters": "避难场所",
                    "depots": "储备点", "depot_candidates": "候选点"}
ASSUMED_SHELTER_CLASS = "emergency"


def _names_from_place(records, report: ImportReport) -> None:
    """Features with no name get '<村> 内涝点 3': the village they are in (or the nearest village point)."""
    import shapely
    nameless = [r for r in records if r.layer in NAMED_FROM_PLACE and not r.values.get("name")]
    if not nameless:
        return
    places = [r for r in records if fieldmap.POINT_BASE.get(r.layer, r.layer) == "villages" and r.values.get("name")]
    by_code = {r.values.get("code"): r.values["name"] for r in places}
    located = [r for r in places if r.geom is not None]
    tree = shapely.STRtree([r.geom for r in located]) if located else None
    counter: dict = {}
    for r in nameless:  # in file order
        place = by_code.get(r.values.get("village_code"))
        if place is None and tree is not None and r.geom is not None:
            place = located[int(tree.nearest(r.geom))].values["name"]
        place = place or Path(r.row["source_file"]).stem
        key = (r.layer, place)
        counter[key] = counter.get(key, 0) + 1
        r.values["name"] = f"{place} {NAMED_FROM_PLACE[r.layer]} {counter[key]}"
        r.notes.append(f"name: none in the input; named {r.values['name']!r} from its place")
    report.notes.append(f"{len(nameless)} features had no name and were named from their place "
                        f"(e.g. {nameless[0].values['name']!r})")


def _fill_admin(records) -> None:
    admin = [r for r in records if fieldmap.POINT_BASE.get(r.layer, r.layer) in fieldmap.ADMIN_LAYERS
             or r.layer == fieldmap.ADMIN_UNITS]
    known = {}
    for r in admin:  # table rows and points first: they carry names and census figures
        if r.layer not in fieldmap.ADMIN_LAYERS and r.values.get("code"):
            known.setdefault(r.values["code"], r)
    for r in admin:
        code = r.values.get("code")
        other = known.get(code)
        if other is not None and other is not r:
            filled = [k for k, v in other.values.items() if k != "level" and v not in (None, "")
                      and r.values.get(k) in (None, "")]
            for k in filled:
                r.values[k] = other.values[k]
            if filled:
                r.notes.append(f"{', '.join(filled)} from {Path(other.row['source_file']).name} "
                               f"feature {other.row['source_fid']}")
            if r.layer in fieldmap.ADMIN_LAYERS:
                other.notes.append(f"joined to {r.layer} polygon {code}")
        if code and not r.values.get("parent_code"):
            base = fieldmap.POINT_BASE.get(r.layer, r.layer)
            if r.layer == fieldmap.ADMIN_UNITS:
                base = {v: k for k, v in ADMIN_LEVEL_WORD.items()}.get(r.values.get("level"), "")
            parent = fieldmap.parent_code_of(code, base)
            if parent:
                r.values["parent_code"] = parent
                r.notes.append(f"parent_code {parent} derived from the 12-digit code")
        if code and r.layer != fieldmap.ADMIN_UNITS and not (len(code) == 12 and code.isdigit()):
            r.notes.append(f"code {code!r} is not a 12-digit 统计用区划代码")


def _unique_keys(records) -> None:
    by_layer = defaultdict(list)
    for r in records:
        by_layer[r.layer].append(r)
    for layer, recs in by_layer.items():
        key = "code" if fieldmap.POINT_BASE.get(layer, layer) in fieldmap.ADMIN_LAYERS \
            or layer == fieldmap.ADMIN_UNITS else "id"
        spec = model.LAYER_BY_NAME.get(layer)
        if key == "id" and (spec is None or "id" not in spec.field_names or not spec.field("id").unique):
            continue
        first, seen = {}, set(r.values.get(key) for r in recs)
        for r in recs:
            value = r.values.get(key)
            if value in (None, ""):
                continue
            if value not in first:
                first[value] = r
                continue
            origin = first[value]
            where = f"{Path(origin.row['source_file']).name} feature {origin.row['source_fid']}"
            if key == "code" and layer in fieldmap.ADMIN_LAYERS and origin.geom is not None and r.geom is not None:
                import shapely
                origin.geom = _polygonal(shapely.union_all([origin.geom, r.geom])) or origin.geom
                origin.notes.append(f"merged with the part in {Path(r.row['source_file']).name} feature "
                                    f"{r.row['source_fid']}")
                r.reject(f"code {value}: same code as {where}; merged into it (one unit, several parts)")
            elif key == "code":
                r.reject(f"code {value}: duplicate of {where}")
            else:
                k, new = 2, f"{value}-2"
                while new in seen:
                    k, new = k + 1, f"{value}-{k + 1}"
                seen.add(new)
                r.values["id"] = new
                r.problems.append(f"id {value} is used twice (also {where}); renamed {new}")


def _village_codes(records, report: ImportReport) -> None:
    """Points without village_code get the code of the village polygon they stand in."""
    import shapely
    villages = [r for r in records if r.layer == "villages" and r.geom is not None and r.values.get("code")]
    if not villages:
        return
    tree = shapely.STRtree([v.geom for v in villages])
    filled = 0
    for r in records:
        spec = model.LAYER_BY_NAME.get(r.layer)
        if spec is None or "village_code" not in spec.field_names or r.values.get("village_code") or r.geom is None:
            continue
        pt = r.geom if r.geom.geom_type == "Point" else r.geom.representative_point()
        hits = tree.query(pt, predicate="within")
        if len(hits):
            r.values["village_code"] = villages[int(hits[0])].values["code"]
            r.notes.append("village_code from the village polygon it lies in")
            filled += 1
    if filled:
        report.notes.append(f"village_code filled for {filled} features from the village polygons they lie in")


# --------------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------------
def _assemble(records, target_crs) -> dict:
    import geopandas as gpd
    import pandas as pd
    by_layer = defaultdict(list)
    for r in records:
        if not r.rejected and r.layer:
            by_layer[r.layer].append(r)
    layers = {}
    order = [s.name for s in model.LAYERS] + list(fieldmap.POINT_ADMIN_LAYERS.values()) + [fieldmap.ADMIN_UNITS]
    for name in sorted(by_layer, key=lambda n: order.index(n) if n in order else len(order)):
        recs = by_layer[name]
        spec_names = [f.name for f in _fields_of(name)]
        if name == fieldmap.ADMIN_UNITS:
            spec_names = ["code", "name", "parent_code", "level"] + spec_names[3:]
        extra_names = []
        for r in recs:
            for k in r.extras:
                if k not in extra_names and k not in spec_names:
                    extra_names.append(k)
        data = {k: [r.values.get(k) for r in recs] for k in spec_names}
        data = {k: v for k, v in data.items() if any(x is not None for x in v) or k in _required(name)}
        for k in extra_names:
            data[k] = _column([r.extras.get(k) for r in recs])
        spec = model.LAYER_BY_NAME.get(name)
        if name == fieldmap.ADMIN_UNITS or (spec is not None and not spec.geometry):
            layers[name] = pd.DataFrame(data)
        else:
            layers[name] = gpd.GeoDataFrame(data, geometry=[r.geom for r in recs], crs=target_crs)
    return layers


def _required(layer: str) -> set:
    spec = model.LAYER_BY_NAME.get(fieldmap.POINT_BASE.get(layer, layer))
    return {f.name for f in spec.fields if f.required} if spec is not None else {"code", "name"}


def _column(values):
    """Extra columns: numbers stay numbers when every value is one, else text."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return [float(v) if v is not None else None for v in values] \
            if any(isinstance(v, float) for v in present) else values
    return [None if v is None else str(v) for v in values]
