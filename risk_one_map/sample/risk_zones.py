"""Census-style risk zoning for the six hazard classes, each read from the terrain the way the census method reads it.

- flood (山洪/洪涝): height above the nearest major stream (HAND) near it: the lower, the higher the risk;
- geologic (地质灾害易发区, four levels 极高/高/中/低): slope, steep valley sides near streams highest;
- forest_fire: wooded slopes (not the farmed valley floors), dry south-facing ones, near people who start fires;
- earthquake: a broad gradient away from an active fault crossing the county (NE-SW, as in the Taihang foothills);
- meteorological (暴雨、冰雹、大风): height, slopes facing the moist south-easterly summer wind, exposed ridges;
- marine: the county is inland; one low-level zone over the whole county keeps the sixth class present.
Each class raster is smoothed, sieved and vectorised; the pieces of one hazard are simplified as a coverage, so its
levels never overlap, then clipped to the county. ``risk_level`` 1 = highest; labels from the model.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from rasterio import features
from scipy import ndimage

from ..layers import model
from .admin import Admin
from .grid import Grid, facing, polygonise, smooth_noise
from .terrain import Terrain

FLOOD_HEIGHT_M = (1.5, 3.0, 5.0, 8.0, 12.0)  # upper effective height of levels 1..5 (about 5- to 100-year floods)
GEOLOGIC_SHARES = (0.08, 0.20, 0.35)  # share of the county at levels 1, 2, 3 (the rest is 4, 低)
QUANTILE_SHARES = (0.08, 0.17, 0.25, 0.25)  # forest fire, meteorological: levels 1..4 (the rest is 5)
MAX_ZONE_CELLS = 250_000  # zones of bigger counties are vectorised on a coarser lattice


def make_risk_zones(terrain: Terrain, admin: Admin, settlement_xy, crs, rng: np.random.Generator):
    """Return (risk_zones GeoDataFrame, {hazard: class raster on the work grid (0 = no zone)})."""
    classes = {
        "earthquake": _earthquake(terrain, admin, rng),
        "geologic": _geologic(terrain, admin),
        "meteorological": _meteorological(terrain, admin, rng),
        "flood": _flood(terrain),
        "forest_fire": _forest_fire(terrain, admin, settlement_xy, rng),
    }
    county = admin.county.geometry.iloc[0]
    rows, geoms = [], []
    for hazard in (h.key for h in model.HAZARD_TYPES):
        scale = 4 if hazard == "geologic" else 5
        if hazard == "marine":
            pieces = [(county, 5)]
        else:
            pieces = _vectorise(terrain, classes[hazard], county)
        for k, (geom, level) in enumerate(pieces, start=1):
            rows.append({"id": f"RZ-{hazard}-{k:04d}", "hazard_type": hazard, "risk_level": int(level),
                         "level_label": model.level_label(level, scale), "source": "sample"})
            geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs), classes


def _levels_by_share(score, valid, shares) -> np.ndarray:
    """Level 1 for the top ``shares[0]`` of the county's cells by score, level 2 for the next, and so on."""
    cuts = np.quantile(score[valid], 1.0 - np.cumsum(shares))
    level = np.full(score.shape, len(shares) + 1, dtype=np.int16)
    for i in range(len(shares) - 1, -1, -1):
        level[score >= cuts[i]] = i + 1
    return level


def _flood(terrain: Terrain) -> np.ndarray:
    """Levels by 'effective height' above the stream: HAND plus 0.4 m per 100 m away from the channel,
    since far out on a flat floor the water of a given flood is shallower and comes more rarely."""
    height = ndimage.gaussian_filter(terrain.work_hand + 0.004 * terrain.work_stream_dist, 0.7)
    level = np.zeros(height.shape, dtype=np.int16)
    near = terrain.work_stream_dist < 1500.0
    for i in range(len(FLOOD_HEIGHT_M) - 1, -1, -1):
        level[near & (height < FLOOD_HEIGHT_M[i])] = i + 1
    return level


def _geologic(terrain: Terrain, admin: Admin) -> np.ndarray:
    slope = ndimage.gaussian_filter(terrain.work_slope, 1.0)
    near_stream = np.exp(-terrain.work_stream_dist / 1500.0)  # undercut valley sides fail first
    score = slope * (0.8 + 0.4 * near_stream)
    return _levels_by_share(score, admin.mask, GEOLOGIC_SHARES)


