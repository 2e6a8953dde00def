"""The evacuation job: read a package, plan the evacuation, write its layers and CSVs atomically.

Writes into ``onemap.gpkg``: evacuation_zones, evacuees, evacuation_routes, shelter_load, unserved,
shelter_isochrones, evacuation_villages, evacuation_issues; and ``shelter_load.csv`` / ``unserved.csv`` beside it.
Nothing is written if anything fails or the user cancels.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from ..analysis import evacuation as ev
from ..analysis import network as nw
from ..errors import RiskOneMapError
from . import names_the_package
from ..layers import model
from ..layers.check import require_valid
from ..layers.package import Package, atomic_path, outputs_together
from ..layers.tables import write_csv
from ..progress import Steps

NO_ZONES = ("no evacuation zones: the package has no geohazard points, danger zones or flood low points "
            "(census risk_zones are risk levels, not evacuation zones)")
NO_PEOPLE = ("who must leave cannot be counted: no households layer and no population raster (population.tif) "
             "in the package")

# Beyond this many candidate pairs without a walking limit the summary suggests one (47 M took 4 min and 7.7 GB
# at the issue's size, against 40 s with 3 km).
BIG_ARCS = 5_000_000

OUTPUT_LAYERS = ("evacuation_zones", "evacuees", "evacuation_routes", "shelter_load", "unserved",
                 "shelter_isochrones", "evacuation_villages", "evacuation_issues")
CSV_FILES = ("shelter_load.csv", "unserved.csv")


@dataclass
class EvacuationResult:
    package: Path
    plan: ev.EvacuationPlan
    zones: object
    isochrones: object
    villages: object
    issues: list = field(default_factory=list)
    files: list = field(default_factory=list)
    total_people: float = 0.0  # everyone in the package (villages' figures, else the raster, else households)

    @property
    def stats(self) -> dict:
        return self.plan.stats

    def implausible(self) -> str:
        """A warning when the plan moves more of the package's people than any real plan would ('' if not)."""
        return implausible_share(self.stats.get("people", 0), self.total_people)

    def summary_lines(self) -> list:
        s = self.stats
        ring1 = self.zones[self.zones["ring"] == 1.0] if len(self.zones) else self.zones
        cells = int(self.plan.evacuees["pseudo"].astype(bool).sum()) if len(self.plan.evacuees) else 0
        lines = [] if len(ring1) else [f"evacuation: {NO_ZONES}"]
        if self.implausible():
            lines.append(f"evacuation: warning: {self.implausible()}")
        if len(ring1) and not s["households"] and any(i["message"] == NO_PEOPLE for i in self.issues):
            lines.append(f"evacuation: {NO_PEOPLE}")
        no_route = [f"{s['no_road_near']} more than {s['max_leg_m']:g} m from any road"] if s.get("no_road_near") \
            else []
        if s["no_route_blocked"]:
            no_route.append(f"{s['no_route_blocked']} only through other danger zones")
        lines.append(
            f"evacuation: {len(ring1)} hazard zones, {s['households']} households"
            + (f" ({cells} of them population cells)" if cells else "")
            + f" ({s['people']} people) must leave; "
            f"{s['assigned_households']} placed in {s['shelters_open']} open shelters, "
            f"{s['unserved_households']} unserved ({s['no_route']} no route"
            + (f": {', '.join(no_route)}" if no_route else "")
            + f"; {s['no_capacity']} no capacity)")
        if s["assigned_people"]:
            lines.append(f"evacuation: mean walk {s['total_person_m'] / max(s['assigned_people'], 1):.0f} m per person "
                         f"({s['solver']}); {s['standard_violations']} households beyond their shelter class's "
                         f"standard; {len(self.isochrones)} isochrone areas")
        if s.get("max_walk_m") is None and s.get("candidate_arcs", 0) > BIG_ARCS:
            lines.append(f"evacuation: {s['candidate_arcs']:,} household-shelter pairs with no walking limit; "
                         "--max-walk-m 5000 (or the dialog's 最远步行距离) makes a county this size much faster")
        errors = sum(1 for i in self.issues if i["severity"] == "error")
        warnings = sum(1 for i in self.issues if i["severity"] == "warning")
        if errors or warnings:
            lines.append(f"evacuation: {errors} input errors, {warnings} warnings (layer evacuation_issues)")
        return lines


