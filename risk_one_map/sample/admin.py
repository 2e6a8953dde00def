"""County and villages: where the villages sit and the boundaries between them.

Villages sit where people settle in the mountains: flat valley floors above the flood plain, near a stream.
Their boundaries follow the ridges, as real ones do: every work cell of the county belongs to the village it is
cheapest to walk to (a multi-source Dijkstra where climbing costs more than walking on the flat), and the cells are
vectorised and simplified as one coverage, so villages tile townships and townships tile the county exactly.
The county seat's nearest villages are urban communities (社区); townships, names and codes: townships.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from rasterio import features
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Polygon

from ..errors import RiskOneMapError
from .grid import Grid, grid_graph, largest_component, polygonise
from .terrain import Terrain
from .townships import group_townships, register


@dataclass
class Admin:
    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame  # model fields + population fields filled in by settlement
    label: np.ndarray  # work grid: village row index, -1 outside the county
    mask: np.ndarray  # work grid: inside the county
    centres: np.ndarray  # (n, 2) village centres (the seed cells: where the village committee sits)
    township_of: np.ndarray  # township row index of each village
    township_seats: np.ndarray  # village row index of each township's seat
    is_community: np.ndarray
    seat: int  # village row of the county seat
    county_code: str
    county_name: str
    work: Grid = None

    def village_at(self, x, y) -> np.ndarray:
        """Row of the village whose polygon contains each point (-1 outside the county).

        The label raster proposes (the cell's village, then its neighbours') and the polygon decides, so the
        answer agrees with a vector point-in-polygon test at a fraction of the cost of trying every village.
        """
        x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
        if getattr(self, "_polys", None) is None or len(self._polys) != len(self.villages):
            self._polys = self.villages.geometry.to_numpy()
            shapely.prepare(self._polys)
        polys = self._polys
        found = np.full(len(x), -1, dtype=np.int64)
        finite = np.isfinite(x) & np.isfinite(y)
        found[~finite] = -2  # no point: skipped below, reported as -1
        r, c = self.work.rc(np.where(finite, x, self.work.x0), np.where(finite, y, self.work.y1))
        for dr, dc in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
            todo = np.flatnonzero(found < 0)
            if not len(todo):
                break
            rr = np.clip(r[todo] + dr, 0, self.work.rows - 1)
            cc = np.clip(c[todo] + dc, 0, self.work.cols - 1)
            guess = self.label[rr, cc]
            ok = guess >= 0
            hit = np.zeros(len(todo), bool)
            hit[ok] = shapely.contains_xy(polys[guess[ok]], x[todo][ok], y[todo][ok])
            found[todo[hit]] = guess[hit]
        return np.maximum(found, -1)


def county_outline(centre, radius: float, rng: np.random.Generator) -> Polygon:
    """An irregular county shape: a circle whose radius wobbles with a few random harmonics."""
    theta = np.linspace(0.0, 2 * np.pi, 1440, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 16):  # lobes and bays of every size, as where a boundary follows ridges and streams
        r += rng.uniform(0.02, 0.14) / k ** 0.9 * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    jag = ndimage.gaussian_filter1d(rng.standard_normal(theta.size), 6, mode="wrap")
    r += 0.025 * jag / (jag.std() or 1.0)
    r = np.clip(r, 0.45, None)
    r *= radius / np.sqrt(np.mean(r ** 2))  # keep the area close to pi * radius²
    return Polygon(np.column_stack([centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)]))


def make_admin(terrain: Terrain, outline: Polygon, n_villages: int, rng: np.random.Generator) -> Admin:
    work = terrain.work
    mask = ~features.geometry_mask([outline], work.shape, work.transform)
    mask = largest_component(mask)
    suit = settlement_suitability(terrain)
    seat = _county_seat(terrain, mask, suit)
    n_comm = (2 if n_villages < 24 else 3) + min(5, n_villages // 200)
    cells = _place_villages(work, mask, suit, seat, n_villages, n_comm, rng)
    label = _partition(terrain, mask, cells)
    polygons = _vectorise(work, label, mask, len(cells))
    centres = np.column_stack(work.xy(*np.unravel_index(cells, work.shape)))
    is_comm = np.zeros(len(cells), bool)
    is_comm[:n_comm] = True
    township_of, seats = group_townships(label, centres, n_villages, n_comm, rng)
    reg = register(polygons, centres, township_of, seats, is_comm, rng)
    new_index = np.empty(len(reg.order) + 1, dtype=np.int64)  # old village index -> row; the extra slot maps -1
    new_index[reg.order] = np.arange(len(reg.order))
    new_index[-1] = -1
    return Admin(county=reg.county, townships=reg.townships, villages=reg.villages, label=new_index[label],
                 mask=mask, centres=centres[reg.order], township_of=reg.township_of, township_seats=reg.seats,
                 is_community=is_comm[reg.order], seat=int(new_index[0]), county_code=reg.county_code,
                 county_name=reg.county_name, work=work)


def settlement_suitability(terrain: Terrain) -> np.ndarray:
    """0..1 per work cell: flat, above the flood plain but not high on the slopes, near a stream, low down."""
    slope, hand = terrain.work_slope, terrain.work_hand
    flat = np.exp(-(slope / 9.0) ** 2)
    above_flood = np.where(hand < 3.0, 0.15, np.exp(-np.clip(hand - 35.0, 0, None) / 30.0))
    near_water = np.exp(-terrain.work_stream_dist / 700.0) + 0.15
    low = np.exp(-(terrain.work_dem - terrain.work_dem.min()) / 700.0)
    return flat * above_flood * near_water * low


def _county_seat(terrain: Terrain, mask, suit) -> int:
    """The widest, lowest flat reach of the main river valley, well inside the county: where a county town grows."""
    work = terrain.work
    inner = ndimage.distance_transform_edt(mask) * work.cell
    river = np.zeros(work.shape, bool)
    x, y = np.asarray(terrain.river.coords).T
    x_min, y_min, x_max, y_max = work.bounds
    ok = (x > x_min) & (x < x_max) & (y > y_min) & (y < y_max)
    river[work.rc(x[ok], y[ok])] = True
    near_river = ndimage.distance_transform_edt(~river) * work.cell
    broad = ndimage.uniform_filter(np.exp(-(terrain.work_slope / 6.0) ** 2), 9)
    low = np.exp(-(terrain.work_dem - terrain.work_dem[mask].min()) / 150.0)  # towns grow where the valley opens out
    score = np.where(mask & (near_river < 1500) & (inner > 0.25 * inner.max()), suit * broad * low, -1.0)
    return int(np.argmax(score))


def _place_villages(work: Grid, mask, suit, seat: int, n: int, n_comm: int, rng) -> np.ndarray:
    """Village seed cells: the county seat, its communities close by, then villages spaced over good sites.

    Candidates are drawn by weighted random order (key u^(1/w), Efraimidis-Spirakis) and kept if no village is
    within the spacing; the spacing shrinks if the sites run out before ``n`` villages are placed.
    """
    inner = ndimage.binary_erosion(mask, iterations=2)
    flat_idx = np.flatnonzero(inner.ravel() & (suit.ravel() > 1e-4))
    weight = suit.ravel()[flat_idx] ** 1.5
    key = np.log(rng.random(len(flat_idx))) / weight
    cand = flat_idx[np.argsort(-key, kind="stable")]
    cx, cy = work.xy(*np.unravel_index(cand, work.shape))
    sx, sy = work.xy(*np.unravel_index(seat, work.shape))
    area = mask.sum() * work.cell ** 2
    spacing = 0.62 * np.sqrt(area / n)
    chosen = [seat]
    pts = [(sx, sy)]
    d_seat = np.hypot(cx - sx, cy - sy)
    comm_spacing = min(900.0, 0.45 * spacing)
    for i in np.flatnonzero((d_seat > comm_spacing) & (d_seat < 2.6 * comm_spacing)):  # communities: the town
        if len(chosen) >= n_comm or len(chosen) >= n:
            break
        if all(np.hypot(cx[i] - px, cy[i] - py) >= comm_spacing for px, py in pts):
            chosen.append(int(cand[i]))
            pts.append((cx[i], cy[i]))
    while len(chosen) < n_comm and len(chosen) < n:  # a cramped valley: take the next best sites
        i = int(np.argmin(np.where(np.isin(cand, chosen), np.inf, d_seat)))
        chosen.append(int(cand[i]))
        pts.append((cx[i], cy[i]))
    taken = set(chosen)
    while len(chosen) < n:
        buckets: dict = {}
        for px, py in pts:
            buckets.setdefault((int(px // spacing), int(py // spacing)), []).append((px, py))
        for i in range(len(cand)):
            if len(chosen) >= n:
                break
            c = int(cand[i])
            if c in taken:
                continue
            bx, by = int(cx[i] // spacing), int(cy[i] // spacing)
            near = any(np.hypot(cx[i] - px, cy[i] - py) < spacing
                       for dx in (-1, 0, 1) for dy in (-1, 0, 1) for px, py in buckets.get((bx + dx, by + dy), ()))
            if near:
                continue
            chosen.append(c)
            taken.add(c)
            pts.append((cx[i], cy[i]))
            buckets.setdefault((bx, by), []).append((cx[i], cy[i]))
        spacing *= 0.85
        if spacing < work.cell * 1.5:
            raise RiskOneMapError(f"the sample county has room for only {len(chosen)} villages, not {n}")
    return np.asarray(chosen, dtype=np.int64)


def _partition(terrain: Terrain, mask, cells) -> np.ndarray:
    """Each county cell goes to the village cheapest to reach on foot: borders fall on ridges."""
    work = terrain.work
    cost = 1.0 + 6.0 * np.tan(np.radians(terrain.work_slope))
    graph = grid_graph(cost, work.cell, valid=mask, eight=False)
    _, _, source = dijkstra(graph, directed=False, indices=cells, min_only=True, return_predecessors=True)
    owner = np.full(work.size, -1, dtype=np.int64)
    reached = source >= 0
    lookup = {int(c): i for i, c in enumerate(cells)}
    owner[reached] = np.vectorize(lookup.__getitem__, otypes=[np.int64])(source[reached])
    return owner.reshape(work.shape)


def _vectorise(work: Grid, label, mask, n: int) -> np.ndarray:
    """Village polygons from the label raster, simplified together so that they still tile the county."""
    geoms, values = polygonise(label, work, mask, smooth=4)
    parts = [[] for _ in range(n)]
    for geom, value in zip(geoms, values):
        parts[value].append(geom)
    return np.array([shapely.union_all(p) if len(p) > 1 else p[0] for p in parts], dtype=object)
