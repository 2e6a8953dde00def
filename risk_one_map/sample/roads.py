"""The road network, grown the way mountain roads were built: down the main valley first, then out to every place.

1. the county road runs along the main river from where it enters the county, through the county seat, to where
   it leaves;
2. township roads join each township seat to the network; 3. village roads join every village centre and larger
   hamlet; 4. footpaths join the small hamlets.
Each new road is the cheapest route (steep ground and the flood plain cost more, crossing the main river costs a
bridge) from its place to the nearest road already built (one multi-source Dijkstra per stage), so the network is
connected by construction. Roads are then cut at every junction and change of kind, so line ends meet exactly.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from ..layers import model
from . import names
from .admin import Admin
from .grid import grid_graph, trace
from .settlement import Settlement
from .terrain import Terrain

KIND_RANK = {"county": 0, "township": 1, "village": 2, "path": 3}
SMALL_HAMLET = 25  # households: below this a hamlet is reached by a footpath only


def make_roads(terrain: Terrain, admin: Admin, settlement: Settlement, river_name: str, crs,
               rng: np.random.Generator) -> gpd.GeoDataFrame:
    work = terrain.work
    graph = _cost_graph(terrain, admin)
    edges: dict = {}  # (cell a, cell b) -> (kind, name)
    on_network = np.zeros(work.size, bool)

    def add(path, kind, name):
        for a, b in zip(path[:-1], path[1:]):
            key = (min(a, b), max(a, b))
            if key not in edges or KIND_RANK[kind] < KIND_RANK[edges[key][0]]:
                edges[key] = (kind, name)
        on_network[path] = True

    seat = int(work.flat(*admin.centres[admin.seat]))
    entry, exit_ = _river_ends(terrain, admin)
    _, pred = dijkstra(graph, directed=False, indices=seat, return_predecessors=True)
    county_name = f"{names.short(river_name)}沿河公路（X{int(rng.integers(101, 400))}）"
    for end in (entry, exit_):
        add(trace(pred, end), "county", county_name)

    seats = [int(s) for s in admin.township_seats if int(s) != admin.seat]
    town_names = admin.townships["name"].to_numpy()
    targets = [(int(work.flat(*admin.centres[s])), "township",
                f"{names.short(town_names[t])}公路（Y{100 + t:03d}）") for t, s in enumerate(admin.township_seats)
               if int(s) in seats]
    _connect(graph, on_network, targets, add)

    vnames = admin.villages["name"].to_numpy()
    targets = [(int(work.flat(*admin.centres[v])), "village", f"{names.short(vnames[v])}进村路")
               for v in range(len(vnames))]
    _connect(graph, on_network, targets, add)
    hamlets = settlement.hamlets[~settlement.hamlets["main"]]
    targets = []
    for hx, hy, v, n_h in hamlets[["x", "y", "village", "households"]].itertuples(index=False):
        kind = "village" if n_h >= SMALL_HAMLET else "path"
        suffix = "村道" if kind == "village" else "小路"
        targets.append((int(work.flat(hx, hy)), kind, f"{names.short(vnames[int(v)])}{suffix}"))
    _connect(graph, on_network, targets, add)
    return _to_lines(work, edges, crs)


def _cost_graph(terrain: Terrain, admin: Admin):
    """Cost per metre of building/using a road: steep ground, the flood plain and bridges cost more."""
    tan = np.tan(np.radians(terrain.work_slope))
    cost = 1.0 + 30.0 * tan ** 2
    cost += np.where(terrain.work_hand < 2.0, 2.0, 0.0)
    river = np.zeros(terrain.work.shape, bool)
    x, y = np.asarray(terrain.river.coords).T
    x_min, y_min, x_max, y_max = terrain.work.bounds
    ok = (x > x_min) & (x < x_max) & (y > y_min) & (y < y_max)
    river[terrain.work.rc(x[ok], y[ok])] = True
    cost[river] += 40.0  # a bridge: built only where it saves a long way round
    return grid_graph(cost, terrain.work.cell, valid=admin.mask, eight=True)


def _river_ends(terrain: Terrain, admin: Admin):
    """The first and last work cells of the main river inside the county (where the county road starts and ends)."""
    work = terrain.work
    x, y = np.asarray(terrain.river.coords).T
    x_min, y_min, x_max, y_max = work.bounds
    ok = (x > x_min) & (x < x_max) & (y > y_min) & (y < y_max)
    cells = work.flat(x[ok], y[ok])
    inside = cells[admin.mask.ravel()[cells]]
    return int(inside[0]), int(inside[-1])


def _connect(graph, on_network, targets, add) -> None:
    """Join each target to the network by its cheapest route (one Dijkstra from every network cell at once)."""
    sources = np.flatnonzero(on_network)
    _, pred, _ = dijkstra(graph, directed=False, indices=sources, min_only=True, return_predecessors=True)
    for cell, kind, name in targets:
        if on_network[cell]:
            continue
        path = trace(pred, cell, stop=on_network)
        add(path, kind, name)
        # later targets may join this new road: mark it, the predecessor tree still leads back to the network
        on_network[path] = True


def _to_lines(work, edges: dict, crs) -> gpd.GeoDataFrame:
    """Cut the cell graph into lines at junctions, dead ends and changes of kind; smooth them, ends fixed."""
    neighbours: dict = {}
    for (a, b) in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)

    def is_break(node):
        nb = neighbours[node]
        if len(nb) != 2:
            return True
        k1 = edges[(min(node, nb[0]), max(node, nb[0]))]
        k2 = edges[(min(node, nb[1]), max(node, nb[1]))]
        return k1 != k2

    seen = set()
    chains = []
    for start in sorted(neighbours):
        if not is_break(start):
            continue
        for nxt in sorted(neighbours[start]):
            key = (min(start, nxt), max(start, nxt))
            if key in seen:
                continue
            chain = [start, nxt]
            seen.add(key)
            while not is_break(chain[-1]):
                a, b = neighbours[chain[-1]]
                step = b if a == chain[-2] else a
                seen.add((min(chain[-1], step), max(chain[-1], step)))
                chain.append(step)
            chains.append((chain, edges[key]))
    rows, geoms = [], []
    for i, (chain, (kind, name)) in enumerate(chains):
        x, y = work.xy(*np.unravel_index(np.asarray(chain), work.shape))
        # straighten the cell staircase (ends kept), then round the corners: a road, not a chain of pixels
        line = shapely.simplify(LineString(np.column_stack([x, y])), 0.75 * work.cell)
        geoms.append(LineString(_chaikin(shapely.get_coordinates(line), 3)))
        rows.append({"id": f"R{i + 1:05d}", "kind": kind, "name": name, "walkable": 1,
                     "drive_kmh": model.ROAD_DRIVE_KMH[kind]})
    roads = gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)
    roads["geometry"] = shapely.simplify(roads.geometry.to_numpy(), 0.05 * work.cell)
    order = np.lexsort((roads["id"].to_numpy(), roads["kind"].map(KIND_RANK).to_numpy()))
    roads = roads.iloc[order].reset_index(drop=True)
    roads["id"] = [f"R{i + 1:05d}" for i in range(len(roads))]
    return roads


def _chaikin(coords: np.ndarray, iterations: int) -> np.ndarray:
    """Corner cutting that keeps the two end points exactly where they are (junctions must still meet)."""
    for _ in range(iterations):
        if len(coords) < 3:
            return coords
        q = 0.75 * coords[:-1] + 0.25 * coords[1:]
        r = 0.25 * coords[:-1] + 0.75 * coords[1:]
        inner = np.empty((2 * (len(coords) - 1), 2))
        inner[0::2], inner[1::2] = q, r
        coords = np.vstack([coords[:1], inner[1:-1], coords[-1:]])
    return coords
