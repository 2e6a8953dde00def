"""Reading and writing a one-map package folder (SPEC.md): onemap.gpkg, population.tif, dem.tif, onemap.qgz.

Pure: geopandas, pyogrio, rasterio. Every write goes to a temporary file in the destination folder and is
moved into place with ``os.replace`` only once complete, so a failed or cancelled run never leaves a
half-written file and never touches what the user already had. Layers added to an existing package are swapped
in inside one SQLite transaction instead (``write_layers``), so a package open in QGIS can be written on Windows.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Optional

import numpy as np
import pandas as pd

from ..errors import RiskOneMapError
from ..leftovers import sweep
from . import model


def _gpd():
    import geopandas
    return geopandas


def _pyogrio():
    import pyogrio
    return pyogrio


@contextlib.contextmanager
def _gdal_quiet():
    """GDAL's warnings about a damaged package (an unknown srs_id, an unreadable geometry) come through pyogrio as
    RuntimeWarnings, printed in the middle of the output; what they mean is reported as problems or errors."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@contextlib.contextmanager
def temp_beside(final: Path, suffix: Optional[str] = None):
    """Yield a temporary path beside ``final`` (same folder, same disk); remove it and GDAL's side files after."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep(final.parent)  # what killed runs left here
    # the process id in the name lets a later run tell a killed run's file from a running one's (leftovers.py)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.{os.getpid()}.", suffix=suffix or final.suffix,
                               dir=final.parent)
    os.close(fd)
    os.unlink(tmp)  # writers (GDAL) want to create the file themselves
    tmp = Path(tmp)
    try:
        yield tmp
    finally:
        if tmp.exists():
            tmp.unlink()
        for side in tmp.parent.glob(tmp.name + "*"):  # -wal, -shm, .aux.xml left by GDAL
            with contextlib.suppress(OSError):
                side.unlink()


@contextlib.contextmanager
def atomic_path(final: Path, suffix: Optional[str] = None):
    """Yield a temporary path beside ``final``; move it over ``final`` only if the block succeeds."""
    with temp_beside(final, suffix) as tmp:
        yield tmp
        try:
            os.replace(tmp, final)
        except PermissionError as exc:  # Windows: the file is open in Excel, WPS or QGIS, which lock it
            raise RiskOneMapError("the file is open in another program (Excel, WPS, QGIS...) and cannot be replaced; "
                                  "close it there and run again", file=final) from exc


@contextlib.contextmanager
def outputs_together():
    """Ctrl-C or SIGTERM while a job moves its outputs into place (a layer set, then CSVs) waits until all of them
    are there, so the package never holds new layers beside old CSVs; the interruption is then said (exit 130).
    Only in the main thread, where Python delivers signals; elsewhere (QGIS tasks) nothing changes."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    old = {s: signal.signal(s, lambda signum, frame: received.append(signum))
           for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if received:
        from ..errors import Interrupted
        raise Interrupted("interrupted after every output was written; the results are whole")


