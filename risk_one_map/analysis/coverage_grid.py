"""The grid and polygon boundaries cut into one-cell pieces (the exact method is explained in coverage.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np
import shapely

from ..errors import RiskOneMapError


# A hair (in cells) off a boundary piece, used to tell which side of a coincident boundary a fragment belongs to.
_EPS_SIDE = 1e-7


# -------------------------------------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class Grid:
    """A north-up cell grid: left ``x0``, top ``y0``, cell size ``w`` x ``h``, ``width`` x ``height`` cells."""
    x0: float
    y0: float
    w: float
    h: float
    width: int
    height: int

    @classmethod
    def from_transform(cls, transform, width: int, height: int) -> "Grid":
        if abs(transform.b) > 0 or abs(transform.d) > 0:
            raise RiskOneMapError("rotated rasters are not supported; warp the raster north-up first")
        if transform.e >= 0 or transform.a <= 0:
            raise RiskOneMapError("the raster is not north-up (negative pixel height expected); warp it first")
        return cls(float(transform.c), float(transform.f), float(transform.a), float(-transform.e),
                   int(width), int(height))

    @property
    def cell_area(self) -> float:
        return self.w * self.h

    def covering(self, bounds) -> Tuple["Grid", int, int]:
        """This grid extended by whole cells to cover ``bounds`` too; returns (grid, row_offset, col_offset) where
        the offsets locate this grid's cell (0, 0) inside the extended one."""
        minx, miny, maxx, maxy = bounds
        c0 = min(0, int(np.floor((minx - self.x0) / self.w)) - 1)
        c1 = max(self.width, int(np.ceil((maxx - self.x0) / self.w)) + 1)
        r0 = min(0, int(np.floor((self.y0 - maxy) / self.h)) - 1)
        r1 = max(self.height, int(np.ceil((self.y0 - miny) / self.h)) + 1)
        ext = Grid(self.x0 + c0 * self.w, self.y0 - r0 * self.h, self.w, self.h, c1 - c0, r1 - r0)
        return ext, -r0, -c0

    def to_grid_geoms(self, geoms):
        """Geometries (map units) -> grid units (u right, r down). Orientation flips; callers orient first."""
        off = np.array([self.x0, self.y0])
        scale = np.array([self.w, -self.h])
        return shapely.transform(geoms, lambda c: (c - off) / scale)


def virtual_grid(bounds, cells: float = 2.5e5) -> Grid:
    """A square grid over ``bounds`` with about ``cells`` cells, for exact areas when there is no raster.

    Areas are exact whatever the cell size; the size only trades pieces (fine grid) against cells crossed by
    both layers (coarse grid). 2.5e5 was fastest on the sample county (4e6: 3x slower, same areas to 1e-14).
    """
    minx, miny, maxx, maxy = bounds
    span_x, span_y = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    size = float(np.sqrt(span_x * span_y / cells))
    size = max(size, max(span_x, span_y) / 20000.0)
    width, height = int(np.ceil(span_x / size)) + 2, int(np.ceil(span_y / size)) + 2
    return Grid(minx - size, maxy + size, size, size, width, height)


