"""The population source of exposure: which one (raster, households, village table) and why; the raster opened (a
coarse one split finer); everything brought into the raster's CRS.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from . import coverage as cv
from .exposure_common import RasterInput
from .exposure_zones import village_field


def choose_source(source, raster, households, villages, mode="exact"):
    has_raster = raster is not None and (isinstance(raster, RasterInput) or Path(raster).is_file())
    has_households = households is not None and len(households) > 0 and "people" in households.columns
    pop = village_field(villages, "population")
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


# every tile is read once: GDAL's block cache (5% of RAM by default) would only add to the peak memory
GDAL_OPTIONS = {"GDAL_CACHEMAX": 64 * 2 ** 20}


def open_raster(raster, gdal_env: bool = True):
    """``gdal_env`` False: the raster is read later inside the caller's own ``rasterio.Env(**GDAL_OPTIONS)`` (a
    rasterio Env belongs to one thread and must close in the order it opened: one kept open across tasks is not)."""
    if isinstance(raster, RasterInput):
        src = cv.ArraySource(raster.array, raster.nodata, raster.name)
        return raster, src, _crs(raster.crs), (lambda: None)
    import contextlib
    import rasterio
    stack = contextlib.ExitStack()
    if gdal_env:
        stack.enter_context(rasterio.Env(**GDAL_OPTIONS))
    try:
        ds = stack.enter_context(rasterio.open(raster))
    except Exception as exc:  # rasterio.errors.RasterioIOError
        stack.close()
        raise RiskOneMapError(f"cannot read the raster: {exc}", file=raster) from exc
    finer = _finer_grid(ds, str(raster))
    if finer is not None:
        stack.close()
        return open_raster(finer, gdal_env)
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


def to_raster_crs(villages, zones, households, raster_crs, warnings):
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
