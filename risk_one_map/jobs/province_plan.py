"""How big each county's tasks are, so that a free worker takes the largest ready one first.

A worker that is free takes, of the tasks ready, the one whose county has the most work left (this task and the
steps after it): the big counties start first and the small ones fill the gaps at the end, rather than a big county
started last keeping one worker busy while the others wait. The costs are seconds per village of each step and per
million population cells of exposure's exact engine, measured on one worker by benchmarks/province.py; only their
ratios matter here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..layers import model

SECONDS_PER_VILLAGE = {"exposure": 0.09, "evacuate": 0.07, "site-depots": 0.02, "atlas": 0.57}
EXPOSURE_SECONDS_PER_MCELL = 0.2
ATLAS_TOWNSHIP_SPLIT = 30  # a county with more villages than this is printed township by township


@dataclass
class CountySize:
    villages: int
    cells: int  # population raster cells (0: none)
    townships: dict  # township code -> its villages

    def cost(self, step: str, township: Optional[str] = None) -> float:
        """Estimated seconds of ``step`` on one worker (of one township's sheets when ``township`` is given)."""
        villages = self.townships.get(township, 0) if township is not None else self.villages
        extra = EXPOSURE_SECONDS_PER_MCELL * self.cells / 1e6 if step == "exposure" else 0.0
        return SECONDS_PER_VILLAGE[step] * villages + extra

    def atlas_parts(self) -> list:
        """[None] (the whole county in one task) or the township codes that have villages."""
        return [None] if self.villages <= ATLAS_TOWNSHIP_SPLIT else sorted(self.townships)


def county_size(county: Path) -> CountySize:
    """Villages per township from the package, cells from the raster's header (nothing else is read)."""
    import pyogrio
    import rasterio
    try:
        villages = pyogrio.read_dataframe(county / model.GPKG_NAME, layer="villages", columns=["parent_code"],
                                          read_geometry=False)
        raster = county / model.POPULATION_RASTER
        cells = 0
        if raster.is_file():
            with rasterio.open(raster) as ds:
                cells = ds.width * ds.height
    except Exception:  # noqa: BLE001 - a broken package fails in its own task, with its command's one line
        return CountySize(0, 0, {})
    return CountySize(len(villages), cells, villages["parent_code"].astype(str).value_counts().to_dict())
