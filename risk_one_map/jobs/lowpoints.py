"""The DEM low-point job: read the package's dem.tif, find its depressions and what a rain fills, write them.

Writes into ``onemap.gpkg`` the ``dem_depressions`` layer (one polygon per significant depression with its depth,
volume, spill, catchment, the households and people inside and, per rain, the filled share, water depth, flooded
area and whether it spills). With ``add_lowpoints`` the significant depressions also become ``flood_lowpoints``
entries (source ``dem``, a point at the deepest cell) unless a ledger low point already lies in them: those are
linked (``ledger_ids``), not repeated. Nothing is written if anything fails.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from ..analysis import depressions as dp
from ..analysis import flow_kernels, runoff
from ..analysis.plain_pages import plain_pages
from ..errors import RiskOneMapError
from . import lowpoints_exposure, names_the_package
from ..layers import model
from ..layers.package import Package
from ..progress import Steps

LAYER = model.DEM_DEPRESSIONS
DEFAULT_RAINS_MM = (50.0, 100.0, 200.0)
DEM_ID_PREFIX = model.DEM_ID_PREFIX
# Metres per degree, for a DEM left in longitude/latitude (a package's DEM is projected; a raw file may not be).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0


def rain_suffix(rain_mm: float) -> str:
    return f"{rain_mm:g}mm".replace(".", "_")


@dataclass
class LowpointsResult:
    package: Path
    depressions: dp.Depressions
    events: list
    layer: object  # GeoDataFrame written as dem_depressions
    added_lowpoints: int = 0
    linked_ledger: int = 0
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    runoff: Optional[runoff.RunoffGrid] = None
    compiled: bool = False  # the per-cell passes ran compiled (numba, analysis/flow_kernels.py)

    def summary_lines(self) -> list:
        """What a township's staff reads first: in Chinese, plain words."""
        d = self.depressions
        f = d.filters
        sig = d.significant
        lines = [f"DEM洼地：共找到 {len(d.table)} 处封闭洼地，其中 {len(sig)} 处达到筛选标准"
                 f"（深度 ≥ {f['min_depth_m']:g} 米、面积 ≥ {f['min_area_m2']:g} 平方米、不少于 {f['min_cells']} 格，"
                 f"均为可调整的默认值），洼地内另有 {len(d.nested)} 处嵌套的小洼地。"]
        if len(sig):
            lines.append(f"  这些洼地合计可蓄水 {sig['volume_m3'].sum():,.0f} 立方米，占地 {sig['area_m2'].sum() / 1e4:,.2f} 公顷；"
                         f"最深 {sig['max_depth_m'].max():.2f} 米。")
            top = self.layer[self.layer["nest_level"] == 0]
            ranked = top.sort_values(["people", "max_depth_m"], ascending=False).head(3)
            if ranked["people"].sum() > 0:
                lines.append("  受影响人口最多的洼地：" + "；".join(
                    f"{r.id}（{r.people:.0f} 人，道路 {r.road_m:.0f} 米，深 {r.max_depth_m:.1f} 米）"
                    for r in ranked.itertuples()
                    if r.people > 0) + "。")
        lines.append(self.runoff_line())
        for ev in self.events:
            t = ev.table[d.table["significant"].to_numpy()]
            lines.append(f"  降雨 {ev.rain_mm:g} 毫米（平均径流系数 {ev.runoff_coefficient:.2f}）：{int(t['spills'].sum())} 处蓄满外溢，"
                         f"{int((t['fill_share'] >= 0.5).sum())} 处蓄水过半；积水 {t['flooded_m2'].sum() / 1e4:,.2f} 公顷；"
                         f"洼地蓄水 {ev.stored_m3:,.0f} 立方米，流出县界 {ev.left_m3:,.0f} 立方米"
                         f"（水量平衡误差 {abs(ev.balance_error_m3):.1e} 立方米）。")
            lines += self.rain_exposure_lines(ev.rain_mm)
        if self.added_lowpoints or self.linked_ledger:
            lines.append(f"  低洼易涝点：新增 {self.added_lowpoints} 处（来源：DEM洼地），"
                         f"台账中 {self.linked_ledger} 处易涝点与洼地重叠，已关联（见 ledger_ids），不重复添加。")
        lines += [f"  说明：{n}" for n in self.notes]
        fast = "（已用 numba 编译加速）" if self.compiled else "（未装 numba，未编译加速）"
        lines.append(f"  计算用时 {self.seconds:.1f} 秒{fast}。")
        return lines


    def rain_exposure_lines(self, rain_mm: float) -> list:
        """Who is in the water in this rain, and the low points ranked by people (the first three)."""
        s = rain_suffix(rain_mm)
        top = self.layer[self.layer["nest_level"] == 0]
        if f"people_{s}" not in top.columns:
            return []
        line = (f"    积水范围内：住户 {int(top[f'households_{s}'].sum())} 户、{top[f'people_{s}'].sum():,.0f} 人，"
                f"道路 {top[f'road_m_{s}'].sum():,.0f} 米")
        ranked = top[top[f"people_{s}"] > 0].sort_values([f"people_{s}", "max_depth_m"], ascending=False).head(3)
        if len(ranked):
            line += "；受影响人口最多：" + "、".join(
                f"{r['id']}（{r[f'people_{s}']:.0f} 人）" for _, r in ranked.iterrows())
        return [line + "。"]

    def runoff_line(self) -> str:
        r = self.runoff
        default = model.default_value("lowpoint_runoff_coefficient")
        if r is None or r.source == "default":
            return (f"  径流系数：全县按默认值 {default:g}（可调整的默认值；包内没有土地利用图层 {runoff.LAYER} "
                    f"或 {runoff.RASTER}）。")
        if r.source == "given":
            return f"  径流系数：全县按指定值 {r.uniform:g}。"
        rest = f"，其余 {1 - r.covered_share:.0%} 按默认值 {default:g}" if r.covered_share < 1 else ""
        return f"  径流系数：按土地利用（{r.source}，覆盖 {r.covered_share:.0%}{rest}；各地类取值见 GB/T 21010 地类表）。"


