"""The exposure engine: people per village x region, by raster coverage fractions, household points or the village table.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import shapely

from ..errors import RiskOneMapError
from . import coverage as cv
from .exposure_common import LEVELS


class ExposureEngine:
    """Sums per village and per (village, level) for every hazard layer, exact or by cell centres."""

    def __init__(self, villages, regions, ras, raster_src, mode, steps):
        self.villages = villages
        self.regions = regions
        self.ras = ras
        self.src = raster_src
        self.mode = mode
        self.steps = steps
        vgeoms = shapely.orient_polygons(np.asarray(villages.geometry.values, dtype=object))
        self.n = len(vgeoms)
        self.fast = mode == "fast"
        allg = np.concatenate([vgeoms] + [r[0] if self.fast else r for r in regions.values()])
        bounds = shapely.total_bounds(allg[~shapely.is_empty(allg)])
        if ras is not None:
            base = cv.Grid.from_transform(ras.transform, raster_src.width, raster_src.height)
        else:
            base = cv.virtual_grid(bounds)
        self.grid, self.row_off, self.col_off = base.covering(bounds)
        self.cell_area = self.grid.cell_area
        self.vgeoms = self.grid.to_grid_geoms(vgeoms)
        if self.fast:
            self.rgeoms = {k: (self.grid.to_grid_geoms(shapely.orient_polygons(r[0])), r[1]) for k, r in regions.items()}
        else:
            self.rgeoms = {k: self.grid.to_grid_geoms(shapely.orient_polygons(r)) for k, r in regions.items()}
        self.raster_stats = None

    def run(self) -> dict:
        return self.exact() if self.mode == "exact" else self._fast()

    def bands(self) -> list:
        """The column bands [c0, c1) the exact engine sums one after the other (windows of the raster)."""
        return cv.column_bands(self.grid, self.col_off, self.src)

    def exact(self, done: Optional[dict] = None) -> dict:
        """Column band by column band (everything here is local to a column), so memory follows the band.

        ``done``: band index -> ``band_sums`` already computed elsewhere (other processes or machines); they are
        added in band order like the others, so the totals are the same to the last bit as one process's."""
        g = self.grid
        nl = len(LEVELS)
        vsum = [np.zeros(self.n + 1) for _ in range(3)]
        joint = {k: (np.zeros((self.n + 1, nl + 1)), np.zeros((self.n + 1, nl + 1))) for k in self.rgeoms}
        zone_area = {k: np.zeros(nl + 1) for k in self.rgeoms}
        stats = cv.RasterStats()
        bands = self.bands()
        for bi in range(len(bands)):
            part = done[bi] if done is not None and bi in done else self.band_sums(bi)
            for acc, v in zip(vsum, part["village"]):
                acc += v
            for key, (pop, area) in part["joint"].items():
                joint[key][0][...] += pop
                joint[key][1][...] += area
            for key, area in part["zone_area"].items():
                zone_area[key] += area
            cv.merge_stats(stats, part["stats"])
            self.steps.sub((bi + 1) / len(bands))
        self._check_values(stats)
        self.steps.next()
        A = self.cell_area
        out = {"village": (vsum[0], vsum[1] * A, vsum[2] * A), "raster_stats": stats if self.src else None,
               "joint": {k: (j[0], j[1] * A) for k, j in joint.items()},
               "zone_area": {k: z * A for k, z in zone_area.items()}}
        sample = int(min(4, max(1, g.width // 1000)))  # on big grids every 4th column line: an estimate
        self.overlap = sample * cv.overlap_cells(cv.centre_crossings(self.vgeoms, np.arange(1, self.n + 1), g.height,
                                                                     stride=sample))
        out["overlap_cells"] = self.overlap
        out["cell_area"] = A
        return out

    def band_sums(self, bi: int) -> dict:
        """One column band's sums (plain arrays: they travel between processes): village totals, each layer's
        joint sums with the villages, zone areas and the raster's value counts."""
        if getattr(self, "_edges", None) is None:
            self._edges = (cv.Edges.of(self.vgeoms, np.arange(1, self.n + 1)),
                           {k: cv.Edges.of(r, np.arange(1, len(LEVELS) + 1)) for k, r in self.rgeoms.items()})
        Ev, El = self._edges
        nl = len(LEVELS)
        bands = self.bands()
        c0, c1 = bands[bi]
        whole = len(bands) == 1
        V = Ev.pieces(self.grid.height, None if whole else c0, None if whole else c1)
        layers = {k: e.pieces(self.grid.height, None if whole else c0, None if whole else c1) for k, e in El.items()}
        allp = [V] + list(layers.values())
        rows = np.concatenate([x.row for x in allp])
        cols = np.concatenate([x.col for x in allp])
        stats = cv.RasterStats()
        cv.attach(allp, *self._band_values(rows, cols, c0, c1, whole, stats))
        joint, zone_area = {}, {}
        for key, B in layers.items():
            J = cv.joint_sums(V, B, self.vgeoms, self.rgeoms[key], self.n, nl)
            joint[key] = (J.pop, J.area)
            zone_area[key] = cv.layer_sums(B, nl)[1]
        return {"village": tuple(cv.layer_sums(V, self.n)), "joint": joint, "zone_area": zone_area, "stats": stats}

    def _band_values(self, rows, cols, c0, c1, whole, stats):
        """Raster values for the pieces of one band: read that band's full-height stripe only."""
        if self.src is None:
            z = np.zeros(len(rows))
            return z, z, z, z
        if whole:
            S, p, K, k, st = cv.gather(self.src, self.row_off, self.col_off, rows, cols)
            cv.merge_stats(stats, st)
            return S, p, K, k
        a = max(c0 - self.col_off, 0)
        b = min(c1 - self.col_off, self.src.width)
        if b <= a:  # the band lies beside the raster
            z = np.zeros(len(rows))
            return z, z, z, z
        stripe = cv.ArraySource(self.src.read_columns(a, b), self.src.nodata, self.src.name)
        S, p, K, k, st = cv.gather(stripe, self.row_off, self.col_off + a, rows, cols)
        cv.merge_stats(stats, st, col_shift=a)
        return S, p, K, k

    def _check_values(self, stats):
        if stats.negative_cells or stats.nan_cells:
            r, c = stats.first_bad
            what = []
            if stats.negative_cells:
                what.append(f"{stats.negative_cells} negative")
            if stats.nan_cells:
                what.append(f"{stats.nan_cells} NaN")
            raise RiskOneMapError(f"{' and '.join(what)} population cells (first at row {r}, column {c}); "
                                  f"set them to nodata or to 0", file=self.src.name)

    def _fast(self) -> dict:
        """Cell centres, column band by column band like the exact mode (crossings are local to a column)."""
        H = self.grid.height
        nl = len(LEVELS)
        A = self.cell_area
        Ev = cv.Edges.of(self.vgeoms, np.arange(1, self.n + 1))
        Ez = {k: cv.Edges.of(g, levels) for k, (g, levels) in self.rgeoms.items()}
        vsum = [np.zeros(self.n + 1) for _ in range(3)]
        joint = {k: [np.zeros((self.n + 1, nl + 1)) for _ in range(3)] for k in Ez}
        zone_cells = {k: np.zeros(nl + 1) for k in Ez}
        stats = cv.RasterStats()
        self.overlap = 0
        bands = cv.column_bands(self.grid, self.col_off, self.src)
        for bi, (c0, c1) in enumerate(bands):
            whole = len(bands) == 1
            lim = (None, None) if whole else (c0, c1)
            cvb = Ev.crossings(H, *lim)
            cz = {k: e.crossings(H, *lim) for k, e in Ez.items()}
            allc = [cvb] + list(cz.values())
            rows = np.concatenate([cv.centre_rows(c.r) for c in allc])
            cols = np.concatenate([c.col for c in allc])
            S, _, K, _ = self._band_values(rows, cols, c0, c1, whole, stats)
            parts, at = [], 0
            for c in allc:
                parts.append((S[at:at + len(c.col)], K[at:at + len(c.col)]))
                at += len(c.col)
            self.overlap += cv.overlap_cells(cvb)
            for acc, v in zip(vsum, cv.fast_layer_sums(cvb, self.n, *parts[0])):
                acc += v
            for i, (key, c) in enumerate(cz.items()):
                levels = cv.highest_level_labels(c, nl)
                for acc, v in zip(joint[key], cv.fast_joint(cvb, parts[0][0], parts[0][1], c, parts[i + 1][0],
                                                             parts[i + 1][1], self.n, nl, labels_b=levels)):
                    acc += v
                zone_cells[key] += cv.fast_layer_sums(c, nl, *parts[i + 1], labels=levels)[1]
            self.steps.sub((bi + 1) / len(bands))
        self._check_values(stats)
        self.steps.next()
        out = {"village": (vsum[0], vsum[1] * A, vsum[2] * A),
               "joint": {k: (j[0], j[1] * A, j[2] * A) for k, j in joint.items()},
               "zone_area": {k: np.concatenate([[0.0], z[1:]]) * A for k, z in zone_cells.items()},
               "raster_stats": stats if self.src else None, "overlap_cells": self.overlap, "cell_area": A}
        exact_area = shapely.area(np.asarray(self.villages.geometry.values, dtype=object))
        rel = np.abs(out["village"][1][1:] - exact_area) / np.maximum(exact_area, 1e-12)
        out["fast_error"] = {"max_rel_area_error": float(rel.max()) if len(rel) else 0.0,
                             "mean_rel_area_error": float(rel.mean()) if len(rel) else 0.0}
        return out
