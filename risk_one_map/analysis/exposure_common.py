"""Shared words of the exposure parts: population sources and modes, the row columns, the raster held in memory and
the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ..layers import model


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
