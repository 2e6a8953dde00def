"""Where people live: households as points, village census figures and the population grid, all from one source.

Each village has a main hamlet at its centre and, in the mountains, up to three smaller ones (自然村) on other
flat spots of its land. Houses stand in rows around a hamlet on ground that is not steep and mostly above the flood
plain (a few stand low: they are why flood exposure matters). The village table and population.tif are then
*summed from the houses*, so population = sum of household people = raster total, exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .admin import Admin, settlement_suitability
from .grid import Grid
from .terrain import Terrain

PEOPLE_SHARE = np.array([0.17, 0.31, 0.21, 0.17, 0.09, 0.05])  # 1..6 people: mountain villages are old and small
VULNERABLE = (("独居老人", 0.055), ("高龄老人", 0.02), ("残疾", 0.025), ("卧床", 0.012), ("留守儿童", 0.01))
NODATA = -9999.0


@dataclass
class Settlement:
    households: gpd.GeoDataFrame
    x: np.ndarray
    y: np.ndarray
    village: np.ndarray  # village row of each household
    people: np.ndarray
    hamlets: pd.DataFrame  # x, y, village, households, main (hamlet centres sit on work-cell centres)
    population: tuple  # (array, transform, crs, nodata)


def make_settlement(terrain: Terrain, admin: Admin, pop_cell: float, crs, rng: np.random.Generator) -> Settlement:
    sizes = _household_counts(admin, rng)
    hamlets = _hamlets(terrain, admin, sizes, rng)
    x, y, village = _scatter(terrain, admin, hamlets, rng)
    people, vulnerable = _households_people(admin, village, rng)
    codes = admin.villages["code"].to_numpy()
    serial = _serial_within(village)
    ids = [f"{c}-{s:04d}" for c, s in zip(codes[village], serial)]
    households = gpd.GeoDataFrame({"id": ids, "village_code": codes[village], "people": people,
                                   "vulnerable": vulnerable}, geometry=shapely.points(x, y), crs=crs)
    _village_figures(admin, village, people, vulnerable, rng)
    population = population_grid(terrain.work.with_cell(pop_cell), x, y, people, admin, crs)
    return Settlement(households=households, x=x, y=y, village=village, people=people, hamlets=hamlets,
                      population=population)


def _household_counts(admin: Admin, rng) -> np.ndarray:
    n = len(admin.villages)
    counts = np.clip(rng.lognormal(np.log(160.0), 0.5, n), 40, 650)
    counts[np.isin(np.arange(n), admin.township_seats)] *= 2.2  # township seats are market villages
    comm = admin.is_community
    counts[comm] = rng.uniform(600, 1500, comm.sum())
    return np.round(counts).astype(int)


def _hamlets(terrain: Terrain, admin: Admin, sizes, rng) -> pd.DataFrame:
    """The main hamlet at each village centre plus 0-3 outlying ones on the village's best remaining sites."""
    work = terrain.work
    suit = settlement_suitability(terrain).ravel()
    label = admin.label.ravel()
    good = np.flatnonzero((label >= 0) & (suit > 0.05))
    good = good[np.argsort(label[good], kind="stable")]
    starts = np.searchsorted(label[good], np.arange(len(sizes) + 1))
    rows = []
    for v, total in enumerate(sizes):
        n_out = 0 if admin.is_community[v] else min(3, int(rng.poisson(1.1)))
        cells = good[starts[v]:starts[v + 1]]
        picked = []
        if n_out and len(cells):
            cx, cy = work.xy(*np.unravel_index(cells, work.shape))
            far = np.hypot(cx - admin.centres[v, 0], cy - admin.centres[v, 1]) > 450.0
            order = np.argsort(np.log(rng.random(len(cells))) / suit[cells], kind="stable")[::-1]
            for i in order:
                if len(picked) == n_out:
                    break
                if far[i] and all(np.hypot(cx[i] - px, cy[i] - py) > 450.0 for px, py in picked):
                    picked.append((cx[i], cy[i]))
        main_share = 1.0 if not picked else rng.uniform(0.45, 0.8)
        shares = [main_share] + list((1 - main_share) * rng.dirichlet(np.ones(len(picked)))) if picked else [1.0]
        counts = np.maximum(np.round(np.array(shares) * total).astype(int), 3)
        for (hx, hy), n_h, main in zip([tuple(admin.centres[v])] + picked, counts, [True] + [False] * len(picked)):
            rows.append({"x": hx, "y": hy, "village": v, "households": int(n_h), "main": main})
    return pd.DataFrame(rows)