class Package:
    """A one-map package folder. Reading never modifies it."""

    def __init__(self, path):
        self.path = Path(path)

    @property
    def gpkg(self) -> Path:
        return self.path / model.GPKG_NAME

    @property
    def population_raster(self) -> Path:
        return self.path / model.POPULATION_RASTER

    @property
    def dem_raster(self) -> Path:
        return self.path / model.DEM_RASTER

    @property
    def project_file(self) -> Path:
        return self.path / model.PROJECT_NAME

    def exists(self) -> bool:
        return self.gpkg.is_file()

    def require(self) -> "Package":
        if not self.path.is_dir():
            raise RiskOneMapError("no such package folder", file=self.path)
        if not self.gpkg.is_file():
            raise RiskOneMapError(f"not a one-map package: {model.GPKG_NAME} is missing", file=self.path)
        return self

    def layer_names(self) -> list:
        if not self.gpkg.is_file():
            return []
        try:
            with _gdal_quiet():
                return [str(name) for name, _ in _pyogrio().list_layers(self.gpkg)]
        except Exception as exc:  # truncated, text, plain SQLite: pyogrio's DataSourceError with GDAL's text
            raise RiskOneMapError(f"not a readable GeoPackage ({_gdal_text(exc)}); rebuild it with risk-one-map "
                                  "import or restore a copy", file=self.gpkg) from None

    def has(self, name: str) -> bool:
        return name in self.layer_names()

    def approximate_villages(self) -> bool:
        """True when the village areas were made from points (近似村界), which every output must say first."""
        if not self.gpkg.is_file() or not self.has("villages"):
            return False
        import warnings
        try:
            with warnings.catch_warnings():  # GDAL's notes (an unknown srs_id...) are the check's to report
                warnings.simplefilter("ignore")
                frame = _pyogrio().read_dataframe(self.gpkg, layer="villages", columns=["boundary"],
                                                  read_geometry=False)
        except Exception:  # no such column: surveyed boundaries
            return False
        return "boundary" in frame.columns and (frame["boundary"] == model.APPROX_VILLAGES).any()

    def read(self, name: str, required: bool = True, bbox=None, where: Optional[str] = None):
        """A layer as a GeoDataFrame (a DataFrame for attribute tables); None if absent and not required."""
        self.require()
        if not self.has(name):
            if required:
                raise RiskOneMapError("layer is missing from the package", file=self.gpkg, layer=name)
            return None
        spec = model.LAYER_BY_NAME.get(name)
        try:
            with _gdal_quiet():
                if spec is not None and not spec.geometry:
                    return _pyogrio().read_dataframe(self.gpkg, layer=name, read_geometry=False, where=where)
                return _pyogrio().read_dataframe(self.gpkg, layer=name, bbox=bbox, where=where)
        except Exception as exc:  # pyogrio raises DataSourceError / DataLayerError with GDAL's text
            raise RiskOneMapError(f"cannot read: {_gdal_text(exc)}", file=self.gpkg, layer=name) from None

    def crs(self):
        """The package CRS (that of the villages layer, else the first spatial layer)."""
        names = self.layer_names()
        for name in ["villages"] + names:
            if name in names:
                try:
                    with _gdal_quiet():
                        info = _pyogrio().read_info(self.gpkg, layer=name)
                except Exception as exc:
                    raise RiskOneMapError(f"cannot read: {_gdal_text(exc)}", file=self.gpkg, layer=name) from None
                if info.get("crs"):
                    from pyproj import CRS
                    return CRS.from_user_input(info["crs"])
        return None

    def write_layers(self, layers: Mapping[str, object], keep_other_layers: bool = True) -> None:
        """Add or replace layers, all or none.

        In an existing GeoPackage the layers are first written under staging names inside it, then swapped for
        the old ones in one SQLite transaction (``swap_staged_layers``): the file stays where it is, so QGIS
        may keep it open while an analysis writes (Windows refuses to replace a file QGIS has open), and a
        failure rolls the whole change back. Without GDAL's Python bindings (3.5+, for renaming a layer), or for
        a new package, the whole GeoPackage is rebuilt beside the old one and swapped."""
        self.path.mkdir(parents=True, exist_ok=True)
        if keep_other_layers and self.gpkg.is_file() and _ogr() is not None:
            staged = {name: f"{STAGED_PREFIX}{os.getpid()}_{i}" for i, name in enumerate(layers)}
            try:
                drop_dead_staged_layers(self.gpkg)
                for name, frame in layers.items():
                    write_frame(self.gpkg, name, frame, layer=staged[name])
                swap_staged_layers(self.gpkg, staged)
                return
            except SwapFailed:
                # SQLite refused to rename (a damaged index of another layer makes every ALTER TABLE fail):
                # the whole-file way below still works where the file is not locked
                pass
            finally:
                _drop_layers(self.gpkg, staged.values())
        with atomic_path(self.gpkg) as tmp:
            if keep_other_layers and self.gpkg.is_file():
                shutil.copyfile(self.gpkg, tmp)
                _drop_layers(tmp, layers)
            for name, frame in layers.items():
                write_frame(tmp, name, frame)


class SwapFailed(RiskOneMapError):
    """The staged layers could not be put in place; the package is as it was."""


# A layer being written into a package carries the writer's process id: ``_staged_<pid>_<n>``. Renamed to its
# real name when every layer of the set is there; one a killed run left is dropped by the next run.
STAGED_PREFIX = "_staged_"


