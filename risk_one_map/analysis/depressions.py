"""Flood low points from the DEM (低洼易涝点筛查): closed depressions, their catchments, and which fill in a rain.

The fill-spill screening Danish municipalities use ("bluespots"): every closed depression of the DEM with its
depth, area, volume, spill elevation and spill point; the cells that drain into it (its catchment); and for a rain
of N mm which depressions fill, and where their overflow goes, in order.

Pure: numpy and scipy only. Everything is computed on a north-up grid ``dem`` (metres) with a ``valid`` mask; the
raster edge and any nodata cell are outlets (water that reaches them leaves the county).

**Fill.** The depression-filled surface (each cell raised to the lowest level at which water could leave it) is the
minimax ("lowest pass") elevation from the cell to the outlet. We get it from scipy's minimum spanning tree of the
8-neighbour graph with edge weight max(z_a, z_b), rooted at one outlet node joined to every edge cell: the
filled level of a cell is the highest elevation on its tree path to the outlet. This equals Barnes et al. (2014)
priority-flood (the tests check it against a heap priority-flood), but runs in scipy's compiled code: a heap loop in
Python is ~50x slower, and no well-kept library installable from PyPI without a compiler or a run-time download gives
the fill *with* the spill tree (richdem's last release is from 2018, WhiteboxTools downloads a binary, pysheds and
pyflwdir fill but do not label depressions, spill points or the order of spilling).

**Flow.** A cell flows to its steepest lower neighbour (D8 on the DEM); cells with no lower neighbour (flats, pits)
follow the spanning tree towards the outlet, which resolves flats without cycles (the DEM never rises along a
path and strictly falls on each steepest step). A depression's catchment is every cell whose path first enters it.

**Spill.** A full depression overflows at its spill point (the rim cell at the spill elevation where its
spanning-tree path leaves) and the overflow follows the tree down to the next depression or out of the county.
Spilling goes strictly down the tree, so the cascade has an order (upstream first) and no cycles.

**Rain.** Rain (mm) times a runoff coefficient falls on every valid cell; each depression takes what falls on its
catchment plus what upstream depressions spill into it, holds up to its volume and spills the rest. Water in a
partly filled depression stands level over its lowest cells (one pool per top-level depression: its nested ponds,
see ``depression_tree``, are listed with how deep they stand under that pool, but are not filled one by one from
their own catchments). Total effective rain = stored + left the county, to rounding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from ..errors import RiskOneMapError
from ..layers import model
from . import depression_tree

# The 8 neighbours as (drow, dcol); the first four are enough to list every undirected pair once.
_HALF = ((0, 1), (1, 0), (1, 1), (1, -1))
_EIGHT = _HALF + tuple((-dr, -dc) for dr, dc in _HALF)
_SQUARE = np.ones((3, 3), dtype=bool)


@dataclass
class Depressions:
    """The depressions of one DEM. ``labels``/``catchments`` hold depression ids (1..n) per cell, 0 = none /
    drains out of the county, -1 = nodata. ``table`` has one row per depression (all of them, unfiltered; the
    ``significant`` column says which pass the filters)."""
    filled: np.ndarray
    labels: np.ndarray
    catchments: np.ndarray
    table: pd.DataFrame
    cell_area: float
    valid: np.ndarray
    filters: dict = field(default_factory=dict)
    nested: Optional[pd.DataFrame] = None  # depression_tree.COLUMNS: the ponds inside each depression, nested
    nested_cells: list = field(default_factory=list)  # flat cell indices of each row of ``nested``
    dem: Optional[np.ndarray] = None
    _pools: Optional[tuple] = None  # per depression: cell elevations sorted, for the stage-volume curve

    @property
    def significant(self) -> pd.DataFrame:
        return self.table[self.table["significant"]]

    @property
    def outside_area_m2(self) -> float:
        """Area whose water leaves the county without entering any depression."""
        return float(np.count_nonzero(self.catchments == 0) * self.cell_area)


def _neighbour_pairs(valid: np.ndarray):
    """Flat indices (a, b) of every 8-neighbour pair of valid cells, each pair once."""
    rows, cols = valid.shape
    idx = np.arange(valid.size).reshape(valid.shape)
    a_all, b_all = [], []
    for dr, dc in _HALF:
        r0, r1 = 0, rows - dr
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = idx[r0:r1, c0:c1]
        b = idx[r0 + dr:r1 + dr, c0 + dc:c1 + dc]
        ok = valid[r0:r1, c0:c1] & valid[r0 + dr:r1 + dr, c0 + dc:c1 + dc]
        a_all.append(a[ok])
        b_all.append(b[ok])
    return np.concatenate(a_all), np.concatenate(b_all)


def outlet_cells(valid: np.ndarray) -> np.ndarray:
    """Valid cells on the raster edge or beside a nodata cell: where water leaves the county."""
    padded = np.pad(~valid, 1, constant_values=True)
    return valid & ndimage.binary_dilation(padded, structure=_SQUARE)[1:-1, 1:-1]


def _spill_tree(dem: np.ndarray, valid: np.ndarray):
    """Predecessor of every valid cell towards the outlet (index ``dem.size`` = the outlet) on the minimum
    spanning tree of max(z_a, z_b); -1 for nodata."""
    n = dem.size
    z = dem.ravel()
    a, b = _neighbour_pairs(valid)
    out = np.flatnonzero(outlet_cells(valid).ravel())
    zmin = float(z[valid.ravel()].min())
    # csgraph drops zero weights: shift every weight to >= 1. Ties only decide between equally low passes.
    w = np.concatenate([np.maximum(z[a], z[b]), z[out]]).astype(np.float64) - zmin + 1.0
    graph = sparse.coo_matrix((w, (np.concatenate([a, out]), np.concatenate([b, np.full(out.size, n)]))),
                              shape=(n + 1, n + 1)).tocsr()
    del a, b, w
    tree = csgraph.minimum_spanning_tree(graph)
    del graph
    _order, pred = csgraph.breadth_first_order(tree, n, directed=False, return_predecessors=True)
    pred = pred[:n].astype(np.int64)
    pred[pred < 0] = -1
    return pred


def _path_max_and_depth(z: np.ndarray, pred: np.ndarray, valid_flat: np.ndarray):
    """Highest elevation on each cell's tree path to the outlet (the filled level) and the path's length, by
    pointer jumping: log2(depth) vectorised passes instead of a Python walk."""
    n = z.size
    root = n
    anc = np.where(valid_flat, pred, root)
    anc = np.append(anc, root)
    level = np.append(np.where(valid_flat, z, -np.inf), -np.inf)
    depth = np.append(valid_flat.astype(np.int64), 0)
    while True:
        todo = anc != root
        if not todo.any():
            break
        up = anc[todo]
        level[todo] = np.maximum(level[todo], level[up])
        depth[todo] += depth[up]
        anc[todo] = anc[up]
    return level[:n], depth[:n]


def fill(dem: np.ndarray, valid: Optional[np.ndarray] = None) -> np.ndarray:
    """The depression-filled DEM (priority-flood result, no gradient imposed); nodata cells stay as they are."""
    dem = np.asarray(dem, dtype=np.float64)
    valid = np.isfinite(dem) if valid is None else (valid & np.isfinite(dem))
    if not valid.any():
        return dem.copy()
    pred = _spill_tree(dem, valid)
    level, _ = _path_max_and_depth(dem.ravel(), pred, valid.ravel())
    return np.where(valid, level.reshape(dem.shape), dem)


def _steepest_receiver(dem: np.ndarray, valid: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Flat index of each cell's steepest strictly lower valid neighbour, -1 where there is none."""
    rows, cols = dem.shape
    big = np.where(valid, dem, np.inf)
    padded = np.pad(big, 1, constant_values=np.inf)
    best = np.zeros(dem.shape)
    recv = np.full(dem.shape, -1, dtype=np.int64)
    idx = np.arange(dem.size).reshape(dem.shape)
    pidx = np.pad(idx, 1, constant_values=-1)
    for dr, dc in _EIGHT:
        nb = padded[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols]
        with np.errstate(invalid="ignore"):  # inf - inf beside nodata: never chosen
            slope = (big - nb) / float(np.hypot(dr * dy, dc * dx))
        better = valid & np.isfinite(nb) & (slope > best)
        best = np.where(better, slope, best)
        recv = np.where(better, pidx[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols], recv)
    return recv.ravel()


