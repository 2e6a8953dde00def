"""Read raw input files into :class:`Source` objects: attributes, geometries in the file's own CRS, and how
the encoding, the CRS and the target layer were decided.

Shapefile (attributes decoded by :mod:`.encoding`, geometry by pyogrio), GeoPackage (every layer),
GeoJSON and other OGR formats, CSV (UTF-8 with or without BOM, or GB18030) and XLSX (every sheet) with
coordinate columns. Inputs are only ever read; a shapefile's geometry is read through links in a temporary
folder so that GDAL never sees (or writes beside) the original .dbf.

Pure: pyogrio, pandas, shapely, pyproj.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import RiskOneMapError
from . import crs_detect, encoding as enc, fieldmap

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".kml", ".gml", ".tab", ".mif", ".fgb", ".sqlite"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}

LON_NAMES = ("经度", "lon", "lng", "long", "longitude", "东经", "经度(°)", "中心经度", "point_lon")
LAT_NAMES = ("纬度", "lat", "latitude", "北纬", "纬度(°)", "中心纬度", "point_lat")
X_NAMES = ("x", "x坐标", "坐标x", "东坐标", "横坐标", "easting", "point_x", "xcoord")
Y_NAMES = ("y", "y坐标", "坐标y", "北坐标", "纵坐标", "northing", "point_y", "ycoord")


@dataclass
class Source:
    """One layer of one input file, read but not yet mapped."""
    file: Path
    layer: str                   # the layer (or sheet) inside the file; the file stem for single-layer files
    target: Optional[str]        # the one-map layer it goes to (None: not recognised)
    frame: object                # pandas DataFrame of attributes, index = source feature id
    geoms: Optional[np.ndarray]  # shapely geometries in the file's CRS, or None for a plain table
    kind: str                    # shapefile, gpkg, geojson, ogr, csv, xlsx, dbf
    crs: Optional[crs_detect.CrsChoice] = None
    encoding: Optional[enc.EncodingChoice] = None
    target_rule: str = ""
    notes: list = field(default_factory=list)
    declared_crs: object = None
    lonlat_columns: bool = False
    swapped: Optional[np.ndarray] = None  # rows whose lon/lat (or x/y) were swapped
    admin_table: bool = False
    inner: str = ""              # the layer's name inside the file (GeoPackage layer, sheet)

    @property
    def label(self) -> str:
        return self.file.name if self.layer == self.file.stem else f"{self.file.name}:{self.layer}"


# --------------------------------------------------------------------------------------------------
# Which file goes to which layer
# --------------------------------------------------------------------------------------------------
def parse_inputs(inputs, layer_for=()) -> list:
    """[(Path, forced layer or None)] from 'FILE' / 'LAYER=FILE' inputs and 'FILE=LAYER' options."""
    forced, by_name = {}, {}  # --layer FILE=LAYER: FILE as a path, or the bare file name the messages suggest
    for item in layer_for or ():
        if "=" not in str(item):
            raise RiskOneMapError(f"--layer wants FILE=LAYER, got {item!r}", field="--layer")
        path, layer = str(item).rsplit("=", 1)
        layer = _check_layer(layer.strip(), f"--layer {item}")
        forced[_key(path)] = layer
        by_name[Path(path).name] = (layer, item)
    result = []
    for item in inputs:
        text, layer = str(item), None
        if "=" in text and not Path(text).exists():
            head, tail = text.split("=", 1)
            if head.strip() in fieldmap.KNOWN_TARGETS or not Path(head).suffix:
                layer, text = _check_layer(head.strip(), text), tail
        path = Path(text)
        if not path.exists():
            raise RiskOneMapError("no such input file", file=path)
        if path.is_dir():
            raise RiskOneMapError("is a folder; give the files inside it (e.g. *.shp)", file=path)
        named = by_name.get(path.name, (None, None))[0]
        result.append((path, forced.get(_key(path)) or named or layer))
    used = {p.name for p, _ in result} | {_key(p) for p, _ in result}
    for name, (_layer, item) in by_name.items():
        if name not in used and _key(str(item).rsplit("=", 1)[0]) not in used:
            raise RiskOneMapError(f"--layer {item}: no input file is named {name}; give the file among the inputs",
                                  field="--layer")
    return result


def _key(path) -> str:
    return str(Path(path).resolve())


def _check_layer(layer: str, where: str) -> str:
    from .raster_import import RASTER_TARGETS
    if layer not in fieldmap.KNOWN_TARGETS and layer not in RASTER_TARGETS:
        raise RiskOneMapError(f"unknown layer {layer!r} in {where!r}; known: {', '.join(fieldmap.KNOWN_TARGETS)}")
    return layer


def _detect_target(path: Path, inner: str, forced: Optional[str], single: bool):
    """(layer, why): forced, else the layer's own name, else (single-layer files only) the file name."""
    if forced:
        return forced, "given on the command line"
    names = [(inner, "layer name")] + ([(path.stem, "file name")] if single else [])
    for name, what in names:
        target = fieldmap.layer_from_name(name) if name else None
        if target:
            return target, f"{what} {name!r}"
    return None, ""


