"""Exact raster sums over polygons and over intersections of two polygon layers, from the boundaries alone.

Why by hand: no library in our stack gives exact cell-coverage fractions (rasterio/GDAL rasterize is centre-of-cell
or all-touched; exactextract is a benchmark peer, not a dependency), and none sums a raster over the intersection of
two polygon layers without building the overlay polygons first, which is what makes the usual way slow.

The idea (Green's theorem on a cell grid). Let ``S[i, j]`` be the sum of the raster in column ``j`` above row ``i``
(an exclusive column cumulative sum) and ``p[i, j]`` the cell value. Inside cell ``(i, j)`` the column integral above
a point at fractional depth ``t`` is ``S + t p``. For a region whose boundary is oriented with the interior on the
left (CCW exteriors in map coordinates), the raster sum over the region, with every cell counted by the exact share
of its area inside, is

    sum over boundary pieces of  du * (S[i, j] + t_mid * p[i, j])

where the boundary is cut at every grid line into pieces lying in one cell, ``du`` is the signed width of a piece in
columns and ``t_mid`` the depth of its midpoint inside its cell. The formula is exact because the integrand is
linear along each piece. The region's area is the same sum with ``p = 1``. So the work is proportional to the
length of the boundaries in cells, plus one cumulative sum over the raster, read block by block (windowed).

For the intersection of two partitions A (villages) and B (hazard level regions) the boundary of ``a ∩ b`` is
``(∂a inside b) + (∂b inside a)``: each piece of A only needs the label of B where it lies, and vice versa. Where the
other layer has no boundary in the piece's cell, that label is read from a running "label carry" down the column
(the same column-sum trick applied to labels). Only in cells crossed by both layers are pieces cut at their mutual
intersections and the fragments located exactly (point in polygon, a hair off the piece on the interior side, so that
shared and coincident boundaries are counted once).

Everything above is local to a column, so the work goes band of columns by band of columns: each band reads one
full-height stripe of the raster (tiles are read once), cuts only the boundaries that cross it, and adds its sums.
Memory follows the band, not the raster (a 1e9-cell raster runs in about 1.2 GB).

The fast mode counts each cell wholly where its centre is: boundaries are crossed with the vertical lines through
cell centres only, and a pair's total telescopes over the crossings (no cutting, no dissolving of overlapping zones:
one coverage count per level gives the highest level in force).

Everything here works in grid units: ``u = (x - x0) / w`` to the right, ``r = (y0 - y) / h`` downwards.

The parts: ``coverage_grid`` (grid, pieces, edges), ``coverage_raster`` (column sums read band by band),
``coverage_sums`` (one layer, two layers), ``coverage_fast`` (centre of cell). Every name is also here, as before.
"""
from __future__ import annotations

from .coverage_fast import (centre_crossings, centre_rows, fast_joint, fast_layer_sums, highest_level_labels,
                            overlap_cells)  # noqa: F401
from .coverage_grid import (Crossings, Edges, Grid, Pieces, polygon_pieces, virtual_grid)  # noqa: F401
from .coverage_raster import (ArraySource, attach, BAND_BUDGET_BYTES, block_rows_for, column_bands, column_cumsum,
                              constant_values, gather, merge_stats, RasterioSource, RasterStats)  # noqa: F401
from .coverage_sums import (Joint, joint_sums, layer_sums)  # noqa: F401
