"""Exposure tables from the engine's sums: rows per village x hazard x level, the ``any`` rows, village totals, the
household counts, township and county roll-ups, and the warnings about what could not be counted.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..errors import RiskOneMapError
from ..layers import model
from .exposure_common import ANY, ExposureResult, LEVELS, ROW_COLUMNS, VULNERABLE
from .exposure_zones import feature_name, village_field, zones_outside


def _households_counts(households, villages, zones, keys, warnings):
    """People and households per village and per (village, level) of each layer, from household points."""
    import geopandas as gpd  # noqa: F401  (frames are GeoDataFrames)
    n = len(villages)
    pts = np.asarray(households.geometry.values, dtype=object)
    people = pd.to_numeric(households["people"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(people) | (people < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RiskOneMapError(f"people must be a number >= 0 ({int(bad.sum())} households are not)",
                              layer="households", feature=feature_name(households, i), field="people")
    vgeoms = np.asarray(villages.geometry.values, dtype=object)
    ptree = shapely.STRtree(pts)  # points in the tree, polygons queried: each polygon is prepared once
    vi, pi = ptree.query(vgeoms, predicate="intersects")
    label = np.zeros(len(pts), dtype=np.int64)
    order = np.lexsort((vi, pi))
    first = np.unique(pi[order], return_index=True)[1]
    label[pi[order][first]] = vi[order][first] + 1
    outside = label == 0
    if outside.any() and "village_code" in households.columns:
        code_to = {c: i + 1 for i, c in enumerate(villages["code"].astype(str))}
        by_code = households["village_code"].astype(str).map(code_to).fillna(0).to_numpy(dtype=np.int64)
        fixed = outside & (by_code > 0)
        label[fixed] = by_code[fixed]
        if fixed.any():
            warnings.append(f"{int(fixed.sum())} households lie outside every village polygon and were placed by "
                            f"their village_code")
        outside = label == 0
    if outside.any():
        warnings.append(f"{int(outside.sum())} households ({people[outside].sum():,.0f} people) lie outside every "
                        f"village and have no known village_code: not counted")
    tot_pop = np.bincount(label, people, minlength=n + 1)
    tot_hh = np.bincount(label, minlength=n + 1).astype(np.float64)
    zgeoms = np.asarray(zones.geometry.values, dtype=object)
    zi_zone, zi_pt = ptree.query(zgeoms, predicate="intersects") if len(zgeoms) else (
        np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    ztype = zones["hazard_type"].to_numpy()[zi_zone]
    zlevel = zones["risk_level"].to_numpy(dtype=np.int64)[zi_zone]
    joint = {}
    for key in keys:
        sel = np.ones(len(zi_pt), dtype=bool) if key == ANY else ztype == key
        level = np.full(len(pts), 99, dtype=np.int64)
        np.minimum.at(level, zi_pt[sel], zlevel[sel])  # the highest level (smallest number) wins
        level[level == 99] = 0
        flat = label * (len(LEVELS) + 1) + level
        shape = (n + 1, len(LEVELS) + 1)
        joint[key] = (np.bincount(flat, people, minlength=shape[0] * shape[1]).reshape(shape),
                      np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape).astype(np.float64))
    return tot_pop, tot_hh, joint


def build_tables(villages, zones, regions, sums, source, households, townships, mode, warnings) -> ExposureResult:
    n = len(villages)
    v_pop, v_area, v_known = sums["village"]
    v_pop, v_area, v_known = v_pop[1:].copy(), v_area[1:], v_known[1:]
    hh_field = village_field(villages, "households")
    census = village_field(villages, "population")
    joint_area = {k: j[1] for k, j in sums["joint"].items()}
    if source == "raster":
        total = v_pop
        joint_pop = {k: j[0] for k, j in sums["joint"].items()}
        total_hh = hh_field
        per_person = np.where(np.isfinite(hh_field), _safe_div(hh_field, total), np.nan)  # households carried
        joint_hh = {k: np.vstack([np.zeros((1, j.shape[1])), j[1:] * per_person[:, None]])
                    for k, j in joint_pop.items()}
        _raster_warnings(villages, v_area, v_known, sums, warnings)
    elif source == "households":
        tot_pop, tot_hh, hj = _households_counts(households, villages, zones, list(sums["joint"]), warnings)
        total, total_hh = tot_pop[1:], tot_hh[1:]
        joint_pop = {k: v[0] for k, v in hj.items()}
        joint_hh = {k: v[1] for k, v in hj.items()}
    else:
        total = np.where(np.isfinite(census), census, 0.0)
        missing = ~np.isfinite(census)
        if missing.any():
            names = ", ".join(villages["name"].astype(str)[missing].head(5))
            warnings.append(f"{int(missing.sum())} villages have no population figure and count as 0 ({names})")
        share = {k: np.vstack([np.zeros((1, j[1].shape[1])), j[1][1:] / np.maximum(v_area, 1e-300)[:, None]])
                 for k, j in sums["joint"].items()}  # area share of each (village, level)
        joint_pop = {k: s * np.r_[0.0, total][:, None] for k, s in share.items()}
        total_hh = hh_field
        joint_hh = {k: s * np.r_[0.0, np.where(np.isfinite(hh_field), hh_field, np.nan)][:, None]
                    for k, s in share.items()}

    # float cancellation leaves |x| ~ 1e-16 of the column sums on empty zones: clip those, refuse anything bigger
    scale = max(float(np.nanmax(np.abs(total))) if n else 1.0, 1.0)
    for key, arr in joint_pop.items():
        neg = arr < 0
        if neg.any():
            if arr[neg].min() < -1e-9 * scale:
                raise RiskOneMapError(f"internal check failed: negative exposed population ({arr[neg].min():.3g}) "
                                      f"for {key}", layer="villages")
            arr[neg] = 0.0
    total = np.maximum(total, 0.0)

    over_cells = sums.get("overlap_cells") or 0
    if over_cells:
        over_area = over_cells * sums["cell_area"]
        warnings.append(f"villages overlap on about {over_cells:,} cells ({over_area:,.0f} m²): people there count "
                        f"in each of them")

    # zones outside every village
    for key, zarea in sums["zone_area"].items():
        if key == ANY:
            continue
        inside = joint_area[key][1:].sum(axis=0)
        out_area = zarea - inside
        for li in range(1, len(LEVELS) + 1):
            if out_area[li] > 1e-6 * max(zarea[li], 1.0) and out_area[li] > 1.0:
                warnings.append(f"{key} level {li}: {out_area[li]:,.0f} m² of zones lie outside every village "
                                f"(nobody counted there)")
    zones_outside(villages, zones, warnings)

    # the exposure rows
    codes = villages["code"].astype(str).to_numpy()
    names = villages["name"].astype(str).to_numpy() if "name" in villages.columns else codes
    parents = (villages["parent_code"].astype(str).to_numpy() if "parent_code" in villages.columns
               else np.array([""] * n, dtype=object))
    vul = {name: village_field(villages, name) for name in VULNERABLE}
    frames = []
    keys = [h.key for h in model.HAZARD_TYPES if h.key in sums["joint"]] + ([ANY] if ANY in sums["joint"] else [])
    for key in keys:
        pop = joint_pop[key][1:, 1:]
        area = joint_area[key][1:, 1:]
        hh = joint_hh[key][1:, 1:]
        vi, li = np.nonzero((area > 1e-9) | (pop > 0))
        share = _safe_div(pop[vi, li], total[vi])
        frame = pd.DataFrame({
            "village_code": codes[vi], "village_name": names[vi], "township_code": parents[vi],
            "hazard_type": key, "risk_level": (li + 1).astype(np.int64), "population": pop[vi, li],
            "households": hh[vi, li], "area_m2": area[vi, li]})
        for name in VULNERABLE:
            frame[name] = vul[name][vi] * share
        frame["source"] = source
        frames.append(frame)
    rows = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS))[ROW_COLUMNS]

    # villages: totals, exposed, unexposed (exposed + unexposed == total by construction)
    any_pop = joint_pop[ANY][1:, 1:] if ANY in joint_pop else np.zeros((n, len(LEVELS)))
    exposed = any_pop.sum(axis=1)
    over = exposed > total * (1 + 1e-9) + 1e-9
    if over.any():  # cannot happen with disjoint levels; a guard against a wrong number
        raise RiskOneMapError(f"internal check failed: exposed population exceeds the total in {int(over.sum())} "
                              f"villages", layer="villages")
    vt = villages[[c for c in ("code", "name", "parent_code") if c in villages.columns]].copy()
    vt = vt.rename(columns={"parent_code": "township_code"})
    vt["population_total"] = total
    vt["households_total"] = total_hh
    vt["area_m2"] = v_area
    vt["exposed_any"] = exposed
    unexposed = total - exposed
    unexposed[np.abs(unexposed) <= 1e-9 * np.maximum(total, 1.0)] = 0.0  # float residue, not people
    vt["unexposed"] = unexposed
    vt["exposed_l1_2"] = any_pop[:, :2].sum(axis=1)
    vt["exposed_l1"] = any_pop[:, 0]
    vt["share_l1_2"] = _safe_div(vt["exposed_l1_2"].to_numpy(), total)
    for key in keys:
        if key != ANY:
            vt[f"{key}_l1_2"] = joint_pop[key][1:, 1:3].sum(axis=1)
    vt["source"] = source
    import geopandas as gpd
    vlayer = gpd.GeoDataFrame(vt, geometry=villages.geometry.values, crs=villages.crs)

    town, county = _rollups(rows, vt, townships)
    result = ExposureResult(rows=rows, villages=vlayer, townships=town, county=county, source=source, mode=mode,
                            warnings=warnings, fast_error=sums.get("fast_error"))
    return result


def _safe_div(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=(b != 0) & np.isfinite(b))
    return out


def _raster_warnings(villages, v_area, v_known, sums, warnings):
    unknown = v_area - v_known
    bad = unknown > 1e-9 * np.maximum(v_area, 1.0)
    if bad.any():
        share = unknown / np.maximum(v_area, 1e-300)
        idx = np.argsort(-share)[:int(bad.sum())][:5]
        names = ", ".join(f"{villages['name'].iloc[i]} {share[i]:.1%}" for i in idx)
        warnings.append(f"{int(bad.sum())} villages have area without population data (nodata cells or outside the "
                        f"raster), counted as 0 people there: {names}")
    stats = sums.get("raster_stats")
    if stats is not None:
        counted = float(sums["village"][0][1:].sum())
        outside = stats.total - counted
        if outside > 1e-6 * max(stats.total, 1.0) and outside > 0.5:
            warnings.append(f"{outside:,.0f} people of the raster ({outside / stats.total:.1%}) live outside every "
                            f"village and are in no row")
        if stats.nodata_cells:
            warnings.append(f"the raster has {stats.nodata_cells:,} nodata cells")


def _rollups(rows, vt, townships):
    value_cols = ["population", "households", "area_m2", *VULNERABLE]
    town = rows.groupby(["township_code", "hazard_type", "risk_level"], as_index=False)[value_cols].sum(min_count=1)
    if townships is not None and len(townships):
        names = dict(zip(townships["code"].astype(str), townships["name"].astype(str)))
        town.insert(1, "township_name", town["township_code"].map(names))
    totals = vt.groupby("township_code", as_index=False)[["population_total", "exposed_any", "unexposed",
                                                          "exposed_l1_2"]].sum()
    town = town.merge(totals, on="township_code", how="left")
    county = rows.groupby(["hazard_type", "risk_level"], as_index=False)[value_cols].sum(min_count=1)
    county["population_total"] = float(vt["population_total"].sum())
    return town, county
