"""Flood low points (低洼易涝点) from DEM depressions beside the hamlets on the valley floors.

A village's ponding spots are small closed hollows: the dip under a bridge, a culvert, the lane by the school.
Some are pressed into the DEM next to low-lying hamlets (a bowl below the lowest point of its rim, so it holds
water), then every one is *measured back from the DEM* by filling it: the deepest fill is max_depth_m and the
filled cells give area_m2 (source 'dem'). The village's first grid worker answers for it.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
from scipy import ndimage
from shapely.geometry import Point

from ..layers import model
from .admin import Admin
from .roster import Roster
from .settlement import Settlement
from .terrain import Terrain

SPOTS = ("村口", "桥下", "小学门前", "村委会前", "涵洞", "河滩路", "老街", "广场", "卫生室旁")
TOWN_SPOTS = ("下穿道", "地下通道", "路口", "老街", "农贸市场", "桥下", "小区门前")  # 社区: streets, not lanes


def make_lowpoints(terrain: Terrain, admin: Admin, settlement: Settlement, roster: Roster, crs,
                   rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Carve the hollows into ``terrain.dem`` (in place), measure them, return the flood_lowpoints layer."""
    fine = terrain.fine
    hamlets = settlement.hamlets
    low = fine.sample(terrain.hand, hamlets["x"].to_numpy(), hamlets["y"].to_numpy()) < 15.0
    chance = np.where(hamlets["main"].to_numpy(), 0.45, 0.2)
    picked = np.flatnonzero(low & (rng.random(len(hamlets)) < chance))
    villages = admin.villages
    county6 = admin.county_code[:6]
    rows, used = [], set()
    for h in picked:
        hx, hy = hamlets["x"].iat[h], hamlets["y"].iat[h]
        site = _site(terrain, admin, hx, hy, rng)
        if site is None:
            continue
        x, y = site
        radius = rng.uniform(25.0, 65.0)  # a dip under a bridge or a lane: tenths of a hectare
        _carve(fine, terrain.dem, x, y, radius, rng.uniform(0.6, 2.2))
        depth, area, (px, py) = _measure(fine, terrain.dem, x, y, radius)
        home = int(admin.village_at(px, py)[0])
        if area <= 0 or home < 0:
            continue
        code, vname = villages["code"].iloc[home], villages["name"].iloc[home]
        name = _name(rng, vname, used)
        resp = roster.first(code, "网格员") or roster.add(code, "网格员", "低洼易涝点巡查与叫应")
        rows.append({"id": f"YL-{county6}-{len(rows) + 1:03d}", "name": name, "max_depth_m": round(depth, 2),
                     "area_m2": round(area, 1), "duration_h": round(2.0 + 3.0 * depth + rng.uniform(0, 4), 1),
                     "source": "dem", "village_code": code, "resp_name": resp[0], "resp_phone": resp[1],
                     "geometry": Point(px, py)})
    terrain.refresh_fine_derivatives()
    cols = [f.name for f in model.layer_spec("flood_lowpoints").fields] + ["geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=crs)


def _site(terrain: Terrain, admin: Admin, hx, hy, rng):
    """A flat, low spot 40-250 m from the hamlet centre, inside the county."""
    fine = terrain.fine
    for _ in range(25):
        a, d = rng.uniform(0, 2 * np.pi), rng.uniform(40.0, 250.0)
        x, y = hx + d * np.cos(a), hy + d * np.sin(a)
        if (fine.sample(terrain.slope, x, y) < 6.0 and fine.sample(terrain.hand, x, y) < 12.0
                and terrain.work.sample(admin.label, x, y) >= 0):
            return float(x), float(y)
    return None


def _window(fine, dem, x, y, radius):
    r, c = (int(v) for v in fine.rc(x, y))
    half = int(np.ceil(radius / fine.cell)) + 3
    r0, r1 = max(0, r - half), min(dem.shape[0], r + half + 1)
    c0, c1 = max(0, c - half), min(dem.shape[1], c + half + 1)
    return slice(r0, r1), slice(c0, c1)


def _carve(fine, dem, x, y, radius, depth) -> None:
    """Press a bowl whose bottom lies ``depth`` below the lowest point of its rim: it must hold water."""
    rs, cs = _window(fine, dem, x, y, radius)
    xs, ys = fine.xy(np.arange(rs.start, rs.stop)[:, None], np.arange(cs.start, cs.stop)[None, :])
    d = np.hypot(xs - x, ys - y)
    win = dem[rs, cs]
    rim = win[(d >= radius) & (d < radius + 1.5 * fine.cell)].min()
    bowl = rim - 0.05 - depth * (1.0 - (d / radius) ** 2)
    inside = d < radius
    win[inside] = np.minimum(win[inside], bowl[inside])


def _measure(fine, dem, x, y, radius):
    """Fill the hollow (morphological reconstruction in a window, its edge held): depth, area, deepest point."""
    rs, cs = _window(fine, dem, x, y, radius * 1.6)
    win = dem[rs, cs].astype(np.float64)
    filled = np.full(win.shape, win.max())
    edge = np.zeros(win.shape, bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    filled[edge] = win[edge]
    for _ in range(4 * max(win.shape)):
        nxt = np.maximum(win, ndimage.grey_erosion(filled, size=3))
        nxt[edge] = win[edge]
        if np.array_equal(nxt, filled):
            break
        filled = nxt
    water = filled - win
    wet = water > 0.05
    if not wet.any():
        return 0.0, 0.0, (x, y)
    r, c = np.unravel_index(int(np.argmax(water)), water.shape)
    parts, _ = ndimage.label(wet)
    pond = parts == parts[r, c]  # only the hollow around the deepest cell, not specks elsewhere in the window
    px, py = fine.xy(rs.start + r, cs.start + c)
    return float(water.max()), float(pond.sum() * fine.cell ** 2), (float(px), float(py))


def _name(rng, village_name: str, used: set) -> str:
    spots = TOWN_SPOTS if village_name.endswith("社区") else SPOTS
    for _ in range(20):
        name = f"{village_name}{spots[int(rng.integers(len(spots)))]}积水点"
        if name not in used:
            used.add(name)
            return name
    name = f"{village_name}低洼处{len(used) + 1}号积水点"
    used.add(name)
    return name
