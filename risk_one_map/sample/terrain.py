"""The sample county's terrain: a drainage network first, then hillslopes rising away from it.

Real mountain relief is organised by its rivers, so the DEM is built the way geomorphology reads it:
1. a main river crosses the area from the west-north-west to the east-south-east (the Yongding leaving the
   Western Hills is the model), with basins where its floor is wide and gorges where it is narrow;
2. tributaries form a tree over scattered nodes (a shortest-path tree on their Delaunay graph, rooted at the outlet),
   so they merge into each other and meet the main river at acute angles;
3. channel beds rise upstream more steeply the smaller the catchment (Flint's law: slope ~ area^-0.55);
4. every cell is as high as the cheapest climb from any channel bed (a Dijkstra over a slope field that is gentle on
   valley floors and steep on hillsides), so ridges form half-way between channels and the main river is always the
   lowest path;
5. fine noise for texture, and the river bed burnt in.
Mountains are higher and steeper to the north-west and lower to the south-east, elevations about 100-1500 m.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay
from shapely.geometry import LineString

from .grid import Grid, block_reduce, grid_graph, slope_degrees, smooth_noise, upsample, with_super_source

NODE_SPACING_M = 1200.0  # mean distance between drainage-tree nodes: sets the ridge-to-ridge spacing
OUTLET_ELEVATION_M = 110.0
MAJOR_STREAM_KM2 = 6.0  # catchment above which a gully counts for flash floods (HAND, flood zones)
MAP_STREAM_KM2 = 3.0  # streams drawn on maps


@dataclass
class Terrain:
    fine: Grid
    work: Grid
    k: int  # fine cells per work cell (per side)
    dem: np.ndarray  # fine, float32 metres
    slope: np.ndarray  # fine, degrees
    hand: np.ndarray  # fine, height above the nearest major stream (m)
    stream_dist: np.ndarray  # fine, distance to the nearest major stream (m)
    work_dem: np.ndarray
    work_slope: np.ndarray
    work_hand: np.ndarray
    work_stream_dist: np.ndarray
    river: LineString  # the main river, upstream to downstream
    river_floor_m: np.ndarray  # floor width at each vertex of ``river``
    streams: list  # [(LineString, catchment km²)] for maps, main river excluded
    mountain: np.ndarray  # work grid, 0..1: how mountainous (NW high, SE low)

    def refresh_fine_derivatives(self) -> None:
        """Recompute slope and the work-grid means after the DEM was edited (e.g. depressions carved)."""
        self.slope = slope_degrees(self.dem, self.fine.cell).astype(np.float32)
        self.work_dem = block_reduce(self.dem, self.k)
        self.work_slope = block_reduce(self.slope, self.k)


def make_terrain(work: Grid, k: int, centre: tuple, radius: float, rng: np.random.Generator) -> Terrain:
    fine = work.refine(k)
    mountain = _mountain_factor(work, centre, radius, rng)
    river, river_s = _main_river(work, centre, radius, rng)
    river_floor = _river_floor_widths(river_s, rng)
    nodes, parent, order, area, is_river = _drainage_tree(work, river, rng)
    z = _bed_elevations(work, nodes, parent, order, area, is_river, mountain, rng)
    bed_z, floor_w, streams, major_pts = _rasterise_channels(work, nodes, parent, area, is_river, z, river,
                                                             river_s, river_floor, rng)
    work_z = _hillslopes(work, bed_z, floor_w, mountain, rng)
    dem, river_cells = _fine_dem(fine, k, work_z, river, rng)
    slope = slope_degrees(dem, fine.cell).astype(np.float32)
    hand, dist = _height_above_streams(fine, dem, major_pts, river_cells)
    return Terrain(fine=fine, work=work, k=k, dem=dem, slope=slope, hand=hand, stream_dist=dist,
                   work_dem=block_reduce(dem, k), work_slope=block_reduce(slope, k), work_hand=block_reduce(hand, k),
                   work_stream_dist=block_reduce(dist, k, "min"), river=river,
                   river_floor_m=river_floor, streams=streams, mountain=mountain)


# ------------------------------------------------------------------------------------------------ building blocks
def _mountain_factor(work: Grid, centre, radius, rng) -> np.ndarray:
    """0.45 (hills, south-east) .. 1 (high mountains, north-west), with a wobble so the front is not straight."""
    xs, ys = work.centres()
    u = ((xs - centre[0]) * -0.7071 + (ys - centre[1]) * 0.7071) / radius
    wobble = smooth_noise(rng, work.shape, sigma=max(2.0, 0.35 * radius / work.cell))
    return 0.45 + 0.55 / (1.0 + np.exp(-(2.4 * u + 0.7 * wobble)))


def _main_river(work: Grid, centre, radius, rng):
    """A meandering line from beyond the west edge to beyond the east edge, through the county's middle."""
    x_min, _, x_max, _ = work.bounds
    tilt = rng.uniform(0.15, 0.4) * radius
    p0 = np.array([x_min - 3000.0, centre[1] + tilt])
    p1 = np.array([x_max + 3000.0, centre[1] - tilt])
    length = float(np.hypot(*(p1 - p0)))
    t = np.linspace(0.0, 1.0, int(length / 40.0) + 2)
    normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / length
    offset = np.zeros_like(t)
    for harmonic in range(1, 9):  # long bends
        amplitude = 0.045 * length / harmonic ** 1.3 * rng.uniform(0.4, 1.0)
        offset += amplitude * np.sin(np.pi * harmonic * t + rng.uniform(0, 2 * np.pi))
    # incised meanders: smoothed noise (not a sine) so bends differ in size, as in a real mountain valley
    step = length / (len(t) - 1)
    wiggle = ndimage.gaussian_filter1d(rng.standard_normal(len(t)), sigma=450.0 / step, mode="nearest")
    offset += 380.0 * wiggle / (wiggle.std() or 1.0)
    bends = ndimage.gaussian_filter1d(rng.standard_normal(len(t)), sigma=160.0 / step, mode="nearest")
    offset += 90.0 * bends / (bends.std() or 1.0)
    mid = len(t) // 2
    offset -= offset[mid] - rng.uniform(-0.1, 0.1) * radius  # pass close to the centre: the county seat's basin
    pts = p0 + t[:, None] * (p1 - p0) + offset[:, None] * normal
    river = LineString(pts)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    return river, s