def _ogr():
    """GDAL's own Python bindings with layer renaming (GDAL 3.5+: QGIS 3.22+ ships them; a venv on Debian sees
    python3-gdal), or None."""
    try:
        from osgeo import ogr
    except ImportError:
        return None
    return ogr if hasattr(ogr.Layer, "Rename") else None


def swap_staged_layers(gpkg: Path, staged: Mapping[str, str]) -> None:
    """In one transaction: drop each old layer ``name`` and rename its staged layer to ``name``; every layer or
    none. pyogrio writes the staged layers fast but cannot join a transaction; the swap goes through GDAL."""
    from osgeo import gdal
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # a refusal is said in one line below, not in GDAL's SQL dump
    try:
        _swap(_ogr(), gpkg, staged)
    finally:
        gdal.PopErrorHandler()


def _swap(ogr, gpkg: Path, staged: Mapping[str, str]) -> None:
    dst = ogr.Open(str(gpkg), 1)
    if dst is None:
        raise RiskOneMapError("cannot open the package's GeoPackage for writing", file=gpkg)
    if dst.StartTransaction(True) != 0:
        raise RiskOneMapError("the package's GeoPackage is busy (another program is writing it); try again", file=gpkg)
    try:
        for name, staging in staged.items():
            old = _layer_index(dst, name)
            if old is not None and dst.DeleteLayer(old) != 0:
                raise SwapFailed("cannot replace the layer in the package", file=gpkg, layer=name)
            layer = dst.GetLayerByName(staging)
            if layer is None or layer.Rename(name) != 0:
                raise SwapFailed("cannot put the new layer in place", file=gpkg, layer=name)
        if dst.CommitTransaction() != 0:
            raise SwapFailed("cannot save the new layers into the package", file=gpkg)
    except BaseException:
        dst.RollbackTransaction()
        raise
    finally:
        dst = None  # noqa: F841 (closes the file)


def drop_dead_staged_layers(gpkg: Path) -> None:
    """Drop staged layers whose writer is gone (a run killed between writing and swapping)."""
    from ..leftovers import alive
    pattern = re.compile(rf"^{STAGED_PREFIX}(\d+)_\d+$")
    dead = [m[0] for m in map(pattern.match, _layer_names(gpkg)) if m and not alive(int(m[1]))]
    _drop_layers(gpkg, dead)


def _layer_names(gpkg: Path) -> list:
    from osgeo import ogr  # also on the whole-file way, where GDAL may be too old to rename layers
    ds = ogr.Open(str(gpkg), 0)
    try:
        return [ds.GetLayerByIndex(i).GetName() for i in range(ds.GetLayerCount())] if ds is not None else []
    finally:
        ds = None  # noqa: F841


def _layer_index(ds, name: str):
    return next((i for i in range(ds.GetLayerCount()) if ds.GetLayerByIndex(i).GetName() == name), None)


def _drop_layers(gpkg: Path, names) -> None:
    """Delete the layers ``names`` of ``gpkg`` that are there (opened for writing only when one is)."""
    from osgeo import ogr
    present = set(_layer_names(gpkg))
    names = [n for n in names if n in present]
    if not names:
        return
    ds = ogr.Open(str(gpkg), 1)
    try:
        for name in names:
            index = _layer_index(ds, name)
            if index is not None:
                ds.DeleteLayer(index)
    finally:
        ds = None  # noqa: F841


def _gdal_text(exc) -> str:
    return " ".join(str(exc).split())[:300]


def conform(name: str, frame):
    """Order columns as the model says, coerce types, keep extra columns at the end."""
    spec = model.LAYER_BY_NAME.get(name)
    if spec is None:
        return frame
    frame = frame.copy()
    for f in spec.fields:
        if f.name not in frame.columns:
            continue
        col = frame[f.name]
        if f.type == "str":
            frame[f.name] = col.map(lambda v: None if _is_missing(v) else str(v)).astype(object)
        elif f.type == "int":
            frame[f.name] = pd.to_numeric(col, errors="coerce").round().astype("Int64")
        elif f.type == "float":
            frame[f.name] = pd.to_numeric(col, errors="coerce").astype("float64")
    geometry = [frame.geometry.name] if hasattr(frame, "geometry") and spec.geometry else []
    known = [f.name for f in spec.fields if f.name in frame.columns]
    extra = [c for c in frame.columns if c not in known and c not in geometry]
    return frame[known + extra + geometry]


