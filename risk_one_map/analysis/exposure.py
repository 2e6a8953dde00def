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
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import shapely

from ..errors import RiskOneMapError
from ..layers import model
from ..progress import Steps
from . import coverage as cv

SOURCES = ("auto", "raster", "households", "villages")
MODES = ("exact", "fast")
ANY = "any"
LEVELS = model.RISK_LEVELS
VULNERABLE = ("pop_0_14", "pop_65_plus", "disabled")
ROW_COLUMNS = ["village_code", "village_name", "township_code", "hazard_type", "risk_level", "population",
               "households", "area_m2", *VULNERABLE, "source"]


@dataclass
class RasterInput:
    """A population raster held in memory (tests, scripts): people per cell, north-up."""
    array: np.ndarray
    transform: object  # affine.Affine
    crs: object = None
    nodata: Optional[float] = None
    name: str = "population raster"


@dataclass
class ExposureResult:
    rows: pd.DataFrame  # the `exposure` table (ROW_COLUMNS)
    villages: object  # GeoDataFrame: village polygons with totals and exposed population (choropleth)
    townships: pd.DataFrame
    county: pd.DataFrame
    source: str
    mode: str
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what was chosen and why
    fast_error: Optional[dict] = None
    timings: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)  # filled by the job: csv, gpkg, charts

    def exposed_by_hazard(self, max_level: int = 2) -> dict:
        """Population at levels 1..max_level per hazard type (and ``any``), county total."""
        r = self.rows[self.rows["risk_level"] <= max_level]
        return r.groupby("hazard_type")["population"].sum().to_dict()

    def summary_lines(self) -> list:
        lines = [f"population source: {self.source}; mode: {self.mode}"]
        lines += [f"note: {n}" for n in self.notes]
        total = float(self.villages["population_total"].sum())
        lines.append(f"villages: {len(self.villages)}; population counted in villages: {total:,.0f}")
        by = self.exposed_by_hazard(2)
        order = [h.key for h in model.HAZARD_TYPES if h.key in by] + ([ANY] if ANY in by else [])
        for key in order:
            zh = model.HAZARD_BY_KEY[key].zh if key in model.HAZARD_BY_KEY else "任一灾种"
            lines.append(f"exposed at levels 1-2, {key} ({zh}): {by[key]:,.0f}")
        if not by:
            lines.append("no one lives in a level 1-2 zone")
        if self.fast_error:
            lines.append("fast mode (cell centres): area error per village up to "
                         f"{self.fast_error['max_rel_area_error']:.2%} (mean {self.fast_error['mean_rel_area_error']:.2%})")
        lines += [f"warning: {w}" for w in self.warnings]
        return lines


# -------------------------------------------------------------------------------------------------- validation
def _feature_name(frame, i) -> str:
    if "id" in frame.columns and pd.notna(frame["id"].iloc[i]) and str(frame["id"].iloc[i]).strip():
        return f"{frame['id'].iloc[i]} (#{i + 1})"
    return f"#{i + 1}"


def normalise_zones(zones, warnings: list, layer: str = "risk_zones"):
    """Hazard types to model keys, levels to 1..5; one-line error on anything else; drop empty geometries."""
    zones = zones.copy()
    for name in ("hazard_type", "risk_level"):
        if name not in zones.columns:
            raise RiskOneMapError("required field is missing", layer=layer, field=name)
    keys, fixed = [], 0
    for i, value in enumerate(zones["hazard_type"]):
        key = model.hazard_key(value)
        if key is None:
            raise RiskOneMapError(
                f"unknown hazard type {value!r} (expected one of: {', '.join(model.HAZARD_BY_KEY)})",
                layer=layer, feature=_feature_name(zones, i), field="hazard_type")
        fixed += key != value
        keys.append(key)
    if fixed:
        warnings.append(f"{fixed} hazard_type values in {layer} were written as labels or synonyms and read as model keys")
    levels = []
    for i, value in enumerate(zones["risk_level"]):
        level = model.risk_level_from_label(value) if not isinstance(value, str) else None
        if level is None:
            raise RiskOneMapError(f"risk level {value!r} is not an integer 1..5 (1 = highest)",
                                  layer=layer, feature=_feature_name(zones, i), field="risk_level")
        levels.append(level)
    zones["hazard_type"] = keys
    zones["risk_level"] = np.asarray(levels, dtype=np.int64)
    empty = zones.geometry.isna() | zones.geometry.is_empty
    if empty.any():
        warnings.append(f"{int(empty.sum())} risk zones without geometry were skipped")
        zones = zones[~empty]
    return _valid(zones, layer, warnings)


