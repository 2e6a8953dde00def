"""Shelters (应急避难场所), the county supply depot and candidate depot sites.

Every village has an emergency shelter (紧急避难场所: its square, school yard or activity centre) close to its
centre; each township seat a short-term one at its central school; the county seat the county gymnasium
(long-term, indoor) and the first middle school. Sites are safe and reachable: outside level-1/2 flood and
geologic zones and outside every geohazard danger zone, on gentle ground, next to a road. Capacity is area ÷ the
per-person area of GB 50413-2007 (1 m² emergency, 2 m² fixed), taken from the model's defaults.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from ..layers import model
from . import names
from .admin import Admin
from .roster import Roster
from .terrain import Terrain

VILLAGE_SITES = (("村委会广场", 0), ("文化广场", 0), ("小学操场", 0), ("健身广场", 0), ("打谷场", 0),
                 ("村民活动中心", 1))
COMMUNITY_SITES = (("社区广场", 0), ("街心公园", 0), ("社区文化广场", 0))
BANDS_M = ((30.0, 300.0), (200.0, 800.0), (600.0, 1600.0), (1200.0, 3000.0))  # search rings around a centre


class SiteFinder:
    """Finds safe, reachable, gentle spots near given centres (vectorised over all centres per ring)."""

    def __init__(self, terrain: Terrain, admin: Admin, risk_zones: gpd.GeoDataFrame, danger_zones: gpd.GeoDataFrame,
                 roads: gpd.GeoDataFrame, rng: np.random.Generator):
        self.terrain, self.admin, self.rng = terrain, admin, rng
        high = risk_zones[risk_zones["hazard_type"].isin(["flood", "geologic"]) & (risk_zones["risk_level"] <= 2)]
        self.forbidden = shapely.STRtree(np.concatenate([high.geometry.to_numpy(), danger_zones.geometry.to_numpy()]))
        self.roads = shapely.STRtree(roads.geometry.to_numpy())
        self.taken = np.zeros((0, 2))

    def find(self, centres: np.ndarray, village: np.ndarray, max_road_m: float, max_slope: float = 8.0,
             spacing: float = 60.0) -> np.ndarray:
        """One site per centre inside ``village`` (row index; -1 = anywhere in the county); NaN where none."""
        out = np.full((len(centres), 2), np.nan)
        fine = self.terrain.fine
        n_try = 40
        # the rings outwards, then once more relaxed (steeper, further from a road), never on unsafe ground
        passes = [(lo, hi, max_slope, max_road_m) for lo, hi in BANDS_M]
        passes += [(lo, hi, 1.8 * max_slope, 3.0 * max_road_m) for lo, hi in BANDS_M]
        for lo, hi, max_slope, max_road_m in passes:
            todo = np.flatnonzero(np.isnan(out[:, 0]))
            if not len(todo):
                break
            idx = np.repeat(todo, n_try)
            ang = self.rng.uniform(0, 2 * np.pi, len(idx))
            rad = np.sqrt(self.rng.uniform(lo ** 2, hi ** 2, len(idx)))
            x, y = centres[idx, 0] + rad * np.cos(ang), centres[idx, 1] + rad * np.sin(ang)
            pts = shapely.points(x, y)
            ok = fine.sample(self.terrain.slope, x, y) < max_slope
            own = village[idx]
            at = self.admin.village_at(x, y)
            ok &= np.where(own >= 0, at == own, at >= 0)
            bad = self.forbidden.query(pts, predicate="intersects")[0]
            ok[bad] = False
            _, dist = self.roads.query_nearest(pts, return_distance=True, all_matches=False)
            ok &= dist <= max_road_m
            if len(self.taken):
                near, _ = cKDTree(self.taken).query(np.column_stack([x, y]), k=1)
                ok &= near > spacing
            d = np.where(ok, rad, np.inf)  # nearest good spot to the centre wins
            best = d.reshape(len(todo), n_try).argmin(axis=1)
            got = np.isfinite(d.reshape(len(todo), n_try)[np.arange(len(todo)), best])
            pick = np.arange(len(todo)) * n_try + best
            out[todo[got], 0], out[todo[got], 1] = x[pick[got]], y[pick[got]]
        found = out[~np.isnan(out[:, 0])]
        self.taken = np.vstack([self.taken, found])
        return out


def make_shelters(finder: SiteFinder, admin: Admin, roster: Roster, crs, rng) -> gpd.GeoDataFrame:
    villages, townships = admin.villages, admin.townships
    vnames, vcodes = villages["name"].to_numpy(), villages["code"].to_numpy()
    tnames = townships["name"].to_numpy()
    m2_emergency = float(model.default_value("m2_per_person_emergency"))
    m2_fixed = float(model.default_value("m2_per_person_fixed"))
    rows = []

    def add(site, v, name, cls, area, indoor, address, home):
        if np.isnan(site[0]):
            return
        code = vcodes[home] if home >= 0 else vcodes[v]
        manager, phone = roster.add(code, "避灾场所管理员", f"负责{name}的开启、人员登记、秩序维护和物资发放")
        per = m2_emergency if cls == "emergency" else m2_fixed
        rows.append({"name": name, "shelter_class": cls, "area_m2": area, "capacity": area / per,
                     "indoor": indoor, "manager_name": manager, "manager_phone": phone, "village_code": code,
                     "address": address, "geometry": shapely.Point(site)})

    # township seats first: the large sites take the best spots near the seat
    town_of = admin.township_of
    seats = admin.township_seats
    sites = finder.find(admin.centres[seats], seats, max_road_m=120.0)
    homes = admin.village_at(sites[:, 0], sites[:, 1])
    for t, (s, site) in enumerate(zip(seats, sites)):
        tshort = names.short(tnames[t])
        area = float(np.round(rng.uniform(3000, 8000), -1))
        add(site, s, f"{tnames[t]}中心小学", "short_term", area, 0, f"{tnames[t]}{vnames[s]}，{tshort}中心小学操场",
            homes[t])
    seat = admin.seat
    cname = admin.county_name
    for title, cls, lo, hi, indoor in ((f"{cname}体育馆", "long_term", 3000, 5000, 1),
                                       (f"{cname}第一中学", "short_term", 12000, 20000, 0)):
        site = finder.find(admin.centres[[seat]], np.array([-1]), max_road_m=120.0, spacing=150.0)[0]
        add(site, seat, title, cls, float(np.round(rng.uniform(lo, hi), -1)), indoor, f"{cname}城区，{title}",
            admin.village_at(site[0], site[1])[0])

    sites = finder.find(admin.centres, np.arange(len(villages)), max_road_m=150.0)
    homes = admin.village_at(sites[:, 0], sites[:, 1])
    for v, site in enumerate(sites):
        choices = COMMUNITY_SITES if admin.is_community[v] else VILLAGE_SITES
        label, indoor = choices[int(rng.integers(len(choices)))]
        if indoor:
            area = float(np.round(rng.uniform(300, 600), -1))
        elif admin.is_community[v]:
            area = float(np.round(rng.uniform(2000, 6000), -1))
        else:
            area = float(np.round(rng.uniform(600, 3000), -1))
        add(site, v, f"{vnames[v]}{label}", "emergency", area, indoor,
            f"{tnames[town_of[v]]}{vnames[v]}{label}", homes[v])
    for i, row in enumerate(rows, start=1):
        row["id"] = f"BN-{admin.county_code[:6]}-{i:04d}"
    cols = [f.name for f in model.layer_spec("shelters").fields] + ["geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=crs)


def make_depots(finder: SiteFinder, admin: Admin, crs, rng):
    """The county depot by the county seat, and candidate sites along the roads of the larger villages."""
    county6 = admin.county_code[:6]
    site = finder.find(admin.centres[[admin.seat]], np.array([-1]), max_road_m=60.0, max_slope=6.0, spacing=200.0)[0]
    depots = gpd.GeoDataFrame([{"id": f"CB-{county6}-001", "name": f"{admin.county_name}应急物资储备库",
                                "level": "县级", "capacity": 3000.0}],
                              geometry=[shapely.Point(site)], crs=crs)
    depots = depots[~np.isnan(site[0:1])]

    n_villages = len(admin.villages)
    n_cand = max(10, min(n_villages // 3, 20 + n_villages // 20))
    pop = admin.villages["population"].to_numpy()
    order = np.argsort(-pop, kind="stable")
    spread = 0.9 * np.sqrt(admin.county.geometry.iloc[0].area / n_cand)
    chosen = []
    for v in order:  # the larger villages, spread over the county
        if len(chosen) == n_cand:
            break
        if all(np.hypot(*(admin.centres[v] - admin.centres[c])) > spread for c in chosen):
            chosen.append(int(v))
    for v in order:
        if len(chosen) == n_cand:
            break
        if int(v) not in chosen:
            chosen.append(int(v))
    chosen = np.asarray(chosen)
    sites = finder.find(admin.centres[chosen], chosen, max_road_m=40.0, max_slope=6.0, spacing=150.0)
    kinds = ("村委会旧仓库", "粮站旧址", "闲置校舍", "物流点", "供销社旧址", "农机站")
    rows, geoms = [], []
    vnames = admin.villages["name"].to_numpy()
    for v, site in zip(chosen, sites):
        if np.isnan(site[0]):
            continue
        rows.append({"id": f"HX-{county6}-{len(rows) + 1:03d}",
                     "name": f"{names.short(vnames[v])}{kinds[int(rng.integers(len(kinds)))]}",
                     "level": "乡镇级" if v in admin.township_seats else "村级",
                     "capacity": float(np.round(rng.uniform(200, 1500), -1))})
        geoms.append(shapely.Point(site))
    candidates = gpd.GeoDataFrame(rows, columns=["id", "name", "level", "capacity"], geometry=geoms, crs=crs)
    return depots.reset_index(drop=True), candidates