def _first_sink(succ: np.ndarray, sink_label: np.ndarray, n: int) -> np.ndarray:
    """For a forest given by ``succ`` (flat index, -1 = leaves the county, cut where ``sink_label`` > 0), the label
    of the sink each cell's path reaches first, 0 = out of the county. Cells of one label are tied together."""
    cells = np.arange(n)
    labelled = sink_label > 0
    follow = (~labelled) & (succ >= 0)
    # One representative cell per label: ties every cell of a depression into one component.
    rep = np.full(int(sink_label.max()) + 1 if n else 1, -1, dtype=np.int64)
    rep[sink_label[labelled][::-1]] = cells[labelled][::-1]
    src = np.concatenate([cells[follow], cells[labelled]])
    dst = np.concatenate([succ[follow], rep[sink_label[labelled]]])
    g = sparse.coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
    _ncomp, comp = csgraph.connected_components(g, directed=False)
    comp_label = np.zeros(comp.max() + 1 if n else 1, dtype=np.int64)
    comp_label[comp[labelled]] = sink_label[labelled]
    return comp_label[comp]


def find_depressions(dem: np.ndarray, *, cell_size=(1.0, 1.0), valid: Optional[np.ndarray] = None,
                     min_depth_m: Optional[float] = None, min_area_m2: Optional[float] = None,
                     min_cells: Optional[int] = None, nested: bool = True) -> Depressions:
    """Every closed depression of ``dem`` (rows north to south), its catchment and spill, with the filters of
    ``model.DEFAULTS`` (``lowpoint_min_depth_m``, ``lowpoint_min_area_m2``, ``lowpoint_min_cells``) marking the
    significant ones. ``cell_size`` = (dx, dy) in metres. ``nested=False`` skips the nested ponds (their Python
    loop over the flooded cells is about half the time on a large DEM)."""
    dem = np.asarray(dem, dtype=np.float64)
    if dem.ndim != 2:
        raise RiskOneMapError(f"the DEM must be one band (got an array of shape {dem.shape})")
    valid = np.isfinite(dem) if valid is None else (np.asarray(valid, bool) & np.isfinite(dem))
    dx, dy = (abs(float(cell_size[0])), abs(float(cell_size[1])))
    if not (dx > 0 and dy > 0):
        raise RiskOneMapError(f"the DEM's cell size must be positive (got {cell_size})")
    filters = {"min_depth_m": model.default_value("lowpoint_min_depth_m") if min_depth_m is None else min_depth_m,
               "min_area_m2": model.default_value("lowpoint_min_area_m2") if min_area_m2 is None else min_area_m2,
               "min_cells": int(model.default_value("lowpoint_min_cells") if min_cells is None else min_cells)}
    cell_area = dx * dy
    n = dem.size
    vflat = valid.ravel()
    z = np.where(valid, dem, 0.0).ravel()
    if not vflat.any():
        raise RiskOneMapError("the DEM has no valid cell (all nodata)")
    pred = _spill_tree(dem, valid)
    level, depth = _path_max_and_depth(z, pred, vflat)
    level = np.where(vflat, level, z)
    flooded = vflat & (level > z)
    labels2d, count = ndimage.label(flooded.reshape(dem.shape), structure=_SQUARE)
    labels = labels2d.ravel().astype(np.int64)

    # Catchments: steepest descent, else the spill tree (flats and pits); -1 from the tree means the outlet.
    recv = _steepest_receiver(np.where(valid, dem, np.nan), valid, dx, dy)
    tree_next = np.where(pred >= n, -1, pred)
    succ = np.where(recv >= 0, recv, tree_next)
    catch = _first_sink(succ, labels, n)
    # Spill: from each depression's exit (its cell nearest the outlet along the tree) down the tree only.
    spill_to = _first_sink(tree_next, labels, n)

    ids = np.arange(1, count + 1)
    table = pd.DataFrame({"id": ids})
    if count:
        cells = np.flatnonzero(flooded)
        lab = labels[cells]
        water = level[cells] - z[cells]
        ncell = np.bincount(lab, minlength=count + 1)[1:]
        vol = np.bincount(lab, weights=water, minlength=count + 1)[1:] * cell_area
        order = np.lexsort((z[cells], lab))  # by depression, lowest cell first
        first = np.searchsorted(lab[order], ids)
        deepest = cells[order][first]
        # Exit: the depression's cell with the shortest tree path to the outlet; its tree successor is the spill point.
        by_depth = np.lexsort((cells, depth[cells], lab))
        exit_cell = cells[by_depth][np.searchsorted(lab[by_depth], ids)]
        spill = pred[exit_cell]
        catch_cells = np.bincount(catch[vflat], minlength=count + 1)[1:]
        rows_, cols_ = np.divmod(spill, dem.shape[1])
        drow, dcol = np.divmod(deepest, dem.shape[1])
        table = table.assign(
            cells=ncell, area_m2=ncell * cell_area, max_depth_m=level[deepest] - z[deepest], volume_m3=vol,
            spill_elev_m=level[deepest], bottom_elev_m=z[deepest], deepest_row=drow, deepest_col=dcol,
            spill_row=rows_, spill_col=cols_, downstream=spill_to[spill], exit_depth=depth[exit_cell],
            catchment_m2=catch_cells * cell_area)
        table["significant"] = ((table["max_depth_m"] >= filters["min_depth_m"])
                                & (table["area_m2"] >= filters["min_area_m2"])
                                & (table["cells"] >= filters["min_cells"]))
        pools = (lab[order], z[cells][order])
    else:
        for col in ("cells", "area_m2", "max_depth_m", "volume_m3", "spill_elev_m", "bottom_elev_m", "deepest_row",
                    "deepest_col", "spill_row", "spill_col", "downstream", "exit_depth", "catchment_m2"):
            table[col] = pd.Series(dtype=float)
        table["significant"] = pd.Series(dtype=bool)
        pools = (np.zeros(0, np.int64), np.zeros(0))
    shape = dem.shape
    labels_out = np.where(vflat, labels, -1).reshape(shape)
    catch_out = np.where(vflat, catch, -1).reshape(shape)
    zgrid = z.reshape(shape)
    nested, nested_cells = (depression_tree.nested_depressions(zgrid, labels_out, pred, recv, table, cell_area, filters)
                            if nested else (pd.DataFrame(columns=depression_tree.COLUMNS), []))
    return Depressions(filled=np.where(valid, level.reshape(shape), dem), labels=labels_out, catchments=catch_out,
                       table=table, cell_area=cell_area, valid=valid, filters=filters, nested=nested,
                       nested_cells=nested_cells, dem=zgrid, _pools=pools)


