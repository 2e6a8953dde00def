"""Broken inputs, made from one small sample county: at least 200 cases across the families of issue #14.

A case is a name, a family, a function that breaks a copy of the base (package folder ``pkg`` and raw files in
``raw``), the command lines it goes through, and what each command must do with it:

- ``ok``      exit 0 (a correct result);
- ``refuse``  exit 1 with one line naming the file (and layer/feature/field where the case says);
- ``either``  exit 0, or exit 1 with such a line;
- ``warn``    exit 1 with such a line, or exit 0 saying ``pattern`` in its output.
"""
from __future__ import annotations

import math
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

ANALYSES = ("exposure", "evacuate", "site-depots")
CHECK = "check"


@dataclass
class Case:
    name: str
    family: str
    breaks: Callable  # breaks(pkg: Path, raw: Path) -> None
    expect: dict      # command -> "ok" | "refuse" | "either" | "warn"
    pattern: str = ""          # what a "warn" outcome must say (regex, case-insensitive)
    names: tuple = ()          # words the error line must contain (layer names, feature ids, fields)
    argv: Optional[dict] = None  # command -> extra arguments
    imports: Optional[Callable] = None  # raw -> argv of an import run (the import family)
    slow: bool = False         # only in RISK_ONE_MAP_FUZZ=full


def command_line(case: Case, command: str, pkg: Path, raw: Path, out: Path) -> list:
    extra = list((case.argv or {}).get(command, ()))
    if command == "import":
        return ["import", *case.imports(raw), "--out", str(out), "--no-project", *extra]
    if command == "exposure":
        return ["exposure", str(pkg), "--no-charts", *extra]
    if command == "site-depots":
        return ["site-depots", str(pkg), "-k", "1", "--time-limit", "10", *extra]
    if command == "atlas":
        return ["atlas", str(pkg), "--out", str(out), "--village", _first_village(pkg), *extra]
    return [command, str(pkg), *extra]


def _first_village(pkg: Path) -> str:
    with sqlite3.connect(pkg / "onemap.gpkg") as db:
        return str(db.execute("select code from villages order by fid limit 1").fetchone()[0])


# --------------------------------------------------------------------------------------------------
# Ways to break a package
# --------------------------------------------------------------------------------------------------
def sql(pkg: Path, *statements, params=()) -> None:
    """Edits straight in SQLite, with the GeoPackage's rtree triggers (which call GDAL's SQL functions) set aside
    and put back."""
    db = sqlite3.connect(pkg / "onemap.gpkg")
    try:
        triggers = db.execute("select name, sql from sqlite_master where type = 'trigger' and name like 'rtree_%'"
                              ).fetchall()
        for name, _ in triggers:
            db.execute(f'drop trigger "{name}"')
        for s in statements:
            db.execute(s, params)
        for _, text in triggers:
            db.execute(text)
        db.commit()
    finally:
        db.close()


def set_value(layer, fid, column, value):
    def breaks(pkg, raw):
        sql(pkg, f'update "{layer}" set "{column}" = ? where fid = ?'.replace("?", "{}").format(
            _literal(value), int(fid)))
    return breaks


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        if math.isnan(value):
            return "NULL"
        if math.isinf(value):
            return "9e999" if value > 0 else "-9e999"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def edit_layer(layer, fn):
    """Read a layer with geopandas, change it with ``fn(frame) -> frame``, write it back with the package's writer."""
    def breaks(pkg, raw):
        import pyogrio
        from risk_one_map.layers.package import _drop_layers, write_frame
        frame = pyogrio.read_dataframe(pkg / "onemap.gpkg", layer=layer)
        frame = fn(frame)
        tmp = pkg / "edit.gpkg"
        shutil.copyfile(pkg / "onemap.gpkg", tmp)
        _drop_layers(tmp, [layer])
        write_frame(tmp, layer, frame)
        tmp.replace(pkg / "onemap.gpkg")
    return breaks


def shift_layer(layer, dx, dy, rows=None):
    def fn(frame):
        import shapely
        geoms = frame.geometry.to_numpy().copy()
        idx = range(len(geoms)) if rows is None else rows
        for i in idx:
            geoms[i] = shapely.affinity.translate(geoms[i], dx, dy)
        return frame.set_geometry(geoms, crs=frame.crs)
    return edit_layer(layer, fn)