# -------------------------------------------------------------------------------------------------- boundary pieces
@dataclass
class Pieces:
    """Boundary pieces of a labelled polygon layer, each inside one cell of the grid (grid units)."""
    ua: np.ndarray
    ra: np.ndarray
    ub: np.ndarray
    rb: np.ndarray
    row: np.ndarray  # int64
    col: np.ndarray  # int64
    label: np.ndarray  # int64, 1..n
    height: int  # grid height, for cell keys
    # raster values at the piece's cell, filled by gather(): S (column sum above), p (cell), K/k same for "known data"
    S: Optional[np.ndarray] = None
    p: Optional[np.ndarray] = None
    K: Optional[np.ndarray] = None
    k: Optional[np.ndarray] = None
    _sorted: Optional[tuple] = field(default=None, repr=False)
    _key: Optional[np.ndarray] = field(default=None, repr=False)
    _sums: Optional[tuple] = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ua)

    @property
    def key(self) -> np.ndarray:
        """Cell key, ordered down each column: col * (height + 1) + row."""
        if self._key is None:
            self._key = self.col * (self.height + 1) + self.row
        return self._key

    def sums(self):
        """Per-piece contributions (pop, area, known area) to the region on the piece's left (cached)."""
        if self._sums is None:
            self._sums = _contrib(self.ub - self.ua, 0.5 * (self.ra + self.rb), self.row, self.S, self.p, self.K,
                                  self.k)
        return self._sums

    def sorted_carry(self):
        """Pieces sorted by cell key with running sums of (-du * label) and (-du): the label carry down columns,
        and the index of each column's first piece."""
        if self._sorted is None:  # pieces are built sorted by key (see _split_edges)
            w = -(self.ub - self.ua)
            lab = np.concatenate([[0.0], np.cumsum(w * self.label)])
            cnt = np.concatenate([[0.0], np.cumsum(w)])
            self._sorted = (self.key, None, lab, cnt)
        return self._sorted


def _contrib(du, rm, row, S, p, K, k):
    """Contributions of boundary pieces (signed width ``du``, midpoint depth ``rm``, in cell ``row``):
    raster sum, area (cells) and known-data area (cells)."""
    t = rm - row
    area = du * rm
    pop = None if S is None else du * (S + t * p)
    known = None if K is None else du * (K + t * k)
    return pop, area, known


@dataclass
class Edges:
    """Directed ring edges of a labelled polygon layer, in grid units."""
    u0: np.ndarray
    r0: np.ndarray
    u1: np.ndarray
    r1: np.ndarray
    label: np.ndarray

    @classmethod
    def of(cls, geoms_grid, labels) -> "Edges":
        a, b, lab = _ring_edges(geoms_grid, labels)
        keep = (a[:, 0] != b[:, 0]) | (a[:, 1] != b[:, 1])
        a, b = a[keep], b[keep]
        return cls(a[:, 0].copy(), a[:, 1].copy(), b[:, 0].copy(), b[:, 1].copy(), lab[keep])

    def pieces(self, height: int, c0: Optional[int] = None, c1: Optional[int] = None) -> Pieces:
        """Pieces in columns [c0, c1) (all columns if None): edges are clipped to the band, then cut."""
        u0, r0, u1, r1, lab = self.u0, self.r0, self.u1, self.r1, self.label
        if c0 is not None:
            lo, hi = np.minimum(u0, u1), np.maximum(u0, u1)
            sel = np.flatnonzero((hi >= c0) & (lo < c1))
            u0, r0, u1, r1, lab = u0[sel], r0[sel], u1[sel], r1[sel], lab[sel]
            du, dr = u1 - u0, r1 - r0
            with np.errstate(divide="ignore", invalid="ignore"):
                ta = np.where(du != 0, (c0 - u0) / du, 0.0)
                tb = np.where(du != 0, (c1 - u0) / du, 1.0)
            t_lo = np.clip(np.minimum(ta, tb), 0.0, 1.0)
            t_hi = np.clip(np.maximum(ta, tb), 0.0, 1.0)
            nu0, nr0 = u0 + t_lo * du, r0 + t_lo * dr
            nu1, nr1 = u0 + t_hi * du, r0 + t_hi * dr
            # exact band borders where clipped
            nu0 = np.where((t_lo > 0) & (du != 0), np.where(du > 0, c0, c1), nu0)
            nu1 = np.where((t_hi < 1) & (du != 0), np.where(du > 0, c1, c0), nu1)
            nu0 = np.where(t_lo > 0, nu0, u0)
            nr0 = np.where(t_lo > 0, nr0, r0)
            nu1 = np.where(t_hi < 1, nu1, u1)
            nr1 = np.where(t_hi < 1, nr1, r1)
            keep = (nu0 != nu1) | (nr0 != nr1)
            u0, r0, u1, r1, lab = nu0[keep], nr0[keep], nu1[keep], nr1[keep], lab[keep]
        if len(u0) == 0:
            e = np.zeros(0)
            z = np.zeros(0, dtype=np.int64)
            return Pieces(e, e, e, e, z, z, z, height)
        pc = _split_edges(u0, r0, u1, r1, lab, height)
        if c0 is not None:
            inside = (pc.col >= c0) & (pc.col < c1)
            if not inside.all():
                pc = Pieces(pc.ua[inside], pc.ra[inside], pc.ub[inside], pc.rb[inside], pc.row[inside],
                            pc.col[inside], pc.label[inside], height, _key=pc.key[inside])
        return pc


    def crossings(self, height: int, c0: Optional[int] = None, c1: Optional[int] = None, stride: int = 1):
        """Crossings with the column centre lines u = j + 0.5, for columns j in [c0, c1) (all if None), sorted down
        each line; half-open in u. ``stride`` > 1 keeps every stride-th line only (a sample, for cheap checks)."""
        u0, r0, u1, r1, lab = self.u0, self.r0, self.u1, self.r1, self.label
        lo, hi = np.minimum(u0, u1), np.maximum(u0, u1)
        first = np.ceil(lo - 0.5)
        stop = np.ceil(hi - 0.5)
        if c0 is not None:
            first = np.maximum(first, c0)
            stop = np.minimum(stop, c1)
        first = np.ceil(first / stride) * stride
        n = np.maximum(np.ceil((stop - first) / stride), 0).astype(np.int64)
        e = np.repeat(np.arange(len(u0)), n)
        j = np.repeat(first, n) + stride * _ragged_arange(n)
        r = r0[e] + (j + 0.5 - u0[e]) * (r1[e] - r0[e]) / (u1[e] - u0[e])
        sgn = -np.sign(u1[e] - u0[e])
        key = j * float(height + 2) + r
        o = np.argsort(key, kind="stable")
        return Crossings(j[o].astype(np.int64), r[o], (sgn * lab[e])[o], sgn[o], key[o])


