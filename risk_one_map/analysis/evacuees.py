"""Who must leave: households (or population cells) inside the ring-1 evacuation zones."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely

from .evacuation_common import _FALSE, _issue, _text, _valid_geom


# --------------------------------------------------------------------------------------------------
# Who must leave
# --------------------------------------------------------------------------------------------------
def _is_vulnerable(v) -> bool:
    t = _text(v)
    return t is not None and t.lower() not in _FALSE


def households_in_zones(zones, households=None, villages=None, population=None):
    """Every household inside a ring-1 zone; returns ``(GeoDataFrame, issues)``.

    ``population``: optional ``(array, transform, nodata)`` of people per cell; its cells become pseudo-households
    in villages with no household points (or everywhere when there is no households layer).
    Columns: household_id, village_code, people, vulnerable, vulnerable_note, pseudo, zone_ids, zone_index (list of
    row positions in ``zones``), geometry (point).
    """
    import geopandas as gpd
    issues = []
    zones = zones[zones["ring"] == 1.0] if "ring" in zones.columns else zones
    zgeom = np.asarray(zones.geometry.values, dtype=object)
    zid = np.asarray(zones["zone_id"] if "zone_id" in zones.columns else np.arange(len(zones))).astype(str)
    zhaz = np.asarray(zones["hazard_id"] if "hazard_id" in zones.columns else zid).astype(str)
    has_zones = len(zgeom) > 0
    vgeom = np.asarray(villages.geometry.values, dtype=object) if villages is not None and len(villages) else None
    vcode = np.asarray(villages["code"]).astype(str) if vgeom is not None else None

    def village_of(pts):
        """The code of the (first) village each point is in, None outside every village."""
        out = np.full(len(pts), None, dtype=object)
        if vgeom is None or len(pts) == 0:
            return out
        j, i = _inside(vgeom, pts)
        out[i[::-1]] = vcode[j[::-1]]
        return out

    frames = []
    with_households = set()
    if households is not None and len(households):
        hg = np.asarray(households.geometry.values, dtype=object)
        ids = [(_text(v) or f"row{k}") for k, v in enumerate(households.get("id", pd.Series([None] * len(households))))]
        ok = np.array([_valid_geom(g) for g in hg], dtype=bool)
        for k in np.flatnonzero(~ok):
            issues.append(_issue("error", "households", ids[k], "geometry", "household has no location: it cannot be "
                                 "checked against the zones (not counted)"))
        hcode = households["village_code"].map(_text).to_numpy(object) if "village_code" in households else \
            np.full(len(households), None, object)
        found = village_of(np.where(ok, hg, shapely.Point()))
        if vcode is not None:
            known = set(vcode)
            bad = np.array([c is not None and c not in known for c in hcode])
            hcode = np.where((hcode == None) | bad, found, hcode)  # noqa: E711
        with_households = set(c for c in hcode[ok] if c is not None)
        if has_zones and ok.any():
            zj, hi = _inside(zgeom, np.where(ok, hg, shapely.Point()))
        else:
            hi, zj = np.zeros(0, int), np.zeros(0, int)
        if len(hi):
            sel = np.unique(hi)
            people = pd.to_numeric(households["people"], errors="coerce").to_numpy(float) if "people" in households \
                else np.full(len(households), np.nan)
            for k in sel[np.isnan(people[sel]) | (people[sel] < 0)]:
                issues.append(_issue("warning", "households", ids[k], "people", "people missing: counted as 1"))
            people = np.where(np.isnan(people) | (people < 0), 1, np.rint(people)).astype(np.int64)
            vul = households["vulnerable"].to_numpy(object) if "vulnerable" in households else \
                np.full(len(households), None, object)
            for k in sel[[hcode[k] is None for k in sel]]:
                issues.append(_issue("warning", "households", ids[k], "village_code",
                                     "household is outside every village: evacuated, counted under no village"))
            zl = _lists(hi, zj, len(households))
            frames.append(pd.DataFrame({
                "household_id": [ids[k] for k in sel], "village_code": hcode[sel], "people": people[sel],
                "vulnerable": [_is_vulnerable(vul[k]) for k in sel], "vulnerable_note": [_text(vul[k]) for k in sel],
                "pseudo": False, "zone_index": [zl[k] for k in sel], "geometry": hg[sel]}))
    if population is not None and has_zones:
        frames.append(_pseudo_households(population, zgeom, village_of, with_households,
                                         households is not None and len(households) > 0))
    cols = ["household_id", "village_code", "people", "vulnerable", "vulnerable_note", "pseudo", "zone_ids",
            "hazard_ids", "zone_index", "geometry"]
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=zones.crs), issues
    out = pd.concat(frames, ignore_index=True)
    out["zone_index"] = out["zone_index"].map(lambda zs: sorted(set(int(z) for z in zs)))
    out["zone_ids"] = out["zone_index"].map(lambda zs: ",".join(zid[zs]))
    out["hazard_ids"] = out["zone_index"].map(lambda zs: ",".join(dict.fromkeys(zhaz[zs])))
    return gpd.GeoDataFrame(out[cols], geometry="geometry", crs=zones.crs), issues


def _inside(polygons, points):
    """(polygon, point) index pairs where the point is in (or on) the polygon, sorted by point then polygon.

    The points go in the tree and each polygon is the query: shapely prepares the query geometry, so a big zone
    (a city's flood extent of thousands of parts) is prepared once instead of tested unprepared for every point
    (7.6 s -> a fraction on Taipei's flood simulation)."""
    j, i = shapely.STRtree(points).query(polygons, predicate="intersects")
    order = np.lexsort((j, i))
    return j[order], i[order]


def _lists(rows, values, n) -> list:
    """Per row 0..n-1 the list of its values (pairs sorted by row); pandas' groupby(list) took seconds."""
    starts = np.searchsorted(rows, np.arange(n + 1))
    values = values.tolist()
    return [values[a:b] for a, b in zip(starts[:-1], starts[1:])]


def _pseudo_households(population, zgeom, village_of, with_households, have_households):
    array, transform, nodata = population
    array = np.asarray(array)
    rows, cols_ = array.shape
    picked = set()
    for g in zgeom:
        if not _valid_geom(g):
            continue
        x0, y0, x1, y1 = g.bounds
        inv = ~transform
        c = np.array([inv * (x0, y0), inv * (x1, y1), inv * (x0, y1), inv * (x1, y0)])
        c0, c1 = int(max(0, np.floor(c[:, 0].min()))), int(min(cols_, np.ceil(c[:, 0].max()) + 1))
        r0, r1 = int(max(0, np.floor(c[:, 1].min()))), int(min(rows, np.ceil(c[:, 1].max()) + 1))
        if c0 >= c1 or r0 >= r1:
            continue
        rr, cc = np.mgrid[r0:r1, c0:c1]
        xs, ys = transform * (cc + 0.5, rr + 0.5)
        inside = shapely.contains_xy(g, xs, ys)
        for r, c_ in zip(rr[inside], cc[inside]):
            picked.add((int(r), int(c_)))
    if not picked:
        return pd.DataFrame()
    rc = np.array(sorted(picked))
    val = array[rc[:, 0], rc[:, 1]].astype(float)
    good = np.isfinite(val) & (val > 0)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        good &= val != nodata
    rc, val = rc[good], val[good]
    xs, ys = transform * (rc[:, 1] + 0.5, rc[:, 0] + 0.5)
    pts = shapely.points(np.c_[xs, ys])
    vil = village_of(pts)
    keep = np.array([(not have_households) or (v is not None and v not in with_households) for v in vil], dtype=bool)
    people = np.rint(val).astype(np.int64)
    keep &= people > 0
    if not keep.any():
        return pd.DataFrame()
    pts, vil, people, rc = pts[keep], vil[keep], people[keep], rc[keep]
    zj, zi = _inside(zgeom, pts)
    return pd.DataFrame({"household_id": [f"cell:{r}:{c}" for r, c in rc], "village_code": vil, "people": people,
                         "vulnerable": False, "vulnerable_note": None, "pseudo": True,
                         "zone_index": _lists(zi, zj, len(pts)), "geometry": pts})
