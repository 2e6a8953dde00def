"""A sample province: a folder of sample county packages whose counties touch, deterministic for a seed.

    build_sample_province("prov/", counties=12, villages=48, seed=7)

The counties are the cells of a jittered lattice split by Voronoi (each border lies halfway between two county
seats, so neighbours share it), cut round at the province's edge. Each county is the sample county generator run
inside its cell, with its own seed, code (13xxyy) and name; its village count follows its cell's area (about 8 km² a
village, as the sample county), so sizes vary as real ones do. Every tenth county (``big_every``) gets a fine population
raster (``big_cell_m``, 10 m by default: the same people in 100 times the cells), for the windowed exposure.
The province boundary is written as province.gpkg beside the packages.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import shapely

from ..errors import RiskOneMapError
from ..progress import CancelledFn, ProgressFn, Steps
from . import names
from .county import AREA_PER_VILLAGE_M2, LATITUDE, LONGITUDE

PROVINCE_FILE = "province.gpkg"  # the province boundary, read by jobs/province_rollup.py

PROVINCE_CODE = "130000000000"  # the sample counties' codes start 13: a Hebei-like province
BIG_RASTER_EVERY = 10  # every tenth county has a big population raster


@dataclass
class CountyPlan:
    index: int
    folder: str  # package folder name inside the province folder: <code6>_<name>
    code6: str
    name: str
    villages: int
    seed: int
    outline: object  # shapely Polygon, projected CRS
    population_cell_m: Optional[float] = None


def plan_province(counties: int, villages: int = 48, seed: int = 7, big_cell_m: Optional[float] = 10.0,
                  big_every: int = BIG_RASTER_EVERY) -> list:
    """Where each county lies, its code, name, village count and seed (nothing generated yet)."""
    counties = int(counties)
    if counties < 1:
        raise RiskOneMapError(f"a province needs at least one county, not {counties}")
    from pyproj import Transformer
    from ..layers import model
    rng = np.random.default_rng([int(seed), 1901])
    crs = model.default_projected_epsg(LONGITUDE)
    cx, cy = Transformer.from_crs(model.CGCS2000_GEOGRAPHIC, f"EPSG:{crs}", always_xy=True).transform(LONGITUDE,
                                                                                                   LATITUDE)
    spacing = float(np.sqrt(max(8, int(villages)) * AREA_PER_VILLAGE_M2))
    cols = int(np.ceil(np.sqrt(counties)))
    rows = int(np.ceil(counties / cols))
    ii, jj = np.divmod(np.arange(counties), cols)
    x = cx + (jj - (cols - 1) / 2 + 0.5 * (ii % 2)) * spacing + rng.uniform(-0.2, 0.2, counties) * spacing
    y = cy - (ii - (rows - 1) / 2) * spacing + rng.uniform(-0.2, 0.2, counties) * spacing
    seats = shapely.points(x, y)
    # a seat's cell clipped by a disc round it: on a shared border both discs reach equally far (it is
    # equidistant from both seats), so neighbours still share their border exactly
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seats), extend_to=shapely.box(
        x.min() - 2 * spacing, y.min() - 2 * spacing, x.max() + 2 * spacing, y.max() + 2 * spacing)))
    cell_of = [int(np.flatnonzero(shapely.contains(cells, s))[0]) for s in seats]
    plans, used = [], set()
    for i in range(counties):
        outline = shapely.intersection(cells[cell_of[i]], shapely.buffer(seats[i], 0.62 * spacing, quad_segs=32))
        name = names.county_name(rng)
        while name in used:
            name = names.county_name(rng)
        used.add(name)
        code6 = f"{1369 - i // 99}{i % 99 + 1:02d}"  # 1369xx, 1368xx...: prefecture numbers Hebei does not use
        n = max(8, int(round(outline.area / AREA_PER_VILLAGE_M2)))
        big = big_cell_m if big_cell_m and big_every and i % big_every == big_every - 1 else None
        plans.append(CountyPlan(i, f"{code6}_{name}", code6, name, n, int(seed) * 1000 + i, outline, big))
    return plans


def build_sample_province(out_dir, counties: int = 3, villages: int = 48, seed: int = 7,
                          big_cell_m: Optional[float] = 10.0, big_every: int = BIG_RASTER_EVERY,
                          overwrite: bool = False,
                          progress: Optional[ProgressFn] = None, cancelled: Optional[CancelledFn] = None) -> list:
    """Write one sample county package per county into ``out_dir`` and the province boundary; the packages' paths.

    A county whose package is already there is kept unless ``overwrite`` (a killed run goes on where it stopped)."""
    import geopandas as gpd
    from ..layers import model
    from ..layers.package import Package, atomic_path, write_frame
    from .county import build_sample_county
    out = Path(out_dir)
    plans = plan_province(counties, villages, seed, big_cell_m, big_every)
    out.mkdir(parents=True, exist_ok=True)
    steps = Steps(progress, cancelled, weights=[p.villages for p in plans] + [1])
    paths = []
    for plan in plans:
        steps.next()
        folder = out / plan.folder
        if overwrite or not Package(folder).gpkg.is_file():
            build_sample_county(folder, villages=plan.villages, seed=plan.seed, overwrite=True,
                                progress=steps.sub, cancelled=cancelled, outline=plan.outline,
                                naming=(plan.code6, plan.name, PROVINCE_CODE),
                                population_cell_m=plan.population_cell_m)
        paths.append(folder)
    steps.next()
    crs = f"EPSG:{model.default_projected_epsg(LONGITUDE)}"
    boundary = gpd.GeoDataFrame({"code": [PROVINCE_CODE], "name": ["样例省"]},
                                geometry=[shapely.union_all([p.outline for p in plans])], crs=crs)
    with atomic_path(out / PROVINCE_FILE) as tmp:
        write_frame(tmp, "province", boundary)
    steps.done()
    return paths
