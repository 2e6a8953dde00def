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

The parts: import_fields (one source -> records), import_geometry (reprojection, repair), import_admin (across
sources: hierarchy, codes, keys), import_report (the report); here the door and the frames written.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from ..progress import Steps
from . import crs_detect, fieldmap, model, raster_import
from .import_admin import approximate_villages, county_from_units, post_process
from .import_fields import convert_source, fields_of
from .import_report import ImportReport, KEPT, REPAIRED, REPORT_CSV, REPORT_LAYER
from .package import atomic_path, outputs_together, write_package
from .readers import parse_inputs, read_input
from .tables import write_csv


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
        records.extend(convert_source(source, target, user.get(source.target, {}) if source.target else {}, report))
    steps.next()
    post_process(records, report)
    layers = _assemble(records, target)
    approximate_villages(layers, report)
    county_from_units(layers, report)
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
        spec_names = [f.name for f in fields_of(name)]
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