def _is_missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def write_frame(gpkg: Path, name: str, frame, layer: Optional[str] = None) -> None:
    """Write the model layer ``name`` into a GeoPackage (a temporary one, or under the staging name ``layer``)."""
    frame = conform(name, frame)
    kwargs = {}
    if hasattr(frame, "geometry") and getattr(frame, "_geometry_column_name", None) in frame.columns:
        # Decide the layer's geometry type from what is there (QGIS styles one type per layer): points stay
        # Point, polygons and lines become Multi* so one feature with parts does not change the layer type.
        import shapely
        types = set(shapely.get_type_id(frame.geometry.to_numpy()[~frame.geometry.isna().to_numpy()]).tolist())
        if not types:  # empty layer: the model says what it will hold (the patrol folder's too)
            spec = model.LAYER_BY_NAME.get(name) or model.PATROL_LAYER_BY_NAME.get(name)
            family = spec.geometry[0] if spec is not None and spec.geometry else None
            kwargs["geometry_type"] = {"Point": "Point", "Polygon": "MultiPolygon",
                                       "LineString": "MultiLineString"}.get(family, "Unknown")
        elif types <= {0}:
            kwargs["geometry_type"] = "Point"
        elif types <= {3, 6}:
            kwargs["geometry_type"] = "MultiPolygon"
            frame = frame.set_geometry(_to_multi(frame.geometry))
        elif types <= {1, 5}:
            kwargs["geometry_type"] = "MultiLineString"
            frame = frame.set_geometry(_to_multi(frame.geometry))
        else:
            kwargs["promote_to_multi"] = True
    _pyogrio().write_dataframe(frame, gpkg, layer=layer or name, driver="GPKG", **kwargs)


def _to_multi(geoms):
    import shapely
    from shapely.geometry import MultiLineString, MultiPolygon
    arr = np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object)
    out = arr.copy()
    types = shapely.get_type_id(arr)
    for i in np.flatnonzero(types == 3):  # Polygon
        out[i] = MultiPolygon([arr[i]])
    for i in np.flatnonzero(types == 1):  # LineString
        out[i] = MultiLineString([arr[i]])
    return _gpd().GeoSeries(out, crs=getattr(geoms, "crs", None), index=getattr(geoms, "index", None))


def write_raster(path: Path, array: np.ndarray, transform, crs, nodata: float, dtype: str = "float32",
                 compress: str = "deflate") -> None:
    """Write a single-band GeoTIFF atomically (tiled, compressed)."""
    import rasterio
    array = np.asarray(array, dtype=dtype)
    profile = dict(driver="GTiff", height=array.shape[0], width=array.shape[1], count=1, dtype=dtype,
                   crs=crs, transform=transform, nodata=nodata, compress=compress)
    if array.shape[0] >= 256 and array.shape[1] >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with atomic_path(Path(path), suffix=".tif") as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(array, 1)


def write_package(out_dir, layers: Mapping[str, object], rasters: Optional[Mapping[str, tuple]] = None,
                  overwrite: bool = False) -> Package:
    """Write a whole package: layers into onemap.gpkg and rasters {'population.tif': (array, transform, crs, nodata)}.

    The package is built in a temporary folder beside ``out_dir`` and renamed into place at the end.
    An existing non-empty ``out_dir`` is replaced only with ``overwrite``; it is left untouched if anything fails.
    """
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise RiskOneMapError("the output folder exists and is not empty (use --overwrite to replace it)", file=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep(out.parent)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_dir, 0o777 & ~umask)  # mkdtemp makes 0700; the package is an ordinary folder once renamed
    try:
        tmp_pkg = Package(tmp_dir)
        for name, frame in layers.items():
            write_frame(tmp_pkg.gpkg, name, frame)
        for fname, (array, transform, crs, nodata) in (rasters or {}).items():
            write_raster(tmp_dir / fname, array, transform, crs, nodata)
        if out.exists():
            old = out.parent / f".{out.name}.{os.getpid()}.old"
            os.replace(out, old)
            os.replace(tmp_dir, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp_dir, out)
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return Package(out)


def iter_layer_specs(names: Iterable[str]):
    for name in names:
        spec = model.LAYER_BY_NAME.get(name)
        if spec is not None:
            yield spec