def read_dem(path: Path):
    """The DEM as float32 (float64 for wider rasters) with NaN for nodata, its transform, CRS and cell size in
    metres (dx, dy), and a note when the cell size is approximate (longitude/latitude DEM)."""
    import rasterio
    if not path.is_file():
        raise RiskOneMapError("the package has no DEM (dem.tif); import one with `risk-one-map import dem=FILE`",
                              file=path)
    try:
        with rasterio.open(path) as src:
            z = src.read(1, masked=True)
            transform, crs = src.transform, src.crs
    except Exception as exc:  # rasterio raises RasterioIOError with GDAL's text
        raise RiskOneMapError(f"cannot read the DEM: {exc}", file=path) from exc
    if transform.b != 0 or transform.d != 0:
        raise RiskOneMapError("the DEM is rotated; warp it north-up first", file=path)
    # float32 where that holds every value (float32 and 8/16-bit rasters): half the memory, the same answers
    # (depressions.elevations); anything wider stays float64.
    exact32 = z.dtype in (np.float32, np.int16, np.uint16, np.int8, np.uint8)
    dem = np.ma.filled(z.astype(np.float32 if exact32 else np.float64), np.nan)
    dx, dy = abs(transform.a), abs(transform.e)
    note = None
    if crs is not None and crs.is_geographic:
        rows = dem.shape[0]
        lat = transform.f + transform.e * rows / 2
        dx *= M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat))
        dy *= M_PER_DEG_LAT
        note = (f"DEM 为经纬度坐标，格网大小按中心纬度 {lat:.2f}° 近似为 {dx:.1f} × {dy:.1f} 米 "
                f"(the DEM is in degrees: cells taken as {dx:.1f} × {dy:.1f} m at its centre latitude)")
    return dem, transform, crs, (dx, dy), note


def polygons(labels: np.ndarray, ids: Sequence[int], transform):
    """One (multi)polygon per depression id from the label grid, as shapely geometries in ``ids`` order."""
    import shapely
    from affine import Affine
    from rasterio import features
    ids_a = np.asarray(ids, dtype=np.int64)
    if not ids_a.size:
        return []
    # Which cells to trace: a look-up by id (np.isin sorts every cell of the grid), then only the rows and columns
    # that hold one (the tracing reads every cell it is given: 1.5 s a call at 1e8 cells).
    wanted = np.zeros(int(max(ids_a.max(), labels.max(initial=0))) + 1, dtype=bool)
    wanted[ids_a] = True
    keep = np.zeros(labels.shape, dtype=bool)
    for r in range(0, labels.shape[0], 1024):  # a block of rows at a time: no grid-sized temporaries
        block = labels[r:r + 1024]
        keep[r:r + 1024] = wanted[np.maximum(block, 0)] & (block > 0)
    rows, cols = np.flatnonzero(keep.any(axis=1)), np.flatnonzero(keep.any(axis=0))
    part = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)) if rows.size else None
    parts: dict = {}
    if part is not None:
        # Traced and joined in whole cells of the full grid, then placed with the grid's transform the way GDAL
        # places them (x = c + col * a + row * b): the same coordinates to the last bit as tracing the whole grid,
        # also where the cell size is no round number (a DEM in degrees). The cells outside ``keep`` are masked,
        # never traced, so their values need no clearing.
        for geom, value in features.shapes(labels[part].astype(np.int32, copy=False), mask=keep[part],
                                           transform=Affine.translation(part[1].start, part[0].start),
                                           connectivity=8):
            parts.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    t = transform

    def placed(xy):
        x, y = xy[:, 0], xy[:, 1]
        return np.column_stack([t.c + x * t.a + y * t.b, t.f + x * t.d + y * t.e])

    return [shapely.transform(shapely.union_all(parts[i]) if len(parts.get(i, ())) > 1 else parts[i][0], placed)
            for i in ids]


