"""Rasters in an import: a DEM, a population grid or a land-use map, warped into the package CRS (dem.tif,
population.tif, landuse.tif).

Pure: rasterio (GDAL's warper does the resampling; nothing here is hand-written). Elevation is resampled
bilinearly; population is a count per cell, so it is resampled with GDAL's area-weighted ``sum`` and the
totals before and after are reported (they differ only by cells cut at the raster's edge); land use holds class
codes (GB/T 21010), so it is resampled by nearest neighbour: no code is ever averaged into another.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from . import model

RASTER_SUFFIXES = (".tif", ".tiff", ".img", ".asc", ".vrt", ".nc")
LANDUSE_RASTER = "landuse.tif"  # class codes the DEM low points' runoff reads (analysis/runoff.py)
RASTER_TARGETS = {"dem": model.DEM_RASTER, "population": model.POPULATION_RASTER, "landuse": LANDUSE_RASTER}
_KEYWORDS = (("population", ("population", "pop", "人口", "worldpop", "landscan")),
             ("landuse", ("landuse", "land_use", "lulc", "landcover", "land_cover", "土地利用", "地类", "用地")),
             ("dem", ("dem", "dsm", "elev", "高程", "地形", "srtm", "aster", "gdem", "terrain")))
NODATA = -9999.0


@dataclass
class RasterInput:
    path: Path
    target: str  # "dem", "population" or "landuse"
    rule: str  # why this target


def is_raster(path: Path) -> bool:
    return Path(path).suffix.lower() in RASTER_SUFFIXES


def raster_target(path: Path, forced: Optional[str]) -> RasterInput:
    if forced:
        if forced not in RASTER_TARGETS:
            raise RiskOneMapError(f"a raster can only be imported as {' or '.join(RASTER_TARGETS)}, not {forced!r}",
                                  file=path)
        return RasterInput(Path(path), forced, "given on the command line")
    stem = Path(path).stem.lower()
    for target, words in _KEYWORDS:
        if any(w in stem for w in words):
            return RasterInput(Path(path), target, "file name")
    raise RiskOneMapError("cannot tell whether this raster is elevation, population or land use; "
                          "write dem=FILE or population=FILE (or landuse=FILE)", file=path)


def open_raster(path):
    """rasterio.open, with a file that is empty, truncated or not a raster said in one line."""
    import rasterio
    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise RiskOneMapError(f"not a readable raster: {' '.join(str(exc).split())[:200]}", file=path) from None


def read_band(src, path):
    """Band 1 as a masked array; a file that breaks off half way said in one line."""
    import rasterio
    try:
        return src.read(1, masked=True)
    except rasterio.errors.RasterioIOError as exc:
        raise RiskOneMapError(f"the raster cannot be read to its end (truncated or damaged): "
                              f"{' '.join(str(exc).split())[:200]}", file=path) from None


def source_crs(item: RasterInput, default_crs: Optional[str]):
    import rasterio
    with open_raster(item.path) as src:
        if src.crs is not None:
            return src.crs
    if default_crs:
        return rasterio.crs.CRS.from_user_input(default_crs)
    raise RiskOneMapError("the raster has no CRS; give it with --crs (e.g. --crs EPSG:4490)", file=item.path)


def centre_lon(item: RasterInput, default_crs: Optional[str]) -> float:
    import rasterio
    from rasterio.warp import transform_bounds
    crs = source_crs(item, default_crs)
    with open_raster(item.path) as src:
        left, bottom, right, top = transform_bounds(crs, "EPSG:4490", *src.bounds)
    return (left + right) / 2.0


def warp(item: RasterInput, target_crs, default_crs: Optional[str] = None):
    """(array float32, transform, crs, nodata, note) in ``target_crs``; refuses negative population."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject
    crs = source_crs(item, default_crs)
    with open_raster(item.path) as src:
        if src.count < 1:
            raise RiskOneMapError("the raster has no band", file=item.path)
        data = read_band(src, item.path).astype("float64")
        src_nodata, src_transform = src.nodata, src.transform
        transform, width, height = calculate_default_transform(crs, target_crs, src.width, src.height, *src.bounds)
        bounds_note = f"{src.width}x{src.height} cells"
    values = data.filled(np.nan)
    if item.target == "population":
        bad = np.isfinite(values) & (values < 0)
        if bad.any():
            raise RiskOneMapError(f"{int(bad.sum())} cells have negative population; fix them or set them to nodata",
                                  file=item.path, layer="band 1")
        if np.isinf(values).any():
            raise RiskOneMapError(f"{int(np.isinf(values).sum())} cells have infinite population; fix them or set "
                                  "them to nodata", file=item.path, layer="band 1")
    out = np.full((height, width), np.nan, dtype="float64")
    resampling = {"population": Resampling.sum, "landuse": Resampling.nearest}.get(item.target, Resampling.bilinear)
    reproject(values, out, src_transform=src_transform, src_crs=crs,
              src_nodata=np.nan, dst_transform=transform, dst_crs=target_crs, dst_nodata=np.nan,
              resampling=resampling)
    result = np.where(np.isfinite(out), out, NODATA).astype("float32")
    note = (f"{bounds_note} {crs.to_string()} -> {width}x{height} cells {target_crs.to_string()} "
            f"({resampling.name} resampling)")
    if src_nodata is None:
        note += "; the source has no nodata value: every cell was read as data"
    if item.target == "population":
        before = float(np.nansum(values))
        after = float(result[result != NODATA].astype("float64").sum())
        note += f"; total population {before:,.0f} before, {after:,.0f} after"
    return result, transform, target_crs, NODATA, note

