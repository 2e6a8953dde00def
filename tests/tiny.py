"""A hand-made package small enough to read: one county, 2 townships, 4 square villages (1 km each), in EPSG:4548."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

CRS = "EPSG:4548"  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
X0, Y0 = 500_000.0, 4_400_000.0


def tiny_layers() -> dict:
    county = gpd.GeoDataFrame({"code": ["110109000000"], "name": ["样例县"], "parent_code": ["110100000000"]},
                              geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000)], crs=CRS)
    townships = gpd.GeoDataFrame(
        {"code": ["110109001000", "110109002000"], "name": ["东镇", "西镇"], "parent_code": ["110109000000"] * 2},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 2000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 2000)], crs=CRS)
    villages = gpd.GeoDataFrame({
        "code": ["110109001201", "110109001202", "110109002201", "110109002202"],
        "name": ["东一村", "东二村", "西一村", "西二村"],
        "parent_code": ["110109001000", "110109001000", "110109002000", "110109002000"],
        "population": [100.0, 200.0, 300.0, 400.0], "households": [40.0, 80.0, 120.0, 160.0]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0, Y0 + 1000, X0 + 1000, Y0 + 2000),
                  box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000), box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000)],
        crs=CRS)
    risk_zones = gpd.GeoDataFrame({"hazard_type": ["flood", "geologic"], "risk_level": [1, 3],
                                   "level_label": ["高", "中"]},
                                  geometry=[box(X0, Y0, X0 + 500, Y0 + 500), box(X0 + 1500, Y0 + 1500, X0 + 2000, Y0 + 2000)],
                                  crs=CRS)
    shelters = gpd.GeoDataFrame({"id": ["S1"], "name": ["东一村小学"], "shelter_class": ["emergency"],
                                 "area_m2": [3000.0], "capacity": [3000.0], "village_code": ["110109001201"]},
                                geometry=[Point(X0 + 800, Y0 + 800)], crs=CRS)
    roads = gpd.GeoDataFrame({"id": ["R1"], "kind": ["county"], "walkable": [1], "drive_kmh": [60.0]},
                             geometry=[LineString([(X0, Y0 + 1000), (X0 + 2000, Y0 + 1000)])], crs=CRS)
    persons = pd.DataFrame({"village_code": ["110109001201", "110109001202", "110109002201", "110109002202"],
                            "name": ["张三", "李四", "王五", "赵六"], "role": ["村支书"] * 4,
                            "phone": ["13800000001", "13800000002", "13800000003", "13800000004"]})
    return {"county": county, "townships": townships, "villages": villages, "risk_zones": risk_zones,
            "shelters": shelters, "roads": roads, "persons": persons}
