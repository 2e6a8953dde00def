"""Population exposure: who lives in which hazard, at which level, per village (风险综合研判, 到户到人).

Pure (numpy, shapely, pyproj, geopandas, rasterio). ``compute_exposure`` takes the villages, the risk zones and a
population source and returns plain tables:

* one row per village x hazard type x risk level (1 = highest) with population, households, area_m2 and the
  vulnerable groups (pop_0_14, pop_65_plus, disabled, from the village table, carried proportionally);
* ``any`` rows: each person once, at the highest level of any hazard;
* per village: total, exposed (any level), unexposed (exposed + unexposed == total, by construction);
* roll-ups per township and for the county.

Population source, in order of preference (``source="auto"``): the population raster with exact cell-coverage
fractions (a cell cut by a boundary counts by the share of its area inside); household points; the village census
table (area-weighted). Overlapping zones of one hazard type: the highest level wins. Everything that cannot be
counted (zones outside every village, villages outside the raster, nodata cells, households outside villages) is
reported in ``warnings``, never silently dropped. ``mode="fast"`` counts each cell wholly to the village and zone
holding its centre; its error against exact areas is reported.

The parts: exposure_zones (zones checked, cut into disjoint levels), exposure_inputs (which population source, the
raster opened), exposure_engine (people per village x region), exposure_tables (rows, totals, roll-ups, warnings),
exposure_common (shared words and the result); exposure_windows (one huge raster in windows, on many workers).
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Optional

from ..errors import RiskOneMapError
from ..layers import model
from ..progress import Steps
from .exposure_common import ANY, MODES, ROW_COLUMNS, SOURCES, ExposureResult, RasterInput
from .exposure_engine import ExposureEngine
from .exposure_inputs import choose_source, open_raster, to_raster_crs
from .exposure_tables import build_tables
from .exposure_zones import any_regions, empty_zones, level_regions, normalise_zones, repair_polygons, zone_set

__all__ = ["ANY", "MODES", "ROW_COLUMNS", "SOURCES", "ExposureResult", "RasterInput", "any_regions", "compute_exposure",
           "exposure_of", "level_regions", "normalise_zones", "prepared"]


def compute_exposure(villages, zones, *, raster=None, households=None, townships=None, source: str = "auto",
                     mode: str = "exact", progress=None, cancelled=None) -> ExposureResult:
    """Population exposure by village x hazard type x risk level (see module docstring).

    villages: GeoDataFrame (code, name, parent_code; optionally population, households, pop_0_14, pop_65_plus,
    disabled). zones: GeoDataFrame (hazard_type, risk_level). raster: a path to a GeoTIFF, a ``RasterInput`` or None.
    households: GeoDataFrame of points (people, village_code) or None. townships: optional (code, name) for roll-ups.
    """
    steps = Steps(progress, cancelled, weights=[1, 6, 3, 1])
    with prepared(villages, zones, raster, households, source, mode, steps) as prep:
        return exposure_of(prep, townships, steps=steps)


def exposure_of(prep, townships=None, windows_done: Optional[dict] = None, steps=None) -> ExposureResult:
    """The tables from one preparation: made just now (``compute_exposure``), or kept by a worker that serves
    several windows of one county (jobs/province_exposure.py). Reads ``prep`` and leaves it as it was.
    windows_done: the sums of raster windows computed elsewhere (exposure_windows.py), added in window order."""
    steps = steps or Steps()
    warnings, timings = list(prep.warnings), dict(prep.timings)  # a kept preparation is used again: copies
    t1 = time.perf_counter()
    steps.next()
    engine = prep.engine
    exact = engine.mode == "exact"
    sums = engine.exact(windows_done) if windows_done is not None and exact else engine.run()
    timings["extract"] = time.perf_counter() - t1
    steps.next()
    t2 = time.perf_counter()
    result = build_tables(prep.villages, prep.zones, prep.regions, sums, prep.source, prep.households, townships,
                          engine.mode, warnings)
    result.notes = list(prep.notes)
    timings["tables"] = time.perf_counter() - t2
    result.timings = timings
    steps.done()
    return result


@dataclass
class Prepared:
    """What every exposure run (and every window of one) starts from: checked layers, level regions, the engine."""
    villages: object
    zones: object
    households: object
    regions: dict
    source: str
    engine: ExposureEngine
    warnings: list
    notes: list
    timings: dict


@contextlib.contextmanager
def prepared(villages, zones, raster, households, source: str, mode: str, steps, gdal_env: bool = True):
    """Check the inputs, pick the population source, open the raster and build the engine (closed on exit).
    ``gdal_env``: see exposure_inputs.open_raster."""
    if source not in SOURCES:
        raise RiskOneMapError(f"unknown population source {source!r}; use one of {', '.join(SOURCES)}")
    if mode not in MODES:
        raise RiskOneMapError(f"unknown mode {mode!r}; use exact or fast")
    warnings, notes, timings = [], [], {}
    t0 = time.perf_counter()
    steps.next()
    if villages is None or len(villages) == 0:
        raise RiskOneMapError("there are no villages", layer="villages")
    villages = repair_polygons(villages.reset_index(drop=True), "villages", warnings)
    zones = normalise_zones(zones.reset_index(drop=True), warnings) if zones is not None else None
    if zones is None or len(zones) == 0:
        warnings.append("there are no risk zones: nobody is exposed")
        zones = empty_zones(villages.crs)

    used = choose_source(source, raster, households, villages, mode)
    notes.append(used[1])
    source_used = used[0]
    if source_used == "raster":
        ras, raster_src, raster_crs, close = open_raster(raster, gdal_env)
    else:
        ras, raster_src, raster_crs, close = None, None, None, (lambda: None)
    try:
        if ras is not None:
            villages, zones, households = to_raster_crs(villages, zones, households, raster_crs, warnings)
            if raster_src.nodata is None:
                warnings.append(f"{raster_src.name} has no nodata value: every cell is read as people per cell")
        crs = villages.crs
        if crs is not None and crs.is_geographic:
            raise RiskOneMapError("the layers are in a geographic CRS (degrees); areas need a projected CRS "
                                  "(CGCS2000 Gauss-Kruger)", layer="villages")
        hazards = [h.key for h in model.HAZARD_TYPES if (zones["hazard_type"] == h.key).any()]
        if mode == "exact":  # disjoint level regions (dissolved): the exact engine needs them
            regions = {h: level_regions(zones, h) for h in hazards}
            if hazards:
                regions[ANY] = any_regions(regions)
        else:  # the fast engine counts coverage per level: the zones as they are
            regions = {h: zone_set(zones, h) for h in hazards}
            if hazards:
                regions[ANY] = zone_set(zones, None)
        timings["prepare"] = time.perf_counter() - t0
        steps.sub(1.0)
        engine = ExposureEngine(villages, regions, ras, raster_src, mode, steps)
        yield Prepared(villages, zones, households, regions, source_used, engine, warnings, notes, timings)
    finally:
        close()