# --------------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------------
def read_input(path: Path, forced_layer: Optional[str] = None, encoding: Optional[str] = None,
               crs: Optional[str] = None) -> list:
    """Every layer of one input file as a :class:`Source` (CRS decided, target layer decided or None)."""
    suffix = path.suffix.lower()
    if suffix == ".shp":
        sources = [_read_shapefile(path, encoding)]
    elif suffix == ".dbf":
        sources = [_read_dbf_table(path, encoding)]
    elif suffix in (".csv", ".txt", ".tsv"):
        sources = [_read_csv(path, encoding)]
    elif suffix in (".xlsx", ".xlsm"):
        sources = _read_xlsx(path)
    elif suffix == ".xls":
        raise RiskOneMapError("old Excel .xls files can't be read; save the sheet as .xlsx or .csv", file=path)
    elif suffix in (".zip", ".rar", ".7z"):
        raise RiskOneMapError("unpack the archive first and give the files inside it", file=path)
    elif suffix in (".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qmd", ".xml"):
        raise RiskOneMapError(f"give the .shp, not its {suffix} side file", file=path)
    else:
        sources = _read_ogr(path)
    single = len(sources) == 1
    for s in sources:
        s.target, s.target_rule = _detect_target(path, s.inner, forced_layer, single)
        if not forced_layer:
            _mark_admin_table(s)
        if s.kind in ("csv", "xlsx", "dbf") and s.geoms is not None and len(s.geoms) and \
                all(g is None for g in s.geoms):
            lon, lat = s.frame.attrs.get("coordinate_columns", ("?", "?"))
            raise RiskOneMapError(f"no row has a coordinate pair in columns {lon} / {lat} (all blank or not numbers)",
                                  file=path, layer=None if s.layer == path.stem else s.layer)
        if s.target is None and single:
            raise RiskOneMapError(
                "can't tell which one-map layer this file is from its name; put the layer before it "
                f"(e.g. shelters={path.name}) or use --layer {path.name}=shelters; layers: "
                f"{', '.join(fieldmap.KNOWN_TARGETS)}", file=path)
        _decide_crs(s, crs)
    return sources


def _read_shapefile(path: Path, encoding: Optional[str]) -> Source:
    pyogrio = _pyogrio()
    choice = enc.shapefile_encoding(path, encoding)
    frame, deleted = enc.read_dbf(path, choice.encoding)
    with tempfile.TemporaryDirectory(prefix="rom-shp-") as tmp:
        link = Path(tmp) / ("g" + path.suffix)
        sides = [s for s in path.parent.iterdir() if s.stem == path.stem and
                 s.suffix.lower() in (".shp", ".shx", ".prj", ".qix")]
        for side in sides:
            dst = link.with_suffix(side.suffix.lower())
            try:
                os.symlink(side.resolve(), dst)
            except OSError:
                shutil.copyfile(side, dst)
        options = {} if any(s.suffix.lower() == ".shx" for s in sides) else {"SHAPE_RESTORE_SHX": "YES"}
        try:
            with _gdal_options(options):
                info = pyogrio.read_info(link.with_suffix(".shp"))
                gdf = pyogrio.read_dataframe(link.with_suffix(".shp"), fid_as_index=True)
        except Exception as exc:
            raise RiskOneMapError(f"cannot read the shapes: {_gdal_text(exc)}", file=path) from None
    if len(gdf) != len(frame):
        raise RiskOneMapError(f"the .shp has {len(gdf)} shapes but the .dbf has {len(frame)} records; "
                              "the files don't belong together", file=path)
    frame.index = gdf.index
    source = Source(path, path.stem, None, frame, np.asarray(gdf.geometry.values, dtype=object), "shapefile",
                    encoding=choice, declared_crs=_crs_of(info))
    if any(deleted):
        frame["__deleted__"] = deleted
    if not options == {}:
        source.notes.append("the .shx was missing; it was rebuilt in a temporary copy")
    return source


def _read_dbf_table(path: Path, encoding: Optional[str]) -> Source:
    choice = enc.shapefile_encoding(path, encoding)
    frame, deleted = enc.read_dbf(path, choice.encoding)
    if any(deleted):
        frame["__deleted__"] = deleted
    source = Source(path, path.stem, None, frame, None, "dbf", encoding=choice)
    _table_coordinates(source)
    return source


