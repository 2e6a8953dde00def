"""North-up raster grids shared by the sample generator, and the small array tools they need.

Two grids cover the same rectangle: a fine one (the DEM, 30 m by default) and a coarser *work* grid (an integer
multiple of the fine cell) on which the slow things run: the hillslope Dijkstra, the village partition, road
routing and the hazard classes. Keeping them aligned lets a work cell be the exact block of fine cells under it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from scipy import ndimage, sparse


@dataclass(frozen=True)
class Grid:
    x0: float  # west edge (m)
    y1: float  # north edge (m)
    cell: float  # cell size (m)
    rows: int
    cols: int

    @property
    def shape(self) -> tuple:
        return (self.rows, self.cols)

    @property
    def size(self) -> int:
        return self.rows * self.cols

    @property
    def transform(self) -> Affine:
        return Affine(self.cell, 0.0, self.x0, 0.0, -self.cell, self.y1)

    @property
    def bounds(self) -> tuple:
        return (self.x0, self.y1 - self.rows * self.cell, self.x0 + self.cols * self.cell, self.y1)

    def refine(self, k: int) -> "Grid":
        return Grid(self.x0, self.y1, self.cell / k, self.rows * k, self.cols * k)

    def with_cell(self, cell: float) -> "Grid":
        """A grid of another cell size over (at least) the same rectangle, same north-west corner."""
        x_min, y_min, x_max, y_max = self.bounds
        return Grid(self.x0, self.y1, cell, int(np.ceil((y_max - y_min) / cell)), int(np.ceil((x_max - x_min) / cell)))

    def xy(self, r, c):
        """Cell-centre coordinates of row/column indices."""
        return self.x0 + (np.asarray(c) + 0.5) * self.cell, self.y1 - (np.asarray(r) + 0.5) * self.cell

    def rc(self, x, y):
        """Row/column of the cells holding points, clipped to the grid (points come from inside it)."""
        c = np.floor((np.asarray(x, dtype=float) - self.x0) / self.cell).astype(np.int64)
        r = np.floor((self.y1 - np.asarray(y, dtype=float)) / self.cell).astype(np.int64)
        # minimum/maximum, not clip: far cheaper on the many small calls the generator makes
        return np.minimum(np.maximum(r, 0), self.rows - 1), np.minimum(np.maximum(c, 0), self.cols - 1)

    def flat(self, x, y):
        r, c = self.rc(x, y)
        return r * self.cols + c

    def sample(self, array: np.ndarray, x, y):
        r, c = self.rc(x, y)
        return array[r, c]

    def centres(self):
        """Two 2-D arrays with every cell's centre x and y."""
        xs, ys = self.xy(np.arange(self.rows)[:, None], np.arange(self.cols)[None, :])
        return np.broadcast_to(xs, self.shape), np.broadcast_to(ys, self.shape)


def block_reduce(array: np.ndarray, k: int, how: str = "mean") -> np.ndarray:
    """Fine grid -> work grid: reduce each k x k block (shape must be a multiple of k)."""
    rows, cols = array.shape[0] // k, array.shape[1] // k
    blocks = array[:rows * k, :cols * k].reshape(rows, k, cols, k)
    return getattr(blocks, how)(axis=(1, 3))


def upsample(array: np.ndarray, k: int, order: int = 3) -> np.ndarray:
    """Work grid -> fine grid, by a spline through work-cell centres (cubic: no creases in a hillshade)."""
    rows, cols = array.shape
    r = (np.arange(rows * k) + 0.5) / k - 0.5
    c = (np.arange(cols * k) + 0.5) / k - 0.5
    rr, cc = np.meshgrid(r, c, indexing="ij")
    return ndimage.map_coordinates(array, [rr, cc], order=order, mode="nearest")


