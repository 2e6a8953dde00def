"""Fill-spill through the hierarchy of ponds: small ponds inside a basin fill first, spill into their neighbour, and
merge into one pool once both are full (Barnes, Callaghan & Wickert 2020 "fill-spill-merge", on our merge tree).

The ponds are the top-level depressions and the nested ones of ``depression_tree`` (elder rule: a pond ``P`` goes
on above each saddle ``s_1 <= ... <= s_k`` where a child ``C_i`` joins it). Read as a binary tree, ``P``'s core
``E_0`` (its cells not in any child) merges with ``C_1`` at ``s_1`` into ``E_1``, which merges with ``C_2`` at
``s_2``, and so on; ``E_k`` is ``P`` up to its own spill elevation.

For each merge ``M = E_{i-1} + C_i`` the final state follows from how much water ``M`` holds (``W``) and how much
landed on each side (``T``): if ``W`` fills both sides they are one pool above the saddle; else the side that got
more than it holds passes the rest over the saddle to the other. Water that reaches a pond from outside (an upstream
depression's spill, or its parent's overflow) enters at the pond that the spill path's steepest way down ends in;
a parent's overflow into a child enters the child's core (its deepest pond) — the saddle cell's own way down is not
followed there, which only decides which of the child's own ponds fills first, never how much water there is.
Two passes per top-level depression: totals bottom-up, then the water top-down; each pond is visited twice, so
the cost is linear in the number of ponds. Pure numpy (the stage-volume curves compiled when numba is installed);
every litre is either held or passed on (mass-conserving).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from . import flow_kernels
from .basins import heights_by_key


@dataclass
class Ponds:
    """Every pond of a DEM: row ``r`` of ``table`` (columns id, parent, depression, spill_elev_m, bottom_elev_m,
    volume_m3; parent 0 = top level), ``own_z`` the elevations of the cells that are its own (not a child's),
    sorted, from ``own_start[r]`` to ``own_start[r + 1]``; ``region_n``/``region_z`` the cell count and the sum of
    elevations of its whole region (children included); ``children[r]`` its children's rows by saddle height;
    ``levels`` the rows by nesting level (parents before children)."""
    table: pd.DataFrame
    own_z: np.ndarray
    own_start: np.ndarray
    own_csum: np.ndarray
    region_n: np.ndarray
    region_z: np.ndarray
    children: list
    levels: np.ndarray
    cell_area: float
    parent_row: np.ndarray  # -1 = top level
    overflow_to: np.ndarray  # the row a nested pond's overflow over its saddle reaches (inside its parent)
    inflow_at: np.ndarray  # the row (inside it) that its parent's overflow over the same saddle reaches
    nest_level: np.ndarray  # 0 = top level
    _own_vol: Optional[np.ndarray] = None  # the numpy passes' stage-volume curve; the compiled rain needs none

    @property
    def own_vol(self) -> np.ndarray:
        """Each pond's stage-volume curve over its own cells (see ``_stage_volume``), made when asked."""
        if self._own_vol is None:
            spill = self.table["spill_elev_m"].to_numpy(float)
            make = flow_kernels.stage_volume if flow_kernels.ENABLED else _stage_volume
            self._own_vol = make(self.own_z, self.own_start, spill, self.cell_area)[1]
        return self._own_vol

    def within(self, r: int, c: int) -> bool:
        """Whether row ``r`` is row ``c`` or lies inside it."""
        level = self.nest_level
        while level[r] > level[c]:
            r = self.parent_row[r]
        return r == c


def pond_grid(labels: np.ndarray, nested: pd.DataFrame, nested_cells: list) -> np.ndarray:
    """The innermost pond of every cell (flat; top-level id, or a nested pond's id; 0 = none). A child's cells lie
    inside its parent's and ponds of one nesting level never overlap, so painting level by level is enough."""
    grid = np.maximum(labels, 0).astype(np.int32, copy=False)  # one new grid, not two
    if nested is not None and len(nested):
        ids = nested["id"].to_numpy(np.int64).tolist()
        for k in np.argsort(nested["level"].to_numpy(), kind="stable").tolist():
            grid[nested_cells[k]] = ids[k]
    return grid


def build(top: pd.DataFrame, nested: pd.DataFrame, grid: np.ndarray, z: np.ndarray, cell_area: float,
          flooded_cells: list) -> Ponds:
    """The ponds of ``top`` (the depression table) and ``nested`` (``depression_tree.COLUMNS`` and, by pond id,
    ``overflow_to``/``inflow_at``: where its overflow lands, and where its parent's lands in it) with their cells
    from ``grid`` (``pond_grid``) and elevations ``z`` (flat). ``flooded_cells`` = [cells]: the cells in a pond
    (``grid > 0``); the list is emptied, so that the array is freed as soon as it has been used (the caller keeps no
    reference)."""
    cells, = flooded_cells
    flooded_cells.clear()
    cols = ["id", "spill_elev_m", "bottom_elev_m", "volume_m3"]
    extra = ["parent", "depression", "level", "overflow_to", "inflow_at"]
    t = pd.concat([top[cols].assign(parent=0, depression=top["id"], level=0, overflow_to=0, inflow_at=0),
                   nested[cols + extra] if nested is not None and len(nested) else None], ignore_index=True)
    for col in ["id"] + extra:
        t[col] = t[col].astype(np.int64)
    n = len(t)
    row = np.full(int(t["id"].max()) + 1 if n else 1, -1, dtype=np.int64)
    row[t["id"].to_numpy()] = np.arange(n)
    r = row.astype(np.int32)[grid[cells]]  # 4 bytes a pond cell
    # Each pond's own heights, sorted, in float64 (a float32 DEM's too: the running sums are float64).
    own_z, own_start = heights_by_key(z, cells, r, n, np.float64)
    if flow_kernels.ENABLED:  # the same sums in the same order, without a float64 copy of the ponds' heights
        own_sum = flow_kernels.sums_by(r, cells, z, n)
    else:
        own_sum = np.bincount(r, weights=z[cells], minlength=n)
    del r, cells  # before the stage-volume arrays are made: the peak of a large DEM's run is there
    spill = t["spill_elev_m"].to_numpy(float)
    if flow_kernels.ENABLED:  # the curve's points are computed as a rain's binary search visits them
        own_csum, own_vol = flow_kernels.stage_sums(own_z, own_start), None
    else:
        own_csum, own_vol = _stage_volume(own_z, own_start, spill, cell_area)
    own_n = np.diff(own_start).astype(float)
    # A region is its own cells and its children's regions: add them up from the deepest nesting level.
    levels = np.argsort(t["level"].to_numpy(), kind="stable")
    parent_row = np.where(t["parent"].to_numpy() > 0, row[t["parent"].to_numpy()], -1)
    region_n, region_z = own_n.copy(), own_sum.copy()
    for k in levels[::-1]:
        if parent_row[k] >= 0:
            region_n[parent_row[k]] += region_n[k]
            region_z[parent_row[k]] += region_z[k]
    children = [[] for _ in range(n)]
    spill = t["spill_elev_m"].to_numpy(float)
    for k in np.argsort(spill, kind="stable"):
        if parent_row[k] >= 0:
            children[parent_row[k]].append(int(k))
    return Ponds(table=t, own_z=own_z, own_start=own_start, own_csum=own_csum, _own_vol=own_vol, region_n=region_n,
                 region_z=region_z, children=children, levels=levels, cell_area=cell_area, parent_row=parent_row,
                 overflow_to=row[t["overflow_to"].to_numpy()], inflow_at=row[t["inflow_at"].to_numpy()],
                 nest_level=t["level"].to_numpy())


def _stage_volume(own_z: np.ndarray, own_start: np.ndarray, spill: np.ndarray, cell_area: float):
    """Per pond (its own cells ``own_z[own_start[r]:own_start[r + 1]]``, lowest first): the running sums of height
    above its lowest cell (``own_csum``, one longer) and the water its own cells hold when it reaches the next
    cell's height (``own_vol``; the last, its spill elevation). numpy passes; flow_kernels.stage_volume compiled."""
    # Running sums of height above each pond's own lowest cell: any own-cell volume in O(1), and small numbers.
    base = np.repeat(own_z[np.minimum(own_start[:-1], max(own_z.size - 1, 0))], np.diff(own_start))
    own_csum = np.concatenate([[0.0], np.cumsum(own_z - base)])
    # The stage-volume curve of each pond's own cells: the water they hold when it reaches the next cell's height
    # (the last: the spill elevation); a rain then finds its level by binary search.
    # Built in place, a few arrays at a time: on a large DEM the ponds' cells are tens of millions.
    counts = np.diff(own_start)
    first = np.repeat(own_start[:-1], counts)  # each cell's pond's first position
    own_vol = np.empty(own_z.size)
    own_vol[:-1] = own_z[1:]
    own_vol[own_start[1:][counts > 0] - 1] = spill[counts > 0]  # the last: the spill
    own_vol -= base  # next height above the pond's lowest cell
    del base
    k = np.arange(1, own_z.size + 1, dtype=np.float64)
    k -= first  # cells at or below this one
    own_vol *= k
    del k
    own_vol -= own_csum[1:]
    own_vol += own_csum[first]
    own_vol *= cell_area
    del first
    return own_csum, own_vol


def _volume(p: Ponds, r: int, h: float, n_merged: float, z_merged: float) -> float:
    """Water (m³) below level ``h`` over pond row ``r``'s own cells and its merged children's regions."""
    s, e = p.own_start[r], p.own_start[r + 1]
    k = int(np.searchsorted(p.own_z[s:e], h))
    own = k * (h - p.own_z[s]) - (p.own_csum[s + k] - p.own_csum[s]) if k else 0.0
    return (own + n_merged * h - z_merged) * p.cell_area


def _level(p: Ponds, r: int, water: float, lo: float, hi: float, n_merged: float, z_merged: float) -> float:
    """Level (between ``lo`` and ``hi``) of ``water`` m³ over row ``r``'s own cells and its merged children: a
    binary search over the own cells' heights (each volume is O(log n) from the running sums), then the straight
    piece between two of them."""
    def vol(h):
        return _volume(p, r, h, n_merged, z_merged)

    if vol(hi) <= water:
        return hi
    if vol(lo) >= water:
        return lo
    z = p.own_z[p.own_start[r]:p.own_start[r + 1]]
    i0, i1 = int(np.searchsorted(z, lo, side="right")), int(np.searchsorted(z, hi))
    a, b = i0, i1  # the first own height in [i0, i1) holding the water, i1 if none
    while a < b:
        m = (a + b) // 2
        if vol(float(z[m])) >= water:
            b = m
        else:
            a = m + 1
    upper = float(z[a]) if a < i1 else hi
    lower = float(z[a - 1]) if a > i0 else lo
    wet = int(np.searchsorted(z, lower, side="right")) + n_merged
    h = lower + (water - vol(lower)) / (wet * p.cell_area) if wet > 0 else upper
    return min(max(h, lower), upper)


@dataclass
class Settled:
    """Per pond row: water that reached it (``inflow``), held in its region below its spill (``stored``), passed
    over its saddle or rim (``spilled``), its water level (NaN = dry), wet cells, and whether it spills."""
    inflow: np.ndarray
    stored: np.ndarray
    spilled: np.ndarray
    level: np.ndarray
    wet_cells: np.ndarray
    spills: np.ndarray
    left_m3: float


def settle(p: Ponds, own_m3: np.ndarray, entry: np.ndarray, order: np.ndarray, left_m3: float) -> Settled:
    """The final water of every pond. ``own_m3[r]`` falls on row ``r``'s own catchment; a top-level row ``r``
    spills into row ``entry[r]`` (-1 = out of the county); ``order`` lists the top-level rows upstream first.
    The loop in order is the cascade itself (each depression waits for what spills into it); a depression without
    nested ponds takes two additions there, and every pond without children gets its level by a binary search in
    its stage-volume curve at the end, so the work is per pond, never per cell."""
    n = len(p.table)
    spill_elev = p.table["spill_elev_m"].to_numpy(float)
    volume = p.table["volume_m3"].to_numpy(float)
    ext = np.zeros(n)  # water arriving from upstream depressions
    total = np.zeros(n)  # water landing in each subtree (own catchments and arrivals)
    out = Settled(inflow=np.zeros(n), stored=np.zeros(n), spilled=np.zeros(n), level=np.full(n, np.nan),
                  wet_cells=np.zeros(n, dtype=np.int64), spills=np.zeros(n, dtype=bool), left_m3=left_m3)
    has_kids = np.array([bool(c) for c in p.children], dtype=bool)
    subtree = _subtrees(p)
    under = np.full(n, np.nan)  # the level of a parent's merged pool standing over a pond
    own, vol, to = own_m3.tolist(), volume.tolist(), entry.tolist()
    left = 0.0
    for r in order.tolist():
        rows = subtree.get(r)
        if rows is None:  # no nested ponds: hold up to the volume, pass the rest on
            t = own[r] + ext[r]
            held = t if t < vol[r] else vol[r]
        else:
            for k in rows[::-1]:
                total[k] = own[k] + ext[k] + sum(total[c] for c in p.children[k])
            t = total[r]
            held = min(t, vol[r])
        out.stored[r] = held
        out.spilled[r] = t - held
        if to[r] >= 0:
            ext[to[r]] += t - held
        else:
            left += t - held
        if rows is None:
            continue
        streams = {r: []}  # water a pond gets over a saddle from its parent's side: [(row it reaches, m³)]
        for k in rows:
            if not has_kids[k]:
                continue
            _distribute(p, k, own[k] + ext[k], streams, total, out, volume, spill_elev)
            if not np.isnan(under[k]):
                out.level[k] = np.fmax(out.level[k], under[k])
            for c in p.children[k] if not np.isnan(out.level[k]) else ():
                if out.level[k] > spill_elev[c]:
                    under[c] = out.level[k]
    out.left_m3 = float(left_m3 + left)
    out.spills |= out.spilled > 0
    leaves = np.flatnonzero(~has_kids & (out.stored > 0))
    out.level[leaves] = _own_levels(p, leaves, out.stored[leaves])
    low = ~has_kids & ~np.isnan(under)
    out.level[low] = np.fmax(out.level[low], under[low])
    out.wet_cells = _own_wet(p, out.level)
    for k in p.levels[::-1].tolist():  # a region's wet cells are its own and its children's
        if p.parent_row[k] >= 0:
            out.wet_cells[p.parent_row[k]] += out.wet_cells[k]
    out.inflow = out.stored + out.spilled
    return out


def _subtrees(p: Ponds) -> dict:
    """Rows of each top-level depression that holds nested ponds, parents before children."""
    by_top: dict = {}
    for k in p.levels.tolist():
        top = k
        while p.parent_row[top] >= 0:
            top = p.parent_row[top]
        if top != k:
            by_top.setdefault(top, [top]).append(k)
    return by_top


def _own_levels(p: Ponds, rows: np.ndarray, water: np.ndarray) -> np.ndarray:
    """The level of ``water`` m³ standing over each row's own cells (rows with no children): a binary search in
    its stage-volume curve (``own_vol``, made once), so a rain costs O(log n) per pond, nothing per cell."""
    spill = p.table["spill_elev_m"].to_numpy(float)
    if flow_kernels.ENABLED:
        return flow_kernels.own_levels(rows, water, p.own_start, p.own_z, p.own_csum, spill, p.cell_area)
    out = np.empty(rows.size)
    for i, (r, w) in enumerate(zip(rows.tolist(), water.tolist())):
        s, e = int(p.own_start[r]), int(p.own_start[r + 1])
        j = min(s + int(np.searchsorted(p.own_vol[s:e], w * (1 - 1e-12))), e - 1)
        h = p.own_z[s] + (w / p.cell_area + p.own_csum[j + 1] - p.own_csum[s]) / (j - s + 1)
        out[i] = min(h, spill[r])
    return out


def _own_wet(p: Ponds, level: np.ndarray) -> np.ndarray:
    """Own cells of each row lower than its level (0 where the level is NaN)."""
    if flow_kernels.ENABLED:
        return flow_kernels.own_wet(level, p.own_start, p.own_z)
    wet = np.zeros(level.size, dtype=np.int64)
    for r in np.flatnonzero(~np.isnan(level)).tolist():
        s, e = int(p.own_start[r]), int(p.own_start[r + 1])
        wet[r] = int(np.searchsorted(p.own_z[s:e], level[r]))
    return wet


def _distribute(p: Ponds, r, core_m3, streams, total, out: Settled, volume, spill_elev) -> None:
    """Share row ``r``'s water (``out.stored[r]``) among its core and its children, merge by merge from the highest
    saddle down, pass each child the water it gets over its saddle (``streams``), and set the level of the core's
    pool (NaN if dry)."""
    kids = p.children[r]
    k = len(kids)
    saddles = [spill_elev[c] for c in kids] + [spill_elev[r]]
    # Water landing on E_0..E_k, and the cells of the children merged below each saddle (they count whole).
    landed = np.cumsum([core_m3] + [total[c] for c in kids])
    n_below = np.cumsum([0.0] + [p.region_n[c] for c in kids])
    z_below = np.cumsum([0.0] + [p.region_z[c] for c in kids])
    water, arriving = out.stored[r], streams.pop(r, [])
    merged_at, water_at = 0, None  # E_m, the highest stage whose sides stand as one pool, and its water
    for i in range(k, 0, -1):
        c = kids[i - 1]
        cap_a = _volume(p, r, saddles[i - 1], n_below[i - 1], z_below[i - 1])
        cap_b = volume[c]
        to_b = [s for s in arriving if p.within(s[0], c)]
        to_a = [s for s in arriving if not p.within(s[0], c)]
        a = landed[i - 1] + sum(m for _, m in to_a)
        b = total[c] + sum(m for _, m in to_b)
        out.spilled[c] = max(b - cap_b, 0.0)
        # Both sides full: one pool at or above the saddle. Also when this stage held less than reached it (it
        # spilled, so it is full) but rounding put its volume a hair under the two sides' (summed in another order).
        tol = 1e-9 * max(cap_a + cap_b, 1.0)
        both_full = water >= cap_a + cap_b - tol or water < a + b - tol
        if both_full:
            w_a, streams[c], arriving = cap_a, [], []
            if not merged_at and water > cap_a + cap_b + tol:
                merged_at, water_at = i, water
        elif a > cap_a:  # the parent's side overflows into the child, where its saddle cell drains
            w_a, streams[c], arriving = cap_a, to_b + [(p.inflow_at[c], a - cap_a)], []
        elif b > cap_b:  # the child overflows into the parent's side
            w_a, streams[c], arriving = a + b - cap_b, [], to_a + [(p.overflow_to[c], b - cap_b)]
        else:
            w_a, streams[c], arriving = a, to_b, to_a
        # Both full: the child holds its volume and the rest stands over both; else what the parent's side does
        # not hold, so that every m³ stays counted whatever the rounding.
        out.stored[c] = cap_b if both_full else water - w_a
        out.spills[c] = out.spilled[c] > 0 or bool(merged_at and i <= merged_at)
        water = w_a
    if water_at is None:
        water_at = water
    if water_at <= 0:
        return
    lo = saddles[merged_at - 1] if merged_at else float(p.own_z[p.own_start[r]])
    out.level[r] = _level(p, r, water_at, lo, saddles[merged_at], n_below[merged_at], z_below[merged_at])
