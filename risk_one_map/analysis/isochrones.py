"""Walking isochrones around shelters along the roads."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from . import network as nw
from . import parallel
from .evacuation_common import _default, _valid_geom


# --------------------------------------------------------------------------------------------------
# Isochrones
# --------------------------------------------------------------------------------------------------
def reach_pieces(net: nw.RoadNetwork, points, minutes: Sequence[float] = (5, 10, 15), walk_kmh: float = 4.0):
    """Road pieces within each band's walking time of the nearest point, labelled by that point.

    One search from a super-source wired to every point (edge weights = access leg), with ``limit``: the cost
    follows the nodes reached. Returns a DataFrame: point (index), minutes, edge, t0, t1, plus the points' legs.
    """
    speed = float(nw.metres_per_minute(walk_kmh))
    bands = np.asarray(sorted(float(m) for m in minutes))
    T = bands * speed
    acc = nw.attach_points(net, points)
    g, (pn,) = nw.walk_graph(net, [acc])
    ok = pn >= 0
    R = g.n
    tails = np.r_[g.tail, np.full(ok.sum(), R)]
    heads = np.r_[g.head, pn[ok]]
    lens = np.r_[g.length, acc.leg[ok]]
    csr = nw.arcs_csr(tails, heads, lens, R + 1)
    d, pred = dijkstra(csr, directed=True, indices=R, limit=float(T.max()), return_predecessors=True)
    reached = np.flatnonzero(np.isfinite(d))
    label_node = np.full(R + 1, -1, dtype=np.int64)
    label_node[reached] = nw.root_labels(pred, reached)
    point_of_node = np.full(R + 1, -1, dtype=np.int64)
    point_of_node[pn[ok]] = np.flatnonzero(ok)
    lab = np.where(label_node >= 0, point_of_node[np.maximum(label_node, 0)], -1)
    # one arc per road piece (forward direction), only where an end was reached
    fwd = (g.edge >= 0) & (g.t1 > g.t0)
    a, b = g.tail[fwd], g.head[fwd]
    da, db = d[a], d[b]
    near = np.isfinite(da) | np.isfinite(db)
    a, b, da, db = a[near], b[near], da[near], db[near]
    e, t0, L = g.edge[fwd][near], g.t0[fwd][near], g.length[fwd][near]
    la, lb = lab[a], lab[b]
    rows = []
    for band, tb in zip(bands, T):
        ra = np.clip(np.where(np.isfinite(da), tb - da, -1), -1, None)
        rb = np.clip(np.where(np.isfinite(db), tb - db, -1), -1, None)
        full = (ra >= 0) & (rb >= 0) & (ra + rb >= L)
        # full pieces: split where both fronts meet when the labels differ
        xm = np.clip((np.where(np.isfinite(db), db, np.inf) + L - da) / 2.0, 0, L)
        same = la == lb
        f1 = full & same
        rows.append((la[f1], band, e[f1], t0[f1], t0[f1] + L[f1]))
        f2 = full & ~same
        rows.append((la[f2], band, e[f2], t0[f2], t0[f2] + xm[f2]))
        rows.append((lb[f2], band, e[f2], t0[f2] + xm[f2], t0[f2] + L[f2]))
        pa = ~full & (ra > 0)
        rows.append((la[pa], band, e[pa], t0[pa], t0[pa] + np.minimum(ra[pa], L[pa])))
        pb = ~full & (rb > 0)
        rows.append((lb[pb], band, e[pb], t0[pb] + L[pb] - np.minimum(rb[pb], L[pb]), t0[pb] + L[pb]))
    frame = pd.DataFrame({"point": np.concatenate([r[0] for r in rows]),
                          "minutes": np.concatenate([np.full(len(r[0]), r[1]) for r in rows]),
                          "edge": np.concatenate([r[2] for r in rows]), "t0": np.concatenate([r[3] for r in rows]),
                          "t1": np.concatenate([r[4] for r in rows])})
    frame = frame[(frame.point >= 0) & (frame.t1 - frame.t0 > 1e-6)]
    return frame.reset_index(drop=True), acc, T


def shelter_isochrones(net: nw.RoadNetwork, shelters, *, minutes: Sequence[float] = (5, 10, 15),
                       walk_kmh: Optional[float] = None, width_m: float = 50.0, id_column: str = "shelter_id"):
    """5/10/15-minute walking areas around each shelter: the reached road pieces buffered by ``width_m``.

    Each road piece goes to the shelter it is nearest to (bands are cumulative: the 10-minute area contains the
    5-minute one). Returns a GeoDataFrame shelter_id, minutes, area_m2, road_m, geometry.
    """
    import geopandas as gpd
    walk_kmh = float(walk_kmh or _default("walk_kmh"))
    sh = shelters.reset_index(drop=True)
    pts = np.array([shapely.point_on_surface(g) if _valid_geom(g) else shapely.Point() for g in sh.geometry.values],
                   dtype=object)
    cols = [id_column, "minutes", "area_m2", "road_m", "geometry"]
    if len(sh) == 0 or net.n_edges == 0:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=sh.crs)
    pieces, acc, T = reach_pieces(net, pts, minutes, walk_kmh)
    bands = np.asarray(sorted(float(m) for m in minutes))
    # a piece already drawn in the band below (same shelter, edge and extent) is not buffered again
    key = pd.MultiIndex.from_arrays([pieces.point, pieces.edge, pieces.t0.round(3), pieces.t1.round(3)])
    band_i = np.searchsorted(bands, pieces.minutes.to_numpy())
    seen_below = np.zeros(len(pieces), dtype=bool)
    for bi in range(1, len(bands)):
        here = np.flatnonzero(band_i == bi)
        seen_below[here] = key[here].isin(key[band_i == bi - 1])
    geoms = nw.arc_geometry(net, pieces.edge.to_numpy(), pieces.t0.to_numpy(), pieces.t1.to_numpy())
    piece_len = (pieces.t1 - pieces.t0).to_numpy()
    legs_ok = np.isfinite(acc.leg)
    leg_lines = np.full(len(sh), None, dtype=object)
    if legs_ok.any():
        leg_lines[legs_ok] = shapely.linestrings(np.stack([acc.point_xy[legs_ok], acc.xy[legs_ok]], axis=1))
    group = pieces.point.to_numpy() * len(bands) + band_i
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(sh) * len(bands) + 1))
    ids = sh[id_column].to_numpy(object)

    def areas(k):
        """(shelter id, band, road_m, polygon) rows of shelter ``k``; bands grow from the one below."""
        out = []
        area = None
        for bi, band in enumerate(bands):
            sel = order[bounds[k * len(bands) + bi]:bounds[k * len(bands) + bi + 1]]
            road_m = float(piece_len[sel].sum())
            new = geoms[sel[~seen_below[sel]]]
            if legs_ok[k] and acc.leg[k] <= T[bi]:
                new = np.r_[new, np.array([leg_lines[k] if acc.leg[k] > 0 else pts[k]], dtype=object)]
                road_m += float(acc.leg[k])
            new = new[~shapely.is_missing(new)]
            if not len(new) and area is None:
                continue
            if len(new):
                # types looked up at once: one .geom_type per piece was a quarter of the time
                is_line = shapely.get_type_id(new) == 1
                parts = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(new[is_line]))) \
                    if is_line.any() else np.zeros(0, object)
                blobs = shapely.buffer(np.r_[parts, new[~is_line]], width_m, quad_segs=2)
                area = shapely.union_all(np.r_[blobs, [area]] if area is not None else blobs)
            out.append((ids[k], band, road_m, area))
        return out

    # GEOS's unions are most of the time and hold the GIL: shelters go to forked workers where that is safe
    # (parallel.ordered_map), 8 at a time so that the polygons sent back stay small.
    rows = [row for shelter_rows in parallel.ordered_map(areas, range(len(sh)),
                                                         workers=None if len(sh) >= 24 else 1, batch=8)
            for row in shelter_rows]
    if not rows:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=sh.crs)
    frame = pd.DataFrame(rows, columns=[id_column, "minutes", "road_m", "geometry"])
    frame["area_m2"] = shapely.area(frame["geometry"].to_numpy()).round(1)
    frame["road_m"] = frame["road_m"].round(1)
    frame["minutes"] = frame["minutes"].astype(int) if all(float(b).is_integer() for b in bands) else frame["minutes"]
    return gpd.GeoDataFrame(frame[cols], geometry="geometry", crs=sh.crs)