def _river_floor_widths(s: np.ndarray, rng) -> np.ndarray:
    """Valley-floor width along the main river: basins of 0.5-1 km alternating with gorges of ~100 m."""
    step = 40.0
    n = len(s)
    noise = ndimage.gaussian_filter1d(rng.standard_normal(n), sigma=2500.0 / step, mode="nearest")
    noise /= noise.std() or 1.0
    return 110.0 + 850.0 * np.clip((noise + 0.4) / 1.8, 0.0, 1.0) ** 1.4


def _drainage_tree(work: Grid, river: LineString, rng):
    """Nodes on a jittered lattice plus nodes along the river; parent of each node on its way to the outlet."""
    x_min, y_min, x_max, y_max = work.bounds
    S = NODE_SPACING_M
    gx, gy = np.meshgrid(np.arange(x_min - S, x_max + S, S), np.arange(y_min - S, y_max + S, S))
    pts = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-0.38 * S, 0.38 * S, (gx.size, 2))
    # the river splits the area in two: side labels of the land on each bank (an 8-connected line blocks 4-connectivity)
    river_mask = np.zeros(work.shape, bool)
    rx, ry = _densify(np.asarray(river.coords), work.cell / 2.0)
    inside = (rx > x_min) & (rx < x_max) & (ry > y_min) & (ry < y_max)
    river_mask[work.rc(rx[inside], ry[inside])] = True
    near_river = ndimage.distance_transform_edt(~river_mask) * work.cell
    side, _ = ndimage.label(~river_mask)
    pts = pts[work.sample(near_river, pts[:, 0], pts[:, 1]) > 0.5 * S]
    r_pts = shapely.get_coordinates(shapely.line_interpolate_point(river, np.arange(0.0, river.length, S / 2.0)))
    nodes = np.vstack([r_pts, pts])
    n_river = len(r_pts)
    is_river = np.zeros(len(nodes), bool)
    is_river[:n_river] = True

    tri = Delaunay(nodes)
    edges = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [2, 0]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    a, b = edges[:, 0], edges[:, 1]
    both_land = ~is_river[a] & ~is_river[b]
    side_a = work.sample(side, nodes[a, 0], nodes[a, 1])
    side_b = work.sample(side, nodes[b, 0], nodes[b, 1])
    keep = (both_land & (side_a == side_b)) | (is_river[a] ^ is_river[b])
    edges = edges[keep]
    chain = np.column_stack([np.arange(n_river - 1), np.arange(1, n_river)])
    length = np.hypot(*(nodes[edges[:, 0]] - nodes[edges[:, 1]]).T)
    roughness = smooth_noise(rng, work.shape, sigma=max(1.5, 2500.0 / work.cell))
    mid = 0.5 * (nodes[edges[:, 0]] + nodes[edges[:, 1]])
    weight = length * np.exp(0.45 * work.sample(roughness, mid[:, 0], mid[:, 1]))
    # Going down the main river costs half as much as crossing land, so tributaries join it at ~60 degrees, downstream.
    weight = np.concatenate([weight, 0.5 * np.hypot(*(nodes[chain[:, 0]] - nodes[chain[:, 1]]).T)])
    edges = np.vstack([edges, chain])
    from scipy.sparse import coo_matrix
    graph = coo_matrix((weight, (edges[:, 0], edges[:, 1])), shape=(len(nodes), len(nodes))).tocsr()
    outlet = n_river - 1
    dist, pred = dijkstra(graph, directed=False, indices=outlet, return_predecessors=True)
    reached = np.isfinite(dist)
    order = np.argsort(dist, kind="stable")
    order = order[reached[order]]
    area = np.where(reached, NODE_SPACING_M ** 2 / 1e6, 0.0)  # km² each node drains by itself
    for node in order[::-1]:  # upstream first: hand each node's catchment to its parent
        p = pred[node]
        if p >= 0:
            area[p] += area[node]
    pred = np.where(reached, pred, -9999)
    return nodes, pred, order, area, is_river