def implausible_share(must_leave: float, total: float) -> str:
    share = float(model.default_value("evac_plausible_share"))
    if not total or must_leave <= share * total:
        return ""
    return (f"{must_leave:,.0f} people must leave, {must_leave / total:.0%} of the {total:,.0f} in the package "
            f"(more than {share:.0%}, the adjustable default evac_plausible_share): check the hazard layers before "
            "printing (a flood simulation imported as low points, or a wide margin, moves whole districts)")


def _total_people(villages, households, population) -> float:
    if villages is not None and "population" in villages.columns:
        total = pd.to_numeric(villages["population"], errors="coerce").sum()
        if total > 0:
            return float(total)
    if population is not None:
        array, _t, nodata = population
        valid = np.isfinite(array) & ((array != nodata) if nodata is not None else True) & (array > 0)
        return float(array[valid].sum())
    if households is not None and "people" in households.columns:
        return float(pd.to_numeric(households["people"], errors="coerce").sum())
    return 0.0


def _walkable_roads(roads):
    if roads is None or len(roads) == 0:
        return roads
    if "walkable" in roads.columns:
        w = pd.to_numeric(roads["walkable"], errors="coerce")
        return roads[~(w == 0)]
    return roads


def _population(pkg: Package):
    if not pkg.population_raster.is_file():
        return None
    from ..layers.raster_import import open_raster, read_band
    with open_raster(pkg.population_raster) as src:
        return read_band(src, pkg.population_raster).data, src.transform, src.nodata


def _village_table(evacuees, unserved, villages):
    code = evacuees["village_code"].fillna("(no village)")
    t = pd.DataFrame({"village_code": code, "people": evacuees["people"],
                      "vulnerable": evacuees["vulnerable"].astype(bool),
                      "placed": evacuees["shelter_id"].notna()})
    g = t.groupby("village_code")
    out = pd.DataFrame({"households": g.size(), "people": g["people"].sum(),
                        "vulnerable_households": g["vulnerable"].sum(),
                        "placed_households": g["placed"].sum(),
                        "placed_people": t.people.where(t.placed, 0).groupby(t.village_code).sum()}).reset_index()
    out["unserved_households"] = out["households"] - out["placed_households"]
    if villages is not None and len(villages):
        names = dict(zip(villages["code"].astype(str), villages["name"]))
        out.insert(1, "village_name", out["village_code"].map(names))
    return out


def _in_thread(func, *args, **kwargs):
    """``func(*args, **kwargs)`` started in a thread; ``.result()`` waits for it (and raises what it raised)."""
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(1)
    job = pool.submit(func, *args, **kwargs)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return job


def _zone_counts(zones, households, villages, population):
    """Households, people and vulnerable households inside each zone row (every ring), counted as the evacuees
    are: household points, or population cells where a village has none (``pseudo``, one per cell)."""
    zones = zones.copy()
    for c in ("households", "people", "vulnerable_households"):
        zones[c] = 0
    if len(zones) == 0:
        return zones
    every_ring = zones.drop(columns="ring").reset_index(drop=True)
    inside, _issues = ev.households_in_zones(every_ring, households, villages, population)  # reported for ring 1
    if len(inside) == 0:
        return zones
    zi = np.concatenate([np.asarray(z, dtype=np.int64) for z in inside["zone_index"]])
    rep = inside["zone_index"].map(len).to_numpy()
    people = np.repeat(inside["people"].to_numpy(float), rep)
    vul = np.repeat(inside["vulnerable"].to_numpy(bool), rep)
    zones["households"] = np.bincount(zi, minlength=len(zones))
    zones["people"] = np.bincount(zi, weights=people, minlength=len(zones)).astype(np.int64)
    zones["vulnerable_households"] = np.bincount(zi, weights=vul, minlength=len(zones)).astype(np.int64)
    return zones


