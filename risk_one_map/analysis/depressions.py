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

**Rain.** Rain (mm) times a runoff coefficient (one number, or one per cell from land use) falls on every valid
cell; its water goes to the pond (a depression, or a pond nested in one, see ``depression_tree``) its steepest way
down reaches. Inside a depression the small ponds fill first, spill over their saddles and merge into one pool
(``fill_spill``); a full depression passes the rest to the next one downstream, upstream depressions first. Total
effective rain = stored + left the county, to rounding.
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
from . import depression_tree, fill_spill

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
    ponds: Optional[fill_spill.Ponds] = None  # every pond, top level and nested, for the fill-spill cascade
    pond_regions: Optional[np.ndarray] = None  # per cell: the innermost pond (id) whose region holds it, 0 = none
    pond_catchments: Optional[np.ndarray] = None  # per cell: the pond (top-level or nested id) its water reaches

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
    ids = np.arange(1, count + 1)
    table = pd.DataFrame({"id": ids})
    shape = dem.shape
    zgrid = z.reshape(shape)
    labels_out = np.where(vflat, labels, -1).reshape(shape)
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
        rows_, cols_ = np.divmod(spill, dem.shape[1])
        drow, dcol = np.divmod(deepest, dem.shape[1])
        table = table.assign(
            cells=ncell, area_m2=ncell * cell_area, max_depth_m=level[deepest] - z[deepest], volume_m3=vol,
            spill_elev_m=level[deepest], bottom_elev_m=z[deepest], deepest_row=drow, deepest_col=dcol,
            spill_row=rows_, spill_col=cols_, exit_depth=depth[exit_cell])
        table["significant"] = ((table["max_depth_m"] >= filters["min_depth_m"])
                                & (table["area_m2"] >= filters["min_area_m2"])
                                & (table["cells"] >= filters["min_cells"]))
    else:
        for col in ("cells", "area_m2", "max_depth_m", "volume_m3", "spill_elev_m", "bottom_elev_m", "deepest_row",
                    "deepest_col", "spill_row", "spill_col", "exit_depth"):
            table[col] = pd.Series(dtype=float)
        table["significant"] = pd.Series(dtype=bool)
    nested, nested_cells = (depression_tree.nested_depressions(zgrid, labels_out, pred, recv, table, cell_area, filters)
                            if nested and count else (pd.DataFrame(columns=depression_tree.COLUMNS), []))
    # Where the water of each flooded cell ends up: the innermost pond holding the low its steepest way down
    # reaches. A catchment cell's water goes to that pond of the first flooded cell on its way (likewise a spill).
    regions = fill_spill.pond_grid(labels, nested, nested_cells)
    grid = regions
    if len(nested):
        cells = np.flatnonzero(flooded)
        to, _pos = depression_tree.descend(cells, recv, n)
        grid = regions.copy()
        grid[cells] = regions[cells[to]]
    if len(nested):  # the ponds that a nested pond's overflow reaches, and that of its parent's into it
        nested = nested.assign(overflow_to=grid[nested["beyond_cell"].to_numpy(np.int64)],
                               inflow_at=grid[nested["saddle_cell"].to_numpy(np.int64)])
    top_of = np.concatenate([np.arange(count + 1), nested["depression"].to_numpy(np.int64)])
    pond_catch = _first_sink(succ, grid, n)
    catch = top_of[pond_catch]
    spill_entry = _first_sink(tree_next, grid, n)
    if count:
        entry = spill_entry[spill]
        catch_cells = np.bincount(catch[vflat], minlength=count + 1)[1:]
        table.insert(table.columns.get_loc("exit_depth"), "downstream", top_of[entry])
        table.insert(table.columns.get_loc("exit_depth") + 1, "catchment_m2", catch_cells * cell_area)
        table["downstream_pond"] = entry
    else:
        for col in ("downstream", "catchment_m2", "downstream_pond"):
            table[col] = pd.Series(dtype=float)
    del spill_entry, succ, tree_next
    ponds = fill_spill.build(table, nested, regions, z, cell_area)
    return Depressions(filled=np.where(valid, level.reshape(shape), dem), labels=labels_out,
                       catchments=np.where(vflat, catch, -1).reshape(shape), table=table, cell_area=cell_area,
                       valid=valid, filters=filters, nested=nested, nested_cells=nested_cells, dem=zgrid,
                       ponds=ponds, pond_catchments=np.where(vflat, pond_catch, -1).reshape(shape),
                       pond_regions=regions.reshape(shape))


@dataclass
class RainEvent:
    """One rain on the depressions: per depression what it received, held and spilled (``table``), and the
    county's balance (``rain_m3`` effective = ``stored_m3`` + ``left_m3``)."""
    rain_mm: float
    runoff_coefficient: float  # the mean over the DEM's valid cells (one number, or land use's average)
    table: pd.DataFrame
    rain_m3: float
    stored_m3: float
    left_m3: float
    nested: Optional[pd.DataFrame] = None  # the nested ponds, same columns as ``table`` (stored: below its saddle)

    @property
    def balance_error_m3(self) -> float:
        return self.rain_m3 - self.stored_m3 - self.left_m3