def polygon_pieces(geoms_grid, labels, grid: Grid) -> Pieces:
    """Cut the rings of polygons (already in grid units, oriented CCW in map units) at every grid line.

    ``labels[i]`` (>= 1) is the label of ``geoms_grid[i]``.
    """
    return Edges.of(geoms_grid, labels).pieces(grid.height)


def _ring_edges(geoms, labels):
    """Edges (start points, end points, label) of every ring of (multi)polygons."""
    labels = np.asarray(labels, dtype=np.int64)
    parts, pi = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    rings, gi = shapely.get_rings(parts, return_index=True)
    coords, ri = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    same = ri[1:] == ri[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    lab = labels[pi[gi[ri[:-1][same]]]]
    return a, b, lab


def _merged_params(u0, r0, du, dr, nu, fu, nr, fr):
    """Cut parameters of every edge (0, 1, and where it crosses grid lines), in order along each edge.

    Grid-line crossings come in known order along an edge, so the two sorted lists (column lines, row lines) are merged
    by counting, without a sort: a column crossing's slot is its rank plus the number of row lines passed by then.
    Ties at grid nodes are broken one way (column first); if rounding ever makes the two counts disagree, a sort
    decides instead (checked, not assumed).
    """
    n = len(u0)
    m = 2 + nu + nr
    start = np.cumsum(m) - m
    eu = np.repeat(np.arange(n), nu)
    er = np.repeat(np.arange(n), nr)
    iu = _ragged_arange(nu)
    ir = _ragged_arange(nr)
    with np.errstate(divide="ignore", invalid="ignore"):
        ku = np.repeat(fu, nu) + np.where(du[eu] > 0, iu, np.repeat(nu, nu) - 1 - iu)  # increasing t
        tu = (ku - u0[eu]) / du[eu]
        kr = np.repeat(fr, nr) + np.where(dr[er] > 0, ir, np.repeat(nr, nr) - 1 - ir)
        tr = (kr - r0[er]) / dr[er]
        r_at = r0[eu] + tu * dr[eu]  # row coordinate at each column crossing
        f0 = np.floor(r0[eu])
        c0 = np.ceil(r0[eu])
        rows_before = np.where(dr[eu] > 0, np.floor(r_at) - f0, np.where(dr[eu] < 0, c0 - np.ceil(r_at), 0))
        rows_before = np.clip(rows_before, 0, np.repeat(nr, nu)).astype(np.int64)
        u_at = u0[er] + tr * du[er]
        cols_before = np.where(du[er] > 0, np.ceil(u_at) - 1 - np.floor(u0[er]),
                               np.where(du[er] < 0, np.ceil(u0[er]) - 1 - np.floor(u_at), 0))
        cols_before = np.clip(cols_before, 0, np.repeat(nu, nr)).astype(np.int64)
    total = int(m.sum())
    t = np.full(total, np.nan)
    t[start] = 0.0
    t[start + m - 1] = 1.0
    t[start[eu] + 1 + iu + rows_before] = tu
    t[start[er] + 1 + ir + cols_before] = tr
    edge = np.repeat(np.arange(n), m)
    ok = not np.isnan(t).any()
    if ok:
        d = np.diff(t)
        ok = bool((d[edge[1:] == edge[:-1]] >= 0).all())
    if not ok:  # rounding at a grid node made the counts disagree: sort instead
        edge = np.concatenate([np.arange(n), np.arange(n), eu, er])
        t = np.concatenate([np.zeros(n), np.ones(n), tu, tr])
        order = np.lexsort((t, edge))
        edge, t = edge[order], t[order]
    return edge, t


def _line_crossings(v0, v1):
    """Integer lines strictly between v0 and v1: (count per edge, first line)."""
    lo, hi = np.minimum(v0, v1), np.maximum(v0, v1)
    first = np.floor(lo) + 1.0
    n = np.maximum(np.ceil(hi) - first, 0).astype(np.int64)
    return n, first


def _ragged_arange(counts):
    """[0..c0-1, 0..c1-1, ...] for counts c."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def _split_edges(u0, r0, u1, r1, label, height) -> Pieces:
    n = len(u0)
    du, dr = u1 - u0, r1 - r0
    nu, fu = _line_crossings(u0, u1)
    nr, fr = _line_crossings(r0, r1)
    edge, t = _merged_params(u0, r0, du, dr, nu, fu, nr, fr)
    nxt = edge[1:] == edge[:-1]
    e = edge[:-1][nxt]
    ta, tb = t[:-1][nxt], t[1:][nxt]
    keep = tb > ta
    e, ta, tb = e[keep], ta[keep], tb[keep]
    ua, ra = u0[e] + ta * du[e], r0[e] + ta * dr[e]
    ub, rb = u0[e] + tb * du[e], r0[e] + tb * dr[e]
    col = np.floor(0.5 * (ua + ub)).astype(np.int64)
    row = np.floor(0.5 * (ra + rb)).astype(np.int64)
    # keep pieces sorted by cell key (down each column): the label carries and lookups then read memory in order
    key = col * (height + 1) + row
    order = np.argsort(key)  # grouping by cell is all that matters: no need for a stable sort
    pc = Pieces(ua[order], ra[order], ub[order], rb[order], row[order], col[order], label[e][order], height)
    pc._key = key[order]
    return pc


@dataclass
class Crossings:
    """Where a layer's boundaries cross the vertical lines through cell centres (u = j + 0.5), in grid units,
    sorted down each line (by ``key`` = column * (height + 2) + depth)."""
    col: np.ndarray
    r: np.ndarray
    dlabel: np.ndarray  # change of label sum going down the line
    dcount: np.ndarray
    key: np.ndarray
