"""One source -> records: fields mapped to the model, values read (Chinese labels -> model keys, codes kept as text),
constants from the file name, rejects with the field and value named.
"""
from __future__ import annotations

import math
import re
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from . import fieldmap, model
from .import_geometry import check_geometry, geometry_family, reproject
from .import_report import ImportReport, KEPT, REJECTED, REPAIRED, Record, SourceSummary
from .readers import Source


CODE_FIELDS = {"code", "parent_code", "village_code"}
RESERVED = {"fid", "geom", "geometry", "ogc_fid"}
ADMIN_LEVEL_WORD = {"county": "county", "townships": "township", "villages": "village"}


def fields_of(layer: str) -> tuple:
    base = fieldmap.POINT_BASE.get(layer, "villages" if layer == fieldmap.ADMIN_UNITS else layer)
    return model.LAYER_BY_NAME[base].fields


def convert_source(source: Source, target_crs, user: dict, report: ImportReport) -> list:
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
    geoms = reproject(source, target_crs)
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
    spec_fields = fields_of(layer)
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
                geometry_family(geom) == "Point":
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
            check_geometry(rec, source, layer)
        if target_layer in fieldmap.POINT_ADMIN_LAYERS.values():
            rec.notes.append(f"a point, not a boundary: written to {target_layer}")
    return records


def _flood_simulation_note(layer: str, frame, geoms) -> list:
    """Polygons with depth classes going to flood_lowpoints are a flood simulation: say what that means and where
    else it could go, since both are defensible and the user should choose."""
    if layer != "flood_lowpoints" or geoms is None:
        return []
    depth, _how = fieldmap.match_fields("risk_zones", frame.columns)
    polygons = sum(1 for g in geoms if g is not None and geometry_family(g) == "Polygon")
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


def finish_row(rec: Record) -> None:
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


NAMED_FROM_PLACE = {"flood_lowpoints": "内涝点", "geohazard_points": "隐患点", "shelters": "避难场所",
                    "depots": "储备点", "depot_candidates": "候选点"}
ASSUMED_SHELTER_CLASS = "emergency"