@dataclass
class RainEvent:
    """One rain on the depressions: per depression what it received, held and spilled (``table``), and the
    county's balance (``rain_m3`` effective = ``stored_m3`` + ``left_m3``)."""
    rain_mm: float
    runoff_coefficient: float
    table: pd.DataFrame
    rain_m3: float
    stored_m3: float
    left_m3: float
    nested: Optional[pd.DataFrame] = None  # the nested ponds: same columns as ``table`` but inflow/stored/spilled

    @property
    def balance_error_m3(self) -> float:
        return self.rain_m3 - self.stored_m3 - self.left_m3


def _stage(elevations: np.ndarray, stored_m3: float, cell_area: float, full_level: float):
    """Water level and flooded cell count of ``stored_m3`` poured over cells of these (sorted) elevations."""
    if stored_m3 <= 0:
        return float(elevations[0]), 0
    k = np.arange(1, elevations.size + 1)
    csum = np.cumsum(elevations)
    # Volume when the water reaches the next cell's elevation (the last one: the spill level).
    nxt = np.append(elevations[1:], full_level)
    vol_at = (k * nxt - csum) * cell_area
    j = int(np.searchsorted(vol_at, stored_m3 * (1 - 1e-12)))
    j = min(j, elevations.size - 1)
    h = (stored_m3 / cell_area + csum[j]) / (j + 1)
    return float(min(h, full_level)), j + 1