def _cell_xy(transform, rows, cols):
    x, y = transform * (np.asarray(cols) + 0.5, np.asarray(rows) + 0.5)
    return np.asarray(x, float), np.asarray(y, float)


def _inside(points, geoms) -> list:
    """For each polygon, the row positions of ``points`` inside it."""
    import shapely
    if points is None or not len(points) or not len(geoms):
        return [np.zeros(0, int) for _ in geoms]
    tree = shapely.STRtree(points.geometry.to_numpy())
    poly_i, point_i = tree.query(np.asarray(geoms, dtype=object), predicate="intersects")
    return [point_i[poly_i == k] for k in range(len(geoms))]


@names_the_package
def run(package_dir, *, rains_mm: Sequence[float] = DEFAULT_RAINS_MM, runoff_coefficient: Optional[float] = None,
        min_depth_m: Optional[float] = None, min_area_m2: Optional[float] = None, add_lowpoints: bool = False,
        progress=None, cancelled=None) -> LowpointsResult:
    t0 = time.perf_counter()
    steps = Steps(progress, cancelled, weights=(1, 6, 1, 2, 1))
    pkg = Package(package_dir).require()
    with plain_pages():  # the DEM and every grid made from it (see analysis/plain_pages.py)
        return _run(pkg, t0, steps, rains_mm, runoff_coefficient, min_depth_m, min_area_m2, add_lowpoints)


def _run(pkg, t0, steps, rains_mm, runoff_coefficient, min_depth_m, min_area_m2, add_lowpoints) -> LowpointsResult:
    steps.next()
    dem, transform, crs, cell, note = read_dem(pkg.dem_raster)
    steps.next()
    d = dp.find_depressions(dem, cell_size=cell, min_depth_m=min_depth_m, min_area_m2=min_area_m2)
    steps.next()
    runoff_grid = load_runoff(pkg, d.valid, transform, crs, runoff_coefficient)
    events = dp.rain_events(d, rains_mm, runoff_grid.coefficients)
    steps.next()
    layer = _depression_frame(d, events, transform, crs if crs is not None else pkg.crs())
    frame_crs = layer.crs
    geoms = layer.geometry.to_numpy()
    # Exposure: households and people inside the whole depression (what a full depression floods).
    households = pkg.read("households", required=False)
    if households is not None and frame_crs is not None and households.crs is not None:
        households = households.to_crs(frame_crs)
    inside = _inside(households, geoms)
    people = households["people"].to_numpy(float) if households is not None and len(households) else np.zeros(0)
    layer["households"] = [len(k) for k in inside]
    layer["people"] = [float(people[k].sum()) for k in inside]
    roads = pkg.read("roads", required=False)
    layer["road_m"] = _road_length(roads, geoms, frame_crs)
    # And in each rain: what lies in the cells under water.
    row_ids = d.significant["id"].tolist() + d.nested["id"].tolist()
    per_rain = lowpoints_exposure.per_rain(d, events, row_ids, layer["nest_level"].tolist(), households, roads,
                                           transform, frame_crs, polygons, _road_length)
    for rain, (hh, ppl, road) in per_rain.items():
        s = rain_suffix(rain)
        layer[f"households_{s}"], layer[f"people_{s}"], layer[f"road_m_{s}"] = hh, ppl, road
    villages = pkg.read("villages", required=False)
    layer["village_code"] = _village_codes(villages, layer["deepest_x"].to_numpy(), layer["deepest_y"].to_numpy(),
                                           frame_crs)
    steps.next()
    out = {LAYER: layer}
    added = linked = 0
    if add_lowpoints:
        out["flood_lowpoints"], added, linked = _merge_lowpoints(pkg, layer, villages)
    steps.check()
    pkg.write_layers(out)
    steps.done()
    return LowpointsResult(package=pkg.path, depressions=d, events=events, layer=layer, added_lowpoints=added,
                           linked_ledger=linked, notes=[note] if note else [], seconds=time.perf_counter() - t0,
                           runoff=runoff_grid, compiled=flow_kernels.ENABLED)


