"""Flood low points from the DEM (低洼易涝点筛查): closed depressions, their catchments, and which fill in a rain.

The fill-spill screening Danish municipalities use ("bluespots"): every closed depression of the DEM with its
depth, area, volume, spill elevation and spill point; the cells that drain into it (its catchment); and for a rain
of N mm which depressions fill, and where their overflow goes, in order.

Pure: numpy and scipy, and numba when installed: the per-cell passes run compiled (``flow_kernels``), otherwise as
numpy passes with the same answer. Everything is computed on a north-up grid ``dem`` (metres; float32 stays float32,
sums and differences in float64) with a ``valid`` mask; the raster edge and any nodata cell are outlets (water that
reaches them leaves the county).

**Fill.** The depression-filled surface (each cell raised to the lowest level at which water could leave it) is the
minimax ("lowest pass") elevation from the cell to the outlet. ``basins`` gets it from the drainage basins: every
cell flows to its steepest lower neighbour (D8) and its basin is where that way ends; the minimum spanning tree of
the graph of basins (joined by their lowest boundary pair, scipy's compiled code) gives each basin's pass, and a
cell's filled level is max(z, its basin's pass). This equals Barnes et al. (2014) priority-flood (the tests check
it against a heap priority-flood) and costs vectorised passes over the cells plus a tree of a few per cent of
their number; no well-kept library installable from PyPI without a compiler or a run-time download gives the fill
*with* the spill tree (richdem's last release is from 2018, WhiteboxTools downloads a binary, pysheds and pyflwdir
fill but do not label depressions, spill points or the order of spilling).

**Flow.** A cell's water follows its steepest descent to its basin's end; a basin whose end holds no water (a flat
or the edge) passes it down the spill tree to the next basin. A depression's catchment is every cell whose water
reaches it first.

**Spill.** A full depression overflows over the spill edge of its exit basin (its spill point is that edge's rim
cell) into the basin beyond, and on down the tree to the next depression or out of the county. Spilling goes
strictly down the tree, so the cascade has an order (upstream first) and no cycles.

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
from scipy import ndimage

from ..errors import RiskOneMapError
from ..layers import model
from . import basins, depression_tree, fill_spill, flow_kernels
from .plain_pages import on_plain_pages

_SQUARE = np.ones((3, 3), dtype=bool)


@dataclass
class Depressions:
    """The depressions of one DEM. ``labels``/``catchments`` hold depression ids (1..n) per cell, 0 = none /
    drains out of the county, -1 = nodata. ``table`` has one row per depression (all of them, unfiltered; the
    ``significant`` column says which pass the filters). ``filled`` (the filled DEM) is made when asked."""
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
    _pond_cells: Optional[np.ndarray] = None  # pond_cell_counts, once asked
    source: Optional[np.ndarray] = None  # the DEM as given (the caller holds it anyway): nodata cells' values
    _filled: Optional[np.ndarray] = None

    @property
    def filled(self) -> np.ndarray:
        """The depression-filled DEM: a depression's cells all stand at its spill elevation (8-neighbouring flooded
        cells fill to one level), the others keep their height. Made on first use, not held while the depressions
        are found (a 1e8-cell DEM: 0.4 GB less at the peak)."""
        if self._filled is None:
            spill = np.zeros(len(self.table) + 1, dtype=self.source.dtype)
            spill[1:] = self.table["spill_elev_m"].to_numpy()  # float32 DEM: its own float32 values, exactly
            self._filled = np.where(self.labels > 0, spill[np.maximum(self.labels, 0)], self.source)
        return self._filled

    @property
    def pond_cell_counts(self) -> np.ndarray:
        """Cells whose water reaches each pond id (index 0: out of the county), counted once."""
        if self._pond_cells is None:
            size = int(self.ponds.table["id"].max()) + 1 if len(self.ponds.table) else 1
            self._pond_cells = np.bincount(self.pond_catchments[self.valid], minlength=size).astype(float)
        return self._pond_cells

    @property
    def significant(self) -> pd.DataFrame:
        return self.table[self.table["significant"]]

    @property
    def outside_area_m2(self) -> float:
        """Area whose water leaves the county without entering any depression."""
        return float(np.count_nonzero(self.catchments == 0) * self.cell_area)


outlet_cells = basins.outlet_cells


def elevations(dem) -> np.ndarray:
    """The DEM as float32 when it is float32 (half the memory of every elevation grid; a 1e8-cell DEM held as float64
    alone takes 0.8 GB a copy), else float64. Every sum and difference below is taken in float64, so a float32 DEM
    gives the answer its float64 copy gives, to the last bit."""
    dem = np.asarray(dem)
    return dem if dem.dtype == np.float32 else np.asarray(dem, dtype=np.float64)


def _filled_level(z: np.ndarray, valid: np.ndarray, bt: basins.BasinTree) -> np.ndarray:
    """Each valid cell's filled level, max(z, its basin's pass); nodata cells keep z."""
    vflat = valid.ravel()
    if flow_kernels.ENABLED:
        level = np.empty_like(z)
        flow_kernels.filled_level(z, vflat, bt.basin, bt.passes, level)
        return level
    level = z.copy()
    level[vflat] = np.maximum(z[vflat], bt.passes[bt.basin[vflat]])
    return level


@on_plain_pages
def fill(dem: np.ndarray, valid: Optional[np.ndarray] = None) -> np.ndarray:
    """The depression-filled DEM (priority-flood result, no gradient imposed); nodata cells stay as they are."""
    dem = elevations(dem)
    valid = np.isfinite(dem) if valid is None else (valid & np.isfinite(dem))
    if not valid.any():
        return dem.copy()
    z = np.where(valid, dem, 0.0).ravel()
    bt = basins.basin_tree(z, valid, basins.steepest_receiver(dem, valid, 1.0, 1.0))
    return np.where(valid, _filled_level(z, valid, bt).reshape(dem.shape), dem)


def _first_flooded(bt: basins.BasinTree, flooded_pit: np.ndarray) -> np.ndarray:
    """For each basin, the first basin with a flooded pit on its way down the spill tree (itself if its pit is
    flooded), -1 = out of the county: where the water of a basin whose own pit holds none goes."""
    target = np.where(flooded_pit, np.arange(flooded_pit.size), bt.parent)
    todo = np.flatnonzero(target >= 0)
    todo = todo[~flooded_pit[target[todo]]]
    while todo.size:
        target[todo] = target[target[todo]]
        todo = todo[target[todo] >= 0]
        todo = todo[~flooded_pit[target[todo]]]
    return target


@on_plain_pages
def find_depressions(dem: np.ndarray, *, cell_size=(1.0, 1.0), valid: Optional[np.ndarray] = None,
                     min_depth_m: Optional[float] = None, min_area_m2: Optional[float] = None,
                     min_cells: Optional[int] = None, nested: bool = True) -> Depressions:
    """Every closed depression of ``dem`` (rows north to south), its catchment and spill, with the filters of
    ``model.DEFAULTS`` (``lowpoint_min_depth_m``, ``lowpoint_min_area_m2``, ``lowpoint_min_cells``) marking the
    significant ones. ``cell_size`` = (dx, dy) in metres. ``nested=False`` skips the nested ponds."""
    dem = elevations(dem)
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
    shape = dem.shape
    vflat = valid.ravel()
    # The DEM itself, flat (a view; no copy with 0 on nodata): nothing below reads the height of a nodata cell.
    z = np.ascontiguousarray(dem).ravel()
    if not vflat.any():
        raise RiskOneMapError("the DEM has no valid cell (all nodata)")
    bt = basins.basin_tree(z, valid, basins.steepest_receiver(dem, valid, dx, dy))
    level = _filled_level(z, valid, bt)
    flooded = vflat & (level > z)
    labels2d, count = ndimage.label(flooded.reshape(shape), structure=_SQUARE)
    labels = labels2d.ravel()  # -1 on nodata, in place (the flooded cells hold 1..count, the others 0)
    np.copyto(labels, -1, where=~vflat)
    del labels2d
    ids = np.arange(1, count + 1)
    table = pd.DataFrame({"id": ids})
    pit_label = labels[bt.pit]
    if count:
        kind = basins.index_type(z.size)  # 4-byte cell numbers and positions while they fit
        if flow_kernels.ENABLED:  # the same arrays without their temporary 8-byte and float64 copies
            cells = np.empty(np.count_nonzero(flooded), dtype=kind)
            flow_kernels.true_cells(flooded, cells)
        else:
            cells = np.flatnonzero(flooded).astype(kind)
        del flooded
        lab = labels[cells]
        ncell = np.bincount(lab, minlength=count + 1)[1:]
        if flow_kernels.ENABLED:
            vol = flow_kernels.depth_sums(lab, cells, level, z, count + 1)[1:] * cell_area
        else:
            vol = np.bincount(lab, weights=level[cells].astype(np.float64) - z[cells], minlength=count + 1)[1:] * cell_area
        deepest = basins.lowest_cells(z, cells, lab, count + 1)[1:]  # the first in flat order among equals
        # The exit: the depression's basin whose spill edge leads out of it; the rim is that edge's higher cell.
        up_label = np.where(bt.parent >= 0, pit_label[np.maximum(bt.parent, 0)], 0)
        exits = np.flatnonzero((pit_label > 0) & (up_label != pit_label))
        exit_basin = np.empty(count, dtype=np.int64)
        exit_basin[pit_label[exits] - 1] = exits
        sad, bey = bt.saddle[exit_basin], bt.beyond[exit_basin]
        spill = np.where((bey < 0) | (z[sad] >= z[np.maximum(bey, 0)]), sad, bey)
        rows_, cols_ = np.divmod(spill, shape[1])
        drow, dcol = np.divmod(deepest, shape[1])
        table = table.assign(
            cells=ncell, area_m2=ncell * cell_area, max_depth_m=level[deepest].astype(np.float64) - z[deepest],
            volume_m3=vol, spill_elev_m=level[deepest].astype(np.float64), bottom_elev_m=z[deepest].astype(np.float64),
            deepest_row=drow, deepest_col=dcol,
            spill_row=rows_, spill_col=cols_, exit_depth=bt.depth[exit_basin])
        table["significant"] = ((table["max_depth_m"] >= filters["min_depth_m"])
                                & (table["area_m2"] >= filters["min_area_m2"])
                                & (table["cells"] >= filters["min_cells"]))
        del level, lab
    else:
        cells = np.zeros(0, np.int64)
        exit_basin = np.zeros(0, np.int64)
        for col in ("cells", "area_m2", "max_depth_m", "volume_m3", "spill_elev_m", "bottom_elev_m", "deepest_row",
                    "deepest_col", "spill_row", "spill_col", "exit_depth"):
            table[col] = pd.Series(dtype=float)
        table["significant"] = pd.Series(dtype=bool)
    zgrid = z.reshape(shape)
    labels_out = labels.reshape(shape)
    if nested and count:
        inner = (bt.parent >= 0) & (pit_label > 0)
        inner &= pit_label == np.where(bt.parent >= 0, pit_label[np.maximum(bt.parent, 0)], -1)
        k = np.flatnonzero(inner)
        edges = (k, bt.parent[k], bt.weight[k], bt.saddle[k], bt.beyond[k])
        nested, nested_cells = depression_tree.nested_depressions(zgrid, labels_out, cells, bt.basin[cells], bt.pit,
                                                                  edges, table, cell_area, filters)
    else:
        nested, nested_cells = pd.DataFrame(columns=depression_tree.COLUMNS), []
    # Where water ends up: the innermost pond holding the pit its steepest way down reaches; from a basin whose pit
    # holds no water, the pit of the first flooded basin down the spill tree (likewise a depression's spill).
    regions = fill_spill.pond_grid(labels, nested, nested_cells)
    flooded_pit = pit_label > 0
    target = _first_flooded(bt, flooded_pit)
    pond_of_basin = np.where(target >= 0, regions[bt.pit[np.maximum(target, 0)]], 0)
    if len(nested):  # the ponds that a nested pond's overflow reaches, and that of its parent's into it
        nested = nested.assign(overflow_to=pond_of_basin[bt.basin[nested["beyond_cell"].to_numpy(np.int64)]],
                               inflow_at=pond_of_basin[bt.basin[nested["saddle_cell"].to_numpy(np.int64)]])
    top_of = np.concatenate([np.arange(count + 1), nested["depression"].to_numpy(np.int64)]).astype(np.int32)
    pond_catch, catch, catch_cells, pond_cells = _catchments(bt.basin, vflat, pond_of_basin, top_of, count)
    if count:
        up = bt.parent[exit_basin]
        entry = np.where(up >= 0, pond_of_basin[np.maximum(up, 0)], 0)
        table.insert(table.columns.get_loc("exit_depth"), "downstream", top_of[entry])
        table.insert(table.columns.get_loc("exit_depth") + 1, "catchment_m2", catch_cells * cell_area)
        table["downstream_pond"] = entry
    else:
        for col in ("downstream", "catchment_m2", "downstream_pond"):
            table[col] = pd.Series(dtype=float)
    del bt
    # Handed over, not shared: build lets go of the flooded cells (0.18 GB at 1e8 cells) as soon as it is done with
    # them, before the ponds' stage-volume sums are made.
    flooded_cells = [cells]
    del cells
    ponds = fill_spill.build(table, nested, regions, z, cell_area, flooded_cells)
    return Depressions(labels=labels_out, catchments=catch.reshape(shape), table=table, cell_area=cell_area,
                       valid=valid, filters=filters, nested=nested, nested_cells=nested_cells, dem=zgrid,
                       ponds=ponds, pond_catchments=pond_catch.reshape(shape), pond_regions=regions.reshape(shape),
                       source=dem, _pond_cells=pond_cells)


def _catchments(basin: np.ndarray, vflat: np.ndarray, pond_of_basin: np.ndarray, top_of: np.ndarray, count: int):
    """Per cell the pond its water reaches and that pond's depression (-1 nodata), and each depression's cell
    count (1..count), and (compiled) the cells whose water reaches each pond id (``pond_cell_counts``, else counted
    when a rain first asks): one compiled pass, or numpy's gathers."""
    if flow_kernels.ENABLED:
        pond_catch = np.empty(basin.size, dtype=pond_of_basin.dtype)
        catch = np.empty(basin.size, dtype=top_of.dtype)
        cells, per_pond = flow_kernels.catchment_grids(basin, pond_of_basin, top_of, pond_catch, catch, count + 1)
        return pond_catch, catch, cells[1:], per_pond.astype(float)
    pond_catch = np.where(vflat, pond_of_basin[np.maximum(basin, 0)], -1)
    catch = np.where(vflat, top_of[np.maximum(pond_catch, 0)], -1)
    return pond_catch, catch, np.bincount(catch[vflat], minlength=count + 1)[1:], None


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