def _forest_fire(terrain: Terrain, admin: Admin, settlement_xy, rng) -> np.ndarray:
    work = terrain.work
    slope = terrain.work_slope
    wooded = np.clip((slope - 6.0) / 14.0, 0.0, 1.0) * np.clip(terrain.work_hand / 25.0, 0.0, 1.0)
    south, _ = facing(terrain.work_dem, work.cell)
    dry = 0.65 + 0.35 * ndimage.gaussian_filter(south, 2.0)
    people = np.zeros(work.size)
    x, y = settlement_xy
    np.add.at(people, work.flat(x, y), 1.0)
    near_people = ndimage.gaussian_filter(people.reshape(work.shape), 2500.0 / work.cell)
    near_people /= near_people.max() or 1.0
    patchy = np.exp(0.25 * smooth_noise(rng, work.shape, 1200.0 / work.cell))
    score = ndimage.gaussian_filter(wooded * dry * (0.5 + near_people) * patchy, 400.0 / work.cell)
    return _levels_by_share(score, admin.mask, QUANTILE_SHARES)


def _earthquake(terrain: Terrain, admin: Admin, rng) -> np.ndarray:
    work = terrain.work
    xs, ys = work.centres()
    cy, cx = np.argwhere(admin.mask).mean(axis=0)
    cx, cy = work.xy(cy, cx)
    radius = np.sqrt(admin.mask.sum() / np.pi) * work.cell
    azimuth = np.radians(rng.uniform(30.0, 60.0))  # NE-SW, like the faults of the Taihang foothills
    ox, oy = cx + rng.uniform(-0.3, 0.3) * radius, cy + rng.uniform(-0.3, 0.3) * radius
    d = np.abs((xs - ox) * np.cos(azimuth) - (ys - oy) * np.sin(azimuth))
    d = d + 0.04 * radius * smooth_noise(rng, work.shape, 0.1 * radius / work.cell)
    cuts = radius * np.array([0.07, 0.18, 0.35, 0.6])
    return (1 + np.searchsorted(cuts, d)).astype(np.int16)


def _meteorological(terrain: Terrain, admin: Admin, rng) -> np.ndarray:
    work = terrain.work
    dem = terrain.work_dem
    valid = admin.mask
    height = (dem - dem[valid].min()) / (np.ptp(dem[valid]) or 1.0)
    south, east = facing(ndimage.gaussian_filter(dem, 1000.0 / work.cell), work.cell)
    windward = 0.5 + 0.5 * (0.7 * south + 0.7 * east)  # big slopes facing the south-easterly summer monsoon
    ridge = dem - ndimage.uniform_filter(dem, 11)
    ridge = np.clip(ridge / (np.std(ridge[valid]) * 3 or 1.0), -1, 1)
    # rainstorms and hail are weather-scale: a smooth field of kilometres, not slope by slope
    score = ndimage.gaussian_filter(0.55 * height + 0.3 * windward + 0.15 * ridge, 1200.0 / work.cell)
    return _levels_by_share(score, valid, QUANTILE_SHARES)


def _vectorise(terrain: Terrain, level: np.ndarray, county) -> list:
    """Class raster -> [(polygon, level)], simplified as one coverage (levels never overlap), clipped to the county.

    The whole grid is vectorised, not only the county, so zones that cover the county cover it to its very edge.
    """
    work = terrain.work
    step = int(np.ceil(np.sqrt(work.size / MAX_ZONE_CELLS)))
    if step > 1:  # a big county: zone outlines need not follow every work cell
        level = level[step // 2::step, step // 2::step][:work.rows // step, :work.cols // step]
        work = Grid(work.x0, work.y1, work.cell * step, level.shape[0], level.shape[1])
    min_cells = max(4, int(round(90000.0 / work.cell ** 2)))  # drop specks below ~9 ha
    sieved = features.sieve(level.astype(np.int16), size=min_cells, connectivity=4)
    geoms, levels = polygonise(sieved, work, sieved > 0, smooth=4)
    if not len(geoms):
        return []
    shapely.prepare(county)
    clipped = np.array(geoms, dtype=object)
    edge = ~shapely.contains_properly(county, clipped)  # only pieces across the boundary need cutting
    clipped[edge] = shapely.intersection(shapely.make_valid(clipped[edge]), county)
    out = []
    min_area = 0.5 * work.cell ** 2
    for geom, value in zip(clipped, levels):
        for part in shapely.get_parts(geom):
            if part.geom_type == "Polygon" and part.area >= min_area:
                out.append((part, value))
    out.sort(key=lambda p: (p[1], -p[0].area))
    return out
