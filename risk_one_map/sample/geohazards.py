"""Geologic hazard points (地质灾害隐患点) and their danger zones (危险区), placed where they threaten houses.

A hazard is only on the census list because it threatens someone, so the search starts from the hamlets: on the
steep ground above a hamlet a source is picked (a landslide or rockfall on the slope, a debris flow up the gully),
the path of the moving mass is traced down the DEM's steepest descent, and the danger zone is that path widening
downhill into a lobe or fan. Only sources whose path runs into the hamlet are kept; the houses inside the zone
are counted, and those counts give 威胁户数/威胁人数 and the 险情等级 (model.danger_level_for_people).
Mining country (the model county is a coal-mining one, like Mentougou) adds ground collapse over old workings.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy import ndimage
from shapely import affinity
from shapely.geometry import Point

from ..layers import model
from .admin import Admin
from .roster import Roster
from .settlement import Settlement
from .terrain import Terrain

KIND_SHARES = (("landslide", 0.45), ("rockfall", 0.28), ("debris_flow", 0.15), ("ground_collapse", 0.09),
               ("ground_fissure", 0.03))
# kind -> (inner radius of the search ring, outer radius, min slope at the source, zone width at source, at toe)
SOURCE_RULES = {
    "landslide": (80.0, 450.0, 24.0, 80.0, 170.0),
    "rockfall": (60.0, 300.0, 33.0, 50.0, 120.0),
    "debris_flow": (350.0, 1400.0, 15.0, 50.0, 220.0),
}
PLACES = {"landslide": ("后山", "北坡", "南坡", "东山", "西山", "村后", "上坡"),
          "rockfall": ("后山", "崖壁", "路边陡崖", "东崖", "西崖", "北山"),
          "debris_flow": ("沟口", "后沟", "西沟", "东沟", "上游沟", "大沟"),
          "ground_collapse": ("采空区", "老窑", "煤窑"), "ground_fissure": ("村东", "村西", "村南", "村北")}
TRENDS = (("稳定", 0.2), ("基本稳定", 0.45), ("欠稳定", 0.25), ("不稳定", 0.1))
WARNINGS = ("鸣锣、口哨", "电话叫应、广播", "手摇报警器、鸣锣", "微信群、电话、铜锣", "广播、入户叫应")
SCALES = (("小型", 0.72), ("中型", 0.23), ("大型", 0.05))


def make_geohazards(terrain: Terrain, admin: Admin, settlement: Settlement, roster: Roster, crs,
                    rng: np.random.Generator):
    """Return (geohazard_points, geohazard_zones) GeoDataFrames."""
    fine = terrain.fine
    smooth = ndimage.gaussian_filter(terrain.dem.astype(np.float64), 1.5)  # texture would trap the traced path
    houses = shapely.STRtree(shapely.points(settlement.x, settlement.y))
    villages = admin.villages
    county6 = admin.county_code[:6]
    per_village = np.zeros(len(villages), int)
    used_names: set = set()
    points, zones = [], []
    hamlets = settlement.hamlets
    hxs, hys = hamlets["x"].to_numpy(), hamlets["y"].to_numpy()
    hvs, hns, hmains = hamlets["village"].to_numpy(), hamlets["households"].to_numpy(), hamlets["main"].to_numpy()
    codes, vnames = villages["code"].to_numpy(), villages["name"].to_numpy()
    for h in rng.permutation(len(hamlets)):
        hx, hy, v, n_h, main = hxs[h], hys[h], int(hvs[h]), hns[h], hmains[h]
        if admin.is_community[v] or n_h < 4 or per_village[v] >= 3:
            continue
        if rng.random() > (0.6 if main else 0.35):
            continue
        kind = _pick(rng, KIND_SHARES)
        if kind in SOURCE_RULES:
            found = _slope_source(terrain, smooth, admin, hx, hy, kind, rng)
        else:
            found = _subsidence_site(fine, terrain, admin, hx, hy, rng)
        if found is None:
            continue
        (sx, sy), zone = found
        inside = houses.query(zone, predicate="contains")
        if len(inside) == 0:
            continue
        hv = int(admin.village_at(sx, sy)[0])
        if hv < 0:
            continue
        per_village[v] += 1
        n = len(points) + 1
        code, vname = codes[hv], vnames[hv]
        name = _name(rng, vname, kind, used_names)
        monitor, phone = roster.add(code, "地灾群测群防员",
                                    f"负责{name}日常巡查和汛期加密监测，发现险情立即鸣锣示警并报告，组织受威胁户撤离")
        people = int(settlement.people[inside].sum())
        points.append({
            "id": f"DZ-{county6}-{n:03d}", "name": name, "kind": kind, "scale": _pick(rng, SCALES),
            "danger_level": model.danger_level_for_people(people), "threatened_households": int(len(inside)),
            "threatened_people": people, "threatened_property": round(float(len(inside) * rng.uniform(8, 20)), 1),
            "village_code": code, "monitor_name": monitor, "monitor_phone": phone,
            "evac_radius_m": float(model.default_value(f"evac_radius_{kind}_m")), "trend": _pick(rng, TRENDS),
            "warning_method": WARNINGS[int(rng.integers(len(WARNINGS)))], "geometry": Point(sx, sy)})
        zones.append({"id": f"WXQ-{county6}-{n:03d}", "point_id": points[-1]["id"], "kind": kind, "geometry": zone})
    cols_p = [f.name for f in model.layer_spec("geohazard_points").fields] + ["geometry"]
    cols_z = ["id", "point_id", "kind", "geometry"]
    return (gpd.GeoDataFrame(points, columns=cols_p, geometry="geometry", crs=crs),
            gpd.GeoDataFrame(zones, columns=cols_z, geometry="geometry", crs=crs))


def _pick(rng, shares):
    labels, p = zip(*shares)
    p = np.asarray(p) / np.sum(p)
    return labels[int(rng.choice(len(labels), p=p))]


def _name(rng, village_name: str, kind: str, used: set) -> str:
    for _ in range(20):
        name = f"{village_name}{PLACES[kind][int(rng.integers(len(PLACES[kind])))]}{model.GEOHAZARD_KINDS[kind]}"
        if name not in used:
            used.add(name)
            return name
    k = 2
    while f"{name}{k}号" in used:
        k += 1
    used.add(f"{name}{k}号")
    return f"{name}{k}号"


def _slope_source(terrain: Terrain, smooth, admin: Admin, hx, hy, kind, rng):
    """A steep source above the hamlet whose downhill path runs into it; the zone is that path, widening."""
    fine = terrain.fine
    r_in, r_out, min_slope, w0, w1 = SOURCE_RULES[kind]
    n = 48
    ang = rng.uniform(0, 2 * np.pi, n)
    rad = np.sqrt(rng.uniform(r_in ** 2, r_out ** 2, n))
    sx, sy = hx + rad * np.cos(ang), hy + rad * np.sin(ang)
    x_min, y_min, x_max, y_max = fine.bounds
    ok = (sx > x_min + 500) & (sx < x_max - 500) & (sy > y_min + 500) & (sy < y_max - 500)
    sx, sy = sx[ok], sy[ok]
    z_h = fine.sample(smooth, hx, hy)
    good = (fine.sample(terrain.slope, sx, sy) >= min_slope) & (fine.sample(smooth, sx, sy) > z_h + 25.0)
    good &= terrain.work.sample(admin.label, sx, sy) >= 0
    for x0, y0 in zip(sx[good], sy[good]):
        path = _downhill(fine, smooth, x0, y0, max_len=r_out * 1.6)
        d = np.hypot(path[:, 0] - hx, path[:, 1] - hy)
        hit = int(np.argmin(d))
        if d[hit] > 90.0 or hit == 0:
            continue
        toe = min(len(path) - 1, hit + 3)  # the mass runs on a little past the houses
        return (float(x0), float(y0)), _lobe(path[:toe + 1], w0 * rng.uniform(0.8, 1.2), w1 * rng.uniform(0.8, 1.3))
    return None


_STEP = np.array([[1.414, 1.0, 1.414], [1.0, 1.0, 1.0], [1.414, 1.0, 1.414]])


def _downhill(fine, dem, x, y, max_len: float) -> np.ndarray:
    """Steepest-descent path over the DEM cells (D8) from (x, y) until a pit, the grid edge or ``max_len``."""
    r, c = (int(v) for v in fine.rc(x, y))
    cells = []
    length = 0.0
    rows, cols = dem.shape
    while length < max_len and 1 <= r < rows - 1 and 1 <= c < cols - 1:
        drop = (dem[r, c] - dem[r - 1:r + 2, c - 1:c + 2]) / _STEP
        i = int(drop.argmax())
        if drop.flat[i] <= 0:
            break
        r, c = r + i // 3 - 1, c + i % 3 - 1
        length += fine.cell * _STEP.flat[i]
        cells.append((r, c))
    if not cells:
        return np.array([[x, y]])
    px, py = fine.xy(*np.asarray(cells).T)
    return np.vstack([[x, y], np.column_stack([px, py])])


def _lobe(path: np.ndarray, w0: float, w1: float):
    """The path buffered with a radius growing from w0/2 to w1/2: a lobe (landslide) or fan (debris flow)."""
    if len(path) < 2:
        return shapely.buffer(Point(path[0]), w1 / 2)
    radius = np.linspace(w0 / 2, w1 / 2, len(path))
    discs = shapely.buffer(shapely.points(path), radius, quad_segs=8)
    hulls = [shapely.convex_hull(shapely.union(a, b)) for a, b in zip(discs[:-1], discs[1:])]
    return shapely.simplify(shapely.union_all(hulls), 3.0)


def _subsidence_site(fine, terrain: Terrain, admin: Admin, hx, hy, rng):
    """Ground collapse or fissures over old workings: an oval beside the hamlet on gentle ground."""
    for _ in range(20):
        a = rng.uniform(0, 2 * np.pi)
        d = rng.uniform(30.0, 140.0)
        cx, cy = hx + d * np.cos(a), hy + d * np.sin(a)
        if fine.sample(terrain.slope, cx, cy) > 15.0 or terrain.work.sample(admin.label, cx, cy) < 0:
            continue
        oval = affinity.scale(Point(cx, cy).buffer(1.0, quad_segs=16), rng.uniform(60, 140), rng.uniform(40, 90))
        oval = affinity.rotate(oval, rng.uniform(0, 180))
        return (float(cx), float(cy)), oval
    return None
