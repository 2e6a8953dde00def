"""Who is under water in each rain: households, people and metres of road in the flooded part of every low point.

A full depression is the worst case (``households``/``people``/``road_m`` of ``dem_depressions``); a rain floods
only the cells below its ponds' water levels (``depressions.wet_cells``). Per rain and per row of the layer (a
depression, or a pond nested in one, which counts what lies in its own flooded cells) this gives
``households_<rain>``, ``people_<rain>`` and ``road_m_<rain>``, and the ranking by people the summary prints.
"""
from __future__ import annotations

import numpy as np

from ..analysis import depressions as dp


def ancestors_by_level(d: dp.Depressions) -> dict:
    """{nesting level: array id -> the id of its pond at that level (itself, or the one it lies in), 0 if none}."""
    t = d.ponds.table
    ids, parents, levels = (t[c].to_numpy(np.int64) for c in ("id", "parent", "level"))
    size = int(ids.max()) + 1 if ids.size else 1
    parent_of = np.zeros(size, dtype=np.int64)
    parent_of[ids] = parents
    level_of = np.full(size, -1, dtype=np.int64)
    level_of[ids] = levels
    out = {}
    for lev in np.unique(levels).tolist():
        cur = np.arange(size)
        while (level_of[cur] > lev).any():  # climb one nesting level per step
            cur = np.where(level_of[cur] > lev, parent_of[cur], cur)
        out[lev] = np.where(level_of[cur] == lev, cur, 0)
    return out


def household_cells(households, transform, shape):
    """Flat cell index of each household (-1 outside the DEM) and its people."""
    if households is None or not len(households):
        return np.zeros(0, np.int64), np.zeros(0)
    inv = ~transform
    col, row = inv * (households.geometry.x.to_numpy(), households.geometry.y.to_numpy())
    row, col = np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)
    inside = (row >= 0) & (row < shape[0]) & (col >= 0) & (col < shape[1])
    cell = np.where(inside, row * shape[1] + np.clip(col, 0, shape[1] - 1), -1)
    return cell, households["people"].to_numpy(float)


def per_rain(d: dp.Depressions, events: list, ids: list, levels: list, households, roads, transform, crs,
             polygons, road_length) -> dict:
    """{rain (mm) -> (households, people, road_m) lists in the order of ``ids`` (layer rows, with their nesting
    ``levels``)}. ``polygons`` and ``road_length`` are the job's tracing and road measuring."""
    anc = ancestors_by_level(d)
    cell, people = household_cells(households, transform, d.valid.shape)
    near_road = road_cells(roads, transform, d.valid.shape, crs).ravel()
    row_of = {int(i): k for k, i in enumerate(ids)}
    out = {}
    for ev in events:
        wet = dp.wet_cells(d, ev)
        wet_at = np.flatnonzero(wet)
        pond = d.pond_regions.ravel()
        hh, ppl, road = np.zeros(len(ids)), np.zeros(len(ids)), np.zeros(len(ids))
        in_water = cell >= 0
        in_water[in_water] = wet.ravel()[cell[in_water]]
        for lev in sorted(set(levels)):
            key = anc[lev][pond[cell[in_water]]] if in_water.any() else np.zeros(0, np.int64)
            for i, p in zip(key.tolist(), people[in_water].tolist()):
                if i in row_of:
                    hh[row_of[i]] += 1
                    ppl[row_of[i]] += p
            # The wet cells' ponds at this level, painted on an empty grid: only the wet cells are read (a few per
            # cent of a county), not a gather and a choice over every cell of the DEM.
            grid = np.zeros(d.pond_regions.shape, dtype=np.int32)
            grid.ravel()[wet_at] = anc[lev][pond[wet_at]]
            # Only ponds with a wet cell within one cell of a road can hold road: the others' length is 0 without
            # tracing them (at 1e8 cells with 67k ponds the tracing was half the job).
            by_road = set(np.unique(grid.ravel()[wet_at[near_road[wet_at]]]).tolist())
            here = [i for i, lv in zip(ids, levels) if lv == lev and i in by_road]
            if here:
                for i, metres in zip(here, road_length(roads, polygons(grid, here, transform), crs)):
                    road[row_of[int(i)]] = metres
        out[ev.rain_mm] = (hh.astype(int).tolist(), ppl.tolist(), road.tolist())
    return out


def road_cells(roads, transform, shape, crs) -> np.ndarray:
    """Cells a road touches, and their 8 neighbours (so that a road along a cell's edge counts for the cells on both
    sides): where a flooded pond can have road in it. All False without roads."""
    from rasterio import features
    from scipy import ndimage
    if roads is None or not len(roads):
        return np.zeros(shape, dtype=bool)
    if crs is not None and roads.crs is not None:
        roads = roads.to_crs(crs)
    lines = [g for g in roads.geometry.to_numpy() if g is not None and not g.is_empty]
    if not lines:
        return np.zeros(shape, dtype=bool)
    touched = features.rasterize(lines, out_shape=shape, transform=transform, all_touched=True, dtype=np.uint8)
    return ndimage.binary_dilation(touched.astype(bool), structure=np.ones((3, 3), dtype=bool))
