"""County, townships and villages: where the villages sit, the boundaries between them, names and 12-digit codes.

Villages sit where people settle in the mountains: flat valley floors above the flood plain, near a stream.
Their boundaries follow the ridges, as real ones do: every work cell of the county belongs to the village it is
cheapest to walk to (a multi-source Dijkstra where climbing costs more than walking on the flat), and the cells are
vectorised and simplified as one coverage, so villages tile townships and townships tile the county exactly.
Townships group neighbouring villages around a seat; the county seat's township is 城关镇 and its nearest villages
are urban communities (社区).

Codes follow the NBS 统计用区划代码 layout: county = 6-digit county code + 000000; township = county6 + 3 digits + 000
(镇 1xx, 乡 2xx where the counts allow, else 001..); village = township9 + 3 digits (社区 0xx, 村 2xx).
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from rasterio import features
from scipy import ndimage, sparse
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Polygon

from . import names
from .grid import Grid, grid_graph, largest_component, polygonise
from .terrain import Terrain

CITY_CODE = "130600000000"  # the (fictional county's) parent prefecture: 保定市, mountainous Taihang foothills


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
        r += rng.uniform(0.02, 0.12) / k ** 0.55 * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r += 0.02 * ndimage.gaussian_filter1d(rng.standard_normal(theta.size), 4, mode="wrap") / 0.14
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
    township_of, seats = _townships(label, centres, n_villages, n_comm, rng)
    admin = _frames(polygons, label, mask, centres, township_of, seats, is_comm, rng)
    admin.work = work
    return admin


def settlement_suitability(terrain: Terrain) -> np.ndarray:
    """0..1 per work cell: flat, above the flood plain but not high on the slopes, near a stream, low down."""
    slope, hand = terrain.work_slope, terrain.work_hand
    flat = np.exp(-(slope / 9.0) ** 2)
    above_flood = np.where(hand < 3.0, 0.15, np.exp(-np.clip(hand - 35.0, 0, None) / 30.0))
    near_water = np.exp(-terrain.work_stream_dist / 700.0) + 0.15
    low = np.exp(-(terrain.work_dem - terrain.work_dem.min()) / 700.0)
    return flat * above_flood * near_water * low


def _county_seat(terrain: Terrain, mask, suit) -> int:
    """The widest flat reach of the main river valley, well inside the county: where a county town grows."""
    work = terrain.work
    inner = ndimage.distance_transform_edt(mask) * work.cell
    river = np.zeros(work.shape, bool)
    x, y = np.asarray(terrain.river.coords).T
    x_min, y_min, x_max, y_max = work.bounds
    ok = (x > x_min) & (x < x_max) & (y > y_min) & (y < y_max)
    river[work.rc(x[ok], y[ok])] = True
    near_river = ndimage.distance_transform_edt(~river) * work.cell
    broad = ndimage.uniform_filter(np.exp(-(terrain.work_slope / 6.0) ** 2), 9)
    score = np.where(mask & (near_river < 1500) & (inner > 0.25 * inner.max()), suit * broad, -1.0)
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
            raise ValueError(f"the county has room for only {len(chosen)} villages, not {n}")
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


def _townships(label, centres, n_villages: int, n_comm: int, rng):
    """Group villages into townships: seats by k-means, then each village to the nearest seat *through* neighbours
    (a Dijkstra on the village adjacency graph), so every township is one piece. Village 0 (the county seat) is a seat;
    the county town's other communities (villages 1..n_comm-1) never are.
    """
    n = len(centres)
    n_town = max(4, int(round(n_villages / 12.0)))
    centroids = centres[rng.choice(n, n_town, replace=False)]
    for _ in range(12):
        d = np.hypot(centres[:, None, 0] - centroids[None, :, 0], centres[:, None, 1] - centroids[None, :, 1])
        near = d.argmin(axis=1)
        for t in range(n_town):
            if np.any(near == t):
                centroids[t] = centres[near == t].mean(axis=0)
    d = np.hypot(centres[:, None, 0] - centroids[None, :, 0], centres[:, None, 1] - centroids[None, :, 1])
    seats = []
    for t in np.argsort(d[0]):  # the county seat's cluster first, so it keeps the county seat
        taken = np.isin(np.arange(n), seats) | (np.arange(n) < n_comm)
        free = np.where(taken, np.inf, d[:, t])
        seats.append(0 if not seats else int(np.argmin(free)))
    seats = np.asarray(seats)
    a = np.concatenate([label[:, :-1].ravel(), label[:-1, :].ravel()])
    b = np.concatenate([label[:, 1:].ravel(), label[1:, :].ravel()])
    pair = (a != b) & (a >= 0) & (b >= 0)
    a, b = a[pair], b[pair]
    w = np.hypot(*(centres[a] - centres[b]).T) + 1.0
    graph = sparse.coo_matrix((w, (a, b)), shape=(n, n)).tocsr()
    _, _, source = dijkstra(graph, directed=False, indices=seats, min_only=True, return_predecessors=True)
    seat_rank = {int(s): t for t, s in enumerate(seats)}
    township_of = np.array([seat_rank.get(int(s), 0) for s in source])
    return township_of, seats


def _frames(polygons, label, mask, centres, township_of, seats, is_comm, rng) -> Admin:
    county6 = "1306" + f"{90 + int(rng.integers(0, 10)):02d}"
    county_code = county6 + "000000"
    county_name = names.county_name(rng)
    n_town = len(seats)
    # the county seat township first, then the others outwards from it (a natural reading order for the codes)
    d_seat = np.hypot(*(centres[seats] - centres[0]).T)
    town_order = np.argsort(d_seat, kind="stable")
    kinds = ["镇"] + ["镇" if rng.random() < 0.65 else "乡" for _ in range(n_town - 1)]
    nbs_style = kinds.count("镇") <= 99 and kinds.count("乡") <= 199
    used_towns: set = {"城关镇"}
    town_rows, village_rows = [], []
    counters = {"镇": 100, "乡": 200}
    new_index = np.empty(len(centres), dtype=np.int64)
    new_town = np.empty(n_town, dtype=np.int64)
    code3s = []
    for rank in range(n_town):
        if nbs_style:
            counters[kinds[rank]] += 1
            code3s.append(counters[kinds[rank]])
        else:
            code3s.append(rank + 1)
    by_code = np.argsort(code3s, kind="stable")  # rows in code order: 镇 1xx before 乡 2xx
    for row, rank in enumerate(by_code):
        t, kind = town_order[rank], kinds[rank]
        town_code = f"{county6}{code3s[rank]:03d}000"
        town_name = "城关镇" if rank == 0 else names.township_name(rng, used_towns, kind)
        new_town[t] = row
        members = np.flatnonzero(township_of == t)
        seat = seats[t]
        # seat first, then communities, then villages outwards from the seat
        members = members[np.lexsort((np.hypot(*(centres[members] - centres[seat]).T), members != seat))]
        used: set = set()
        n_comm = n_vill = 0
        for v in members:
            if is_comm[v]:
                n_comm += 1
                code = f"{town_code[:9]}{n_comm:03d}"
                name = "城关社区" if v == 0 else names.community_name(rng, used)
                used.add(name)
            else:
                n_vill += 1
                code = f"{town_code[:9]}{200 + n_vill:03d}" if n_vill <= 799 else f"{town_code[:9]}{n_comm + n_vill:03d}"
                name = names.village_name(rng, used)
            new_index[v] = len(village_rows)
            village_rows.append({"code": code, "name": name, "parent_code": town_code, "_old": int(v)})
        town_rows.append({"code": town_code, "name": town_name, "parent_code": county_code, "_seat": int(seat)})
    order = np.array([r.pop("_old") for r in village_rows])
    vgeom = polygons[order]
    crs = None
    villages = gpd.GeoDataFrame(village_rows, geometry=list(vgeom), crs=crs)
    town_of_new = new_town[township_of[order]]
    tgeom = [shapely.coverage_union_all(vgeom[town_of_new == t]) for t in range(n_town)]
    seat_new = np.array([new_index[r.pop("_seat")] for r in town_rows])
    townships = gpd.GeoDataFrame(town_rows, geometry=tgeom, crs=crs)
    county = gpd.GeoDataFrame([{"code": county_code, "name": county_name, "parent_code": CITY_CODE}],
                              geometry=[shapely.coverage_union_all(vgeom)], crs=crs)
    relabel = np.full(len(order) + 1, -1, dtype=np.int64)
    relabel[:-1] = new_index
    new_label = np.where(label >= 0, relabel[label], -1)
    return Admin(county=county, townships=townships, villages=villages, label=new_label, mask=mask,
                 centres=centres[order], township_of=town_of_new, township_seats=seat_new,
                 is_community=is_comm[order], seat=int(new_index[0]), county_code=county_code,
                 county_name=county_name)