@names_the_package
def run(package_dir, *, walk_kmh: Optional[float] = None, walk_kmh_vulnerable: Optional[float] = None,
        max_walk_m: Optional[float] = None, max_leg_m: Optional[float] = None, radii: Optional[dict] = None,
        rings: Sequence[float] = ev.RINGS,
        minutes: Sequence[float] = (5, 10, 15), isochrone_width_m: float = 50.0, snap_tolerance_m: float = 2.0,
        barriers: bool = True, progress=None, cancelled=None) -> EvacuationResult:
    """Plan the evacuation of a package and write its outputs (see the module notes). Defaults: model.DEFAULTS."""
    steps = Steps(progress, cancelled, weights=[1, 1, 1, 6, 2, 1])
    pkg = Package(package_dir).require()
    require_valid(pkg.path, "evacuate")
    for kind, metres in (radii or {}).items():  # the same rule as the command line's --radius, for every door
        if not (isinstance(metres, (int, float)) and np.isfinite(metres) and metres > 0):
            raise RiskOneMapError(f"the evacuation radius of {kind} must be a number of metres more than 0, "
                                  f"got {metres!r}", field="radius")
    walk_kmh = float(walk_kmh or model.default_value("walk_kmh"))
    walk_kmh_vulnerable = float(walk_kmh_vulnerable or model.default_value("walk_kmh_vulnerable"))
    issues = []

    steps.next()  # read
    read = {name: pkg.read(name, required=False) for name in (
        "villages", "geohazard_points", "geohazard_zones", "flood_lowpoints", "shelters", "roads", "households")}
    population = _population(pkg)
    crs = pkg.crs()

    # the road network is built in a thread while the zones and the evacuees are found: GEOS's noding and queries
    # release the GIL, so on two CPUs the two overlap (the same network either way)
    import geopandas as gpd
    roads = _walkable_roads(read["roads"])
    no_roads = roads is None or len(roads) == 0
    if no_roads:
        roads = gpd.GeoDataFrame(geometry=[], crs=crs)
    network_job = _in_thread(nw.build_network, roads.geometry, tolerance=snap_tolerance_m)

    steps.next()  # zones and who must leave
    zones, zi = ev.evacuation_zones(read["geohazard_points"], read["geohazard_zones"], read["flood_lowpoints"],
                                    radii=radii, rings=rings)
    issues += zi
    if zones.crs is None and crs is not None:
        zones = zones.set_crs(crs, allow_override=True)
    ring1 = zones[zones["ring"] == 1.0].reset_index(drop=True)
    evacuees, hi = ev.households_in_zones(ring1, read["households"], read["villages"], population)
    issues += hi
    no_people = (read["households"] is None or len(read["households"]) == 0) and population is None
    if len(ring1) == 0:
        issues.append(ev._issue("warning", "geohazard_points", None, None, NO_ZONES))
    elif no_people:
        issues.append(ev._issue("error", "households", None, None, NO_PEOPLE))

    steps.next()  # shelters and roads
    shelters = read["shelters"]
    if shelters is None or len(shelters) == 0:
        issues.append(ev._issue("error", "shelters", None, None, "no shelters in the package: nobody can be placed"))
        shelters = gpd.GeoDataFrame({"id": [], "name": [], "shelter_class": [], "capacity": []},
                                    geometry=[], crs=crs)
    shelters, si = ev.shelter_capacity(shelters)
    issues += si
    if no_roads:
        issues.append(ev._issue("error", "roads", None, None,
                                "no walkable roads: every evacuee is unserved (no route)"))
    network = network_job.result()
    road_ids = roads["id"].astype(str).to_numpy() if "id" in roads.columns else np.arange(len(roads)).astype(str)
    for d in network.dropped:
        issues.append(ev._issue("warning", "roads", road_ids[d["road"]], "geometry", f"road not used: {d['reason']}"))
    for s in network.snapped:
        issues.append(ev._issue("info", "roads", None, "geometry",
                                f"road end at ({s['x']:.1f}, {s['y']:.1f}) joined to a road {s['gap_m']:.2f} m away"))

    steps.next()  # plan
    plan = ev.plan_evacuation(network, ring1, evacuees, shelters, walk_kmh=walk_kmh,
                              walk_kmh_vulnerable=walk_kmh_vulnerable, max_walk_m=max_walk_m, max_leg_m=max_leg_m,
                              barriers=barriers,
                              progress=steps.sub, cancelled=cancelled)
    issues += plan.issues
    if plan.components is not None and len(plan.components) > 1:
        small = plan.components.iloc[1:]
        issues.append(ev._issue("info", "roads", None, None, "disconnected road pieces (junctions/metres): " +
                                ", ".join(f"{int(r.nodes)}/{r.length_m:.0f}" for r in small.head(20).itertuples())
                                + (" ..." if len(small) > 20 else "")))

    steps.next()  # isochrones around open shelters
    open_sh = shelters[(plan.shelter_load["status"] == "open").to_numpy()]
    iso = ev.shelter_isochrones(network, open_sh, minutes=minutes, walk_kmh=walk_kmh, width_m=isochrone_width_m)
    if iso.crs is None and crs is not None:
        iso = iso.set_crs(crs, allow_override=True)

    steps.next()  # write
    zones_out = _zone_counts(zones, read["households"], read["villages"], population)
    villages = _village_table(plan.evacuees, plan.unserved, read["villages"])
    load = plan.shelter_load.copy()
    load_geom = [g.representative_point() if g is not None and not g.is_empty else None for g in shelters.geometry]
    load_layer = gpd.GeoDataFrame(load, geometry=load_geom, crs=crs)
    total = _total_people(read["villages"], read["households"], population)
    if implausible_share(plan.stats.get("people", 0), total):
        issues.append(ev._issue("warning", "evacuation_zones", None, None,
                                implausible_share(plan.stats.get("people", 0), total)))
    issues_table = pd.DataFrame(issues, columns=["severity", "layer", "feature", "field", "message"])
    layers = {"evacuation_zones": zones_out, "evacuees": plan.evacuees, "evacuation_routes": plan.routes,
              "shelter_load": load_layer, "unserved": plan.unserved, "shelter_isochrones": iso,
              "evacuation_villages": villages, "evacuation_issues": issues_table}
    steps.check()
    files = [pkg.gpkg]
    with outputs_together():
        pkg.write_layers(layers)
        for name, frame in (("shelter_load.csv", load), ("unserved.csv", pd.DataFrame(plan.unserved.drop(
                columns="geometry")))):
            with atomic_path(pkg.path / name) as tmp:
                write_csv(frame, tmp)
            files.append(pkg.path / name)
    steps.done()
    return EvacuationResult(pkg.path, plan, zones_out, iso, villages, issues, files, total_people=total)