def checked_runoff(c) -> float:
    """One runoff coefficient, checked."""
    if not 0 <= float(c) <= 1:
        raise RiskOneMapError(f"the runoff coefficient must be between 0 and 1 (got {c})")
    return float(c)


def runoff_grid(dep: Depressions, runoff_coefficient=None) -> np.ndarray:
    """The runoff coefficient of every cell: one number (the labelled default when None) or a grid of the DEM's
    shape (e.g. from land use, see ``runoff``); checked to lie between 0 and 1 on every valid cell."""
    c = model.default_value("lowpoint_runoff_coefficient") if runoff_coefficient is None else runoff_coefficient
    if np.ndim(c) == 0:
        return np.full(dep.valid.shape, checked_runoff(c))
    c = np.asarray(c, dtype=np.float64)
    if c.shape != dep.valid.shape:
        raise RiskOneMapError(f"the runoff grid has shape {c.shape}, the DEM {dep.valid.shape}")
    bad = dep.valid & ~((c >= 0) & (c <= 1))
    if bad.any():
        r, col = np.argwhere(bad)[0]
        raise RiskOneMapError(f"the runoff coefficient must be between 0 and 1 (row {r}, column {col}: {c[r, col]})")
    return c


def rain_event(dep: Depressions, rain_mm: float, runoff_coefficient=None) -> RainEvent:
    """Fill every pond from its catchment with ``rain_mm`` x the runoff coefficient (one number or a grid per
    cell), small ponds inside a basin first (``fill_spill``), and cascade overflow downstream, upstream
    depressions first."""
    if rain_mm < 0:
        raise RiskOneMapError(f"rain must be 0 mm or more (got {rain_mm})")
    c = runoff_grid(dep, runoff_coefficient)
    p = dep.ponds
    depth_m = rain_mm / 1000.0
    # Effective rain per pond catchment (index = pond id, 0 = straight out of the county).
    ids = dep.pond_catchments[dep.valid]
    per_id = np.bincount(ids, weights=c[dep.valid], minlength=int(p.table["id"].max()) + 1 if len(p.table) else 1)
    per_id *= depth_m * dep.cell_area
    rain_m3 = float(per_id.sum())
    t = dep.table
    n = len(t)
    entry = np.full(len(p.table), -1, dtype=np.int64)
    if n:
        row = np.full(per_id.size, -1, dtype=np.int64)
        row[p.table["id"].to_numpy()] = np.arange(len(p.table))
        entry[:n] = row[t["downstream_pond"].to_numpy(np.int64)]  # pond 0 = out of the county: row -1
    order = np.argsort(-t["exit_depth"].to_numpy(), kind="stable") if n else np.zeros(0, np.int64)
    # The top-level rows of ``p.table`` are the depression table's rows, in its order.
    s = fill_spill.settle(p, per_id[p.table["id"].to_numpy()], entry, order, float(per_id[0]))
    bottom = p.table["bottom_elev_m"].to_numpy(float)
    volume = p.table["volume_m3"].to_numpy(float)
    wet_depth = np.where(np.isnan(s.level), 0.0, s.level - bottom)
    frame = pd.DataFrame({
        "id": p.table["id"].to_numpy(), "inflow_m3": s.inflow, "stored_m3": s.stored, "spilled_m3": s.spilled,
        "fill_share": np.divide(s.stored, volume, out=np.zeros(len(volume)), where=volume > 0),
        "water_depth_m": wet_depth, "flooded_m2": s.wet_cells * dep.cell_area, "spills": s.spills,
        "water_level_m": s.level})
    mean_c = float(c[dep.valid].mean()) if dep.valid.any() else 0.0
    return RainEvent(rain_mm=float(rain_mm), runoff_coefficient=mean_c, table=frame.iloc[:n].reset_index(drop=True),
                     rain_m3=rain_m3, stored_m3=float(s.stored[:n].sum()), left_m3=s.left_m3,
                     nested=frame.iloc[n:].reset_index(drop=True))


def wet_cells(dep: Depressions, ev: RainEvent) -> np.ndarray:
    """The cells under water in a rain: those of each pond's region lower than its pool's level (a pond not yet
    merged with its parent keeps its own level; the parent's pool does not reach into it)."""
    ids = np.concatenate([ev.table["id"].to_numpy(), ev.nested["id"].to_numpy()]).astype(np.int64)
    levels = np.concatenate([ev.table["water_level_m"].to_numpy(float), ev.nested["water_level_m"].to_numpy(float)])
    level_of = np.full(int(ids.max()) + 1 if ids.size else 1, np.nan)
    level_of[ids] = levels
    wet = np.zeros(dep.valid.shape, dtype=bool)
    cells = np.flatnonzero(dep.pond_regions > 0)
    with np.errstate(invalid="ignore"):  # NaN = dry
        wet.ravel()[cells] = level_of[dep.pond_regions.ravel()[cells]] > dep.dem.ravel()[cells]
    return wet


def rain_events(dep: Depressions, rains_mm: Sequence[float], runoff_coefficient: Optional[float] = None) -> list:
    return [rain_event(dep, r, runoff_coefficient) for r in rains_mm]
