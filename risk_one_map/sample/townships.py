"""Townships, names and codes: villages grouped around township seats, then everything named and coded.

Codes follow the NBS 统计用区划代码 layout: county = 6-digit county code + 000000; township = county6 + 3 digits + 000
(镇 1xx, 乡 2xx where the counts allow, else 001..); village = township9 + 3 digits (社区 0xx, 村 2xx). The township
holding the county seat is 城关镇, its seat the county town's first community, 城关社区.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from ..errors import RiskOneMapError
from . import names

CITY_CODE = "130600000000"  # the (fictional county's) parent prefecture: 保定市, mountainous Taihang foothills


def group_townships(label, centres, n_villages: int, n_comm: int, rng):
    """Group villages into townships around seats placed by k-means. Village 0 (the county seat) is a seat;
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
    return _grow_townships(label, centres, seats), seats


def _grow_townships(label, centres, seats) -> np.ndarray:
    """Each township grows from its seat over neighbouring villages, nearest first, until it holds its share
    (a fifth above the average); a village every neighbour of which is full joins one anyway in a second round.
    Growing only through neighbours keeps every township in one piece; the share keeps them comparable in size.
    """
    n, n_town = len(centres), len(seats)
    a = np.concatenate([label[:, :-1].ravel(), label[:-1, :].ravel()])
    b = np.concatenate([label[:, 1:].ravel(), label[1:, :].ravel()])
    pair = (a != b) & (a >= 0) & (b >= 0)
    pairs = np.unique(np.concatenate([a[pair] * n + b[pair], b[pair] * n + a[pair]]))
    neighbours = [[] for _ in range(n)]
    for p, q in zip(pairs // n, pairs % n):
        neighbours[int(p)].append(int(q))
    owner = np.full(n, -1, dtype=np.int64)
    count = np.zeros(n_town, dtype=np.int64)

    def grow(heap, cap):
        while heap:
            _, t, v = heapq.heappop(heap)
            if owner[v] >= 0 or count[t] >= cap:
                continue
            owner[v] = t
            count[t] += 1
            for u in neighbours[v]:
                if owner[u] < 0:
                    heapq.heappush(heap, (float(np.hypot(*(centres[u] - centres[seats[t]]))), t, u))

    grow([(0.0, t, int(s)) for t, s in enumerate(seats)], cap=int(np.ceil(1.2 * n / n_town)))
    while (owner < 0).any():  # leftovers: join the nearest township next door, whatever its size
        heap = [(float(np.hypot(*(centres[u] - centres[seats[owner[v]]]))), int(owner[v]), u)
                for u in np.flatnonzero(owner < 0) for v in neighbours[u] if owner[v] >= 0]
        if not heap:  # cut off from every township (cannot happen on one connected county): the nearest seat
            u = int(np.flatnonzero(owner < 0)[0])
            owner[u] = int(np.argmin(np.hypot(*(centres[seats] - centres[u]).T)))
            continue
        heapq.heapify(heap)
        grow(heap, cap=n)
    return owner


@dataclass
class Register:
    """The named and coded administrative frames, villages in code order (``order``: old village index per row)."""
    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    order: np.ndarray
    township_of: np.ndarray  # township row of each village row
    seats: np.ndarray  # village row of each township's seat
    county_code: str
    county_name: str


def register(polygons, centres, township_of, seats, is_comm, rng) -> Register:
    """Names and 12-digit codes for the county, its townships and villages; rows sorted by code."""
    county6 = "1306" + f"{90 + int(rng.integers(0, 10)):02d}"  # 13069x: unused in Baoding's real list
    county_code = county6 + "000000"
    county_name = names.county_name(rng)
    n_town = len(seats)
    # the county seat township first, then the others outwards from it (a natural reading order for the codes)
    town_order = np.argsort(np.hypot(*(centres[seats] - centres[0]).T), kind="stable")
    kinds = ["镇"] + ["镇" if rng.random() < 0.65 else "乡" for _ in range(n_town - 1)]
    code3s = _township_numbers(kinds)
    used_towns: set = {"城关镇"}
    town_rows, village_rows, old_index = [], [], []
    town_row_of = np.empty(n_town, dtype=np.int64)
    for row, rank in enumerate(np.argsort(code3s, kind="stable")):  # rows in code order: 镇 1xx before 乡 2xx
        t, kind = town_order[rank], kinds[rank]
        town_code = f"{county6}{code3s[rank]:03d}000"
        town_name = "城关镇" if rank == 0 else names.township_name(rng, used_towns, kind)
        town_row_of[t] = row
        members = np.flatnonzero(township_of == t)
        seat = seats[t]
        # seat first, then villages outwards from it
        members = members[np.lexsort((np.hypot(*(centres[members] - centres[seat]).T), members != seat))]
        used: set = set()
        n_comm = n_vill = 0
        for v in members:
            if is_comm[v]:
                n_comm += 1
                code = f"{town_code[:9]}{n_comm:03d}"  # 社区 (居委会): 001..
                name = "城关社区" if v == 0 else names.community_name(rng, used)
                used.add(name)
            else:
                n_vill += 1
                if n_vill > 799:
                    raise RiskOneMapError(f"township {town_name} has more villages than codes 201..999 allow")
                code = f"{town_code[:9]}{200 + n_vill:03d}"  # 村 (村委会): 201..
                name = names.village_name(rng, used)
            old_index.append(int(v))
            village_rows.append({"code": code, "name": name, "parent_code": town_code})
        town_rows.append({"code": town_code, "name": town_name, "parent_code": county_code, "seat": int(seat)})
    order = np.asarray(old_index)
    row_of = np.empty(len(order), dtype=np.int64)
    row_of[order] = np.arange(len(order))
    vgeom = polygons[order]
    villages = gpd.GeoDataFrame(village_rows, geometry=list(vgeom))
    town_of_row = town_row_of[township_of[order]]
    townships = gpd.GeoDataFrame([{k: r[k] for k in ("code", "name", "parent_code")} for r in town_rows],
                                 geometry=[shapely.coverage_union_all(vgeom[town_of_row == t]) for t in range(n_town)])
    county = gpd.GeoDataFrame([{"code": county_code, "name": county_name, "parent_code": CITY_CODE}],
                              geometry=[shapely.coverage_union_all(vgeom)])
    return Register(county=county, townships=townships, villages=villages, order=order, township_of=town_of_row,
                    seats=np.array([row_of[r["seat"]] for r in town_rows]), county_code=county_code,
                    county_name=county_name)


def _township_numbers(kinds) -> list:
    """3-digit township numbers: 镇 101.., 乡 201.. (NBS practice) while they fit, else 001.. in order."""
    if kinds.count("镇") > 99 or kinds.count("乡") > 199:
        return list(range(1, len(kinds) + 1))
    counters = {"镇": 100, "乡": 200}
    numbers = []
    for kind in kinds:
        counters[kind] += 1
        numbers.append(counters[kind])
    return numbers