def set_geometry(layer, row, make):
    def fn(frame):
        geoms = frame.geometry.to_numpy().copy()
        geoms[row] = make(geoms[row])
        return frame.set_geometry(list(geoms), crs=frame.crs)
    return edit_layer(layer, fn)


def raw_geometry(layer, fid, blob):
    """Write bytes into the geometry column (NULL or garbage) with the rtree triggers out of the way."""
    def breaks(pkg, raw):
        with sqlite3.connect(pkg / "onemap.gpkg") as db:
            col = db.execute("select column_name from gpkg_geometry_columns where table_name = ?",
                             (layer,)).fetchone()[0]
        sql(pkg, f'update "{layer}" set "{col}" = ? where fid = ?', params=(blob, fid))
    return breaks


def gpkg_bytes(fn):
    def breaks(pkg, raw):
        path = pkg / "onemap.gpkg"
        path.write_bytes(fn(path.read_bytes()))
    return breaks


def srs(layer, srs_id):
    return lambda pkg, raw: sql(pkg, f"update gpkg_geometry_columns set srs_id = {srs_id} where table_name = '{layer}'",
                                f"update gpkg_contents set srs_id = {srs_id} where table_name = '{layer}'")


def rtree_garbage(layer):
    def breaks(pkg, raw):
        db = sqlite3.connect(pkg / "onemap.gpkg")
        try:
            col = db.execute("select column_name from gpkg_geometry_columns where table_name = ?",
                             (layer,)).fetchone()[0]
            db.execute(f'update "rtree_{layer}_{col}_node" set data = ?', (b"\x00\x01garbage",))
            db.commit()
        finally:
            db.close()
    return breaks


def raster_cells(name, fn, nodata="keep"):
    """Rewrite population.tif / dem.tif with ``fn(array) -> array`` (same grid)."""
    def breaks(pkg, raw):
        import rasterio
        path = pkg / name
        with rasterio.open(path) as src:
            profile, data = src.profile, src.read(1)
        data = fn(data.astype("float32"))
        profile.update(dtype="float32", height=data.shape[0], width=data.shape[1])
        if nodata != "keep":
            profile["nodata"] = nodata
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
    return breaks


def one_pixel(name):
    def breaks(pkg, raw):
        import rasterio
        from rasterio.transform import from_origin
        path = pkg / name
        with rasterio.open(path) as src:
            profile, b = src.profile, src.bounds
        profile.update(width=1, height=1, dtype="float32", tiled=False,
                       transform=from_origin(b.left, b.top, b.right - b.left, b.top - b.bottom))
        profile.pop("blockxsize", None), profile.pop("blockysize", None)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(np.full((1, 1), 5000.0, dtype="float32"), 1)
    return breaks


def file_bytes(name, fn):
    def breaks(pkg, raw):
        path = pkg / name
        path.write_bytes(fn(path.read_bytes()))
    return breaks


def both(*fns):
    def breaks(pkg, raw):
        for f in fns:
            f(pkg, raw)
    return breaks


def nothing(pkg, raw):
    return None


# --------------------------------------------------------------------------------------------------
# Raw inputs for import
# --------------------------------------------------------------------------------------------------
def write_raw(pkg: Path, raw: Path) -> None:
    """county/townships/villages as GeoJSON (lon/lat), shelters as a CSV with 经度/纬度, from the base package."""
    import pyogrio
    raw.mkdir(parents=True, exist_ok=True)
    for layer in ("county", "townships", "villages"):
        frame = pyogrio.read_dataframe(pkg / "onemap.gpkg", layer=layer).to_crs(4490)
        pyogrio.write_dataframe(frame, raw / f"{layer}.geojson", driver="GeoJSON")
    shelters = pyogrio.read_dataframe(pkg / "onemap.gpkg", layer="shelters").to_crs(4490)
    pts = shelters.geometry.representative_point()
    table = shelters.drop(columns="geometry")[["id", "name", "shelter_class", "capacity"]].copy()
    table.columns = ["编号", "名称", "类别", "容纳人数"]
    table["经度"], table["纬度"] = pts.x.round(6), pts.y.round(6)
    table.to_csv(raw / "避难场所.csv", index=False, encoding="utf-8")


