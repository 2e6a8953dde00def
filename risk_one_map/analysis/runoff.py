"""Runoff coefficient per land use (径流系数): how much of the rain on a cell runs off towards the low points.

The table is data: one row per first-level class of the national land-use classification (GB/T 21010-2017
土地利用现状分类, codes 01-12). Where GB 50014-2021 (室外排水设计标准) gives a range for that kind of surface we take
its middle and say so; every other value is our labelled default, to be adjusted by the county. A package may hold
land use as a polygon layer ``land_use`` in onemap.gpkg (field ``code``, ``name`` or ``runoff``; ``import`` reads a
三调 地类图斑 file with DLBM/DLMC into it) or as a raster ``landuse.tif`` of class codes; without either, one
coefficient (``lowpoint_runoff_coefficient``) covers the county.
Pure: numpy, rasterio.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from ..layers.raster_import import LANDUSE_RASTER

LAYER = "land_use"
RASTER = LANDUSE_RASTER  # ``risk-one-map import`` writes a land-use raster there
FIELDS = ("runoff", "code", "name")  # the first one present is used: a coefficient, a class code, a class name


@dataclass(frozen=True)
class LandUseRunoff:
    code: str  # GB/T 21010-2017 first-level class
    name: str
    coefficient: float
    source: str  # the norm the value comes from, or "default"
    aliases: tuple = ()


GB50014 = "GB 50014-2021 (range middle)"
LAND_USE_RUNOFF = (
    LandUseRunoff("01", "耕地", 0.30, "default", ("水田", "水浇地", "旱地", "farmland", "cropland")),
    LandUseRunoff("02", "园地", 0.25, "default", ("果园", "茶园", "orchard")),
    LandUseRunoff("03", "林地", 0.15, GB50014, ("有林地", "灌木林地", "forest")),  # 绿地 0.10-0.20
    LandUseRunoff("04", "草地", 0.15, GB50014, ("grassland",)),  # 绿地 0.10-0.20
    LandUseRunoff("05", "商服用地", 0.85, "default", ("commercial",)),
    LandUseRunoff("06", "工矿仓储用地", 0.80, "default", ("industrial",)),
    LandUseRunoff("07", "住宅用地", 0.70, "default", ("城镇住宅用地", "农村宅基地", "residential")),
    LandUseRunoff("08", "公共管理与公共服务用地", 0.65, "default", ("public",)),
    LandUseRunoff("09", "特殊用地", 0.60, "default", ()),
    LandUseRunoff("10", "交通运输用地", 0.90, GB50014, ("道路", "road")),  # 混凝土或沥青路面 0.85-0.95
    LandUseRunoff("11", "水域及水利设施用地", 1.00, "default", ("水域", "water")),  # rain on water all stays water
    LandUseRunoff("12", "其他土地", 0.40, "default", ("裸地", "bare")),
)
_BY_KEY = {k.lower(): row for row in LAND_USE_RUNOFF for k in (row.code, row.name, *row.aliases)}


def class_of(value) -> Optional[LandUseRunoff]:
    """The class of a code (01, 0101, 1, 101 as text or number) or a Chinese/English name; None if unknown."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit():
        code = int(text)
        # GB/T 21010 codes: 2 digits first level, 4 digits second level (0101 -> 01); 101 is 0101 with its 0 lost.
        first = code if code < 100 else code // 100
        return _BY_KEY.get(f"{first:02d}")
    return _BY_KEY.get(text.lower())


@dataclass
class RunoffGrid:
    """Coefficient per DEM cell and what it says on the result: its source and the share of the county covered."""
    grid: Optional[np.ndarray]  # None when one coefficient covers the county (``uniform``)
    source: str  # "land_use", "landuse.tif", "given" or "default"
    covered_share: float  # of the DEM's valid cells, the share that land use covers (the rest: the default)
    uniform: Optional[float] = None

    @property
    def coefficients(self):
        """What ``depressions.rain_event`` takes: the one number, else the grid."""
        return self.uniform if self.grid is None else self.grid


def from_values(values, *, file=None, layer=None, field=None, ids=None) -> np.ndarray:
    """The coefficient of each feature: ``runoff`` values taken as they are (0-1), codes and names looked up."""
    out = np.empty(len(values))
    for k, v in enumerate(values):
        if field == "runoff":
            try:
                c = float(v)
            except (TypeError, ValueError):
                c = np.nan
            if not 0 <= c <= 1:
                raise RiskOneMapError(f"the runoff coefficient must be a number between 0 and 1 (got {v!r})",
                                      file=file, layer=layer, feature=ids[k] if ids is not None else k, field=field)
            out[k] = c
            continue
        row = class_of(v)
        if row is None:
            raise RiskOneMapError(
                f"unknown land-use class {v!r}; use a GB/T 21010 code (01-12, or 4 digits) or a class name such as "
                f"耕地/林地/住宅用地", file=file, layer=layer, feature=ids[k] if ids is not None else k, field=field)
        out[k] = row.coefficient
    return out


def from_polygons(frame, transform, shape, valid: np.ndarray, default: float, *, file=None) -> RunoffGrid:
    """Rasterise a land-use polygon layer onto the DEM grid (cell centres; later polygons win where they overlap)."""
    from rasterio import features
    field = next((f for f in FIELDS if f in frame.columns), None)
    if field is None:
        raise RiskOneMapError(f"the land-use layer needs a field {' / '.join(FIELDS)}", file=file, layer=LAYER)
    ids = frame["id"].astype(str).tolist() if "id" in frame.columns else None
    coef = from_values(frame[field].tolist(), file=file, layer=LAYER, field=field, ids=ids)
    grid = features.rasterize(((g, c) for g, c in zip(frame.geometry, coef) if g is not None and not g.is_empty),
                              out_shape=shape, transform=transform, fill=np.nan, dtype="float64")
    return _with_default(grid, valid, default, LAYER)


def from_raster(codes: np.ndarray, valid: np.ndarray, default: float, *, file=None) -> RunoffGrid:
    """Class codes already on the DEM grid (NaN = no data) to coefficients, one look-up per distinct code."""
    grid = np.full(codes.shape, np.nan)
    known = np.isfinite(codes)
    values, inverse = np.unique(codes[known], return_inverse=True)
    coef = from_values([int(v) if float(v).is_integer() else v for v in values], file=file, field="value")
    grid[known] = coef[inverse]
    return _with_default(grid, valid, default, RASTER)


def _with_default(grid: np.ndarray, valid: np.ndarray, default: float, source: str) -> RunoffGrid:
    covered = valid & np.isfinite(grid)
    share = float(covered.sum() / valid.sum()) if valid.any() else 0.0
    return RunoffGrid(grid=np.where(covered, grid, default), source=source, covered_share=share)