def load_runoff(pkg: Package, valid: np.ndarray, transform, crs, override: Optional[float] = None):
    """The runoff coefficient of every DEM cell: ``override`` everywhere when given; else the package's land use
    (the ``land_use`` polygons, else ``landuse.tif``) with the labelled default where it has none; else the
    default alone."""
    default = model.default_value("lowpoint_runoff_coefficient")
    if override is not None:
        c = dp.checked_runoff(override)
        return runoff.RunoffGrid(grid=None, source="given", covered_share=1.0, uniform=c)
    polys = pkg.read(runoff.LAYER, required=False)
    if polys is not None and len(polys):
        if crs is not None and polys.crs is not None:
            polys = polys.to_crs(crs)
        return runoff.from_polygons(polys, transform, valid.shape, valid, default, file=pkg.gpkg)
    raster = pkg.path / runoff.RASTER
    if raster.is_file():
        return runoff.from_raster(_codes_on_grid(raster, valid.shape, transform, crs), valid, default, file=raster)
    return runoff.RunoffGrid(grid=None, source="default", covered_share=0.0, uniform=default)


def _codes_on_grid(path: Path, shape, transform, crs) -> np.ndarray:
    """A land-use class raster resampled (nearest) onto the DEM grid; NaN where it has no data."""
    import rasterio
    from rasterio.warp import Resampling, reproject
    out = np.full(shape, np.nan)
    try:
        with rasterio.open(path) as src:
            reproject(rasterio.band(src, 1), out, dst_transform=transform, dst_crs=crs or src.crs,
                      dst_nodata=np.nan, resampling=Resampling.nearest)
    except Exception as exc:  # rasterio raises RasterioIOError / CRSError with GDAL's text
        raise RiskOneMapError(f"cannot read the land-use raster: {exc}", file=path) from exc
    return out


def _depression_frame(d: dp.Depressions, events: list, transform, crs):
    """The significant depressions (nest_level 0, their spill and catchment) then the ponds nested in them
    (parent_id, nest_level 1, 2, ...), with per rain the filled share, water depth, flooded area and spills."""
    import geopandas as gpd
    sig = d.significant
    nest = d.nested
    ids = sig["id"].to_list()
    names = {i: f"{DEM_ID_PREFIX}{n + 1:04d}" for n, i in enumerate(ids + nest["id"].to_list())}
    deep_x, deep_y = _cell_xy(transform, np.r_[sig["deepest_row"], nest["deepest_row"]],
                              np.r_[sig["deepest_col"], nest["deepest_col"]])
    spill_x, spill_y = _cell_xy(transform, sig["spill_row"], sig["spill_col"])
    geoms = polygons(d.labels, ids, transform)
    # Ponds of one nesting level never overlap: one grid and one tracing per level.
    nested_geoms = [None] * len(nest)
    for lev in np.unique(nest["level"]):
        rows = np.flatnonzero(nest["level"].to_numpy() == lev)
        grid = np.zeros(d.labels.shape, dtype=np.int32)
        for k in rows:
            grid.ravel()[d.nested_cells[k]] = k + 1
        for k, g in zip(rows, polygons(grid, (rows + 1).tolist(), transform)):
            nested_geoms[k] = g
    geoms += nested_geoms
    nan = np.full(len(nest), np.nan)
    layer = gpd.GeoDataFrame({
        "id": [names[i] for i in ids + nest["id"].to_list()],
        "nest_level": np.r_[np.zeros(len(sig), int), nest["level"].to_numpy(int)],
        "parent_id": [None] * len(sig) + [names[int(p)] for p in nest["parent"]],
        **{col: np.r_[sig[col].to_numpy(float), nest[col].to_numpy(float)]
           for col in ("max_depth_m", "area_m2", "volume_m3", "spill_elev_m", "bottom_elev_m")},
        "catchment_m2": np.r_[sig["catchment_m2"].to_numpy(float), nan],
        "spills_to": [names.get(int(k), "县界外" if k == 0 else "小洼地") for k in sig["downstream"]]
        + [names[int(p)] for p in nest["parent"]],
        "deepest_x": deep_x, "deepest_y": deep_y, "spill_x": np.r_[spill_x, nan], "spill_y": np.r_[spill_y, nan],
    }, geometry=geoms, crs=crs)
    for ev in events:
        t = pd.concat([ev.table.iloc[sig.index], ev.nested], ignore_index=True)
        s = rain_suffix(ev.rain_mm)
        layer[f"fill_{s}"] = t["fill_share"].to_numpy(float)
        layer[f"depth_{s}"] = t["water_depth_m"].to_numpy(float)
        layer[f"flooded_m2_{s}"] = t["flooded_m2"].to_numpy(float)
        layer[f"spills_{s}"] = t["spills"].to_numpy().astype(int)
    return layer