@on_plain_pages
def rain_event(dep: Depressions, rain_mm: float, runoff_coefficient=None) -> RainEvent:
    """Fill every pond from its catchment with ``rain_mm`` x the runoff coefficient (one number or a grid per
    cell), small ponds inside a basin first (``fill_spill``), and cascade overflow downstream, upstream
    depressions first."""
    if rain_mm < 0:
        raise RiskOneMapError(f"rain must be 0 mm or more (got {rain_mm})")
    p = dep.ponds
    depth_m = rain_mm / 1000.0
    # Effective rain per pond catchment (index = pond id, 0 = straight out of the county). One coefficient for the
    # county scales the cell counts; a grid weighs each cell.
    if runoff_coefficient is None or np.ndim(runoff_coefficient) == 0:
        c = checked_runoff(model.default_value("lowpoint_runoff_coefficient") if runoff_coefficient is None
                           else runoff_coefficient)
        per_id = dep.pond_cell_counts * (c * depth_m * dep.cell_area)
        mean_c = c
    else:
        grid = runoff_grid(dep, runoff_coefficient)
        per_id = np.bincount(dep.pond_catchments[dep.valid], weights=grid[dep.valid],
                             minlength=dep.pond_cell_counts.size) * (depth_m * dep.cell_area)
        mean_c = float(grid[dep.valid].mean())
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
    pond, z, out = dep.pond_regions.ravel(), dep.dem.ravel(), wet.ravel()
    step = 1 << 22  # 4M cells at a time: the gathers stay small on a large DEM (1.3 GB at once at 1e8 cells)
    for s in range(0, pond.size, step):
        here = pond[s:s + step]
        cells = np.flatnonzero(here > 0)
        with np.errstate(invalid="ignore"):  # NaN = dry
            out[s:s + step][cells] = level_of[here[cells]] > z[s:s + step][cells]
    return wet


def rain_events(dep: Depressions, rains_mm: Sequence[float], runoff_coefficient: Optional[float] = None) -> list:
    return [rain_event(dep, r, runoff_coefficient) for r in rains_mm]