def _read_ogr(path: Path) -> list:
    pyogrio = _pyogrio()
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise RiskOneMapError(f"not a readable GIS file: {_gdal_text(exc)}", file=path) from None
    kind = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson"}.get(path.suffix.lower(), "ogr")
    sources = []
    for name, gtype in layers:
        name = str(name)
        try:
            info = pyogrio.read_info(path, layer=name)
            if gtype is None:
                frame = pyogrio.read_dataframe(path, layer=name, read_geometry=False, fid_as_index=True)
                geoms = None
            else:
                gdf = pyogrio.read_dataframe(path, layer=name, fid_as_index=True)
                geoms = np.asarray(gdf.geometry.values, dtype=object)
                frame = gdf.drop(columns=gdf.geometry.name)
        except Exception as exc:
            raise RiskOneMapError(f"cannot read: {_gdal_text(exc)}", file=path, layer=name) from None
        frame = frame.astype(object).where(frame.notna(), None) if len(frame.columns) else frame
        layer = path.stem if len(layers) == 1 else name
        source = Source(path, layer, None, frame, geoms, kind, inner=name,
                        declared_crs=_crs_of(info) if geoms is not None else None)
        if geoms is None:
            _table_coordinates(source)
        sources.append(source)
    return sources


def _read_csv(path: Path, encoding: Optional[str]) -> Source:
    import pandas as pd
    data = path.read_bytes()
    choice = enc.text_file_encoding(data, encoding)
    text = data.decode(choice.encoding, errors="replace")
    sample = text[:4096]
    sep = "\t" if path.suffix.lower() == ".tsv" or sample.count("\t") > sample.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:
        raise RiskOneMapError(f"not a readable CSV table: {exc}", file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.astype(object).where(frame != "", None)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # the row number a spreadsheet shows (header = row 1)
    source = Source(path, path.stem, None, frame, None, "csv", encoding=choice)
    _table_coordinates(source)
    return source


def _read_xlsx(path: Path) -> list:
    import pandas as pd
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:
        raise RiskOneMapError(f"not a readable .xlsx workbook: {exc}", file=path) from None
    sources = []
    for name, frame in sheets.items():
        frame = frame.dropna(how="all")
        if frame.empty:
            continue
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame.astype(object).where(frame.notna(), None)
        frame.index = frame.index + 2
        layer = path.stem if len(sheets) == 1 else str(name)
        source = Source(path, layer, None, frame, None, "xlsx", inner=str(name))
        _table_coordinates(source)
        sources.append(source)
    if not sources:
        raise RiskOneMapError("the workbook has no rows", file=path)
    return sources


# --------------------------------------------------------------------------------------------------
# Tables with coordinate columns
# --------------------------------------------------------------------------------------------------
_DMS = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分]\s*)?(?:(\d+(?:\.\d+)?)\s*"
                  r"(?:\"|″|''|秒)\s*)?([NSEW东西南北])?\s*$", re.IGNORECASE)