def _valid(frame, layer, warnings):
    geoms = np.asarray(frame.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        fixed = shapely.make_valid(geoms[bad])
        fixed = np.array([shapely.union_all(shapely.get_parts(g)[shapely.get_type_id(shapely.get_parts(g)) >= 3])
                          for g in fixed], dtype=object)
        geoms = geoms.copy()
        geoms[bad] = fixed
        frame = frame.set_geometry(geoms, crs=frame.crs)
        warnings.append(f"{int(bad.sum())} invalid polygons in {layer} were repaired (make_valid)")
    return frame


def _village_field(villages, name) -> np.ndarray:
    if name not in villages.columns:
        return np.full(len(villages), np.nan)
    return pd.to_numeric(villages[name], errors="coerce").to_numpy(dtype=np.float64)


# -------------------------------------------------------------------------------------------------- hazard levels
def level_regions(zones, hazard_type: Optional[str]) -> np.ndarray:
    """Disjoint regions R_1..R_5 of one hazard type (or of all, for ``any``): R_l = U_{<=l} minus U_{<=l-1}."""
    sel = zones if hazard_type is None else zones[zones["hazard_type"] == hazard_type]
    geoms = np.asarray(sel.geometry.values, dtype=object)
    levels = sel["risk_level"].to_numpy()
    return _disjoint_levels([geoms[levels == level] for level in LEVELS])


def _disjoint_levels(per_level) -> np.ndarray:
    """[geometries of level 1, ..., of level 5] -> disjoint R_1..R_5 (highest level wins where they overlap)."""
    out, prev = [], shapely.Polygon()
    for these in per_level:
        if len(these) == 0:
            out.append(shapely.Polygon())
            continue
        union = shapely.union_all(np.concatenate([np.asarray(these, dtype=object), [prev]]))
        out.append(_polygonal(shapely.difference(union, prev)))
        prev = union
    return np.array(out, dtype=object)


def any_regions(per_type: dict) -> np.ndarray:
    """R_l of ``any``, from the regions of each hazard type (U_<=l of any = union of the types' U_<=l)."""
    per_level = []
    for li in range(len(LEVELS)):
        per_level.append([r[li] for r in per_type.values() if not r[li].is_empty])
    return _disjoint_levels(per_level)


def _zone_set(zones, hazard_type: Optional[str]):
    """(geometries, levels) of one hazard type's zones (all zones for ``any``), undissolved."""
    sel = zones if hazard_type is None else zones[zones["hazard_type"] == hazard_type]
    return np.asarray(sel.geometry.values, dtype=object), sel["risk_level"].to_numpy(dtype=np.int64)


def _polygonal(g):
    if g is None or g.is_empty:
        return shapely.Polygon()
    if shapely.get_type_id(g) in (3, 6):
        return g
    parts = shapely.get_parts(g)
    return shapely.union_all(parts[shapely.get_type_id(parts) >= 3]) if len(parts) else shapely.Polygon()


# -------------------------------------------------------------------------------------------------- entry point
def compute_exposure(villages, zones, *, raster=None, households=None, townships=None, source: str = "auto",
                     mode: str = "exact", progress=None, cancelled=None) -> ExposureResult:
    """Population exposure by village x hazard type x risk level (see module docstring).

    villages: GeoDataFrame (code, name, parent_code; optionally population, households, pop_0_14, pop_65_plus,
    disabled). zones: GeoDataFrame (hazard_type, risk_level). raster: a path to a GeoTIFF, a ``RasterInput`` or None.
    households: GeoDataFrame of points (people, village_code) or None. townships: optional (code, name) for roll-ups.
    """
    if source not in SOURCES:
        raise RiskOneMapError(f"unknown population source {source!r}; use one of {', '.join(SOURCES)}")
    if mode not in MODES:
        raise RiskOneMapError(f"unknown mode {mode!r}; use exact or fast")
    steps = Steps(progress, cancelled, weights=[1, 6, 3, 1])
    warnings, notes, timings = [], [], {}
    t0 = time.perf_counter()
    steps.next()
    if villages is None or len(villages) == 0:
        raise RiskOneMapError("there are no villages", layer="villages")
    villages = _valid(villages.reset_index(drop=True), "villages", warnings)
    zones = normalise_zones(zones.reset_index(drop=True), warnings) if zones is not None else None
    if zones is None or len(zones) == 0:
        warnings.append("there are no risk zones: nobody is exposed")
        zones = _empty_zones(villages.crs)

    used = _choose_source(source, raster, households, villages, mode)
    notes.append(used[1])
    source_used = used[0]
    if source_used == "raster":
        ras, raster_src, raster_crs, close = _open_raster(raster)
    else:
        ras, raster_src, raster_crs, close = None, None, None, (lambda: None)
    try:
        if ras is not None:
            villages, zones, households = _to_crs(villages, zones, households, raster_crs, warnings)
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
            regions = {h: _zone_set(zones, h) for h in hazards}
            if hazards:
                regions[ANY] = _zone_set(zones, None)
        timings["prepare"] = time.perf_counter() - t0
        steps.sub(1.0)

        t1 = time.perf_counter()
        steps.next()
        engine = _Engine(villages, regions, ras, raster_src, mode, steps)
        sums = engine.run()
        timings["extract"] = time.perf_counter() - t1
        steps.next()
        t2 = time.perf_counter()
        result = _tables(villages, zones, regions, sums, source_used, households, townships, mode, warnings)
        result.notes = notes
        timings["tables"] = time.perf_counter() - t2
        result.timings = timings
        steps.done()
        return result
    finally:
        close()


def _empty_zones(crs):
    import geopandas as gpd
    return gpd.GeoDataFrame({"hazard_type": pd.Series([], dtype=object), "risk_level": pd.Series([], dtype="int64")},
                            geometry=[], crs=crs)


def _choose_source(source, raster, households, villages, mode="exact"):
    has_raster = raster is not None and (isinstance(raster, RasterInput) or Path(raster).is_file())
    has_households = households is not None and len(households) > 0 and "people" in households.columns
    pop = _village_field(villages, "population")
    has_table = bool(np.isfinite(pop).any())
    if source == "raster" or (source == "auto" and has_raster):
        if not has_raster:
            raise RiskOneMapError("no population raster (population.tif) to read", file=raster)
        how = "exact cell coverage fractions" if mode == "exact" else "cell centres (fast mode)"
        return "raster", (f"population from the raster with {how}"
                          + ("" if source == "raster" else " (auto: a population raster is present)"))
    if source == "households" or (source == "auto" and has_households):
        if not has_households:
            raise RiskOneMapError("no household points with a people field", layer="households", field="people")
        return "households", ("population from household points" +
                              ("" if source == "households" else " (auto: no population raster)"))
    if source == "villages" or source == "auto":
        if not has_table:
            raise RiskOneMapError("no population source: no population.tif, no households layer and no village "
                                  "population figures", layer="villages", field="population")
        return "villages", ("population from the village census table, spread evenly over each village's area" +
                            ("" if source == "villages" else " (auto: no raster, no household points)"))
    raise RiskOneMapError(f"unknown population source {source!r}")


def _open_raster(raster):
    if isinstance(raster, RasterInput):
        src = cv.ArraySource(raster.array, raster.nodata, raster.name)
        return raster, src, _crs(raster.crs), (lambda: None)
    import contextlib
    import rasterio
    stack = contextlib.ExitStack()
    # every tile is read once: GDAL's block cache (5% of RAM by default) would only add to the peak memory
    stack.enter_context(rasterio.Env(GDAL_CACHEMAX=64 * 2 ** 20))
    try:
        ds = stack.enter_context(rasterio.open(raster))
    except Exception as exc:  # rasterio.errors.RasterioIOError
        stack.close()
        raise RiskOneMapError(f"cannot read the raster: {exc}", file=raster) from exc
    finer = _finer_grid(ds, str(raster))
    if finer is not None:
        stack.close()
        return _open_raster(finer)
    info = RasterInput(None, ds.transform, ds.crs, ds.nodata, str(raster))
    src = cv.RasterioSource(ds, name=str(raster))
    return info, src, _crs(ds.crs), stack.close


COARSE_CELLS = 10_000  # a raster with fewer cells than this, each wider than FINE_CELL_M, is split (below)
FINE_CELL_M = 100.0


def _finer_grid(ds, name: str) -> Optional[RasterInput]:
    """A coarse raster (a handful of cells, each kilometres wide) split into cells of about 100 m, each with its
    share of the people: the same numbers (people are spread evenly within a cell either way), but the exact
    coverage no longer cuts every polygon of the county inside one cell (a 1x1 raster took 97 s, now ~1 s)."""
    crs = _crs(ds.crs)
    cell = max(abs(ds.transform.a), abs(ds.transform.e))
    if ds.width * ds.height >= COARSE_CELLS or (crs is not None and crs.is_geographic) or cell <= FINE_CELL_M:
        return None
    factor = int(min(np.ceil(cell / FINE_CELL_M), np.floor(np.sqrt(4_000_000 / (ds.width * ds.height)))))
    if factor < 2:
        return None
    data = ds.read(1).astype("float64")
    nodata = ds.nodata
    missing = ~np.isfinite(data) if nodata is None or np.isnan(nodata) else (data == nodata) | ~np.isfinite(data)
    split = np.where(missing, np.nan, data / (factor * factor))
    array = np.repeat(np.repeat(split, factor, axis=0), factor, axis=1)
    from affine import Affine
    return RasterInput(array, ds.transform * Affine.scale(1.0 / factor), ds.crs, np.nan, name)


def _crs(value):
    if value is None:
        return None
    from pyproj import CRS
    return CRS.from_user_input(value)


def _to_crs(villages, zones, households, raster_crs, warnings):
    if raster_crs is None:
        warnings.append("the population raster has no CRS: assumed to be that of the villages")
        return villages, zones, households
    moved = []
    out = []
    for name, frame in (("villages", villages), ("risk_zones", zones), ("households", households)):
        if frame is not None and frame.crs is not None and not _crs(frame.crs).equals(raster_crs):
            moved.append(f"{name} from {_crs(frame.crs).to_string()}")
            frame = frame.to_crs(raster_crs)
        elif frame is not None and frame.crs is None:
            frame = frame.set_crs(raster_crs)
        out.append(frame)
    if moved:
        warnings.append(f"reprojected {', '.join(moved)} to the raster's CRS {raster_crs.to_string()}")
    return tuple(out)


# -------------------------------------------------------------------------------------------------- the engine
class _Engine:
    """Sums per village and per (village, level) for every hazard layer, exact or by cell centres."""

    def __init__(self, villages, regions, ras, raster_src, mode, steps):
        self.villages = villages
        self.regions = regions
        self.ras = ras
        self.src = raster_src
        self.mode = mode
        self.steps = steps
        vgeoms = shapely.orient_polygons(np.asarray(villages.geometry.values, dtype=object))
        self.n = len(vgeoms)
        self.fast = mode == "fast"
        allg = np.concatenate([vgeoms] + [r[0] if self.fast else r for r in regions.values()])
        bounds = shapely.total_bounds(allg[~shapely.is_empty(allg)])
        if ras is not None:
            base = cv.Grid.from_transform(ras.transform, raster_src.width, raster_src.height)
        else:
            base = cv.virtual_grid(bounds)
        self.grid, self.row_off, self.col_off = base.covering(bounds)
        self.cell_area = self.grid.cell_area
        self.vgeoms = self.grid.to_grid_geoms(vgeoms)
        if self.fast:
            self.rgeoms = {k: (self.grid.to_grid_geoms(shapely.orient_polygons(r[0])), r[1]) for k, r in regions.items()}
        else:
            self.rgeoms = {k: self.grid.to_grid_geoms(shapely.orient_polygons(r)) for k, r in regions.items()}
        self.raster_stats = None

    def run(self) -> dict:
        return self._exact() if self.mode == "exact" else self._fast()

    def _exact(self) -> dict:
        """Column band by column band (everything here is local to a column), so memory follows the band."""
        g = self.grid
        nl = len(LEVELS)
        Ev = cv.Edges.of(self.vgeoms, np.arange(1, self.n + 1))
        El = {k: cv.Edges.of(r, np.arange(1, nl + 1)) for k, r in self.rgeoms.items()}
        vsum = [np.zeros(self.n + 1) for _ in range(3)]
        joint = {k: (np.zeros((self.n + 1, nl + 1)), np.zeros((self.n + 1, nl + 1))) for k in El}
        zone_area = {k: np.zeros(nl + 1) for k in El}
        stats = cv.RasterStats()
        bands = cv.column_bands(g, self.col_off, self.src)
        for bi, (c0, c1) in enumerate(bands):
            whole = len(bands) == 1
            V = Ev.pieces(g.height, None if whole else c0, None if whole else c1)
            layers = {k: e.pieces(g.height, None if whole else c0, None if whole else c1) for k, e in El.items()}
            allp = [V] + list(layers.values())
            rows = np.concatenate([x.row for x in allp])
            cols = np.concatenate([x.col for x in allp])
            cv.attach(allp, *self._band_values(rows, cols, c0, c1, whole, stats))
            for acc, v in zip(vsum, cv.layer_sums(V, self.n)):
                acc += v
            for key, B in layers.items():
                J = cv.joint_sums(V, B, self.vgeoms, self.rgeoms[key], self.n, nl)
                joint[key][0][...] += J.pop
                joint[key][1][...] += J.area
                zone_area[key] += cv.layer_sums(B, nl)[1]
            self.steps.sub((bi + 1) / len(bands))
        self._check_values(stats)
        self.steps.next()
        A = self.cell_area
        out = {"village": (vsum[0], vsum[1] * A, vsum[2] * A), "raster_stats": stats if self.src else None,
               "joint": {k: (j[0], j[1] * A) for k, j in joint.items()},
               "zone_area": {k: z * A for k, z in zone_area.items()}}
        sample = int(min(4, max(1, g.width // 1000)))  # on big grids every 4th column line: an estimate
        self.overlap = sample * cv.overlap_cells(cv.centre_crossings(self.vgeoms, np.arange(1, self.n + 1), g.height,
                                                                     stride=sample))
        out["overlap_cells"] = self.overlap
        out["cell_area"] = A
        return out

    def _band_values(self, rows, cols, c0, c1, whole, stats):
        """Raster values for the pieces of one band: read that band's full-height stripe only."""
        if self.src is None:
            z = np.zeros(len(rows))
            return z, z, z, z
        if whole:
            S, p, K, k, st = cv.gather(self.src, self.row_off, self.col_off, rows, cols)
            cv.merge_stats(stats, st)
            return S, p, K, k
        a = max(c0 - self.col_off, 0)
        b = min(c1 - self.col_off, self.src.width)
        if b <= a:  # the band lies beside the raster
            z = np.zeros(len(rows))
            return z, z, z, z
        stripe = cv.ArraySource(self.src.read_columns(a, b), self.src.nodata, self.src.name)
        S, p, K, k, st = cv.gather(stripe, self.row_off, self.col_off + a, rows, cols)
        cv.merge_stats(stats, st, col_shift=a)
        return S, p, K, k

    def _check_values(self, stats):
        if stats.negative_cells or stats.nan_cells:
            r, c = stats.first_bad
            what = []
            if stats.negative_cells:
                what.append(f"{stats.negative_cells} negative")
            if stats.nan_cells:
                what.append(f"{stats.nan_cells} NaN")
            raise RiskOneMapError(f"{' and '.join(what)} population cells (first at row {r}, column {c}); "
                                  f"set them to nodata or to 0", file=self.src.name)

    def _fast(self) -> dict:
        """Cell centres, column band by column band like the exact mode (crossings are local to a column)."""
        H = self.grid.height
        nl = len(LEVELS)
        A = self.cell_area
        Ev = cv.Edges.of(self.vgeoms, np.arange(1, self.n + 1))
        Ez = {k: cv.Edges.of(g, levels) for k, (g, levels) in self.rgeoms.items()}
        vsum = [np.zeros(self.n + 1) for _ in range(3)]
        joint = {k: [np.zeros((self.n + 1, nl + 1)) for _ in range(3)] for k in Ez}
        zone_cells = {k: np.zeros(nl + 1) for k in Ez}
        stats = cv.RasterStats()
        self.overlap = 0
        bands = cv.column_bands(self.grid, self.col_off, self.src)
        for bi, (c0, c1) in enumerate(bands):
            whole = len(bands) == 1
            lim = (None, None) if whole else (c0, c1)
            cvb = Ev.crossings(H, *lim)
            cz = {k: e.crossings(H, *lim) for k, e in Ez.items()}
            allc = [cvb] + list(cz.values())
            rows = np.concatenate([cv.centre_rows(c.r) for c in allc])
            cols = np.concatenate([c.col for c in allc])
            S, _, K, _ = self._band_values(rows, cols, c0, c1, whole, stats)
            parts, at = [], 0
            for c in allc:
                parts.append((S[at:at + len(c.col)], K[at:at + len(c.col)]))
                at += len(c.col)
            self.overlap += cv.overlap_cells(cvb)
            for acc, v in zip(vsum, cv.fast_layer_sums(cvb, self.n, *parts[0])):
                acc += v
            for i, (key, c) in enumerate(cz.items()):
                levels = cv.highest_level_labels(c, nl)
                for acc, v in zip(joint[key], cv.fast_joint(cvb, parts[0][0], parts[0][1], c, parts[i + 1][0],
                                                             parts[i + 1][1], self.n, nl, labels_b=levels)):
                    acc += v
                zone_cells[key] += cv.fast_layer_sums(c, nl, *parts[i + 1], labels=levels)[1]
            self.steps.sub((bi + 1) / len(bands))
        self._check_values(stats)
        self.steps.next()
        out = {"village": (vsum[0], vsum[1] * A, vsum[2] * A),
               "joint": {k: (j[0], j[1] * A, j[2] * A) for k, j in joint.items()},
               "zone_area": {k: np.concatenate([[0.0], z[1:]]) * A for k, z in zone_cells.items()},
               "raster_stats": stats if self.src else None, "overlap_cells": self.overlap, "cell_area": A}
        exact_area = shapely.area(np.asarray(self.villages.geometry.values, dtype=object))
        rel = np.abs(out["village"][1][1:] - exact_area) / np.maximum(exact_area, 1e-12)
        out["fast_error"] = {"max_rel_area_error": float(rel.max()) if len(rel) else 0.0,
                             "mean_rel_area_error": float(rel.mean()) if len(rel) else 0.0}
        return out


# -------------------------------------------------------------------------------------------------- tables
def _households_counts(households, villages, zones, keys, warnings):
    """People and households per village and per (village, level) of each layer, from household points."""
    import geopandas as gpd  # noqa: F401  (frames are GeoDataFrames)
    n = len(villages)
    pts = np.asarray(households.geometry.values, dtype=object)
    people = pd.to_numeric(households["people"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(people) | (people < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RiskOneMapError(f"people must be a number >= 0 ({int(bad.sum())} households are not)",
                              layer="households", feature=_feature_name(households, i), field="people")
    vgeoms = np.asarray(villages.geometry.values, dtype=object)
    ptree = shapely.STRtree(pts)  # points in the tree, polygons queried: each polygon is prepared once
    vi, pi = ptree.query(vgeoms, predicate="intersects")
    label = np.zeros(len(pts), dtype=np.int64)
    order = np.lexsort((vi, pi))
    first = np.unique(pi[order], return_index=True)[1]
    label[pi[order][first]] = vi[order][first] + 1
    outside = label == 0
    if outside.any() and "village_code" in households.columns:
        code_to = {c: i + 1 for i, c in enumerate(villages["code"].astype(str))}
        by_code = households["village_code"].astype(str).map(code_to).fillna(0).to_numpy(dtype=np.int64)
        fixed = outside & (by_code > 0)
        label[fixed] = by_code[fixed]
        if fixed.any():
            warnings.append(f"{int(fixed.sum())} households lie outside every village polygon and were placed by "
                            f"their village_code")
        outside = label == 0
    if outside.any():
        warnings.append(f"{int(outside.sum())} households ({people[outside].sum():,.0f} people) lie outside every "
                        f"village and have no known village_code: not counted")
    tot_pop = np.bincount(label, people, minlength=n + 1)
    tot_hh = np.bincount(label, minlength=n + 1).astype(np.float64)
    zgeoms = np.asarray(zones.geometry.values, dtype=object)
    zi_zone, zi_pt = ptree.query(zgeoms, predicate="intersects") if len(zgeoms) else (
        np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    ztype = zones["hazard_type"].to_numpy()[zi_zone]
    zlevel = zones["risk_level"].to_numpy(dtype=np.int64)[zi_zone]
    joint = {}
    for key in keys:
        sel = np.ones(len(zi_pt), dtype=bool) if key == ANY else ztype == key
        level = np.full(len(pts), 99, dtype=np.int64)
        np.minimum.at(level, zi_pt[sel], zlevel[sel])  # the highest level (smallest number) wins
        level[level == 99] = 0
        flat = label * (len(LEVELS) + 1) + level
        shape = (n + 1, len(LEVELS) + 1)
        joint[key] = (np.bincount(flat, people, minlength=shape[0] * shape[1]).reshape(shape),
                      np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape).astype(np.float64))
    return tot_pop, tot_hh, joint


def _tables(villages, zones, regions, sums, source, households, townships, mode, warnings) -> ExposureResult:
    n = len(villages)
    v_pop, v_area, v_known = sums["village"]
    v_pop, v_area, v_known = v_pop[1:].copy(), v_area[1:], v_known[1:]
    hh_field = _village_field(villages, "households")
    census = _village_field(villages, "population")
    joint_area = {k: j[1] for k, j in sums["joint"].items()}
    if source == "raster":
        total = v_pop
        joint_pop = {k: j[0] for k, j in sums["joint"].items()}
        total_hh = hh_field
        per_person = np.where(np.isfinite(hh_field), _safe_div(hh_field, total), np.nan)  # households carried
        joint_hh = {k: np.vstack([np.zeros((1, j.shape[1])), j[1:] * per_person[:, None]])
                    for k, j in joint_pop.items()}
        _raster_warnings(villages, v_area, v_known, sums, warnings)
    elif source == "households":
        tot_pop, tot_hh, hj = _households_counts(households, villages, zones, list(sums["joint"]), warnings)
        total, total_hh = tot_pop[1:], tot_hh[1:]
        joint_pop = {k: v[0] for k, v in hj.items()}
        joint_hh = {k: v[1] for k, v in hj.items()}
    else:
        total = np.where(np.isfinite(census), census, 0.0)
        missing = ~np.isfinite(census)
        if missing.any():
            names = ", ".join(villages["name"].astype(str)[missing].head(5))
            warnings.append(f"{int(missing.sum())} villages have no population figure and count as 0 ({names})")
        share = {k: np.vstack([np.zeros((1, j[1].shape[1])), j[1][1:] / np.maximum(v_area, 1e-300)[:, None]])
                 for k, j in sums["joint"].items()}  # area share of each (village, level)
        joint_pop = {k: s * np.r_[0.0, total][:, None] for k, s in share.items()}
        total_hh = hh_field
        joint_hh = {k: s * np.r_[0.0, np.where(np.isfinite(hh_field), hh_field, np.nan)][:, None]
                    for k, s in share.items()}

    # float cancellation leaves |x| ~ 1e-16 of the column sums on empty zones: clip those, refuse anything bigger
    scale = max(float(np.nanmax(np.abs(total))) if n else 1.0, 1.0)
    for key, arr in joint_pop.items():
        neg = arr < 0
        if neg.any():
            if arr[neg].min() < -1e-9 * scale:
                raise RiskOneMapError(f"internal check failed: negative exposed population ({arr[neg].min():.3g}) "
                                      f"for {key}", layer="villages")
            arr[neg] = 0.0
    total = np.maximum(total, 0.0)

    over_cells = sums.get("overlap_cells") or 0
    if over_cells:
        over_area = over_cells * sums["cell_area"]
        warnings.append(f"villages overlap on about {over_cells:,} cells ({over_area:,.0f} m²): people there count "
                        f"in each of them")

    # zones outside every village
    for key, zarea in sums["zone_area"].items():
        if key == ANY:
            continue
        inside = joint_area[key][1:].sum(axis=0)
        out_area = zarea - inside
        for li in range(1, len(LEVELS) + 1):
            if out_area[li] > 1e-6 * max(zarea[li], 1.0) and out_area[li] > 1.0:
                warnings.append(f"{key} level {li}: {out_area[li]:,.0f} m² of zones lie outside every village "
                                f"(nobody counted there)")
    _zones_outside(villages, zones, warnings)

    # the exposure rows
    codes = villages["code"].astype(str).to_numpy()
    names = villages["name"].astype(str).to_numpy() if "name" in villages.columns else codes
    parents = (villages["parent_code"].astype(str).to_numpy() if "parent_code" in villages.columns
               else np.array([""] * n, dtype=object))
    vul = {name: _village_field(villages, name) for name in VULNERABLE}
    frames = []
    keys = [h.key for h in model.HAZARD_TYPES if h.key in sums["joint"]] + ([ANY] if ANY in sums["joint"] else [])
    for key in keys:
        pop = joint_pop[key][1:, 1:]
        area = joint_area[key][1:, 1:]
        hh = joint_hh[key][1:, 1:]
        vi, li = np.nonzero((area > 1e-9) | (pop > 0))
        share = _safe_div(pop[vi, li], total[vi])
        frame = pd.DataFrame({
            "village_code": codes[vi], "village_name": names[vi], "township_code": parents[vi],
            "hazard_type": key, "risk_level": (li + 1).astype(np.int64), "population": pop[vi, li],
            "households": hh[vi, li], "area_m2": area[vi, li]})
        for name in VULNERABLE:
            frame[name] = vul[name][vi] * share
        frame["source"] = source
        frames.append(frame)
    rows = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS))[ROW_COLUMNS]

    # villages: totals, exposed, unexposed (exposed + unexposed == total by construction)
    any_pop = joint_pop[ANY][1:, 1:] if ANY in joint_pop else np.zeros((n, len(LEVELS)))
    exposed = any_pop.sum(axis=1)
    over = exposed > total * (1 + 1e-9) + 1e-9
    if over.any():  # cannot happen with disjoint levels; a guard against a wrong number
        raise RiskOneMapError(f"internal check failed: exposed population exceeds the total in {int(over.sum())} "
                              f"villages", layer="villages")
    vt = villages[[c for c in ("code", "name", "parent_code") if c in villages.columns]].copy()
    vt = vt.rename(columns={"parent_code": "township_code"})
    vt["population_total"] = total
    vt["households_total"] = total_hh
    vt["area_m2"] = v_area
    vt["exposed_any"] = exposed
    unexposed = total - exposed
    unexposed[np.abs(unexposed) <= 1e-9 * np.maximum(total, 1.0)] = 0.0  # float residue, not people
    vt["unexposed"] = unexposed
    vt["exposed_l1_2"] = any_pop[:, :2].sum(axis=1)
    vt["exposed_l1"] = any_pop[:, 0]
    vt["share_l1_2"] = _safe_div(vt["exposed_l1_2"].to_numpy(), total)
    for key in keys:
        if key != ANY:
            vt[f"{key}_l1_2"] = joint_pop[key][1:, 1:3].sum(axis=1)
    vt["source"] = source
    import geopandas as gpd
    vlayer = gpd.GeoDataFrame(vt, geometry=villages.geometry.values, crs=villages.crs)

    town, county = _rollups(rows, vt, townships)
    result = ExposureResult(rows=rows, villages=vlayer, townships=town, county=county, source=source, mode=mode,
                            warnings=warnings, fast_error=sums.get("fast_error"))
    return result


def _safe_div(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=(b != 0) & np.isfinite(b))
    return out


def _raster_warnings(villages, v_area, v_known, sums, warnings):
    unknown = v_area - v_known
    bad = unknown > 1e-9 * np.maximum(v_area, 1.0)
    if bad.any():
        share = unknown / np.maximum(v_area, 1e-300)
        idx = np.argsort(-share)[:int(bad.sum())][:5]
        names = ", ".join(f"{villages['name'].iloc[i]} {share[i]:.1%}" for i in idx)
        warnings.append(f"{int(bad.sum())} villages have area without population data (nodata cells or outside the "
                        f"raster), counted as 0 people there: {names}")
    stats = sums.get("raster_stats")
    if stats is not None:
        counted = float(sums["village"][0][1:].sum())
        outside = stats.total - counted
        if outside > 1e-6 * max(stats.total, 1.0) and outside > 0.5:
            warnings.append(f"{outside:,.0f} people of the raster ({outside / stats.total:.1%}) live outside every "
                            f"village and are in no row")
        if stats.nodata_cells:
            warnings.append(f"the raster has {stats.nodata_cells:,} nodata cells")


def _zones_outside(villages, zones, warnings):
    if len(zones) == 0:
        return
    tree = shapely.STRtree(np.asarray(villages.geometry.values, dtype=object))
    zi, _ = tree.query(np.asarray(zones.geometry.values, dtype=object), predicate="intersects")
    lost = np.setdiff1d(np.arange(len(zones)), zi)
    if len(lost):
        ids = ", ".join(_feature_name(zones, int(i)) for i in lost[:5])
        warnings.append(f"{len(lost)} risk zones lie wholly outside every village ({ids})")


def _rollups(rows, vt, townships):
    value_cols = ["population", "households", "area_m2", *VULNERABLE]
    town = rows.groupby(["township_code", "hazard_type", "risk_level"], as_index=False)[value_cols].sum(min_count=1)
    if townships is not None and len(townships):
        names = dict(zip(townships["code"].astype(str), townships["name"].astype(str)))
        town.insert(1, "township_name", town["township_code"].map(names))
    totals = vt.groupby("township_code", as_index=False)[["population_total", "exposed_any", "unexposed",
                                                          "exposed_l1_2"]].sum()
    town = town.merge(totals, on="township_code", how="left")
    county = rows.groupby(["hazard_type", "risk_level"], as_index=False)[value_cols].sum(min_count=1)
    county["population_total"] = float(vt["population_total"].sum())
    return town, county
