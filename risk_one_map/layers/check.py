"""Validate a one-map package against the model and report every problem (``risk-one-map check DIR``).

Pure: pyogrio, geopandas, shapely, rasterio. Reads only; never modifies the package.
A problem names the file, layer, feature and field so the analyst can go straight to it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..errors import RiskOneMapError
from . import model
from .package import Package

ERROR, WARNING = "error", "warning"
_CODE_RE = re.compile(r"^\d{12}$")
_GEOM_FAMILY = {"Point": "Point", "MultiPoint": "Point", "LineString": "LineString",
                "MultiLineString": "LineString", "Polygon": "Polygon", "MultiPolygon": "Polygon"}


@dataclass
class Problem:
    severity: str
    message: str
    file: Optional[str] = None
    layer: Optional[str] = None
    feature: Optional[str] = None
    field: Optional[str] = None
    refused_by: tuple = ()  # the analyses that refuse to run on this error

    def format(self) -> str:
        who = f" ({', '.join(self.refused_by)} refuse to run on this)" if self.refused_by else ""
        return f"{self.severity.upper():7s} " + str(RiskOneMapError(self.message + who, file=self.file,
                                                                     layer=self.layer, feature=self.feature,
                                                                     field=self.field))


@dataclass
class CheckReport:
    package: Path
    problems: list = field(default_factory=list)
    layers: dict = field(default_factory=dict)  # name -> feature count

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity == WARNING]

    def add(self, severity, message, **where) -> None:
        self.problems.append(Problem(severity, message, **where))

    def summary_line(self) -> str:
        counts = ", ".join(f"{n} {c}" for n, c in self.layers.items())
        return f"{len(self.errors)} errors, {len(self.warnings)} warnings ({counts})"

    def format(self, limit: int = 200) -> str:
        lines = [f"package {self.package}: {self.summary_line()}"]
        shown = sorted(self.problems, key=lambda p: p.severity != ERROR)
        lines += [p.format() for p in shown[:limit]]
        if len(shown) > limit:
            lines.append(f"... and {len(shown) - limit} more problems")
        if not self.problems:
            lines.append("OK: the package follows the one-map model")
        return "\n".join(lines)


def _feature_label(frame, idx) -> str:
    """'fid 12 (id=DZ-001)' style label; GeoPackage fids are 1-based in row order for layers we wrote."""
    row = frame.loc[idx]
    for key in ("id", "code", "name"):
        if key in frame.columns and not pd.isna(row.get(key)):
            return f"{int(idx) + 1} ({key}={row[key]})"
    return str(int(idx) + 1)


# What each job reads: an error check finds in one of these makes that job refuse (``require_valid``), so every
# command applies the same rules, from here. The admin layers come along for the codes and the county outline.
_ADMIN_LAYERS = ("county", "townships", "villages")
READS = {
    "exposure": _ADMIN_LAYERS + ("risk_zones", "households", model.POPULATION_RASTER),
    "evacuate": _ADMIN_LAYERS + ("geohazard_points", "geohazard_zones", "flood_lowpoints", "shelters", "roads",
                                 "households", model.POPULATION_RASTER),
    "site-depots": _ADMIN_LAYERS + ("households", "depots", "depot_candidates", "roads"),
    "atlas": _ADMIN_LAYERS + ("risk_zones", "geohazard_points", "geohazard_zones", "flood_lowpoints", "shelters",
                              "roads", "households", "persons", "depots"),
}
JOB_ZH = {"exposure": "人口暴露分析", "evacuate": "转移避险分析", "site-depots": "储备点选址", "atlas": "出图"}


def check_package(path, layers=None) -> CheckReport:
    """Every problem of the package (``layers``: only these model layers and raster file names, for a job)."""
    pkg = Package(path).require()
    report = CheckReport(Path(path))
    gpkg = str(pkg.gpkg)
    present = pkg.layer_names()
    frames = {}
    for spec in model.LAYERS:
        if layers is not None and spec.name not in layers:
            continue
        if spec.name not in present:
            if spec.required:
                report.add(ERROR, "required layer is missing", file=gpkg, layer=spec.name)
            continue
        frame = pkg.read(spec.name)
        frames[spec.name] = frame
        report.layers[spec.name] = len(frame)
        _check_fields(report, gpkg, spec, frame)
        _check_stored_text(report, pkg, spec, frame)
        if spec.geometry:
            _check_geometry(report, gpkg, spec, frame)
    _check_crs(report, gpkg, frames)
    _check_area_of_use(report, gpkg, frames)
    _check_admin(report, gpkg, frames)
    _check_outside(report, gpkg, frames)
    _check_references(report, gpkg, frames)
    _check_rasters(report, pkg, frames, layers)
    _check_analysis_needs(report, gpkg, frames)
    _say_who_refuses(report)
    return report


def require_valid(path, job: str) -> CheckReport:
    """Refuse ``job`` in one line (the first error, and how many more) when the layers it reads have errors that
    ``risk-one-map check`` reports; return the report (its warnings) otherwise."""
    reads = READS[job]
    report = check_package(path, layers=reads)
    blocking = [p for p in report.errors if _reads(reads, p) or p.layer is None]
    if blocking:
        first = blocking[0]
        more = f" ({len(blocking) - 1} more errors: risk-one-map check {path})" if len(blocking) > 1 else ""
        raise RiskOneMapError(first.message + more, file=first.file, layer=first.layer, feature=first.feature,
                              field=first.field)
    return report


def _say_who_refuses(report) -> None:
    """Each error says which analyses refuse to run on it, so check tells in advance what they will say."""
    for p in report.errors:
        p.refused_by = tuple(job for job, reads in READS.items() if _reads(reads, p))


def _reads(reads, problem) -> bool:
    return problem.layer in reads or (problem.file is not None and Path(problem.file).name in reads)


def _check_fields(report, gpkg, spec, frame) -> None:
    for f in spec.fields:
        if f.name not in frame.columns:
            if f.required:
                report.add(ERROR, "required field is missing", file=gpkg, layer=spec.name, field=f.name)
            continue
        col = frame[f.name]
        missing = col.isna() | (col.astype(str).str.strip() == "") if f.type == "str" else col.isna()
        if f.required:
            for idx in frame.index[missing.to_numpy()]:
                report.add(ERROR, "value is empty but required", file=gpkg, layer=spec.name,
                           feature=_feature_label(frame, idx), field=f.name)
        present = ~missing.to_numpy()
        if f.type in ("int", "float"):
            values = pd.to_numeric(col, errors="coerce")
            for idx in frame.index[present & values.isna().to_numpy()]:
                report.add(ERROR, f"{col[idx]!r} is not a number", file=gpkg, layer=spec.name,
                           feature=_feature_label(frame, idx), field=f.name)
            infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
            for idx in frame.index[infinite]:
                report.add(ERROR, f"{values[idx]} is not a finite number", file=gpkg, layer=spec.name,
                           feature=_feature_label(frame, idx), field=f.name)
            values = values.where(~infinite)
            if f.min is not None:
                for idx in frame.index[(values < f.min).to_numpy()]:
                    report.add(ERROR, f"{values[idx]:g} is below the minimum {f.min:g}", file=gpkg,
                               layer=spec.name, feature=_feature_label(frame, idx), field=f.name)
            if f.max is not None:
                for idx in frame.index[(values > f.max).to_numpy()]:
                    report.add(ERROR, f"{values[idx]:g} is above the maximum {f.max:g}", file=gpkg,
                               layer=spec.name, feature=_feature_label(frame, idx), field=f.name)
        if f.choices:
            bad = present & ~col.astype(str).isin(f.choices).to_numpy()
            for idx in frame.index[bad]:
                report.add(ERROR, f"{col[idx]!r} is not one of {', '.join(f.choices)}", file=gpkg,
                           layer=spec.name, feature=_feature_label(frame, idx), field=f.name)
        if f.unique:
            dup = col[present].duplicated(keep="first")
            for idx in dup.index[dup.to_numpy()]:
                report.add(ERROR, f"{col[idx]!r} appears more than once", file=gpkg, layer=spec.name,
                           feature=_feature_label(frame, idx), field=f.name)


def _check_stored_text(report, pkg, spec, frame) -> None:
    """Text in a numeric column ('很多' people): GDAL reads it as 0, so it is looked up in SQLite itself."""
    numeric = [f.name for f in spec.fields if f.type in ("int", "float") and f.name in frame.columns]
    if not numeric or not len(frame):
        return
    import sqlite3
    try:
        db = sqlite3.connect(f"file:{pkg.gpkg}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        for name in numeric:
            rows = db.execute(f'SELECT fid, "{name}" FROM "{spec.name}" WHERE typeof("{name}") IN ('
                              f"'text', 'blob') LIMIT 51").fetchall()
            for fid, value in rows[:50]:
                row = int(fid) - 1
                label = _feature_label(frame, frame.index[row]) if 0 <= row < len(frame) else str(fid)
                report.add(ERROR, f"{value!r} is not a number", file=str(pkg.gpkg), layer=spec.name,
                           feature=label, field=name)
    except sqlite3.Error:
        pass  # not a plain GeoPackage table; pyogrio's reading is all there is
    finally:
        db.close()


def _check_geometry(report, gpkg, spec, frame) -> None:
    import shapely
    geoms = frame.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for idx in frame.index[empty]:
        report.add(ERROR, "geometry is empty", file=gpkg, layer=spec.name, feature=_feature_label(frame, idx))
    ok = ~empty
    types = shapely.get_type_id(geoms)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                      "MultiPolygon", "GeometryCollection"])
    allowed = [i for i, n in enumerate(names) if _GEOM_FAMILY.get(n) in spec.geometry]
    for i in np.flatnonzero(ok & ~np.isin(types, allowed)):
        report.add(ERROR, f"geometry is {names[types[i]]}, expected {' or '.join(spec.geometry)}", file=gpkg,
                   layer=spec.name, feature=_feature_label(frame, frame.index[i]))
    invalid = ok & ~shapely.is_valid(geoms)
    for idx in frame.index[invalid]:
        reason = shapely.is_valid_reason(geoms[frame.index.get_loc(idx)])
        report.add(ERROR, f"invalid geometry ({reason}); repair it with the importer", file=gpkg,
                   layer=spec.name, feature=_feature_label(frame, idx))


def _check_crs(report, gpkg, frames) -> None:
    crss = {name: f.crs for name, f in frames.items() if model.LAYER_BY_NAME[name].geometry}
    reference = frames.get("villages")
    ref_crs = getattr(reference, "crs", None)
    for name, crs in crss.items():
        if crs is None:
            report.add(ERROR, "layer has no CRS", file=gpkg, layer=name)
            continue
        if crs.is_geographic:
            report.add(ERROR, f"CRS {crs.to_string()} is geographic; the package needs one projected CRS "
                              f"(CGCS2000 Gauss-Krüger by default)", file=gpkg, layer=name)
        if ref_crs is not None and crs != ref_crs:
            report.add(ERROR, f"CRS {crs.to_string()} differs from the villages layer's {ref_crs.to_string()}",
                       file=gpkg, layer=name)


def _check_area_of_use(report, gpkg, frames) -> None:
    """A .prj naming the wrong Gauss-Krüger zone puts every feature outside the zone: the middle of the layer's
    features, in degrees, must lie inside (1° around) where its CRS is used."""
    import shapely
    from pyproj import Transformer
    to_degrees = {}
    for name, frame in frames.items():
        crs = getattr(frame, "crs", None)
        area = getattr(crs, "area_of_use", None) if crs is not None else None
        if area is None or not len(frame) or crs.is_geographic:
            continue
        geoms = frame.geometry.to_numpy()
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        if not len(geoms):
            continue
        b = shapely.bounds(geoms)
        x, y = float(np.median((b[:, 0] + b[:, 2]) / 2)), float(np.median((b[:, 1] + b[:, 3]) / 2))
        key = crs.to_wkt()
        if key not in to_degrees:  # one transformer per CRS (each takes ~80 ms to build)
            to_degrees[key] = Transformer.from_crs(crs, 4326, always_xy=True)
        lon, lat = to_degrees[key].transform(x, y)
        # longitude only: it is what tells the zones apart (a zone's area of use is mainland China's, while
        # Taipei at 25°N is drawn in CGCS2000 CM 123E all the same)
        inside = np.isfinite(lon) and np.isfinite(lat) and area.west - 1 <= lon <= area.east + 1
        if not inside:
            report.add(ERROR, f"coordinates around ({x:.0f}, {y:.0f}) lie outside where its CRS "
                              f"{crs.to_string()} is used ({area.name}: longitude {area.west:g}..{area.east:g}°); "
                              "the .prj names the wrong zone or the coordinates are in another CRS",
                       file=gpkg, layer=name)


def _check_outside(report, gpkg, frames) -> None:
    """Features far outside the county (a shelter 250 km away, households moved by a wrong CRS) are errors: the
    analyses would count them silently. The distance is an adjustable default (model.DEFAULTS)."""
    import shapely
    limit = float(model.default_value("outside_county_m"))
    outline_layer = next((n for n in ("county", "townships", "villages") if n in frames and len(frames[n])), None)
    if outline_layer is None:
        return
    outline_geoms = frames[outline_layer].geometry.to_numpy()
    outline_geoms = outline_geoms[~(shapely.is_missing(outline_geoms) | shapely.is_empty(outline_geoms))]
    outline_geoms = outline_geoms[shapely.is_valid(outline_geoms)]
    if not len(outline_geoms):
        return
    outline = shapely.union_all(outline_geoms)
    # a simplified outline widened by the limit (and the simplification) holds every feature near enough: one
    # prepared point-in-polygon test each; only those outside it are measured exactly
    tolerance = limit / 10.0
    near = shapely.buffer(shapely.simplify(outline, tolerance), limit + tolerance)
    shapely.prepare(near)
    shapely.prepare(outline)
    crs = getattr(frames[outline_layer], "crs", None)
    for name, frame in frames.items():
        if name == outline_layer or not model.LAYER_BY_NAME[name].geometry or not len(frame):
            continue
        if crs is not None and getattr(frame, "crs", None) is not None and frame.crs != crs:
            continue  # reported as a CRS error; distances between two CRSs mean nothing
        geoms = frame.geometry.to_numpy()
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        far = np.zeros(len(geoms), dtype=bool)
        far[present] = ~shapely.intersects(geoms[present], near)
        far[far] = ~shapely.dwithin(geoms[far], outline, limit)
        where = np.flatnonzero(far)
        for i in where[:20]:
            km = shapely.distance(geoms[i], outline) / 1000.0
            report.add(ERROR, f"lies {km:,.1f} km outside the county (more than {limit / 1000:g} km, an adjustable "
                              f"default): wrong coordinates or CRS", file=gpkg, layer=name,
                       feature=_feature_label(frame, frame.index[i]), field="geometry")
        if len(where) > 20:
            report.add(ERROR, f"{len(where) - 20} more features lie outside the county", file=gpkg, layer=name,
                       field="geometry")


def _check_analysis_needs(report, gpkg, frames) -> None:
    """What an analysis will not use, said by check in advance (evacuate says the same when it runs)."""
    shelters = frames.get("shelters")
    if shelters is None or not len(shelters):
        return
    cap = pd.to_numeric(shelters.get("capacity", pd.Series(np.nan, index=shelters.index)), errors="coerce")
    area = pd.to_numeric(shelters.get("area_m2", pd.Series(np.nan, index=shelters.index)), errors="coerce")
    none = shelters.index[(~(cap > 0) & ~(area > 0)).to_numpy()]
    for idx in none[:10]:
        report.add(WARNING, "no capacity and no area: evacuate places nobody here", file=gpkg, layer="shelters",
                   feature=_feature_label(shelters, idx), field="capacity")
    if len(none) > 10:
        report.add(WARNING, f"{len(none) - 10} more shelters with no capacity and no area", file=gpkg,
                   layer="shelters", field="capacity")


def _codes(frame) -> pd.Series:
    return frame["code"].astype(str) if "code" in frame.columns else pd.Series([], dtype=object)


def _check_admin(report, gpkg, frames) -> None:
    county, townships, villages = frames.get("county"), frames.get("townships"), frames.get("villages")
    for name, frame in (("county", county), ("townships", townships), ("villages", villages)):
        if frame is None or "code" not in frame.columns:
            continue
        for idx in frame.index[~_codes(frame).str.match(_CODE_RE).to_numpy() & frame["code"].notna().to_numpy()]:
            report.add(ERROR, f"{frame.at[idx, 'code']!r} is not a 12-digit 统计用区划代码", file=gpkg, layer=name,
                       feature=_feature_label(frame, idx), field="code")
    if townships is not None and villages is not None and "code" in villages.columns:
        town_codes = set(_codes(townships))
        for idx, code in _codes(villages).items():
            parent = villages.at[idx, "parent_code"] if "parent_code" in villages.columns else None
            if not _CODE_RE.match(code):
                # not a 统计用区划代码 (reported above): its digits say nothing; only its parent_code can be checked
                if parent is not None and not pd.isna(parent) and str(parent) not in town_codes:
                    report.add(ERROR, f"no township with code {parent} (its parent_code)", file=gpkg,
                               layer="villages", feature=_feature_label(villages, idx), field="parent_code")
                continue
            expected = code[:9] + "000"
            if expected not in town_codes:
                report.add(ERROR, f"no township with code {expected} (the first 9 digits of {code})", file=gpkg,
                           layer="villages", feature=_feature_label(villages, idx), field="code")
            elif parent is not None and not pd.isna(parent) and str(parent) != expected:
                report.add(WARNING, f"parent_code {parent} does not match the code's township {expected}",
                           file=gpkg, layer="villages", feature=_feature_label(villages, idx), field="parent_code")
    if county is not None and townships is not None and len(county) and "code" in county.columns:
        county6 = {c[:6] for c in _codes(county)}
        for idx, code in _codes(townships).items():
            if code[:6] not in county6:
                report.add(ERROR, f"township code {code} does not start with the county's {sorted(county6)[0]}",
                           file=gpkg, layer="townships", feature=_feature_label(townships, idx), field="code")
    if townships is not None and villages is not None and len(townships) and len(villages):
        _check_nesting(report, gpkg, townships, villages)


def _check_nesting(report, gpkg, townships, villages) -> None:
    """Each village should lie in the township its code names (99 % of its area): catches shifted or mis-coded data."""
    import shapely
    by_code = dict(zip(_codes(townships), townships.geometry.to_numpy()))
    for idx, code in _codes(villages).items():
        town = by_code.get(code[:9] + "000")
        geom = villages.geometry.iloc[villages.index.get_loc(idx)]
        if town is None or geom is None or geom.is_empty or not geom.is_valid or not town.is_valid:
            continue
        inside = shapely.intersection(geom, town).area / geom.area if geom.area else 1.0
        if inside < 0.99:
            report.add(WARNING, f"only {inside:.0%} of the village lies inside its township {code[:9]}000",
                       file=gpkg, layer="villages", feature=_feature_label(villages, idx))


def _check_references(report, gpkg, frames) -> None:
    villages = frames.get("villages")
    if villages is None or "code" not in villages.columns:
        return
    known = set(_codes(villages))
    for name, frame in frames.items():
        if name == "villages" or "village_code" not in frame.columns:
            continue
        col = frame["village_code"]
        bad = col.notna().to_numpy() & ~col.astype(str).isin(known).to_numpy()
        severity = ERROR if name == "persons" else WARNING
        for idx in frame.index[bad][:50]:
            report.add(severity, f"village_code {col[idx]} is not a village of this package", file=gpkg, layer=name,
                       feature=_feature_label(frame, idx), field="village_code")
        if bad.sum() > 50:
            report.add(severity, f"{int(bad.sum()) - 50} more features with unknown village_code", file=gpkg,
                       layer=name, field="village_code")
    persons = frames.get("persons")
    if persons is not None and "village_code" in persons.columns:
        without = known - set(persons["village_code"].astype(str))
        for code in sorted(without)[:20]:
            report.add(WARNING, f"village {code} has no responsible person (叫应名单 is empty)", file=gpkg,
                       layer="persons", field="village_code")


def _check_rasters(report, pkg, frames, layers=None) -> None:
    ref = frames.get("villages")
    ref_crs = getattr(ref, "crs", None)
    for path, what in ((pkg.population_raster, "population"), (pkg.dem_raster, "elevation")):
        if not path.exists() or (layers is not None and path.name not in layers):
            continue
        try:
            import rasterio
        except ImportError:
            report.add(WARNING, "rasterio is not installed; raster not checked", file=str(path))
            continue
        try:
            with rasterio.open(path) as src:
                crs, nodata, bounds = src.crs, src.nodata, src.bounds
                data = src.read(1, masked=True) if src.width * src.height <= 50_000_000 else None
        except Exception as exc:
            report.add(ERROR, f"cannot read the raster: {exc}", file=str(path))
            continue
        if crs is None:
            report.add(ERROR, "raster has no CRS", file=str(path))
        elif ref_crs is not None and not ref_crs.equals(crs.to_wkt(), ignore_axis_order=True):
            report.add(WARNING, f"raster CRS {crs} differs from the package CRS {ref_crs.to_string()}; "
                                f"analyses reproject the vectors", file=str(path))
        if nodata is None:
            report.add(WARNING, "raster has no nodata value; every cell is read as data", file=str(path))
        if data is not None and what == "population":
            cells = data.filled(0)
            if np.isnan(cells).any():
                report.add(ERROR, f"raster has {int(np.isnan(cells).sum())} NaN cells that are not nodata; set them "
                                  "to the nodata value", file=str(path))
            if np.isinf(cells).any():
                report.add(ERROR, f"raster has {int(np.isinf(cells).sum())} infinite cells; people are counts",
                           file=str(path))
            if (cells < 0).any():
                report.add(ERROR, f"raster has {int((cells < 0).sum())} negative population cells", file=str(path))
        if ref is not None and len(ref):
            minx, miny, maxx, maxy = ref.total_bounds
            if bounds.left > maxx or bounds.right < minx or bounds.bottom > maxy or bounds.top < miny:
                report.add(ERROR, "raster does not overlap the villages", file=str(path))