def admin(raw):
    return [f"county={raw / 'county.geojson'}", f"townships={raw / 'townships.geojson'}",
            f"villages={raw / 'villages.geojson'}"]


def with_shelters(name="避难场所.csv"):
    return lambda raw: admin(raw) + [f"shelters={raw / name}"]


def csv_edit(fn, name="避难场所.csv"):
    def breaks(pkg, raw):
        import pandas as pd
        path = raw / name
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = fn(frame)
        if isinstance(frame, str):
            path.write_text(frame, encoding="utf-8")
        else:
            frame.to_csv(path, index=False, encoding="utf-8")
    return breaks


def geojson_text(name, text):
    def breaks(pkg, raw):
        (raw / name).write_text(text, encoding="utf-8")
    return breaks


def villages_json_codes(fn):
    """Rewrite village codes in villages.geojson as JSON numbers (fn(code) -> a number)."""
    def breaks(pkg, raw):
        import json
        path = raw / "villages.geojson"
        data = json.loads(path.read_text(encoding="utf-8"))
        for f in data["features"]:
            f["properties"]["code"] = fn(f["properties"]["code"])
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return breaks


def villages_shapefile_prj(epsg_in_prj):
    """villages as a shapefile in GK 3° zone 39 (CM 117) whose .prj names a different zone."""
    def breaks(pkg, raw):
        import pyogrio
        from pyproj import CRS
        frame = pyogrio.read_dataframe(pkg / "onemap.gpkg", layer="villages")
        pyogrio.write_dataframe(frame, raw / "村界.shp", driver="ESRI Shapefile", encoding="UTF-8")
        (raw / "村界.prj").write_text(CRS.from_epsg(epsg_in_prj).to_wkt("WKT1_ESRI"), encoding="ascii")
    return breaks


def vill_shp(raw):
    return [f"county={raw / 'county.geojson'}", f"townships={raw / 'townships.geojson'}",
            f"villages={raw / '村界.shp'}"]


# --------------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------------
A_REFUSE = {CHECK: "refuse", **{a: "refuse" for a in ANALYSES}}
A_EITHER = {CHECK: "either", **{a: "either" for a in ANALYSES}}
ALL_OK = {CHECK: "ok", **{a: "ok" for a in ANALYSES}}


def _numeric_cases():
    """Bad numbers in every numeric field an analysis reads: text, NaN, ±inf, negative, 1e300, NULL."""
    fields = [  # layer, fid, column, which commands read it, NULL allowed
        ("villages", 1, "population", ("exposure", "site-depots"), True),
        ("villages", 2, "households", ("exposure",), True),
        ("households", 1, "people", ("exposure", "evacuate", "site-depots"), False),
        ("shelters", 1, "capacity", ("evacuate",), True),
        ("shelters", 2, "area_m2", ("evacuate",), True),
        ("risk_zones", 1, "risk_level", ("exposure",), False),
        ("geohazard_points", 1, "evac_radius_m", ("evacuate",), True),
        ("roads", 1, "drive_kmh", ("site-depots",), True),
        ("depot_candidates", 1, "capacity", ("site-depots",), True),
    ]
    values = [("text", "很多"), ("nan", float("nan")), ("inf", float("inf")), ("-inf", float("-inf")),
              ("negative", -50.0), ("huge", 1e300), ("null", None)]
    for layer, fid, column, readers, nullable in fields:
        for label, value in values:
            if label == "nan" and nullable:
                continue  # SQLite stores NaN as NULL: the same case as null
            # 1e300 is beyond every plausible maximum (model.py) but a depot's capacity, which has no unit
            fine = (label == "null" and nullable) or (label == "huge" and layer == "depot_candidates")
            expect = {CHECK: "ok" if fine else "refuse"}
            for a in ANALYSES:
                expect[a] = "either" if fine else ("refuse" if a in readers else "either")
            yield Case(f"{layer}.{column}={label}", "numbers", set_value(layer, fid, column, value), expect,
                       names=(layer, column))