def parse_coordinate(value) -> Optional[float]:
    """A number from 116.1, '116.1', '116.1E', '116°06′12″', '116度6分12秒'; None if not a coordinate."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(value)
    text = str(value).strip().replace("，", ".")
    if not text:
        return None
    try:
        return _finite(float(text))
    except ValueError:
        pass
    m = _DMS.match(text)
    if m:
        deg, minutes, seconds, hemi = m.groups()
        sign = -1.0 if deg.startswith("-") or (hemi or "").upper() in ("S", "W", "西", "南") else 1.0
        return sign * (abs(float(deg)) + float(minutes or 0) / 60.0 + float(seconds or 0) / 3600.0)
    m = re.match(r"^\s*([-+]?\d+(?:\.\d+)?)\s*[NSEW°]?\s*$", text, re.IGNORECASE)
    return float(m.group(1)) if m else None


def _finite(value) -> Optional[float]:
    """A finite float, or None (inf, NaN, or an integer too big for a float are not coordinates)."""
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _find_column(columns, names, contains: Optional[str] = None):
    norm = {fieldmap.normalise_name(c): c for c in columns}
    for name in names:
        if fieldmap.normalise_name(name) in norm:
            return norm[fieldmap.normalise_name(name)]
    if contains:
        hits = [c for c in columns if contains in str(c)]
        if len(hits) == 1:
            return hits[0]
    return None


def _table_coordinates(source: Source) -> None:
    """Build point geometries from coordinate columns, if the table has them."""
    import shapely
    cols = list(source.frame.columns)
    lon, lat = _find_column(cols, LON_NAMES, "经度"), _find_column(cols, LAT_NAMES, "纬度")
    lonlat = lon is not None and lat is not None
    if not lonlat:
        lon, lat = _find_column(cols, X_NAMES), _find_column(cols, Y_NAMES)
    if lon is None or lat is None:
        return
    xs = np.array([parse_coordinate(v) for v in source.frame[lon]], dtype=float)
    ys = np.array([parse_coordinate(v) for v in source.frame[lat]], dtype=float)
    swapped = np.zeros(len(xs), dtype=bool)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if lonlat or crs_detect.looks_like_degrees(xs, ys):
        # a row whose 'longitude' is a Chinese latitude and whose 'latitude' a Chinese longitude was typed swapped
        swapped = ok & (xs >= crs_detect.CHINA_LAT[0]) & (xs <= crs_detect.CHINA_LAT[1]) & \
            (ys >= crs_detect.CHINA_LON[0]) & (ys <= crs_detect.CHINA_LON[1])
    elif ok.any() and np.median(xs[ok]) > np.median(ys[ok]) and np.median(xs[ok]) > 1.0e6 > np.median(ys[ok]) / 10:
        # surveyors write X = northing, Y = easting; a GIS writes X = easting
        if not (np.median(xs[ok]) >= 1.0e7 > np.median(ys[ok])):
            swapped = ok.copy()
            source.notes.append(f"columns {lon}/{lat} read as northing/easting (surveying convention: X = north)")
    xs2, ys2 = np.where(swapped, ys, xs), np.where(swapped, xs, ys)
    geoms = np.array([shapely.Point(x, y) if np.isfinite(x) and np.isfinite(y) else None
                      for x, y in zip(xs2, ys2)], dtype=object)
    source.geoms = geoms
    source.lonlat_columns = lonlat
    source.swapped = swapped if lonlat or crs_detect.looks_like_degrees(xs, ys) else None
    source.notes.append(f"points from columns {lon} / {lat}")
    source.frame = source.frame.copy()
    source.frame.attrs["coordinate_columns"] = (lon, lat)


def _mark_admin_table(source: Source) -> None:
    """A table of administrative codes (code + level or parent, 12-digit codes) feeds admin_units."""
    if source.geoms is not None and source.kind not in ("csv", "xlsx", "dbf"):
        return
    cols = {fieldmap.normalise_name(c) for c in source.frame.columns}
    has_code = bool(cols & {fieldmap.normalise_name(n) for n in fieldmap._ADMIN_FIELDS["code"]})
    has_level = bool(cols & {"level", "级别", "层级"})
    has_parent = bool(cols & {fieldmap.normalise_name(n) for n in fieldmap._ADMIN_FIELDS["parent_code"]})
    if not has_code or not (has_level or has_parent):
        return
    mapping, _ = fieldmap.match_fields(fieldmap.ADMIN_UNITS, source.frame.columns)
    codes = [fieldmap.normalise_code(v) for v in source.frame[mapping["code"]]]
    levels = {fieldmap.admin_level_of(source.frame[mapping["level"]].iloc[i] if "level" in mapping else None, c)
              for i, c in enumerate(codes)}
    if len(levels - {None}) >= 2 or (source.target is None and levels - {None}):
        source.admin_table = True
        source.target, source.target_rule = fieldmap.ADMIN_UNITS, "a table of administrative codes with levels"
        if source.geoms is not None:
            source.notes.append("coordinates of the code table kept as attributes, not as geometry (code tables "
                                "often carry web-map GCJ-02 positions); give village points as their own file")
            source.geoms = None
            source.lonlat_columns, source.swapped = False, None
            source.frame.attrs.pop("coordinate_columns", None)
            source.notes = [n for n in source.notes if not n.startswith("points from columns")]


def _decide_crs(source: Source, forced: Optional[str]) -> None:
    if source.geoms is None:
        return
    from shapely import get_coordinates
    valid = [g for g in source.geoms if g is not None and not g.is_empty]
    coords = get_coordinates(np.asarray(valid, dtype=object)) if valid else np.empty((0, 2))
    if len(coords) > 20000:
        coords = coords[np.linspace(0, len(coords) - 1, 20000).astype(int)]
    source.crs = crs_detect.detect_crs(source.declared_crs, coords[:, 0], coords[:, 1], file=source.file,
                                       layer=None if source.layer == source.file.stem else source.layer,
                                       forced=forced, lonlat_columns=source.lonlat_columns)


# --------------------------------------------------------------------------------------------------
def _pyogrio():
    import pyogrio
    return pyogrio


def _crs_of(info):
    text = (info or {}).get("crs")
    if not text:
        return None
    from pyproj import CRS
    try:
        return CRS.from_user_input(text)
    except Exception:
        return None


def _gdal_text(exc) -> str:
    return " ".join(str(exc).split())


class _gdal_options:
    def __init__(self, options: dict):
        self.options = options

    def __enter__(self):
        if self.options:
            _pyogrio().set_gdal_config_options(self.options)

    def __exit__(self, *exc):
        if self.options:
            _pyogrio().set_gdal_config_options({k: None for k in self.options})