def smooth_noise(rng: np.random.Generator, shape: tuple, sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise scaled to unit standard deviation: the texture of every 'natural' field.

    Wide fields are made on a coarser lattice and interpolated up: the same look, a fraction of the time.
    """
    step = max(1, int(sigma // 3))
    small = (int(np.ceil(shape[0] / step)) + 3, int(np.ceil(shape[1] / step)) + 3)
    field = ndimage.gaussian_filter(rng.standard_normal(small), sigma / step, mode="reflect")
    if step > 1:
        r = np.arange(shape[0]) / step + 1.0
        c = np.arange(shape[1]) / step + 1.0
        rr, cc = np.meshgrid(r, c, indexing="ij")
        field = ndimage.map_coordinates(field, [rr, cc], order=1)
    else:
        field = field[:shape[0], :shape[1]]
    return field / (field.std() or 1.0)


def slope_degrees(dem: np.ndarray, cell: float) -> np.ndarray:
    gy, gx = np.gradient(dem.astype(np.float64), cell)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def facing(dem: np.ndarray, cell: float) -> tuple:
    """How much each cell faces south and east (-1..1): the downslope direction's components."""
    gy, gx = np.gradient(dem.astype(np.float64), cell)  # per row (rows run south) and per column (east)
    norm = np.hypot(gx, gy) + 1e-9
    # downslope = -gradient; in (east, north) terms that is (-gx, +gy), so facing south is -gy
    return -gy / norm, -gx / norm


_NEIGHBOURS_8 = ((0, 1, 1.0), (1, -1, np.sqrt(2.0)), (1, 0, 1.0), (1, 1, np.sqrt(2.0)))
_NEIGHBOURS_4 = ((0, 1, 1.0), (1, 0, 1.0))


def grid_graph(cost: np.ndarray, cell: float, valid: np.ndarray = None, eight: bool = True,
               extra_nodes: int = 0) -> sparse.csr_matrix:
    """Symmetric neighbour graph of a cost raster: edge weight = step length x mean cost of the two cells.

    ``valid`` masks cells out of the graph; ``extra_nodes`` reserves node ids after the cells (e.g. a super-source).
    """
    rows, cols = cost.shape
    ok = np.isfinite(cost) if valid is None else (valid & np.isfinite(cost))
    idx = np.arange(rows * cols).reshape(rows, cols)
    src, dst, w = [], [], []
    for dr, dc, step in (_NEIGHBOURS_8 if eight else _NEIGHBOURS_4):
        r0, r1 = 0, rows - dr
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = (slice(r0, r1), slice(c0, c1))
        b = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        both = ok[a] & ok[b]
        src.append(idx[a][both])
        dst.append(idx[b][both])
        w.append(step * cell * 0.5 * (cost[a][both] + cost[b][both]))
    n = rows * cols + extra_nodes
    src, dst, w = np.concatenate(src + dst), np.concatenate(dst + src), np.concatenate(w + w)  # both directions
    return sparse.coo_matrix((w, (src, dst)), shape=(n, n)).tocsr()


def with_super_source(graph: sparse.csr_matrix, targets: np.ndarray, weights: np.ndarray) -> sparse.csr_matrix:
    """Add edges from the last node (reserved by ``extra_nodes=1``) to ``targets`` with ``weights`` (> 0)."""
    n = graph.shape[0]
    extra = sparse.coo_matrix((weights, (np.full(len(targets), n - 1), targets)), shape=(n, n))
    return (graph + extra.tocsr()).tocsr()


def trace(predecessors: np.ndarray, start: int, stop: np.ndarray = None) -> list:
    """Follow a Dijkstra predecessor array from ``start`` back to its source (or the first cell in ``stop``)."""
    path = [int(start)]
    node = int(start)
    while True:
        if stop is not None and stop[node] and len(path) > 1:
            break
        prev = predecessors[node]
        if prev < 0:
            break
        node = int(prev)
        path.append(node)
    return path


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 4-connected part of a mask, holes filled."""
    labels, n = ndimage.label(mask)
    if n <= 1:
        return ndimage.binary_fill_holes(mask)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return ndimage.binary_fill_holes(labels == int(np.argmax(sizes)))


def polygonise(values: np.ndarray, grid: Grid, mask: np.ndarray, smooth: int = 4):
    """Raster regions -> smooth polygons that still form a coverage (no gaps, no overlaps between them).

    GDAL writes staircase outlines with a vertex only where an outline turns, so neighbours need not share
    vertices along their common edge. Every edge is first cut at every cell corner (corners sit on whole metres,
    so both sides get the very same coordinates); then the shared vertices are smoothed (``smooth`` rounds) and the
    coverage simplified, which turns stairs into natural lines without opening gaps.
    Returns (array of polygons, array of region values).
    """
    import shapely
    from rasterio import features
    geoms, vals = [], []
    for geom, value in features.shapes(values.astype(np.int32), mask=mask, connectivity=4, transform=grid.transform):
        rings = [shapely.linearrings(np.asarray(ring)) for ring in geom["coordinates"]]
        geoms.append(shapely.polygons(rings[0], rings[1:] or None))
        vals.append(int(value))
    if not geoms:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    raw = shapely.segmentize(np.array(geoms, dtype=object), grid.cell * 1.001)
    raw = shapely.transform(raw, lambda xy: np.round(xy, 3))
    smoothed = shapely.coverage_simplify(smooth_coverage(raw, smooth), tolerance=0.35 * grid.cell)
    if not shapely.is_valid(smoothed).all():
        smoothed = shapely.coverage_simplify(raw, tolerance=grid.cell)  # rare: fall back to plain simplification
    return smoothed, np.asarray(vals, dtype=np.int64)


def smooth_coverage(geoms: np.ndarray, iterations: int) -> np.ndarray:
    """Laplacian smoothing of an edge-matched polygon coverage, the same for every polygon sharing a vertex.

    A vertex with exactly two distinct neighbours (inside a shared edge, or on the outer boundary) moves towards
    their mean; junctions of three or more polygons stay put. Shared vertices move identically on both sides, so
    the coverage stays gap- and overlap-free.
    """
    import shapely
    if iterations <= 0:
        return geoms
    rings, _ = shapely.get_rings(geoms, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    assert len(coords) == len(shapely.get_coordinates(geoms))  # same order: rings in polygon order
    # vertices are identified by their millimetre coordinates (one int64 key: far faster than a 2-D unique)
    mm = np.round((coords - coords.min(axis=0)) * 1000.0).astype(np.int64)
    _, first, vertex = np.unique(mm[:, 0] * (int(mm[:, 1].max()) + 1) + mm[:, 1], return_index=True,
                                    return_inverse=True)
    points = coords[first].copy()
    same_ring = ring_of[:-1] == ring_of[1:]
    a, b = vertex[:-1][same_ring], vertex[1:][same_ring]
    n = len(points)
    both = np.unique(np.concatenate([a * n + b, b * n + a]))
    edges = np.column_stack([both // n, both % n])
    edges = edges[edges[:, 0] != edges[:, 1]]
    degree = np.bincount(edges[:, 0], minlength=n)
    start = np.searchsorted(edges[:, 0], np.arange(n))
    movable = np.flatnonzero(degree == 2)
    n1, n2 = edges[start[movable], 1], edges[start[movable] + 1, 1]
    for _ in range(iterations):
        points[movable] = 0.5 * points[movable] + 0.25 * (points[n1] + points[n2])
    return shapely.set_coordinates(geoms.copy(), points[vertex])