def _geometry_cases():
    from shapely.geometry import Polygon
    layers = {"villages": "Polygon", "households": "Point", "shelters": "Point", "risk_zones": "Polygon",
              "roads": "LineString", "geohazard_points": "Point", "townships": "Polygon",
              "depot_candidates": "Point", "geohazard_zones": "Polygon", "county": "Polygon"}
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    for layer in layers:
        yield Case(f"{layer} NULL geometry", "geometry", raw_geometry(layer, 1, None),
                   {CHECK: "refuse", **{a: "either" for a in ANALYSES}} if layer not in ("villages",) else A_REFUSE,
                   names=(layer,))
        yield Case(f"{layer} garbage geometry", "geometry", raw_geometry(layer, 1, b"GP\x00\x01garbage!"),
                   {CHECK: "refuse", **{a: "either" for a in ANALYSES}} if layer not in ("villages",) else A_REFUSE,
                   names=(layer,))
        yield Case(f"{layer} 250 km away", "outside", shift_layer(layer, 250_000, 0, rows=[0]),
                   {CHECK: "refuse", **{a: "either" for a in ANALYSES}}, names=(layer,))
        if layers[layer] == "Polygon":
            def bow(g, b=bowtie):
                import shapely
                x0, y0, x1, y1 = g.bounds
                return shapely.affinity.translate(shapely.affinity.scale(b, x1 - x0, y1 - y0, origin=(0, 0)), x0, y0)
            yield Case(f"{layer} self-crossing polygon", "geometry", set_geometry(layer, 0, bow),
                       {CHECK: "refuse", **{a: "either" for a in ANALYSES}}, names=(layer,))
    for layer in ("households", "shelters"):
        yield Case(f"all {layer} 100 km away", "outside", shift_layer(layer, 0, 100_000),
                   {CHECK: "refuse", "exposure": "either", "evacuate": "warn", "site-depots": "either"},
                   pattern="outside the county", names=(layer,))


def _code_cases():
    yield Case("duplicate village code", "codes",
               lambda pkg, raw: sql(pkg, "update villages set code = (select code from villages where fid = 1) "
                                         "where fid = 2"), A_REFUSE, names=("villages", "code"))
    for label, value in (("float text", "130699101001.0"), ("sci", "1.30699101001e+11"), ("11 digits", "13069910100"),
                         ("blank", "  "), ("null", None), ("letters", "ABCDEFGHIJKL")):
        yield Case(f"village code {label}", "codes", set_value("villages", 1, "code", value),
                   {CHECK: "refuse", **{a: "either" for a in ANALYSES}}, names=("villages", "code"))
    yield Case("duplicate shelter id", "codes",
               lambda pkg, raw: sql(pkg, "update shelters set id = (select id from shelters where fid = 1) "
                                         "where fid = 2"), {CHECK: "refuse", "exposure": "either", "evacuate": "refuse",
                                                            "site-depots": "either"}, names=("shelters", "id"))
    yield Case("duplicate household id", "codes",
               lambda pkg, raw: sql(pkg, "update households set id = (select id from households where fid = 1) "
                                         "where fid = 2"), {CHECK: "refuse", **{a: "either" for a in ANALYSES}})
    yield Case("shelter class unknown", "codes", set_value("shelters", 1, "shelter_class", "大"),
               {CHECK: "refuse", "exposure": "either", "evacuate": "refuse", "site-depots": "either"},
               names=("shelters", "shelter_class"))
    yield Case("hazard_type unknown", "codes", set_value("risk_zones", 1, "hazard_type", "外星人"),
               {CHECK: "refuse", "exposure": "refuse", "evacuate": "either", "site-depots": "either"},
               names=("risk_zones", "hazard_type"))
    yield Case("geohazard kind unknown", "codes", set_value("geohazard_points", 1, "kind", "大坑"),
               {CHECK: "refuse", "exposure": "either", "evacuate": "either", "site-depots": "either"})


def _text_cases():
    for label, value in (("formula", "=1+2"), ("hyperlink", '=HYPERLINK("http://x.example","点我")'),
                         ("dde", "+1+cmd|' /C calc'!A0"), ("minus", "-2+3"), ("at", "@SUM(A1:A2)"),
                         ("tab", "\t=1"), ("cr", "\r=1"), ("ansi", "\x1b[31m红村"), ("nul-ish", "村\x07名")):
        yield Case(f"village name {label}", "injection", set_value("villages", 1, "name", value),
                   {CHECK: "either", "exposure": "ok", "evacuate": "ok", "site-depots": "ok"})
        yield Case(f"shelter name {label}", "injection", set_value("shelters", 1, "name", value),
                   {CHECK: "either", "exposure": "ok", "evacuate": "ok", "site-depots": "ok"})