def _scatter(terrain: Terrain, admin: Admin, hamlets: pd.DataFrame, rng):
    """Houses around each hamlet centre, kept only on buildable ground of their own village.

    Spots are drawn from a Gaussian around the centre and snapped to the hamlet's own plot lattice (rows of
    courtyards, ~26 m apart, 20 m in the county town, turned at a random angle), one house per plot: villages come
    out as blocks along lanes rather than as a spray of dots, and no two houses stand on the same spot.
    """
    fine, work = terrain.fine, terrain.work
    want = hamlets["households"].to_numpy()
    hx, hy, hv = hamlets["x"].to_numpy(), hamlets["y"].to_numpy(), hamlets["village"].to_numpy()
    town = admin.is_community[hv]
    sigma = np.where(town, 9.0, 13.0) * np.sqrt(want) + 25.0
    plot = np.where(town, 20.0, 26.0)
    angle = rng.uniform(0.0, np.pi / 2, len(want))
    cos, sin = np.cos(angle), np.sin(angle)
    span = 1 << 12  # lattice indices -2048..2047 around the centre: plenty for any hamlet
    taken = np.zeros(0, dtype=np.int64)
    placed_x, placed_y, placed_h = [], [], []
    need = want.copy()
    for attempt in range(8):
        if need.sum() == 0:
            break
        h = np.repeat(np.arange(len(want)), need * 3)
        spread = sigma[h] * (1.0 + 0.25 * attempt)
        dx, dy = rng.normal(0.0, 1.0, len(h)) * spread, rng.normal(0.0, 1.0, len(h)) * spread
        iu = np.round((dx * cos[h] + dy * sin[h]) / plot[h]).astype(np.int64)
        iv = np.round((-dx * sin[h] + dy * cos[h]) / plot[h]).astype(np.int64)
        jitter = rng.uniform(-2.5, 2.5, (2, len(h)))
        x = hx[h] + (iu * cos[h] - iv * sin[h]) * plot[h] + jitter[0]
        y = hy[h] + (iu * sin[h] + iv * cos[h]) * plot[h] + jitter[1]
        key = (h * span + (iu + span // 2)) * span + (iv + span // 2)
        slope = fine.sample(terrain.slope, x, y)
        hand = fine.sample(terrain.hand, x, y)
        own = work.sample(admin.label, x, y) == hv[h]
        in_grid = (x > fine.bounds[0]) & (x < fine.bounds[2]) & (y > fine.bounds[1]) & (y < fine.bounds[3])
        dry = (hand >= 3.0) | ((hand >= 0.8) & (rng.random(len(h)) < 0.2))
        ok = own & in_grid & (slope < 17.0) & dry & ~np.isin(key, taken)
        first = np.zeros(len(h), bool)
        first[np.unique(key, return_index=True)[1]] = True  # one house per plot
        ok &= first
        h, x, y, key = h[ok], x[ok], y[ok], key[ok]
        rank = _serial_within(h) - 1  # keep the first ``need`` good plots of each hamlet
        keep = rank < need[h]
        placed_x.append(x[keep])
        placed_y.append(y[keep])
        placed_h.append(h[keep])
        taken = np.concatenate([taken, key[keep]])
        need = need - np.bincount(h[keep], minlength=len(want))
    x, y, h = np.concatenate(placed_x), np.concatenate(placed_y), np.concatenate(placed_h)
    village = hv[h]
    # the raster said 'own village'; the vector boundary (simplified) decides
    polys = admin.villages.geometry.to_numpy()
    shapely.prepare(polys)
    inside = shapely.contains_xy(polys[village], x, y)
    x, y, village, h = x[inside], y[inside], village[inside], h[inside]
    hamlets["households"] = np.bincount(h, minlength=len(hamlets))
    order = np.lexsort((h, village))  # stable, village by village: ids read in order
    return np.round(x[order], 2), np.round(y[order], 2), village[order]


def _serial_within(group: np.ndarray) -> np.ndarray:
    """1, 2, 3... within each run of equal values, in order of appearance (group need not be sorted)."""
    order = np.argsort(group, kind="stable")
    sorted_g = group[order]
    start = np.r_[0, np.flatnonzero(np.diff(sorted_g)) + 1]
    counts = np.diff(np.r_[start, len(group)])
    serial_sorted = np.arange(len(group)) - np.repeat(start, counts) + 1
    serial = np.empty(len(group), dtype=np.int64)
    serial[order] = serial_sorted
    return serial


def _households_people(admin: Admin, village, rng):
    n = len(village)
    people = rng.choice(np.arange(1, 7), size=n, p=PEOPLE_SHARE)
    u = rng.random(n)
    vulnerable = np.full(n, "", dtype=object)
    edge = 0.0
    for label, share in VULNERABLE:
        hit = (u >= edge) & (u < edge + share)
        vulnerable[hit] = label
        edge += share
    people[vulnerable == "独居老人"] = 1
    people[(vulnerable == "留守儿童") & (people < 2)] = 2  # a child left with a grandparent
    return people.astype(np.int64), vulnerable


def _village_figures(admin: Admin, village, people, vulnerable, rng) -> None:
    """Census figures of each village, summed from its households (so every layer agrees)."""
    n = len(admin.villages)
    pop = np.bincount(village, weights=people, minlength=n)
    hh = np.bincount(village, minlength=n).astype(float)

    def count(*labels):
        return np.bincount(village, weights=np.isin(vulnerable, labels).astype(float), minlength=n)

    old_share = np.where(admin.is_community, 0.14, 0.26)
    pop_int = pop.astype(np.int64)
    elderly = np.maximum(rng.binomial(pop_int, old_share), count("独居老人", "高龄老人", "卧床"))
    children = np.maximum(rng.binomial(pop_int, np.where(admin.is_community, 0.13, 0.09)), count("留守儿童"))
    v = admin.villages
    v["population"] = pop
    v["households"] = hh
    v["pop_0_14"] = children.astype(float)
    v["pop_65_plus"] = elderly.astype(float)
    v["disabled"] = count("残疾", "卧床")


def population_grid(grid: Grid, x, y, people, admin: Admin, crs) -> tuple:
    """People per cell: each household's people added to the cell it stands in (float64 sum, stored float32).

    Cells that touch the county hold numbers (0 where nobody lives); the rest are nodata.
    """
    from rasterio import features
    total = np.bincount(grid.flat(x, y), weights=people.astype(np.float64), minlength=grid.size).reshape(grid.shape)
    inside = features.geometry_mask(admin.county.geometry, grid.shape, grid.transform, invert=True, all_touched=True)
    array = np.where(inside | (total > 0), total, NODATA).astype(np.float32)
    return array, grid.transform, crs, NODATA