@dataclass
class IsochronesResult:
    package: Path
    isochrones: object
    issues: list = field(default_factory=list)

    def summary_lines(self) -> list:
        n = self.isochrones["shelter_id"].nunique() if len(self.isochrones) else 0
        return [f"isochrones: {len(self.isochrones)} walking areas around {n} shelters (layer shelter_isochrones)"]


@names_the_package
def run_isochrones(package_dir, *, minutes: Sequence[float] = (5, 10, 15), walk_kmh: Optional[float] = None,
                   width_m: float = 50.0, snap_tolerance_m: float = 2.0, progress=None,
                   cancelled=None) -> IsochronesResult:
    """Only the walking areas around every shelter with a location (no zones, no assignment)."""
    steps = Steps(progress, cancelled, weights=[1, 1, 4, 1])
    pkg = Package(package_dir).require()
    steps.next()
    shelters = pkg.read("shelters")
    roads = _walkable_roads(pkg.read("roads"))
    crs = pkg.crs()
    steps.next()
    shelters, issues = ev.shelter_capacity(shelters)
    network = nw.build_network(roads.geometry, tolerance=snap_tolerance_m)
    steps.next()
    iso = ev.shelter_isochrones(network, shelters, minutes=minutes, walk_kmh=walk_kmh, width_m=width_m)
    if iso.crs is None and crs is not None:
        iso = iso.set_crs(crs, allow_override=True)
    steps.next()
    pkg.write_layers({"shelter_isochrones": iso})
    steps.done()
    return IsochronesResult(pkg.path, iso, issues)