def rain_event(dep: Depressions, rain_mm: float, runoff_coefficient: Optional[float] = None) -> RainEvent:
    """Fill every depression from its catchment with ``rain_mm`` x ``runoff_coefficient`` and cascade overflow
    downstream, upstream depressions first."""
    if rain_mm < 0:
        raise RiskOneMapError(f"rain must be 0 mm or more (got {rain_mm})")
    c = model.default_value("lowpoint_runoff_coefficient") if runoff_coefficient is None else runoff_coefficient
    if not 0 <= c <= 1:
        raise RiskOneMapError(f"the runoff coefficient must be between 0 and 1 (got {c})")
    t = dep.table
    depth_m = rain_mm / 1000.0 * c
    rain_m3 = depth_m * float(np.count_nonzero(dep.valid)) * dep.cell_area
    n = len(t)
    own = depth_m * t["catchment_m2"].to_numpy(float)
    volume = t["volume_m3"].to_numpy(float)
    down = t["downstream"].to_numpy(np.int64) if n else np.zeros(0, np.int64)
    inflow = np.zeros(n)
    stored = np.zeros(n)
    spilled = np.zeros(n)
    left = depth_m * dep.outside_area_m2
    # Upstream first: a depression spills only to one nearer the outlet along the spill tree.
    for i in np.argsort(-t["exit_depth"].to_numpy(), kind="stable") if n else ():
        total = own[i] + inflow[i]
        stored[i] = min(total, volume[i])
        spilled[i] = total - stored[i]
        if down[i] > 0:
            inflow[down[i] - 1] += spilled[i]
        else:
            left += spilled[i]
    level = np.zeros(n)
    wet_cells = np.zeros(n, dtype=np.int64)
    if n:
        pool_lab, pool_z = dep._pools
        starts = np.searchsorted(pool_lab, np.arange(1, n + 1))
        ends = np.append(starts[1:], pool_lab.size)
        spill_elev = t["spill_elev_m"].to_numpy(float)
        for i in range(n):
            if stored[i] >= volume[i]:
                level[i], wet_cells[i] = spill_elev[i], ends[i] - starts[i]
            else:
                level[i], wet_cells[i] = _stage(pool_z[starts[i]:ends[i]], stored[i], dep.cell_area, spill_elev[i])
    bottom = t["bottom_elev_m"].to_numpy(float) if n else np.zeros(0)
    out = pd.DataFrame({
        "id": t["id"].to_numpy(), "inflow_m3": own + inflow, "stored_m3": stored, "spilled_m3": spilled,
        "fill_share": np.divide(stored, volume, out=np.zeros(n), where=volume > 0),
        "water_depth_m": np.where(stored > 0, level - bottom, 0.0), "flooded_m2": wet_cells * dep.cell_area,
        "spills": spilled > 0})
    return RainEvent(rain_mm=float(rain_mm), runoff_coefficient=float(c), table=out, rain_m3=rain_m3,
                     stored_m3=float(stored.sum()), left_m3=float(left),
                     nested=_nested_water(dep, dict(zip(t["id"].to_numpy().tolist(), np.where(stored > 0, level,
                                                                                            -np.inf).tolist()))))