def _file_cases():
    for label, fn in (("truncated", lambda b: b[: len(b) // 3]), ("text", lambda b: "这不是 GeoPackage\n".encode()),
                      ("0 bytes", lambda b: b""), ("plain SQLite", None), ("header only", lambda b: b[:100])):
        breaks = gpkg_bytes(fn) if fn else _plain_sqlite
        yield Case(f"onemap.gpkg {label}", "files", breaks, A_REFUSE, names=("onemap.gpkg",))
    for layer in ("villages", "households", "shelters"):
        yield Case(f"{layer} rtree garbage", "files", rtree_garbage(layer), A_EITHER)
    yield Case("villages srs 4326", "crs", srs("villages", 4326), A_REFUSE, names=("villages",))
    yield Case("households srs 4326", "crs", srs("households", 4326), {CHECK: "refuse", **{a: "either" for a in ANALYSES}})
    yield Case("villages srs 4547 (wrong zone)", "crs", srs("villages", 4547), A_REFUSE, names=("villages",))
    yield Case("all layers srs 4526 (wrong zone, false easting)", "crs",
               both(*(srs(layer, 4526) for layer in ("county", "townships", "villages", "risk_zones", "shelters",
                                                    "households", "roads", "geohazard_points", "geohazard_zones",
                                                    "flood_lowpoints", "depots", "depot_candidates"))),
               {CHECK: "refuse", **{a: "refuse" for a in ANALYSES}})
    yield Case("villages layer dropped", "files", _drop("villages"), A_REFUSE, names=("villages",))
    yield Case("households layer dropped", "files", _drop("households"), {CHECK: "ok", **{a: "either" for a in ANALYSES}})
    yield Case("shelters layer dropped", "files", _drop("shelters"), {CHECK: "ok", **{a: "either" for a in ANALYSES}})
    yield Case("roads layer dropped", "files", _drop("roads"), {CHECK: "ok", **{a: "either" for a in ANALYSES}})
    yield Case("package folder is a file", "files", _package_is_file, A_REFUSE)


def _drop(layer):
    def breaks(pkg, raw):
        from risk_one_map.layers.package import _drop_layers
        _drop_layers(pkg / "onemap.gpkg", [layer])
    return breaks


def _plain_sqlite(pkg, raw):
    path = pkg / "onemap.gpkg"
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("create table villages (code text, name text)")
    db.execute("insert into villages values ('130699101001', '一村')")
    db.commit()
    db.close()


def _package_is_file(pkg, raw):
    shutil.rmtree(pkg)
    pkg.write_text("not a folder", encoding="utf-8")


def _raster_cases():
    for name, what in (("population.tif", "population"), ("dem.tif", "dem")):
        readers = ("exposure", "evacuate") if what == "population" else ()  # site-depots counts households
        bad = {CHECK: "refuse", **{a: ("refuse" if a in readers else "either") for a in ANALYSES}}
        yield Case(f"{name} 0 bytes", "rasters", file_bytes(name, lambda b: b""), bad, names=(name,))
        yield Case(f"{name} garbage", "rasters", file_bytes(name, lambda b: b"GARBAGE" * 100), bad, names=(name,))
        yield Case(f"{name} truncated", "rasters", file_bytes(name, lambda b: b[: len(b) // 2]), bad, names=(name,))
        yield Case(f"{name} 1x1 pixel", "rasters", one_pixel(name), A_EITHER, slow=False)
    cells = {CHECK: "refuse", "exposure": "refuse", "evacuate": "refuse", "site-depots": "either"}
    yield Case("population.tif +inf cell", "rasters", raster_cells("population.tif", _poke(np.inf)), cells,
               names=("population.tif",))
    yield Case("population.tif -inf cell", "rasters", raster_cells("population.tif", _poke(-np.inf)), cells,
               names=("population.tif",))
    yield Case("population.tif NaN cell", "rasters", raster_cells("population.tif", _poke(np.nan)), cells,
               names=("population.tif",))
    yield Case("population.tif negative cell", "rasters", raster_cells("population.tif", _poke(-10.0)), cells,
               names=("population.tif",))
    yield Case("population.tif no nodata", "rasters", raster_cells("population.tif", lambda a: a, nodata=None),
               A_EITHER)
    yield Case("population.tif 100 km away", "rasters", _raster_shift("population.tif", 100_000), 
               {CHECK: "refuse", **{a: "either" for a in ANALYSES}}, names=("population.tif",))


def _poke(value):
    def fn(a):
        a = a.copy()
        a[a.shape[0] // 2, a.shape[1] // 2] = value
        return a
    return fn


def _raster_shift(name, dx):
    def breaks(pkg, raw):
        import rasterio
        from affine import Affine
        path = pkg / name
        with rasterio.open(path) as src:
            profile, data = src.profile, src.read(1)
        profile["transform"] = Affine.translation(dx, 0) * profile["transform"]
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
    return breaks


def _argument_cases():
    ev = {CHECK: "ok", "exposure": "ok", "evacuate": "refuse", "site-depots": "ok"}
    for arg in (["--radius", "landslide=-5"], ["--radius", "landslide=nan"], ["--radius", "landslide=inf"],
                ["--radius", "dragon=100"], ["--walk-kmh", "nan"], ["--walk-kmh", "inf"], ["--max-walk-m", "-1"],
                ["--snap-m", "-3"], ["--minutes", "5,nan"], ["--max-leg-m", "inf"]):
        yield Case(f"evacuate {' '.join(arg)}", "arguments", nothing, ev, argv={"evacuate": arg})
    sd = {CHECK: "ok", "exposure": "ok", "evacuate": "ok", "site-depots": "refuse"}
    for arg in (["-k", "-1"], ["-k", "2.5"], ["--max-minutes", "nan"], ["--max-minutes", "-5"],
                ["--people-per-capacity", "inf"], ["--time-limit", "-1"]):
        yield Case(f"site-depots {' '.join(arg)}", "arguments", nothing, sd, argv={"site-depots": arg})
    # no new depot: the existing ones are measured (a question planners ask)
    yield Case("site-depots -k 0", "arguments", nothing, {**sd, "site-depots": "ok"}, argv={"site-depots": ["-k", "0"]})


def _import_cases():
    ok = {"import": "ok"}
    refuse = {"import": "refuse"}
    yield Case("import: the base files", "import", nothing, ok, imports=with_shelters())
    yield Case("import: empty GeoJSON", "import",
               geojson_text("empty.geojson", '{"type": "FeatureCollection", "features": []}'), {"import": "either"},
               imports=lambda raw: admin(raw) + [f"shelters={raw / 'empty.geojson'}"], names=("empty.geojson",))
    yield Case("import: header-only CSV", "import", csv_edit(lambda f: ",".join(f.columns) + "\n"),
               {"import": "either"}, imports=with_shelters(), names=("避难场所.csv",))
    yield Case("import: all coordinates blank", "import", csv_edit(lambda f: f.assign(经度="", 纬度="")),
               refuse, imports=with_shelters(), names=("避难场所.csv",))
    yield Case("import: one bad longitude", "import", csv_edit(lambda f: f.assign(经度=["abc"] + list(f.经度[1:]))),
               {"import": "either"}, imports=with_shelters(), names=("避难场所.csv", "2"))
    yield Case("import: one longitude 250 km off", "import",
               csv_edit(lambda f: f.assign(经度=[str(float(f.经度[0]) + 3)] + list(f.经度[1:]))),
               {"import": "warn"}, pattern="outside the county", imports=with_shelters())
    yield Case("import: capacity text", "import", csv_edit(lambda f: f.assign(容纳人数=["很多"] + list(f.容纳人数[1:]))),
               {"import": "warn"}, pattern="很多", imports=with_shelters())
    yield Case("import: capacity 1e300", "import", csv_edit(lambda f: f.assign(容纳人数=["1e300"] + list(f.容纳人数[1:]))),
               {"import": "either"}, imports=with_shelters())
    yield Case("import: capacity -50", "import", csv_edit(lambda f: f.assign(容纳人数=["-50"] + list(f.容纳人数[1:]))),
               {"import": "either"}, imports=with_shelters())
    for label, fn in (("float", lambda c: float(c)), ("sci", lambda c: float(c)), ("int", lambda c: int(c))):
        yield Case(f"import: village codes as JSON {label}", "import", villages_json_codes(fn), ok,
                   imports=admin, names=("villages",))
    yield Case("import: village codes as text 1.30699101001e+11", "import",
               villages_json_codes(lambda c: f"{float(c):.11e}"), {"import": "either"}, imports=admin)
    yield Case("import: village codes as text NNN.0", "import",
               villages_json_codes(lambda c: f"{c}.0"), ok, imports=admin)
    yield Case("import: villages .prj of zone 39 (right)", "import", villages_shapefile_prj(4548), ok, imports=vill_shp)
    yield Case("import: villages .prj of zone 38 (wrong)", "import", villages_shapefile_prj(4547), {"import": "warn"},
               pattern="outside the county", imports=vill_shp)  # a valid zone 3° west: the villages land there
    yield Case("import: villages .prj 4526 (wrong zone, false easting)", "import", villages_shapefile_prj(4526),
               refuse, imports=vill_shp, names=("村界.shp",))
    yield Case("import: villages and shelters only", "import", nothing, {"import": "warn"},
               pattern="required layer is missing",
               imports=lambda raw: [f"villages={raw / 'villages.geojson'}", f"shelters={raw / '避难场所.csv'}"])
    yield Case("import: garbage GeoJSON", "import", geojson_text("bad.geojson", '{"type": "Feat'), refuse,
               imports=lambda raw: admin(raw) + [f"shelters={raw / 'bad.geojson'}"], names=("bad.geojson",))
    yield Case("import: GeoJSON with null geometries", "import",
               geojson_text("nullgeo.geojson", '{"type":"FeatureCollection","features":[{"type":"Feature",'
                                               '"properties":{"名称":"甲","类别":"紧急"},"geometry":null}]}'),
               {"import": "either"}, imports=lambda raw: admin(raw) + [f"shelters={raw / 'nullgeo.geojson'}"])
    yield Case("import: formula names in CSV", "import",
               csv_edit(lambda f: f.assign(名称=["=1+2"] + list(f.名称[1:]))), ok, imports=with_shelters())
    yield Case("import: dem 0 bytes", "import", lambda pkg, raw: (raw / "dem.tif").write_bytes(b""), refuse,
               imports=lambda raw: admin(raw) + [f"dem={raw / 'dem.tif'}"], names=("dem.tif",))
    yield Case("import: dem garbage", "import", lambda pkg, raw: (raw / "dem.tif").write_bytes(b"II*\x00garbage"),
               refuse, imports=lambda raw: admin(raw) + [f"dem={raw / 'dem.tif'}"], names=("dem.tif",))
    yield Case("import: shelters CSV binary garbage", "import",
               lambda pkg, raw: (raw / "避难场所.csv").write_bytes(bytes(range(256)) * 4), {"import": "either"},
               imports=with_shelters())


def _atlas_cases():
    at = {"atlas": "refuse"}
    yield Case("atlas: village NULL geometry", "atlas", raw_geometry("villages", 1, None), at, names=("villages",),
               slow=True)
    yield Case("atlas: village garbage geometry", "atlas", raw_geometry("villages", 1, b"GP\x00garbage"), at,
               names=("villages",), slow=True)
    yield Case("atlas: NULL risk_level", "atlas", set_value("risk_zones", 1, "risk_level", None), at,
               names=("risk_zones", "risk_level"), slow=True)
    yield Case("atlas: --out is a file", "atlas", nothing, at, argv={"atlas": []}, slow=True)
    yield Case("atlas: intact", "atlas", nothing, {"atlas": "ok"}, slow=True)


def build_cases() -> list:
    cases = [Case("intact package", "control", nothing, ALL_OK)]
    for gen in (_numeric_cases, _geometry_cases, _code_cases, _text_cases, _file_cases, _raster_cases,
                _argument_cases, _import_cases, _atlas_cases):
        cases.extend(gen())
    return cases
