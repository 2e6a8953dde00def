"""The sample county: a synthetic but believable mountain county in north China, deterministic for a seed.

    county = make_sample_county(villages=48, seed=7)       # frames and arrays, nothing written
    package = build_sample_county("out/", villages=48)     # the same, written as a one-map package (atomically)

The county sits where Mentougou does (116°E, 40°N; CGCS2000 3° Gauss-Krüger CM 117°E, EPSG:4548): a main river
leaving the mountains to the south-east, villages on the valley floors, geohazards on the slopes above them.
It grows with ``villages`` (about 8 km² per village, as in Mentougou), and the cell sizes grow with it so that
thousands of villages still build in a couple of minutes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from ..errors import RiskOneMapError
from ..layers import model
from ..layers.package import Package, write_package
from ..progress import CancelledFn, ProgressFn, Steps
from . import names
from .admin import county_outline, make_admin
from .facilities import SiteFinder, make_depots, make_shelters
from .geohazards import make_geohazards
from .grid import Grid
from .ledger import make_ledger
from .lowpoints import make_lowpoints
from .risk_zones import make_risk_zones
from .roads import make_roads
from .roster import Roster, add_household_heads
from .settlement import NODATA, make_settlement
from .terrain import make_terrain

LONGITUDE, LATITUDE = 116.0, 40.0  # Mentougou-like: the Western Hills of Beijing
AREA_PER_VILLAGE_M2 = 8e6
MAX_FINE_CELLS = 3e6  # caps the DEM near 3 M cells (and the work grid near 0.75 M) however many villages
STREAMS = ("outline", "terrain", "admin", "settlement", "roads", "roster", "lowpoints", "zones", "geohazards",
           "facilities", "ledger", "heads")  # one random stream each: changing one stage never reshuffles another


@dataclass
class SampleCounty:
    layers: dict  # model layer name -> GeoDataFrame (persons: DataFrame)
    rasters: dict  # 'dem.tif' / 'population.tif' -> (array, affine transform, crs, nodata)
    crs: CRS
    name: str = ""
    code: str = ""
    extras: dict = field(default_factory=dict)  # not part of the package: 'rivers' (GeoDataFrame), 'river_name'


def make_sample_county(villages: int = 48, seed: int = 7, progress: Optional[ProgressFn] = None,
                       cancelled: Optional[CancelledFn] = None, outline=None, naming=None) -> SampleCounty:
    """Generate the sample county in memory. Same ``seed`` and ``villages`` -> identical tables and rasters.

    A province (sample/province.py) passes each county's ``outline`` (a polygon in the projected CRS, so that
    neighbours share their border) and its ``naming`` (6-digit county code, name, parent code): counties of one
    province must not share codes."""
    villages = int(villages)
    if villages < 8:
        raise RiskOneMapError(f"the sample county needs at least 8 villages, not {villages}")
    steps = Steps(progress, cancelled, weights=(4, 2, 2, 2, 1, 3, 1, 1, 1))
    ss = np.random.SeedSequence(int(seed))
    rngs = {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(STREAMS, ss.spawn(len(STREAMS)))}
    crs = CRS.from_epsg(model.default_projected_epsg(LONGITUDE))
    cx, cy = Transformer.from_crs(model.CGCS2000_GEOGRAPHIC, crs, always_xy=True).transform(LONGITUDE, LATITUDE)
    centre = (round(cx, -3), round(cy, -3))
    radius = float(np.sqrt(villages * AREA_PER_VILLAGE_M2 / np.pi))

    steps.next()  # terrain
    if outline is None:
        outline = county_outline(centre, radius, rngs["outline"])
    else:  # the terrain is laid around the given outline
        centre = (round(outline.centroid.x, -3), round(outline.centroid.y, -3))
        radius = float(np.sqrt(outline.area / np.pi))
    work, k = _grids(outline)
    terrain = make_terrain(work, k, centre, radius, rngs["terrain"])
    river_name = names.river_name(rngs["terrain"])

    steps.next()  # villages and townships
    admin = make_admin(terrain, outline, villages, rngs["admin"])
    for frame in (admin.county, admin.townships, admin.villages):
        frame.set_crs(crs, inplace=True)
    if naming is not None:
        _rename_county(admin, *naming)

    steps.next()  # households and population grid
    settlement = make_settlement(terrain, admin, max(100.0, terrain.fine.cell), crs, rngs["settlement"])

    steps.next()  # roads
    roads = make_roads(terrain, admin, settlement, river_name, crs, rngs["roads"])

    steps.next()  # roster, low points
    roster = Roster(rngs["roster"])
    roster.add_village_officials(admin.villages)
    add_household_heads(settlement.households, rngs["heads"])
    lowpoints = make_lowpoints(terrain, admin, settlement, roster, crs, rngs["lowpoints"])

    steps.next()  # risk zones
    risk_zones, classes = make_risk_zones(terrain, admin, (settlement.x, settlement.y), crs, rngs["zones"])
    _flood_warners(terrain, admin, settlement, classes["flood"], roster)

    steps.next()  # geohazards
    points, danger_zones = make_geohazards(terrain, admin, settlement, roster, crs, rngs["geohazards"])

    steps.next()  # shelters and depots
    finder = SiteFinder(terrain, admin, risk_zones, danger_zones, roads, rngs["facilities"])
    shelters = make_shelters(finder, admin, roster, crs, rngs["facilities"])
    depots, candidates = make_depots(finder, admin, crs, rngs["facilities"])

    steps.next()  # assemble
    layers = {
        "county": admin.county, "townships": admin.townships, "villages": admin.villages,
        "risk_zones": risk_zones, "geohazard_points": points, "geohazard_zones": danger_zones,
        "flood_lowpoints": lowpoints, "shelters": shelters, "depots": depots, "depot_candidates": candidates,
        "roads": roads, "households": settlement.households, "persons": roster.frame(),
    }
    layers.update(make_ledger(admin.villages, settlement.households,
                              {"geohazard_points": points, "flood_lowpoints": lowpoints}, rngs["ledger"]))
    rasters = {model.DEM_RASTER: _dem_raster(terrain, admin, crs), model.POPULATION_RASTER: settlement.population}
    steps.done()
    return SampleCounty(layers=layers, rasters=rasters, crs=crs, name=admin.county_name, code=admin.county_code,
                        extras={"rivers": _rivers(terrain, river_name, admin, crs), "river_name": river_name})


def build_sample_county(out_dir, villages: int = 48, seed: int = 7, overwrite: bool = False,
                        progress: Optional[ProgressFn] = None, cancelled: Optional[CancelledFn] = None,
                        outline=None, naming=None, population_cell_m: Optional[float] = None) -> Package:
    """Generate the sample county and write it as a package folder (nothing is left behind if it fails).

    ``population_cell_m`` (a divisor of the sample's cell, e.g. 10): population.tif at that finer cell, each coarse
    cell's people spread evenly over its sub-cells (the same people; a big raster for province benchmarks)."""
    steps = Steps(progress, cancelled, weights=(5, 1))
    steps.next()
    county = make_sample_county(villages=villages, seed=seed, progress=steps.sub, cancelled=cancelled,
                                outline=outline, naming=naming)
    if population_cell_m:
        county.rasters[model.POPULATION_RASTER] = _finer(county.rasters[model.POPULATION_RASTER], population_cell_m)
    steps.next()
    sources = pd.DataFrame({"source": [model.SAMPLE_SOURCE]})  # every printed sheet says the data is made up
    package = write_package(out_dir, {**county.layers, model.SOURCES_TABLE: sources}, county.rasters,
                            overwrite=overwrite)
    steps.done()
    return package


# ------------------------------------------------------------------------------------------------ helpers
def _rename_county(admin, county6: str, name: str, parent_code: str) -> None:
    """Give the county another 6-digit code and name (before anything else takes codes from the villages)."""
    old6 = admin.county_code[:6]
    recode = lambda codes: codes.astype(str).str.replace(f"^{old6}", county6, regex=True)  # noqa: E731
    for frame in (admin.county, admin.townships, admin.villages):
        frame["code"] = recode(frame["code"])
    admin.townships["parent_code"] = recode(admin.townships["parent_code"])
    admin.villages["parent_code"] = recode(admin.villages["parent_code"])
    admin.county["name"] = name
    admin.county["parent_code"] = parent_code
    admin.county_code, admin.county_name = county6 + "000000", name


def _grids(outline):
    """Work and fine grids covering the county with a 3 km margin, cells sized to keep the DEM tractable."""
    x_min, y_min, x_max, y_max = outline.bounds
    margin = 3000.0
    width, height = x_max - x_min + 2 * margin, y_max - y_min + 2 * margin
    fine = max(30.0, float(np.ceil(np.sqrt(width * height / MAX_FINE_CELLS) / 10.0) * 10.0))
    k = max(2, int(round(90.0 / fine)))
    cell = fine * k
    x0 = np.floor((x_min - margin) / 1000.0) * 1000.0
    y1 = np.ceil((y_max + margin) / 1000.0) * 1000.0
    cols = int(np.ceil((x_max + margin - x0) / cell))
    rows = int(np.ceil((y1 - (y_min - margin)) / cell))
    return Grid(x0, y1, cell, rows, cols), k


def _finer(raster: tuple, cell_m: float) -> tuple:
    array, transform, crs, nodata = raster
    factor = int(round(abs(transform.a) / float(cell_m)))
    if factor < 2 or abs(abs(transform.a) / factor - cell_m) > 1e-6:
        raise RiskOneMapError(f"the population cell must divide {abs(transform.a):g} m, not {cell_m:g} m")
    from affine import Affine
    split = np.where(array == nodata, nodata, array / np.float32(factor * factor)).astype(np.float32)
    fine = np.repeat(np.repeat(split, factor, axis=0), factor, axis=1)
    return fine, transform * Affine.scale(1.0 / factor), crs, nodata


def _dem_raster(terrain, admin, crs) -> tuple:
    """The DEM clipped to the county plus 1 km (nodata beyond), as county DEMs are delivered."""
    from rasterio import features
    fine = terrain.fine
    keep = features.geometry_mask([admin.county.geometry.iloc[0].buffer(1000.0)], fine.shape, fine.transform,
                                  invert=True)
    dem = np.where(keep, np.round(terrain.dem, 2), NODATA).astype(np.float32)
    return dem, fine.transform, crs, NODATA


def _flood_warners(terrain, admin, settlement, flood_levels, roster) -> None:
    """A flash-flood warner (山洪预警员) for each village with houses in level-1/2 flood zones."""
    level = terrain.work.sample(flood_levels, settlement.x, settlement.y)
    exposed = np.unique(settlement.village[(level >= 1) & (level <= 2)])
    codes = admin.villages["code"].to_numpy()
    for v in exposed:
        roster.add(codes[v], "山洪预警员", "负责雨量、水位观测，山洪来临前鸣锣发出预警，叫应低洼户转移")


def _rivers(terrain, river_name, admin, crs):
    """The main river and larger streams, clipped to the county (for maps; not a package layer)."""
    import geopandas as gpd
    county = admin.county.geometry.iloc[0]
    geoms = [terrain.river] + [line for line, _ in terrain.streams]
    rows = [{"name": river_name, "kind": "main", "catchment_km2": None}]
    rows += [{"name": "", "kind": "stream", "catchment_km2": round(area, 1)} for _, area in terrain.streams]
    import shapely
    geoms = np.array(geoms, dtype=object)
    shapely.prepare(county)
    cut = ~shapely.contains_properly(county, geoms)  # only lines across the boundary need cutting
    geoms[cut] = shapely.intersection(geoms[cut], county)
    rivers = gpd.GeoDataFrame(rows, geometry=list(geoms), crs=crs)
    return rivers[~rivers.geometry.is_empty].reset_index(drop=True)
