"""A tiny hand-made package, small enough to read: every model layer, both rasters and one analysis output.

Used for the cases the sample county does not cover (an unknown layer, four-level labels, an unknown hazard type).
"""
from __future__ import annotations

import numpy as np

EPSG = 4546  # CGCS2000 3-degree Gauss-Krüger CM 111E


def build_tiny_package(out_dir):
    import geopandas as gpd
    import pandas as pd
    from rasterio.transform import from_origin
    from shapely.geometry import LineString, Point, box

    from risk_one_map.layers.package import write_package

    x0, y0 = 500000.0, 3300000.0
    crs = f"EPSG:{EPSG}"

    def gdf(rows, geoms):
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(geoms), crs=crs)

    county = gdf([{"code": "420500000000", "name": "示例县", "parent_code": None}], [box(x0, y0, x0 + 4000, y0 + 2000)])
    townships = gdf([{"code": "420500100000", "name": "东镇", "parent_code": "420500000000"},
                     {"code": "420500101000", "name": "西镇", "parent_code": "420500000000"}],
                    [box(x0, y0, x0 + 2000, y0 + 2000), box(x0 + 2000, y0, x0 + 4000, y0 + 2000)])
    villages = gdf([{"code": f"42050010{t}{i:03d}", "name": f"{'东西'[t]}{i}村", "parent_code": f"42050010{t}000",
                     "population": 300.0 + 10 * i, "households": 100.0}
                    for t in range(2) for i in range(2)],
                   [box(x0 + 2000 * t, y0 + 1000 * i, x0 + 2000 * (t + 1), y0 + 1000 * (i + 1))
                    for t in range(2) for i in range(2)])
    risk_zones = gdf([{"id": "R1", "hazard_type": "geologic", "risk_level": 1, "level_label": "极高"},
                      {"id": "R2", "hazard_type": "geologic", "risk_level": 3, "level_label": "中"},
                      {"id": "R3", "hazard_type": "flood", "risk_level": 2, "level_label": "中高"},
                      {"id": "R4", "hazard_type": "volcano", "risk_level": 4, "level_label": "中低"}],
                     [box(x0, y0, x0 + 1500, y0 + 1500), box(x0 + 1500, y0, x0 + 3000, y0 + 800),
                      box(x0 + 2500, y0 + 1000, x0 + 4000, y0 + 2000), box(x0 + 100, y0 + 1600, x0 + 600, y0 + 1900)])
    geohazard_points = gdf([{"id": "DZ-1", "name": "后山滑坡", "kind": "landslide", "threatened_people": 120},
                            {"id": "DZ-2", "name": "沟口泥石流", "kind": "debris_flow", "threatened_people": 40}],
                           [Point(x0 + 500, y0 + 500), Point(x0 + 1200, y0 + 1300)])
    geohazard_zones = gdf([{"id": "WX-1", "point_id": "DZ-1", "kind": "landslide"}],
                          [Point(x0 + 500, y0 + 500).buffer(200)])
    flood_lowpoints = gdf([{"id": "YL-1", "name": "桥下低洼", "max_depth_m": 0.8, "source": "ledger"}],
                          [Point(x0 + 3000, y0 + 1500)])
    shelters = gdf([{"id": "BN-1", "name": "东镇小学", "shelter_class": "emergency", "capacity": 300.0},
                    {"id": "BN-2", "name": "西镇中学", "shelter_class": "long_term", "capacity": 1200.0}],
                   [Point(x0 + 800, y0 + 1700), Point(x0 + 3300, y0 + 400)])
    depots = gdf([{"id": "WZ-1", "name": "县储备库", "level": "county", "capacity": 500.0}], [Point(x0 + 2100, y0 + 900)])
    candidates = gdf([{"id": "HX-1", "name": "候选一", "level": "township", "capacity": 100.0}],
                     [Point(x0 + 1000, y0 + 200)])
    roads = gdf([{"id": "L1", "kind": "county", "name": "县道", "walkable": 1, "drive_kmh": 60.0},
                 {"id": "L2", "kind": "path", "name": None, "walkable": 1, "drive_kmh": 5.0}],
                [LineString([(x0, y0 + 1000), (x0 + 4000, y0 + 1000)]),
                 LineString([(x0 + 500, y0 + 500), (x0 + 800, y0 + 1700)])])
    households = gdf([{"id": f"H{i}", "village_code": "420500100000", "people": 3} for i in range(5)],
                     [Point(x0 + 300 + 50 * i, y0 + 300) for i in range(5)])
    persons = pd.DataFrame([{"village_code": "420500100001", "name": "张三", "role": "村支书", "phone": "13800000000"}])
    exposure_zones = gdf([{"village": "东0村", "people": 42}], [box(x0 + 200, y0 + 200, x0 + 700, y0 + 700)])

    rng = np.random.default_rng(1)
    pop = rng.gamma(1.0, 5.0, (20, 40)).astype("float32")
    pop[:, :5] = 0.0
    yy, xx = np.mgrid[0:20, 0:40]
    dem = (200 + 80 * np.sin(xx / 6.0) + 60 * np.cos(yy / 5.0)).astype("float32")
    transform = from_origin(x0, y0 + 2000, 100, 100)
    return write_package(out_dir, {
        "county": county, "townships": townships, "villages": villages, "risk_zones": risk_zones,
        "geohazard_points": geohazard_points, "geohazard_zones": geohazard_zones, "flood_lowpoints": flood_lowpoints,
        "shelters": shelters, "depots": depots, "depot_candidates": candidates, "roads": roads,
        "households": households, "persons": persons, "exposure_zones": exposure_zones,
    }, rasters={"population.tif": (pop, transform, crs, -1.0), "dem.tif": (dem, transform, crs, -9999.0)},
        overwrite=True)
