"""The road graph for evacuation (walking) and depot siting (driving): build, attach points, search, draw.

PURE: numpy, scipy.sparse, shapely 2. Distances in metres in the package's projected CRS.

The pieces, in the order a caller uses them:

* :func:`build_network` turns road lines into a graph: lines are split where they cross (``shapely.node``),
  dangling ends that stop short of another road by less than ``tolerance`` are joined to it by a short connector
  (``snapped``), and the connected pieces are reported with their size (``components``). An edge is a road piece
  between two junctions; its geometry is kept for drawing.
* :func:`split_at_polygons` splits edges where they cross polygon boundaries (danger zones), so that every edge is
  either wholly inside a set of zones or outside all of them; :func:`edge_polygons` tells which.
* :func:`attach_points` projects points (households, shelters) onto their nearest edge (STRtree); the access leg
  (point to road) is returned so that callers count it. :func:`walk_graph` inserts the projections as virtual nodes
  (several points on one edge are chained in order along it, so two points on one edge are joined directly).
* :func:`barrier_graph` builds the graph seen by evacuees when "a route may leave a danger zone but never pass
  through another one": one shared layer of arcs outside every zone plus, per group of evacuees (the set of zones
  they stand in), a copy of the arcs inside those zones with one-way exits to the shared layer. One search from a
  shelter over the reversed graph then gives every group's distances at once (the graph grows by the size of the
  zones, not by the number of groups).
* :func:`drive_time_matrix` gives depot siting its village-to-site drive minutes over the same graph.
* :func:`trace_paths` follows scipy predecessors from many targets at once; :func:`arc_geometry` cuts the road
  pieces an arc covers, for route lines.

The parts: ``network_build`` (the graph), ``network_access`` (points, walk graphs, barriers), ``network_search``
(bounded searches, forked), ``network_paths`` (drive times, traced paths). Every name is also here, as before.
"""
from __future__ import annotations

from .network_access import (Access, attach_points, barrier_graph, BarrierGraph, walk_graph, WalkGraph)  # noqa: F401
from .network_build import (arcs_csr, build_network, edge_polygons, metres_per_minute, RoadNetwork,
                            split_at_polygons, split_edges, substrings)  # noqa: F401
from .network_paths import (arc_geometry, drive_time_matrix, DriveTimes, root_labels, straight_line_minutes,
                            trace_paths)  # noqa: F401
from .network_search import (local_searches, _cuts)  # noqa: F401