def _nested_water(dep: Depressions, level_of: dict) -> pd.DataFrame:
    """The nested ponds under the water level of their depression (one pool per depression, as above)."""
    nest = dep.nested
    rows = {"id": [], "fill_share": [], "water_depth_m": [], "flooded_m2": [], "spills": []}
    z = dep.dem.ravel() if dep.dem is not None else np.zeros(0)
    for k, row in enumerate(nest.itertuples()) if nest is not None else ():
        h = min(level_of.get(row.depression, -np.inf), row.spill_elev_m)
        wet = np.maximum(h - z[dep.nested_cells[k]], 0.0)
        rows["id"].append(row.id)
        rows["fill_share"].append(float(wet.sum() * dep.cell_area / row.volume_m3) if row.volume_m3 > 0 else 0.0)
        rows["water_depth_m"].append(max(h - row.bottom_elev_m, 0.0))
        rows["flooded_m2"].append(float(np.count_nonzero(wet > 0) * dep.cell_area))
        rows["spills"].append(bool(level_of.get(row.depression, -np.inf) >= row.spill_elev_m))
    return pd.DataFrame(rows)


def rain_events(dep: Depressions, rains_mm: Sequence[float], runoff_coefficient: Optional[float] = None) -> list:
    return [rain_event(dep, r, runoff_coefficient) for r in rains_mm]