def _bed_elevations(work, nodes, parent, order, area, is_river, mountain, rng) -> np.ndarray:
    """Channel-bed elevation of each node: the river falls gently to the outlet, gullies climb by Flint's law."""
    z = np.full(len(nodes), np.nan)
    n_river = int(is_river.sum())
    s_nodes = np.arange(n_river) * NODE_SPACING_M / 2.0
    gradient = rng.uniform(0.0025, 0.0035)
    z[:n_river] = OUTLET_ELEVATION_M + gradient * (s_nodes[-1] - s_nodes)
    mf = work.sample(mountain, nodes[:, 0], nodes[:, 1])
    jitter = np.exp(0.2 * rng.standard_normal(len(nodes)))
    for node in order:
        if is_river[node]:
            continue
        p = parent[node]
        step = float(np.hypot(*(nodes[node] - nodes[p]))) * 1.1  # beds wind: ~10 % longer than the chord
        bed_slope = (0.006 + 0.075 * area[node] ** -0.55) * (0.25 + mf[node]) * jitter[node]
        z[node] = z[p] + step * bed_slope
    return z


def _densify(coords: np.ndarray, step: float):
    seg = np.diff(coords, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    s = np.concatenate([[0.0], np.cumsum(seg_len)])
    t = np.arange(0.0, s[-1] + step, step)
    return np.interp(t, s, coords[:, 0]), np.interp(t, s, coords[:, 1])


def _rasterise_channels(work: Grid, nodes, parent, area, is_river, z, river, river_s, river_floor, rng):
    """Burn channel beds into the work grid (min bed elevation, max floor width per cell).

    Each tree edge is drawn as a quadratic Bézier curve with a sideways bow so gullies are not ruler-straight.
    Returns the bed raster, the floor-width raster, map streams and the points of major streams (for HAND).
    """
    shape = work.shape
    bed = np.full(work.size, np.inf)
    width = np.zeros(work.size)
    children = np.flatnonzero((parent >= 0) & ~is_river)
    p = parent[children]
    a, b = nodes[children], nodes[p]
    chord = b - a
    length = np.hypot(chord[:, 0], chord[:, 1])
    normal = np.column_stack([-chord[:, 1], chord[:, 0]]) / np.maximum(length, 1.0)[:, None]
    ctrl = 0.5 * (a + b) + normal * (rng.normal(0.0, 0.18, len(children)) * length)[:, None]
    n_t = int(np.ceil(2.5 * NODE_SPACING_M / (work.cell / 2.0))) + 1
    t = np.linspace(0.0, 1.0, n_t)[None, :, None]
    curve = (1 - t) ** 2 * a[:, None, :] + 2 * (1 - t) * t * ctrl[:, None, :] + t ** 2 * b[:, None, :]
    zc = (1 - t[..., 0]) * z[children][:, None] + t[..., 0] * z[p][:, None]
    wc = np.broadcast_to((15.0 + 28.0 * np.sqrt(area[children]))[:, None], zc.shape)
    xs, ys = curve[..., 0].ravel(), curve[..., 1].ravel()
    x_min, y_min, x_max, y_max = work.bounds
    inside = (xs > x_min) & (xs < x_max) & (ys > y_min) & (ys < y_max)
    idx = work.flat(xs[inside], ys[inside])
    np.minimum.at(bed, idx, zc.ravel()[inside])
    np.maximum.at(width, idx, wc.ravel()[inside])

    # main river: its own dense line, with basins and gorges
    rx, ry = np.asarray(river.coords).T
    rz = np.interp(river_s, np.arange(int(is_river.sum())) * NODE_SPACING_M / 2.0, z[:int(is_river.sum())])
    inside = (rx > x_min) & (rx < x_max) & (ry > y_min) & (ry < y_max)
    idx = work.flat(rx[inside], ry[inside])
    np.minimum.at(bed, idx, rz[inside])
    np.maximum.at(width, idx, river_floor[inside])

    major = area[children] >= MAJOR_STREAM_KM2
    major_pts = (curve[major].reshape(-1, 2), zc[major].ravel())
    streams = [(LineString(c), float(ar)) for c, ar in zip(curve[area[children] >= MAP_STREAM_KM2],
                                                           area[children][area[children] >= MAP_STREAM_KM2])]
    return bed.reshape(shape), width.reshape(shape), streams, major_pts


def _hillslopes(work: Grid, bed, floor_w, mountain, rng) -> np.ndarray:
    """Elevation of each work cell = cheapest climb from any channel bed over a slope field."""
    channel = np.isfinite(bed)
    dist, (ri, ci) = ndimage.distance_transform_edt(~channel, return_indices=True)
    dist *= work.cell
    half = 0.5 * floor_w[ri, ci]
    hill = (0.22 + 0.5 * mountain) * np.exp(0.3 * smooth_noise(rng, work.shape, sigma=max(1.0, 1500.0 / work.cell)))
    floor = np.where(floor_w[ri, ci] > 200.0, 0.004, 0.02)  # the main river's floodplain is flatter than a gully floor
    t = np.clip((dist - half) / (120.0 + 0.6 * half), 0.0, 1.0)
    slope = floor + (hill - floor) * t * t * (3.0 - 2.0 * t)
    graph = grid_graph(slope, work.cell, eight=True, extra_nodes=1)
    cells = np.flatnonzero(channel.ravel())
    z_min = float(bed[channel].min())
    graph = with_super_source(graph, cells, bed.ravel()[cells] - z_min + 1e-3)
    climb = dijkstra(graph, directed=True, indices=graph.shape[0] - 1)
    z = (climb[:-1] + z_min - 1e-3).reshape(work.shape)
    # grid distances leave flat facets along the 8 step directions; a light blur rounds them off
    return ndimage.gaussian_filter(z, 0.9)


def _fine_dem(fine: Grid, k: int, work_z, river, rng):
    """Upsampled climb surface + texture (rougher on steep ground) + the river bed; also the river's fine cells."""
    dem = upsample(work_z, k)
    relief = np.clip(ndimage.maximum_filter(work_z, 3) - ndimage.minimum_filter(work_z, 3), 0, None)
    relief = upsample(relief, k, order=1)
    rough = np.clip(relief / (6.0 * fine.cell * k), 0.0, 1.0)  # 0 on floors, 1 on steep ground
    texture = 0.65 * smooth_noise(rng, fine.shape, 4.0) + 0.35 * smooth_noise(rng, fine.shape, 1.2)
    dem += texture * (0.6 + 22.0 * rough)
    # burn the river bed 1.5 m below the floor so the main river is the lowest path, cell by cell
    rx, ry = _densify(np.asarray(river.coords), fine.cell / 2.0)
    x_min, y_min, x_max, y_max = fine.bounds
    inside = (rx > x_min) & (rx < x_max) & (ry > y_min) & (ry < y_max)
    r, c = fine.rc(rx[inside], ry[inside])
    bed_along = ndimage.minimum_filter1d(dem[r, c], size=9)
    bed_along = np.minimum.accumulate(bed_along)  # never rising downstream
    np.minimum.at(dem, (r, c), bed_along - 1.5)
    river_cells = np.zeros(fine.shape, bool)
    river_cells[r, c] = True
    return dem.astype(np.float32), river_cells


def _height_above_streams(fine: Grid, dem, major_pts, river_cells):
    """HAND-like height: elevation above the nearest major-stream cell (Euclidean nearest), and the distance to it."""
    pts, _ = major_pts
    streams = river_cells.copy()
    x_min, y_min, x_max, y_max = fine.bounds
    inside = (pts[:, 0] > x_min) & (pts[:, 0] < x_max) & (pts[:, 1] > y_min) & (pts[:, 1] < y_max)
    streams[fine.rc(pts[inside, 0], pts[inside, 1])] = True
    dist, (ri, ci) = ndimage.distance_transform_edt(~streams, return_indices=True)
    hand = np.clip(dem - dem[ri, ci], 0.0, None)
    return hand.astype(np.float32), (dist * fine.cell).astype(np.float32)
