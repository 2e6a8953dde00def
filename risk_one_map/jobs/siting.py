"""Job: supply-depot siting for a package (read, build drive times, solve, write atomically).

Demand: each village's population (or its exposed population at risk levels 1-3 from the ``exposure`` table's
``hazard_type == 'any'`` rows), placed at the population-weighted centre of its households (the village's
representative point when it has none). Sites: ``depot_candidates`` plus the existing ``depots`` (kept open when
``keep_existing``). Costs: drive minutes over ``roads`` (drive_kmh, else model.ROAD_DRIVE_KMH by kind; access legs
on foot-to-car at ``access_kmh``); straight lines at ``straight_kmh`` when the package has no roads (said so).

Writes ``depot_sites`` and ``depot_allocation`` into onemap.gpkg and ``depot_siting.json`` beside it.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..analysis import siting
from ..errors import RiskOneMapError
from . import names_the_package
from ..layers import model
from ..layers.check import require_valid
from ..layers.package import Package, atomic_path, outputs_together
from ..progress import Steps

SUMMARY_NAME = "depot_siting.json"
LAYERS = ("depot_sites", "depot_allocation")
GUIDANCE = (("county", "depot_reach_county_h", "县级"), ("city", "depot_reach_city_h", "市级"),
            ("province", "depot_reach_province_h", "省级"))
EXPOSURE_LEVELS = (1, 2, 3)


@dataclass
class SitingResult:
    summary: dict
    sites: object            # GeoDataFrame depot_sites
    allocation: object       # GeoDataFrame depot_allocation
    solution: siting.SitingSolution
    outputs: dict = field(default_factory=dict)

    def summary_lines(self) -> list:
        s = self.summary
        lines = [f"model: {s['model_name']}",
                 f"depots: {s['n_existing_kept']} existing kept + {s['n_new']} new "
                 f"({', '.join(x['name'] for x in s['new_sites']) or 'none'})"]
        if s.get("max_minutes") is not None:
            lines.append(f"time limit T: {s['max_minutes']:.0f} min")
        unit = s["objective_unit"]
        lines.append(f"objective: {_fmt(s['objective'])} {unit}; bound: {_fmt(s['bound'])}; gap: {100 * s['gap']:.4g}%; "
                     + ("proven optimal" if s["optimal"] else "NOT proven optimal"))
        lines.append(f"solver: {s['solver']}; build {s['build_seconds']:.2f} s, solve {s['solve_seconds']:.2f} s, "
                     f"total {s['total_seconds']:.2f} s")
        lines.append(f"demand: {s['demand']} ({_fmt(s['total_demand'])} people in {s['n_villages']} villages); "
                     f"costs: {s['costs']}")
        lines.append(f"mean drive time {s['mean_minutes']:.1f} min, worst {s['worst_minutes']:.1f} min"
                     + (f"; {100 * s['share_within_T']:.1f}% of people within T" if s.get("share_within_T") is not None
                        else ""))
        for key, chk in s["reach_check"].items():
            lines.append(f"reach check {chk['zh']} {chk['limit_h']:g} h ({chk['source']}): "
                         f"{100 * chk['share']:.1f}% of people"
                         + (f"; beyond: {', '.join(chk['villages_beyond'][:10])}" if chk["villages_beyond"] else ""))
        lines += [f"note: {n}" for n in s["notes"]]
        lines += [f"warning: {w}" for w in s["warnings"]]
        return lines


def _fmt(x) -> str:
    if x is None or not np.isfinite(x):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


# -------------------------------------------------------------------------------------------------- inputs
def _demand(pkg: Package, villages, demand: str, notes: list):
    """Demand points (one per village with people) and weights."""
    import geopandas as gpd
    codes = villages["code"].astype(str).to_numpy()
    if demand == "population":
        if "population" not in villages.columns or villages["population"].isna().all():
            households = pkg.read("households", required=False)
            if households is None or households.empty:
                raise RiskOneMapError("villages have no population and there are no households to count",
                                      file=pkg.gpkg, layer="villages", field="population")
            weights = households.groupby(households["village_code"].astype(str))["people"].sum()
            weights = weights.reindex(codes).fillna(0.0).to_numpy(float)
            notes.append("population summed from the households layer (villages have none)")
        else:
            weights = pd.to_numeric(villages["population"], errors="coerce").fillna(0.0).to_numpy(float)
    elif demand == "exposure":
        table = pkg.read("exposure", required=False)
        if table is None:
            raise RiskOneMapError("demand 'exposure' needs the exposure table: run `risk-one-map exposure` first",
                                  file=pkg.gpkg, layer="exposure")
        rows = table[(table["hazard_type"].astype(str) == "any")
                     & pd.to_numeric(table["risk_level"], errors="coerce").isin(EXPOSURE_LEVELS)]
        weights = rows.groupby(rows["village_code"].astype(str))["population"].sum()
        weights = weights.reindex(codes).fillna(0.0).to_numpy(float)
        notes.append("demand = people exposed at risk levels 1-3 of any hazard (exposure table, hazard_type 'any')")
    else:
        raise RiskOneMapError(f"unknown demand {demand!r}; use 'population' or 'exposure'")
    points = villages.geometry.representative_point().to_numpy()
    households = pkg.read("households", required=False)
    if households is not None and not households.empty:
        hh = households[households.geometry.notna() & ~households.geometry.is_empty]
        people = pd.to_numeric(hh["people"], errors="coerce").fillna(0.0).clip(lower=0).to_numpy() + 1e-9
        key = hh["village_code"].astype(str).to_numpy()
        xy = np.column_stack([hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy()])
        frame = pd.DataFrame({"code": key, "w": people, "wx": people * xy[:, 0], "wy": people * xy[:, 1]})
        g = frame.groupby("code").sum()
        pos = pd.Series(np.arange(len(codes)), index=codes)
        hit = g.index[g.index.isin(codes)]
        if len(hit):
            import shapely
            idx = pos[hit].to_numpy()
            points[idx] = shapely.points((g.loc[hit, "wx"] / g.loc[hit, "w"]).to_numpy(),
                                         (g.loc[hit, "wy"] / g.loc[hit, "w"]).to_numpy())
            notes.append(f"demand points: population-weighted household centres ({len(hit)} villages), "
                         f"village representative points elsewhere")
    else:
        notes.append("demand points: village representative points (no households layer)")
    return gpd.GeoSeries(points, crs=villages.crs), weights


def _sites(pkg: Package, keep_existing: bool):
    import geopandas as gpd
    cand = pkg.read("depot_candidates", required=False)
    existing = pkg.read("depots", required=False)
    frames = []
    for frame, is_existing in ((existing, True), (cand, False)):
        if frame is None or frame.empty:
            continue
        f = frame.copy()
        f["existing"] = int(is_existing)
        f["source_layer"] = "depots" if is_existing else "depot_candidates"
        frames.append(f)
    if not frames:
        raise RiskOneMapError("no depot candidates: the package has neither depot_candidates nor depots",
                              file=pkg.gpkg, layer="depot_candidates")
    crs = frames[0].crs
    sites = gpd.GeoDataFrame(pd.concat([f.to_crs(crs) for f in frames], ignore_index=True), crs=crs)
    bad = sites.geometry.isna() | sites.geometry.is_empty
    if bad.any():
        row = sites[bad].iloc[0]
        raise RiskOneMapError("a depot site has no geometry", file=pkg.gpkg, layer=row["source_layer"],
                              feature=row.get("id"))
    for col in ("id", "name", "level"):
        if col not in sites.columns:
            sites[col] = None
    sites["capacity"] = pd.to_numeric(sites.get("capacity"), errors="coerce")
    fixed = sites["existing"].to_numpy().astype(bool) & bool(keep_existing)
    return sites, fixed


def _costs(pkg: Package, points, sites, access_kmh, straight_kmh, notes, warnings):
    roads = pkg.read("roads", required=False)
    if roads is not None:
        roads = roads[roads.geometry.notna() & ~roads.geometry.is_empty]
    if roads is None or roads.empty:
        warnings.append(f"the package has no roads: travel times are STRAIGHT LINES at {straight_kmh:g} km/h")
        from ..analysis.network import straight_line_minutes
        return straight_line_minutes(points.to_numpy(), sites.geometry.to_numpy(), straight_kmh), \
            f"straight line at {straight_kmh:g} km/h (no roads in the package)"
    from ..analysis.network import drive_time_matrix
    roads = roads.to_crs(points.crs)
    kmh = pd.to_numeric(roads.get("drive_kmh"), errors="coerce") if "drive_kmh" in roads.columns else \
        pd.Series(np.nan, index=roads.index)
    by_kind = roads["kind"].map(model.ROAD_DRIVE_KMH) if "kind" in roads.columns else pd.Series(np.nan, index=roads.index)
    kmh = kmh.where(kmh > 0, by_kind).fillna(model.ROAD_DRIVE_KMH["village"]).to_numpy(float)
    dt = drive_time_matrix(roads.geometry.to_numpy(), kmh, points.to_numpy(), sites.geometry.to_numpy(),
                           access_kmh=access_kmh)
    if dt.n_components > 1 or not np.isfinite(dt.minutes).all():
        n_bad = int((~np.isfinite(dt.minutes)).sum())
        if n_bad:
            warnings.append(f"the road network has {dt.n_components} disconnected parts: {n_bad} village-site pairs "
                            f"cannot be driven (infinite time)")
    far = dt.snap_m > 2000
    if far.any():
        notes.append(f"{int(far.sum())} points are more than 2 km from a road (access legs at {access_kmh:g} km/h)")
    return dt.minutes, (f"drive time over {len(roads)} roads (speed: drive_kmh, else by road kind), "
                        f"access legs at {access_kmh:g} km/h")


# -------------------------------------------------------------------------------------------------- run
@names_the_package
def run(package_dir, *, model: str = "pmedian", k: Optional[int] = None, max_minutes: Optional[float] = None,
        max_time_h: Optional[float] = None, demand: str = "population", keep_existing: bool = True,
        time_limit_s: float = 120.0, method: str = "exact", people_per_capacity: Optional[float] = None,
        access_kmh: float = 5.0, straight_kmh: float = 30.0, reach_hours: Optional[dict] = None,
        progress=None, cancelled=None) -> SitingResult:
    """Site supply depots for a package and write the results into it (see the module docstring).

    k: new depots to open (not for lscp). T: ``max_minutes`` or ``max_time_h`` (mclp, lscp; reported for the others;
    default the county guidance, 6 h). ``people_per_capacity``: when given, the capacity field is read as
    capacity × people_per_capacity people served and p-median respects it (otherwise capacities are not used).
    ``reach_hours``: {"county": 6, "city": 8, "province": 10} overrides of the 2024 guidance (model.DEFAULTS).
    """
    t_start = time.monotonic()
    if model not in siting.MODELS:
        raise RiskOneMapError(f"unknown model {model!r}; use one of {', '.join(siting.MODELS)}")
    steps = Steps(progress, cancelled, weights=(1, 1, 6, 1))
    steps.next()
    pkg = Package(package_dir).require()
    require_valid(pkg.path, "site-depots")
    villages = pkg.read("villages")
    if villages.empty:
        raise RiskOneMapError("the package has no villages", file=pkg.gpkg, layer="villages")
    notes, warnings = [], []
    points, weights = _demand(pkg, villages, demand, notes)
    sites, fixed = _sites(pkg, keep_existing)
    sites = sites.to_crs(villages.crs)
    if model != "lscp":  # bad k is said before the drive times are built
        siting._check_k(siting.from_cost_matrix(np.zeros((1, len(sites))), fixed=fixed), k, siting.MODEL_NAMES[model])
    T = None
    if max_minutes is not None:
        T = float(max_minutes)
    elif max_time_h is not None:
        T = float(max_time_h) * 60.0
    elif model in ("mclp", "lscp"):
        T = float(model_default("depot_reach_county_h")) * 60.0
        notes.append(f"T defaults to the county guidance, {T / 60:g} h")
    if T is not None and not (np.isfinite(T) and T > 0):
        raise RiskOneMapError(f"the time limit T must be a positive number of minutes, got {T}")
    steps.next()
    t_build = time.monotonic()
    minutes, cost_text = _costs(pkg, points, sites, access_kmh, straight_kmh, notes, warnings)
    matrix_s = time.monotonic() - t_build
    capacity = None
    if people_per_capacity is not None:
        if model != "pmedian":
            warnings.append("capacities are respected by the p-median only; ignored here")
        else:
            capacity = sites["capacity"].to_numpy(float) * float(people_per_capacity)
            notes.append(f"capacitated: each site supplies at most capacity × {people_per_capacity:g} people "
                         f"(sites without capacity: unlimited)")
    names = [f"{n}（{c}）" for n, c in zip(villages["name"].astype(str), villages["code"].astype(str))]
    problem = siting.from_cost_matrix(minutes, weights, fixed=fixed, capacity=capacity, demand_names=names,
                                      candidate_names=sites["name"].astype(str).tolist(), cost_unit=" min")
    steps.next()
    opts = dict(time_limit=time_limit_s, progress=steps.sub, cancelled=steps.cancelled)
    if model == "pmedian":
        opts["method"] = method
    sol = siting.solve(problem, model, k=k, max_cost=T, **opts)
    steps.next()
    reach = {key: float((reach_hours or {}).get(key, model_default(dkey))) for key, dkey, _ in GUIDANCE}
    sites_out, alloc = _layers(villages, points, sites, problem, sol, T, reach)
    idle = (sites_out["status"] == "new").to_numpy() & (sites_out["served_population"] <= 0).to_numpy()
    idle_idx = set(np.asarray(sol.open)[idle].tolist())
    if idle.any():  # opened to make up K, serving nobody: not a recommendation (kept out of depot_sites)
        warnings.append(idle_sites_warning(sites_out.loc[idle, "name"].tolist(), len(sites_out) - int(idle.sum())
                                           - int(problem.fixed.sum()), problem))
        sites_out = sites_out[~idle].reset_index(drop=True)
    summary = _summary(pkg, model, sol, problem, villages, weights, T, reach, demand, cost_text, notes, warnings,
                       sites, matrix_s, time.monotonic() - t_start, idle=idle_idx)
    steps.check()
    path = pkg.path / SUMMARY_NAME
    with outputs_together():
        pkg.write_layers({"depot_sites": sites_out, "depot_allocation": alloc})
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    steps.done()
    return SitingResult(summary, sites_out, alloc, sol,
                        {"gpkg": pkg.gpkg, "json": path, "layers": list(LAYERS)})


def model_default(key):
    return model.DEFAULTS[key].value


def _layers(villages, points, sites, problem, sol, T, reach):
    import geopandas as gpd
    import shapely
    d_idx, s_idx, wt = sol.allocation
    minutes = problem.cost[d_idx, s_idx]
    served = np.bincount(s_idx, weights=wt, minlength=problem.n_candidates)
    worst = np.full(problem.n_candidates, np.nan)
    if s_idx.size:
        np.fmax.at(worst, s_idx, minutes)
    n_v = np.bincount(s_idx, minlength=problem.n_candidates)
    open_idx = sol.open
    chosen = sites.iloc[open_idx]
    sites_out = gpd.GeoDataFrame({
        "id": chosen["id"].astype(str).to_numpy(), "name": chosen["name"].astype(str).to_numpy(),
        "level": chosen["level"].to_numpy(), "capacity": chosen["capacity"].to_numpy(float),
        "existing": chosen["existing"].to_numpy().astype(int),
        "status": np.where(np.isin(open_idx, sol.fixed), "existing", "new"),
        "source_layer": chosen["source_layer"].to_numpy(),
        "served_population": np.round(served[open_idx], 1), "villages": n_v[open_idx],
        "max_time_min": np.round(worst[open_idx], 2)}, geometry=chosen.geometry.to_numpy(), crs=sites.crs)
    p_xy = shapely.get_coordinates(points.to_numpy()[d_idx])
    s_xy = shapely.get_coordinates(sites.geometry.to_numpy()[s_idx])
    lines = shapely.linestrings(np.stack([p_xy, s_xy], axis=1)) if d_idx.size else []
    alloc = gpd.GeoDataFrame({
        "village_code": villages["code"].astype(str).to_numpy()[d_idx],
        "village_name": villages["name"].astype(str).to_numpy()[d_idx],
        "depot_id": sites["id"].astype(str).to_numpy()[s_idx], "depot_name": sites["name"].astype(str).to_numpy()[s_idx],
        "time_min": np.round(minutes, 2), "population": np.round(wt, 1),
        "within_T": (minutes <= T).astype(int) if T is not None else np.ones(d_idx.size, int),
        "within_county_guidance": (minutes <= reach["county"] * 60).astype(int)},
        geometry=lines, crs=sites.crs)
    return sites_out, alloc


def idle_sites_warning(names: list, useful: int, problem) -> str:
    """Why some of the K new sites serve nobody: how many candidates are nearest for any village at all."""
    cost = np.where(np.isfinite(problem.cost), problem.cost, np.inf)
    live = (problem.weights > 0) & np.isfinite(cost).any(axis=1)
    nearest = np.unique(np.argmin(cost[live], axis=1)) if live.any() else np.array([], dtype=int)
    return (f"only {useful} of the new sites serve anyone: {', '.join(names)} would serve no village (every "
            f"village is nearer another depot) and are not recommended; only {len(nearest)} of the "
            f"{problem.n_candidates} candidates are the nearest for any village over the roads")


def _summary(pkg, model_key, sol, problem, villages, weights, T, reach, demand, cost_text, notes, warnings, sites,
             matrix_s, total_s, idle=frozenset()) -> dict:
    w = problem.weights
    total = float(w.sum())
    d = sol.assigned_cost
    served = (w > 0) & np.isfinite(d)
    mean = float((w[served] * d[served]).sum() / max(w[served].sum(), 1e-12)) if served.any() else float("nan")
    worst = float(d[served].max()) if served.any() else float("nan")
    codes = villages["name"].astype(str).to_numpy()
    check = {}
    for key, dkey, zh in GUIDANCE:
        limit = reach[key] * 60.0
        ok = d <= limit
        beyond = np.flatnonzero(~ok & (w > 0))
        check[key] = {"zh": zh, "limit_h": reach[key], "source": model.DEFAULTS[dkey].source
                      if reach[key] == model_default(dkey) else "user",
                      "share": float(w[ok].sum() / total) if total else 0.0,
                      "villages_beyond": [str(codes[i]) for i in beyond]}
    new = [i for i in sol.open if i not in set(sol.fixed.tolist()) and i not in idle]
    unit = {"pmedian": "person-minutes", "mclp": "people within T", "lscp": "new depots",
            "pcenter": "minutes (worst)"}[model_key]
    return {
        "package": str(pkg.path), "model": model_key, "model_name": siting.MODEL_NAMES[model_key],
        "k": sol.k, "max_minutes": T, "demand": demand, "total_demand": total, "n_villages": int(len(villages)),
        "objective": _num(sol.objective), "objective_unit": unit, "bound": _num(sol.bound), "gap": _num(sol.gap),
        "optimal": bool(sol.optimal), "solver": sol.solver, "build_seconds": round(sol.build_seconds + matrix_s, 3),
        "matrix_seconds": round(matrix_s, 3), "solve_seconds": round(sol.solve_seconds, 3),
        "total_seconds": round(total_s, 3),
        "n_candidates": int(problem.n_candidates), "n_existing_kept": int(problem.fixed.sum()), "n_new": len(new),
        "new_sites": [{"id": str(sites["id"].iloc[i]), "name": str(sites["name"].iloc[i])} for i in new],
        "idle_sites": [{"id": str(sites["id"].iloc[i]), "name": str(sites["name"].iloc[i])} for i in sorted(idle)],
        "mean_minutes": mean, "worst_minutes": worst,
        "share_within_T": (float(w[d <= T].sum() / total) if (T is not None and total) else None),
        "reach_check": check, "costs": cost_text, "notes": notes, "warnings": list(warnings) + list(sol.warnings),
        "stats": _jsonable(sol.stats),
    }


def _num(x):
    x = float(x)
    return x if np.isfinite(x) else None


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist() if obj.size <= 50 else f"array{obj.shape}"
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    return obj