def _road_length(roads, geoms, crs) -> list:
    """Metres of road inside each polygon: the lanes that go under water."""
    import shapely
    if roads is None or not len(roads) or not len(geoms):
        return [0.0] * len(geoms)
    if crs is not None and roads.crs is not None:
        roads = roads.to_crs(crs)
    lines = roads.geometry.to_numpy()
    poly_i, line_i = shapely.STRtree(lines).query(np.asarray(geoms, dtype=object), predicate="intersects")
    lengths = shapely.length(shapely.intersection(lines[line_i], np.asarray(geoms, dtype=object)[poly_i]))
    return np.bincount(poly_i, weights=lengths, minlength=len(geoms)).tolist()


def _village_codes(villages, x, y, crs) -> list:
    import shapely
    if villages is None or not len(villages) or not len(x):
        return [None] * len(x)
    if crs is not None and villages.crs is not None:
        villages = villages.to_crs(crs)
    tree = shapely.STRtree(villages.geometry.to_numpy())
    pt_i, v_i = tree.query(shapely.points(x, y), predicate="within")
    codes = [None] * len(x)
    for p, v in zip(pt_i[::-1], v_i[::-1]):  # the first village listed wins where boundaries overlap
        codes[p] = villages["code"].iloc[v]
    return codes


def _merge_lowpoints(pkg: Package, layer, villages):
    """flood_lowpoints with the significant (outermost) depressions added as points at their deepest cell (source
    'dem'), earlier DEM entries replaced, ledger points lying in a depression linked on ``layer['ledger_ids']``
    instead."""
    import geopandas as gpd
    import shapely
    old = pkg.read("flood_lowpoints", required=False)
    spec = model.layer_spec("flood_lowpoints")
    if old is None:
        old = gpd.GeoDataFrame({f.name: [] for f in spec.fields}, geometry=[], crs=layer.crs)
    elif layer.crs is not None and old.crs is not None:
        old = old.to_crs(layer.crs)
    ours = old["id"].astype(str).str.startswith(DEM_ID_PREFIX)
    kept = old[~ours].reset_index(drop=True)
    top = (layer["nest_level"] == 0).to_numpy()  # nested ponds lie inside these
    inside = _inside(kept, layer.geometry.to_numpy()[top])
    links = [",".join(kept["id"].iloc[k].astype(str)) or None for k in inside]
    layer["ledger_ids"] = links + [None] * int((~top).sum())
    new = layer[top][[len(k) == 0 for k in inside]]
    if villages is not None and len(villages):  # a hollow outside every village is not the county's to list
        new = new[new["village_code"].notna()]
    # One geometry type per layer (QGIS styles one): a ledger of ponding polygons gets polygons, else points.
    polygonal = len(kept) and kept.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    where = new.geometry.to_numpy() if polygonal else shapely.points(new["deepest_x"].to_numpy(),
                                                                       new["deepest_y"].to_numpy())
    vnames = dict(zip(villages["code"], villages["name"])) if villages is not None and len(villages) else {}
    rows = gpd.GeoDataFrame({
        "id": new["id"].to_numpy(),
        "name": [f"{vnames.get(c, '')}DEM洼地{i[len(DEM_ID_PREFIX):]}" for c, i in zip(new["village_code"], new["id"])],
        "max_depth_m": new["max_depth_m"].round(2).to_numpy(), "area_m2": new["area_m2"].round(1).to_numpy(),
        "source": "dem", "village_code": new["village_code"].to_numpy(),
    }, geometry=where, crs=layer.crs)
    merged = pd.concat([kept, rows], ignore_index=True)
    linked = len(set(np.concatenate(inside).tolist())) if inside else 0
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=layer.crs), len(rows), linked
